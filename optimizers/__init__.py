"""Optimizers, learning-rate schedules, exponentially weighted averages and ensembles over surfaces.

    >>> import optimizers
    >>> path = optimizers.run("rosenbrock", "adam", start=(-1.2, 1.0), steps=500, lr=0.05)
    >>> path.points[-1], path.loss[-1], path.diverged_at
"""

from dataclasses import dataclass, field
import functools
import math

import numpy as np

import surfaces
from . import _kernels as K

__all__ = ["Optimizer", "OPTIMIZERS", "PENALTIES", "L1_MODES", "Trajectory", "rule", "DEFAULTS", "names",
           "run", "run_ensemble", "batches", "first_within",
           "learning_rates", "schedule_names", "schedule_formula", "ema", "ema_weights", "warm_up", "MAX_STEPS",
           "BN_MOMENTUM", "BN_EPS", "batch_norm", "layer_norm", "group_norm", "train_mode", "running_statistics",
           "NETWORK", "NetworkRun", "network_init", "network_output", "network_cost", "train_network",
           "course_orders", "network_costs", "filter_normalized_direction", "network_accuracy"]

MAX_STEPS = 100_000
MAX_ENSEMBLE_WORK = 50_000_000  # members × steps

@dataclass(frozen=True)
class Optimizer:
    """Everything the app needs to know about one optimizer. Adding an optimizer takes its kernel
    rule (optimizers/_kernels.py), one of these records and its strings (the locale files)."""

    kernel_id: int
    defaults: dict  # hyper-parameters in torch.optim's names where torch has the method
    buffers: tuple  # names of the kernel's two state buffers (None: unused)
    rules: dict  # flag (bias_correction or nesterov) -> LaTeX; <name> marks a value `rule` fills in
    rate: object  # Trajectory -> (steps, 2): the per-coordinate multiplier on the gradient-like term
    playground_lr: float  # the Playground's default α
    colors: dict  # palette variant -> colour (Okabe–Ito where it reaches)
    corrected: tuple = ()  # (buffer, β) pairs divided by 1 − βᵗ into buffer_hat when bias-corrected
    always_corrected: bool = False


def _plain_rate(path):
    return np.broadcast_to(path.lr[:, None], (path.steps, 2)).copy()


def _accumulated_rate(buffer):
    return lambda path: path.lr[:, None] / (np.sqrt(path.state[buffer]) + path.hyper["eps"])


def _adam_rate(path):
    lr, eps = path.lr[:, None], path.hyper["eps"]
    if path.hyper.get("bias_correction", True):
        c1 = _bias_correction(path.hyper["beta1"], path.steps)
        c2 = np.sqrt(_bias_correction(path.hyper["beta2"], path.steps))
        return (lr / c1) / (np.sqrt(path.state["v"]) / c2 + eps)
    return lr / (np.sqrt(path.state["v"]) + eps)


_ADAM_STEP = (r"m_t = <beta1>\, m_{t-1} + <1-beta1>\, g_t,\quad v_t = <beta2>\, v_{t-1} + <1-beta2>\, g_t^2,"
              r"\quad \theta_t = <decayed> - <lr>\,")
