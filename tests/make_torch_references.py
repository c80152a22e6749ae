"""Regenerate tests/reference/torch_trajectories.npz from torch.optim (needs torch installed).

    PYTHONPATH=. python tests/make_torch_references.py
"""

from pathlib import Path

import numpy as np
import torch

import optimizers
from torch_oracle import (BATCHNORM_CASES, SURFACE_CASES, TORCH_CASES, batchnorm_inputs, learning_rate_schedule,
                          torch_batchnorm, torch_trajectory)

OUT = Path(__file__).parent / "reference" / "torch_trajectories.npz"
BATCHNORM_OUT = Path(__file__).parent / "reference" / "torch_batchnorm.npz"

if __name__ == "__main__":
    arrays = {}
    for surface, params, start, rates in SURFACE_CASES:
        for case, _, _, class_name, kwargs in TORCH_CASES:
            arrays[f"{surface}/{case}"] = torch_trajectory(
                torch, surface, params, start, class_name, kwargs, learning_rate_schedule(rates[case]))
    np.savez_compressed(OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {len(arrays)} trajectories to {OUT}")
    arrays = {}
    for name, samples, batch_size, momentum, steps, seed in BATCHNORM_CASES:
        order, bounds = optimizers.batches(samples, batch_size, steps, True, seed)
        for key, value in zip(("running_mean", "running_var", "train", "inference"), torch_batchnorm(
                torch, batchnorm_inputs(samples), order, bounds, momentum)):
            arrays[f"{name}/{key}"] = value
    np.savez_compressed(BATCHNORM_OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {len(BATCHNORM_CASES)} batch-norm cases to {BATCHNORM_OUT}")
