"""Surfaces: analytic derivatives against finite differences, minima, bounds, the regression data."""

import math

import numpy as np
import pytest

import optimizers
import surfaces

VARIANTS = [(name, {}) for name in surfaces.names()] + [
    ("elongated_bowl", {"condition": 50, "angle": 35}),
    ("sharp_flat", {"sharp_width": 0.15, "flat_width": 1.8}),
    ("rosenbrock", {"a": -1.0, "b": 10}),
    ("local_minima", {"local_depth": 1.8}),
    ("plateau", {"width": 2.0}),
    ("bowl", {"curvature": 7.0}),
    ("regression", {"n_samples": 30, "feature_scale": 50.0, "sorted_by": "x"}),
]
IDS = [f"{n}-{'-'.join(map(str, p.values())) or 'default'}" for n, p in VARIANTS]


def sample_points(surface, n=25, seed=0):
    xmin, xmax, ymin, ymax = surface.bounds
    rng = np.random.default_rng(seed)
    return rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)


@pytest.mark.parametrize("name, params", VARIANTS, ids=IDS)
def test_gradient_and_hessian_match_finite_differences(name, params):
    surface = surfaces.get(name, **params)
    xs, ys = sample_points(surface)
    scale = max(surface.bounds[1] - surface.bounds[0], surface.bounds[3] - surface.bounds[2])
    h = 1e-6 * scale
    gx, gy = surface.grad(xs, ys)
    fd_x = (surface.f(xs + h, ys) - surface.f(xs - h, ys)) / (2 * h)
    fd_y = (surface.f(xs, ys + h) - surface.f(xs, ys - h)) / (2 * h)
    size = np.maximum(1.0, np.abs(surface.f(xs, ys)))
    np.testing.assert_allclose(gx, fd_x, rtol=1e-5, atol=1e-6 * size.max())
    np.testing.assert_allclose(gy, fd_y, rtol=1e-5, atol=1e-6 * size.max())
    for x, y in zip(xs[:8], ys[:8]):
        hess = surface.hessian(x, y)
        col_x = (np.array(surface.grad(x + h, y)) - np.array(surface.grad(x - h, y))) / (2 * h)
        col_y = (np.array(surface.grad(x, y + h)) - np.array(surface.grad(x, y - h))) / (2 * h)
        fd = np.stack([col_x, col_y], axis=1)
        np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max() + 1e-9)
        assert hess[0, 1] == hess[1, 0]


@pytest.mark.parametrize("sharp_width", [0.1, 0.25, 0.5])
def test_two_wells_match_their_closed_form_near_and_far_from_the_wells(sharp_width):
    """The sharp/flat surface against NumPy's c(x² + y²) − d₁e^(−r₁²/2w₁²) − d₂e^(−r₂²/2w₂²), out to
    where noisy runs roam (|θ| ≈ 100): far from a well its term is far below the last digit."""
    surface = surfaces.get("sharp_flat", sharp_width=sharp_width)
    c, x1, y1, d1, w1, x2, y2, d2, w2 = surface.coefficients[:9]
    radius = np.geomspace(1e-3, 100.0, 400)
    angle = np.random.default_rng(3).uniform(0.0, 2.0 * math.pi, radius.size)
    x, y = x1 + radius * np.cos(angle), y1 + radius * np.sin(angle)
    e1 = d1 * np.exp(-((x - x1) ** 2 + (y - y1) ** 2) / (2 * w1 ** 2))
    e2 = d2 * np.exp(-((x - x2) ** 2 + (y - y2) ** 2) / (2 * w2 ** 2))
    np.testing.assert_allclose(surface.f(x, y), c * (x * x + y * y) - e1 - e2, rtol=1e-14)
    gx, gy = surface.grad(x, y)
    np.testing.assert_allclose(gx, 2 * c * x + e1 * (x - x1) / w1 ** 2 + e2 * (x - x2) / w2 ** 2, rtol=1e-13)
    np.testing.assert_allclose(gy, 2 * c * y + e1 * (y - y1) / w1 ** 2 + e2 * (y - y2) / w2 ** 2, rtol=1e-13)