OPTIMIZERS = {
    "gd": Optimizer(K.GD, {}, (None, None), {False: r"\theta_t = \theta_{t-1} - <lr>\, g_t"}, _plain_rate,
                    0.001, {"gd": "#000000"}),
    "momentum": Optimizer(
        K.MOMENTUM, {"beta": 0.9, "bias_correction": False}, ("v", None),
        {False: r"v_t = <beta>\, v_{t-1} + <1-beta>\, g_t,\qquad \theta_t = \theta_{t-1} - <lr>\, v_t",
         True: r"v_t = <beta>\, v_{t-1} + <1-beta>\, g_t,\qquad "
               r"\theta_t = \theta_{t-1} - <lr>\, \frac{v_t}{1 - <beta>^t}"},
        _plain_rate, 0.01, {"momentum": "#E69F00"}, corrected=(("v", "beta"),)),
    "sgd_momentum": Optimizer(
        K.SGD_MOMENTUM, {"momentum": 0.9, "nesterov": False}, ("buf", None),
        {False: r"b_t = <momentum>\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - <lr>\, b_t",
         True: r"b_t = <momentum>\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - <lr>\,(g_t + <momentum>\, b_t)"},
        _plain_rate, 0.001, {"heavy_ball": "#D55E00", "nesterov": "#CC79A7"}),
    "rmsprop": Optimizer(
        K.RMSPROP, {"beta": 0.9, "eps": 1e-8}, ("S", None),
        {False: r"S_t = <beta>\, S_{t-1} + <1-beta>\, g_t^2,\qquad "
                r"\theta_t = \theta_{t-1} - \frac{<lr>\, g_t}{\sqrt{S_t} + <eps>}"},
        _accumulated_rate("S"), 0.01, {"rmsprop": "#009E73"}),
    "adagrad": Optimizer(
        K.ADAGRAD, {"eps": 1e-10}, ("G", None),
        {False: r"G_t = G_{t-1} + g_t^2,\qquad \theta_t = \theta_{t-1} - \frac{<lr>\, g_t}{\sqrt{G_t} + <eps>}"},
        _accumulated_rate("G"), 0.5, {"adagrad": "#56B4E9"}),
    "adam": Optimizer(
        K.ADAM, {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "bias_correction": True}, ("m", "v"),
        {True: _ADAM_STEP + r"\frac{m_t/(1-<beta1>^t)}{\sqrt{v_t/(1-<beta2>^t)} + <eps>}",
         False: _ADAM_STEP + r"\frac{m_t}{\sqrt{v_t} + <eps>}"},
        _adam_rate, 0.2, {"adam": "#0072B2"}, corrected=(("m", "beta1"), ("v", "beta2"))),
    "adamw": Optimizer(
        K.ADAMW, {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}, ("m", "v"),
        {False: _ADAM_STEP + r"\frac{m_t/(1-<beta1>^t)}{\sqrt{v_t/(1-<beta2>^t)} + <eps>}"},
        _adam_rate, 0.2, {"adamw": "#882255"}, corrected=(("m", "beta1"), ("v", "beta2")),
        always_corrected=True),
}
# The penalties every optimizer takes (torch.optim's weight_decay; the L1 term, proximal or subgradient).
PENALTIES = {"weight_decay": 0.0, "l1": 0.0, "l1_mode": "proximal"}
L1_MODES = ("proximal", "subgradient")
DEFAULTS = {name: {**PENALTIES, **record.defaults} for name, record in OPTIMIZERS.items()}
_SYMBOLS = {"lr": r"\alpha", "beta": r"\beta", "1-beta": r"(1-\beta)", "momentum": r"\mu",
            "eps": r"\varepsilon", "beta1": r"\beta_1", "1-beta1": r"(1-\beta_1)", "beta2": r"\beta_2",
            "1-beta2": r"(1-\beta_2)", "weight_decay": r"\lambda", "l1": r"\lambda_1"}


def _latex_number(value):
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa}\times 10^{{{int(exponent)}}}" if mantissa != "1" else rf"10^{{{int(exponent)}}}"
    return text


def rule(optimizer, hyper=None, lr=None):
    r"""The update rule in LaTeX: symbolic, or with the values of `hyper` and `lr` substituted.
    Penalties (weight decay, L1) appear when they are non-zero; AdamW always shows its decay.

    >>> rule("momentum")  # v_t = \beta v_{t-1} + (1-\beta) g_t, ...
    >>> rule("momentum", {"beta": 0.9}, lr=0.1)  # v_t = 0.9 v_{t-1} + 0.1 g_t, ...
    """
    values, _ = _hyper(optimizer, dict(hyper or {}))
    record = OPTIMIZERS[optimizer]
    flag = bool(values.get("bias_correction", values.get("nesterov", False)))
    template = record.rules[flag]
    decoupled = record.kernel_id == K.ADAMW
    terms = [r"\nabla f(\theta_{t-1})"]
    if values["weight_decay"] and not decoupled:
        terms.append(r"<weight_decay>\,\theta_{t-1}")
    if values["l1"] and values["l1_mode"] == "subgradient":
        terms.append(r"<l1>\,\operatorname{sign}\theta_{t-1}")
    if len(terms) > 1:
        template = r"g_t = " + " + ".join(terms) + r",\quad " + template
    template = template.replace("<decayed>", r"\theta_{t-1}(1 - <lr>\cdot <weight_decay>)" if decoupled
                                else r"\theta_{t-1}")
    if values["l1"] and values["l1_mode"] == "proximal":
        template += r",\quad \theta_t \leftarrow \operatorname{sign}(\theta_t)\,\max(|\theta_t| - <lr>\cdot <l1>,\ 0)"
    numbers = {} if hyper is None else {key: values[key] for key in values if isinstance(values[key], float)}
    for key in ("beta", "beta1", "beta2"):
        if key in numbers:
            numbers[f"1-{key}"] = 1.0 - numbers[key]
    if lr is not None:
        numbers["lr"] = float(lr)
    for symbol, latex in _SYMBOLS.items():
        template = template.replace(f"<{symbol}>", _latex_number(numbers[symbol]) if symbol in numbers else latex)
    return template


def names():
    """Every optimizer name `run` accepts."""
    return list(OPTIMIZERS)


