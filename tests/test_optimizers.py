"""Optimizers against torch.optim, the notes' formulas, noise statistics, divergence and bad input."""

import math
from pathlib import Path

import numpy as np
import pytest

import optimizers
import surfaces
from optimizers import _kernels as kernels
from torch_oracle import (BATCHNORM_CASES, FREE_RUNNING_HORIZON, PROBE, STEPS, SURFACE_CASES, TORCH_CASES,
                          batchnorm_inputs, learning_rate_schedule, torch_batchnorm, torch_trajectory)

REFERENCE = Path(__file__).parent / "reference" / "torch_trajectories.npz"
PAIRS = [(s, c) for s in SURFACE_CASES for c in TORCH_CASES]
IDS = [f"{s[0]}-{c[0]}" for s, c in PAIRS]


def ours(surface_case, torch_case):
    surface, params, start, rates = surface_case
    case, name, hyper, _, _ = torch_case
    return optimizers.run(surfaces.get(surface, **params), name, start=start, steps=STEPS,
                          lr=learning_rate_schedule(rates[case]), **hyper)


@pytest.mark.parametrize("surface_case, torch_case", PAIRS, ids=IDS)
def test_update_rule_matches_torch_step_for_step(surface_case, torch_case):
    """Teacher-forced: torch.optim receives our gradient sequence; every step must agree."""
    torch = pytest.importorskip("torch")
    surface, params, start, rates = surface_case
    case, _, _, class_name, kwargs = torch_case
    path = ours(surface_case, torch_case)
    expected = torch_trajectory(torch, surface, params, start, class_name, kwargs,
                                learning_rate_schedule(rates[case]), grads=path.grads)
    np.testing.assert_allclose(path.points, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("surface_case, torch_case", PAIRS, ids=IDS)
def test_matches_torch_autograd_run(surface_case, torch_case):
    """Free-running: torch computes its own gradients by autograd on the surface's formula."""
    torch = pytest.importorskip("torch")
    surface, params, start, rates = surface_case
    case, _, _, class_name, kwargs = torch_case
    expected = torch_trajectory(torch, surface, params, start, class_name, kwargs,
                                learning_rate_schedule(rates[case]))
    path = ours(surface_case, torch_case)
    assert path.diverged_at is None
    h = FREE_RUNNING_HORIZON
    np.testing.assert_allclose(path.points[:h], expected[:h], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("surface_case, torch_case", PAIRS, ids=IDS)
def test_matches_saved_torch_trajectories(surface_case, torch_case):
    """The same check without torch installed: trajectories torch.optim produced, saved by
    tests/make_torch_references.py."""
    expected = np.load(REFERENCE)[f"{surface_case[0]}/{torch_case[0]}"][:FREE_RUNNING_HORIZON]
    points = ours(surface_case, torch_case).points[:FREE_RUNNING_HORIZON]
    np.testing.assert_allclose(points, expected, rtol=1e-10, atol=1e-12)


def test_saved_trajectories_actually_move():
    """Guards the oracle itself: every saved run travels and changes speed when lr drops."""
    saved = np.load(REFERENCE)
    for key in saved.files:
        if key == "torch_version":
            continue
        travelled = np.abs(np.diff(saved[key], axis=0)).sum()
        assert travelled > 0.1, key


def reference_run(grad, start, steps, lr, rule):
    """Plain-Python loop over the notes' formulas (no Numba, no NumPy arrays)."""
    x = list(start)
    state = [dict(), dict()]
    points = [tuple(x)]
    for t in range(1, steps + 1):
        g = grad(*x)
        for k in range(2):
            x[k] -= lr * rule(g[k], state[k], t)
        points.append(tuple(x))
    return np.array(points)


def ema_momentum(beta, corrected):
    def rule(g, s, t):
        s["v"] = beta * s.get("v", 0.0) + (1 - beta) * g
        return s["v"] / (1 - beta**t) if corrected else s["v"]
    return rule


def adam_uncorrected(b1, b2, eps):
    def rule(g, s, t):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        return s["m"] / (math.sqrt(s["v"]) + eps)
    return rule


@pytest.mark.parametrize("name, hyper, rule", [
    ("momentum", {"beta": 0.9}, ema_momentum(0.9, False)),
    ("momentum", {"beta": 0.5, "bias_correction": True}, ema_momentum(0.5, True)),
    ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "bias_correction": False},
     adam_uncorrected(0.9, 0.999, 1e-8)),
])
def test_notes_forms_match_their_formulas(name, hyper, rule):
    surface = surfaces.get("elongated_bowl", condition=10, angle=20)
    path = optimizers.run(surface, name, start=(-2.0, 1.0), steps=300, lr=0.02, **hyper)
    expected = reference_run(lambda x, y: surface.grad(x, y), (-2.0, 1.0), 300, 0.02, rule)
    np.testing.assert_allclose(path.points, expected, rtol=1e-12, atol=1e-14)


def test_ema_momentum_equals_heavy_ball_with_scaled_rate():
    """v = βv + (1−β)g is b = βb + g scaled by (1−β): same path when α_heavy = α_EMA·(1−β)."""
    ema = optimizers.run("elongated_bowl", "momentum", steps=200, lr=0.1, beta=0.9)
    heavy = optimizers.run("elongated_bowl", "sgd_momentum", steps=200, lr=0.1 * (1 - 0.9), momentum=0.9)
    np.testing.assert_allclose(ema.points, heavy.points, rtol=1e-9, atol=1e-12)


