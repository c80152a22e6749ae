"""`make serve`: replicas behind nginx keep each session on its server and share the class out."""

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))

from stclient import Session  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed (make test installs it)")


@pytest.fixture(scope="module")
def nginx():
    from browser import free_port
    from serve import cluster
    port = free_port()
    with cluster(replicas=2, port=port, address="127.0.0.1") as url:
        yield url


def test_a_session_keeps_its_replica_through_nginx(nginx):
    async def visit():
        async with Session(nginx) as session:
            replica = session.socket.response.headers["X-Replica"]
            first = await session.open("momentum")
            changed = await session.change("mo_steps", 120)
            again = await session.change("mo_beta", 0.8)
            return replica, first, changed, again
    replica, first, changed, again = asyncio.run(visit())
    assert replica.startswith("127.0.0.1:")
    assert first.status == changed.status == again.status == "FINISHED_SUCCESSFULLY"
    assert first.charts and not first.exceptions
    # the second change saw the first: the same server kept the session's state over one websocket
    assert again.query == "mo_steps=120&mo_beta=0.8"


def test_new_sessions_are_spread_over_both_replicas(nginx):
    async def replicas():
        seen = set()
        for _ in range(12):
            async with Session(nginx) as session:
                seen.add(session.socket.response.headers["X-Replica"])
        return seen
    assert len(asyncio.run(replicas())) == 2


def test_a_browser_keeps_its_replica_for_every_request(nginx):
    """Page, scripts, websocket: after the first response sets the affinity cookie, every request of
    that browser goes to one replica."""
    import urllib.request
    with urllib.request.urlopen(nginx + "/momentum") as first:
        cookie = next(v for k, v in first.headers.items() if k == "Set-Cookie" and "descent_lab_replica" in v)
    request = urllib.request.Request(nginx + "/_stcore/health", headers={"Cookie": cookie.split(";")[0]})
    served_by = set()
    for _ in range(8):
        with urllib.request.urlopen(request) as reply:
            served_by.add(reply.headers["X-Replica"])
    assert len(served_by) == 1


def test_the_players_plotly_js_is_kept_by_browsers_for_a_day(nginx):
    import urllib.request

    async def visit():
        async with Session(nginx) as session:
            return await session.open("momentum")  # the first view publishes the static copy
    assert asyncio.run(visit()).charts
    with urllib.request.urlopen(nginx + "/app/static/plotly.min.js") as reply:
        assert reply.status == 200 and len(reply.read()) > 1_000_000
        assert reply.headers["Cache-Control"] == "public, max-age=86400"


def _precomputing():
    """pids of processes training lesson 12's settings (optimizers.course_network)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"optimizers.course_network" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_make_serve_trains_lesson_12_in_the_background_at_the_lowest_priority(tmp_path):
    import os
    import time

    from browser import free_port
    from serve import cluster

    from optimizers import course_network
    kept = course_network.folder()
    assert kept is not None, "no writable folder for lesson 12's trainings"
    aside = tmp_path / "kept"
    if kept.exists():  # with every setting kept already, the training would end at once: set them aside
        kept.rename(aside)
    try:
        assert not _precomputing()
        with cluster(replicas=1, port=free_port(), address="127.0.0.1", precompute=True):
            deadline = time.monotonic() + 30
            while not _precomputing() and time.monotonic() < deadline:  # until `nice` has started it
                time.sleep(0.1)
            (pid,) = _precomputing()
            assert os.getpriority(os.PRIO_PROCESS, pid) == 19
        assert not _precomputing()
    finally:
        shutil.rmtree(kept, ignore_errors=True)
        if aside.exists():
            aside.rename(kept)
