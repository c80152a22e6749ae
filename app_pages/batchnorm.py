"""Lesson 10: batch normalisation — a batch-normalised neuron whose loss depends on its weights'
direction only (so a large α trains), the noise of the batch statistics against B, the running
averages kept for inference (lesson 1's EMA) and the train/inference mismatch at small B, with layer
and group normalisation beside it."""

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "bn_"
RATES = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
LENGTHS = (0.5, 1.0, 2.0, 3.0)  # the start: the same direction, this many times the default length
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
MOMENTA = (0.01, 0.05, 0.1, 0.2, 0.5)
DRAWS = 4000  # mini-batches drawn per batch size to measure the statistics' spread
# A layer of four neurons on the neuron's two inputs: neuron 1 is the maps' neuron at its start.
LAYER = np.array([common.surface("bn_neuron").start, [1.0, 0.5], [0.3, -1.2], [0.8, 0.8]])
BIAS = np.array([0.5, -1.0, 2.0, 0.0])
PLAIN_COLOUR, BN_COLOUR, LN_COLOUR, GN_COLOUR = "#D55E00", "#0072B2", "#009E73", "#CC79A7"
MEAN_COLOUR, VAR_COLOUR, TRUE_COLOUR = "#0072B2", "#E69F00", "#000000"


@common.cached(max_entries=1)
def pre_activations():
    """The layer's pre-activations z = Wx + b over the data set, (m, 4)."""
    X, _ = surfaces.neuron_samples()
    return X @ LAYER.T + BIAS


@common.cached(max_entries=1)
def spreads():
    """Over DRAWS shuffled mini-batches of each size B, the standard deviation of neuron 1's batch
    mean μ_B and biased batch variance σ²_B (what normalises), with their i.i.d. formulas."""
    z = pre_activations()[:, 0]
    sigma2 = z.var()
    mu4 = np.mean((z - z.mean()) ** 4)
    rows = []
    for b in BATCH_SIZES:
        _, _, means, variances = optimizers.running_statistics(z, b, DRAWS, seed=b)
        biased = variances[:, 0] * (b - 1) / b
        rows.append((b, means[:, 0].std(), biased.std(), np.sqrt(sigma2 / b),
                     np.sqrt((b - 1) ** 2 / b ** 3 * (mu4 - (b - 3) / (b - 1) * sigma2 ** 2))))
    return np.array(rows)


@common.cached(max_entries=16)
def running(batch_size, momentum, steps):
    """torch's running statistics of the layer over `steps` mini-batches of `batch_size`."""
    return optimizers.running_statistics(pre_activations(), batch_size, steps, momentum=momentum)