@pytest.mark.parametrize("name, params", VARIANTS, ids=IDS)
def test_minima_are_stationary_with_positive_definite_hessians(name, params):
    surface = surfaces.get(name, **params)
    for x, y in surface.minima:
        gx, gy = surface.grad(x, y)
        assert math.hypot(gx, gy) < 1e-9
        values, vectors = np.linalg.eigh(surface.hessian(x, y))
        if name == "bn_neuron":  # a line of minima through the origin: flat along w*, curved across it
            assert abs(values[0]) < 1e-12 * values[1] and values[1] > 0
            assert abs(abs(vectors[:, 0] @ np.array([x, y])) - math.hypot(x, y)) < 1e-9
        else:
            assert np.all(values > 0)
        xmin, xmax, ymin, ymax = surface.bounds
        assert xmin < x < xmax and ymin < y < ymax


@pytest.mark.parametrize("name, params", VARIANTS, ids=IDS)
def test_value_finite_over_bounds_and_start_inside(name, params):
    surface = surfaces.get(name, **params)
    xmin, xmax, ymin, ymax = surface.bounds
    grid_x, grid_y = np.meshgrid(np.linspace(xmin, xmax, 101), np.linspace(ymin, ymax, 101))
    values = surface.f(grid_x, grid_y)
    assert values.shape == grid_x.shape and np.all(np.isfinite(values))
    assert xmin < surface.start[0] < xmax and ymin < surface.start[1] < ymax
    assert isinstance(surface.f(*surface.start), float)
    assert surface.formula and surface.title


def test_named_shapes():
    saddle = surfaces.get("saddle")
    x, y = np.random.default_rng(1).normal(size=(2, 50))
    np.testing.assert_array_equal(saddle.f(x, y), x * x - y * y)
    np.testing.assert_allclose(surfaces.get("monkey_saddle").f(x, y), x**3 - 3 * x * y**2, rtol=1e-14)
    assert saddle.minima == () and surfaces.get("monkey_saddle").minima == ()
    np.testing.assert_allclose(surfaces.get("rosenbrock").f(x, y), (1 - x) ** 2 + 100 * (y - x**2) ** 2,
                               rtol=1e-14)


@pytest.mark.parametrize("condition, angle", [(10, 0), (25, 30), (100, -60)])
def test_elongated_bowl_has_the_requested_condition_and_direction(condition, angle):
    bowl = surfaces.get("elongated_bowl", condition=condition, angle=angle)
    eigenvalues, vectors = np.linalg.eigh(bowl.hessian(0.3, -0.2))
    np.testing.assert_allclose(eigenvalues, [1.0, condition], rtol=1e-12)
    flat_direction = vectors[:, 0]  # the valley floor runs along angle
    assert abs(abs(flat_direction @ [math.cos(math.radians(angle)), math.sin(math.radians(angle))]) - 1) < 1e-12
    assert surfaces.get("elongated_bowl").params["condition"] >= 10


def test_sharp_minimum_is_at_least_ten_times_sharper():
    surface = surfaces.get("sharp_flat")
    sharp, flat = (np.linalg.eigvalsh(surface.hessian(*m)).max() for m in surface.minima)
    assert sharp >= 10 * flat
    wide = surfaces.get("sharp_flat", sharp_width=0.5)
    assert np.linalg.eigvalsh(wide.hessian(*wide.minima[0])).max() < sharp


def test_local_minimum_is_shallower_than_the_global_one():
    surface = surfaces.get("local_minima")
    (gx, gy), (lx, ly) = surface.minima
    assert surface.f(gx, gy) < surface.f(lx, ly) - 0.5


def test_plateau_is_flat_far_from_the_minimum():
    surface = surfaces.get("plateau")
    assert math.hypot(*surface.grad(*surface.start)) < 0.05
    assert math.hypot(*surface.grad(3.5, 3.5)) < 1e-4


# ----------------------------------------------------------------------------- regression

