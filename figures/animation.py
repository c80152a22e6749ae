"""What the player (figures/player) animates, written into a figure's spec as its "player" entry.

The spec's own data is the final view; the browser draws every earlier step from it, so an animation
costs its paths once (not a copy of every path up to every frame) and plays at the display's rate.
"""

from .style import packed


def player_entry(steps, grow=(), snapshots=(), unit=None):
    """steps: positions 0 … steps; grow: (path trace, head trace or -1, steps of that path per
    position); snapshots: (trace, the steps seen, positions (members, len(steps seen), 2));
    unit: the readout as {"name", "scale", "offset", "digits"} (e.g. epochs, days) instead of steps."""
    entry = {"steps": int(steps), "grow": [[int(a), int(b), float(rate)] for a, b, rate in grow]}
    entry["snapshots"] = [{"trace": int(trace), "at": [int(s) for s in at], "members": int(positions.shape[0]),
                           "x": packed(positions[:, :, 0].T.ravel()), "y": packed(positions[:, :, 1].T.ravel())}
                          for trace, at, positions in snapshots]
    if unit is not None:
        entry["unit"] = unit
    return entry
