"""Animation shared by every animated figure: which steps become frames, thinned prefixes, and the
Play/Pause buttons with a step slider.

plotly.js frames cannot append to a trace, so each frame repeats every path up to its step; the
frame count is chosen so that a chart's JSON stays under 1 MB.
"""

import numpy as np

# Measured: two float32 in base64 with plotly.io's escaping of every "/" as \u002f (float32 exponent
# bytes near 1 encode as "/" often) cost ≈ 16 bytes a point on the wire.
WIRE_BYTES_PER_POINT = 16.0
FRAME_BUDGET = 650_000  # bytes of frame data, so that a chart stays under 1 MB


FRAME_POINTS = 240  # a frame draws at most this many points of each path (the final view: all)


def frame_steps(steps, lengths, max_frames):
    """Which step each frame shows: every step when few, else an even stride ending at the last.

    A frame carries every path up to its step (plotly.js frames cannot append to a trace), so the
    frame count is the largest whose data fits FRAME_BUDGET.
    """
    for count in range(min(steps + 1, max_frames), 1, -1):
        shown = np.unique(np.round(np.linspace(0, steps, count)).astype(int))
        drawn = sum(np.minimum(np.minimum(shown, n - 1) + 1, FRAME_POINTS).sum() for n in lengths)
        if drawn * WIRE_BYTES_PER_POINT <= FRAME_BUDGET:
            return shown
    return np.array([0, steps])


def thinned_prefix(points, upto):
    """The path up to step `upto`, thinned to FRAME_POINTS evenly spaced steps (the last kept)."""
    if upto + 1 <= FRAME_POINTS:
        return points[:upto + 1]
    return points[np.unique(np.round(np.linspace(0, upto, FRAME_POINTS)).astype(int))]



def add_play_controls(layout, shown, labels, style, frame_ms, slider_labels=None, tween=False):
    """Play/Pause below the plot and a slider over the frames (`shown` steps, or slider_labels).

    tween: plotly.js moves the points smoothly from one frame to the next over the frame's duration
    (drawn at the display's rate), so a few key frames make a fluid animation.
    """
    transition = {"duration": frame_ms, "easing": "linear"} if tween else {"duration": 0}
    play = {"frame": {"duration": frame_ms, "redraw": False}, "transition": transition,
            "fromcurrent": False, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    names = [str(s) for s in shown]
    # Buttons on their own row under the axis title, the slider full width below them, placed in
    # pixels from the plot's bottom edge: nothing overlaps, however narrow the chart (two maps side
    # by side) or long the labels (中文).
    below_axis = int(4.8 * style.font_size)  # tick labels and the axis title
    layout["margin"]["b"] = below_axis + 7 * style.font_size
    layout["updatemenus"] = [{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0,
        "xanchor": "left", "yanchor": "top", "pad": {"r": 10, "t": below_axis},
        "font": {"size": style.font_size + 2},
        "buttons": [{"label": labels["play"], "method": "animate", "args": [None, play]},
                    {"label": labels["pause"], "method": "animate", "args": [[None], pause]}],
    }]
    layout["sliders"] = [{
        "active": len(names) - 1, "x": 0.0, "len": 1.0, "y": 0.0, "yanchor": "top",
        "pad": {"t": below_axis + int(2.6 * style.font_size)}, "font": {"size": style.font_size},
        "currentvalue": {"prefix": labels["step"] + " ", "xanchor": "right",
                         "font": {"size": style.font_size + 2}},
        "steps": [{"label": text, "method": "animate", "args": [[name], pause]}
                  for name, text in zip(names, slider_labels or names)],
    }]
