"""Loss surfaces over two parameters: analytic test functions and a data-defined regression loss.

    >>> import surfaces
    >>> bowl = surfaces.get("elongated_bowl", condition=20, angle=30)
    >>> bowl.f(1.0, 0.0), bowl.grad(1.0, 0.0), bowl.hessian(0.0, 0.0)
"""

from dataclasses import dataclass, field
import math

import numpy as np

from . import _numba_cache

_numba_cache.configure()

from . import _kernels as K  # noqa: E402  (the cache folder must be set before Numba loads)
from ._formula import FUNCTIONS as FORMULA_FUNCTIONS, MAX_LENGTH as MAX_FORMULA_LENGTH  # noqa: E402
from ._formula import FormulaError, compile_formula  # noqa: E402

__all__ = ["Surface", "SurfaceKind", "Parameter", "SURFACES", "Curvature", "names", "get", "regression",
           "kernel_array", "curvature", "box_sharpness", "quadratic_hessian", "ridge_path", "lasso_breakpoints",
           "lasso_path", "box_minimum", "features", "feature_samples",
           "feature_statistics", "SCALE_BY", "neuron", "neuron_samples", "formula", "FormulaError",
           "compile_formula", "FORMULA_FUNCTIONS", "MAX_FORMULA_LENGTH", "moons",
           "DEFAULT_FORMULA",
           "minimum_fraction", "PARAMETERS", "SORT_KEYS"]

SORT_KEYS = (None, "x", "y")
# One seed drives several random streams; each use gets its own (with one stream for everything,
# the first mini-batch drawn "at random" was exactly the samples with the smallest x).
DATA_STREAM, SAMPLING_STREAM, SHUFFLE_STREAM = 0, 1, 2


def kernel_array(values, dtype=np.float64):
    """A C-contiguous, writable array: Numba compiles a kernel anew for read-only or strided input
    (broadcast views and cached arrays are read-only), so every kernel argument passes through here."""
    return np.require(values, dtype=dtype, requirements=("C", "W"))


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss f(x, y) with its analytic gradient and Hessian, plot bounds and known minima.

    For the regression surface x, y are the parameters (w, b) and `samples` holds the data.
    """

    name: str
    title: str
    formula: str
    params: dict
    bounds: tuple  # (xmin, xmax, ymin, ymax)
    minima: tuple  # ((x, y), ...) known minimisers; empty for saddles
    start: tuple
    kernel_id: int
    coefficients: np.ndarray = field(repr=False)
    samples: tuple = field(default=None, repr=False)  # (features, targets) or None

    def _evaluate(self, x, y):
        xs, ys = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        out = np.empty((xs.size, 6))
        K.evaluate_many(self.kernel_id, self.coefficients, kernel_array(xs.ravel()), kernel_array(ys.ravel()), out)
        return out, xs.shape

    def f(self, x, y):
        """The loss, vectorised over NumPy arrays (a float for scalar input)."""
        out, shape = self._evaluate(x, y)
        return out[:, 0].reshape(shape)[()]

    def grad(self, x, y):
        """(∂f/∂x, ∂f/∂y), vectorised like `f`."""
        out, shape = self._evaluate(x, y)
        return out[:, 1].reshape(shape)[()], out[:, 2].reshape(shape)[()]

    def hessian(self, x, y):
        """The analytic 2×2 Hessian at one point."""
        out, _ = self._evaluate(float(x), float(y))
        hxx, hxy, hyy = out[0, 3:]
        return np.array([[hxx, hxy], [hxy, hyy]])

    @property
    def n_samples(self):
        return 0 if self.samples is None else len(self.samples[0])

    def batch_loss_and_grad(self, w, b, indices):
        """Mean squared error over the samples `indices` and its gradient (w, b)."""
        if self.samples is None:
            raise ValueError(f"surface {self.name!r} has no samples; only 'regression' has mini-batches")
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(f"indices must be a non-empty selection of 0..{self.n_samples - 1}")
        loss, gw, gb = K.batch_loss_and_gradient(float(w), float(b), *self.samples, kernel_array(idx, np.int64), 0,
                                                 idx.size)
        return loss, (gw, gb)

    def sample_gradients(self, w, b):
        """Every sample's gradient of (w·xᵢ + b − yᵢ)² at (w, b), shape (m, 2): their mean is `grad`."""
        if self.samples is None:
            raise ValueError(f"surface {self.name!r} has no samples; only 'regression' has per-sample gradients")
        xs, ys = self.samples
        residual = w * xs + b - ys
        return np.stack([2.0 * residual * xs, 2.0 * residual], axis=1)

    def minibatch_gradients(self, w, b, batch_size, draws, seed=0):
        """`draws` independent mini-batch gradients at (w, b), each the mean over `batch_size`
        samples drawn without replacement: shape (draws, 2)."""
        m = self.n_samples
        if not 1 <= batch_size <= m:
            raise ValueError(f"batch_size must lie in [1, {m}], got {batch_size}")
        per_sample = self.sample_gradients(w, b)
        keys = np.random.default_rng([seed, SAMPLING_STREAM]).random((draws, m))
        chosen = np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size]  # a random B-subset per row
        return per_sample[chosen].mean(axis=1)

    def batch_grad(self, w, b, indices):
        """The mini-batch gradient (∂J/∂w, ∂J/∂b) over the samples `indices`."""
        return self.batch_loss_and_grad(w, b, indices)[1]


