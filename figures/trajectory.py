"""Optimizer paths over a contour map: the animated race figure and the step inspector."""

from dataclasses import dataclass

import numpy as np

from .animation import player_entry
from .contour import backdrop as make_backdrop
from .style import Prepared, axis, base_layout, packed, stacked_widths

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

DEFAULT_LABELS = {"x": "x", "y": "y", "step": "step", "start": "start", "minimum": "minimum", "gradient": "−α·g (plain GD step)",
                  "update": "Δθ (this optimizer's step)"}


@dataclass(frozen=True)
class PathLine:
    """One path to draw: its legend label, colour, dash and the points (steps+1, 2), NaN after
    divergence."""

    label: str
    color: str
    points: np.ndarray
    dash: str = "solid"


def _last_finite(points, upto):
    finite = np.flatnonzero(np.isfinite(points[:upto + 1]).all(axis=1))
    return points[finite[-1]] if len(finite) else points[0]


def _map_traces(surface, style, labels, backdrop):
    """The static layers: contour lines and the known minima as stars."""
    lx, ly = backdrop["lines"]
    traces = [{"type": "scatter", "x": packed(lx), "y": packed(ly), "mode": "lines",
               "line": {"color": "rgba(40,50,70,0.75)" if style.projector else "rgba(60,70,90,0.45)",
                        "width": 1.8 if style.projector else 1.1},
               "hoverinfo": "skip", "showlegend": False, "name": "contours"}]
    if surface.minima:
        mx, my = zip(*surface.minima)
        traces.append({"type": "scatter", "x": list(mx), "y": list(my), "mode": "markers",
                       "name": labels["minimum"], "showlegend": False,
                       "marker": {"symbol": "star", "size": style.marker_size + 8, "color": "#FFD700",
                                  "line": {"color": "#111", "width": 1.5}},
                       "hovertemplate": labels["minimum"] + " (%{x:.4g}, %{y:.4g})<extra></extra>"})
    return traces


def _map_layout(surface, style, labels, title, backdrop):
    xmin, xmax, ymin, ymax = surface.bounds
    layout = base_layout(style, labels["x"], labels["y"], title=title)
    # Drawn true: one unit is as long across as up (a 45° valley looks 45°, a round bowl round).
    layout["xaxis"] = axis(labels["x"], style, range=[xmin, xmax], autorange=False, constrain="domain")
    layout["yaxis"] = axis(labels["y"], style, range=[ymin, ymax], autorange=False, constrain="domain",
                           scaleanchor="x", scaleratio=1)
    layout["images"] = [backdrop["image"]]
    layout["hovermode"] = "closest"
    return layout


def trajectory_figure(surface, paths, *, style, labels=None, title=None, backdrop=None, progress_total=None):
    """The contour map with every path, its start (hollow circle), its current position (filled dot)
    and the minima (stars); under Play (figures/player) the paths are drawn step by step.

    `backdrop` (figures.backdrop(surface)) may be passed in when the caller keeps it between figures.
    With `progress_total` (e.g. the number of epochs) paths of different lengths advance together,
    each at the same fraction of its run, and the player counts in those units.
    """
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    traces = _map_traces(surface, style, labels, backdrop)
    steps = max(len(p.points) - 1 for p in paths) if paths else 0
    grow = []
    for path, width in zip(paths, stacked_widths(len(paths), style.line_width)):
        points = np.asarray(path.points, dtype=np.float64)
        line = {"color": path.color, "width": width, "dash": path.dash}
        traces.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]),
                       "mode": "lines", "name": path.label, "line": line, "legendgroup": path.label,
                       "hovertemplate": path.label + " (%{x:.4g}, %{y:.4g})<extra></extra>"})
        traces.append({"type": "scatter", "x": [points[0, 0]], "y": [points[0, 1]], "mode": "markers",
                       "name": labels["start"], "legendgroup": path.label, "showlegend": False,
                       "marker": {"symbol": "circle-open", "size": style.marker_size + 4,
                                  "color": path.color, "line": {"width": 3}},
                       "hovertemplate": labels["start"] + " (%{x:.4g}, %{y:.4g})<extra></extra>"})
        head = _last_finite(points, len(points) - 1)
        rate = 1.0 if progress_total is None else (len(points) - 1) / max(steps, 1)
        grow.append((len(traces) - 2, len(traces), rate))
        traces.append({"type": "scatter", "x": [head[0]], "y": [head[1]], "mode": "markers",
                       "name": path.label, "legendgroup": path.label, "showlegend": False,
                       "marker": {"size": style.marker_size, "color": path.color,
                                  "line": {"color": "white", "width": 2}}, "hoverinfo": "skip"})
    layout = _map_layout(surface, style, labels, title, backdrop)
    unit = None if progress_total is None else {"name": labels["step"], "scale": progress_total / max(steps, 1),
                                                "offset": 0, "digits": 1}
    return Prepared({"data": traces, "layout": layout, "player": player_entry(steps, grow, unit=unit)})