@dataclass(eq=False, slots=True)  # not frozen: a frozen dataclass's __init__ costs 2 µs of a 14 µs run
class Trajectory:
    """One optimizer's run. Row t of `grads`, `lr`, `state[...]` belongs to the update from point t
    to point t+1. After divergence at point index `diverged_at`, everything from there on is NaN."""

    optimizer: str
    hyper: dict
    points: np.ndarray  # (steps+1, 2)
    loss: np.ndarray  # (steps+1,)
    grads: np.ndarray  # (steps, 2): the loss's gradient used, noise and mini-batch included, penalties not
    lr: np.ndarray  # (steps,)
    state: dict = field(repr=False)  # buffer name -> (steps, 2)
    batch_loss: np.ndarray = field(repr=False)  # (steps,): loss on the mini-batch behind each update
    diverged_at: int | None = None

    @property
    def steps(self):
        return len(self.lr)

    @property
    def deltas(self):
        """Δθ_t = θ_t − θ_{t−1}, shape (steps, 2)."""
        return np.diff(self.points, axis=0)

    def effective_lr(self):
        """Per-coordinate multiplier on the gradient-like term, shape (steps, 2): α for GD and
        momentum, α/(√S+ε) for RMSprop and AdaGrad, α/(1−β₁ᵗ)/(√v/√(1−β₂ᵗ)+ε) for Adam."""
        return OPTIMIZERS[self.optimizer].rate(self)


@functools.lru_cache(maxsize=256)
def _bias_correction(beta, steps):
    """The column 1 − βᵗ for t = 1 … steps (remembered, and so read-only)."""
    column = 1.0 - beta ** np.arange(1, steps + 1, dtype=np.float64)[:, None]
    column.flags.writeable = False
    return column


def _number(name, value, low=-math.inf, high=math.inf, *, low_open=False, high_open=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {value}")
    return value


def _integer(name, value, low, high):
    if type(value) is int and low <= value <= high:  # the common case, without the checks below
        return value
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    value = int(float(value)) if not isinstance(value, (int, np.integer)) else int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value


def _hyper(optimizer, hyper):
    """Validated hyper-parameters (defaults filled in) and the kernel's record
    [β₁, β₂, ε, flag, weight decay, L1, subgradient]; remembered, since pages ask for the same few
    settings again and again (the record is shared: kernels only read it)."""
    try:
        key = (optimizer, tuple(sorted(hyper.items())))
        hash(key)
    except TypeError:  # an unhashable value: validate it (and refuse it) the long way
        return _validated_hyper(optimizer, hyper)
    values, record = _remembered_hyper(key)
    return dict(values), record


@functools.lru_cache(maxsize=1024)
def _remembered_hyper(key):
    return _validated_hyper(key[0], dict(key[1]))


def _validated_hyper(optimizer, hyper):
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(names())}")
    allowed = DEFAULTS[optimizer]
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise ValueError(f"{optimizer}: unknown hyper-parameter {unknown[0]!r}; "
                         f"allowed: {', '.join(allowed)}")
    values = {**allowed, **hyper}
    for name in ("beta", "beta1", "beta2", "momentum"):
        if name in values:
            values[name] = _number(name, values[name], 0.0, 1.0, high_open=True)
    if "eps" in values:
        values["eps"] = _number("eps", values["eps"], 0.0, 1.0)
    for name in ("weight_decay", "l1"):
        values[name] = _number(name, values[name], 0.0, 1e6)
    if values["l1_mode"] not in L1_MODES:
        raise ValueError(f"l1_mode must be one of {', '.join(L1_MODES)}, got {values['l1_mode']!r}")
    for name in ("bias_correction", "nesterov"):
        if name in values:
            if values[name] not in (True, False, 0, 1):
                raise ValueError(f"{name} must be True or False, got {values[name]!r}")
            values[name] = bool(values[name])
    first = values.get("beta", values.get("beta1", values.get("momentum", 0.0)))
    flag = values.get("bias_correction", values.get("nesterov", OPTIMIZERS[optimizer].always_corrected))
    record = np.array([first, values.get("beta2", 0.0), values.get("eps", 0.0), float(flag),
                       values["weight_decay"], values["l1"], float(values["l1_mode"] == "subgradient")])
    return values, record


def _surface(surface):
    return surfaces.get(surface) if isinstance(surface, str) else surface


def _learning_rate_array(lr, steps):
    if isinstance(lr, (int, float, np.number)):
        rates = np.empty(steps)
        rates.fill(_number("lr", lr, 0.0, 1e6))
        return rates
    rates = np.asarray(lr, dtype=np.float64)
    if rates.shape != (steps,):
        raise ValueError(f"lr must be a number or an array of {steps} per-step rates, got shape {rates.shape}")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("lr must hold finite, non-negative rates")
    return surfaces.kernel_array(rates)


def _point(name, value):
    try:
        x, y = value
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (x, y), got {value!r}") from None
    if not (abs(x) <= K.LIMIT and abs(y) <= K.LIMIT):
        raise ValueError(f"{name} must be finite with |x|, |y| ≤ {K.LIMIT:g}, got {value!r}")
    return x, y