def _check(name, value, low, high, surface):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{surface}: {name} must be a number, got {value!r}") from None
    if not (low <= value <= high):
        raise ValueError(f"{surface}: {name} must lie in [{low}, {high}], got {value}")
    return value


def _refine_minimum(kernel_id, coefficients, guess):
    """Newton's method from a nearby guess: the exact stationary point the surface's maths gives."""
    x, y = guess
    out = np.empty((1, 6))
    for _ in range(50):
        K.evaluate_many(kernel_id, coefficients, np.array([x]), np.array([y]), out)
        _, gx, gy, hxx, hxy, hyy = out[0]
        det = hxx * hyy - hxy * hxy
        dx = (hyy * gx - hxy * gy) / det
        dy = (hxx * gy - hxy * gx) / det
        x, y = x - dx, y - dy
        if abs(dx) + abs(dy) < 1e-15:
            break
    return (float(x), float(y))


def _bowl(curvature):
    c = curvature
    return dict(title="Bowl", formula=rf"f(x,y) = \tfrac{{{c:g}}}{{2}}\,(x^2 + y^2)",
                params=dict(curvature=c), bounds=(-2.0, 2.0, -2.0, 2.0), minima=((0.0, 0.0),),
                start=(-1.6, 1.2), coefficients=[c])


def _elongated_bowl(condition, angle):
    kappa, degrees = condition, angle
    cs, sn = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    u, v = -2.0, 0.6  # far along the valley, a little way up its wall
    return dict(title="Elongated bowl",
                formula=(rf"f = \tfrac12\left(u^2 + {kappa:g}\,v^2\right),\ "
                         rf"\binom{{u}}{{v}} = R_{{{degrees:g}^\circ}}\binom{{x}}{{y}}"),
                params=dict(condition=kappa, angle=degrees), bounds=(-2.5, 2.5, -2.5, 2.5),
                minima=((0.0, 0.0),), start=(cs * u - sn * v, sn * u + cs * v), coefficients=[kappa, cs, sn])


def _saddle():
    return dict(title="Saddle", formula=r"f(x,y) = x^2 - y^2", params={},
                bounds=(-2.0, 2.0, -2.0, 2.0), minima=(), start=(1.8, 0.01), coefficients=[])


def _monkey_saddle():
    return dict(title="Monkey saddle", formula=r"f(x,y) = x^3 - 3xy^2", params={},
                bounds=(-1.5, 1.5, -1.5, 1.5), minima=(), start=(1.2, 0.01), coefficients=[])


def _two_wells(c, first, second):
    return [c, *first, *second]


def _sharp_flat(sharp_width, flat_width):
    ws, wf = sharp_width, flat_width
    sharp, flat = (-1.5, 0.5), (1.5, -0.5)
    return dict(title="Sharp and flat minima",
                formula=(rf"f = 0.02\,\lVert\theta\rVert^2 - e^{{-\lVert\theta-s\rVert^2/2({ws:g})^2}}"
                         rf" - e^{{-\lVert\theta-\phi\rVert^2/2({wf:g})^2}}"),
                params=dict(sharp_width=ws, flat_width=wf), bounds=(-4.0, 4.0, -3.0, 3.0),
                minima=(sharp, flat), start=(0.0, 2.0),
                coefficients=_two_wells(0.02, (*sharp, 1.0, ws), (*flat, 1.0, wf)))


def _rosenbrock(a, b):
    return dict(title="Rosenbrock", formula=rf"f(x,y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2",
                params=dict(a=a, b=b), bounds=(-2.0, 2.0, -1.0, 3.0), minima=((a, a * a),),
                start=(-1.2, 1.0), coefficients=[a, b])


def _local_minima(local_depth):
    depth = local_depth
    local = (3.0, 0.0)
    return dict(title="Bowl with a shallow local minimum",
                formula=(r"f = 0.1\,\lVert\theta\rVert^2 - 1.5\,e^{-\lVert\theta\rVert^2/2}"
                         rf" - {depth:g}\,e^{{-\lVert\theta-(3,0)\rVert^2/2(0.5)^2}}"),
                params=dict(local_depth=depth), bounds=(-3.0, 4.5, -3.0, 3.0),
                minima=((0.0, 0.0), local), start=(3.8, 1.0),
                coefficients=_two_wells(0.1, (0.0, 0.0, 1.5, 1.0), (*local, depth, 0.5)))


