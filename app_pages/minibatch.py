"""Lesson 2: mini-batch gradient descent — batch GD, mini-batches and SGD on a real finite sum."""

import math

import numpy as np
import streamlit as st

import figures
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "mb_"
RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
DRAWS = 300
MINI, SGD, BATCH = "#0072B2", "#D55E00", "#000000"


def batch_sizes(m):
    return sorted({2**k for k in range(int(math.log2(m)) + 1)} | {m})


@common.cached(max_entries=64)
def gradient_noise(surface_params, w, b, batch, seed):
    """At (w, b): DRAWS mini-batch gradients of size `batch`, the per-sample covariance, and the
    measured total variance of mini-batch gradients for every batch size below m."""
    where = common.surface("regression", surface_params)
    m = where.n_samples
    cloud = where.minibatch_gradients(w, b, batch, DRAWS, seed=seed)
    spread = np.cov(where.sample_gradients(w, b).T, bias=True)
    sizes = np.array(batch_sizes(m), dtype=float)
    measured = np.array([np.trace(np.cov(where.minibatch_gradients(w, b, int(size), DRAWS, seed=seed + k).T))
                         if size < m else np.nan for k, size in enumerate(sizes)])
    return cloud, spread, sizes, measured


@common.section
def gradient_noise_section(where, mini_path, surface_params, m, batch, seed, style):
    """The noise of one step's mini-batch gradient; its step slider reruns this section alone."""
    step = controls.slider(P + "inspect", t("minibatch.inspect"), 0, len(mini_path.lr) - 1, 0, 1)
    w, b = mini_path.points[step]
    st.markdown(t("minibatch.noise_intro", draws=DRAWS))
    cloud, spread, sizes, measured = gradient_noise(surface_params, float(w), float(b), batch, seed)
    exact = spread / batch * (m - batch) / max(m - 1, 1)
    full = np.array(where.grad(w, b))
    left, right = st.columns(2)
    with left:
        groups = [(t("minibatch.draws"), MINI, cloud, 6, "circle"),
                  (t("minibatch.mean"), "#E69F00", cloud.mean(axis=0), 18, "circle-open"),
                  (t("minibatch.true"), BATCH, full, 20, "star")]
        ellipses = [(MINI, cloud.mean(axis=0), np.cov(cloud.T), 2.0, "solid"), ("#7f7f7f", full, exact, 2.0, "dash")]
        # one scale for every B: ±3.5 standard deviations of a single sample's gradient (B = 1), so that
        # the cloud visibly shrinks as B grows
        reach = 3.5 * np.sqrt(np.maximum(np.diag(spread), 1e-300))
        ranges = [(centre - r, centre + r) for centre, r in zip(full, reach)]
        common.chart(figures.scatter_figure(groups, style=style, x_title=t("minibatch.gw"), y_title=t("minibatch.gb"),
                                            ellipses=ellipses, ranges=ranges), "mb_cloud")
    with right:
        total = np.trace(spread)
        curves = [figures.Curve(t("minibatch.measured", draws=DRAWS), MINI, measured, x=sizes),
                  figures.Curve(t("minibatch.law"), "#7f7f7f", total / sizes, dash="dot", x=sizes),
                  figures.Curve(t("minibatch.exact"), BATCH, total / sizes * (m - sizes) / max(m - 1, 1), dash="dash",
                                x=sizes)]
        common.chart(figures.curve_figure(curves, style=style, x_title="B", y_title=t("minibatch.variance"),
                                          log_y=True, log_x=True, mode="lines+markers"), "mb_variance")
    common.prose(t("minibatch.variance_intro"), common.equation(
        rf"\operatorname{{Var}}[\hat g] = \frac{{\sigma^2}}{{B}}\cdot\frac{{m-B}}{{m-1}}"
        rf" = \frac{{{total:.4g}}}{{{batch}}}\cdot\frac{{{m}-{batch}}}{{{m}-1}} = {np.trace(exact):.4g}"))


