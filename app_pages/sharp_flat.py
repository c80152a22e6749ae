"""Lesson 8: sharp versus flat minima — where hundreds of noisy runs end against batch size and α,
how sharp each minimum is, and the gap a shifted test loss opens at the sharp one."""

import math

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces
from app_pages import common, controls
from app_pages.i18n import t

P = "sf_"
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RATES = (0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3)
RATE_SWEEP = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)
BOX_EPSILONS = (1e-3, 5e-3, 1e-2, 5e-2, 1e-1)
MEMBERS = 240
START_RADIUS = 0.3  # every run starts in a disc this wide around the sharp minimum
SETTLE_STEPS = 50
SHIFT_ANGLE = math.radians(45.0)
SMALL_COLOUR, LARGE_COLOUR = "#009E73", "#D55E00"
TRAIN_COLOUR, TEST_COLOUR = "#0072B2", "#CC79A7"


def starts(centre):
    """MEMBERS seeded start points spread evenly over the start disc."""
    rng = np.random.default_rng(2017)
    angle = rng.uniform(0.0, 2.0 * math.pi, MEMBERS)
    radius = START_RADIUS * np.sqrt(rng.uniform(0.0, 1.0, MEMBERS))
    return np.stack([centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)], axis=1)


def noise_for(sigma1, batch):
    """The mini-batch noise model: the mean of B per-sample noises has σ₁/√B (lesson 2's 1/B law)."""
    return sigma1 / math.sqrt(batch)


def ensemble(widths, batch, lr, sigma1, steps):
    """MEMBERS noisy GD runs from the start disc: every run's points (members, steps+1, 2) and
    whether it ended in the flat basin.

    A run ends in the sharp basin when its last point lies in the sharp well: SETTLE_STEPS of plain
    gradient descent from there, at α = 1/λ_max of the sharp minimum (stable in either basin), bring
    it within w_s of that minimum. Everything else (the surface has two minima) is the flat basin's.
    """
    where = common.surface("sharp_flat", widths)
    sharp = where.minima[0]
    paths = optimizers.run_ensemble(where, "gd", starts=starts(sharp), steps=steps, lr=lr,
                                    noise=noise_for(sigma1, batch), seed=1)
    ends = paths[:, -1]
    finite = np.isfinite(ends).all(axis=1)
    settle_lr = 1.0 / surfaces.curvature(where, *sharp).eigenvalues[-1]
    settled = optimizers.run_ensemble(where, "gd", starts=np.where(finite[:, None], ends, 0.0),
                                      steps=SETTLE_STEPS, lr=settle_lr)[:, -1]
    in_sharp = np.hypot(*(settled - sharp).T) < dict(widths)["sharp_width"]
    return paths, finite & ~in_sharp


def basin_share(widths, batch, lr, sigma1, steps):
    """(share of the runs ending in the flat basin, their mean distance from start to end)."""
    paths, flat = ensemble(widths, batch, lr, sigma1, steps)
    return float(np.mean(flat)), float(np.nanmean(np.hypot(*(paths[:, -1] - paths[:, 0]).T)))


@common.cached(max_entries=256)
def batch_sweep(widths, lr, sigma1, steps):
    """basin_share for every batch size of BATCHES: one cached call, not nine (each costs a hash)."""
    return np.array([basin_share(widths, batch, lr, sigma1, steps) for batch in BATCHES])


@common.cached(max_entries=256)
def rate_sweep(widths, batch, sigma1, steps):
    """The flat basin's share for every α of RATE_SWEEP."""
    return np.array([basin_share(widths, batch, rate, sigma1, steps)[0] for rate in RATE_SWEEP])


@common.cached(max_entries=32)
def cloud(widths, batch, lr, sigma1, steps, shown):
    """Every run's position at the steps `shown` (float32, for the animation)."""
    paths, _ = ensemble(widths, batch, lr, sigma1, steps)
    return paths[:, list(shown)].astype(np.float32)


def test_loss(where, points, shift):
    """The shifted "test" loss f(θ − δ): the same landscape moved by δ, as test data moves it."""
    points = np.asarray(points, dtype=np.float64)
    offset = shift * np.array([math.cos(SHIFT_ANGLE), math.sin(SHIFT_ANGLE)])
    return where.f(points[..., 0] - offset[0], points[..., 1] - offset[1])


@common.cached("resource", max_entries=32, hash_funcs={figures.Style: repr})
def cloud_figure(widths, batches, lr, sigma1, steps, shown, style, labels, legends):
    """The clouds of `batches` (with their legends and colours) at the steps `shown` on one map:
    0.3 MB of chart, built once per setting and language."""
    clouds = [(legend, colour, cloud(widths, b, lr, sigma1, steps, shown))
              for (b, colour), legend in zip(batches, legends)]
    return figures.ensemble_figure(common.surface("sharp_flat", widths), clouds, shown, style=style,
                                   labels=dict(labels), backdrop=common.backdrop("sharp_flat", widths))


