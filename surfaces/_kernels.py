"""Numba kernels for every loss surface: value, gradient and Hessian, dispatched by an integer id.

All surface maths lives here, in one file, so that Numba's disk cache never pairs a kernel with a
stale helper from another file (numba#1833). `p` is the surface's float64 coefficient vector.
"""

import math

import numpy as np

from numba import njit

from ._numba_cache import ENABLED as CACHED

# IEEE semantics (x/0 → ±inf, NaN) instead of Python's ZeroDivisionError: a divergence is a result,
# and branch-free division lets the compiler vectorise the loops. Never fastmath (DESIGN §4).
# nogil: a kernel releases the interpreter while it runs, so one session's long run (a network's
# training, an ensemble) does not stop every other session's page (their Python runs on the other core).
kernel = njit(cache=CACHED, error_model="numpy", nogil=True)
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
FORMULA = 10  # a typed formula: p = [n, n instructions (op, a, b, c), 6n workspace] (surfaces/_formula.py)

# The formula program's operations: a and b index earlier instructions, c is a constant.
(OP_CONST, OP_X, OP_Y, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_POWC, OP_SIN, OP_COS, OP_TAN, OP_EXP, OP_LOG,
 OP_SQRT, OP_ABS, OP_TANH, OP_SINH, OP_COSH, OP_ARCTAN) = range(20)

N_COEFFICIENTS = 9  # every surface's coefficient vector is zero-padded to this length


@helper
def _gaussian(x, y, cx, cy, depth, width):
    """−depth·exp(−((x−cx)² + (y−cy)²)/2w²) and its first and second derivatives.

    The exponent stops at −600: exp takes a slow path near and below the smallest double, which
    tripled the cost of noisy runs that roam far from a narrow well (lesson 8). A well that far
    adds less than 10⁻²⁶⁰·depth, under the last digit of the rest of the surface."""
    dx = x - cx
    dy = y - cy
    s2 = width * width
    e = depth * math.exp(max(-(dx * dx + dy * dy) / (2.0 * s2), -600.0))
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
def _power(u, c):
    """u^c and its first two derivatives; small whole exponents by multiplication (pow is a
    library call, many times slower, and x**2 is the commonest term there is)."""
    if c == 2.0:
        return u * u, 2.0 * u, 2.0
    if c == 3.0:
        return u * u * u, 3.0 * u * u, 6.0 * u
    if c == 4.0:
        u2 = u * u
        return u2 * u2, 4.0 * u2 * u, 12.0 * u2
    if c == 1.0:
        return u, 1.0, 0.0
    if c == 0.0:
        return 1.0, 0.0, 0.0
    below = u ** (c - 2.0)
    return below * u * u, c * below * u, c * (c - 1.0) * below


@helper
def workspace(sid, p, points):
    """Scratch memory for `gradients` over that many points (a formula's values per instruction)."""
    return np.empty((int(p[0]) if sid == FORMULA else 0, 3, points))


@helper
def _unary(op, u, c):
    """A formula's function of one argument at u: (φ(u), φ'(u), φ''(u)); c is POWC's exponent."""
    if op == OP_POWC:
        return _power(u, c)
    if op == OP_SIN:
        f0, f1, f2 = math.sin(u), math.cos(u), -math.sin(u)
    elif op == OP_COS:
        f0, f1, f2 = math.cos(u), -math.sin(u), -math.cos(u)
    elif op == OP_TAN:
        f0 = math.tan(u)
        f1 = 1.0 + f0 * f0
        f2 = 2.0 * f0 * f1
    elif op == OP_EXP:
        f0 = math.exp(u)
        f1 = f2 = f0
    elif op == OP_LOG:
        f0 = math.log(u) if u > 0.0 else (-math.inf if u == 0.0 else math.nan)
        f1, f2 = 1.0 / u, -1.0 / (u * u)
    elif op == OP_SQRT:
        f0 = math.sqrt(u) if u >= 0.0 else math.nan
        f1 = 0.5 / f0
        f2 = -0.5 * f1 / u
    elif op == OP_ABS:
        f0, f1, f2 = abs(u), (1.0 if u > 0.0 else (-1.0 if u < 0.0 else 0.0)), 0.0
    elif op == OP_TANH:
        f0 = math.tanh(u)
        f1 = 1.0 - f0 * f0
        f2 = -2.0 * f0 * f1
    elif op == OP_SINH:
        f0, f1, f2 = math.sinh(u), math.cosh(u), math.sinh(u)
    elif op == OP_COSH:
        f0, f1, f2 = math.cosh(u), math.sinh(u), math.cosh(u)
    elif op == OP_ARCTAN:
        f0 = math.atan(u)
        f1 = 1.0 / (1.0 + u * u)
        f2 = -2.0 * u * f1 * f1
    else:  # an unknown operation: loudly NaN
        f0 = f1 = f2 = math.nan
    return f0, f1, f2


