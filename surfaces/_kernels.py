"""Numba kernels for every loss surface: value, gradient and Hessian, dispatched by an integer id.

All surface maths lives here, in one file, so that Numba's disk cache never pairs a kernel with a
stale helper from another file (numba#1833). `p` is the surface's float64 coefficient vector.
"""

import math

from numba import njit

from ._numba_cache import ENABLED as CACHED

# IEEE semantics (x/0 → ±inf, NaN) instead of Python's ZeroDivisionError: a divergence is a result,
# and branch-free division lets the compiler vectorise the loops. Never fastmath (DESIGN §4).
kernel = njit(cache=CACHED, error_model="numpy")
helper = njit(cache=CACHED, error_model="numpy", inline="always")  # small: inlined into the loops

BOWL = 0  # curvature/2 · (x² + y²)
ELONGATED_BOWL = 1  # ½(u² + κ v²), (u, v) = (x, y) rotated by the angle
SADDLE = 2  # x² − y²
MONKEY_SADDLE = 3  # x³ − 3xy²
SHARP_FLAT = 4  # c(x² + y²) − exp(−|r − s|²/2σs²) − exp(−|r − f|²/2σf²)
ROSENBROCK = 5  # (a − x)² + b(y − x²)²
LOCAL_MINIMA = 6  # c(x² + y²) − d₁ exp(−|r|²/2σ₁²) − d₂ exp(−|r − l|²/2σ₂²)
PLATEAU = 7  # 1 − exp(−(x² + y²)/2w²)
QUADRATIC = 8  # A x² + 2B xy + C y² + D x + E y + F (the least-squares loss of a regression)
BATCH_NORM = 9  # v − (wᵀc)²/(wᵀCw): a batch-normalised linear neuron with its best γ and β

N_COEFFICIENTS = 9  # every surface's coefficient vector is zero-padded to this length


@helper
def _gaussian(x, y, cx, cy, depth, width):
    """−depth·exp(−((x−cx)² + (y−cy)²)/2w²) and its first and second derivatives."""
    dx = x - cx
    dy = y - cy
    s2 = width * width
    e = depth * math.exp(-(dx * dx + dy * dy) / (2.0 * s2))
    value = -e
    gx = e * dx / s2
    gy = e * dy / s2
    hxx = e * (1.0 / s2 - dx * dx / (s2 * s2))
    hyy = e * (1.0 / s2 - dy * dy / (s2 * s2))
    hxy = -e * dx * dy / (s2 * s2)
    return value, gx, gy, hxx, hxy, hyy


# Each surface: (f, ∂f/∂x, ∂f/∂y, ∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²) at one point.

@helper
def _bowl(p, x, y):
    c = p[0]
    return 0.5 * c * (x * x + y * y), c * x, c * y, c, 0.0, c


@helper
def _elongated_bowl(p, x, y):
    kappa, cs, sn = p[0], p[1], p[2]
    u = cs * x + sn * y
    v = -sn * x + cs * y
    gv = kappa * v
    return (0.5 * (u * u + kappa * v * v), cs * u - sn * gv, sn * u + cs * gv,
            cs * cs + kappa * sn * sn, cs * sn - kappa * sn * cs, sn * sn + kappa * cs * cs)


@helper
def _saddle(p, x, y):
    return x * x - y * y, 2.0 * x, -2.0 * y, 2.0, 0.0, -2.0


@helper
def _monkey_saddle(p, x, y):
    return (x * x * x - 3.0 * x * y * y, 3.0 * x * x - 3.0 * y * y, -6.0 * x * y,
            6.0 * x, -6.0 * y, -6.0 * x)


@helper
def _two_wells(p, x, y):
    """A weak bowl plus two Gaussian wells, p = [c, x₁, y₁, depth₁, width₁, x₂, y₂, depth₂, width₂]."""
    c = p[0]
    v1, gx1, gy1, hxx1, hxy1, hyy1 = _gaussian(x, y, p[1], p[2], p[3], p[4])
    v2, gx2, gy2, hxx2, hxy2, hyy2 = _gaussian(x, y, p[5], p[6], p[7], p[8])
    return (c * (x * x + y * y) + v1 + v2, 2.0 * c * x + gx1 + gx2, 2.0 * c * y + gy1 + gy2,
            2.0 * c + hxx1 + hxx2, hxy1 + hxy2, 2.0 * c + hyy1 + hyy2)


@helper
def _rosenbrock(p, x, y):
    a, b = p[0], p[1]
    r = y - x * x
    return ((a - x) * (a - x) + b * r * r, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r,
            2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b)


@helper
def _plateau(p, x, y):
    v, gx, gy, hxx, hxy, hyy = _gaussian(x, y, 0.0, 0.0, 1.0, p[0])
    return 1.0 + v, gx, gy, hxx, hxy, hyy


@helper
def _quadratic(p, x, y):
    a, b, c, d, e, f = p[0], p[1], p[2], p[3], p[4], p[5]
    return (a * x * x + 2.0 * b * x * y + c * y * y + d * x + e * y + f,
            2.0 * a * x + 2.0 * b * y + d, 2.0 * b * x + 2.0 * c * y + e, 2.0 * a, 2.0 * b, 2.0 * c)


