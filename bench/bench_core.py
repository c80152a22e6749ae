"""Benchmarks of the numerical core, each printed beside its budget (DESIGN.md §6) and baselines.

    .venv/bin/python bench/bench_core.py

Figures are medians of repeated runs on a warm Numba cache; nothing here fails a build.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from optimizers import _kernels as kernels  # noqa: E402


def median_seconds(fn, repeat=30, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(what, seconds, budget=None, unit="ms"):
    scale = {"ms": 1e3, "µs": 1e6, "s": 1.0}[unit]
    line = f"{what:<58s} {seconds * scale:10.2f} {unit}"
    if budget is not None:
        verdict = "within" if seconds <= budget else "OVER"
        line += f"   budget {budget * scale:g} {unit} ({verdict})"
    print(line)


SIX = ("gd", "momentum", "sgd_momentum", "rmsprop", "adagrad", "adam")  # the budget's six (AdamW came later)


def six_optimizers(surface, names=SIX):
    for name in names:
        optimizers.run(surface, name, steps=300, lr=1e-3)


def six_kernels(surface):
    """The same work without the Python front end: the kernel calls alone."""
    empty, no_order, no_bounds = np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    rates = np.full(300, 1e-3)
    records = [(optimizers.OPTIMIZERS[name].kernel_id, optimizers._hyper(name, {})[1]) for name in SIX]
    out = np.empty((301, kernels.COLUMNS))

    def run():
        for opt, record in records:
            kernels.trajectory(surface.kernel_id, surface.coefficients, empty, empty, no_order, no_bounds,
                               opt, record, rates, -1.2, 1.0, 0.0, 0, 0, out)
    return run


def numpy_adam_ensemble(starts, steps, lr, b1=0.9, b2=0.999, eps=1e-8):
    """The NumPy baseline: the same Adam on Rosenbrock, vectorised over members."""
    theta = starts.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    out = np.empty((steps + 1,) + theta.shape)
    out[0] = theta
    for t in range(1, steps + 1):
        x, y = theta[:, 0], theta[:, 1]
        r = y - x * x
        g = np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - (lr / (1 - b1**t)) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
        out[t] = theta
    return out


def torch_steps_per_second():
    try:
        import torch
    except ImportError:
        return None
    theta = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=1e-3)
    steps = 2000
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        x, y = theta[0], theta[1]
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).backward()
        opt.step()
    return steps / (time.perf_counter() - start)


def fresh_process_seconds():
    code = ("import optimizers; optimizers.run('rosenbrock', 'adam', steps=300, lr=0.01)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)  # warms the cache
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    rosenbrock = surfaces.get("rosenbrock")
    starts = np.random.default_rng(0).uniform(-1.5, 1.5, (1000, 2))
    print(f"Descent Lab core benchmarks — numba, {sys.platform}, median of repeats\n")

    report("6 optimizers × 300 steps, optimizers.run (end to end)",
           median_seconds(lambda: six_optimizers(rosenbrock), repeat=200), 100e-6, "µs")
    report("all 7 optimizers (with AdamW) × 300 steps, optimizers.run",
           median_seconds(lambda: six_optimizers(rosenbrock, optimizers.names()), repeat=200))
    report("6 optimizers × 300 steps, kernels alone",
           median_seconds(six_kernels(rosenbrock), repeat=200), 100e-6, "µs")

    ensemble = median_seconds(lambda: optimizers.run_ensemble(rosenbrock, "adam", starts=starts, steps=500,
                                                              lr=1e-2))
    report("ensemble 1000 × 500 Adam steps, Rosenbrock", ensemble, 5e-3)
    report("  baseline: NumPy vectorised over members",
           median_seconds(lambda: numpy_adam_ensemble(starts, 500, 1e-2), repeat=5))
    rate = torch_steps_per_second()
    if rate is None:
        print("  baseline: torch.optim — torch not installed")
    else:
        report(f"  baseline: torch.optim + autograd ({rate:,.0f} steps/s), extrapolated", 500_000 / rate, None, "s")
    report("ensemble 1000 × 500 Adam steps with gradient noise",
           median_seconds(lambda: optimizers.run_ensemble(rosenbrock, "adam", starts=starts, steps=500,
                                                          lr=1e-2, noise=0.5), repeat=10))
    report("ensemble 300 × 300 SGD steps with noise (sharp/flat lesson size)",
           median_seconds(lambda: optimizers.run_ensemble("sharp_flat", "gd", starts=starts[:300], steps=300,
                                                          lr=0.1, noise=0.5), repeat=20))
    sharp_flat = surfaces.get("sharp_flat")
    disc = sharp_flat.minima[0] + 0.3 * starts[:300] / 1.5

    def lesson8_setting():  # as app_pages/sharp_flat.py: the noisy runs, then the settling runs
        ends = optimizers.run_ensemble(sharp_flat, "gd", starts=disc, steps=300, lr=0.1, noise=2.0, seed=1)[:, -1]
        optimizers.run_ensemble(sharp_flat, "gd", starts=ends, steps=150, lr=1 / 16.04)

    def roaming():  # B = 1, σ₁ = 12, α = 0.3: the runs wander far from the narrow well (exp's slow path)
        optimizers.run_ensemble(sharp_flat, "gd", starts=disc, steps=300, lr=0.3, noise=12.0, seed=1)

    one = median_seconds(lesson8_setting, repeat=20)
    report("lesson 8, one setting: 300 noisy runs × 300 steps + settling × 150", one, 20e-3)
    report("  the page's 27 settings on a cold view (9 batch sizes, 9 α at two B)", 27 * one)
    report("  noisy runs that roam far (B = 1, σ₁ = 12, α = 0.3)",
           median_seconds(roaming, repeat=20), 20e-3)
    report("  … their noise drawn anew (no table kept yet)",
           median_seconds(lambda: (optimizers._normals.cache_clear(), roaming()), repeat=20), 20e-3)
    report("fresh process: import + first trajectory (warm cache)", fresh_process_seconds(), 1.0, "s")
    formulas(rosenbrock, starts)
    network()


def network():
    """The course's week-2 network: 10 000 epochs of 300 samples per optimizer, and a landscape slice."""
    print("\nthe course's network ([2, 5, 2, 1], 300 moons samples, batches of 64)")
    X, y = surfaces.moons()
    for name, hyper in (("gd", {}), ("momentum", {"beta": 0.9}), ("adam", {"beta1": 0.9, "beta2": 0.999})):
        optimizers.train_network(X, y, name, epochs=2, **hyper)
        report(f"  10 000 epochs, {name}", median_seconds(lambda: optimizers.train_network(X, y, name, **hyper),
                                                          repeat=3, warmup=0), 2.0, "s")
    theta = optimizers.train_network(X, y, "adam", epochs=500).theta
    d1, d2 = (optimizers.filter_normalized_direction(theta, seed=k) for k in (0, 1))
    a, b = np.meshgrid(np.linspace(-1, 1, 51), np.linspace(-1, 1, 51))
    points = theta + a.ravel()[:, None] * d1 + b.ravel()[:, None] * d2
    report("  a 51 × 51 landscape slice (all samples at once)",
           median_seconds(lambda: optimizers.network_costs(points, X, y)), 0.5)


