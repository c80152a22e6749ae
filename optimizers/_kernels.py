"""Numba kernels for the optimizers: one coordinate update, a recorded trajectory, an ensemble, EMA.

Optimizers are dispatched by integer id over one hyper-parameter record h = [β₁, β₂, ε, flag]
(flag = bias_correction or nesterov) and one state layout (two buffers per coordinate).
"""

import math

import numpy as np
from numba import njit

from surfaces._numba_cache import ENABLED as CACHED

# IEEE semantics (x/0 → ±inf, NaN) instead of Python's ZeroDivisionError: a divergence is a result,
# and branch-free division lets the compiler vectorise the loops. Never fastmath (DESIGN §4).
kernel = njit(cache=CACHED, error_model="numpy")
helper = njit(cache=CACHED, error_model="numpy", inline="always")  # small: inlined into the loops

from surfaces._kernels import batch_loss_and_gradient, gradient, gradients

GD, MOMENTUM, SGD_MOMENTUM, RMSPROP, ADAGRAD, ADAM = 0, 1, 2, 3, 4, 5
LIMIT = 1e6  # |x| or |y| beyond this counts as diverged

_U53 = 1.0 / 9007199254740992.0  # 2⁻⁵³


@helper
def _splitmix64(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@helper
def normal_pair(seed, member, step):
    """Two independent N(0, 1) draws for (seed, member, step): a counter-based stream (SplitMix64 +
    Box–Muller), so every ensemble member has its own noise whatever the ensemble's size."""
    key = _splitmix64(_splitmix64(_splitmix64(np.uint64(seed)) ^ np.uint64(member)) ^ np.uint64(step))
    a = _splitmix64(key)
    b = _splitmix64(a)
    u1 = (float(a >> np.uint64(11)) + 1.0) * _U53  # (0, 1]: log is finite
    u2 = float(b >> np.uint64(11)) * _U53
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


@helper
def bias_corrections(h, t):
    """(1 − β₁ᵗ, √(1 − β₂ᵗ)) for step t ≥ 1, as torch computes them (float powers)."""
    return 1.0 - h[0] ** float(t), math.sqrt(1.0 - h[1] ** float(t))


# Each rule: one coordinate's step (Δθ, s1, s2) from the gradient g and the buffers s1, s2, given
# the step's learning rate and bias corrections. Rules as in torch.optim (see optimizers.rule).

@helper
def _gd(h, lr, c1, c2, g, s1, s2):
    return -lr * g, s1, s2


@helper
def _momentum(h, lr, c1, c2, g, s1, s2):
    s1 = h[0] * s1 + (1.0 - h[0]) * g  # the notes' EMA form
    if h[3] != 0.0:
        return -lr * (s1 / c1), s1, s2
    return -lr * s1, s1, s2


@helper
def _sgd_momentum(h, lr, c1, c2, g, s1, s2):
    s1 = h[0] * s1 + g  # torch.optim.SGD: buf = g at step 1 because buf starts at 0
    if h[3] != 0.0:
        return -lr * (g + h[0] * s1), s1, s2
    return -lr * s1, s1, s2


@helper
def _rmsprop(h, lr, c1, c2, g, s1, s2):
    s1 = h[0] * s1 + (1.0 - h[0]) * g * g
    return -lr * g / (math.sqrt(s1) + h[2]), s1, s2


@helper
def _adagrad(h, lr, c1, c2, g, s1, s2):
    s1 = s1 + g * g
    return -lr * g / (math.sqrt(s1) + h[2]), s1, s2


@helper
def _adam(h, lr, c1, c2, g, s1, s2):
    s1 = h[0] * s1 + (1.0 - h[0]) * g
    s2 = h[1] * s2 + (1.0 - h[1]) * g * g
    if h[3] != 0.0:
        return -(lr / c1) * s1 / (math.sqrt(s2) / c2 + h[2]), s1, s2
    return -lr * s1 / (math.sqrt(s2) + h[2]), s1, s2


@helper
def update(opt, h, lr, c1, c2, g, s1, s2):
    """One coordinate's step of optimizer `opt`: (Δθ, s1, s2)."""
    if opt == GD:
        return _gd(h, lr, c1, c2, g, s1, s2)
    if opt == MOMENTUM:
        return _momentum(h, lr, c1, c2, g, s1, s2)
    if opt == SGD_MOMENTUM:
        return _sgd_momentum(h, lr, c1, c2, g, s1, s2)
    if opt == RMSPROP:
        return _rmsprop(h, lr, c1, c2, g, s1, s2)
    if opt == ADAGRAD:
        return _adagrad(h, lr, c1, c2, g, s1, s2)
    return _adam(h, lr, c1, c2, g, s1, s2)


@helper
def _move(x, y, i, dx, dy):
    """Member i takes its step; leaving |θ| ≤ LIMIT (or NaN) makes it NaN for good."""
    xn = x[i] + dx
    yn = y[i] + dy
    if not (abs(xn) <= LIMIT and abs(yn) <= LIMIT):
        xn = math.nan
        yn = math.nan
    x[i] = xn
    y[i] = yn


@kernel
def _updates(opt, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y):
    """Every member's step, dispatched outside the loops so each loop vectorises. (Written out:
    Numba cannot cache a loop that takes the rule as an argument.)"""
    n = x.shape[0]
    h = (h[0], h[1], h[2], h[3])  # values, not memory: the compiler can keep them in registers
    if opt == GD:
        for i in range(n):
            _move(x, y, i, -lr * gx[i], -lr * gy[i])
    elif opt == MOMENTUM:
        for i in range(n):
            dx, s1x[i], s2x[i] = _momentum(h, lr, c1, c2, gx[i], s1x[i], s2x[i])
            dy, s1y[i], s2y[i] = _momentum(h, lr, c1, c2, gy[i], s1y[i], s2y[i])
            _move(x, y, i, dx, dy)
    elif opt == SGD_MOMENTUM:
        for i in range(n):
            dx, s1x[i], s2x[i] = _sgd_momentum(h, lr, c1, c2, gx[i], s1x[i], s2x[i])
            dy, s1y[i], s2y[i] = _sgd_momentum(h, lr, c1, c2, gy[i], s1y[i], s2y[i])
            _move(x, y, i, dx, dy)
    elif opt == RMSPROP:
        for i in range(n):
            dx, s1x[i], s2x[i] = _rmsprop(h, lr, c1, c2, gx[i], s1x[i], s2x[i])
            dy, s1y[i], s2y[i] = _rmsprop(h, lr, c1, c2, gy[i], s1y[i], s2y[i])
            _move(x, y, i, dx, dy)
    elif opt == ADAGRAD:
        for i in range(n):
            dx, s1x[i], s2x[i] = _adagrad(h, lr, c1, c2, gx[i], s1x[i], s2x[i])
            dy, s1y[i], s2y[i] = _adagrad(h, lr, c1, c2, gy[i], s1y[i], s2y[i])
            _move(x, y, i, dx, dy)
    else:
        for i in range(n):
            dx, s1x[i], s2x[i] = _adam(h, lr, c1, c2, gx[i], s1x[i], s2x[i])
            dy, s1y[i], s2y[i] = _adam(h, lr, c1, c2, gy[i], s1y[i], s2y[i])
            _move(x, y, i, dx, dy)


@kernel
def trajectory(sid, p, features, targets, order, bounds, opt, h, lrs, x0, y0,
               noise, seed, member, points, loss, batch_loss, grads, state):
    """Run one optimizer from (x0, y0) for len(lrs) steps, recording everything.

    Fills points (T+1, 2), loss (T+1,), batch_loss (T,), grads (T, 2), state (T, 2, 2). Returns
    the index of the first diverged point (from there on everything is NaN), or −1.
    """
    use_batches = bounds.shape[0] > 0
    corrected = h[3] != 0.0 and (opt == ADAM or opt == MOMENTUM)
    c1, c2 = 1.0, 1.0
    x, y = x0, y0
    f, gx, gy = gradient(sid, p, x, y)
    points[0, 0], points[0, 1], loss[0] = x, y, f
    s1x = s1y = s2x = s2y = 0.0
    for t in range(lrs.shape[0]):
        if use_batches:
            bl, gx, gy = batch_loss_and_gradient(x, y, features, targets, order,
                                                 bounds[t, 0], bounds[t, 1])
        else:
            bl = f
        if noise > 0.0:
            zx, zy = normal_pair(seed, member, t)
            gx += noise * zx
            gy += noise * zy
        if corrected:
            c1, c2 = bias_corrections(h, t + 1)
        dx, s1x, s2x = update(opt, h, lrs[t], c1, c2, gx, s1x, s2x)
        dy, s1y, s2y = update(opt, h, lrs[t], c1, c2, gy, s1y, s2y)
        batch_loss[t], grads[t, 0], grads[t, 1] = bl, gx, gy
        state[t, 0, 0], state[t, 0, 1], state[t, 1, 0], state[t, 1, 1] = s1x, s1y, s2x, s2y
        x += dx
        y += dy
        f, gx, gy = gradient(sid, p, x, y)
        if not (abs(x) <= LIMIT and abs(y) <= LIMIT and math.isfinite(f)):
            points[t + 1:, :] = math.nan
            loss[t + 1:] = math.nan
            batch_loss[t + 1:] = math.nan
            grads[t + 1:, :] = math.nan
            state[t + 1:, :, :] = math.nan
            return t + 1
        points[t + 1, 0], points[t + 1, 1], loss[t + 1] = x, y, f
    return -1


@kernel
def ensemble(sid, p, opt, h, lrs, x0, y0, noise, seed, out):
    """Run len(x0) members in lock-step; out (T+1, 2, n) receives the points.

    Each step is two passes over flat arrays (gradients, then updates) with the members innermost,
    so the compiler vectorises across them. A member that leaves |θ| ≤ LIMIT becomes NaN, and NaN
    then propagates through every later step.
    """
    n = x0.shape[0]
    x = x0.copy()
    y = y0.copy()
    gx, gy = np.empty(n), np.empty(n)
    s1x, s1y, s2x, s2y = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    out[0, 0, :] = x
    out[0, 1, :] = y
    for t in range(lrs.shape[0]):
        gradients(sid, p, x, y, gx, gy)
        if noise > 0.0:
            for i in range(n):
                a, b = normal_pair(seed, i, t)
                gx[i] += noise * a
                gy[i] += noise * b
        c1, c2 = bias_corrections(h, t + 1)
        _updates(opt, h, lrs[t], c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
        out[t + 1, 0, :] = x
        out[t + 1, 1, :] = y


@kernel
def ema(values, beta, out):
    """v_t = β·v_{t−1} + (1−β)·x_t with v₀ = 0, into out."""
    v = 0.0
    for t in range(values.shape[0]):
        v = beta * v + (1.0 - beta) * values[t]
        out[t] = v
