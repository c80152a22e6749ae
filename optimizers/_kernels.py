"""Numba kernels for the optimizers: one coordinate update, a recorded trajectory, an ensemble, EMA.

Optimizers are dispatched by integer id over one hyper-parameter record
h = [β₁, β₂, ε, flag, λ₂, λ₁, subgradient] (flag = bias_correction or nesterov; λ₂ = weight decay,
λ₁ = the L1 penalty, subgradient = 1 for the subgradient L1 step instead of the proximal one) and one
state layout (two buffers per coordinate). An unknown id gives NaN: a divergence, never another
optimizer's values.
"""

import math

import numpy as np
from numba import njit

from surfaces._numba_cache import ENABLED as CACHED

# IEEE semantics (x/0 → ±inf, NaN) instead of Python's ZeroDivisionError: a divergence is a result,
# and branch-free division lets the compiler vectorise the loops. Never fastmath (DESIGN §4).
# nogil: a kernel releases the interpreter while it runs, so one session's long run (a network's
# training, an ensemble) does not stop every other session's page (their Python runs on the other core).
kernel = njit(cache=CACHED, error_model="numpy", nogil=True)
helper = njit(cache=CACHED, error_model="numpy", inline="always")  # small: inlined into the loops

from surfaces._kernels import batch_loss_and_gradient, gradient, gradients, workspace

GD, MOMENTUM, SGD_MOMENTUM, RMSPROP, ADAGRAD, ADAM, ADAMW = 0, 1, 2, 3, 4, 5, 6
RECORD = 7  # the length of the hyper-parameter record h
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
    """One coordinate's step of optimizer `opt`: (Δθ, s1, s2); NaN for an unknown id."""
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
    if opt == ADAM or opt == ADAMW:
        return _adam(h, lr, c1, c2, g, s1, s2)
    return math.nan, s1, s2


@helper
def step(opt, h, lr, c1, c2, theta, g, s1, s2):
    """One coordinate's new value with the penalties (torch.optim's order): weight decay λ₂θ added
    to the gradient, or for AdamW decoupled, θ·(1 − αλ₂) before the step; the L1 penalty as a
    subgradient λ₁·sign θ added to the gradient, or as the proximal soft-threshold after the step."""
    if opt != ADAMW:
        g = g + h[4] * theta
    if h[6] != 0.0:
        g = g + h[5] * (1.0 if theta > 0.0 else (-1.0 if theta < 0.0 else 0.0))
    d, s1, s2 = update(opt, h, lr, c1, c2, g, s1, s2)
    if opt == ADAMW:
        theta = theta * (1.0 - lr * h[4])
    new = theta + d
    if h[5] != 0.0 and h[6] == 0.0:
        shrunk = abs(new) - lr * h[5]
        new = math.copysign(shrunk, new) if shrunk > 0.0 else 0.0
    return new, s1, s2


@helper
def _put(x, y, i, xn, yn):
    """Member i moves to (xn, yn); leaving |θ| ≤ LIMIT (or NaN) makes it NaN for good."""
    if not (abs(xn) <= LIMIT and abs(yn) <= LIMIT):
        xn = math.nan
        yn = math.nan
    x[i] = xn
    y[i] = yn


@helper
def _each(opt, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y):
    for i in range(x.shape[0]):
        xn, s1x[i], s2x[i] = step(opt, h, lr, c1, c2, x[i], gx[i], s1x[i], s2x[i])
        yn, s1y[i], s2y[i] = step(opt, h, lr, c1, c2, y[i], gy[i], s1y[i], s2y[i])
        _put(x, y, i, xn, yn)