def test_adam_state_ledger():
    path = optimizers.run("rosenbrock", "adam", steps=50, lr=0.01)
    g = path.grads
    m = np.zeros(2)
    v = np.zeros(2)
    for t in range(1, 51):
        m = 0.9 * m + 0.1 * g[t - 1]
        v = 0.999 * v + 0.001 * g[t - 1] ** 2
        np.testing.assert_allclose(path.state["m"][t - 1], m, rtol=1e-13)
        np.testing.assert_allclose(path.state["v_hat"][t - 1], v / (1 - 0.999**t), rtol=1e-13)
        step = -0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(path.deltas[t - 1], step, rtol=1e-9)


def test_uncorrected_adam_first_step_is_larger_by_the_cold_start_ratio():
    """Step 1: corrected Δ = α·g/|g|; uncorrected = α(1−β1)g/(√(1−β2)|g|): ratio (1−β1)/√(1−β2)."""
    a = optimizers.run("bowl", "adam", steps=1, lr=0.01, eps=0.0, bias_correction=True)
    b = optimizers.run("bowl", "adam", steps=1, lr=0.01, eps=0.0, bias_correction=False)
    np.testing.assert_allclose(b.deltas[0] / a.deltas[0], (1 - 0.9) / math.sqrt(1 - 0.999), rtol=1e-12)


def test_effective_lr_for_adaptive_methods():
    path = optimizers.run("elongated_bowl", "rmsprop", steps=30, lr=0.01, beta=0.9, eps=1e-8)
    s = np.zeros(2)
    for t in range(30):
        s = 0.9 * s + 0.1 * path.grads[t] ** 2
        np.testing.assert_allclose(path.effective_lr()[t], 0.01 / (np.sqrt(s) + 1e-8), rtol=1e-12)
    ada = optimizers.run("elongated_bowl", "adagrad", steps=50, lr=0.5)
    assert np.all(np.diff(ada.effective_lr(), axis=0) <= 0)  # AdaGrad's rate never rises


# ----------------------------------------------------------------------------- noise

def test_noise_statistics_and_reproducibility():
    sigma = 0.7
    surface = surfaces.get("bowl")
    path = optimizers.run(surface, "gd", steps=20_000, lr=0.001, noise=sigma, seed=3)
    exact = np.stack(surface.grad(path.points[:-1, 0], path.points[:-1, 1]), axis=1)
    z = (path.grads - exact) / sigma
    assert abs(z.mean()) < 4 / math.sqrt(z.size)
    assert abs(z.std() - 1) < 0.02
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.03
    assert abs(np.corrcoef(z[:-1, 0], z[1:, 0])[0, 1]) < 0.03  # independent across steps
    again = optimizers.run(surface, "gd", steps=20_000, lr=0.001, noise=sigma, seed=3)
    np.testing.assert_array_equal(path.points, again.points)
    other = optimizers.run(surface, "gd", steps=20_000, lr=0.001, noise=sigma, seed=4)
    assert not np.array_equal(path.points, other.points)


def test_normal_pairs_pass_a_distribution_check():
    draws = np.array([kernels.normal_pair(11, m, t) for m in range(40) for t in range(500)]).ravel()
    quantiles = np.quantile(draws, [0.025, 0.16, 0.5, 0.84, 0.975])
    np.testing.assert_allclose(quantiles, [-1.96, -0.994, 0.0, 0.994, 1.96], atol=0.06)


def test_ensemble_rows_equal_single_runs_without_noise():
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.5, 2.5]])
    paths = optimizers.run_ensemble("rosenbrock", "adam", starts=starts, steps=300, lr=0.02)
    assert paths.shape == (3, 301, 2)
    for row, start in zip(paths, starts):
        single = optimizers.run("rosenbrock", "adam", start=start, steps=300, lr=0.02)
        np.testing.assert_array_equal(row, single.points)


def test_ensemble_members_have_their_own_noise_streams():
    starts = np.zeros((4, 2)) + [0.5, 0.5]
    paths = optimizers.run_ensemble("bowl", "sgd_momentum", starts=starts, steps=50, lr=0.05,
                                    noise=0.5, seed=9)
    assert len({paths[i, -1].tobytes() for i in range(4)}) == 4
    single = optimizers.run("bowl", "sgd_momentum", start=(0.5, 0.5), steps=50, lr=0.05, noise=0.5, seed=9)
    np.testing.assert_array_equal(paths[0], single.points)
    bigger = optimizers.run_ensemble("bowl", "sgd_momentum", starts=np.zeros((9, 2)) + 0.5, steps=50,
                                     lr=0.05, noise=0.5, seed=9)
    np.testing.assert_array_equal(bigger[:4], paths)  # a member's stream does not depend on n