def _plateau(width):
    w = width
    return dict(title="Plateau", formula=rf"f(x,y) = 1 - e^{{-(x^2+y^2)/2({w:g})^2}}",
                params=dict(width=w), bounds=(-4.0 * w, 4.0 * w, -4.0 * w, 4.0 * w),
                minima=((0.0, 0.0),), start=(2.4 * w, 1.8 * w),
                coefficients=[w])


def _quadratic(curvature_1, curvature_2, angle, centre_x, centre_y):
    """½(θ − c)ᵀH(θ − c) with H's eigenvalues curvature_1, curvature_2 along axes turned by `angle`:
    a bowl whose minimum c sits away from the origin (where penalties pull)."""
    hessian = quadratic_hessian(curvature_1, curvature_2, angle)
    centre = np.array([centre_x, centre_y])
    (h11, h12), (_, h22) = hessian
    gradient_at_zero = -hessian @ centre
    # the map spans the origin (where the penalties pull) and the minimum, with a margin
    xmin, xmax = min(0.0, centre_x) - 1.2, max(0.0, centre_x) + 1.2
    ymin, ymax = min(0.0, centre_y) - 1.2, max(0.0, centre_y) + 1.2
    return dict(title="Quadratic bowl",
                formula=(rf"f = \tfrac12(\theta - c)^\top H(\theta - c),\ "
                         rf"c = ({centre_x:g}, {centre_y:g}),\ \lambda(H) = {curvature_1:g}, {curvature_2:g}"),
                params=dict(curvature_1=curvature_1, curvature_2=curvature_2, angle=angle, centre_x=centre_x,
                            centre_y=centre_y),
                bounds=(xmin, xmax, ymin, ymax), minima=((centre_x, centre_y),),
                start=(xmin + 0.15 * (xmax - xmin), ymax - 0.15 * (ymax - ymin)),
                coefficients=[0.5 * h11, 0.5 * h12, 0.5 * h22, *gradient_at_zero,
                              0.5 * float(centre @ hessian @ centre)])


