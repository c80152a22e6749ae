"""A small network's pictures: its decision regions over the epochs, and a slice of its loss landscape."""

import numpy as np

from .animation import player_entry
from .style import Prepared, base_layout, packed

CLASS_COLOURS = ("#E69F00", "#0072B2")  # class 0, class 1 (Okabe–Ito orange and blue)
REGIONS = [[0.0, "#F6D9A8"], [0.5, "#FFFFFF"], [1.0, "#A9CCE8"]]  # light versions: the points stay readable


def boundary_figure(grid_x, grid_y, probabilities, at, X, y, *, style, labels, title=None, unit=None):
    """A classifier's decision regions under Play: the probability of class 1 over the plane as a
    shaded map, its 0.5 contour as the boundary, the samples as points of their class (no legend:
    three maps side by side have no room for one; the page says what the colours are).
    probabilities: (len(at), ny, nx), the grids seen at the steps `at` (the last one is the still view)."""
    final = np.round(probabilities[-1], 3).tolist()
    data = [{"type": "heatmap", "x": list(map(float, grid_x)), "y": list(map(float, grid_y)), "z": final,
             "zmin": 0.0, "zmax": 1.0, "colorscale": REGIONS, "showscale": False, "hoverinfo": "skip"},
            {"type": "contour", "x": list(map(float, grid_x)), "y": list(map(float, grid_y)), "z": final,
             "contours": {"start": 0.5, "end": 0.5, "size": 1.0, "coloring": "none"}, "showscale": False,
             "line": {"color": "#000000", "width": style.line_width}, "hoverinfo": "skip",
             "name": labels["boundary"], "showlegend": False}]
    for cls, colour in enumerate(CLASS_COLOURS):
        points = X[np.asarray(y) == cls]
        data.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "markers",
                     "name": labels[f"class_{cls}"], "hoverinfo": "skip", "showlegend": False,
                     "marker": {"color": colour, "size": max(5, style.marker_size // 2),
                                "line": {"color": "#FFFFFF", "width": 0.5}}})
    layout = base_layout(style, labels["x"], labels["y"], title=title)
    layout["height"] = int(style.height * 0.62)  # three side by side: the plane fills each plot
    layout["xaxis"].update(range=[float(grid_x[0]), float(grid_x[-1])], autorange=False)
    layout["yaxis"].update(range=[float(grid_y[0]), float(grid_y[-1])], autorange=False)
    return Prepared({"data": data, "layout": layout,
                     "player": player_entry(int(at[-1]), frames=[([0, 1], at, probabilities)], unit=unit)})


def landscape_figure(a, b, losses, path, *, style, labels, title=None, three_d=False):
    """A loss surface over a plane through the trained weights (coordinates a, b along two
    directions): contours of log₁₀ loss (light low, dark high, as on every map), or a 3-D mesh; the
    training path projected onto the plane."""
    finite = np.isfinite(losses) & (losses > 0)
    # a cost that overflowed (log of 0 at a saturated unit) is drawn at the highest finite one
    logs = np.log10(np.where(finite, losses, losses[finite].max() if finite.any() else 1.0))
    path = np.asarray(path, dtype=np.float64)
    if three_d:
        ceiling = np.quantile(logs, 0.95)
        data = [{"type": "surface", "x": a.tolist(), "y": b.tolist(), "z": np.round(np.minimum(logs, ceiling), 4).tolist(),
                 "colorscale": "Blues", "reversescale": True, "showscale": False, "hoverinfo": "skip",
                 "contours": {"z": {"show": True, "color": "#445", "width": 1}}}]
        layout = base_layout(style, labels["a"], labels["b"], title=title)
        ticks = {"tickfont": {"size": style.font_size - 3}}
        layout["scene"] = {"xaxis": {"title": {"text": labels["a"]}, **ticks},
                           "yaxis": {"title": {"text": labels["b"]}, **ticks},
                           "zaxis": {"title": {"text": labels["log_loss"]}, **ticks},
                           # far enough out that the z-axis title stays inside a half-width column
                           "camera": {"eye": {"x": 1.7, "y": -1.7, "z": 1.2}}}
        layout.pop("xaxis")
        layout.pop("yaxis")
        if len(path):  # drawn a hair above the surface
            heights = _bilinear(a, b, np.minimum(logs, ceiling), path) + 0.02 * (ceiling - logs.min())
            data.append({"type": "scatter3d", "x": path[:, 0], "y": path[:, 1], "z": heights, "mode": "lines",
                         "name": labels["path"], "line": {"color": "#D55E00", "width": style.line_width * 2}})
        return Prepared({"data": data, "layout": layout})
    data = [{"type": "contour", "x": a.tolist(), "y": b.tolist(), "z": np.round(logs, 4).tolist(),
             "colorscale": "Blues", "reversescale": True, "ncontours": 24, "hoverinfo": "skip", "showscale": False,
             "contours": {"coloring": "heatmap", "showlines": True}, "line": {"width": 1, "color": "#445"}},
            {"type": "scatter", "x": packed(path[:, 0]), "y": packed(path[:, 1]), "mode": "lines+markers",
             "name": labels["path"], "line": {"color": "#D55E00", "width": style.line_width},
             "marker": {"color": "#D55E00", "size": max(4, style.marker_size // 3)}},
            {"type": "scatter", "x": [0.0], "y": [0.0], "mode": "markers", "name": labels["trained"],
             "marker": {"symbol": "star", "size": style.marker_size * 1.4, "color": "#FFD700",
                        "line": {"color": "#000000", "width": 1.5}}}]
    layout = base_layout(style, labels["a"], labels["b"], title=title)
    layout["height"] = int(style.height * 0.8)
    layout["xaxis"].update(range=[float(a[0]), float(a[-1])], autorange=False)
    layout["yaxis"].update(range=[float(b[0]), float(b[-1])], autorange=False, scaleanchor="x")
    return Prepared({"data": data, "layout": layout})


def _bilinear(a, b, z, points):
    """z (len(b), len(a)) read at each point (a, b) by bilinear interpolation."""
    i = np.clip(np.searchsorted(a, points[:, 0]) - 1, 0, len(a) - 2)
    j = np.clip(np.searchsorted(b, points[:, 1]) - 1, 0, len(b) - 2)
    u = (points[:, 0] - a[i]) / (a[i + 1] - a[i])
    v = (points[:, 1] - b[j]) / (b[j + 1] - b[j])
    return ((1 - u) * (1 - v) * z[j, i] + u * (1 - v) * z[j, i + 1] + (1 - u) * v * z[j + 1, i]
            + u * v * z[j + 1, i + 1])

