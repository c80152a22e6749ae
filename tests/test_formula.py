"""A typed formula: values against NumPy, exact derivatives against the built-in surfaces' analytic
ones and against finite differences, numerically found minima, and hundreds of hostile or broken
strings that must each get a message and execute nothing."""

import builtins
import math
import random

import numpy as np
import pytest

import optimizers
import surfaces

# (formula, the same function in NumPy)
TABLE = [
    ("x**2 + 10*y**2", lambda x, y: x**2 + 10 * y**2),
    ("sin(x)*cos(y) + 0.1*(x**2 + y**2)", lambda x, y: np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2)),
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("x^3 - 3*x*y^2", lambda x, y: x**3 - 3 * x * y**2),
    ("exp(-(x**2 + y**2)/2) * tanh(x - y)", lambda x, y: np.exp(-(x**2 + y**2) / 2) * np.tanh(x - y)),
    ("log(1 + x**2 + y**2) - sqrt(abs(x) + 1)", lambda x, y: np.log(1 + x**2 + y**2) - np.sqrt(np.abs(x) + 1)),
    ("sinh(x/3)*cosh(y/3) + arctan(x*y)", lambda x, y: np.sinh(x / 3) * np.cosh(y / 3) + np.arctan(x * y)),
    ("tan(x/4) / (2 + cos(y))", lambda x, y: np.tan(x / 4) / (2 + np.cos(y))),
    ("-x**2 + pi*y - e", lambda x, y: -(x**2) + np.pi * y - np.e),
    ("x**0.5 + y**-1", lambda x, y: x**0.5 + y**-1.0),
    ("(x**2 + 1)**(y/2)", lambda x, y: (x**2 + 1) ** (y / 2)),
    ("2**x + x**x", lambda x, y: 2.0**x + x**x),
    ("x*y/(x - y) + 1e-3*x", lambda x, y: x * y / (x - y) + 1e-3 * x),
]


def points(n=40, seed=0, low=0.3, high=1.7):
    """Points where every formula of the table is smooth (positive, away from x = y)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(low, high, n), rng.uniform(low, high, n)
    keep = np.abs(x - y) > 0.2
    return x[keep], y[keep]


@pytest.mark.parametrize("text, reference", TABLE, ids=[t for t, _ in TABLE])
def test_values_match_numpy(text, reference):
    surface = surfaces.formula(text)
    x, y = points()
    np.testing.assert_allclose(surface.f(x, y), reference(x, y), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("text, reference", TABLE, ids=[t for t, _ in TABLE])
def test_gradients_and_hessians_match_finite_differences(text, reference):
    """Central differences of the NumPy function (not of our own values): the gradient to ≈1e-7,
    the Hessian (differences of differences) to ≈1e-4."""
    surface = surfaces.formula(text)
    x, y = points(12, seed=1)
    h = 1e-5
    gx, gy = surface.grad(x, y)
    np.testing.assert_allclose(gx, (reference(x + h, y) - reference(x - h, y)) / (2 * h), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gy, (reference(x, y + h) - reference(x, y - h)) / (2 * h), rtol=1e-6, atol=1e-7)
    k = 1e-4
    for a, b in zip(x, y):
        hxx = (reference(a + k, b) - 2 * reference(a, b) + reference(a - k, b)) / k**2
        hyy = (reference(a, b + k) - 2 * reference(a, b) + reference(a, b - k)) / k**2
        hxy = (reference(a + k, b + k) - reference(a + k, b - k) - reference(a - k, b + k)
               + reference(a - k, b - k)) / (4 * k**2)
        np.testing.assert_allclose(surface.hessian(a, b), [[hxx, hxy], [hxy, hyy]], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("text, name", [("(1 - x)**2 + 100*(y - x**2)**2", "rosenbrock"), ("x**2 - y**2", "saddle"),
                                        ("x**3 - 3*x*y**2", "monkey_saddle"), ("0.5*(x**2 + y**2)", "bowl")])
def test_exact_derivatives_equal_the_built_in_surfaces(text, name):
    typed, built_in = surfaces.formula(text), surfaces.get(name)
    x, y = np.random.default_rng(2).uniform(-2, 2, (2, 30))
    np.testing.assert_allclose(typed.f(x, y), built_in.f(x, y), rtol=1e-14, atol=1e-13)
    for mine, theirs in zip(typed.grad(x, y), built_in.grad(x, y)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-14, atol=1e-12)
    for a, b in zip(x[:10], y[:10]):
        np.testing.assert_allclose(typed.hessian(a, b), built_in.hessian(a, b), rtol=1e-14, atol=1e-12)


def test_runs_and_ensembles_on_a_formula_are_the_built_in_ones():
    typed, built_in = surfaces.formula("(1 - x)**2 + 100*(y - x**2)**2"), surfaces.get("rosenbrock")
    for name in optimizers.names():
        a = optimizers.run(typed, name, start=(-1.2, 1.0), steps=200, lr=1e-3, noise=0.1)
        b = optimizers.run(built_in, name, start=(-1.2, 1.0), steps=200, lr=1e-3, noise=0.1)
        np.testing.assert_allclose(a.points, b.points, rtol=1e-12, atol=1e-12)
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, (50, 2))
    np.testing.assert_allclose(optimizers.run_ensemble(typed, "adam", starts=starts, steps=100, lr=0.01, noise=0.2),
                               optimizers.run_ensemble(built_in, "adam", starts=starts, steps=100, lr=0.01, noise=0.2),
                               rtol=1e-12, atol=1e-12)


def test_one_formula_shared_by_threads_gives_each_the_serial_numbers():
    """The kernels run without the GIL and a formula keeps its workspace in its coefficients: every
    kernel called from Python works on its own copy, so sessions sharing a cached Surface never
    write into each other's evaluation."""
    import concurrent.futures

    shared = surfaces.formula("sin(3*x)*cos(2*y) + 0.1*(x**2 + y**2)**2 - tanh(x*y)")
    starts = [(0.1 * k - 1.0, 0.9 - 0.07 * k) for k in range(16)]

    def one(start):
        return optimizers.run(shared, "adam", start=start, steps=3000, lr=0.01).points

    serial = [one(start) for start in starts]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(one, starts * 3))
    for k, points in enumerate(threaded):
        np.testing.assert_array_equal(points, serial[k % len(starts)])


