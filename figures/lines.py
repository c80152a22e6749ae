"""Curves against the step: loss, learning rate, per-coordinate quantities; and the 3-D surface."""

from dataclasses import dataclass

import numpy as np

from .animation import player_entry
from .contour import grid
from .style import Prepared, axis, base_layout, log_ticks, packed, stacked_widths


@dataclass(frozen=True)
class Curve:
    """One curve: its label, colour, dash and the values against x (default: 0, 1, 2, …)."""

    label: str
    color: str
    values: np.ndarray
    dash: str = "solid"
    x: np.ndarray = None
    mode: str = None  # "lines", "markers", …; None: the figure's mode
    symbol: str = "circle"  # the marker's shape


def shaded_spans(mask, color="rgba(213,94,0,0.14)"):
    """Background bands (layout shapes) over every run of consecutive steps where `mask` holds."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [{"type": "rect", "xref": "x", "yref": "paper", "x0": float(start) - 0.5, "x1": float(stop) - 0.5,
             "y0": 0, "y1": 1, "fillcolor": color, "line": {"width": 0}, "layer": "below"}
            for start, stop in zip(edges[::2], edges[1::2])]


def diverged_from(values):
    """The index from which a curve is non-finite to its end (its run diverged there), else None."""
    finite = np.isfinite(np.asarray(values, dtype=np.float64))
    if finite.all() or not finite.any():
        return None
    last = int(np.flatnonzero(finite)[-1])
    return last + 1 if last + 1 < len(finite) else None


def diverged_notes(diverged, text, font_size):
    """One line per diverged run at the chart's top left: [(name, step)] through `text`."""
    return [{"xref": "paper", "yref": "paper", "x": 0.01, "y": 0.98 - 0.075 * k, "xanchor": "left",
             "yanchor": "top", "showarrow": False, "text": "✕ " + text.format(name=name, step=step),
             "font": {"size": font_size, "color": "#B00020"}, "bgcolor": "rgba(255,255,255,0.85)"}
            for k, (name, step) in enumerate(diverged)]


def curve_figure(curves, *, style, x_title, y_title, title=None, log_y=False, log_x=False, mode="lines",
                 shapes=None, height=None, x_ticks=None, diverged_text=None):
    """Curves on one axis. NaN values (after a divergence) leave gaps. x_ticks: where to label the
    x axis (default: plotly's choice).

    A diverged curve (non-finite to its end) is kept out of the y range: the axis spans the curves
    that did not diverge and where the diverged ones started, and `diverged_text` ("{name} … {step}")
    says on the chart which runs diverged and when."""
    data, shown, diverged = [], [], []
    widths = stacked_widths(len(curves), style.line_width * 0.8)
    for curve, width in zip(curves, widths):
        values = np.asarray(curve.values, dtype=np.float64)
        step = diverged_from(values)
        if step is not None:
            diverged.append((curve.label, step))
        x = np.arange(len(values)) if curve.x is None else np.asarray(curve.x)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        shown.append(values)
        # float64 in binary: exact numbers for hover and tests, and far cheaper to encode than JSON text
        data.append({"type": "scatter", "x": packed(x, "f8"), "y": packed(values, "f8"), "mode": curve.mode or mode,
                     "name": curve.label,
                     "line": {"color": curve.color, "width": width, "dash": curve.dash},
                     "marker": {"color": curve.color, "size": style.marker_size * 0.6, "symbol": curve.symbol,
                                "line": {"color": curve.color, "width": 2}},
                     "hovertemplate": curve.label + ": %{y:.5g}<extra>%{x}</extra>"})
    layout = base_layout(style, x_title, y_title, title=title)
    layout["height"] = height or int(style.height * 0.7)
    steady = [v for v, (c) in zip(shown, curves) if diverged_from(c.values) is None]
    steady += [v[:1] for v, c in zip(shown, curves) if diverged_from(c.values) is not None]
    if log_y:
        layout["yaxis"] = axis(y_title, style, type="log", **log_ticks(steady))
    if log_x:
        xs = [np.arange(len(c.values)) if c.x is None else np.asarray(c.x, dtype=np.float64) for c in curves]
        layout["xaxis"] = axis(x_title, style, type="log", **log_ticks(xs))
    if diverged:
        values = np.concatenate([np.ravel(v) for v in steady])
        values = values[np.isfinite(values) & ((values > 0) if log_y else True)]
        if len(values):
            low, high = values.min(), values.max()
            if log_y:
                pad = 0.05 * max(np.log10(high / low), 1.0)
                layout["yaxis"]["range"] = [float(np.log10(low) - pad), float(np.log10(high) + pad)]
            else:
                pad = 0.05 * ((high - low) or abs(high) or 1.0)
                layout["yaxis"]["range"] = [float(low - pad), float(high + pad)]
            layout["yaxis"]["autorange"] = False
        if diverged_text:
            layout["annotations"] = diverged_notes(diverged, diverged_text, style.font_size)
    if x_ticks is not None:
        layout["xaxis"].update(tickmode="array", tickvals=list(x_ticks), ticktext=[f"{v:g}" for v in x_ticks])
    layout["hovermode"] = "x unified"
    if shapes:
        layout["shapes"] = shapes
    return Prepared({"data": data, "layout": layout})