def test_an_ensemble_draws_the_same_noise_from_its_kept_table_as_computed_in_the_kernel():
    """Small noisy ensembles read their N(0, 1) draws from a table kept per (seed, size); larger ones
    compute them step by step. Both give every member the same stream, to the last bit."""
    members = optimizers.NORMALS_KEPT // 100 + 1  # × 100 steps: over the kept size
    starts = np.random.default_rng(5).uniform(-1.0, 1.0, (members, 2))
    computed = optimizers.run_ensemble("sharp_flat", "gd", starts=starts, steps=100, lr=0.1, noise=3.0, seed=7)
    kept = optimizers.run_ensemble("sharp_flat", "gd", starts=starts[:5], steps=100, lr=0.1, noise=3.0, seed=7)
    np.testing.assert_array_equal(kept, computed[:5])
    table = optimizers._normals(7, 3, 100)
    assert not table.flags.writeable
    np.testing.assert_array_equal(table[42, :, 2], kernels.normal_pair(7, 2, 42))


# ----------------------------------------------------------------------------- divergence

def test_divergence_is_reported_and_the_rest_is_nan():
    # GD on f = (x² + y²)/2 with α = 2.5 multiplies θ by −1.5 each step.
    start = np.array([-1.6, 1.2])
    path = optimizers.run("bowl", "gd", start=start, steps=100, lr=2.5)
    expected = next(t for t in range(100) if np.abs(start).max() * 1.5**t > 1e6)
    assert path.diverged_at == expected
    assert np.all(np.isfinite(path.points[:expected]))
    assert np.all(np.isnan(path.points[expected:])) and np.all(np.isnan(path.loss[expected:]))
    assert np.all(np.isnan(path.grads[expected:]))
    ensemble = optimizers.run_ensemble("bowl", "gd", starts=[start, start / 1e9], steps=40, lr=2.5)
    assert np.isnan(ensemble[0, expected:]).all() and np.isfinite(ensemble[0, :expected]).all()
    assert np.isfinite(ensemble[1]).all()


def test_no_divergence_reported_for_a_converging_run():
    path = optimizers.run("bowl", "gd", steps=100, lr=0.5)
    assert path.diverged_at is None and np.isfinite(path.points).all()
    np.testing.assert_allclose(path.points[-1], np.array([-1.6, 1.2]) * 0.5**100, atol=1e-300)


# ----------------------------------------------------------------------------- mini-batches

