"""Lesson 12's trainings: the course's week-2 network ([2, 5, 2, 1], 300 moons samples) trained for
EPOCHS epochs with GD, momentum and Adam, for each setting the page offers, once per machine.

A setting's three runs cost 2–3 s of CPU, and a class on lesson 12 asks for new settings faster than
two cores train them. So every result is kept on disk, in a folder named after the code that
computes it (an edit to the core is another folder), shared by the replicas of `make serve` and
kept across restarts; `python -m optimizers.course_network` (which `make serve` runs in the
background) trains every setting before a class asks. Nothing writable: each process trains in
memory, as before.
"""

import concurrent.futures
import functools
import logging
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

import surfaces
from surfaces import _numba_cache

from . import network_init, train_network, NETWORK

RACERS = {"gd": {}, "momentum": {"beta": 0.9}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}
DECAY_RATES = {"gd": 0.1, "momentum": 0.1, "adam": 0.01}  # the course's α₀ with the scheduled decay
DECAY_EVERY = 1000
COURSE_LR = 0.0007  # the course's constant α (and the key of every decayed setting)
RATES = (0.0001, 0.0003, 0.0007, 0.001, 0.003, 0.01, 0.03)
BATCHES = (8, 16, 32, 64, 128, 300)
SEEDS = (0, 1, 2)
KESKAR_BATCHES = (16, 300)  # the small- and large-batch ends of Keskar's line, trained for Adam alone
EPOCHS = 10_000  # the page's longest run: shorter ones are its prefixes
FRAME_EVERY = 250  # epochs between two pictures of the decision regions
ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("optimizers/*.py")) + sorted(ROOT.glob("surfaces/*.py"))
LOG = logging.getLogger("descent_lab")


def train_all(schedule, lr, batch_size, seed=0, names=tuple(RACERS)):
    """EPOCHS-long runs, one per optimizer in `names`, trained side by side (the kernels leave the
    GIL, so the threads share the cores): {name: (costs per epoch, parameters at the start and every
    FRAME_EVERY epochs, diverged epoch or None)}."""
    X, y = surfaces.moons()
    decay = schedule == "decay"

    def one(name):
        run = train_network(X, y, name, lr=DECAY_RATES[name] if decay else lr, epochs=EPOCHS,
                            batch_size=batch_size, seed=seed, decay_every=DECAY_EVERY if decay else None,
                            every=FRAME_EVERY, **RACERS[name])
        return run.costs, np.vstack([network_init(NETWORK, 3 + seed), run.snapshots]), run.diverged_at
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(one, names)))


@functools.cache
def folder():
    """Where the results are kept (found on first use), or None when nothing is writable."""
    return _numba_cache.writable_folder("trainings", SOURCES)


def _holders(names):
    """The files that can hold `names`' runs: their own, and the file of all three optimizers."""
    return [stored for stored in dict.fromkeys((tuple(names), tuple(RACERS))) if set(names) <= set(stored)]


def _file(schedule, lr, batch_size, seed, names):
    return folder() / f"{schedule}-{float(lr)!r}-{int(batch_size)}-{int(seed)}-{'+'.join(names)}.npz"


def _load(path, names):
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: (stored[f"{name}.costs"], stored[f"{name}.snapshots"],
                           None if int(stored[f"{name}.diverged"]) < 0 else int(stored[f"{name}.diverged"]))
                    for name in names}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, partial, another layout
        return None


def _store(path, runs):
    partial = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    try:
        with open(partial, "wb") as out:
            np.savez(out, **{f"{name}.{part}": value for name, (costs, snapshots, diverged) in runs.items()
                            for part, value in (("costs", costs), ("snapshots", snapshots),
                                                ("diverged", -1 if diverged is None else diverged))})
        os.replace(partial, path)  # readers see the whole file or none
    except OSError as error:
        LOG.warning("training not kept on disk (%s)", error)
        partial.unlink(missing_ok=True)


def trainings(schedule, lr, batch_size, seed=0, names=tuple(RACERS)):
    """train_all's result, from disk when this machine has trained it before (one optimizer's runs
    also from the file of all three), else trained now and kept."""
    names = tuple(names)
    if folder() is None:
        return train_all(schedule, lr, batch_size, seed, names)
    for stored_names in _holders(names):
        found = _load(_file(schedule, lr, batch_size, seed, stored_names), names)
        if found is not None:
            return found
    runs = train_all(schedule, lr, batch_size, seed, names)
    _store(_file(schedule, lr, batch_size, seed, names), runs)
    return runs


def settings():
    """Every setting the page can ask for, the likeliest first: (schedule, lr, batch, seed, names)."""
    rates = (COURSE_LR, *(r for r in RATES if r != COURSE_LR))
    for seed in SEEDS:
        for schedule, lr in [("constant", COURSE_LR), ("decay", COURSE_LR)] + [("constant", r) for r in rates[1:]]:
            for batch in (64, *(b for b in BATCHES if b != 64)):
                yield schedule, lr, batch, seed, tuple(RACERS)
            if seed == 0:
                for batch in KESKAR_BATCHES:
                    yield schedule, lr, batch, seed, ("adam",)


STALE_PARTIAL = 600  # s: a file still being written is this young (one training takes ≈ 1 s)


def precompute():
    """Train and keep every setting not on disk yet, then remove the files half-written by killed
    processes and the trainings of other versions of the code (38 MB each); returns (settings
    trained, settings found)."""
    if folder() is None:
        LOG.warning("nowhere to keep lesson 12's trainings: each server trains them when asked")
        return 0, 0
    trained = found = 0
    for setting in settings():
        done = any(_file(*setting[:4], names).exists() for names in _holders(setting[4]))
        if not done:
            trainings(*setting)
        trained, found = trained + (not done), found + done
    for partial in folder().glob(".*.npz.*"):  # left by a process killed while writing (_store)
        try:
            if time.time() - partial.stat().st_mtime > STALE_PARTIAL:
                partial.unlink()
        except OSError:  # gone meanwhile
            pass
    pruned = _numba_cache.prune_others(folder())
    if pruned:
        LOG.info("removed the trainings of other versions of the code beside %s (%d folders)", folder(), pruned)
    return trained, found


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    started = time.perf_counter()
    count, known = precompute()
    print(f"lesson 12: {count} settings trained, {known} already kept, in {time.perf_counter() - started:.0f} s "
          f"({folder()})", file=sys.stderr)