def batches(n_samples, batch_size, steps, shuffle=True, seed=0):
    """The mini-batches of `steps` updates: (order, bounds) where step t uses the samples
    order[bounds[t, 0]:bounds[t, 1]]. ⌈m/B⌉ updates per epoch, the last one smaller when B does not
    divide m; a fresh permutation every epoch when shuffling."""
    per_epoch = -(-n_samples // batch_size)
    epochs = -(-steps // per_epoch)
    rng = np.random.default_rng([seed, surfaces.SHUFFLE_STREAM])  # independent of the data's stream
    order = np.concatenate([rng.permutation(n_samples) if shuffle else np.arange(n_samples)
                            for _ in range(epochs)]).astype(np.int64)
    t = np.arange(steps)
    epoch, j = t // per_epoch, t % per_epoch
    starts = epoch * n_samples + j * batch_size
    stops = epoch * n_samples + np.minimum((j + 1) * batch_size, n_samples)
    return order, np.stack([starts, stops], axis=1).astype(np.int64)


_NONE, _NO_ORDER, _NO_BOUNDS = np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64)  # no samples


def run(surface, optimizer, *, start=None, steps=100, lr=0.01, noise=0.0, seed=0,
        batch_size=None, shuffle=True, **hyper):
    """Run `optimizer` on `surface` (a Surface or a name) and return a `Trajectory`.

    lr: a rate or an array of `steps` per-step rates (see `learning_rates`). noise: σ of the
    independent N(0, σ²) added to each gradient coordinate. batch_size (regression surface only):
    real mini-batches of that many samples, reshuffled every epoch unless shuffle=False.
    weight_decay=λ adds λθ to the gradient as torch.optim does (AdamW decays θ apart from its step);
    l1=λ₁ adds the L1 penalty, as a proximal soft-threshold after the step or, with
    l1_mode="subgradient", as λ₁·sign θ in the gradient. The recorded loss and gradients are the
    surface's own, without the penalties.
    """
    surface = _surface(surface)
    values, record = _hyper(optimizer, hyper)
    steps = _integer("steps", steps, 1, MAX_STEPS)
    rates = _learning_rate_array(lr, steps)
    x0, y0 = _point("start", surface.start if start is None else start)
    noise = _number("noise", noise, 0.0, 1e6)
    seed = _integer("seed", seed, 0, 2**63 - 1)
    features, targets = surface.samples if surface.samples is not None else (_NONE, _NONE)
    order, bounds = _NO_ORDER, _NO_BOUNDS
    if batch_size is not None:
        if surface.samples is None:
            raise ValueError(f"batch_size needs a data-defined surface (regression), not {surface.name!r}")
        batch_size = _integer("batch_size", batch_size, 1, surface.n_samples)
        order, bounds = batches(surface.n_samples, batch_size, steps, bool(shuffle), seed)
    kind = OPTIMIZERS[optimizer]
    out = np.empty((steps + 1, K.COLUMNS))
    diverged = K.trajectory(surface.kernel_id, surface.coefficients, features, targets, order, bounds,
                            kind.kernel_id, record, rates, x0, y0, noise, seed, 0, out)
    buffers = {name: out[:-1, K.S1X + 2 * k:K.S1X + 2 * k + 2] for k, name in enumerate(kind.buffers)
               if name is not None}
    if kind.always_corrected or values.get("bias_correction"):
        for name, beta in kind.corrected:
            buffers[f"{name}_hat"] = buffers[name] / _bias_correction(values[beta], steps)
    return Trajectory(optimizer, values, out[:, K.X:K.Y + 1], out[:, K.LOSS], out[:-1, K.GX:K.GY + 1], rates,
                      buffers, out[:-1, K.BATCH_LOSS], None if diverged < 0 else diverged)


def run_ensemble(surface, optimizer, *, starts, steps, lr, noise=0.0, seed=0, **hyper):
    """Run one optimizer from every start at once: array (len(starts), steps+1, 2).

    Without noise row i equals run(start=starts[i]).points; with noise member i draws its own
    stream (member 0's is the one `run` uses with the same seed). Diverged members turn NaN.
    """
    surface = _surface(surface)
    _, record = _hyper(optimizer, hyper)
    steps = _integer("steps", steps, 1, MAX_STEPS)
    rates = _learning_rate_array(lr, steps)
    starts = np.asarray(starts, dtype=np.float64)
    if starts.ndim != 2 or starts.shape[1] != 2 or len(starts) == 0:
        raise ValueError(f"starts must be an array of shape (n, 2) with n ≥ 1, got shape {starts.shape}")
    if not np.all(np.abs(starts) <= K.LIMIT):
        raise ValueError(f"starts must be finite with |x|, |y| ≤ {K.LIMIT:g}")
    if len(starts) * steps > MAX_ENSEMBLE_WORK:
        raise ValueError(f"members × steps must be at most {MAX_ENSEMBLE_WORK:,}, "
                         f"got {len(starts)} × {steps}")
    noise = _number("noise", noise, 0.0, 1e6)
    seed = _integer("seed", seed, 0, 2**63 - 1)
    out = np.empty((steps + 1, 2, len(starts)))
    table = _normals(seed, len(starts), steps) if noise and len(starts) * steps <= NORMALS_KEPT else _NO_TABLE
    K.ensemble(surface.kernel_id, surface.coefficients, OPTIMIZERS[optimizer].kernel_id, record, rates,
               surfaces.kernel_array(starts[:, 0]), surfaces.kernel_array(starts[:, 1]), noise, seed, table, out)
    return out.transpose(2, 0, 1)


NORMALS_KEPT = 300_000  # members × steps: a noise table of at most 4.8 MB is kept, four of them
_NO_TABLE = np.empty((0, 2, 0))
_NO_TABLE.flags.writeable = False  # the same Numba type as a table: one compiled kernel


@functools.lru_cache(maxsize=4)
def _normals(seed, members, steps):
    """The N(0, 1) draws of a noisy ensemble, (steps, 2, members), read-only. They depend on the
    seed and the size alone, so a page's sweep of ensembles (lesson 8: 21 of them, one per batch
    size or α) draws them once: the draws cost twice as much as the steps themselves."""
    table = np.empty((steps, 2, members))
    K.normals(seed, table)
    table.flags.writeable = False
    return table


def first_within(points, targets, tolerance):
    """The first step at which the path is within `tolerance` (Euclidean) of any target, or None."""
    points = np.asarray(points, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
    if len(targets) == 0:
        return None
    distance = np.min(np.linalg.norm(points[:, None, :] - targets[None, :, :], axis=2), axis=1)
    hits = np.flatnonzero(distance <= tolerance)
    return int(hits[0]) if len(hits) else None


# ----------------------------------------------------------------------------- schedules

def _step(t, lr, gamma=0.5, every=10):
    return lr * _number("gamma", gamma, 0.0, 1.0) ** np.floor(t / _integer("every", every, 1, MAX_STEPS))


def _exponential(t, lr, k=0.1):
    return lr * np.exp(-_number("k", k, 0.0, 100.0) * t)


def _geometric(t, lr, gamma=0.95):
    return lr * _number("gamma", gamma, 0.0, 1.0) ** t


def _inverse_time(t, lr, k=0.05):
    return lr / (1.0 + _number("k", k, 0.0, 1e6) * t)


def _inverse_sqrt(t, lr, k=0.05):
    return lr / np.sqrt(1.0 + _number("k", k, 0.0, 1e6) * t)


def _cosine(t, lr, total=100, min_lr=0.0):
    total = _integer("total", total, 1, MAX_STEPS)
    min_lr = _number("min_lr", min_lr, 0.0, lr)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + np.cos(np.pi * np.minimum(t, total) / total))


def _constant(t, lr):
    return np.full(t.shape, lr)


_SCHEDULES = {"constant": _constant, "step": _step, "exponential": _exponential,
              "geometric": _geometric, "inverse_time": _inverse_time,
              "inverse_sqrt": _inverse_sqrt, "cosine": _cosine}

# Each schedule's formula; <name> marks a symbol that `schedule_formula` can replace by its value.
_SCHEDULE_TEMPLATES = {
    "constant": r"\alpha_t = <lr>",
    "step": r"\alpha_t = <lr>\cdot <gamma>^{\lfloor t/<every> \rfloor}",
    "exponential": r"\alpha_t = <lr>\cdot e^{-<k>\, t}",
    "geometric": r"\alpha_t = <lr>\cdot <gamma>^{t}",
    "inverse_time": r"\alpha_t = \frac{<lr>}{1 + <k>\, t}",
    "inverse_sqrt": r"\alpha_t = \frac{<lr>}{\sqrt{1 + <k>\, t}}",
    "cosine": r"\alpha_t = <min_lr> + \tfrac12(<lr> - <min_lr>)\left(1 + \cos\frac{\pi \min(t, <total>)}{<total>}\right)",
}
_SCHEDULE_SYMBOLS = {"lr": r"\alpha_0", "gamma": r"\gamma", "every": "T", "k": "k", "total": "T",
                     "min_lr": r"\alpha_{\min}"}


def schedule_formula(schedule, lr=None, **params):
    r"""A schedule's formula in LaTeX (t: the epoch): symbolic, or with α₀ = `lr` and its parameters
    (the schedule's defaults for those not given) substituted.

    >>> schedule_formula("step")  # \alpha_t = \alpha_0\cdot \gamma^{\lfloor t/T \rfloor}
    >>> schedule_formula("step", 0.1, gamma=0.5)  # \alpha_t = 0.1\cdot 0.5^{\lfloor t/10 \rfloor}
    """
    if schedule not in _SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(schedule_names())}")
    template = _SCHEDULE_TEMPLATES[schedule]
    if lr is not None:
        code, defaults = _SCHEDULES[schedule].__code__, _SCHEDULES[schedule].__defaults__ or ()
        names = code.co_varnames[2:code.co_argcount]
        values = dict(zip(names, defaults), lr=lr, **params)
        for name, value in values.items():
            template = template.replace(f"<{name}>", _latex_number(float(value)))
    for name, latex in _SCHEDULE_SYMBOLS.items():
        template = template.replace(f"<{name}>", latex)
    return template