@common.cached(max_entries=1)
def train_outputs():
    """For each B, every sample's normalised output in train mode over one epoch of shuffled batches:
    batch norm (with its batch) and layer and group norm (each sample alone, in the same batches).
    Also the share of batch-norm outputs within 1 % of ±1."""
    z = pre_activations()
    outputs = {}
    for b in BATCH_SIZES:
        rows, normalised = optimizers.train_mode(z, b, -(-len(z) // b), seed=10_000 + b)
        bn = np.empty_like(z)
        bn[rows] = normalised
        outputs[b] = (bn, optimizers.layer_norm(z[rows])[np.argsort(rows)],
                      optimizers.group_norm(z[rows], 2)[np.argsort(rows)],
                      np.mean(np.abs(np.abs(normalised) - 1.0) <= 0.01))
    return outputs


@common.cached(max_entries=16)
def mismatch(momentum, steps):
    """For each B: the RMS difference between the outputs a sample gets in train mode and in
    inference mode (the running statistics after `steps` updates at that B), for batch norm, layer
    norm and group norm (2 groups); and the share of train-mode batch-norm outputs near ±1."""
    z = pre_activations()
    inference_ln, inference_gn = optimizers.layer_norm(z), optimizers.group_norm(z, 2)
    rows = []
    for b, (bn, ln, gn, near_one) in train_outputs().items():
        rm, rv, _, _ = optimizers.running_statistics(z, b, steps, momentum=momentum)
        gaps = [np.sqrt(np.mean((train - test) ** 2)) for train, test in (
            (bn, optimizers.batch_norm(z, rm[-1], rv[-1])), (ln, inference_ln), (gn, inference_gn))]
        rows.append((b, *gaps, near_one))
    return np.array(rows)


def start_of(length):
    return tuple(length * np.array(common.surface("bn_neuron").start))


with st.sidebar:
    lr = controls.select_slider(P + "lr", t("batchnorm.lr"), RATES, 1.0, format_func=common.plain)
    length = controls.select_slider(P + "length", t("batchnorm.length"), LENGTHS, 1.0,
                                    format_func=lambda v: f"{v:g}×", help=t("batchnorm.length_help"))
    steps = controls.slider(P + "steps", t("batchnorm.steps"), 10, 300, 60, 10)
    batch = controls.select_slider(P + "batch", t("batchnorm.batch"), BATCH_SIZES, 4, help=t("batchnorm.batch_help"))
    momentum = controls.select_slider(P + "momentum", t("batchnorm.momentum"), MOMENTA, optimizers.BN_MOMENTUM,
                                      format_func=common.plain, help=t("batchnorm.momentum_help"))
    train_steps = controls.slider(P + "train_steps", t("batchnorm.train_steps"), 50, 1000, 200, 50)

style = common.style()
start = start_of(length)
plain, normalised = common.surface("neuron"), common.surface("bn_neuron")
largest_stable = 2.0 / np.linalg.eigvalsh(plain.hessian(0.0, 0.0))[-1]

# --- the stage: the same α with and without batch norm ------------------------------------------------
common.header("batchnorm", common.heading(t("batchnorm.race_title", lr=common.plain(lr))))
labels = tuple(sorted({**common.map_labels(), "x": "w₁", "y": "w₂"}.items()))
races = {}
for name, colour in (("neuron", PLAIN_COLOUR), ("bn_neuron", BN_COLOUR)):
    run = (Run("gd", lr, steps, start=start, label=t(f"batchnorm.{name}_run", lr=common.plain(lr)), color=colour),)
    races[name] = (run, common.simulate(name, (), run)[0])
common.chart([common.race_figure(name, (), run, style, labels, title=t(f"batchnorm.{name}_title"))
              for name, (run, _) in races.items()], "bn_race")  # one Play drives both maps
for run, path in races.values():
    common.report_divergence(run, [path])
plain_path, bn_path = races["neuron"][1], races["bn_neuron"][1]
norms = np.hypot(*bn_path.points.T)
common.prose(t("batchnorm.race_intro", stable=common.number(largest_stable, 3)), common.table_markdown({
    t("batchnorm.col_neuron"): [t("batchnorm.neuron_title"), t("batchnorm.bn_neuron_title")],
    t("batchnorm.col_stable"): [common.number(largest_stable, 3), t("batchnorm.any")],
    t("batchnorm.col_loss_start"): [common.number(plain_path.loss[0], 4), common.number(bn_path.loss[0], 4)],
    t("batchnorm.col_loss_end", steps=steps): [
        t("batchnorm.diverged", step=plain_path.diverged_at) if plain_path.diverged_at is not None
        else common.number(plain_path.loss[-1], 6), common.number(bn_path.loss[-1], 6)],
    t("batchnorm.col_norm"): [common.number(np.hypot(*plain_path.points[-1]), 4), common.number(norms[-1], 4)],
}), common.small(t("batchnorm.lowest", low=common.number(plain.f(*plain.minima[0]), 6))),
    # --- why: the loss ignores the weights' length ---
    common.heading(t("batchnorm.scale_title")))
left, right = st.columns(2)
with left:
    invariance = {}
    for factor in (1.0, 2.0, 10.0):
        w = factor * np.array(start)
        g = np.array(normalised.grad(*w))
        invariance[f"{factor:g}·w₀"] = (common.number(normalised.f(*w), 10), common.number(np.hypot(*g), 4),
                                        common.number(float(w @ g), 2))
    common.prose(
        common.table_markdown({t("batchnorm.col_point"): list(invariance),
                               "J(w)": [v[0] for v in invariance.values()],
                               "‖∇J(w)‖": [v[1] for v in invariance.values()],
                               "w·∇J(w)": [v[2] for v in invariance.values()]}),
        common.equation(r"\begin{gathered}J(cw) = J(w),\quad \nabla J(cw) = \tfrac1c\nabla J(w),\quad "
                        r"w\cdot\nabla J(w) = 0 \\ \Rightarrow\ \lVert w_{t+1}\rVert^2 = \lVert w_t\rVert^2 + "
                        r"\alpha^2\lVert g_t\rVert^2\end{gathered}"),
        t("batchnorm.scale_intro"))
with right:
    length_runs = tuple(Run("gd", lr, steps, start=start_of(v), label=t("batchnorm.length_run", v=f"{v:g}"),
                            color=colour)
                        for v, colour in zip(LENGTHS, ("#56B4E9", BN_COLOUR, "#009E73", "#000000")))
    length_paths = common.simulate("bn_neuron", (), length_runs)
    common.chart(figures.curve_figure(
        [figures.Curve(run.label, run.color, lr / np.sum(path.points ** 2, axis=1),
                       dash="solid" if v == length else "dot")
         for v, run, path in zip(LENGTHS, length_runs, length_paths)],
        style=style, x_title=t("common.step"), y_title=t("batchnorm.effective"), log_y=True), "bn_effective")

# --- the batch statistics are noisy -------------------------------------------------------------------
common.prose(common.heading(t("batchnorm.noise_title")))
table = spreads()
sizes = table[:, 0]
common.chart(figures.curve_figure([
    figures.Curve(t("batchnorm.spread_mean"), MEAN_COLOUR, table[:, 1], x=sizes, mode="markers"),
    figures.Curve(t("batchnorm.formula_mean"), MEAN_COLOUR, table[:, 3], x=sizes, dash="dash"),
    figures.Curve(t("batchnorm.spread_var"), VAR_COLOUR, table[:, 2], x=sizes, mode="markers", symbol="diamond"),
    figures.Curve(t("batchnorm.formula_var"), VAR_COLOUR, table[:, 4], x=sizes, dash="dash"),
], style=style, x_title=t("batchnorm.batch_axis"), y_title=t("batchnorm.spread_axis"), log_x=True, log_y=True,
    x_ticks=BATCH_SIZES, mode="lines"), "bn_spread")
slope = np.polyfit(np.log(sizes), np.log(table[:, 1]), 1)[0]
common.prose(t("batchnorm.noise_intro", draws=DRAWS, slope=common.number(slope, 3)),
             # --- running averages for inference ---
             common.heading(t("batchnorm.running_title", batch=batch)))
running_mean, running_var, batch_means, batch_vars = running(batch, momentum, train_steps)
z = pre_activations()[:, 0]
step_numbers = np.arange(1, train_steps + 1)
everything = np.arange(train_steps + 1)
pictures = []
for symbol, running_values, batch_values, true_value, colour, key in (
        ("μ", running_mean, batch_means, z.mean(), MEAN_COLOUR, "mean"),
        ("σ²", running_var, batch_vars, z.var(ddof=1), VAR_COLOUR, "var")):
    pictures.append(figures.series_figure(
        [figures.Curve(t(f"batchnorm.running_{key}"), colour, running_values[:, 0], x=everything),
         figures.Curve(t(f"batchnorm.true_{key}"), TRUE_COLOUR, np.full(train_steps + 1, true_value), x=everything,
                       dash="dash")],
        backdrop_curves=[figures.Curve(t(f"batchnorm.batch_{key}", batch=batch), "#7f7f7f", batch_values[:, 0],
                                       x=step_numbers)],
        style=style, x_title=t("common.step"), y_title=t(f"batchnorm.{key}_axis"), height=int(style.height * 0.7)))
common.chart(pictures, "bn_running")  # one Play for both averages
beta = 1.0 - momentum
common.prose(
    common.equation(r"\mu_{\text{run}} \leftarrow " + f"{beta:g}" + r"\,\mu_{\text{run}} + " + f"{momentum:g}"
                    + r"\,\mu_B,\qquad \sigma^2_{\text{run}} \leftarrow " + f"{beta:g}" + r"\,\sigma^2_{\text{run}} + "
                    + f"{momentum:g}" + r"\,\frac{B}{B-1}\,\sigma^2_B"),
    t("batchnorm.running_intro", beta=common.plain(beta), momentum=common.plain(momentum),
      memory=common.number(1.0 / momentum, 3)))
st.page_link("app_pages/ema.py", label=t("batchnorm.to_ema"), icon="↩️")
common.prose(common.table_markdown({
    t("batchnorm.col_statistic"): ["μ", "σ²"],
    t("batchnorm.col_true"): [common.number(z.mean(), 5), common.number(z.var(ddof=1), 5)],
    t("batchnorm.col_running", steps=train_steps): [common.number(running_mean[-1, 0], 5),
                                                     common.number(running_var[-1, 0], 5)],
    t("batchnorm.col_last_batch"): [common.number(batch_means[-1, 0], 5), common.number(batch_vars[-1, 0], 5)],
}),
    # --- train mode against inference mode, and normalisations free of B ---
    common.heading(t("batchnorm.modes_title")))
gaps = mismatch(momentum, train_steps)
common.chart(figures.curve_figure([
    figures.Curve(t("batchnorm.gap_bn"), BN_COLOUR, gaps[:, 1], x=sizes),
    figures.Curve(t("batchnorm.gap_ln"), LN_COLOUR, gaps[:, 2], x=sizes),
    figures.Curve(t("batchnorm.gap_gn"), GN_COLOUR, gaps[:, 3], x=sizes, dash="dot"),
], style=style, x_title=t("batchnorm.batch_axis"), y_title=t("batchnorm.gap_axis"), log_x=True, x_ticks=BATCH_SIZES,
    mode="lines+markers"), "bn_modes")
here = BATCH_SIZES.index(batch)
common.prose(t("batchnorm.modes_intro", batch=batch, gap=common.number(gaps[here, 1], 3),
               big=common.number(gaps[-1, 1], 3), top=BATCH_SIZES[-1]), common.equation(
    r"\begin{gathered}\text{BN: } \hat z_{ij} = \frac{z_{ij} - \mu_{B,j}}{\sqrt{\sigma^2_{B,j} + \epsilon}}\ "
         r"\big(\mu_{B,j}, \sigma^2_{B,j} \text{ over the batch's samples } i\big) \\ "
         r"\text{LN: } \hat z_{ij} = \frac{z_{ij} - \mu_i}{\sqrt{\sigma^2_i + \epsilon}}\ "
         r"\big(\mu_i, \sigma^2_i \text{ over sample } i\text{'s features } j\big)\end{gathered}"))

common.what_to_notice(
    "batchnorm", keys=["batchnorm.notice_1" if plain_path.diverged_at is not None else "batchnorm.notice_1_stable",
                       "batchnorm.notice_2", "batchnorm.notice_3"],
    lr=common.plain(lr), stable=common.number(largest_stable, 3), step=plain_path.diverged_at,
    loss=common.number(bn_path.loss[-1], 4), n0=common.number(norms[0], 3), n1=common.number(norms[-1], 3),
    e0=common.number(lr / norms[0] ** 2, 3), e1=common.number(lr / norms[-1] ** 2, 3),
    small=common.number(table[1, 1], 3), large=common.number(table[-1, 1], 3),
    ratio=common.number(table[1, 1] / table[-1, 1], 3), pair=common.number(100 * gaps[0, 4], 3),
    gap2=common.number(gaps[0, 1], 3), gap_top=common.number(gaps[-1, 1], 3), top=BATCH_SIZES[-1])