@common.cached(max_entries=256)
def sharpness(widths, box, shift):
    """Per minimum (sharp, flat): λ_max, Keskar's ε-sharpness, train loss, shifted test loss."""
    where = common.surface("sharp_flat", widths)
    floor = min(float(where.f(*m)) for m in where.minima)
    return np.array([(surfaces.curvature(where, *m).eigenvalues[-1], surfaces.box_sharpness(where, m, box, floor),
                      float(where.f(*m)), float(test_loss(where, m, shift))) for m in where.minima])


with st.sidebar:
    sharp_width = controls.slider(P + "sharp", t("surface.sharp_width"), 0.1, 0.5, 0.25, 0.05)
    flat_width = controls.slider(P + "flat", t("surface.flat_width"), 0.5, 2.0, 1.0, 0.1)
    batch = controls.select_slider(P + "batch", t("sharp_flat.batch"), BATCHES, 8)
    lr = controls.select_slider(P + "lr", t("hyper.lr"), RATES, 0.1, format_func=common.plain)
    sigma1 = controls.slider(P + "sigma", t("sharp_flat.sigma1"), 1.0, 12.0, 6.0, 0.5,
                             help=t("sharp_flat.sigma1_help"))
    steps = controls.slider(P + "steps", t("common.steps"), 50, 600, 300, 50)
    shift = controls.slider(P + "shift", t("sharp_flat.shift"), 0.0, 0.5, 0.2, 0.05)
    box = controls.select_slider(P + "box", t("sharp_flat.box"), BOX_EPSILONS, 5e-2, format_func=common.plain)

widths = (("flat_width", flat_width), ("sharp_width", sharp_width))
where = common.surface("sharp_flat", widths)
style = common.style()
large = BATCHES[-1]
shown = tuple(int(step) for step in figures.snapshot_steps(steps))

# --- where the runs end -------------------------------------------------------------------------------
common.header("sharp_flat", common.heading(t("sharp_flat.cloud_title")))
flat_by_batch, travelled = batch_sweep(widths, lr, sigma1, steps).T
by_batch = dict(zip(BATCHES, flat_by_batch))
batches = ((batch, SMALL_COLOUR), (large, LARGE_COLOUR))[1 if batch == large else 0:]
legends = tuple(t("sharp_flat.cloud_batch", batch=b, flat=f"{by_batch[b]:.0%}") for b, _ in batches)
common.chart(cloud_figure(widths, batches, lr, sigma1, steps, shown, style, common.labels_key(), legends),
             "sf_cloud")
ends = cloud(widths, batches[0][0], lr, sigma1, steps, shown)[:, -1]
shown_fraction = np.mean(np.all(np.abs(ends) <= [[where.bounds[1], where.bounds[3]]], axis=1))
common.prose(t("sharp_flat.cloud_intro", members=MEMBERS, radius=f"{START_RADIUS:g}", steps=steps),
             common.small(t("sharp_flat.off_map", share=f"{1 - shown_fraction:.0%}")) if shown_fraction < 0.95 else "",
             # --- the two minima: sharpness, and the test loss that turns it into a gap ---
             common.heading(t("sharp_flat.minima_title")))
floor = min(float(where.f(*m)) for m in where.minima)
measures = sharpness(widths, box, shift)
minima = {t("sharp_flat.minimum"): [t("sharp_flat.sharp"), t("sharp_flat.flat")],
          "θ*": [f"({m[0]:.3f}, {m[1]:.3f})" for m in where.minima],
          t("sharp_flat.lambda_max"): measures[:, 0],
          t("sharp_flat.box_sharpness", eps=f"{box:g}"): measures[:, 1],
          t("sharp_flat.train_loss"): measures[:, 2], t("sharp_flat.test_loss"): measures[:, 3],
          t("sharp_flat.gap"): measures[:, 3] - measures[:, 2]}
left, right = st.columns([3, 2])
with left:
    sharp, flat = (np.asarray(m) for m in where.minima)
    s = np.linspace(-0.35, 1.35, 341)
    line = sharp[None, :] + s[:, None] * (flat - sharp)[None, :]
    curves = [figures.Curve(t("sharp_flat.train"), TRAIN_COLOUR, where.f(line[:, 0], line[:, 1]), x=s),
              figures.Curve(t("sharp_flat.test", shift=f"{shift:g}"), TEST_COLOUR, test_loss(where, line, shift),
                            dash="dash", x=s)]
    common.chart(figures.curve_figure(curves, style=style, x_title=t("sharp_flat.along"),
                                      y_title=t("common.loss")), "sf_slice")