def cloud_figure(surface, clouds, *, style, labels=None, title=None, backdrop=None):
    """Point clouds on the contour map (e.g. where an ensemble of noisy runs ended): a list of
    (label, colour, points (n, 2))."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    traces = _map_traces(surface, style, labels, backdrop)
    for label, colour, points in clouds:
        points = np.asarray(points, dtype=np.float64)
        traces.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]),
                       "mode": "markers", "name": label, "opacity": 0.7,
                       "marker": {"color": colour, "size": style.marker_size * 0.6}})
    return Prepared({"data": traces, "layout": _map_layout(surface, style, labels, title, backdrop)})


def inspector_figure(surface, trajectory, step, *, color, label, style, labels=None, title=None, backdrop=None):
    """One step under the magnifier: θ_t on the map, the plain GD step −α·g_t and the step Δθ_t the
    optimizer actually took (a `Trajectory`), drawn to one common scale so their lengths compare."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    points = np.asarray(trajectory.points, dtype=np.float64)
    traces = _map_traces(surface, style, labels, backdrop)
    traces.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "lines",
                   "line": {"color": color, "width": style.line_width * 0.6}, "opacity": 0.45,
                   "name": label, "hoverinfo": "skip"})
    layout = _map_layout(surface, style, labels, title, backdrop)
    theta = points[step]
    arrows = []
    if np.all(np.isfinite(theta)) and step < len(points) - 1:
        xmin, xmax, ymin, ymax = surface.bounds
        gd_step = -trajectory.lr[step] * trajectory.grads[step]
        taken = points[step + 1] - theta
        biggest = max(np.hypot(*gd_step), np.hypot(*taken) if np.all(np.isfinite(taken)) else 0.0)
        reach = 0.22 * min(xmax - xmin, ymax - ymin)
        scale = reach / biggest if biggest > 0 else 1.0
        for vector, colour, name in ((gd_step, "#666666", labels["gradient"]), (taken, color, labels["update"])):
            if not np.all(np.isfinite(vector)):
                continue
            tip = theta + scale * vector
            arrows.append({"x": tip[0], "y": tip[1], "ax": theta[0], "ay": theta[1], "xref": "x", "yref": "y",
                           "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 3,
                           "arrowsize": 1.4, "arrowwidth": style.line_width, "arrowcolor": colour,
                           "text": ""})
            traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": name,
                           "line": {"color": colour, "width": style.line_width}})
        traces.append({"type": "scatter", "x": [theta[0]], "y": [theta[1]], "mode": "markers",
                       "name": "θ" + str(step).translate(_SUBSCRIPT), "marker": {"size": style.marker_size + 2, "color": color,
                                                       "line": {"color": "white", "width": 2}}})
    layout["annotations"] = arrows
    return Prepared({"data": traces, "layout": layout})


def snapshot_steps(steps, count=31):
    """The steps at which an animated ensemble is seen (the player glides between them)."""
    return np.unique(np.round(np.linspace(0, steps, min(count, steps + 1))).astype(int))