def schedule_names():
    return list(_SCHEDULES)


def learning_rates(schedule, lr, steps, *, warmup=0, steps_per_epoch=1, **params):
    """The per-step learning rates α_t for t = 0 … steps−1 (torch's convention: step t uses f(t)).

    The schedule's index is the epoch ⌊t / steps_per_epoch⌋. `step` equals torch's StepLR and
    `geometric` its ExponentialLR; `cosine` stays at min_lr after `total` (torch's
    CosineAnnealingLR would rise again). `warmup` > 0 ramps linearly, α₀·(t+1)/warmup, over the
    first `warmup` steps and starts the schedule after them.
    """
    if schedule not in _SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(schedule_names())}")
    builder = _SCHEDULES[schedule]
    code = builder.__code__
    allowed = code.co_varnames[2:code.co_argcount]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{schedule}: unknown parameter {unknown[0]!r}; allowed: "
                         f"{', '.join(allowed + ('warmup', 'steps_per_epoch'))}")
    lr = _number("lr", lr, 0.0, 1e6)
    steps = _integer("steps", steps, 1, MAX_STEPS)
    warmup = _integer("warmup", warmup, 0, MAX_STEPS)  # longer than the run: all of it ramps up
    per_epoch = _integer("steps_per_epoch", steps_per_epoch, 1, MAX_STEPS)
    t = np.arange(steps)
    epoch = np.maximum(t - warmup, 0) // per_epoch
    rates = np.asarray(builder(epoch.astype(np.float64), lr, **params), dtype=np.float64)
    ramp = t < warmup
    rates[ramp] = lr * (t[ramp] + 1) / warmup
    return rates


