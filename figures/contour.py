"""The contour map of a surface in a form that survives animation.

plotly.js drops contour and heatmap traces while an animation plays (plotly.js#4491, #4596), so the
map is a raster PNG under the axes (a layout image) plus contour lines as ordinary scatter traces.
"""

import base64
import io

import contourpy
import numpy as np
from PIL import Image

# Light ramp, low loss → high loss: paths in the palette stay readable on every shade.
_RAMP = np.array([[255, 255, 255], [236, 244, 250], [205, 224, 240], [164, 196, 225], [120, 160, 205]],
                 dtype=np.float64)


def _palette(ramp=_RAMP, size=256):
    """The ramp interpolated to `size` colours: an 8-bit palette PNG's colour table."""
    position = np.linspace(0.0, len(ramp) - 1, size)
    low = np.minimum(np.floor(position).astype(int), len(ramp) - 2)
    frac = (position - low)[:, None]
    return np.rint(ramp[low] * (1 - frac) + ramp[low + 1] * frac).astype(np.uint8)


PALETTE = _palette()


def grid(surface, n=200, bounds=None):
    """(xs, ys, Z): the surface sampled on an n×n grid over its bounds."""
    xmin, xmax, ymin, ymax = bounds or surface.bounds
    xs = np.linspace(xmin, xmax, n)
    ys = np.linspace(ymin, ymax, n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, surface.f(gx, gy)


def shade(z):
    """Loss values → [0, 1], compressed logarithmically so that deep valleys and high walls both
    show (a Rosenbrock's 0 … 2500 as well as a bowl's 0 … 4)."""
    z = np.asarray(z, dtype=np.float64)
    finite = np.isfinite(z)
    low = z[finite].min() if finite.any() else 0.0
    lifted = np.where(finite, z - low, 0.0)
    typical = np.median(lifted[finite]) if finite.any() else 1.0
    compressed = np.log1p(lifted / (typical if typical > 0 else 1.0))
    top = compressed.max()
    return compressed / top if top > 0 else compressed


def background_image(surface, n=220, bounds=None):
    """The shaded map as a `layout.images` entry (PNG data URI stretched over the bounds)."""
    xmin, xmax, ymin, ymax = bounds or surface.bounds
    _, _, z = grid(surface, n, bounds)
    image = Image.fromarray(np.rint(shade(z)[::-1] * (len(PALETTE) - 1)).astype(np.uint8), "P")  # rows top down
    image.putpalette(PALETTE.tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"source": uri, "xref": "x", "yref": "y", "x": xmin, "y": ymax, "sizex": xmax - xmin,
            "sizey": ymax - ymin, "sizing": "stretch", "layer": "below", "opacity": 1.0}


def levels(z, count=12):
    """Contour levels at quantiles of the sampled values: lines spread evenly over the map."""
    finite = z[np.isfinite(z)]
    qs = np.concatenate([[0.005, 0.02, 0.05], np.linspace(0.1, 0.95, count - 3)])
    return np.unique(np.quantile(finite, qs))


def contour_lines(surface, count=12, n=160, bounds=None):
    """Contour polylines as (x, y) float arrays with NaN between separate lines."""
    xs, ys, z = grid(surface, n, bounds)
    generator = contourpy.contour_generator(xs, ys, z, line_type=contourpy.LineType.ChunkCombinedNan)
    pieces = []
    for level in levels(z, count):
        chunk = generator.lines(level)[0]
        for block in chunk:
            if block is not None and len(block):
                pieces.append(block)
                pieces.append(np.full((1, 2), np.nan))
    if not pieces:
        return np.zeros(0), np.zeros(0)
    joined = np.concatenate(pieces)
    return joined[:, 0], joined[:, 1]


def backdrop(surface, bounds=None):
    """The static map under every path: the shaded raster and the contour polylines (float32).
    It depends on the surface alone, so callers may compute it once and reuse it."""
    lx, ly = contour_lines(surface, n=120, bounds=bounds)
    return {"image": background_image(surface, bounds=bounds), "lines": (lx.astype(np.float32), ly.astype(np.float32))}
