"""Hostile and careless input: link text stays inert, errors stay short, chart clicks are checked,
stray link values are dropped, and old runs do not stay alive in a session."""

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
        match = re.fullmatch(rf"- \*\*{key}\*\* = `([^`]*)` \(not a number in \[[^\]]*\]\)", line)
        assert match, line
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
    at = app("playground")
    for steps in range(100, 400, 10):
        at.slider(key="pg_steps").set_value(steps).run()
    assert_healthy(at)
    gc.collect()
    alive = sum(isinstance(o, optimizers.Trajectory) for o in gc.get_objects())
    assert alive <= 2 * 6, alive  # the last run's paths (up to six racers), at most twice over