with right:
    st.markdown(t("sharp_flat.sharpness_defs", floor=f"{floor:.4f}"))
common.prose(common.table_markdown(minima),
             common.equation(r"\phi_\varepsilon = 100\cdot\frac{\max_{|z_i| \le \varepsilon(|\theta^*_i|+1)} "
                             r"L(\theta^* + z) - L(\theta^*)}{1 + L(\theta^*)},\qquad L = f - f_{\min}"),
             # --- against batch size and learning rate ---
             common.heading(t("sharp_flat.sweep_title")),
             t("sharp_flat.sweep_intro", sigma1=f"{sigma1:g}", lr=f"{lr:g}"))
by_rate = {b: rate_sweep(widths, b, sigma1, steps) for b in (batch, large)}
gap_sharp, gap_flat = minima[t("sharp_flat.gap")]
gaps = flat_by_batch * gap_flat + (1.0 - flat_by_batch) * gap_sharp  # the gap of the minimum each run drains into
sizes = np.array(BATCHES, dtype=float)
left, right = st.columns(2)
with left:
    common.chart(figures.curve_figure([figures.Curve(t("sharp_flat.flat_share"), SMALL_COLOUR, flat_by_batch,
                                                     x=sizes)],
                                      style=style, x_title=t("sharp_flat.batch_axis"),
                                      y_title=t("sharp_flat.flat_share"), log_x=True, mode="lines+markers",
                                      x_ticks=BATCHES), "sf_by_batch")
with right:
    common.chart(figures.curve_figure([figures.Curve(t("sharp_flat.travelled"), "#000000", travelled, x=sizes)],
                                      style=style, x_title=t("sharp_flat.batch_axis"),
                                      y_title=t("sharp_flat.travelled"), log_x=True, mode="lines+markers",
                                      x_ticks=BATCHES), "sf_travelled")
edge = 2.0 / minima[t("sharp_flat.lambda_max")][0]
left, right = st.columns(2)
with left:
    marks = [{"type": "line", "xref": "x", "yref": "paper", "x0": edge, "x1": edge, "y0": 0, "y1": 1,
              "line": {"color": "#888", "width": 2, "dash": "dash"}}]
    curves = [figures.Curve(t("sharp_flat.flat_share_batch", batch=b), colour, by_rate[b],
                            x=np.array(RATE_SWEEP))
              for b, colour in ((batch, SMALL_COLOUR), (large, LARGE_COLOUR)) if b == large or batch != large]
    common.chart(figures.curve_figure(curves, style=style, x_title=t("hyper.lr"), y_title=t("sharp_flat.flat_share"),
                                      mode="lines+markers", shapes=marks), "sf_by_rate")
leave = next((f"{rate:g}" for rate, share in zip(RATE_SWEEP, by_rate[large]) if share >= 0.5), f"> {RATE_SWEEP[-1]:g}")
with right:
    st.markdown(t("sharp_flat.edge", edge=f"{edge:.3g}", batch=batch, large=large, leave=leave))
common.table({"B": BATCHES, "σ₁/√B": [f"{noise_for(sigma1, b):.3g}" for b in BATCHES],
              t("sharp_flat.flat_share"): [f"{f:.0%}" for f in flat_by_batch],
              t("sharp_flat.travelled"): travelled, t("sharp_flat.mean_gap"): gaps})

with st.expander(t("common.update_rule"), expanded=True):
    common.prose(common.equation(
        rf"\theta_{{t+1}} = \theta_t - {lr:g}\,\big(\nabla f(\theta_t) + \xi_t\big),\qquad "
        rf"\xi_t \sim \mathcal N\!\Big(0,\ \big(\tfrac{{{sigma1:g}}}{{\sqrt{{{batch}}}}}\big)^2 I\Big)"
        rf" = \mathcal N\big(0,\ {noise_for(sigma1, batch):.3g}^2 I\big)"), common.equation(where.formula))

common.what_to_notice("sharp_flat", small=f"{flat_by_batch[0]:.0%}", large=f"{flat_by_batch[-1]:.0%}",
                      batch_small=BATCHES[0], batch_large=BATCHES[-1],
                      near=f"{travelled[-1]:.2f}", far=f"{travelled[0]:.2f}",
                      gap_sharp=f"{gap_sharp:.3f}", gap_flat=f"{gap_flat:.3f}", shift=f"{shift:g}",
                      edge=f"{edge:.3g}", leave=leave)