def test_minima_are_found_numerically_and_bounds_are_kept():
    rosenbrock = surfaces.formula("(1 - x)**2 + 100*(y - x**2)**2")
    np.testing.assert_allclose(rosenbrock.minima, [(1.0, 1.0)], atol=1e-10)
    wavy = surfaces.formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)", bounds=(-4, 4, -4, 4))
    assert wavy.bounds == (-4.0, 4.0, -4.0, 4.0) and len(wavy.minima) >= 3
    for x, y in wavy.minima:
        assert math.hypot(*wavy.grad(x, y)) < 1e-9 and np.all(np.linalg.eigvalsh(wavy.hessian(x, y)) > 0)
    assert surfaces.formula("x**2 - y**2").minima == ()  # a saddle has none
    assert surfaces.formula("x + y").bounds == (-3.0, 3.0, -3.0, 3.0)  # the default map
    for bad in [(1, 0, 0, 1), (0, 1), (0, 1, 0, math.nan), "wide"]:
        with pytest.raises(ValueError):
            surfaces.formula("x", bounds=bad)


def test_a_point_without_a_real_value_is_a_divergence_not_an_exception():
    path = optimizers.run(surfaces.formula("log(x) + y**2"), "gd", start=(0.5, 1.0), steps=50, lr=1.0)
    assert path.diverged_at is not None and np.isnan(path.points[-1]).all()
    assert math.isnan(surfaces.formula("sqrt(x)").f(-1.0, 0.0))


def test_the_canonical_text_and_latex():
    program, latex, text = surfaces.compile_formula("-x^2+2*x*y  -  sin( y )/3")
    assert text == "-x**2 + 2*x*y - sin(y)/3"
    assert r"\frac{\sin\left(y\right)}{3}" in latex and "{x}^{2}" in latex
    assert surfaces.compile_formula(text)[2] == text  # the canonical text reads back as itself
    assert surfaces.compile_formula("x − 2×y·x")[2] == "x - 2*y*x"  # typographic signs, as copied from a page
    # x*x is computed once however often it appears
    assert surfaces.compile_formula("x*x + x*x")[0][0] < surfaces.compile_formula("x*x + y*y")[0][0]