def test_regression_loss_is_the_mean_squared_error_of_its_samples():
    surface = surfaces.regression(n_samples=40, feature_scale=3.0, noise=0.8, seed=7)
    xs, ys = surface.samples
    for w, b in [(0.0, 0.0), (2.5, -1.0), (-3.0, 4.0)]:
        residual = w * xs + b - ys
        np.testing.assert_allclose(surface.f(w, b), np.mean(residual**2), rtol=1e-12)
        np.testing.assert_allclose(surface.grad(w, b), [2 * np.mean(residual * xs), 2 * np.mean(residual)],
                                   rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(surface.batch_grad(w, b, np.arange(40)), surface.grad(w, b), rtol=1e-11,
                                   atol=1e-12)
    np.testing.assert_allclose(surface.sample_gradients(2.5, -1.0).mean(axis=0), surface.grad(2.5, -1.0),
                               rtol=1e-11, atol=1e-12)
    expected = np.linalg.lstsq(np.stack([xs, np.ones_like(xs)], axis=1), ys, rcond=None)[0]
    np.testing.assert_allclose(surface.minima[0], expected, rtol=1e-10)


def test_regression_is_reproducible_and_sortable():
    a = surfaces.regression(n_samples=20, seed=3)
    b = surfaces.regression(n_samples=20, seed=3)
    np.testing.assert_array_equal(a.samples[0], b.samples[0])
    by_x = surfaces.regression(n_samples=20, seed=3, sorted_by="x")
    assert np.all(np.diff(by_x.samples[0]) >= 0)
    np.testing.assert_allclose(by_x.f(1.0, 2.0), a.f(1.0, 2.0), rtol=1e-13)  # same data, new order
    by_y = surfaces.regression(n_samples=20, seed=3, sorted_by="y")
    assert np.all(np.diff(by_y.samples[1]) >= 0)


def test_badly_scaled_features_make_needle_contours():
    scaled = surfaces.regression(feature_scale=65.0)
    eigenvalues = np.linalg.eigvalsh(scaled.hessian(0, 0))
    assert eigenvalues.max() / eigenvalues.min() > 100


def test_minibatch_gradient_is_unbiased_and_its_variance_falls_like_one_over_b():
    """Over every batch of a partition the mean batch gradient is the full gradient (exactly);
    sampling B of m without replacement gives variance σ²/B · (m−B)/(m−1)."""
    m = 64
    surface = surfaces.regression(n_samples=m, noise=1.0, seed=0)
    w, b = surface.start
    per_sample = np.array([surface.batch_grad(w, b, [i]) for i in range(m)])
    sigma2 = per_sample.var(axis=0)
    rng = np.random.default_rng(0)
    for batch in (1, 4, 16):
        partition = rng.permutation(m).reshape(-1, batch)
        mean = np.mean([surface.batch_grad(w, b, idx) for idx in partition], axis=0)
        np.testing.assert_allclose(mean, surface.grad(w, b), rtol=1e-10, atol=1e-12)
        draws = np.array([surface.batch_grad(w, b, rng.choice(m, batch, replace=False)) for _ in range(4000)])
        expected = sigma2 / batch * (m - batch) / (m - 1)
        np.testing.assert_allclose(draws.var(axis=0), expected, rtol=0.1)


def test_sampling_is_independent_of_the_data():
    """The same seed makes the data and picks the batches: the picks must not follow the data."""
    surface = surfaces.regression(n_samples=256, seed=0)
    w, b = surface.start
    draws = surface.minibatch_gradients(w, b, 32, 2000, seed=0)
    z = (draws - draws.mean(axis=0)) / draws.std(axis=0)
    assert np.abs(z).max() < 5.5  # the correlated stream produced a 12σ draw
    order, _ = optimizers.batches(256, 32, 8, shuffle=True, seed=0)
    xs = surface.samples[0]
    assert abs(np.corrcoef(np.arange(256), xs[order[:256]])[0, 1]) < 0.2


def test_minibatch_gradient_draws_follow_the_exact_variance():
    m, batch = 48, 6
    surface = surfaces.regression(n_samples=m, noise=1.0, seed=5)
    w, b = surface.start
    draws = surface.minibatch_gradients(w, b, batch, 20_000, seed=1)
    per_sample = surface.sample_gradients(w, b)
    np.testing.assert_allclose(draws.mean(axis=0), surface.grad(w, b), rtol=0.02, atol=0.02)
    expected = np.cov(per_sample.T, bias=True) / batch * (m - batch) / (m - 1)
    np.testing.assert_allclose(np.cov(draws.T), expected, rtol=0.05, atol=0.05 * np.abs(expected).max())
    full = surface.minibatch_gradients(w, b, m, 3)
    np.testing.assert_allclose(full, np.tile(surface.grad(w, b), (3, 1)), rtol=1e-10)


@pytest.mark.parametrize("call, message", [
    (lambda: surfaces.get("teapot"), "unknown surface 'teapot'; choose one of bowl"),
    (lambda: surfaces.get("elongated_bowl", condition=0.5), "condition must lie in [1.0, 1000.0]"),
    (lambda: surfaces.get("elongated_bowl", kappa=5), "unknown parameter 'kappa'; allowed: condition, angle"),
    (lambda: surfaces.get("saddle", a=1), "allowed: none"),
    (lambda: surfaces.get("rosenbrock", b="lots"), "b must be a number"),
    (lambda: surfaces.get("plateau", width=float("nan")), "width must lie in"),
    (lambda: surfaces.regression(sorted_by="z"), "sorted_by must be one of"),
    (lambda: surfaces.regression(n_samples=1), "n_samples must lie in"),
    (lambda: surfaces.get("bowl").batch_grad(0, 0, [0]), "has no samples"),
    (lambda: surfaces.regression(n_samples=5).batch_grad(0, 0, [5]), "indices must be"),
])
def test_bad_surface_arguments(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


# ----------------------------------------------------------------------------- curvature, sharpness, census

@pytest.mark.parametrize("condition, angle", [(10.0, 0.0), (50.0, 35.0), (1.0, -60.0)])
def test_curvature_of_the_elongated_bowl_is_its_rotation(condition, angle):
    """Hessian R diag(1, κ) Rᵀ: eigenvalues 1 and κ, eigenvectors the rotated axes."""
    shape = surfaces.curvature(surfaces.get("elongated_bowl", condition=condition, angle=angle), 0.3, -0.7)
    np.testing.assert_allclose(shape.eigenvalues, sorted([1.0, condition]), rtol=1e-12)
    assert shape.index == 0
    if condition > 1:
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        along = shape.eigenvectors[:, 0]  # eigenvalue 1: the valley floor u = c·x + s·y
        assert abs(along @ [c, s]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("point", [(0.0, 0.0), (1.3, -0.4), (-1.9, 1.9)])
def test_saddle_curvature_is_plus_minus_two_everywhere(point):
    shape = surfaces.curvature(surfaces.get("saddle"), *point)
    np.testing.assert_array_equal(shape.eigenvalues, [-2.0, 2.0])
    assert shape.index == 1


def test_monkey_saddle_origin_is_degenerate():
    shape = surfaces.curvature(surfaces.get("monkey_saddle"), 0.0, 0.0)
    np.testing.assert_array_equal(shape.eigenvalues, [0.0, 0.0])


@pytest.mark.parametrize("curvature, eps", [(1.0, 0.1), (3.0, 0.05), (20.0, 0.001)])
def test_box_sharpness_of_a_bowl_is_its_corner(curvature, eps):
    """At the minimum 0 of c/2·(x² + y²) the box is |z_i| ≤ ε; the highest loss, at a corner, is c·ε²."""
    where = surfaces.get("bowl", curvature=curvature)
    assert surfaces.box_sharpness(where, (0.0, 0.0), eps) == pytest.approx(100 * curvature * eps**2, rel=1e-12)


def test_box_sharpness_scales_the_box_with_the_point_and_divides_by_one_plus_loss():
    where = surfaces.get("bowl", curvature=2.0)  # f = x² + y²
    x, y, eps = 1.0, -0.5, 0.1  # box half-widths ε(|x|+1) = 0.2, ε(|y|+1) = 0.15
    highest = (x + 0.2) ** 2 + (y - 0.15) ** 2
    expected = 100 * (highest - 1.25) / (1 + 1.25)
    assert surfaces.box_sharpness(where, (x, y), eps) == pytest.approx(expected, rel=1e-12)
    assert surfaces.box_sharpness(where, (x, y), eps, floor=1.25) == pytest.approx(100 * (highest - 1.25), rel=1e-12)


def test_minimum_fraction_matches_the_closed_forms_for_one_and_two_dimensions():
    """n = 1: a sign, ½. n = 2: P(a > 0, c > 0, b² < ac) with a, c ~ N(0, 1), b ~ N(0, ½), which is
    ∫∫ φ(a) φ(c) erf(√(ac)) da dc over a, c > 0 (integrated here by the midpoint rule)."""
    one, _ = surfaces.minimum_fraction(1, 200_000, seed=3)
    assert one == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / 200_000))
    h = 0.005
    grid = np.arange(h / 2, 8, h)
    phi = np.exp(-grid**2 / 2) / math.sqrt(2 * math.pi)
    erf = np.vectorize(math.erf)(np.sqrt(np.outer(grid, grid)))
    exact = float(phi @ erf @ phi) * h * h
    two, _ = surfaces.minimum_fraction(2, 200_000, seed=3)
    assert two == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 200_000))
    assert exact == pytest.approx((2 - math.sqrt(2)) / 4, abs=1e-4)  # the known value for the GOE