@njit(cache=CACHED, error_model="numpy", nogil=True)
def _formula(p, x, y):
    """Run a formula program in forward mode: every instruction's value with its first and second
    derivatives in x and y, (f, fx, fy, fxx, fxy, fyy), kept in the workspace at the end of p.
    Exact derivatives, no finite differences; a non-finite value is a divergence like any other.
    (The workspace is written in place. The kernels run without the GIL, so every kernel called from
    Python works on its own copy of p: see `evaluate_many`, `trajectory` and `ensemble`.)"""
    n = int(p[0])
    w = 1 + 4 * n  # where the workspace starts
    for i in range(n):
        k = 1 + 4 * i
        op = int(p[k])
        a = w + 6 * int(p[k + 1])
        b = w + 6 * int(p[k + 2])
        c = p[k + 3]
        o = w + 6 * i
        if op == OP_CONST or op == OP_X or op == OP_Y:
            p[o] = c if op == OP_CONST else (x if op == OP_X else y)
            p[o + 1] = 1.0 if op == OP_X else 0.0
            p[o + 2] = 1.0 if op == OP_Y else 0.0
            p[o + 3] = p[o + 4] = p[o + 5] = 0.0
        elif op == OP_ADD or op == OP_SUB:
            s = 1.0 if op == OP_ADD else -1.0
            for j in range(6):
                p[o + j] = p[a + j] + s * p[b + j]
        elif op == OP_MUL:
            u, ux, uy, uxx, uxy, uyy = p[a], p[a + 1], p[a + 2], p[a + 3], p[a + 4], p[a + 5]
            v, vx, vy, vxx, vxy, vyy = p[b], p[b + 1], p[b + 2], p[b + 3], p[b + 4], p[b + 5]
            p[o] = u * v
            p[o + 1] = ux * v + u * vx
            p[o + 2] = uy * v + u * vy
            p[o + 3] = uxx * v + 2.0 * ux * vx + u * vxx
            p[o + 4] = uxy * v + ux * vy + uy * vx + u * vxy
            p[o + 5] = uyy * v + 2.0 * uy * vy + u * vyy
        elif op == OP_DIV:  # u·(1/v), with 1/v by the chain rule
            v = p[b]
            r = 1.0 / v
            d1, d2 = -r * r, 2.0 * r * r * r
            vx, vy = p[b + 1], p[b + 2]
            rx, ry = d1 * vx, d1 * vy
            rxx, rxy, ryy = d2 * vx * vx + d1 * p[b + 3], d2 * vx * vy + d1 * p[b + 4], d2 * vy * vy + d1 * p[b + 5]
            u, ux, uy = p[a], p[a + 1], p[a + 2]
            p[o] = u * r
            p[o + 1] = ux * r + u * rx
            p[o + 2] = uy * r + u * ry
            p[o + 3] = p[a + 3] * r + 2.0 * ux * rx + u * rxx
            p[o + 4] = p[a + 4] * r + ux * ry + uy * rx + u * rxy
            p[o + 5] = p[a + 5] * r + 2.0 * uy * ry + u * ryy
        elif op == OP_NEG:
            for j in range(6):
                p[o + j] = -p[a + j]
        else:  # a function φ of one argument u: φ(u), φ'(u)·∇u, φ''(u)·∇u∇uᵀ + φ'(u)·∇²u
            u = p[a]
            f0, f1, f2 = _unary(op, u, c)
            ux, uy = p[a + 1], p[a + 2]
            p[o] = f0
            p[o + 1] = f1 * ux
            p[o + 2] = f1 * uy
            p[o + 3] = f2 * ux * ux + f1 * p[a + 3]
            p[o + 4] = f2 * ux * uy + f1 * p[a + 4]
            p[o + 5] = f2 * uy * uy + f1 * p[a + 5]
    o = w + 6 * (n - 1)
    return p[o], p[o + 1], p[o + 2], p[o + 3], p[o + 4], p[o + 5]