def formulas(rosenbrock, starts):
    """The typed formula: ready to run, its steps against the built-in surface's, hostile text."""
    print("\ntyped formula (surfaces.formula)")
    counter = iter(range(10**9))
    # a formula never seen before each time (a new constant): parse, compile, minima search
    report("a new formula ready to run (parse + program + minima)",
           median_seconds(lambda: surfaces.formula(f"(1 - x)**2 + {100 + next(counter)}*(y - x**2)**2")), 0.3)
    typed = surfaces.formula("(1 - x)**2 + 100*(y - x**2)**2")
    for what, surface in (("built-in Rosenbrock", rosenbrock), ("the same typed as a formula", typed)):
        report(f"  6 optimizers × 300 steps, {what}",
               median_seconds(lambda: six_optimizers(surface), repeat=200), None, "µs")
    built_in = median_seconds(lambda: optimizers.run_ensemble(rosenbrock, "adam", starts=starts, steps=500, lr=1e-2))
    typed_time = median_seconds(lambda: optimizers.run_ensemble(typed, "adam", starts=starts, steps=500, lr=1e-2))
    report("  ensemble 1000 × 500 Adam, built-in", built_in)
    report(f"  ensemble 1000 × 500 Adam, formula ({built_in / typed_time:.2f}× the built-in speed; target ≥ 0.2×)",
           typed_time)
    hostile = {"9**9**9**9": "9**9**9**9", "5 000 nested parentheses": "(" * 5000 + "x" + ")" * 5000,
               "100 kB of text": "x+" * 50_000, "201 operations": "+".join(["x"] * 250)}
    for what, text in hostile.items():
        def attempt():
            try:
                surfaces.formula(text)
            except ValueError:
                pass
        report(f"  a message for {what}", median_seconds(attempt), 0.1)


if __name__ == "__main__":
    main()