def test_minimum_fraction_falls_faster_than_any_coin_flip():
    fractions = [surfaces.minimum_fraction(n, 50_000)[0] for n in range(1, 5)]
    ratios = np.array(fractions[1:]) / np.array(fractions[:-1])
    assert np.all(ratios < 0.5) and np.all(np.diff(ratios) < 0)  # each step loses more than a halving, and more


def test_minimum_fraction_rejects_nonsense():
    for dimension in (0, 13, "x"):
        with pytest.raises(ValueError):
            surfaces.minimum_fraction(dimension)


# ----------------------------------------------------------------------------- penalised minima

def _least_squares(seed=0, n=40):
    """A two-feature least-squares problem and the quadratic surface it is: H = XᵀX/n, θ* = OLS."""
    import surfaces
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])
    y = X @ np.array([1.2, 0.4]) + 0.3 * rng.standard_normal(n)
    hessian = X.T @ X / n
    values, vectors = np.linalg.eigh(hessian)
    angle = (math.degrees(math.atan2(vectors[1, 0], vectors[0, 0])) + 90.0) % 180.0 - 90.0  # an axis, not a direction
    centre = np.linalg.solve(hessian, X.T @ y / n)
    surface = surfaces.get("quadratic", curvature_1=values[0], curvature_2=values[1], angle=angle,
                           centre_x=centre[0], centre_y=centre[1])
    return X, y, surface