def quadratic_hessian(curvature_1, curvature_2, angle):
    """R·diag(curvature_1, curvature_2)·Rᵀ, R the rotation by `angle` degrees."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rotation = np.array([[c, -s], [s, c]])
    return rotation @ np.diag([curvature_1, curvature_2]) @ rotation.T


@dataclass(frozen=True)
class Parameter:
    """A surface parameter: its default, the range the core accepts, and the Playground's slider
    (lowest, highest, step) inside that range."""

    default: float
    low: float
    high: float
    slider: tuple = None


@dataclass(frozen=True)
class SurfaceKind:
    """Everything the app needs to know about one surface: its kernel id, its builder
    (parameters -> title, formula, bounds, minima, start, coefficients) and its parameters."""

    kernel_id: int
    build: object
    parameters: dict


SURFACES = {
    "bowl": SurfaceKind(K.BOWL, _bowl, {"curvature": Parameter(1.0, 0.01, 100.0, (0.1, 10.0, 0.1))}),
    "elongated_bowl": SurfaceKind(K.ELONGATED_BOWL, _elongated_bowl, {
        "condition": Parameter(10.0, 1.0, 1000.0, (1.0, 100.0, 1.0)),
        "angle": Parameter(0.0, -90.0, 90.0, (-90.0, 90.0, 5.0))}),
    "saddle": SurfaceKind(K.SADDLE, _saddle, {}),
    "monkey_saddle": SurfaceKind(K.MONKEY_SADDLE, _monkey_saddle, {}),
    "sharp_flat": SurfaceKind(K.SHARP_FLAT, _sharp_flat, {
        "sharp_width": Parameter(0.25, 0.1, 1.0, (0.1, 1.0, 0.05)),
        "flat_width": Parameter(1.0, 0.5, 2.0, (0.5, 2.0, 0.1))}),
    "rosenbrock": SurfaceKind(K.ROSENBROCK, _rosenbrock, {
        "a": Parameter(1.0, -3.0, 3.0, (-2.0, 2.0, 0.1)), "b": Parameter(100.0, 0.1, 1000.0, (1.0, 200.0, 1.0))}),
    "local_minima": SurfaceKind(K.LOCAL_MINIMA, _local_minima,
                                {"local_depth": Parameter(1.0, 0.7, 2.0, (0.7, 2.0, 0.1))}),
    "plateau": SurfaceKind(K.PLATEAU, _plateau, {"width": Parameter(1.0, 0.3, 3.0, (0.3, 3.0, 0.1))}),
    "quadratic": SurfaceKind(K.QUADRATIC, _quadratic, {
        "curvature_1": Parameter(1.0, 0.01, 100.0, (0.1, 10.0, 0.1)),
        "curvature_2": Parameter(4.0, 0.01, 100.0, (0.1, 10.0, 0.1)),
        "angle": Parameter(30.0, -90.0, 90.0, (-90.0, 90.0, 5.0)),
        "centre_x": Parameter(1.5, -10.0, 10.0, (-3.0, 3.0, 0.1)),
        "centre_y": Parameter(0.5, -10.0, 10.0, (-3.0, 3.0, 0.1))}),
    "features": SurfaceKind(K.QUADRATIC, None, {  # built by `features` from its samples
        "scaling": Parameter(0.0, 0.0, 1.0, (0.0, 1.0, 0.05)), "n_samples": Parameter(200, 10, 100_000, (20, 1000, 20)),
        "seed": Parameter(0, 0, 2**32 - 1)}),
    "neuron": SurfaceKind(K.QUADRATIC, None, {  # built by `neuron` from its samples
        "n_samples": Parameter(4096, 16, 100_000, (64, 8192, 64)), "seed": Parameter(0, 0, 2**32 - 1)}),
    "bn_neuron": SurfaceKind(K.BATCH_NORM, None, {
        "n_samples": Parameter(4096, 16, 100_000, (64, 8192, 64)), "seed": Parameter(0, 0, 2**32 - 1)}),
    "formula": SurfaceKind(K.FORMULA, None, {  # built by `formula` from its text and these bounds
        "xmin": Parameter(-3.0, -1e4, 1e4), "xmax": Parameter(3.0, -1e4, 1e4),
        "ymin": Parameter(-3.0, -1e4, 1e4), "ymax": Parameter(3.0, -1e4, 1e4)}),
    "regression": SurfaceKind(K.QUADRATIC, None, {  # built by `regression` from its samples
        "n_samples": Parameter(64, 2, 100_000, (8, 512, 8)), "feature_scale": Parameter(1.0, 1e-3, 1e6),
        "noise": Parameter(0.5, 0.0, 100.0, (0.0, 2.0, 0.1)), "seed": Parameter(0, 0, 2**32 - 1),
        "true_w": Parameter(2.0, -1e3, 1e3), "true_b": Parameter(-1.0, -1e3, 1e3)}),
}
# Each surface's parameters: name -> (default, lowest, highest), derived from the records.
PARAMETERS = {name: {key: (p.default, p.low, p.high) for key, p in kind.parameters.items()}
              for name, kind in SURFACES.items()}


def names():
    """Every surface name `get` accepts."""
    return list(SURFACES)


def _validated(name, params):
    allowed = PARAMETERS[name]
    extra = {"regression": ("sorted_by",), "features": ("by",), "formula": ("text",)}.get(name, ())
    unknown = sorted(set(params) - set(allowed) - set(extra))
    if unknown:
        raise ValueError(f"{name}: unknown parameter {unknown[0]!r}; "
                         f"allowed: {', '.join((*allowed, *extra)) or 'none'}")
    values = {key: default for key, (default, _, _) in allowed.items()}
    for key, value in params.items():
        if key in allowed:
            _, low, high = allowed[key]
            values[key] = _check(key, value, low, high, name)
    return values


def get(name, **params):
    """The surface called `name`, built with `params` (see `names()`, `PARAMETERS`)."""
    if name == "regression":
        return regression(**params)
    if name == "features":
        return features(**params)
    if name in ("neuron", "bn_neuron"):
        return neuron(batchnorm=name == "bn_neuron", **params)
    if name == "formula":
        text = params.pop("text", DEFAULT_FORMULA)
        values = _validated("formula", params)
        return formula(text, tuple(values[k] for k in ("xmin", "xmax", "ymin", "ymax")))
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(names())}")
    kind = SURFACES[name]
    spec = kind.build(**_validated(name, params))
    coefficients = np.zeros(K.N_COEFFICIENTS)
    values = spec.pop("coefficients")
    coefficients[:len(values)] = values
    minima = tuple(_refine_minimum(kind.kernel_id, coefficients, m) for m in spec.pop("minima"))
    return Surface(name=name, coefficients=coefficients, minima=minima, kernel_id=kind.kernel_id, **spec)


def regression(n_samples=64, feature_scale=1.0, noise=0.5, sorted_by=None, seed=0,
               true_w=2.0, true_b=-1.0):
    """Least squares J(w, b) = (1/m) Σ (w·xᵢ + b − yᵢ)² on m seeded samples yᵢ = w*·xᵢ + b* + noise.

    The features are xᵢ = feature_scale · U(−1, 1). `sorted_by="x"` (or "y") orders the samples as an
    unshuffled data set collected group by group would be ("all cats, then all dogs").
    J is a quadratic in (w, b), so its value, gradient and Hessian come from the sample moments;
    mini-batches use the samples themselves.
    """
    given = dict(n_samples=n_samples, feature_scale=feature_scale, noise=noise, seed=seed,
                 true_w=true_w, true_b=true_b)
    values = _validated("regression", given)
    if not float(values["n_samples"]).is_integer() or not float(values["seed"]).is_integer():
        raise ValueError("regression: n_samples and seed must be whole numbers")
    m, seed = int(values["n_samples"]), int(values["seed"])
    scale, sigma, w_true, b_true = (values[k] for k in ("feature_scale", "noise", "true_w", "true_b"))
    if sorted_by not in SORT_KEYS:
        raise ValueError(f"regression: sorted_by must be one of {SORT_KEYS}, got {sorted_by!r}")
    rng = np.random.default_rng([seed, DATA_STREAM])
    xs = scale * rng.uniform(-1.0, 1.0, m)
    ys = w_true * xs + b_true + sigma * rng.standard_normal(m)
    if sorted_by is not None:
        order = np.argsort(xs if sorted_by == "x" else ys, kind="stable")
        xs, ys = xs[order], ys[order]
    mxx, mx, mxy, my, myy = (xs * xs).mean(), xs.mean(), (xs * ys).mean(), ys.mean(), (ys * ys).mean()
    coefficients = np.zeros(K.N_COEFFICIENTS)
    coefficients[:6] = mxx, mx, 1.0, -2.0 * mxy, -2.0 * my, myy
    w_star, b_star = np.linalg.solve([[mxx, mx], [mx, 1.0]], [mxy, my])
    half_w, half_b = 2.5 / math.sqrt(mxx), 2.5
    return Surface(
        name="regression", title="Least-squares regression",
        formula=r"J(w,b) = \frac{1}{m}\sum_{i=1}^{m}\left(w\,x^{(i)} + b - y^{(i)}\right)^2",
        params=dict(n_samples=m, feature_scale=scale, noise=sigma, sorted_by=sorted_by,
                    seed=int(seed), true_w=w_true, true_b=b_true),
        bounds=(w_star - half_w, w_star + half_w, b_star - half_b, b_star + half_b),
        minima=((float(w_star), float(b_star)),),
        start=(float(w_star - 0.8 * half_w), float(b_star + 0.8 * half_b)),
        kernel_id=SURFACES["regression"].kernel_id, coefficients=coefficients,
        samples=(kernel_array(xs), kernel_array(ys)))


SCALE_BY = ("std", "range")  # z-scoring divides by the standard deviation; min-max scaling by the range


def feature_samples(n_samples=200, seed=0):
    """Two features on the notes' very different scales, age in [0, 65] and salary in [0, 100 000],
    and a target y = 0.3·age + 0.0002·salary + N(0, 2²): (X (m, 2), y)."""
    rng = np.random.default_rng([seed, DATA_STREAM])
    X = np.stack([rng.uniform(0.0, 65.0, n_samples), rng.uniform(0.0, 100_000.0, n_samples)], axis=1)
    return X, X @ np.array([0.3, 0.0002]) + 2.0 * rng.standard_normal(n_samples)


def feature_statistics(X):
    """The training statistics a scaling uses, per feature: mean, standard deviation, range."""
    return {"mean": X.mean(axis=0), "std": X.std(axis=0), "range": X.max(axis=0) - X.min(axis=0)}


def features(scaling=0.0, by="std", n_samples=200, seed=0):
    """Least squares J(w) = (1/2m)‖X'w − y'‖² on the two features, each centred and divided by
    (its std, or its range)^scaling: 0 leaves the raw scales, 1 is z-scoring (or min-max scaling).
    The intercept is the mean of y (it is profiled out by the centring), so the map shows the two
    weights. J is the quadratic ½(w − w*)ᵀH(w − w*) + J(w*) with H = X'ᵀX'/m; the start is w = 0."""
    values = _validated("features", dict(scaling=scaling, n_samples=n_samples, seed=seed))
    if not float(values["n_samples"]).is_integer() or not float(values["seed"]).is_integer():
        raise ValueError("features: n_samples and seed must be whole numbers")
    if by not in SCALE_BY:
        raise ValueError(f"features: by must be one of {SCALE_BY}, got {by!r}")
    m, s = int(values["n_samples"]), values["scaling"]
    X, y = feature_samples(m, int(values["seed"]))
    stats = feature_statistics(X)
    scaled = (X - stats["mean"]) / stats[by] ** s
    centred = y - y.mean()
    hessian = scaled.T @ scaled / m
    w_star = np.linalg.solve(hessian, scaled.T @ centred / m)
    residual = 0.5 * float(np.mean((scaled @ w_star - centred) ** 2))
    coefficients = np.zeros(K.N_COEFFICIENTS)
    coefficients[:6] = (0.5 * hessian[0, 0], 0.5 * hessian[0, 1], 0.5 * hessian[1, 1], *(-hessian @ w_star),
                        0.5 * float(w_star @ hessian @ w_star) + residual)
    # a square around the start 0 and the minimum, a little wider than the contour through the start
    reach = float(np.sqrt(2.0 * (0.5 * w_star @ hessian @ w_star) / np.linalg.eigvalsh(hessian)[0]))
    centre, half = 0.5 * w_star, 0.55 * max(reach, float(np.max(np.abs(w_star))))
    divisor = r"\sigma_j" if by == "std" else "r_j"
    return Surface(name="features", title="Least squares on two features", formula=(
        r"J(w) = \frac{1}{2m}\lVert X'w - y' \rVert^2,\ x'_j = (x_j - \mu_j)/" + divisor + f"^{{{s:g}}}"),
        params=dict(scaling=s, by=by, n_samples=m, seed=int(values["seed"])),
        bounds=(centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half),
        minima=((float(w_star[0]), float(w_star[1])),), start=(0.0, 0.0),
        kernel_id=SURFACES["features"].kernel_id, coefficients=coefficients)


def neuron_samples(n_samples=4096, seed=0):
    """Two correlated inputs and a target, y = x₁ − 0.6·x₂ + N(0, 0.3²): (X (m, 2), y)."""
    rng = np.random.default_rng([seed, DATA_STREAM])
    a, b = rng.standard_normal((2, n_samples))
    X = np.stack([a, 0.6 * a + 0.8 * b], axis=1)
    return X, X @ np.array([1.0, -0.6]) + 0.3 * rng.standard_normal(n_samples)


def neuron(batchnorm=True, n_samples=4096, seed=0):
    """A linear neuron z = w·x + b fitted by least squares to `neuron_samples`, over its two weights.

    Plain (batchnorm=False): J(w) = min_b mean((w·x + b − y)²) = wᵀCw − 2wᵀc + v, a quadratic with
    Hessian 2C (C the inputs' covariance, c their covariance with y, v = var y).
    Batch-normalised: the neuron's output is γ·(z − μ_B)/√(σ²_B + ε) + β over the whole data set as
    the batch, with γ and β at their best for each w: J(w) = v − (wᵀc)²/(wᵀCw). It depends only on
    w's direction, so its contours are rays from the origin; its lowest value, along the ray
    through the plain minimiser w* = C⁻¹c, is the plain neuron's."""
    name = "bn_neuron" if batchnorm else "neuron"
    values = _validated(name, dict(n_samples=n_samples, seed=seed))
    if not float(values["n_samples"]).is_integer() or not float(values["seed"]).is_integer():
        raise ValueError(f"{name}: n_samples and seed must be whole numbers")
    m, seed = int(values["n_samples"]), int(values["seed"])
    X, y = neuron_samples(m, seed)
    centred, target = X - X.mean(axis=0), y - y.mean()
    cov, cross, v = centred.T @ centred / m, centred.T @ target / m, float(target @ target / m)
    w_star = np.linalg.solve(cov, cross)
    coefficients = np.zeros(K.N_COEFFICIENTS)
    if batchnorm:
        coefficients[:6] = cov[0, 0], cov[0, 1], cov[1, 1], cross[0], cross[1], v
        formula = (r"J(w) = \min_{\gamma,\beta}\ \frac1m\sum_i\left(\gamma\,"
                   r"\frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta - y_i\right)^2"
                   r" = v - \frac{(w^\top c)^2}{w^\top C w}")
    else:
        coefficients[:6] = cov[0, 0], cov[0, 1], cov[1, 1], -2.0 * cross[0], -2.0 * cross[1], v
        formula = r"J(w) = \min_b\ \frac1m\sum_i\left(w^\top x_i + b - y_i\right)^2 = w^\top C w - 2w^\top c + v"
    return Surface(name=name, title="Batch-normalised neuron" if batchnorm else "Linear neuron", formula=formula,
                   params=dict(n_samples=m, seed=seed), bounds=(-4.0, 4.0, -4.0, 4.0),
                   minima=((float(w_star[0]), float(w_star[1])),), start=(0.6, 1.1),
                   kernel_id=SURFACES[name].kernel_id, coefficients=coefficients)


def moons(n_samples=300, noise=0.2, seed=3):
    """Two interleaving half circles with Gaussian noise, exactly as sklearn.datasets.make_moons
    draws them from np.random.RandomState(seed) (the course's assignment: np.random.seed(3), then
    make_moons(n_samples=300, noise=.2)). Returns (X (m, 2), y (m,) of 0.0 and 1.0)."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    rng = np.random.RandomState(seed)
    X = np.vstack([np.append(np.cos(np.linspace(0, np.pi, n_out)), 1 - np.cos(np.linspace(0, np.pi, n_in))),
                   np.append(np.sin(np.linspace(0, np.pi, n_out)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5)]).T
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    order = np.arange(n_samples)
    rng.shuffle(order)
    X, y = X[order], y[order]
    return X + rng.normal(scale=noise, size=X.shape), y


DEFAULT_FORMULA = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"


def _formula_minima(kernel_id, coefficients, bounds, n=41, most=6):
    """Local minima found numerically: the grid points lower than their eight neighbours, refined by
    Newton's method on the exact derivatives; kept when they converge inside the bounds with a
    positive definite Hessian, lowest first."""
    xmin, xmax, ymin, ymax = bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    out = np.empty((n * n, 6))
    K.evaluate_many(kernel_id, coefficients, kernel_array(gx.ravel()), kernel_array(gy.ravel()), out)
    z = np.where(np.isfinite(out[:, 0]), out[:, 0], np.inf).reshape(n, n)
    inner = z[1:-1, 1:-1]
    lowest = np.ones_like(inner, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lowest &= inner < z[1 + di:n - 1 + di, 1 + dj:n - 1 + dj]
    candidates = sorted(zip(inner[lowest], gx[1:-1, 1:-1][lowest], gy[1:-1, 1:-1][lowest]))
    found, point = [], np.empty((1, 6))
    spacing = max(xmax - xmin, ymax - ymin) / (n - 1)
    for _, x, y in candidates[:4 * most]:
        with np.errstate(all="ignore"):
            x, y = _refine_minimum(kernel_id, coefficients, (x, y))
        if not (xmin < x < xmax and ymin < y < ymax):
            continue
        K.evaluate_many(kernel_id, coefficients, np.array([x]), np.array([y]), point)
        value, gxv, gyv, hxx, hxy, hyy = point[0]
        converged = math.hypot(gxv, gyv) < 1e-8 * max(1.0, abs(value))
        if converged and hxx > 0 and hxx * hyy - hxy * hxy > 0 and all(
                math.hypot(x - a, y - b) > 0.5 * spacing for a, b in found):
            found.append((x, y))
        if len(found) == most:
            break
    return tuple(found)


def formula(text, bounds=None):
    """A surface from a typed formula in x and y (see surfaces/_formula.py for the language): exact
    value, gradient and Hessian by forward-mode differentiation of its compiled program; bounds as
    given (xmin, xmax, ymin, ymax) or [−3, 3]²; minima found numerically (may be none).
    A text that is not a formula raises FormulaError (a ValueError) with the reason and position."""
    program, latex, canonical = compile_formula(text)
    if bounds is None:
        bounds = (-3.0, 3.0, -3.0, 3.0)
    try:
        xmin, xmax, ymin, ymax = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be four numbers (xmin, xmax, ymin, ymax), got {bounds!r}") from None
    if not (all(math.isfinite(v) and abs(v) <= 1e4 for v in (xmin, xmax, ymin, ymax)) and xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be finite with xmin < xmax and ymin < ymax, |v| ≤ 10⁴, got {bounds!r}")
    n = int(program[0])
    coefficients = np.zeros(max(K.N_COEFFICIENTS, 1 + 10 * n))
    coefficients[:len(program)] = program  # then the workspace
    bounds = (xmin, xmax, ymin, ymax)
    minima = _formula_minima(K.FORMULA, coefficients, bounds)
    return Surface(name="formula", title="Formula", formula="f(x,y) = " + latex, params=dict(text=canonical),
                   bounds=bounds, minima=minima,
                   start=(xmin + 0.2 * (xmax - xmin), ymax - 0.2 * (ymax - ymin)),
                   kernel_id=K.FORMULA, coefficients=coefficients)


# ----------------------------------------------------------------------------- penalised minima

def _quadratic_parts(surface):
    """(H, θ*) of a quadratic surface: f(θ) = ½(θ − θ*)ᵀH(θ − θ*) + f(θ*)."""
    if surface.kernel_id != K.QUADRATIC:
        raise ValueError(f"penalised minima in closed form need a quadratic surface, not {surface.name!r}")
    return surface.hessian(0.0, 0.0), np.array(surface.minima[0], dtype=np.float64)


def ridge_path(surface, lambdas):
    """argmin f(θ) + (λ/2)‖θ‖² for each λ (weight decay λ's fixed point): (H + λI)⁻¹Hθ*, shape (n, 2)."""
    hessian, centre = _quadratic_parts(surface)
    target = hessian @ centre
    return np.array([np.linalg.solve(hessian + lam * np.eye(2), target) for lam in np.asarray(lambdas, float)])


def lasso_breakpoints(surface):
    """The exact path of argmin f(θ) + λ‖θ‖₁ as λ grows from 0: piecewise linear, so its corners
    (λₖ, θₖ) give it whole. Homotopy on the optimality conditions: for θᵢ ≠ 0, gᵢ + λ sign θᵢ = 0;
    for θᵢ = 0, |gᵢ| ≤ λ (g = H(θ − θ*)). Between events the active coordinates move linearly;
    an event is an active coordinate reaching 0 or an inactive one's |gᵢ| reaching λ."""
    hessian, centre = _quadratic_parts(surface)
    theta, lam = centre.copy(), 0.0
    active = [i for i in range(2) if theta[i] != 0.0]
    signs = np.sign(theta)
    corners = [(0.0, theta.copy())]
    for _ in range(8):  # in two dimensions a handful of events at most
        inactive = [i for i in range(2) if i not in active]
        b = np.zeros(2)
        if active:
            a_h = hessian[np.ix_(active, active)]
            b[active] = -np.linalg.solve(a_h, signs[active])  # dθ_A/dλ
        gradient = hessian @ (theta - centre)
        slope = hessian @ b  # dg/dλ
        events = []
        for i in active:
            if b[i] * theta[i] < 0:  # heading for zero
                events.append((-theta[i] / b[i], "leave", i))
        for i in inactive:  # |g_i + t·slope_i| = λ + t
            for side in (1.0, -1.0):
                rate = side * slope[i] - 1.0
                if rate > 1e-15:
                    events.append(((lam - side * gradient[i]) / rate, "enter", i))
        events = [e for e in events if e[0] > 1e-15]
        if not events:
            break
        step, kind, i = min(events)
        theta = theta + step * b
        lam += step
        if kind == "leave":
            theta[i] = 0.0
            active.remove(i)
        else:
            active.append(i)
            signs[i] = -np.sign((hessian @ (theta - centre))[i])
        corners.append((lam, theta.copy()))
        if not active and np.all(np.abs(hessian @ centre) <= lam + 1e-12):
            break
    lambdas, thetas = zip(*corners)
    return np.array(lambdas), np.array(thetas)


def lasso_path(surface, lambdas):
    """argmin f(θ) + λ‖θ‖₁ at each λ (exact: interpolated between the path's corners), shape (n, 2)."""
    corners, thetas = lasso_breakpoints(surface)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    return np.stack([np.interp(lambdas, corners, thetas[:, k]) for k in range(2)], axis=1)


def box_minimum(surface, radius):
    """argmin f(θ) subject to ‖θ‖∞ ≤ radius, exactly: the minimiser of a convex quadratic over a
    square lies inside it, on an edge (the edge's own minimiser, clipped) or at a corner."""
    hessian, centre = _quadratic_parts(surface)
    r = float(radius)
    candidates = [centre] if np.all(np.abs(centre) <= r) else []
    for i in range(2):
        j = 1 - i
        for side in (-r, r):
            theta = np.empty(2)
            theta[i] = side  # on this edge, ∂_j f = 0 gives the best θ_j
            theta[j] = np.clip(centre[j] - hessian[j, i] * (side - centre[i]) / hessian[j, j], -r, r)
            candidates.append(theta)
    return min(candidates, key=lambda theta: float(surface.f(*theta)))


# ----------------------------------------------------------------------------- curvature

@dataclass(frozen=True)
class Curvature:
    """The Hessian at a point: eigenvalues (ascending), unit eigenvectors (columns, same order) and
    the saddle index, the number of negative eigenvalues (0: curves up every way, 1: a saddle)."""

    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    index: int


def curvature(surface, x, y):
    """The analytic Hessian of `surface` at (x, y) and its eigen-decomposition (numpy.linalg.eigh)."""
    hessian = surface.hessian(x, y)
    values, vectors = np.linalg.eigh(hessian)
    return Curvature(hessian, values, vectors, int(np.sum(values < 0)))


def box_sharpness(surface, point, eps, floor=0.0, n=201):
    """Keskar et al. (2017, eq. 4) ε-sharpness of a minimiser x, in percent:

        100 · (max_{z ∈ C_ε} f(x + z) − f(x)) / (1 + f(x)),  C_ε = {|z_i| ≤ ε (|x_i| + 1)},

    with the loss measured above `floor` (Keskar's losses are ≥ 0; ours may be shifted). The
    maximum is taken over an n × n grid of the box, edges and corners included.
    """
    eps = _check("eps", eps, 0.0, 1.0, "box_sharpness")
    x, y = (float(v) for v in point)
    hx, hy = eps * (abs(x) + 1.0), eps * (abs(y) + 1.0)
    gx, gy = np.meshgrid(np.linspace(x - hx, x + hx, n), np.linspace(y - hy, y + hy, n))
    centre = float(surface.f(x, y)) - floor
    highest = float(np.max(surface.f(gx, gy))) - floor
    return 100.0 * (highest - centre) / (1.0 + centre)


def minimum_fraction(dimension, samples=100_000, seed=0):
    """The share of random critical points that are minima: Hessians drawn from the Gaussian
    orthogonal ensemble, H = (A + Aᵀ)/2 with A_ij ~ N(0, 1), counted positive definite.

    Returns (fraction, count). A coin flip per eigenvalue would give 2⁻ⁿ; eigenvalues repel each
    other, so all n positive is far rarer (≈ e^(−n² ln 3 / 4) for large n, Dean & Majumdar 2006).
    """
    n = int(_check("dimension", dimension, 1, 12, "minimum_fraction"))
    samples = int(_check("samples", samples, 1, 1_000_000, "minimum_fraction"))
    rng = np.random.default_rng([int(seed), n])
    count = 0
    for start in range(0, samples, 20_000):  # in blocks: at most 20 000 matrices in memory at once
        a = rng.standard_normal((min(20_000, samples - start), n, n))
        count += int(np.sum(np.linalg.eigvalsh(0.5 * (a + a.transpose(0, 2, 1)))[:, 0] > 0))
    return count / samples, count