def series_figure(curves, *, style, x_title, y_title, backdrop_curves=(), title=None, height=None, unit=None,
                  log_y=False):
    """Curves traced left to right under Play (e.g. averages following the daily temperatures);
    `backdrop_curves` (e.g. the raw data as markers) stay fixed behind them. unit: the player's
    readout (see figures.animation.player_entry); by default the point's x value."""
    data = []
    for curve in backdrop_curves:
        x = np.arange(len(curve.values)) if curve.x is None else np.asarray(curve.x)
        data.append({"type": "scatter", "x": packed(x), "y": packed(curve.values), "mode": "markers",
                     "name": curve.label, "marker": {"color": curve.color, "size": max(3, style.marker_size // 3)},
                     "opacity": 0.55, "hovertemplate": curve.label + ": %{y:.4g}<extra>%{x}</extra>"})
    grow = []
    columns = []
    for curve in curves:
        x = np.arange(len(curve.values)) if curve.x is None else np.asarray(curve.x, dtype=np.float64)
        points = np.stack([x, np.asarray(curve.values, dtype=np.float64)], axis=1)
        columns.append(points)
        grow.append((len(data), -1, 1.0))
        data.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "lines",
                     "name": curve.label, "line": {"color": curve.color, "width": style.line_width, "dash": curve.dash},
                     "hovertemplate": curve.label + ": %{y:.4g}<extra>%{x}</extra>"})
    steps = max(len(c) - 1 for c in columns)
    layout = base_layout(style, x_title, y_title, title=title)
    layout["height"] = height or style.height
    first_x = columns[0][:, 0]
    layout["xaxis"]["range"] = [float(first_x[0]), float(first_x[-1])]
    layout["xaxis"]["autorange"] = False
    finite = np.concatenate([c[:, 1][np.isfinite(c[:, 1])] for c in columns] +
                            [np.asarray(c.values, dtype=float) for c in backdrop_curves])
    if log_y:
        finite = np.log10(finite[finite > 0])
        layout["yaxis"] = axis(y_title, style, type="log", **log_ticks([10 ** finite]))
    pad = 0.05 * (finite.max() - finite.min() or 1.0)
    layout["yaxis"]["range"] = [float(finite.min() - pad), float(finite.max() + pad)]
    layout["yaxis"]["autorange"] = False
    unit = unit or {"name": x_title, "scale": float((first_x[-1] - first_x[0]) / max(steps, 1)),
                    "offset": float(first_x[0]), "digits": 0}
    return Prepared({"data": data, "layout": layout, "player": player_entry(steps, grow, unit=unit)})