def warm_up():
    """Compile (or load from Numba's disk cache) every kernel, so no page view waits for it:
    ≈ 70 s once on a new 2-core machine (the ensemble kernel alone ≈ 45 s), ≈ 2 s afterwards."""
    data = surfaces.regression(n_samples=8)
    run(data, "adam", steps=3, lr=0.1, batch_size=2, noise=0.1)
    run_ensemble("rosenbrock", "adam", starts=np.zeros((2, 2)), steps=3, lr=0.01, noise=0.1)
    ema([1.0, 2.0], 0.5)
    data.f(np.zeros(2), np.zeros(2))
    data.batch_grad(0.0, 0.0, [0, 1])
    typed = surfaces.formula("x**2 + y")  # the formula's own kernels
    run(typed, "gd", steps=2, lr=0.1)
    run_ensemble(typed, "gd", starts=np.zeros((2, 2)), steps=2, lr=0.1)
    X, y = surfaces.moons(8)  # the network's
    trained = train_network(X, y, "adam", epochs=2, batch_size=4)
    network_costs(trained.theta[None, :], X, y)
    network_accuracy(trained.theta, X, y)


# ----------------------------------------------------------------------------- averages

def ema(values, beta, bias_correction=False):
    """v_t = β·v_{t−1} + (1−β)·x_t with v₀ = 0 (t from 1); corrected: v_t / (1 − βᵗ)."""
    beta = _number("beta", beta, 0.0, 1.0, high_open=True)
    x = surfaces.kernel_array(values)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {x.shape}")
    out = np.empty_like(x)
    K.ema(x, beta, out)
    if bias_correction:
        out /= 1.0 - beta ** np.arange(1, len(x) + 1, dtype=np.float64)
    return out


def ema_weights(beta, days):
    """The weight (1−β)·β^k that today's average gives the value k days back, k = 0 … days−1."""
    beta = _number("beta", beta, 0.0, 1.0, high_open=True)
    return (1.0 - beta) * beta ** np.arange(days, dtype=np.float64)




# ----------------------------------------------------------------------------- normalisation layers

BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # torch.nn.BatchNorm1d's defaults


def batch_norm(z, mean=None, var=None, eps=BN_EPS):
    """(z − μ)/√(σ² + ε) per column of z (samples × features). Train mode (mean, var None): the
    batch's own mean and biased variance; inference mode: the given (running) statistics."""
    z = np.asarray(z, dtype=np.float64)
    if mean is None:
        mean, var = z.mean(axis=0), z.var(axis=0)
    return (z - mean) / np.sqrt(var + eps)


