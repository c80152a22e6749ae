"""Regenerate tests/reference/torch_trajectories.npz from torch.optim (needs torch installed).

    python tests/make_torch_references.py
"""

from pathlib import Path

import numpy as np
import torch

from torch_oracle import SURFACE_CASES, TORCH_CASES, learning_rate_schedule, torch_trajectory

OUT = Path(__file__).parent / "reference" / "torch_trajectories.npz"

if __name__ == "__main__":
    arrays = {}
    for surface, params, start, rates in SURFACE_CASES:
        for case, _, _, class_name, kwargs in TORCH_CASES:
            arrays[f"{surface}/{case}"] = torch_trajectory(
                torch, surface, params, start, class_name, kwargs, learning_rate_schedule(rates[case]))
    np.savez_compressed(OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {len(arrays)} trajectories to {OUT}")