def scatter_figure(groups, *, style, x_title, y_title, title=None, ellipses=(), equal_axes=False, height=None,
                   ranges=None):
    """Marker groups (label, colour, points (n, 2), size, symbol) with optional covariance ellipses
    (colour, centre, 2×2 covariance, how many standard deviations, dash). ranges: fixed axis ranges
    ((x0, x1), (y0, y1)), e.g. one scale across settings so that a change of spread shows."""
    data = []
    for label, colour, points, size, symbol in groups:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        data.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "markers",
                     "name": label, "opacity": 0.9 if len(points) < 10 else 0.4,
                     "marker": {"color": colour, "size": size, "symbol": symbol,
                                "line": {"width": 3 if symbol.endswith("open") else 0, "color": colour}}})
    for colour, centre, covariance, sigmas, dash in ellipses:
        values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
        angle = np.linspace(0, 2 * np.pi, 121)
        circle = np.stack([np.cos(angle), np.sin(angle)])
        outline = (vectors @ (sigmas * np.sqrt(np.maximum(values, 0))[:, None] * circle)).T + centre
        data.append({"type": "scatter", "x": outline[:, 0], "y": outline[:, 1], "mode": "lines",
                     "showlegend": False, "hoverinfo": "skip",
                     "line": {"color": colour, "width": style.line_width * 0.7, "dash": dash}})
    layout = base_layout(style, x_title, y_title, title=title)
    layout["height"] = height or int(style.height * 0.8)
    if equal_axes:
        layout["yaxis"]["scaleanchor"] = "x"
    if ranges is not None:
        for name, (low, high) in zip(("xaxis", "yaxis"), ranges):
            layout[name].update(range=[float(low), float(high)], autorange=False)
    return Prepared({"data": data, "layout": layout})


def coordinate_curves(label, color, values, coordinate_names):
    """Split a (steps, 2) quantity into two curves: solid for the first coordinate, dotted for the
    second (same colour: same optimizer)."""
    values = np.asarray(values, dtype=np.float64)
    return [Curve(f"{label} · {coordinate_names[0]}", color, values[:, 0]),
            Curve(f"{label} · {coordinate_names[1]}", color, values[:, 1], dash="dot")]


def surface3d_figure(surface, paths, *, style, labels, title=None, n=70, diverged_text=None):
    """The surface as a 3-D mesh with the paths lying on it (drawn a hair above the surface).

    The scene spans the surface's bounds: a path that leaves them (a diverging run) is drawn up to
    the edge, and `diverged_text` ("{name} … {step}") names the runs that diverged."""
    xs, ys, z = grid(surface, n)
    xmin, xmax, ymin, ymax = surface.bounds
    finite = z[np.isfinite(z)]
    ceiling = np.quantile(finite, 0.98)
    clipped = np.minimum(z, ceiling)
    lift = 0.01 * (ceiling - finite.min())
    data = [{"type": "surface", "x": xs, "y": ys, "z": clipped, "colorscale": "Blues", "reversescale": True,
             "showscale": False, "opacity": 0.92, "hoverinfo": "skip",
             "contours": {"z": {"show": True, "usecolormap": False, "color": "#445", "width": 1}}}]
    diverged = []
    for path in paths:
        points = np.asarray(path.points, dtype=np.float64)
        step = diverged_from(points[:, 0])
        if step is not None:
            diverged.append((path.label, step))
        inside = (points[:, 0] >= xmin) & (points[:, 0] <= xmax) & (points[:, 1] >= ymin) & (points[:, 1] <= ymax)
        points = np.where(inside[:, None], points, np.nan)
        heights = np.minimum(surface.f(points[:, 0], points[:, 1]), ceiling) + lift
        data.append({"type": "scatter3d", "x": points[:, 0], "y": points[:, 1], "z": heights,
                     "mode": "lines", "name": path.label,
                     "line": {"color": path.color, "width": style.line_width * 2}})
        data.append({"type": "scatter3d", "x": points[:1, 0], "y": points[:1, 1], "z": heights[:1],
                     "mode": "markers", "showlegend": False, "name": labels["start"],
                     "marker": {"color": path.color, "size": style.marker_size * 0.5, "symbol": "circle-open"}})
    layout = base_layout(style, labels["x"], labels["y"], title=title)
    ticks = {"tickfont": {"size": style.font_size - 3}}
    layout["scene"] = {"xaxis": {"title": {"text": labels["x"]}, "range": [xmin, xmax], **ticks},
                       "yaxis": {"title": {"text": labels["y"]}, "range": [ymin, ymax], **ticks},
                       "zaxis": {"title": {"text": labels["loss"]}, **ticks},
                       "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.0}}}
    layout.pop("xaxis")
    layout.pop("yaxis")
    if diverged and diverged_text:
        layout["annotations"] = diverged_notes(diverged, diverged_text, style.font_size)
    return Prepared({"data": data, "layout": layout})
