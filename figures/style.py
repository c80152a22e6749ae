"""The visual language shared by every figure: colours per optimizer, the two styles, base layout.

Colours are the Okabe–Ito colour-blind-safe palette; an optimizer keeps its colour on every page.
"""

import base64
import collections
import hashlib
import json
import pickle
import threading
import zlib
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

import optimizers

# One colour per optimizer variant, from each optimizer's record (Okabe–Ito; yellow is left out
# because it vanishes on a light background, so the eighth, AdamW, takes Tol's colour-blind-safe wine).
PALETTE = {variant: colour for record in optimizers.OPTIMIZERS.values() for variant, colour in record.colors.items()}
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


def stacked_widths(count, width):
    """Line widths for `count` paths drawn in order: the first widest, each next one narrower, so that
    where paths coincide each still shows as a rim around the ones drawn over it."""
    if count <= 1:
        return [float(width)] * count
    step = min(max(1.0, 0.25 * width), 1.2 * width / (count - 1))  # the widest ≤ 2.2 × the narrowest
    return [float(width + step * (count - 1 - k)) for k in range(count)]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def tick_text(value):
    """A log axis' label in full: 0.5, 2, 5000, and 2×10⁻⁵ or 10⁶ beyond four decimal places."""
    if 1e-4 <= value < 1e5:
        return f"{value:.6g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}×{power}"


def log_ticks(values):
    """tickvals and ticktext for a log axis over these values: 1, 2, 5 a decade over up to three
    decades, one or every few decades beyond; each label the full number (never a bare "5")."""
    values = np.concatenate([np.ravel(v) for v in values] or [np.zeros(0)])
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return {}
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    decades = max(high - low, 1)
    if decades <= 3:
        ticks = [m * 10.0 ** e for e in np.arange(low, high + 1) for m in (1, 2, 5)]
    else:
        stride = int(np.ceil(decades / 8))
        ticks = [10.0 ** e for e in np.arange(high, low - 1, -stride)[::-1]]  # the top decade labelled
    ticks = [v for v in ticks if values.min() / 1.5 <= v <= values.max() * 1.5] or [10.0 ** low]
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [tick_text(v) for v in ticks]}


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


SHARED = 8_000  # characters: a string this long is compressed on its own (Prepared.deflated)
_MARK = "@@descent-lab-shared@@"
_SHARED_KEPT = 256  # the compressed long strings last used (a surface's backdrop is two or three)
_shared_streams = collections.OrderedDict()
_shared_lock = threading.Lock()


def _set_aside(node, found):
    """The spec with each string of SHARED characters or more replaced by _MARK, appended to
    `found` in the order the JSON encoder meets them."""
    if isinstance(node, dict):
        return {key: _set_aside(value, found) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_set_aside(value, found) for value in node]
    if isinstance(node, str) and len(node) >= SHARED:
        found.append(node)
        return _MARK
    return node


_FIGURES_KEPT = 128  # the deflated streams of the figures last sent (a page rebuilds some each rerun)
_figure_streams = collections.OrderedDict()


def _kept(store, key, make, most):
    """store[key], made once while it stays among the `most` last used (an LRU shared by threads)."""
    with _shared_lock:
        found = store.get(key)
        if found is not None:
            store.move_to_end(key)
            return found
    made = make()
    with _shared_lock:
        store[key] = made
        while len(store) > most:
            store.popitem(last=False)
    return made


def _shared_stream(text):
    """The string's JSON, zlib-compressed: once while it stays among the last _SHARED_KEPT used."""
    return _kept(_shared_streams, text, lambda: zlib.compress(json.dumps(text).encode(), 1), _SHARED_KEPT)


class Prepared(go.Figure):
    """A figure already in plotly.js's JSON form.

    plotly.py's validators cost 0.1–0.3 s for an animation with frames, on every rerun, inside
    st.plotly_chart; our builders emit valid specs (the tests validate each through go.Figure once),
    so this hands the spec over as it is. Only `to_dict` — all st.plotly_chart calls — is supported.
    """

    def __init__(self, spec):  # noqa: super().__init__ would validate, which is the point to skip
        self._spec = spec
        self._deflated = None

    def to_dict(self):
        return self._spec

    def __reduce__(self):
        return (Prepared, (self._spec,))

    @property
    def spec(self):
        return self._spec

    def json(self):
        """The spec as plotly.io.to_json writes it (≈ 1.4 ms per 100 kB)."""
        return pio.json.to_json_plotly(self._spec)

    def deflated(self):
        """json() as zlib streams whose texts, joined, are the spec's JSON: what the player is sent
        (about a third of the bytes). Each string of SHARED characters or more (a map's raster and
        contour lines, a long path's packed points) is a stream of its own, compressed once for
        every figure that carries it: the maps of one surface share their backdrop, and a new
        setting rebuilds a figure around the same one. Made once per figure (a cached figure is
        sent again and again, and only these bytes are kept), at zlib level 1: half the CPU of
        level 6 (5.8 against 11.2 ms for lesson 8's 0.3 MB of charts) for 3–10 % more bytes."""
        if self._deflated is None:
            # A figure a page builds anew on every rerun (not cached) is mostly the same figure as
            # the last time: its streams are found by the spec's fingerprint (its pickle, hashed:
            # 0.03 ms for a 16 kB curve chart, against 0.2 ms to encode and compress it).
            fingerprint = hashlib.blake2b(pickle.dumps(self._spec, protocol=5), digest_size=16).digest()
            self._deflated = _kept(_figure_streams, fingerprint, self._streams, _FIGURES_KEPT)
        return self._deflated

    def _streams(self):
        shared = []
        pieces = pio.json.to_json_plotly(_set_aside(self._spec, shared)).split(f'"{_MARK}"')
        if len(pieces) != len(shared) + 1:  # the mark in the data itself: one stream
            return (zlib.compress(self.json().encode(), 1),)
        streams = [zlib.compress(pieces[0].encode(), 1)]
        for text, piece in zip(shared, pieces[1:]):
            streams += [_shared_stream(text), zlib.compress(piece.encode(), 1)]
        return tuple(streams)

    def validated(self):
        """The same figure through plotly.py's validators (tests), without the player's entry."""
        return go.Figure({key: value for key, value in self._spec.items() if key != "player"})