with st.sidebar:
    m = controls.slider(P + "samples", t("minibatch.samples"), 16, 1024, 256, 16)
    batch = controls.select_slider(P + "batch", t("minibatch.batch"), batch_sizes(m), 32 if m >= 32 else m,
                                   help=t("minibatch.batch_help"))
    epochs = controls.slider(P + "epochs", t("minibatch.epochs"), 1, 20, 4, 1)
    lr = controls.select_slider(P + "lr", t("minibatch.lr"), RATES, 0.1, format_func=common.plain)
    shuffle = controls.toggle(P + "shuffle", t("minibatch.shuffle"), True)
    grouped = controls.toggle(P + "sorted", t("minibatch.sorted"), False, help=t("minibatch.sorted_help"))
    seed = controls.number(P + "seed", t("common.seed"), 0, 9999, 0, 1)

surface_params = (("n_samples", m), ("seed", seed), ("sorted_by", "x" if grouped else None))
per_epoch = math.ceil(m / batch)
runs = (Run("gd", lr, epochs, batch_size=m, shuffle=shuffle, seed=seed, label=t("minibatch.batch_gd", m=m),
            color=BATCH),
        Run("gd", lr, epochs * per_epoch, batch_size=batch, shuffle=shuffle, seed=seed,
            label=t("minibatch.mini", b=batch), color=MINI),
        Run("gd", lr, epochs * m, batch_size=1, shuffle=shuffle, seed=seed, label=t("minibatch.sgd"), color=SGD))
paths = common.simulate("regression", surface_params, runs)
where = common.surface("regression", surface_params)
style = common.style()

common.header("minibatch", common.heading(t("minibatch.race_title")))
columns = st.columns(3)
columns[0].metric(t("minibatch.updates"), per_epoch)
columns[1].metric(t("minibatch.per_update"), batch)
columns[2].metric(t("minibatch.total", epochs=epochs), epochs * per_epoch)
labels = {**dict(common.labels_key("wb")), "step": t("minibatch.epoch")}
common.chart(common.race_figure("regression", surface_params, runs, style, tuple(sorted(labels.items())),
                                progress_total=epochs), "mb_race")
common.report_divergence(runs, paths)

mini_path = paths[1]
common.prose(common.heading(t("minibatch.cost_title")), t("minibatch.cost_intro", per_epoch=per_epoch))
common.chart(figures.curve_figure(
    [figures.Curve(t("minibatch.batch_cost"), MINI, mini_path.batch_loss),
     figures.Curve(t("minibatch.full_cost"), "#7f7f7f", mini_path.loss[:-1], dash="dash"),
     figures.Curve(t("minibatch.batch_gd_cost", m=m), BATCH, paths[0].loss, x=np.arange(epochs + 1) * per_epoch)],
    style=style, x_title=t("minibatch.update"), y_title=t("common.loss"), log_y=True), "mb_cost")
common.prose(common.equation(
    rf"\hat g = \frac{{1}}{{{batch}}}\sum_{{i\in\mathcal{{B}}_t}} \nabla_\theta\,(w x^{{(i)}} + b - y^{{(i)}})^2,"
    rf"\qquad \theta_t = \theta_{{t-1}} - {lr:g}\,\hat g"), common.heading(t("minibatch.noise_title")))
gradient_noise_section(where, mini_path, surface_params, m, batch, seed, style)
# --- notation, and choosing B ------------------------------------------------------------------------
left, right = st.columns(2)
with left, st.container(border=True):
    last = m - (per_epoch - 1) * batch
    common.titled(t("minibatch.notation_title"),
                  t("minibatch.notation", m=m, b=batch, n=per_epoch, last=last, big="5 000 000", size="1 000",
                    count=f"{5_000_000 // 1_000:,}".replace(",", " "), count_tex=5_000_000 // 1_000))
with right, st.container(border=True):
    power = batch & (batch - 1) == 0
    verdicts = [t("minibatch.small_set" if m < 2000 else "minibatch.large_set", m=m),
                t("minibatch.power" if power else "minibatch.not_power", b=batch),
                t("minibatch.in_range" if 64 <= batch <= 512 else "minibatch.out_of_range", b=batch)]
    common.titled(t("minibatch.choose_title"), t("minibatch.choose") + "\n\n" +
                  "\n".join(f"- {verdict}" for verdict in verdicts))
common.what_to_notice("minibatch", m=m)
