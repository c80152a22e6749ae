"""Suite-wide checks."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def kernels_compile_once():
    """After every test in this process (core, figures, pages): each Numba kernel has exactly one
    compiled signature, so no input a page passes makes a visitor wait for a recompile."""
    yield
    from optimizers import _kernels as optimizer_kernels
    from surfaces import _kernels as surface_kernels
    for kernel in (optimizer_kernels.trajectory, optimizer_kernels.ensemble, optimizer_kernels.ema,
                   surface_kernels.evaluate_many, surface_kernels.batch_loss_and_gradient):
        assert len(kernel.signatures) <= 1, (kernel.__name__, kernel.signatures)