def group_norm(z, groups, eps=BN_EPS):
    """Each sample's features normalised over groups of consecutive features (torch's group_norm
    without its affine part): one sample's output never depends on the other samples."""
    z = np.asarray(z, dtype=np.float64)
    n, features = z.shape
    if groups < 1 or features % groups:
        raise ValueError(f"groups must divide the {features} features, got {groups}")
    g = z.reshape(n, groups, features // groups)
    return ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)).reshape(n, features)


def layer_norm(z, eps=BN_EPS):
    """Each sample normalised over all its features: group_norm with one group."""
    return group_norm(z, 1, eps)


def _batch_moments(z, batch_size, steps, seed):
    """The shuffled mini-batches of the rows of z that `steps` updates use (as `batches` draws them):
    the rows' sample indices in batch order, each batch's size, mean and sum of squared deviations,
    and each row's deviation from its batch's mean (two passes, as torch computes the variance)."""
    z = np.asarray(z, dtype=np.float64)
    z = z.reshape(len(z), -1)
    steps = _integer("steps", steps, 1, MAX_STEPS)
    batch_size = _integer("batch_size", batch_size, 2, len(z))  # torch refuses a batch of one in training
    order, bounds = batches(len(z), batch_size, steps, True, seed)
    if np.any(bounds[:, 1] - bounds[:, 0] < 2):
        raise ValueError("every mini-batch needs two samples or more: choose a batch size that leaves no batch of one")
    starts, sizes = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    order = order[:bounds[-1, 1]]  # the batches lie back to back in the epochs' order
    rows = z[order]
    means = np.add.reduceat(rows, starts, axis=0) / sizes[:, None]
    deviations = rows - np.repeat(means, sizes, axis=0)
    return order, sizes, means, np.add.reduceat(deviations * deviations, starts, axis=0), deviations


def train_mode(z, batch_size, steps, seed=0, eps=BN_EPS):
    """Batch norm in train mode over the mini-batches of `running_statistics`: every row normalised
    with its own batch's mean and biased variance. Returns (the rows' sample indices, their outputs),
    in batch order."""
    order, sizes, _, squares, deviations = _batch_moments(z, batch_size, steps, seed)
    return order, deviations / np.repeat(np.sqrt(squares / sizes[:, None] + eps), sizes, axis=0)


def running_statistics(z, batch_size, steps, momentum=BN_MOMENTUM, seed=0):
    """What torch.nn.BatchNorm1d does to its buffers in train mode over `steps` shuffled mini-batches
    of the rows of z (as `batches` draws them): running ← (1 − momentum)·running + momentum·batch
    statistic, from running_mean = 0 and running_var = 1, with the batch's unbiased variance (the
    normalisation itself uses the biased one). An exponentially weighted average with β = 1 − momentum.

    Returns (running_mean, running_var) of shape (steps + 1, features), row t after t updates, and the
    batches' (mean, unbiased var) of shape (steps, features)."""
    momentum = _number("momentum", momentum, 0.0, 1.0, low_open=True, high_open=True)
    _, sizes, means, squares, _ = _batch_moments(z, batch_size, steps, seed)
    variances = squares / (sizes[:, None] - 1)
    # lesson 1's average with β = 1 − momentum: from 0 for the mean; from 1 for the variance, whose
    # starting value fades as βᵗ
    beta = 1.0 - momentum
    fade = beta ** np.arange(1, len(sizes) + 1, dtype=np.float64)[:, None]
    running_mean = np.vstack([np.zeros(means.shape[1]), np.column_stack([ema(m, beta) for m in means.T])])
    running_var = np.vstack([np.ones(means.shape[1]), np.column_stack([ema(v, beta) for v in variances.T]) + fade])
    return running_mean, running_var, means, variances


# ----------------------------------------------------------------------------- a real network

NETWORK = (2, 5, 2, 1)  # the course's week-2 network: ReLU, ReLU, sigmoid


def _sizes(sizes):
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or len(sizes) < 2 or sizes[-1] != 1 or np.any(sizes < 1) or np.any(sizes > 64):
        raise ValueError(f"sizes must be (inputs, hidden…, 1), each 1 … 64, got {tuple(sizes)}")
    return sizes


def network_init(sizes=NETWORK, seed=3):
    """He initialisation as the course's initialize_parameters draws it: np.random.seed(seed), then
    for each layer W = randn(n_out, n_in)·√(2/n_in) and b = 0. Flat: each layer's W row by row, then b."""
    sizes = _sizes(sizes)
    rng = np.random.RandomState(seed)
    parts = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        parts += [(rng.randn(n_out, n_in) * np.sqrt(2.0 / n_in)).ravel(), np.zeros(n_out)]
    return np.concatenate(parts)


