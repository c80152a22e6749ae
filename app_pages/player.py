"""Figures on the page through the animation player (figures/player): Play, one step back or
forward, a step slider, paired maps under one Play, clicks on the map."""

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import plotly
import streamlit.components.v1 as components

from figures import player as frontend

from .i18n import t

# The player's page, and plotly.js: the full bundle from the installed plotly package (served as it
# is, so the browser runs the plotly.js that plotly.py's specs were written for), and the player's
# cartesian bundle of the same version (figures/player/CARTESIAN_JS), which most players load alone.
_PLAYER = components.declare_component("player", path=str(frontend.FRONTEND))
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
components.declare_component("plotlyjs", path=str(PLOTLY_JS.parent))
# Both files in the app's static folder too (server.enableStaticServing): Streamlit serves component
# files as "Cache-Control: public" with no Last-Modified or ETag, so a browser fetched plotly.js
# (4.8 MB, gzipped anew by the server, ≈ 0.2 s of its CPU each time) again for every player on every
# page it showed. Static files carry Last-Modified, so browsers keep them. The player's page falls
# back to the component's copies when these are missing (read-only code).
STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_PLOTLY_JS = STATIC / PLOTLY_JS.name
STATIC_CARTESIAN_JS = STATIC / frontend.CARTESIAN_JS.name


def publish_plotly(target=STATIC_PLOTLY_JS, source=PLOTLY_JS):
    """Copy a plotly.js bundle into the static folder, keeping its modification time (browsers keep
    a file for a tenth of its age since then), and again when the source changes size (another
    plotly). Returns whether the copy is there."""
    try:
        if target.exists() and target.stat().st_size == source.stat().st_size:
            return True
        target.parent.mkdir(exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.copy2(source, partial)
        os.replace(partial, target)
        return True
    except OSError as error:
        logging.getLogger("descent_lab").warning("%s not published to %s (%s): players load the "
                                                 "component's copy, which browsers do not cache",
                                                 source.name, target, error)
        return False


publish_plotly()
publish_plotly(STATIC_CARTESIAN_JS, frontend.CARTESIAN_JS)

CONFIG = {"displaylogo": False, "responsive": True,
          "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "descent-lab"}}


def options(font_size, speed=1.0, clickable=False, columns=None, fit=False):
    """What the player needs besides the figures: its labels, a race's length, its font size;
    fit: the projector stage (a chart and its controls fit on the screen)."""
    labels = {"play": t("common.play"), "pause": t("common.pause"), "step": t("common.step"),
              "back": t("common.step_back"), "forward": t("common.step_forward")}
    return {"labels": labels, "seconds": frontend.RACE_SECONDS / speed, "fontSize": font_size,
            "config": CONFIG, "clickable": clickable, "columns": columns, "fit": fit}


def show(figures, key, settings, on_click=None):
    """Draw `figures` (Prepared) side by side under one set of controls; returns the last click
    ({"x", "y", "n", ...}) or None. on_click runs (as a widget callback) when the map is clicked."""
    specs, parts = frontend.deflated(figures)
    # the browser redraws when the JSON arguments change (not the bytes alone): a digest tells it.
    # Everything but the bytes travels as one text: Streamlit tests every other argument for a
    # dataframe, ≈ 0.25 ms a player for a list of lists and a dict.
    about = json.dumps({"parts": parts, "full": not frontend.cartesian(figures), "options": settings,
                        "digest": hashlib.blake2b(specs, digest_size=8).hexdigest()}, separators=(",", ":"))
    return _PLAYER(specs=specs, about=about, key=key, default=None, on_change=on_click)