def test_full_batch_equals_plain_gradient_descent():
    surface = surfaces.regression(n_samples=50, seed=2)
    full = optimizers.run(surface, "gd", steps=100, lr=0.1)
    batched = optimizers.run(surface, "gd", steps=100, lr=0.1, batch_size=50)
    np.testing.assert_allclose(batched.points, full.points, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("m, batch", [(64, 1), (64, 8), (50, 16), (7, 7)])
def test_batches_cover_each_epoch_once(m, batch):
    steps = 3 * math.ceil(m / batch) + 1
    order, bounds = optimizers.batches(m, batch, steps, shuffle=True, seed=5)
    per_epoch = math.ceil(m / batch)
    for epoch in range(3):
        rows = bounds[epoch * per_epoch:(epoch + 1) * per_epoch]
        seen = np.concatenate([order[a:b] for a, b in rows])
        np.testing.assert_array_equal(np.sort(seen), np.arange(m))
        assert all(b - a == batch for a, b in rows[:-1]) and 1 <= rows[-1, 1] - rows[-1, 0] <= batch
    order, bounds = optimizers.batches(m, batch, steps, shuffle=False)
    np.testing.assert_array_equal(order[bounds[0, 0]:bounds[0, 1]], np.arange(min(batch, m)))


def test_minibatch_path_uses_the_batches_gradient():
    surface = surfaces.regression(n_samples=32, seed=1)
    path = optimizers.run(surface, "gd", steps=12, lr=0.05, batch_size=8, seed=4)
    order, bounds = optimizers.batches(32, 8, 12, shuffle=True, seed=4)
    xs, ys = surface.samples
    for t, (a, b) in enumerate(bounds):
        idx = order[a:b]
        w, bias = path.points[t]
        residual = w * xs[idx] + bias - ys[idx]
        np.testing.assert_allclose(path.grads[t], [2 * np.mean(residual * xs[idx]), 2 * np.mean(residual)],
                                   rtol=1e-12)
        np.testing.assert_allclose(path.batch_loss[t], np.mean(residual**2), rtol=1e-12)


# ----------------------------------------------------------------------------- schedules and EMA

def test_notes_schedule_tables_recomputed():
    # Step decay (seed 000, counted from epoch 0): 0.1 for 10 epochs, then 0.05, then 0.025.
    step = optimizers.learning_rates("step", 0.1, 30, gamma=0.5, every=10)
    np.testing.assert_allclose(step[[0, 9, 10, 19, 20, 29]], [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    exponential = optimizers.learning_rates("exponential", 0.1, 4, k=0.1)
    np.testing.assert_allclose(exponential[1:3], [0.0905, 0.0819], atol=5e-5)
    inverse = optimizers.learning_rates("inverse_time", 0.1, 4, k=0.05)
    np.testing.assert_allclose(inverse[1:3], [0.0952, 0.0909], atol=5e-5)
    np.testing.assert_allclose(optimizers.learning_rates("geometric", 0.2, 5, gamma=0.95),
                               0.2 * 0.95 ** np.arange(5))
    np.testing.assert_allclose(optimizers.learning_rates("inverse_sqrt", 0.2, 3, k=3.0),
                               [0.2, 0.1, 0.2 / math.sqrt(7)])


def test_cosine_and_warmup():
    cosine = optimizers.learning_rates("cosine", 1.0, 12, total=10, min_lr=0.1)
    np.testing.assert_allclose(cosine[[0, 5, 10, 11]], [1.0, 0.55, 0.1, 0.1])
    warm = optimizers.learning_rates("step", 0.4, 8, warmup=4, gamma=0.5, every=2)
    np.testing.assert_allclose(warm, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.2, 0.2])
    np.testing.assert_allclose(optimizers.learning_rates("constant", 1.0, 3, warmup=10), [0.1, 0.2, 0.3])
    per_epoch = optimizers.learning_rates("geometric", 1.0, 6, gamma=0.5, steps_per_epoch=3)
    np.testing.assert_allclose(per_epoch, [1, 1, 1, 0.5, 0.5, 0.5])


def _latex_value(latex, t):
    """Evaluate one of our schedule formulas (the right-hand side) at epoch t: a test-only reader of the
    few LaTeX forms schedule_formula writes, so that a formula can be checked against the rates."""
    def braced(text, start):  # the {...} group opening at text[start]
        depth = 0
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                return text[start + 1:i], i + 1
        raise ValueError(text)

    def python(text):
        out, i = "", 0
        while i < len(text):
            for command, arity, form in ((r"\frac", 2, "(({0})/({1}))"), (r"\sqrt", 1, "math.sqrt({0})"),
                                         ("e^", 1, "math.exp({0})"), ("^", 1, "**({0})")):
                if text.startswith(command + "{", i):
                    groups, j = [], i + len(command)
                    for _ in range(arity):
                        group, j = braced(text, j)
                        groups.append(python(group))
                    out, i = out + form.format(*groups), j
                    break
            else:
                out, i = out + text[i], i + 1
        return out

    body = latex.split(" = ", 1)[1]
    for old, new in ((r"\left(", "("), (r"\right)", ")"), (r"\lfloor", "math.floor("), (r"\rfloor", ")"),
                     (r"\tfrac12", "0.5*"), (r"\cdot", "*"), (r"\cos", "math.cos"), (r"\pi", "math.pi*"),
                     (r"\min", "min"), (r"\,", "*"), ("10^{", "10**{")):
        body = body.replace(old, new)
    return eval(python(body).replace(" ", "").replace(")(", ")*("), {"math": math, "min": min, "t": t})  # our own formula, never user text


@pytest.mark.parametrize("schedule, params", [("constant", {}), ("step", {"gamma": 0.3, "every": 7}),
                                              ("exponential", {"k": 0.15}), ("geometric", {"gamma": 0.9}),
                                              ("inverse_time", {"k": 0.4}), ("inverse_sqrt", {"k": 3.0}),
                                              ("cosine", {"total": 12, "min_lr": 0.01})])
def test_schedule_formula_shows_the_values_it_is_given(schedule, params):
    """The formula with values, read back, gives the same rates as learning_rates (a swapped symbol or a
    dropped value fails); without values it is symbolic."""
    formula = optimizers.schedule_formula(schedule, 0.35, **params)
    rates = optimizers.learning_rates(schedule, 0.35, 15, **params)
    np.testing.assert_allclose([_latex_value(formula, t) for t in range(15)], rates, rtol=1e-12)
    assert "<" not in formula and r"\alpha_0" in optimizers.schedule_formula(schedule)


def test_schedules_match_torch():
    torch = pytest.importorskip("torch")
    theta = torch.zeros(1, requires_grad=True)
    for make, ours_rates in [
        (lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
         optimizers.learning_rates("step", 0.5, 40, gamma=0.3, every=7)),
        (lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
         optimizers.learning_rates("geometric", 0.5, 40, gamma=0.9)),
        (lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=0.01),
         optimizers.learning_rates("cosine", 0.5, 40, total=40, min_lr=0.01)),
    ]:
        opt = torch.optim.SGD([theta], lr=0.5)
        scheduler = make(opt)
        rates = []
        for _ in range(40):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        np.testing.assert_allclose(ours_rates, rates, rtol=1e-12)


WEEK = [10, 16, 12, 14, 18, 11, 15]


def test_ema_of_the_notes_week():
    v = optimizers.ema(WEEK, 0.3)
    # v1 = 0.7·10; v2 = 0.3·7 + 0.7·16; v3 = 0.3·13.3 + 0.7·12 (seed 000, β = 0.3)
    np.testing.assert_allclose(v[:3], [7.0, 13.3, 12.39])
    corrected = optimizers.ema(WEEK, 0.3, bias_correction=True)
    np.testing.assert_allclose(corrected[:3], [10.0, 13.3 / 0.91, 12.39 / 0.973])
    np.testing.assert_allclose(corrected[2], 12.734, atol=5e-4)  # DESIGN §9: 12.73, not the notes' slip
    cumulative = 1 - 0.3 ** np.arange(1, 5)
    np.testing.assert_allclose(cumulative, [0.70, 0.91, 0.973, 0.9919])
    np.testing.assert_allclose(optimizers.ema_weights(0.3, 3), [0.7, 0.21, 0.063])


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.5, 0.9, 0.98])
def test_corrected_ema_equals_pandas(beta):
    pandas = pytest.importorskip("pandas")
    values = np.random.default_rng(0).normal(10, 5, 400)
    expected = pandas.Series(values).ewm(alpha=1 - beta, adjust=True).mean().to_numpy()
    np.testing.assert_allclose(optimizers.ema(values, beta, bias_correction=True), expected, rtol=1e-11)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, message", [
    (lambda: optimizers.run("bowl", "lion"), "unknown optimizer 'lion'; choose one of gd"),
    (lambda: optimizers.run("teapot", "gd"), "unknown surface 'teapot'"),
    (lambda: optimizers.run("bowl", "adam", betas=(0.9, 0.99)), "unknown hyper-parameter 'betas'"),
    (lambda: optimizers.run("bowl", "adam", beta1=1.0), "beta1 must lie in [0.0, 1.0)"),
    (lambda: optimizers.run("bowl", "momentum", beta=-0.1), "beta must lie in"),
    (lambda: optimizers.run("bowl", "gd", lr=-0.1), "lr must lie in"),
    (lambda: optimizers.run("bowl", "gd", lr=float("nan")), "lr must lie in"),
    (lambda: optimizers.run("bowl", "gd", steps=0), "steps must lie in"),
    (lambda: optimizers.run("bowl", "gd", steps=2.5), "steps must be a whole number"),
    (lambda: optimizers.run("bowl", "gd", steps=10**9), "steps must lie in"),
    (lambda: optimizers.run("bowl", "gd", start=(0, float("inf"))), "start must be finite"),
    (lambda: optimizers.run("bowl", "gd", start="origin"), "start must be a pair"),
    (lambda: optimizers.run("bowl", "gd", noise=-1), "noise must lie in"),
    (lambda: optimizers.run("bowl", "gd", batch_size=4), "batch_size needs a data-defined surface"),
    (lambda: optimizers.run(surfaces.regression(n_samples=10), "gd", batch_size=11), "batch_size must lie in"),
    (lambda: optimizers.run("bowl", "gd", steps=3, lr=[0.1, 0.1]), "lr must be a number or an array of 3"),
    (lambda: optimizers.run("bowl", "sgd_momentum", nesterov="yes"), "nesterov must be True or False"),
    (lambda: optimizers.run("bowl", "gd", weight_decay=-0.1), "weight_decay must lie in"),
    (lambda: optimizers.run("bowl", "gd", l1=float("inf")), "l1 must lie in"),
    (lambda: optimizers.run("bowl", "gd", l1=0.1, l1_mode="lasso"), "l1_mode must be one of proximal, subgradient"),
    (lambda: optimizers.run_ensemble("bowl", "gd", starts=[1, 2], steps=5, lr=0.1), "starts must be an array of shape (n, 2)"),
    (lambda: optimizers.run_ensemble("bowl", "gd", starts=np.zeros((10**6, 2)), steps=100, lr=0.1), "members × steps"),
    (lambda: optimizers.learning_rates("sawtooth", 0.1, 10), "unknown schedule 'sawtooth'"),
    (lambda: optimizers.learning_rates("step", 0.1, 10, decay=2), "unknown parameter 'decay'"),
    (lambda: optimizers.learning_rates("step", 0.1, 10, every=0), "every must lie in"),
    (lambda: optimizers.ema([1, 2], 1.0), "beta must lie in"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def read_only(values):
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False
    return array


def test_kernels_compile_once_across_surfaces_optimizers_and_inputs():
    """One compiled signature per kernel, whatever the surface, optimizer or kind of input array
    (read-only, strided, broadcast, integer): otherwise a page view would wait for a recompile."""
    optimizers.warm_up()
    for surface in surfaces.names():
        where = surfaces.get(surface)
        where.f(read_only([0.1, 0.2]), 0.3)  # a broadcast, read-only view
        where.grad(np.zeros((3, 3))[:, 1], np.arange(3))  # strided and integer
        for name in optimizers.names():
            optimizers.run(where, name, steps=3, lr=read_only([0.01] * 3), noise=0.1)
            optimizers.run_ensemble(where, name, starts=read_only([[0.3, 0.3]]), steps=3, lr=0.01)
    data = surfaces.regression(n_samples=8)
    optimizers.run(data, "adam", steps=3, lr=0.1, batch_size=2)
    data.batch_grad(0.0, 0.0, read_only([0, 1]).astype(np.int32))
    optimizers.ema(read_only([1.0, 2.0, 3.0]), 0.5)
    optimizers.ema([1, 2, 3], 0.5)
    from surfaces import _kernels as surface_kernels
    for kernel in (kernels.trajectory, kernels.ensemble, kernels.ema, surface_kernels.evaluate_many,
                   surface_kernels.batch_loss_and_gradient):
        assert len(kernel.signatures) == 1, (kernel.__name__, kernel.signatures)


def test_every_kernel_releases_the_interpreter():
    """nogil: a session's long kernel (a network's training, an ensemble) leaves the GIL to the
    other sessions' pages, which then run on the other core."""
    import numba

    from optimizers import _kernels as kernels
    from surfaces import _kernels as surface_kernels
    dispatchers = [value for module in (kernels, surface_kernels) for value in vars(module).values()
                   if isinstance(value, numba.core.registry.CPUDispatcher)
                   and value.targetoptions.get("inline") != "always"]  # helpers are compiled into these
    assert {"trajectory", "ensemble", "ema", "evaluate_many", "train_network"} <= {d.__name__ for d in dispatchers}
    assert [d.__name__ for d in dispatchers if not d.targetoptions.get("nogil")] == []


# ----------------------------------------------------------------------------- penalties and the registry

def _penalised_reference(surface, start, rates, step):
    """Plain-Python loop: θ ← step(θ, ∇f(θ), α) one coordinate at a time (no Numba, no NumPy arrays)."""
    x = list(start)
    points = [tuple(x)]
    for lr in rates:
        g = surface.grad(*x)
        x = [step(x[k], float(g[k]), float(lr)) for k in range(2)]
        points.append(tuple(x))
    return np.array(points)


def _soft_threshold(z, tau):
    return math.copysign(abs(z) - tau, z) if abs(z) > tau else 0.0


@pytest.mark.parametrize("l1_mode, rule", [
    ("proximal", lambda th, g, lr, lam: _soft_threshold(th - lr * g, lr * lam)),
    ("subgradient", lambda th, g, lr, lam: th - lr * (g + lam * (th > 0) - lam * (th < 0))),
])
def test_l1_steps_are_the_closed_forms(l1_mode, rule):
    """ISTA's θ ← sign(z)·max(|z| − αλ, 0) with z = θ − α∇f, or θ ← θ − α(∇f + λ sign θ), with a
    mid-run change of α. The proximal run lands on exact zeros; the subgradient one chatters."""
    surface = surfaces.get("elongated_bowl", condition=10, angle=20)
    rates = learning_rate_schedule(0.05)[:300]
    path = optimizers.run(surface, "gd", start=(-2.0, 1.0), steps=300, lr=rates, l1=0.8, l1_mode=l1_mode)
    expected = _penalised_reference(surface, (-2.0, 1.0), rates, lambda th, g, lr: rule(th, g, lr, 0.8))
    np.testing.assert_allclose(path.points, expected, rtol=1e-12, atol=1e-14)
    zeros = np.sum(path.points[-50:] == 0.0)
    assert (zeros > 0) == (l1_mode == "proximal")


def test_weight_decay_on_gd_is_the_closed_form():
    """On the bowl c/2·|θ|², gd with weight decay λ multiplies θ by 1 − α(c + λ) each step."""
    path = optimizers.run(surfaces.get("bowl", curvature=2.0), "gd", start=(1.0, -0.5), steps=20, lr=0.1,
                          weight_decay=0.3)
    factor = (1 - 0.1 * (2.0 + 0.3)) ** np.arange(21)
    np.testing.assert_allclose(path.points, np.outer(factor, [1.0, -0.5]), rtol=1e-12)
    np.testing.assert_allclose(path.grads[0], [2.0, -1.0])  # the loss's gradient, the penalty not in it


def test_adamw_decays_apart_from_the_adaptive_step():
    """AdamW scales θ by 1 − αλ before Adam's step; Adam with weight decay puts λθ through the
    moments instead, so the two differ; AdamW with λ = 0 is Adam."""
    common = dict(start=(-1.2, 1.0), steps=200, lr=0.01)
    adam = optimizers.run("rosenbrock", "adam", **common)
    np.testing.assert_array_equal(optimizers.run("rosenbrock", "adamw", weight_decay=0.0, **common).points,
                                  adam.points)
    coupled = optimizers.run("rosenbrock", "adam", weight_decay=0.5, **common).points
    decoupled = optimizers.run("rosenbrock", "adamw", weight_decay=0.5, **common).points
    assert np.abs(coupled - decoupled).max() > 1e-3


def test_penalised_ensembles_equal_single_runs():
    starts = np.array([[-1.2, 1.0], [0.5, -0.5]])
    for name, hyper in (("adamw", {"weight_decay": 0.1}), ("gd", {"l1": 0.5}), ("rmsprop", {"weight_decay": 0.2}),
                        ("gd", {"l1": 0.5, "l1_mode": "subgradient"})):
        rows = optimizers.run_ensemble("rosenbrock", name, starts=starts, steps=100, lr=1e-3, **hyper)
        for row, start in zip(rows, starts):
            np.testing.assert_array_equal(row, optimizers.run("rosenbrock", name, start=start, steps=100, lr=1e-3,
                                                              **hyper).points)


def test_an_unknown_kernel_id_gives_nan_not_another_method():
    """Dispatch fails loudly: an id no record uses is a divergence at the first step, for optimizers
    and for surfaces, never another optimizer's or surface's values."""
    used = {record.kernel_id for record in optimizers.OPTIMIZERS.values()}
    unknown = max(used) + 1
    empty, no_order, no_bounds = np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    bowl = surfaces.get("bowl")
    record = optimizers._hyper("adam", {})[1]
    out = np.empty((6, kernels.COLUMNS))
    assert kernels.trajectory(bowl.kernel_id, bowl.coefficients, empty, empty, no_order, no_bounds, unknown,
                              record, np.full(5, 0.1), 1.0, 1.0, 0.0, 0, 0, out) == 1
    assert np.isnan(out[1:]).all()
    out = np.empty((5, 2, 3))
    kernels.ensemble(bowl.kernel_id, bowl.coefficients, unknown, record, np.full(4, 0.1), np.ones(3), np.ones(3),
                     0.0, 0, optimizers._NO_TABLE, out)
    assert np.isnan(out[1:]).all()
    from surfaces import _kernels as surface_kernels
    values = np.empty((1, 6))
    surface_kernels.evaluate_many(99, bowl.coefficients, np.ones(1), np.ones(1), values)
    assert np.isnan(values).all()


def test_every_registry_names_the_same_optimizers_and_surfaces():
    """One record per optimizer and per surface: every table is derived from them."""
    import figures
    from app_pages.i18n import STRINGS
    names = optimizers.names()
    assert names == list(optimizers.OPTIMIZERS) == list(optimizers.DEFAULTS)
    ids = [record.kernel_id for record in optimizers.OPTIMIZERS.values()]
    assert len(set(ids)) == len(ids)
    for name, record in optimizers.OPTIMIZERS.items():
        assert set(record.colors) <= set(figures.PALETTE) and record.colors
        assert figures.variant(name) in figures.PALETTE or name == "sgd_momentum"
        assert record.playground_lr > 0 and f"optimizer.{name}" in STRINGS["en"]
        flags = {bool(record.defaults.get("bias_correction", record.defaults.get("nesterov", False)))}
        assert flags <= set(record.rules)
    assert surfaces.names() == list(surfaces.SURFACES) == list(surfaces.PARAMETERS)
    from surfaces import _kernels as surface_kernels
    known = {value for name, value in vars(surface_kernels).items() if name.isupper() and isinstance(value, int)}
    assert {record.kernel_id for record in surfaces.SURFACES.values()} <= known  # (two may share one: quadratic forms)
    for name in surfaces.names():
        assert surfaces.get(name).kernel_id == surfaces.SURFACES[name].kernel_id


@pytest.mark.parametrize("name, hyper, lr, expected", [
    ("gd", {}, 0.3, r"\theta_t = \theta_{t-1} - 0.3\, g_t"),
    ("momentum", {"beta": 0.7}, 0.2,
     r"v_t = 0.7\, v_{t-1} + 0.3\, g_t,\qquad \theta_t = \theta_{t-1} - 0.2\, v_t"),
    ("momentum", {"beta": 0.6, "bias_correction": True}, 0.2,
     r"v_t = 0.6\, v_{t-1} + 0.4\, g_t,\qquad \theta_t = \theta_{t-1} - 0.2\, \frac{v_t}{1 - 0.6^t}"),
    ("sgd_momentum", {"momentum": 0.8}, 0.05,
     r"b_t = 0.8\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - 0.05\, b_t"),
    ("sgd_momentum", {"momentum": 0.8, "nesterov": True}, 0.05,
     r"b_t = 0.8\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - 0.05\,(g_t + 0.8\, b_t)"),
    ("rmsprop", {"beta": 0.95, "eps": 1e-6}, 0.01,
     r"S_t = 0.95\, S_{t-1} + 0.05\, g_t^2,\qquad \theta_t = \theta_{t-1} - \frac{0.01\, g_t}{\sqrt{S_t} + 10^{-6}}"),
    ("adagrad", {"eps": 1e-10}, 0.5,
     r"G_t = G_{t-1} + g_t^2,\qquad \theta_t = \theta_{t-1} - \frac{0.5\, g_t}{\sqrt{G_t} + 10^{-10}}"),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8}, 0.1,
     r"m_t = 0.8\, m_{t-1} + 0.2\, g_t,\quad v_t = 0.99\, v_{t-1} + 0.01\, g_t^2,\quad \theta_t = \theta_{t-1} - 0.1\,"
     r"\frac{m_t/(1-0.8^t)}{\sqrt{v_t/(1-0.99^t)} + 10^{-8}}"),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "bias_correction": False}, 0.1,
     r"m_t = 0.8\, m_{t-1} + 0.2\, g_t,\quad v_t = 0.99\, v_{t-1} + 0.01\, g_t^2,\quad \theta_t = \theta_{t-1} - 0.1\,"
     r"\frac{m_t}{\sqrt{v_t} + 10^{-8}}"),
    ("adamw", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.05}, 0.1,
     r"m_t = 0.8\, m_{t-1} + 0.2\, g_t,\quad v_t = 0.99\, v_{t-1} + 0.01\, g_t^2,\quad "
     r"\theta_t = \theta_{t-1}(1 - 0.1\cdot 0.05) - 0.1\,\frac{m_t/(1-0.8^t)}{\sqrt{v_t/(1-0.99^t)} + 10^{-8}}"),
    ("gd", {"weight_decay": 0.2, "l1": 0.3, "l1_mode": "subgradient"}, 0.1,
     r"g_t = \nabla f(\theta_{t-1}) + 0.2\,\theta_{t-1} + 0.3\,\operatorname{sign}\theta_{t-1},\quad "
     r"\theta_t = \theta_{t-1} - 0.1\, g_t"),
    ("gd", {"l1": 0.3}, 0.1,
     r"\theta_t = \theta_{t-1} - 0.1\, g_t,\quad \theta_t \leftarrow \operatorname{sign}(\theta_t)\,"
     r"\max(|\theta_t| - 0.1\cdot 0.3,\ 0)"),
])
def test_rule_shows_the_values_passed_to_it(name, hyper, lr, expected):
    """Written out by hand from the update rules: a swapped β and (1−β), a dropped value or a wrong
    flag's template fails."""
    assert optimizers.rule(name, hyper, lr) == expected


