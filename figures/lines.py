"""Curves against the step: loss, learning rate, per-coordinate quantities; and the 3-D surface."""

from dataclasses import dataclass

import numpy as np

from .contour import grid
from .style import Prepared, axis, base_layout


@dataclass(frozen=True)
class Curve:
    """One curve: its label, colour, dash and the values against x (default: 0, 1, 2, …)."""

    label: str
    color: str
    values: np.ndarray
    dash: str = "solid"
    x: np.ndarray = None


def curve_figure(curves, *, style, x_title, y_title, title=None, log_y=False, mode="lines",
                 shapes=None, height=None):
    """Curves on one axis. NaN values (after a divergence) leave gaps."""
    data = []
    for curve in curves:
        values = np.asarray(curve.values, dtype=np.float64)
        x = np.arange(len(values)) if curve.x is None else np.asarray(curve.x)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        data.append({"type": "scatter", "x": x, "y": values, "mode": mode, "name": curve.label,
                     "line": {"color": curve.color, "width": style.line_width * 0.8, "dash": curve.dash},
                     "marker": {"color": curve.color, "size": style.marker_size * 0.6},
                     "hovertemplate": curve.label + ": %{y:.5g}<extra>%{x}</extra>"})
    layout = base_layout(style, x_title, y_title, title=title)
    layout["height"] = height or int(style.height * 0.7)
    if log_y:
        layout["yaxis"] = axis(y_title, style, type="log", exponentformat="power")
    layout["hovermode"] = "x unified"
    if shapes:
        layout["shapes"] = shapes
    return Prepared({"data": data, "layout": layout})


def loss_figure(curves, *, style, x_title, y_title, title=None, log_y=False):
    return curve_figure(curves, style=style, x_title=x_title, y_title=y_title, title=title, log_y=log_y)


def coordinate_curves(label, color, values, coordinate_names):
    """Split a (steps, 2) quantity into two curves: solid for the first coordinate, dotted for the
    second (same colour: same optimizer)."""
    values = np.asarray(values, dtype=np.float64)
    return [Curve(f"{label} · {coordinate_names[0]}", color, values[:, 0]),
            Curve(f"{label} · {coordinate_names[1]}", color, values[:, 1], dash="dot")]


def surface3d_figure(surface, paths, *, style, labels, title=None, n=70):
    """The surface as a 3-D mesh with the paths lying on it (drawn a hair above the surface)."""
    xs, ys, z = grid(surface, n)
    finite = z[np.isfinite(z)]
    ceiling = np.quantile(finite, 0.98)
    clipped = np.minimum(z, ceiling)
    lift = 0.01 * (ceiling - finite.min())
    data = [{"type": "surface", "x": xs, "y": ys, "z": clipped, "colorscale": "Blues", "reversescale": True,
             "showscale": False, "opacity": 0.92, "hoverinfo": "skip",
             "contours": {"z": {"show": True, "usecolormap": False, "color": "#445", "width": 1}}}]
    for path in paths:
        points = np.asarray(path.points, dtype=np.float64)
        heights = np.minimum(surface.f(points[:, 0], points[:, 1]), ceiling) + lift
        data.append({"type": "scatter3d", "x": points[:, 0], "y": points[:, 1], "z": heights,
                     "mode": "lines", "name": path.label,
                     "line": {"color": path.color, "width": style.line_width * 2}})
        data.append({"type": "scatter3d", "x": points[:1, 0], "y": points[:1, 1], "z": heights[:1],
                     "mode": "markers", "showlegend": False, "name": labels["start"],
                     "marker": {"color": path.color, "size": style.marker_size * 0.5, "symbol": "circle-open"}})
    layout = base_layout(style, labels["x"], labels["y"], title=title)
    ticks = {"tickfont": {"size": style.font_size - 3}}
    layout["scene"] = {"xaxis": {"title": {"text": labels["x"]}, **ticks},
                       "yaxis": {"title": {"text": labels["y"]}, **ticks},
                       "zaxis": {"title": {"text": labels["loss"]}, **ticks},
                       "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.0}}}
    layout.pop("xaxis")
    layout.pop("yaxis")
    return Prepared({"data": data, "layout": layout})
