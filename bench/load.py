"""A class on the real server: sessions that speak Streamlit's websocket protocol as browsers do.

    .venv/bin/python bench/load.py [--sessions 30] [--seconds 60] [--url http://host:port]
    .venv/bin/python bench/load.py --memory 2000      # one session, 2 000 Playground changes: RSS
    .venv/bin/python bench/load.py --burst 200        # one tab fires 200 changes: another's wait
    .venv/bin/python bench/load.py --cpu 12           # server CPU and bytes per rerun, every page
    .venv/bin/python bench/load.py --cpu 12 --pages sharp_flat,network   # … on these pages
    .venv/bin/python bench/load.py --replicas 2 --sessions 60   # through nginx (deploy/serve.py)

Without --url it starts `streamlit run app.py` itself (and reads its RSS from /proc). Each student
opens a lesson, then every 1–3 s moves a random slider to a random value, and now and then opens
another page. Printed beside the budgets of DESIGN.md §6.
"""

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import served  # noqa: E402
from stclient import Session  # noqa: E402
sys.path.insert(0, str(ROOT))
from app_pages.common import LESSONS  # noqa: E402

PAGES = ("playground", *(name for _, name in LESSONS))
SETTINGS = ("lang", "projector", "speed")  # the sidebar's: the same on every page, not what a class moves


