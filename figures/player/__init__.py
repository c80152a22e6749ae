"""The animation player's front end (player.js): the figures' own data animated in the browser.

A figure's spec carries a "player" entry (see figures/animation.py) that says which traces grow and
which clouds move; the browser draws the race from that at the display's frame rate, with Play,
one step back or forward, and a step slider. One player can drive several figures (paired maps).
`page()` is the same player as a standalone HTML file (the export).
"""

import html
import json
from pathlib import Path

from plotly.offline import get_plotlyjs

FRONTEND = Path(__file__).parent
RACE_SECONDS = 10.0  # a race at 1×, whatever its number of steps: time to talk it through
# plotly.js's cartesian bundle (npm's plotly.js-cartesian-dist-min, at the version of plotly.py's own
# plotly.js): every 2-D trace, and a third of the full bundle for the browser to parse and run
# (0.36 s against 1.04 s in a new Chromium profile). A figure with any other trace (scatter3d,
# surface) needs the full bundle.
CARTESIAN_JS = FRONTEND / "plotly-cartesian.min.js"
CARTESIAN_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})


def cartesian(figures):
    """Whether the cartesian bundle draws every trace of `figures` (Prepared)."""
    return all(trace.get("type", "scatter") in CARTESIAN_TRACES
               for figure in figures for trace in figure.spec.get("data", ()))


def deflated(figures):
    """The specs of `figures` (Prepared) for the player component: every figure's zlib streams
    (Prepared.deflated), joined, and for each figure the lengths of its streams."""
    streams = [figure.deflated() for figure in figures]
    return b"".join(b"".join(own) for own in streams), [[len(part) for part in own] for own in streams]


def page(figures, options, title="Descent Lab"):
    """A standalone HTML page: plotly.js (the cartesian bundle when it is enough), the player and the
    figures, opening on the final step."""
    script = (FRONTEND / "player.js").read_text(encoding="utf-8")
    style = (FRONTEND / "player.css").read_text(encoding="utf-8").replace("overflow: hidden;", "")
    specs = ("[" + ",".join(figure.json() for figure in figures) + "]").replace("</", "<\\/")
    settings = json.dumps(options).replace("</", "<\\/")
    plotly_js = CARTESIAN_JS.read_text(encoding="utf-8") if cartesian(figures) else get_plotlyjs()
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{style} body {{ padding: 1rem; }}</style>
<script>{plotly_js}</script>
<script>{script}</script></head>
<body><div id="root"></div>
<script>window.player = DescentPlayer.mount(document.getElementById("root"), {specs}, {settings});</script>
</body></html>
"""