def ensemble_figure(surface, clouds, shown, *, style, labels=None, title=None, backdrop=None):
    """Ensembles of runs moving over the contour map under Play: clouds is a list of
    (label, colour, positions (members, len(shown), 2)) taken at the steps `shown`
    (see snapshot_steps); the still view shows where they ended. Between two snapshots the player
    glides every point along a straight line, drawn at the display's frame rate."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    traces = _map_traces(surface, style, labels, backdrop)
    moving = []
    for label, colour, positions in clouds:
        moving.append((len(traces), shown, np.asarray(positions, dtype=np.float64)))
        traces.append({"type": "scatter", "x": packed(positions[:, -1, 0]), "y": packed(positions[:, -1, 1]),
                       "mode": "markers", "name": label, "opacity": 0.65, "hoverinfo": "skip",
                       "marker": {"color": colour, "size": style.marker_size * 0.55}})
    layout = _map_layout(surface, style, labels, title, backdrop)
    return Prepared({"data": traces, "layout": layout, "player": player_entry(int(shown[-1]), snapshots=moving)})


def curvature_figure(surface, point, directions, *, style, labels=None, title=None, backdrop=None,
                     path=None):
    """The Hessian's eigenvectors drawn as axes through `point` on the contour map.

    directions: (label, colour, unit vector) per eigenvector; path: an optional PathLine drawn
    faintly underneath.
    """
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    traces = _map_traces(surface, style, labels, backdrop)
    if path is not None:
        traces.append({"type": "scatter", "x": packed(path.points[:, 0]), "y": packed(path.points[:, 1]),
                       "mode": "lines", "name": path.label, "opacity": 0.45, "hoverinfo": "skip",
                       "line": {"color": path.color, "width": style.line_width * 0.6, "dash": path.dash}})
    xmin, xmax, ymin, ymax = surface.bounds
    reach = 0.2 * min(xmax - xmin, ymax - ymin)
    centre = np.asarray(point, dtype=np.float64)
    for label, colour, vector in directions:
        ends = np.stack([centre - reach * np.asarray(vector), centre + reach * np.asarray(vector)])
        traces.append({"type": "scatter", "x": ends[:, 0].tolist(), "y": ends[:, 1].tolist(),
                       "mode": "lines+markers", "name": label, "hoverinfo": "skip",
                       "line": {"color": colour, "width": style.line_width * 1.2},
                       "marker": {"symbol": "diamond", "size": style.marker_size * 0.8, "color": colour}})
    traces.append({"type": "scatter", "x": [float(centre[0])], "y": [float(centre[1])], "mode": "markers",
                   "name": "θ", "showlegend": False,
                   "marker": {"size": style.marker_size + 2, "color": "#111", "line": {"color": "white", "width": 2}},
                   "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra></extra>"})
    return Prepared({"data": traces, "layout": _map_layout(surface, style, labels, title, backdrop)})


def penalty_figure(surface, path, outlines, solution, *, style, labels=None, title=None, backdrop=None, unit=None):
    """The regularisation picture on the data loss's contour map: the penalised minimiser's path as
    the penalty grows (a PathLine, traced under Play in `unit`s, e.g. λ), static `outlines`
    ((label, colour, points (n, 2), dash): the constraint region, the contour through the solution)
    and the current `solution` (label, colour, (x, y))."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    backdrop = backdrop or make_backdrop(surface)
    traces = _map_traces(surface, style, labels, backdrop)
    for label, colour, points, dash in outlines:
        points = np.asarray(points, dtype=np.float64)
        traces.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "lines",
                       "name": label, "line": {"color": colour, "width": style.line_width * 0.8, "dash": dash},
                       "hoverinfo": "skip"})
    points = np.asarray(path.points, dtype=np.float64)
    grow = [(len(traces), len(traces) + 1, 1.0)]
    traces.append({"type": "scatter", "x": packed(points[:, 0]), "y": packed(points[:, 1]), "mode": "lines",
                   "name": path.label, "line": {"color": path.color, "width": style.line_width, "dash": path.dash},
                   "hovertemplate": path.label + " (%{x:.4g}, %{y:.4g})<extra></extra>"})
    traces.append({"type": "scatter", "x": [points[-1, 0]], "y": [points[-1, 1]], "mode": "markers",
                   "showlegend": False, "name": path.label, "hoverinfo": "skip",
                   "marker": {"size": style.marker_size, "color": path.color, "line": {"color": "white", "width": 2}}})
    label, colour, (x, y) = solution
    traces.append({"type": "scatter", "x": [x], "y": [y], "mode": "markers", "name": label,
                   "marker": {"symbol": "x", "size": style.marker_size + 6, "color": colour,
                              "line": {"color": "white", "width": 1.5}},
                   "hovertemplate": label + " (%{x:.4g}, %{y:.4g})<extra></extra>"})
    layout = _map_layout(surface, style, labels, title, backdrop)
    return Prepared({"data": traces, "layout": layout,
                     "player": player_entry(len(points) - 1, grow, unit=unit)})
