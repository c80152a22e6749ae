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


def deflated(figures):
    """The specs of `figures` (Prepared) for the player component: each figure's JSON compressed
    (zlib, once per figure) and joined, and the length of each part."""
    parts = [figure.deflated() for figure in figures]
    return b"".join(parts), [len(part) for part in parts]


def page(figures, options, title="Descent Lab"):
    """A standalone HTML page: plotly.js, the player and the figures, opening on the final step."""
    script = (FRONTEND / "player.js").read_text(encoding="utf-8")
    style = (FRONTEND / "player.css").read_text(encoding="utf-8").replace("overflow: hidden;", "")
    specs = ("[" + ",".join(figure.json() for figure in figures) + "]").replace("</", "<\\/")
    settings = json.dumps(options).replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{style} body {{ padding: 1rem; }}</style>
<script>{get_plotlyjs()}</script>
<script>{script}</script></head>
<body><div id="root"></div>
<script>window.player = DescentPlayer.mount(document.getElementById("root"), {specs}, {settings});</script>
</body></html>
"""

