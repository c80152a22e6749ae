"""The visual language shared by every figure: colours per optimizer, the two styles, base layout.

Colours are the Okabe–Ito colour-blind-safe palette; an optimizer keeps its colour on every page.
"""

import base64
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# One colour per optimizer variant (yellow is left out: it vanishes on a light background).
PALETTE = {
    "gd": "#000000",
    "momentum": "#E69F00",
    "heavy_ball": "#D55E00",
    "nesterov": "#CC79A7",
    "rmsprop": "#009E73",
    "adagrad": "#56B4E9",
    "adam": "#0072B2",
}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def variant(optimizer, hyper=None):
    """The palette key: torch's SGD momentum is 'heavy_ball' or 'nesterov'."""
    if optimizer == "sgd_momentum":
        return "nesterov" if (hyper or {}).get("nesterov") else "heavy_ball"
    return optimizer


def color(optimizer, hyper=None):
    return PALETTE[variant(optimizer, hyper)]


@dataclass(frozen=True)
class Style:
    """Sizes for a laptop screen or a classroom projector (big type, thick lines, big markers)."""

    font_size: int
    line_width: float
    marker_size: int
    height: int
    projector: bool = False


NORMAL = Style(font_size=15, line_width=3.0, marker_size=11, height=540)
PROJECTOR = Style(font_size=22, line_width=5.0, marker_size=17, height=640, projector=True)


def style_for(projector):
    return PROJECTOR if projector else NORMAL


def axis(title, style, **extra):
    return {"title": {"text": title, "font": {"size": style.font_size + 2}}, "showgrid": False,
            "zeroline": False, "linecolor": "#444", "linewidth": 2 if style.projector else 1,
            "mirror": True, "ticks": "outside", "tickfont": {"size": style.font_size}, **extra}


def base_layout(style, x_title, y_title, title=None, **extra):
    """A light, high-contrast layout: labelled axes, legend above the plot."""
    layout = {
        "height": style.height,
        "font": {"size": style.font_size, "color": "#111"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 70, "r": 20, "t": 60 if title else 30, "b": 60},
        "xaxis": axis(x_title, style),
        "yaxis": axis(y_title, style),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0,
                   "font": {"size": style.font_size}},
        "hoverlabel": {"font": {"size": style.font_size}},
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": style.font_size + 4}}
    layout.update(extra)
    return layout


def packed(values, dtype="f4"):
    """A numeric array in plotly.js's typed-array form: half the JSON of float64, a tenth of text."""
    array = np.ascontiguousarray(values, dtype=dtype)
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


class Prepared(go.Figure):
    """A figure already in plotly.js's JSON form.

    plotly.py's validators cost 0.1–0.3 s for an animation with frames, on every rerun, inside
    st.plotly_chart; our builders emit valid specs (the tests validate each through go.Figure once),
    so this hands the spec over as it is. Only `to_dict` — all st.plotly_chart calls — is supported.
    """

    def __init__(self, spec):  # noqa: super().__init__ would validate, which is the point to skip
        self._spec = spec
        self._json = None

    def to_dict(self):
        return self._spec

    def __reduce__(self):
        return (Prepared, (self._spec,))

    @property
    def spec(self):
        return self._spec

    def json(self):
        """The spec as plotly.io.to_json writes it, encoded once: a cached figure is sent again
        and again, and encoding costs ≈ 1.4 ms per 100 kB each time."""
        if self._json is None:
            self._json = pio.json.to_json_plotly(self._spec)
        return self._json

    def validated(self):
        """The same figure through plotly.py's validators (tests), without the player's entry."""
        return go.Figure({key: value for key, value in self._spec.items() if key != "player"})
