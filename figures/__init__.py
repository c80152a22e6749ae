"""Pure figure builders: arrays in, plotly.js figure specs out (no Streamlit here).

    >>> from figures import PathLine, trajectory_figure, NORMAL
    >>> fig = trajectory_figure(surface, [PathLine("Adam", color("adam"), path.points)], style=NORMAL)
"""

from . import player
from .contour import backdrop, background_image, contour_lines, grid
from .lines import (Curve, coordinate_curves, curve_figure, scatter_figure, series_figure, shaded_spans,
                    surface3d_figure)
from .network import boundary_figure, landscape_figure
from .style import (DASHES, NORMAL, PALETTE, PROJECTOR, Prepared, Style, color, packed, style_for,
                    variant)
from .trajectory import (DEFAULT_LABELS, PathLine, cloud_figure, curvature_figure, ensemble_figure, inspector_figure,
                         penalty_figure, snapshot_steps, trajectory_figure)

__all__ = ["PathLine", "Curve", "Style", "Prepared", "NORMAL", "PROJECTOR", "PALETTE", "DASHES",
           "DEFAULT_LABELS", "color", "variant", "style_for", "packed", "grid", "backdrop", "background_image",
           "contour_lines", "trajectory_figure", "inspector_figure", "cloud_figure", "ensemble_figure",
           "curvature_figure", "penalty_figure", "snapshot_steps", "curve_figure", "shaded_spans",
           "series_figure", "scatter_figure",
           "coordinate_curves", "surface3d_figure", "boundary_figure", "landscape_figure"]