# ----------------------------------------------------------------------------- batch normalisation

BATCHNORM_REFERENCE = Path(__file__).parent / "reference" / "torch_batchnorm.npz"


def batchnorm_expected(name):
    """torch.nn.BatchNorm1d's running mean and variance after each step, train-mode outputs and
    inference outputs for one of the oracle's cases: from torch when installed, else as saved."""
    case = next(c for c in BATCHNORM_CASES if c[0] == name)
    _, samples, batch_size, momentum, steps, seed = case
    try:
        import torch
    except ImportError:
        saved = np.load(BATCHNORM_REFERENCE)
        return tuple(saved[f"{name}/{key}"] for key in ("running_mean", "running_var", "train", "inference"))
    order, bounds = optimizers.batches(samples, batch_size, steps, True, seed)
    return torch_batchnorm(torch, batchnorm_inputs(samples), order, bounds, momentum)


@pytest.mark.parametrize("case", BATCHNORM_CASES, ids=[c[0] for c in BATCHNORM_CASES])
def test_batch_norm_matches_torch_batchnorm1d(case):
    """Running statistics (momentum, unbiased running variance, from 0 and 1), the train-mode
    outputs (biased batch variance) and the inference outputs, to 1e-12."""
    name, samples, batch_size, momentum, steps, seed = case
    z = batchnorm_inputs(samples)
    running_mean, running_var, _, _ = optimizers.running_statistics(z, batch_size, steps, momentum=momentum, seed=seed)
    expected_mean, expected_var, expected_train, expected_inference = batchnorm_expected(name)
    np.testing.assert_allclose(running_mean[1:], expected_mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(running_var[1:], expected_var, rtol=0, atol=1e-12)
    order, bounds = optimizers.batches(samples, batch_size, steps, True, seed)
    rows, train = optimizers.train_mode(z, batch_size, steps, seed=seed)
    np.testing.assert_array_equal(rows, order[:bounds[-1, 1]])
    np.testing.assert_allclose(train, expected_train, rtol=0, atol=1e-12)
    first = order[bounds[0, 0]:bounds[0, 1]]  # one batch by the definition, too
    np.testing.assert_allclose(optimizers.batch_norm(z[first]), expected_train[:len(first)], rtol=0, atol=1e-12)
    np.testing.assert_allclose(optimizers.batch_norm(z[:PROBE], running_mean[-1], running_var[-1]), expected_inference,
                               rtol=0, atol=1e-12)


def test_saved_batchnorm_reference_is_torchs():
    """The saved reference (used where torch is missing) is what torch computes today."""
    torch = pytest.importorskip("torch")
    saved = np.load(BATCHNORM_REFERENCE)
    for name, samples, batch_size, momentum, steps, seed in BATCHNORM_CASES:
        order, bounds = optimizers.batches(samples, batch_size, steps, True, seed)
        fresh = torch_batchnorm(torch, batchnorm_inputs(samples), order, bounds, momentum)
        for key, value in zip(("running_mean", "running_var", "train", "inference"), fresh):
            np.testing.assert_allclose(saved[f"{name}/{key}"], value, rtol=0, atol=1e-14)


def test_layer_and_group_norm_match_torch_and_ignore_the_other_samples():
    z = batchnorm_inputs(64)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        tensor = torch.from_numpy(z)
        np.testing.assert_allclose(optimizers.layer_norm(z), torch.nn.functional.layer_norm(tensor, (4,)).numpy(),
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(optimizers.group_norm(z, 2), torch.nn.functional.group_norm(tensor, 2).numpy(),
                                   rtol=0, atol=1e-12)
    one = (z[0] - z[0].mean()) / np.sqrt(z[0].var() + 1e-5)  # the definition, for one sample
    np.testing.assert_allclose(optimizers.layer_norm(z)[0], one, rtol=1e-14)
    np.testing.assert_array_equal(optimizers.layer_norm(z[:5])[0], optimizers.layer_norm(z[:1])[0])
    assert not np.allclose(optimizers.batch_norm(z[:5])[0], optimizers.batch_norm(z[:3])[0])


@pytest.mark.parametrize("bad", [dict(batch_size=1), dict(momentum=0.0), dict(momentum=1.0), dict(steps=0),
                                 dict(batch_size=500, z=np.zeros((1001, 1)))])
def test_running_statistics_refuse_what_torch_refuses(bad):
    """A batch of one has no variance (torch raises in train mode), momentum must lie in (0, 1)."""
    args = dict(z=np.zeros((64, 2)), batch_size=8, steps=10)
    args.update(bad)
    with pytest.raises(ValueError):
        optimizers.running_statistics(args.pop("z"), **args)