@helper
def _batch_norm(p, x, y):
    """min over γ, β of mean((γ·BN(w·x) + β − y)²) = v − s²/a with a = wᵀCw, s = wᵀc, u = Cw
    (C the inputs' covariance, c their covariance with y, v = var y; ε cancels into γ). It depends
    on w's direction only. p = [C₁₁, C₁₂, C₂₂, c₁, c₂, v]. At w = 0 (no direction) it is v."""
    c11, c12, c22, c1, c2, v = p[0], p[1], p[2], p[3], p[4], p[5]
    u1 = c11 * x + c12 * y
    u2 = c12 * x + c22 * y
    a = x * u1 + y * u2
    if a == 0.0:
        return v, 0.0, 0.0, 0.0, 0.0, 0.0
    s = c1 * x + c2 * y
    r = s / a
    # ∇f = 2r(r·u − c);  H = −2ccᵀ/a + 4r(cuᵀ + ucᵀ)/a + 2r²C − 8r²uuᵀ/a
    g1 = 2.0 * r * (r * u1 - c1)
    g2 = 2.0 * r * (r * u2 - c2)
    r2 = r * r
    hxx = (-2.0 * c1 * c1 + 8.0 * r * c1 * u1 - 8.0 * r2 * u1 * u1) / a + 2.0 * r2 * c11
    hxy = (-2.0 * c1 * c2 + 4.0 * r * (c1 * u2 + u1 * c2) - 8.0 * r2 * u1 * u2) / a + 2.0 * r2 * c12
    hyy = (-2.0 * c2 * c2 + 8.0 * r * c2 * u2 - 8.0 * r2 * u2 * u2) / a + 2.0 * r2 * c22
    return v - s * r, g1, g2, hxx, hxy, hyy


@helper
def derivatives(sid, p, x, y):
    """(f, ∂f/∂x, ∂f/∂y, ∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²) of surface `sid` at one point."""
    if sid == BOWL:
        return _bowl(p, x, y)
    if sid == ELONGATED_BOWL:
        return _elongated_bowl(p, x, y)
    if sid == SADDLE:
        return _saddle(p, x, y)
    if sid == MONKEY_SADDLE:
        return _monkey_saddle(p, x, y)
    if sid == ROSENBROCK:
        return _rosenbrock(p, x, y)
    if sid == PLATEAU:
        return _plateau(p, x, y)
    if sid == QUADRATIC:
        return _quadratic(p, x, y)
    if sid == SHARP_FLAT or sid == LOCAL_MINIMA:
        return _two_wells(p, x, y)
    if sid == BATCH_NORM:
        return _batch_norm(p, x, y)
    return math.nan, math.nan, math.nan, math.nan, math.nan, math.nan  # an unknown id: loudly NaN


@helper
def gradient(sid, p, x, y):
    """(f, ∂f/∂x, ∂f/∂y): what an optimizer step needs."""
    d = derivatives(sid, p, x, y)
    return d[0], d[1], d[2]


@helper
def as_tuple(p):
    """The coefficient vector as a tuple, read once before a loop."""
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])


@kernel
def gradients(sid, p, xs, ys, gx, gy):
    """∂f/∂x, ∂f/∂y at many points into gx, gy. The dispatch sits outside the loops, so each loop
    is branch-free and vectorises. (Written out: Numba cannot cache a loop that takes the surface
    function as an argument.)"""
    n = xs.shape[0]
    p = as_tuple(p)  # values, not memory: the compiler can keep them in registers
    if sid == BOWL:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _bowl(p, xs[i], ys[i])
    elif sid == ELONGATED_BOWL:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _elongated_bowl(p, xs[i], ys[i])
    elif sid == SADDLE:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _saddle(p, xs[i], ys[i])
    elif sid == MONKEY_SADDLE:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _monkey_saddle(p, xs[i], ys[i])
    elif sid == ROSENBROCK:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _rosenbrock(p, xs[i], ys[i])
    elif sid == PLATEAU:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _plateau(p, xs[i], ys[i])
    elif sid == QUADRATIC:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _quadratic(p, xs[i], ys[i])
    elif sid == SHARP_FLAT or sid == LOCAL_MINIMA:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _two_wells(p, xs[i], ys[i])
    elif sid == BATCH_NORM:
        for i in range(n):
            _, gx[i], gy[i], _, _, _ = _batch_norm(p, xs[i], ys[i])
    else:  # an unknown id: loudly NaN, never another surface's values
        for i in range(n):
            gx[i] = math.nan
            gy[i] = math.nan


@kernel
def evaluate_many(sid, p, xs, ys, out):
    """Fill out[i, :] with derivatives(xs[i], ys[i]) for flat arrays (contour grids, batches)."""
    for i in range(xs.shape[0]):
        d = derivatives(sid, p, xs[i], ys[i])
        for k in range(out.shape[1]):
            out[i, k] = d[k]


@kernel
def batch_loss_and_gradient(w, b, xs, ys, indices, start, stop):
    """Mean squared error of w·x + b against y over samples indices[start:stop], and its gradient."""
    loss = 0.0
    gw = 0.0
    gb = 0.0
    for k in range(start, stop):
        i = indices[k]
        r = w * xs[i] + b - ys[i]
        loss += r * r
        gw += r * xs[i]
        gb += r
    n = stop - start
    return loss / n, 2.0 * gw / n, 2.0 * gb / n
