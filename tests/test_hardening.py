"""Hostile and careless input: link text stays inert, errors stay short, chart clicks are checked,
stray link values are dropped, and old runs do not stay alive in a session."""

import asyncio
import gc
import math
import re
import tomllib
from pathlib import Path

import pytest

from test_pages import app, assert_healthy

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = [
    "\n\n[Fix this link](https://evil.example/x)",  # the three reproductions
    "\n\n![t](https://evil.example/t.png)",
    "\n\n# Server moved",
    "`\n\n[x](https://evil.example)`",  # close the code span, then markup
    "<img src=https://evil.example/i.png>",
    "https://evil.example/autolink",
    "**bold** _it_ :red[colour] $x^2$",
    "a\u202eevil\u2066\u200b\r\n\t- item",  # bidi override, zero-width, CR LF, tab, list marker
    "``` code fence",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_link_text_is_shown_inside_one_code_span(payload):
    """The bad-link notice shows the visitor's value only inside a one-line code span (no backtick,
    no line break that could end it): CommonMark treats everything in there as literal text."""
    at = app("momentum", mo_beta=payload, mo_steps=payload)
    assert_healthy(at)
    notice = at.warning[0].value
    lines = notice.split("\n")
    assert len(lines) == 3, notice  # the sentence and one item per bad value, nothing more
    for key, line in zip(("mo_beta", "mo_steps"), lines[1:]):
        match = re.fullmatch(rf"- \*\*{key}\*\* = `([^`]*)` \((.*)\)", line)
        assert match, line
        reason = match.group(2)
        assert re.fullmatch(r"not a number in \[[^\]]*\]", reason.replace("\\", "")), line
        assert "\\[" in reason  # the reason too is escaped text, never markup
        shown = match.group(1)
        assert shown == shown.strip() and len(shown) <= 40
        assert not any(ord(c) < 32 or c in "\u202e\u2066\u200b" for c in shown)


def test_chinese_notice_keeps_the_value_inert_too():
    at = app("momentum", lang="zh", mo_beta=PAYLOADS[0])
    line = at.warning[0].value.split("\n")[1]
    assert re.fullmatch(r"- \*\*mo_beta\*\* = `[^`\n]*`（.*）", line), line


def test_a_failing_page_shows_one_short_message_and_no_traceback(monkeypatch):
    import figures

    def broken(*args, **kwargs):
        raise RuntimeError("/secret/server/path.py line 12")

    monkeypatch.setattr(figures, "curve_figure", broken)
    at = app("decay")
    assert not at.exception  # nothing reaches the page as an exception (with its traceback)
    assert [e.value for e in at.error] == ["Something went wrong on this page. The details are in the server's "
                                           "log; try another setting, or open the page again from the menu."]
    assert "secret" not in " ".join(str(m.value) for m in at.markdown)


def test_the_server_hides_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.parametrize("points, expected", [
    ([{"x": 1.0, "y": -0.5}], (1.0, -0.5)),
    ([{"x": "1.5", "y": "0.5"}], (1.5, 0.5)),  # numbers as text: parsed like a link's value
    ([{"x": 2.0000000001, "y": 0.0}], (2.0, 0.0)),  # a float32 hair outside: onto the edge
    ([{"x": math.nan, "y": 0.0}], None),
    ([{"x": "nan", "y": 0.0}], None),
    ([{"x": math.inf, "y": 0.0}], None),
    ([{"x": 1e300, "y": 0.0}], None),
    ([{"x": 3.0, "y": 0.0}], None),  # off the map
    ([{"x": "abc", "y": 0.0}], None),
    ([{"y": 0.0}], None),
    ([{"x": [1], "y": 0.0}], None),
    ([], None),
    (None, None),
    ("points", None),
])
def test_chart_clicks_are_checked_like_link_values(points, expected):
    from app_pages.common import clicked_point
    assert clicked_point(points, (-2.0, 2.0, -2.0, 2.0)) == expected


def test_values_for_controls_that_are_not_drawn_leave_the_link():
    # slot 0 is plain GD (no β) and slot 1 the heavy ball (no β either): both values belong to no control
    at = app("playground", pg_o0_beta="1e308", pg_o1_beta="0.5", pg_steps="200", pg_unknown="x")
    assert_healthy(at)
    params = dict(at.query_params)
    assert "pg_o0_beta" not in params and "pg_o1_beta" not in params and "pg_unknown" not in params
    assert params["pg_steps"] in ("200", ["200"])  # a drawn control's value stays


def test_old_runs_do_not_stay_alive_in_a_session():
    """Changing the Playground again and again keeps only the current run's trajectories alive: no
    callback holds an old run (its figure, its paths) in the session."""
    import optimizers
    def alive():
        gc.collect()
        return sum(isinstance(o, optimizers.Trajectory) for o in gc.get_objects())

    at = app("playground")
    before = alive()  # what earlier tests left in this process (their pages' caches) counts for neither
    for steps in range(100, 400, 10):
        at.slider(key="pg_steps").set_value(steps).run()
    assert_healthy(at)
    grown = alive() - before
    assert grown <= 2 * 6, grown  # the last run's paths (up to six racers), at most twice over


# ----------------------------------------------------------------------------- read-only deployments

def read_only(folders):
    """wrap() for browser.served: run the server in a private mount namespace where `folders` are
    read-only bind mounts (as in a container with read-only code)."""
    import shlex

    def wrap(command):
        mounts = " && ".join(f"mount --bind -o ro {shlex.quote(str(f))} {shlex.quote(str(f))}" for f in folders)
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", f"{mounts} && exec {shlex.join(command)}"]
    return wrap


def pages_work(base):
    """Two pages load over the websocket with their charts and no error."""
    import asyncio

    from stclient import Session

    async def visit():
        async with Session(base, timeout=600) as session:
            return [await session.open(page) for page in ("decay", "saddle")]
    for run in asyncio.run(visit()):
        assert run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions, run.exceptions
        assert run.charts and not [text for kind, text in run.alerts if kind == 1], run.alerts  # 1: error


@pytest.fixture
def mount_namespaces():
    import shutil
    import subprocess
    probe = ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount --bind -o ro /tmp /tmp"]
    if shutil.which("unshare") is None or subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("needs a private mount namespace (root): read-only folders are simulated with bind mounts")


def test_pages_work_with_code_temp_and_home_read_only(mount_namespaces, tmp_path):
    import os

    from browser import served
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    with open(tmp_path / "server.log", "w+b") as log:
        with served(timeout=300, wrap=read_only([ROOT, "/tmp", "/var/tmp", Path.home()]), env=env, log=log) as base:
            pages_work(base)
        log.seek(0)
        assert b"compile in memory" in log.read()  # the operator is told why start-up is slow


def test_pages_work_when_the_given_cache_folder_is_read_only(mount_namespaces, tmp_path):
    import os

    from browser import served
    given = tmp_path / "numba-cache"
    given.mkdir()
    with open(tmp_path / "server.log", "w+b") as log:
        with served(timeout=300, wrap=read_only([ROOT, Path.home(), given]),
                    env={**os.environ, "NUMBA_CACHE_DIR": str(given)}, log=log) as base:
            pages_work(base)
        log.seek(0)
        assert b"is not writable" in log.read()


# ----------------------------------------------------------------------------- crafted messages (real server)

@pytest.fixture(scope="module")
def server():
    from browser import served
    with served() as base:
        yield base


def test_no_page_that_embeds_the_app_may_control_it(server):
    """The host configuration the browser fetches allows no origin to post commands (rerun, stop,
    set an auth token) into the app, so the app never listens for them. Streamlit's default allowed
    16 of its cloud's origins, each tested for every message the app posts to its own window."""
    import json
    import urllib.request
    with urllib.request.urlopen(server + "/_stcore/host-config", timeout=30) as reply:
        assert json.load(reply)["allowedOrigins"] == []


CRAFTED = [
    {"n": 1, "x": math.nan, "y": 0.0},
    {"n": 1, "x": "abc", "y": 0.0},
    {"n": 1, "y": 0.0},
    {"n": 1, "x": math.inf, "y": 1.0},
    {"n": 1, "x": 1e300, "y": 1.0},
    "all of them",
    [{"x": 1.0, "y": 0.5}],
    None,
]


@pytest.mark.parametrize("selection", CRAFTED)
def test_crafted_chart_clicks_change_nothing(server, selection):
    """A click no browser would send, over the websocket: no error, and the start stays put."""
    import asyncio
    import json

    from stclient import Session

    async def probe():
        async with Session(server) as session:
            first = await session.open("playground", "pg_surface=bowl")
            _, chart = first.widgets["chart-pg_map"]
            return await session.send_raw(chart.id, json_value=json.dumps(selection))
    after = asyncio.run(probe())
    assert after.status == "FINISHED_SUCCESSFULLY" and not after.exceptions, after.exceptions
    assert not [text for kind, text in after.alerts if kind == 1], after.alerts
    assert "pg_custom_start" not in after.query and "pg_x0" not in after.query, after.query


def test_a_real_click_sets_the_start(server):
    import asyncio
    import json

    from stclient import Session

    async def probe():
        async with Session(server) as session:
            first = await session.open("playground", "pg_surface=bowl")
            _, chart = first.widgets["chart-pg_map"]
            click = {"n": 1, "x": 1.0, "y": -0.5, "figure": 0, "trace": 9}
            return await session.send_raw(chart.id, json_value=json.dumps(click))
    after = asyncio.run(probe())
    assert "pg_custom_start=true" in after.query and "pg_x0=1" in after.query and "pg_y0=-0.5" in after.query


def test_a_click_on_the_saddle_inspector_reruns_its_section_with_the_point(server):
    """The curvature map sits in the inspector's section: a click reruns that section alone, and the
    typed point, its toggle and the link take the clicked point."""
    import asyncio

    from stclient import Session

    async def probe():
        async with Session(server) as session:
            await session.open("saddle")
            return await session.change("chart-sd_curvature", {"n": 1, "x": 0.5, "y": -0.25, "figure": 0, "trace": 3})
    after = asyncio.run(probe())
    assert after.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and not after.exceptions, after.exceptions
    assert {"sd_custom=true", "sd_px=0.5", "sd_py=-0.25"} <= set(after.query.split("&")), after.query
    assert any("(0.5, -0.25)" in text for text in after.markdown), after.markdown


# ----------------------------------------------------------------------------- fairness and start-up

def test_a_burst_of_changes_runs_only_the_newest(server):
    """200 changes fired without waiting (a key held down, a frantic tab) are coalesced: the running
    script stops at its next Streamlit call and only the newest pending value is run, so the burst
    costs a handful of runs, not 200, and ends on the last value. Meanwhile another tab is served."""
    import asyncio

    from stclient import Session
    values = [10 + 10 * (k % 39) for k in range(200)]  # ends on 50, after 39 other values

    async def probe():
        async with Session(server) as noisy, Session(server) as quiet:
            await noisy.open("momentum")
            await quiet.open("adam")
            await noisy.fire("mo_steps", values)
            other = await quiet.change("adam_steps", 120)
            return await noisy.settle("mo_steps=50"), other
    last, other = asyncio.run(probe())
    assert not last.exceptions and last.charts
    assert 1 <= last.started <= 20, last.started
    assert other.status == "FINISHED_SUCCESSFULLY" and "adam_steps=120" in other.query.split("&")


def test_no_full_collection_after_every_run_and_the_imports_frozen():
    """A full gc.collect() after every script run (Streamlit's default) held the GIL 80–110 ms a
    rerun: one tab firing 200 changes stalled every other tab for 26 s. Off, with the imports
    frozen out of the collector's sight (bench/load.py --burst 200: 0.7 s at worst)."""
    import gc

    import app_pages.common  # noqa: F401  (freezes what the imports created)
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert gc.get_freeze_count() > 50_000


def test_make_run_compiles_the_kernels_before_it_serves():
    import subprocess
    lines = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    warm = next(i for i, line in enumerate(lines) if "warm_up()" in line)
    serve = next(i for i, line in enumerate(lines) if "app_pages.server run" in line)
    assert warm < serve


def test_make_serve_compiles_the_kernels_before_any_replica_starts(monkeypatch):
    """`make serve` (deploy/serve.py) warms up first too: no replica accepts a visitor while the
    kernels compile (10 first visitors on a cold cache waited 6.7–13.2 s)."""
    import sys
    sys.path.insert(0, str(ROOT / "deploy"))
    import serve

    calls = []

    class Started(Exception):
        pass

    def popen(command, **options):
        calls.append("replica" if "app_pages.server" in command else command[0])
        raise Started

    monkeypatch.setattr(serve.shutil, "which", lambda name: sys.executable)  # any file that exists
    monkeypatch.setattr(serve.subprocess, "run", lambda command, **options: calls.append(
        "warm_up" if "warm_up()" in command[-1] else command))
    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    with pytest.raises(Started):
        with serve.cluster(replicas=2, port=18_000):
            pass
    assert calls == ["warm_up", "replica"]


def test_plotly_js_is_published_as_it_is_or_left_to_the_component_copy(tmp_path):
    """The players' plotly.js bundles go into the app's static folder byte for byte with their
    dates; where that folder cannot be written (read-only code) the page keeps the component's
    copies, no error."""
    from app_pages import player
    from figures.player import CARTESIAN_JS
    for source in (player.PLOTLY_JS, CARTESIAN_JS):
        target = tmp_path / "static" / source.name
        assert player.publish_plotly(target, source) is True
        assert target.read_bytes() == source.read_bytes()
        assert target.stat().st_mtime == source.stat().st_mtime
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    assert player.publish_plotly(blocked / "plotly.min.js") is False
    html = (ROOT / "figures" / "player" / "index.html").read_text()
    assert html.index("../../app/static/plotly-cartesian.min.js") < html.index("'<script src=\"plotly-cartesian.min.js\"")
    assert html.index("../../app/static/plotly.min.js") < html.index("../app_pages.player.plotlyjs/plotly.min.js")


@pytest.mark.parametrize("page, key, value, sidebar, charts", [
    ("momentum", "mo_inspect", 40, ("mo_beta", 0.8), 1), ("adam", "adam_ledger", 7, ("adam_beta1", 0.8), 0),
    ("minibatch", "mb_inspect", 9, ("mb_lr", 0.05), 2), ("saddle", "sd_inspect", 12, ("sd_momentum", 0.5), 1),
    ("playground", "pg_inspect_step", 40, ("pg_noise", 0.5), 1)])
def test_a_step_inspector_reruns_its_own_section_only(server, page, key, value, sidebar, charts):
    """Scrubbing through the steps of one run (a ledger, an inspector map) reruns that section, not
    the page (st.fragment): under a third of the messages, the section's charts alone. The link keeps the step, a
    full rerun afterwards keeps it too, and the section speaks the page's language (its rerun skips
    app.py)."""
    from stclient import Session
    from app_pages.i18n import STRINGS

    async def visit():
        async with Session(server) as session:
            whole = await session.open(page, "lang=zh&pg_view=inspector" if page == "playground" else "lang=zh")
            scrubbed = await session.change(key, value)
            label = session.widgets[key][1].label
            changed = await session.change(*sidebar)
            return whole, scrubbed, label, changed
    whole, scrubbed, label, changed = asyncio.run(visit())
    assert scrubbed.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and not scrubbed.exceptions
    assert label == STRINGS["zh"][{"mo_inspect": "momentum.inspect", "adam_ledger": "adam.ledger_step",
                                   "mb_inspect": "minibatch.inspect", "sd_inspect": "saddle.inspect_step",
                                   "pg_inspect_step": "playground.inspect_step"}[key]]
    assert scrubbed.messages * 3 < whole.messages and scrubbed.charts == charts
    assert f"{key}={value}" in scrubbed.query.split("&")
    assert changed.status == "FINISHED_SUCCESSFULLY"
    assert {f"{key}={value}", f"{sidebar[0]}={sidebar[1]:g}"} <= set(changed.query.split("&"))


def test_a_step_inspector_keeps_its_step_when_the_number_of_steps_changes(server):
    """A slider whose range changes is a new widget to Streamlit (it would start at its default): the
    inspected step stays where the student left it, moved into the new range when it falls outside."""
    import asyncio

    from stclient import Session

    async def probe():
        async with Session(server) as session:
            await session.open("playground", "pg_view=inspector")
            await session.change("pg_inspect_step", 40)
            fewer = await session.change("pg_steps", 300)
            shortest = await session.change("pg_steps", 20)
            return fewer, shortest
    fewer, shortest = asyncio.run(probe())
    assert "pg_inspect_step=40" in fewer.query.split("&"), fewer.query
    assert "pg_inspect_step=19" in shortest.query.split("&"), shortest.query  # the last step of 20
    assert "**Step t in numbers** (t = 19)" in shortest.markdown, shortest.markdown
