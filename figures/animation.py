"""What the player (figures/player) animates, written into a figure's spec as its "player" entry.

The spec's own data is the final view; the browser draws every earlier step from it, so an animation
costs its paths once (not a copy of every path up to every frame) and plays at the display's rate.
"""

import numpy as np

from .style import packed


def player_entry(steps, grow=(), snapshots=(), unit=None, frames=()):
    """steps: positions 0 … steps; grow: (path trace, head trace or -1, steps of that path per
    position); snapshots: (trace, the steps seen, positions (members, len(steps seen), 2));
    frames: (traces, the steps seen, grids (len(steps seen), ny, nx) in [0, 1]), sent as bytes
    (1/255 resolution) and shown from the step each was seen at;
    unit: the readout as {"name", "scale", "offset", "digits"} (e.g. epochs, days) instead of steps."""
    entry = {"steps": int(steps), "grow": [[int(a), int(b), float(rate)] for a, b, rate in grow]}
    entry["snapshots"] = [{"trace": int(trace), "at": [int(s) for s in at], "members": int(positions.shape[0]),
                           "x": packed(positions[:, :, 0].T.ravel()), "y": packed(positions[:, :, 1].T.ravel())}
                          for trace, at, positions in snapshots]
    if frames:
        entry["frames"] = [{"traces": [int(t) for t in traces], "at": [int(s) for s in at],
                            "shape": [int(grids.shape[1]), int(grids.shape[2])], "scale": 1 / 255,
                            "z": packed(np.round(np.clip(grids, 0.0, 1.0) * 255).ravel(), "u1")}
                           for traces, at, grids in frames]
    if unit is not None:
        entry["unit"] = unit
    return entry