def test_quadratic_surface_is_the_least_squares_loss():
    X, y, surface = _least_squares()
    np.testing.assert_allclose(surface.hessian(0.3, -0.2), X.T @ X / len(y), rtol=1e-12, atol=1e-14)
    theta = np.array([0.3, -0.7])
    loss = 0.5 * np.mean((y - X @ theta) ** 2) - 0.5 * np.mean((y - X @ np.array(surface.minima[0])) ** 2)
    assert surface.f(*theta) == pytest.approx(loss, rel=1e-12)


def test_ridge_path_matches_scikit_learn():
    """sklearn's Ridge minimises ‖y − Xw‖² + α‖w‖²: our λ (weight decay) is α/n."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    import surfaces
    X, y, surface = _least_squares()
    lambdas = [0.0, 0.05, 0.3, 2.0]
    ours = surfaces.ridge_path(surface, lambdas)
    for lam, theta in zip(lambdas, ours):
        fit = linear_model.Ridge(alpha=lam * len(y), fit_intercept=False, solver="cholesky").fit(X, y)
        np.testing.assert_allclose(theta, fit.coef_, rtol=1e-9, atol=1e-12)


def test_lasso_path_matches_scikit_learn_and_reaches_exact_zeros():
    """sklearn's lasso_path minimises (1/2n)‖y − Xw‖² + α‖w‖₁, which is our f + λ‖θ‖₁ with λ = α.
    Under L1 one weight reaches exactly zero at a finite λ; under L2 neither ever does."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    import surfaces
    X, y, surface = _least_squares()
    corners, thetas = surfaces.lasso_breakpoints(surface)
    lambdas = np.linspace(0.01, 1.2 * corners[-1], 25)
    alphas, coefs, _ = linear_model.lasso_path(X, y, alphas=lambdas[::-1], tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(surfaces.lasso_path(surface, alphas), coefs.T, atol=1e-8)
    assert np.count_nonzero(thetas[1]) == 1 and np.all(thetas[-1] == 0.0)
    assert corners[-1] == pytest.approx(np.max(np.abs(X.T @ y / len(y))), rel=1e-12)  # λ_max = ‖Xᵀy/n‖∞
    assert np.all(surfaces.ridge_path(surface, lambdas) != 0.0)


@pytest.mark.parametrize("radius", [0.3, 1.0, 2.0])
def test_box_minimum_is_the_grid_minimum_over_the_box(radius):
    import surfaces
    where = surfaces.get("quadratic", curvature_1=1.0, curvature_2=4.0, angle=30.0, centre_x=1.5, centre_y=0.5)
    grid = np.linspace(-radius, radius, 1601)
    gx, gy = np.meshgrid(grid, grid)
    values = where.f(gx, gy)
    k = np.unravel_index(np.argmin(values), values.shape)
    np.testing.assert_allclose(surfaces.box_minimum(where, radius), [gx[k], gy[k]], atol=2 * radius / 1600)