def rss_mb(pid):
    """Resident memory of the server process, from /proc (MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


FRAGMENT = "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"  # a section's own rerun (st.fragment)


def random_value(which, body, rng):
    """A value a user could pick on this slider (a select-slider's option, or a step of a slider)."""
    if body.options:
        return rng.choice(list(body.options))
    steps = max(1, int(round((body.max - body.min) / body.step))) if body.step else 100
    return body.min + rng.randint(0, steps) * (body.step or (body.max - body.min) / 100)


async def student(base, rng, until, record):
    """One tab: a page, then a control change every 1–3 s; a new page now and then."""
    try:
        async with Session(base, timeout=60) as session:
            run = await session.open(rng.choice(PAGES))
            record(run, "open", session.page)
            on_page = set(run.widgets)
            while time.perf_counter() < until:
                await asyncio.sleep(rng.uniform(1.0, 3.0))
                if rng.random() < 0.1:
                    run = await session.open(rng.choice(PAGES))
                    record(run, "open", session.page)
                    on_page = set(run.widgets)
                    continue
                sliders = [k for k, (which, _) in session.widgets.items() if which == "slider" and k not in SETTINGS
                           and k in on_page]
                if not sliders:
                    continue
                key = rng.choice(sliders)
                which, body = session.widgets[key]
                run = await session.change(key, random_value(which, body, rng))
                record(run, "change", session.page)
                # a section's own rerun (st.fragment) redraws its widgets alone: the page keeps the rest
                on_page = on_page | set(run.widgets) if run.status == FRAGMENT else set(run.widgets)
    except Exception as error:  # a dropped connection or a timeout counts as an error
        record(None, f"error: {type(error).__name__}: {error}")


async def a_class(base, sessions, seconds, seed=0, pid=None):
    rng = random.Random(seed)
    results = {"open": [], "change": [], "bytes": [], "errors": [], "rss": [], "pages": {}}

    async def sample_memory():
        while pid and time.perf_counter() < until:
            results["rss"].append(rss_mb(pid))
            await asyncio.sleep(seconds / 10)

    def record(run, kind, page=None):
        if run is None:
            results["errors"].append(kind)
        elif run.exceptions or run.status not in ("FINISHED_SUCCESSFULLY", FRAGMENT):
            results["errors"].append(f"{kind}: {run.status} {run.exceptions[:1]}")
        else:
            results[kind].append(run.seconds)
            results["pages"].setdefault(page, []).append(run.seconds)
            if kind == "change":
                results["bytes"].append(run.bytes)
    until = time.perf_counter() + seconds
    await asyncio.gather(sample_memory(),
                         *(student(base, random.Random(rng.random()), until, record) for _ in range(sessions)))
    return results


async def one_link(base, sessions, page="playground", query="pg_surface=rosenbrock"):
    """A whole class opening the same link at once: each one's time to its last chart."""
    async def open_it():
        async with Session(base, timeout=120) as session:
            return await session.open(page, query)
    runs = await asyncio.gather(*(open_it() for _ in range(sessions)))
    return [run.seconds for run in runs if run.status == "FINISHED_SUCCESSFULLY" and run.charts]


async def memory(base, changes, pid, seed=0):
    """One session making many Playground changes: the server's RSS every 10 % of the way."""
    rng = random.Random(seed)
    samples = [(0, rss_mb(pid))]
    async with Session(base, timeout=120) as session:
        await session.open("playground")
        for k in range(1, changes + 1):
            sliders = [key for key, (which, _) in session.widgets.items() if which == "slider" and key not in SETTINGS]
            key = rng.choice(sliders)
            which, body = session.widgets[key]
            await session.change(key, random_value(which, body, rng))
            if k % max(1, changes // 10) == 0:
                samples.append((k, rss_mb(pid)))
    return samples


async def burst(base, count):
    """One tab fires `count` changes without waiting for any; another tab's reruns meanwhile. Returns
    the quiet tab's rerun times alone and during the burst, and the script runs the burst caused."""
    async with Session(base) as noisy, Session(base) as quiet:
        await noisy.open("momentum")
        await quiet.open("adam")
        alone = [(await quiet.change("adam_steps", 100 + 10 * (k % 2))).seconds for k in range(4)]
        values = [10 + 10 * (k % 39) for k in range(count)]
        await noisy.fire("mo_steps", values)
        during = [(await quiet.change("adam_steps", 120 + 10 * (k % 2))).seconds for k in range(4)]
        last = await noisy.settle(f"mo_steps={values[-1]}")
        return alone, during, last.started


def cpu_seconds(pid):
    """CPU time the server has used so far, all its threads included, ended ones too (each script
    run has its own thread): Linux's per-process CPU clock, read from outside in nanoseconds
    (clock_getcpuclockid(pid) is (~pid << 3) | CPUCLOCK_SCHED). /proc's stat counts 10 ms ticks."""
    return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9


async def cpu_per_rerun(base, pid, changes, pages=PAGES, seed=0):
    """Per page: the server's CPU time for a new tab opening it (the settings seen before: the class
    arrives after the teacher); then over `changes` random slider changes one at a time (nothing else
    running) the median CPU time and the median bytes sent per change; then the same changes again
    in another tab, every setting now in the caches (what a class costs once its caches are full),
    and the median number of messages a change sends (each is work for the browser's frontend,
    changed or not). Each is measured on its own, the server's bookkeeping after the last message
    included."""
    rng = random.Random(seed)
    figures = {}

    async def settled(before):
        await asyncio.sleep(0.15)  # the server's bookkeeping after the last message
        return cpu_seconds(pid) - before

    async def changed(session, key, value, sent, spent):
        before = cpu_seconds(pid)
        run = await session.change(key, value)
        sent.append((run.bytes, run.messages))
        spent.append(await settled(before))

    for page in pages:
        made, sent, new, seen = [], [], [], []
        async with Session(base, timeout=120) as session:
            before = cpu_seconds(pid)
            await session.open(page)
            opened = await settled(before)
            for _ in range(changes):
                sliders = [k for k, (which, _) in session.widgets.items() if which == "slider" and k not in SETTINGS]
                key = rng.choice(sliders)
                made.append((key, random_value(*session.widgets[key], rng)))
                await changed(session, *made[-1], sent, new)
        async with Session(base, timeout=120) as session:
            await session.open(page)
            for key, value in made:
                if key in session.widgets:  # a control drawn only for some values of another
                    await changed(session, key, value, [], seen)
        figures[page] = (opened, statistics.median(new), statistics.median(seen),
                         statistics.median(b for b, _ in sent), statistics.median(m for _, m in sent))
    return figures


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main(args):
    process = []
    if args.url:
        place = contextlib.nullcontext(args.url)
    elif args.replicas:
        sys.path.insert(0, str(ROOT / "deploy"))
        from serve import cluster, replica_ports
        from browser import free_port
        port = free_port()
        place = cluster(args.replicas, port)
    else:
        place = served(timeout=300, process_out=process)
    with place as base:
        pid = process[0].pid if process else None
        # each replica directly: through nginx the warm-up lands on one of them only, and the other
        # would start the run cold
        replicas = [f"http://127.0.0.1:{p}" for p in replica_ports(port, args.replicas)] if args.replicas else [base]
        for warm in replicas:
            asyncio.run(_warm(warm))
        if args.memory:
            samples = asyncio.run(memory(base, args.memory, pid))
            print(f"one session, {args.memory} Playground changes: server RSS (MB) "
                  + ", ".join(f"{k}: {mb:.0f}" for k, mb in samples))
            later = [mb for k, mb in samples if k >= args.memory // 2]
            print(f"  second half of the changes: {min(later):.0f}–{max(later):.0f} MB (bounded: the caches are full)")
            return
        if args.cpu:
            print(f"server CPU for a new tab's page open; per control change ({args.cpu} random slider changes a page), "
                  "medians: CPU for a new setting and for the same changes again (caches full), bytes and messages sent")
            mark = {True: "within", False: "OVER"}
            for page, (opened, new, seen, sent, messages) in asyncio.run(
                    cpu_per_rerun(base, pid, args.cpu, args.pages or PAGES)).items():
                print(f"  {page:<15}open {opened * 1e3:4.0f} ms   change: new {new * 1e3:4.0f} ms "
                      f"{mark[new <= 0.03]:>6}, caches full {seen * 1e3:4.0f} ms {mark[seen <= 0.03]:>6}"
                      f"{sent / 1e3:6.0f} kB sent {mark[sent <= 300_000]} in {messages:3.0f} messages")
            print("  budgets: median ≤ 30 ms of server CPU, ≤ 300 kB sent per rerun")
            return
        if args.burst:
            alone, during, runs = asyncio.run(burst(base, args.burst))
            print(f"burst of {args.burst} changes in one tab: another tab's rerun {statistics.median(alone):.2f} s alone, "
                  f"{max(during):.2f} s at worst during the burst (budget 1 s); the burst ran the page {runs} times")
            return
        before = rss_mb(pid) if pid else None
        cpu_before, client_before = (cpu_seconds(pid) if pid else None), time.process_time()
        results = asyncio.run(a_class(base, args.sessions, args.seconds, pid=pid))
        busy = (cpu_seconds(pid) - cpu_before) / args.seconds if pid else float("nan")
        client = (time.process_time() - client_before) / args.seconds
        changes, opens = results["change"], results["open"]
        print(f"{args.sessions} sessions for {args.seconds} s: {len(changes)} control changes, {len(opens)} page opens, "
              f"{len(results['errors'])} errors; the server used {busy:.2f} cores, this client {client:.2f}")
        for error in results["errors"][:5]:
            print("  ", error[:200])
        print(f"  control change → last message: p50 {percentile(changes, 0.5):.2f} s, p95 {percentile(changes, 0.95):.2f} s "
              f"(budget p95 ≤ 1 s)")
        slowest = sorted(results["pages"].items(), key=lambda item: -percentile(item[1], 0.95))[:4]
        print("  slowest pages (p95 of their opens and changes): "
              + ", ".join(f"{page} {percentile(times, 0.95):.2f} s" for page, times in slowest))
        print(f"  page open: p50 {percentile(opens, 0.5):.2f} s, p95 {percentile(opens, 0.95):.2f} s")
        if results["bytes"]:
            print(f"  bytes per control change: median {statistics.median(results['bytes']) / 1e3:.0f} kB")
        opened = asyncio.run(one_link(base, args.sessions))
        print(f"  {args.sessions} sessions opening one Playground link at once: slowest {max(opened):.2f} s, "
              f"median {statistics.median(opened):.2f} s, {args.sessions - len(opened)} failed (budget 2 s)")
        if pid:
            print(f"  server RSS (MB): {before:.0f} before, then every {args.seconds / 10:.0f} s: "
                  + ", ".join(f"{mb:.0f}" for mb in results["rss"]) + f"; {rss_mb(pid):.0f} at the end")


async def _warm(base):
    """Every page once, so the measurement starts with compiled kernels, as after `make run`."""
    async with Session(base, timeout=300) as session:
        for page in PAGES:
            await session.open(page)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url")
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--replicas", type=int, default=0, help="that many replicas behind nginx")
    parser.add_argument("--pages", type=lambda text: text.split(","), help="--cpu on these pages only (a,b,…)")
    main(parser.parse_args())