@pytest.mark.parametrize("text, reason, position", [
    ("x + * y", "expected a number", 5),
    ("2x", "write * between factors", 2),
    ("sin x", "needs its argument in parentheses", 1),
    ("(x + y", "expected ')'", 7),
    ("x + y)", "unexpected ')'", 6),
    ("z**2", "unknown name 'z'", 1),
    ("x $ y", "unexpected character '$'", 3),
    ("9**9**9**9", "exponent", 5),  # 9**9 is the exponent of the second **
    ("1/0 + x", "division by zero", 2),
    ("log(-1) + x", "no real value", 1),
    ("exp(1000) + x", "too large", 1),
    ("1e999 * x", "too large", 1),
    ("3 + 4", "a constant", None),
    ("", "empty", None),
])
def test_broken_formulas_say_why_and_where(text, reason, position):
    with pytest.raises(ValueError) as error:
        surfaces.formula(text)
    assert reason in str(error.value)
    assert getattr(error.value, "position", None) == position


def hostile_strings():
    """Code, attribute walks, floods and garbage: none of them is a formula in x and y."""
    attacks = ["__import__('os').system('touch /tmp/descent-pwned')", "().__class__.__bases__[0].__subclasses__()",
               "eval('1')", "exec('x=1')", "compile('1','','eval')", "open('/etc/passwd').read()",
               "lambda: 1", "x.__class__", "[x for x in ()]", "x if y else 1", "x; import os", "x\nimport os",
               "globals()", "x.real", "x[0]", "{}", "x == y", "x < y", "not x", "x and y", "x @ y", "x // y",
               "x % y", "x ** y ** -", "sin", "sin()", "sin(x, y)", "pi(x)", "x(y)", "'x'", '"x"', "b'x'", "0x10 + x",
               "1_000 * x", "x ** 101", "x ** -101", "(x**2)**1000", "x" * 501, "(" * 5000 + "x" + ")" * 5000,
               "-" * 10_000 + "x", "x" + "+x" * 300, "1" * 100_000, "sin(" * 41 + "x" + ")" * 41, "ⅹ + y", "x\x00",
               "x​ + y", "\\x", "`x`", "$x$", "x ** (1/0)", "e**1000 * x", "𝑥 + 𝑦", "√x", "x²"]
    rng = random.Random(7)
    alphabet = "xy0123456789.+-*/^()eE sinocoqrtaplgbhk_,[]{}'\"\\$#@!?<>=%&|~;:"
    garbage = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(300)]
    tokens = ["x", "y", "2", "0.5", "+", "-", "*", "/", "**", "(", ")", "sin(", "exp(", "pi", "e", "log("]
    shuffled = [" ".join(rng.choice(tokens) for _ in range(rng.randint(1, 25))) for _ in range(300)]
    return attacks, garbage + shuffled


def test_hostile_and_broken_strings_get_a_message_and_run_nothing(monkeypatch, tmp_path):
    """Every string ends as a surface or a ValueError with a message; eval, exec, compile and
    __import__ are never called while parsing, and nothing touches the disk."""
    called = []
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: called.append(_n))
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda *a, **k: called.append("import") or real_import(*a, **k))
    attacks, noise = hostile_strings()
    accepted = []
    for text in attacks + noise:
        try:
            surface = surfaces.formula(text)
        except ValueError as error:
            assert str(error) and len(str(error)) < 400
        else:
            assert isinstance(surface.f(0.3, 0.7), float)  # a surface: it evaluates (NaN is a value too)
            accepted.append(text)
    monkeypatch.undo()
    assert called == []
    assert not set(accepted) & set(attacks)  # every attack is refused; a few random token strings are formulas
    assert len(attacks) + len(noise) - len(accepted) > 600
    assert not (tmp_path.parent / "descent-pwned").exists()
    import pathlib
    assert not pathlib.Path("/tmp/descent-pwned").exists()


def test_the_formula_is_a_surface_among_the_others():
    assert "formula" in surfaces.names()
    default = surfaces.get("formula")
    assert default.params["text"] == surfaces.compile_formula(surfaces.DEFAULT_FORMULA)[2]
    narrow = surfaces.get("formula", text="x**2 + y**2", xmin=-1, xmax=1, ymin=-2, ymax=2)
    assert narrow.bounds == (-1.0, 1.0, -2.0, 2.0) and narrow.minima == ((0.0, 0.0),)