@njit(cache=CACHED, error_model="numpy", nogil=True)
def _formula_gradients(p, xs, ys, gx, gy, v):
    """∂f/∂x, ∂f/∂y of a formula program at many points: instruction by instruction over all the
    points at once (value and first derivatives only), so each inner loop is one vectorisable
    operation over the points. v: the workspace, (instructions, 3, points)."""
    n, m = int(p[0]), xs.shape[0]
    for i in range(n):
        k = 1 + 4 * i
        op = int(p[k])
        a = int(p[k + 1])
        b = int(p[k + 2])
        c = p[k + 3]
        if op == OP_CONST or op == OP_X or op == OP_Y:
            for j in range(m):
                v[i, 0, j] = c if op == OP_CONST else (xs[j] if op == OP_X else ys[j])
                v[i, 1, j] = 1.0 if op == OP_X else 0.0
                v[i, 2, j] = 1.0 if op == OP_Y else 0.0
        elif op == OP_ADD:
            for d in range(3):
                for j in range(m):
                    v[i, d, j] = v[a, d, j] + v[b, d, j]
        elif op == OP_SUB:
            for d in range(3):
                for j in range(m):
                    v[i, d, j] = v[a, d, j] - v[b, d, j]
        elif op == OP_MUL:
            for j in range(m):
                u, w = v[a, 0, j], v[b, 0, j]
                v[i, 0, j] = u * w
                v[i, 1, j] = v[a, 1, j] * w + u * v[b, 1, j]
                v[i, 2, j] = v[a, 2, j] * w + u * v[b, 2, j]
        elif op == OP_DIV:
            for j in range(m):
                r = 1.0 / v[b, 0, j]
                q = v[a, 0, j] * r
                v[i, 0, j] = q
                v[i, 1, j] = (v[a, 1, j] - q * v[b, 1, j]) * r
                v[i, 2, j] = (v[a, 2, j] - q * v[b, 2, j]) * r
        elif op == OP_NEG:
            for d in range(3):
                for j in range(m):
                    v[i, d, j] = -v[a, d, j]
        else:
            for j in range(m):
                u = v[a, 0, j]
                f0, f1, _ = _unary(op, u, c)
                v[i, 0, j] = f0
                v[i, 1, j] = f1 * v[a, 1, j]
                v[i, 2, j] = f1 * v[a, 2, j]
    for j in range(m):
        gx[j] = v[n - 1, 1, j]
        gy[j] = v[n - 1, 2, j]


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
    if sid == FORMULA:
        return _formula(p, x, y)
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
def gradients(sid, p, xs, ys, gx, gy, work):
    """∂f/∂x, ∂f/∂y at many points into gx, gy (work: the `workspace` for that many points). The
    dispatch sits outside the loops, so each loop is branch-free and vectorises. (Written out:
    Numba cannot cache a loop that takes the surface function as an argument.)"""
    n = xs.shape[0]
    if sid == FORMULA:  # a program, not nine coefficients
        _formula_gradients(p, xs, ys, gx, gy, work)
        return
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
    p = p.copy()  # a formula's workspace is written: never into a Surface another thread may use
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