@functools.lru_cache(maxsize=8)
def course_orders(n_samples, epochs, seed=10):
    """The sample order of every epoch as the course's random_mini_batches draws it: epoch e uses
    np.random.seed(seed + 1 + e) and np.random.permutation(m). Read-only (shared by the cache)."""
    orders = np.empty((epochs, n_samples), dtype=np.int64)
    rng = np.random.RandomState()
    for epoch in range(epochs):
        rng.seed(seed + 1 + epoch)  # reseeding one generator: 20× faster than a new one each epoch
        orders[epoch] = rng.permutation(n_samples)
    orders.flags.writeable = False
    return orders


def network_output(theta, X, sizes=NETWORK):
    """The network's sigmoid output for every row of X."""
    X = surfaces.kernel_array(np.asarray(X, dtype=np.float64).reshape(-1, _sizes(sizes)[0]))
    out = np.empty(len(X))
    K.network_forward(_sizes(sizes), surfaces.kernel_array(theta), X, out)
    return out


def network_cost(theta, X, y, sizes=NETWORK):
    """The mean cross-entropy over all samples, and its gradient (backpropagation)."""
    sizes = _sizes(sizes)
    X, y = surfaces.kernel_array(X), surfaces.kernel_array(y)
    gradient = np.empty(len(theta))
    total = K.network_gradient(sizes, surfaces.kernel_array(theta), X, y, np.arange(len(X), dtype=np.int64), 0,
                               len(X), gradient)
    return total / len(X), gradient


@dataclass(frozen=True, eq=False, slots=True)
class NetworkRun:
    """A training run: the cost after every epoch, the parameters every `every` epochs (row k after
    epoch (k + 1)·every), the final parameters and the epoch it diverged at (or None)."""

    optimizer: str
    costs: np.ndarray
    snapshots: np.ndarray
    every: int
    theta: np.ndarray
    diverged_at: object


def train_network(X, y, optimizer, *, sizes=NETWORK, lr=0.0007, epochs=10_000, batch_size=64, seed=0,
                  decay_every=None, every=100, **hyper):
    """Train the network on (X, y) with mini-batches reshuffled every epoch, as the course's model()
    does: He initialisation from seed 3 + seed, the epochs' orders from seed 10 + seed·10⁶, one step
    of `optimizer` (the surfaces' own rule, every parameter a coordinate) per batch with t counted
    per batch. decay_every=T: α_e = lr / (1 + ⌊e/T⌋), the course's scheduled decay."""
    sizes = _sizes(sizes)
    X, y = surfaces.kernel_array(X), surfaces.kernel_array(y)
    _, record = _hyper(optimizer, hyper)
    epochs = _integer("epochs", epochs, 1, 100_000)
    batch_size = _integer("batch_size", batch_size, 1, len(X))
    every = _integer("every", min(every, epochs), 1, epochs)
    lr = _number("lr", lr, 0.0, 10.0, low_open=True)
    seed = _integer("seed", seed, 0, 1000)
    rates = np.full(epochs, lr)
    if decay_every is not None:
        rates = lr / (1.0 + np.floor(np.arange(epochs) / _integer("decay_every", decay_every, 1, epochs)))
    theta = network_init(sizes, 3 + seed)
    costs = np.empty(epochs)
    snapshots = np.full((epochs // every, len(theta)), np.nan)
    diverged = K.train_network(sizes, X, y, theta, OPTIMIZERS[optimizer].kernel_id, record, rates,
                               course_orders(len(X), epochs, 10 + seed * 1_000_000), batch_size, every, costs,
                               snapshots)
    return NetworkRun(optimizer, costs, snapshots, every, theta, None if diverged < 0 else diverged)


def network_accuracy(theta, X, y, sizes=NETWORK):
    """The share of samples on the right side of the 0.5 boundary."""
    return float(np.mean((network_output(theta, X, sizes) > 0.5) == (np.asarray(y) == 1.0)))


def network_costs(thetas, X, y, sizes=NETWORK):
    """The mean cross-entropy at each row of thetas (n, parameters)."""
    thetas = surfaces.kernel_array(np.asarray(thetas, dtype=np.float64).reshape(-1, np.shape(thetas)[-1]))
    out = np.empty(len(thetas))
    K.network_costs(_sizes(sizes), thetas, surfaces.kernel_array(X), surfaces.kernel_array(y), out)
    return out


def filter_normalized_direction(theta, sizes=NETWORK, seed=0):
    """A random direction scaled filter by filter to the weights' own size (Li et al., NeurIPS 2018):
    each neuron's incoming weights get a Gaussian direction of the same norm; biases do not move."""
    sizes = _sizes(sizes)
    rng = np.random.default_rng([seed, 7])
    direction = np.zeros(len(theta))
    at = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        for o in range(n_out):
            row = slice(at + o * n_in, at + (o + 1) * n_in)
            d = rng.standard_normal(n_in)
            direction[row] = d / np.linalg.norm(d) * np.linalg.norm(theta[row])
        at += n_out * n_in + n_out
    return direction