@kernel
def _updates(opt, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y):
    """Every member's step. The dispatch sits outside the loop and each loop gets its optimizer as a
    constant, so the rule inlines branch-free and the loop vectorises. (Written out: Numba cannot
    cache a loop that takes the rule as an argument.)"""
    h = (h[0], h[1], h[2], h[3], h[4], h[5], h[6])  # values, not memory: kept in registers
    if opt == GD:
        _each(GD, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == MOMENTUM:
        _each(MOMENTUM, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == SGD_MOMENTUM:
        _each(SGD_MOMENTUM, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == RMSPROP:
        _each(RMSPROP, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == ADAGRAD:
        _each(ADAGRAD, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == ADAM:
        _each(ADAM, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    elif opt == ADAMW:
        _each(ADAMW, h, lr, c1, c2, x, y, gx, gy, s1x, s1y, s2x, s2y)
    else:  # an unknown id: loudly NaN, never another optimizer's values
        x[:] = math.nan
        y[:] = math.nan


# The columns of a trajectory's record: row t holds point t and the update from point t to t+1.
X, Y, LOSS, BATCH_LOSS, GX, GY, S1X, S1Y, S2X, S2Y = range(10)
COLUMNS = 10


@kernel
def trajectory(sid, p, features, targets, order, bounds, opt, h, lrs, x0, y0, noise, seed, member, out):
    """Run one optimizer from (x0, y0) for T = len(lrs) steps, recording everything in out (T+1, 10)
    by the columns above (one array: every argument costs the dispatcher time). Returns the index of
    the first diverged point (from there on every column is NaN), or −1.
    """
    p = p.copy()  # a formula's workspace is written: never into a Surface another thread may use
    use_batches = bounds.shape[0] > 0
    h = (h[0], h[1], h[2], h[3], h[4], h[5], h[6])  # values, not memory: kept in registers
    corrected = h[3] != 0.0 and (opt == ADAM or opt == ADAMW or opt == MOMENTUM)
    c1, c2 = 1.0, 1.0
    x, y = x0, y0
    f, gx, gy = gradient(sid, p, x, y)
    out[0, X], out[0, Y], out[0, LOSS] = x, y, f
    s1x = s1y = s2x = s2y = 0.0
    steps = lrs.shape[0]
    for t in range(steps):
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
        x, s1x, s2x = step(opt, h, lrs[t], c1, c2, x, gx, s1x, s2x)
        y, s1y, s2y = step(opt, h, lrs[t], c1, c2, y, gy, s1y, s2y)
        out[t, BATCH_LOSS], out[t, GX], out[t, GY] = bl, gx, gy
        out[t, S1X], out[t, S1Y], out[t, S2X], out[t, S2Y] = s1x, s1y, s2x, s2y
        f, gx, gy = gradient(sid, p, x, y)
        if not (abs(x) <= LIMIT and abs(y) <= LIMIT and math.isfinite(f)):
            out[t + 1:, :] = math.nan
            return t + 1
        out[t + 1, X], out[t + 1, Y], out[t + 1, LOSS] = x, y, f
    out[steps, BATCH_LOSS:] = math.nan  # no update leaves the last point
    return -1


@kernel
def normals(seed, out):
    """normal_pair(seed, i, t) for every step t and member i into out (T, 2, n): an ensemble's noise."""
    for t in range(out.shape[0]):
        for i in range(out.shape[2]):
            out[t, 0, i], out[t, 1, i] = normal_pair(seed, i, t)


@kernel
def ensemble(sid, p, opt, h, lrs, x0, y0, noise, seed, table, out):
    """Run len(x0) members in lock-step; out (T+1, 2, n) receives the points.

    Each step is two passes over flat arrays (gradients, then updates) with the members innermost,
    so the compiler vectorises across them. A member that leaves |θ| ≤ LIMIT becomes NaN, and NaN
    then propagates through every later step. The noise's N(0, 1) draws come from `table` (the
    `normals` of this seed, computed once for many ensembles) unless it is empty (0, 2, 0).
    """
    p = p.copy()  # a formula's workspace is written: never into a Surface another thread may use
    n = x0.shape[0]
    x = x0.copy()
    y = y0.copy()
    gx, gy = np.empty(n), np.empty(n)
    s1x, s1y, s2x, s2y = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    work = workspace(sid, p, n)
    out[0, 0, :] = x
    out[0, 1, :] = y
    for t in range(lrs.shape[0]):
        gradients(sid, p, x, y, gx, gy, work)
        if noise > 0.0 and table.shape[0] > 0:
            for i in range(n):
                gx[i] += noise * table[t, 0, i]
                gy[i] += noise * table[t, 1, i]
        elif noise > 0.0:
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


# ----------------------------------------------------------------------------- a small network

@helper
def _layers(sizes, theta, inputs, a, z):
    """A dense network on every sample at once: inputs (n_in, n), one column per sample; ReLU
    hidden layers (in a), and the top unit's pre-activation left in z[0]. theta holds each layer's
    W (n_out × n_in, row by row) then b; sizes = (n_in, n_hidden…, 1). Each unit of each layer is a
    pass over all samples, which the compiler vectorises (a sample at a time, the loops over two to
    five units were mostly overhead: 3× the time); each sample's sums run in the same order."""
    layers = sizes.shape[0] - 1
    n = inputs.shape[1]
    at = 0
    for l in range(layers):
        below = inputs if l == 0 else a
        n_in, n_out = sizes[l], sizes[l + 1]
        for o in range(n_out):
            bias = theta[at + n_out * n_in + o]
            for i in range(n):
                z[o, i] = bias
            for j in range(n_in):
                w = theta[at + o * n_in + j]
                for i in range(n):
                    z[o, i] += w * below[j, i]
        at += n_out * n_in + n_out
        if l < layers - 1:
            for o in range(n_out):
                for i in range(n):
                    a[o, i] = z[o, i] if z[o, i] > 0.0 else 0.0


@helper
def _workspace(sizes, n):
    width = 0
    for l in range(sizes.shape[0]):
        width = max(width, sizes[l])
    return np.empty((width, n)), np.empty((width, n))


@kernel
def network_forward(sizes, theta, X, out):
    """The network's sigmoid output for every row of X (see _layers)."""
    a, z = _workspace(sizes, X.shape[0])
    _layers(sizes, theta, np.ascontiguousarray(X.T), a, z)
    for i in range(X.shape[0]):
        out[i] = 1.0 / (1.0 + math.exp(-z[0, i]))


@kernel
def network_gradient(sizes, theta, X, Y, rows, start, stop, g):
    """The summed cross-entropy of the samples rows[start:stop] and, into g, the gradient of its
    mean over them (backpropagation, as the course's backward_propagation computes it)."""
    layers = sizes.shape[0] - 1
    width = 0
    for l in range(sizes.shape[0]):
        width = max(width, sizes[l])
    acts = np.zeros((layers + 1, width))  # each layer's activations for one sample
    delta = np.zeros(width)
    above = np.zeros(width)
    offsets = np.zeros(layers + 1, np.int64)
    for l in range(layers):
        offsets[l + 1] = offsets[l] + sizes[l + 1] * sizes[l] + sizes[l + 1]
    g[:] = 0.0
    m = stop - start
    cost = 0.0
    for k in range(start, stop):
        i = rows[k]
        for j in range(sizes[0]):
            acts[0, j] = X[i, j]
        for l in range(layers):
            n_in, n_out, at = sizes[l], sizes[l + 1], offsets[l]
            for o in range(n_out):
                s = theta[at + n_out * n_in + o]
                for j in range(n_in):
                    s += theta[at + o * n_in + j] * acts[l, j]
                if l < layers - 1:
                    acts[l + 1, o] = s if s > 0.0 else 0.0
                else:
                    acts[l + 1, o] = 1.0 / (1.0 + math.exp(-s))
        p = acts[layers, 0]
        cost += -math.log(p) if Y[i] == 1.0 else -math.log(1.0 - p)
        delta[0] = (p - Y[i]) / m  # ∂(mean cost)/∂z at the sigmoid
        for l in range(layers - 1, -1, -1):
            n_in, n_out, at = sizes[l], sizes[l + 1], offsets[l]
            for o in range(n_out):
                for j in range(n_in):
                    g[at + o * n_in + j] += delta[o] * acts[l, j]
                g[at + n_out * n_in + o] += delta[o]
            if l > 0:
                for j in range(n_in):
                    s = 0.0
                    for o in range(n_out):
                        s += theta[at + o * n_in + j] * delta[o]
                    above[j] = s if acts[l, j] > 0.0 else 0.0  # ReLU's derivative
                for j in range(n_in):
                    delta[j] = above[j]
    return cost


@kernel
def train_network(sizes, X, Y, theta, opt, h, lrs, order, batch_size, every, costs, snapshots):
    """Mini-batch training: epoch e visits the samples in order[e] in batches of batch_size (the
    last one smaller), each batch one step of optimizer `opt` on every parameter by the same rule
    as the surfaces (`step`), t counted per batch. costs[e]: the epoch's summed cost over m;
    snapshots[k]: the parameters after epoch (k + 1)·every. Returns the first epoch whose cost is
    not finite, or −1."""
    h = (h[0], h[1], h[2], h[3], h[4], h[5], h[6])
    corrected = h[3] != 0.0 and (opt == ADAM or opt == ADAMW or opt == MOMENTUM)
    n = theta.shape[0]
    g = np.empty(n)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    m = X.shape[0]
    t = 0
    c1, c2 = 1.0, 1.0
    for epoch in range(order.shape[0]):
        total = 0.0
        for start in range(0, m, batch_size):
            stop = min(start + batch_size, m)
            total += network_gradient(sizes, theta, X, Y, order[epoch], start, stop, g)
            t += 1
            if corrected:
                c1, c2 = bias_corrections(h, t)
            for k in range(n):
                theta[k], s1[k], s2[k] = step(opt, h, lrs[epoch], c1, c2, theta[k], g[k], s1[k], s2[k])
        costs[epoch] = total / m
        if not math.isfinite(costs[epoch]):
            costs[epoch:] = math.nan
            return epoch
        if (epoch + 1) % every == 0:
            snapshots[(epoch + 1) // every - 1, :] = theta
    return -1


@kernel
def network_costs(sizes, thetas, X, Y, out):
    """The mean cross-entropy over all samples for each row of thetas (a loss landscape's points)."""
    n = X.shape[0]
    a, z = _workspace(sizes, n)
    inputs = np.ascontiguousarray(X.T)
    for k in range(thetas.shape[0]):
        _layers(sizes, thetas[k], inputs, a, z)
        total = 0.0
        for i in range(n):
            p = 1.0 / (1.0 + math.exp(-z[0, i]))
            total += -math.log(p) if Y[i] == 1.0 else -math.log(1.0 - p)
        out[k] = total / n
