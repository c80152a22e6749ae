"""Lesson 5: Adam — both moments, bias correction and the cold start, the step ledger."""

import numpy as np
import streamlit as st

import figures
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "adam_"
SURFACES = ("rosenbrock", "elongated_bowl", "bowl", "formula")
SECOND_MOMENTS = (0.9, 0.99, 0.999, 0.9999)
COLD = 20

@common.section
def ledger(path, steps, correct):
    """One update of the Adam run in numbers."""
    step = controls.slider(P + "ledger", t("adam.ledger_step"), 1, steps, 1, 1)
    k = step - 1
    rows = {"gₜ": path.grads[k], "mₜ": path.state["m"][k], "vₜ": path.state["v"][k]}
    if correct:  # the corrected moments exist only when the step uses them
        rows.update({"m̂ₜ": path.state["m_hat"][k], "v̂ₜ": path.state["v_hat"][k]})
    common.ledger({**rows, "Δθₜ": path.deltas[k]})


with st.sidebar:
    surface_name = controls.select(P + "surface", t("adam.surface"), SURFACES, "rosenbrock",
                                   format_func=lambda s: t(f"surface.{s}"))
    surface_params = common.formula_controls(P + "formula") if surface_name == "formula" else ()
    beta1 = controls.slider(P + "beta1", t("adam.beta1"), 0.0, 0.99, 0.9, 0.01)
    beta2 = controls.select_slider(P + "beta2", t("adam.beta2"), SECOND_MOMENTS, 0.999, format_func=common.plain)
    eps = controls.select_slider(P + "eps", t("adam.eps"), common.EPSILONS, 1e-8, format_func=common.plain)
    correct = controls.toggle(P + "correct", t("adam.correct"), True)
    lr = controls.select_slider(P + "lr", t("adam.lr"), common.LEARNING_RATES, 0.2, format_func=common.plain)
    rmsprop_lr = controls.select_slider(P + "rmsprop_lr", t("adam.rmsprop_lr"), common.LEARNING_RATES, 0.01,
                                        format_func=common.plain)
    momentum_lr = controls.select_slider(P + "momentum_lr", t("adam.momentum_lr"), common.LEARNING_RATES, 0.01,
                                         format_func=common.plain)
    steps = controls.slider(P + "steps", t("adam.steps"), 20, 1000, 500, 10)

adam_hyper = (("beta1", beta1), ("beta2", beta2), ("bias_correction", correct), ("eps", eps))
runs = (Run("momentum", momentum_lr, steps, hyper=(("beta", beta1),), label=t("adam.momentum")),
        Run("rmsprop", rmsprop_lr, steps, hyper=(("beta", 0.9), ("eps", eps)), label=t("adam.rmsprop")),
        Run("adam", lr, steps, hyper=adam_hyper, label=t("adam.adam")))
paths = common.simulate(surface_name, surface_params, runs)
style = common.style()

common.header("adam", common.heading(t("adam.race_title")))
common.chart(common.race_figure(surface_name, surface_params, runs, style, common.labels_key()), "adam_race")
common.report_divergence(runs, paths)
common.prose(common.equation(common.surface(surface_name, surface_params).formula) if surface_name == "formula" else "",
             common.equation(common.rule_latex("adam", dict(adam_hyper), lr)),
             common.heading(t("adam.cold_title")), t("adam.cold_intro"))
cold = tuple(Run("adam", lr, COLD, hyper=(("beta1", beta1), ("beta2", beta2), ("bias_correction", flag),
                                         ("eps", eps))) for flag in (True, False))
with_correction, without = common.simulate(surface_name, surface_params, cold)
lengths = [np.hypot(*path.deltas.T) for path in (with_correction, without)]
left, right = st.columns([3, 2])
with left:
    steps_axis = np.arange(1, COLD + 1)
    common.chart(figures.curve_figure(
        [figures.Curve(t("adam.corrected"), figures.color("adam"), lengths[0], x=steps_axis),
         figures.Curve(t("adam.uncorrected"), "#D55E00", lengths[1], dash="dash", x=steps_axis)],
        style=style, x_title=t("common.step"), y_title=t("adam.step_length"), mode="lines+markers"), "adam_cold")
with right:
    measured = lengths[1][0] / lengths[0][0]
    st.metric(t("adam.ratio"), f"{measured:.3f}")
    common.prose(common.equation(
        rf"\frac{{1-\beta_1}}{{\sqrt{{1-\beta_2}}}} = \frac{{{1 - beta1:.3g}}}{{\sqrt{{{1 - beta2:.3g}}}}}"
        rf" = {(1 - beta1) / np.sqrt(1 - beta2):.3f}"))
theory = (1 - beta1) / np.sqrt(1 - beta2)
common.prose(t("adam.cold_explain", ratio=theory, bigger=t("adam.larger") if theory > 1 else t("adam.smaller")),
             t("adam.fading", beta2=f"{beta2:g}", c50=f"{1 - beta2 ** 50:.3g}", n=f"{1 / (1 - beta2):.4g}",
               c_n=f"{1 - beta2 ** round(1 / (1 - beta2)):.3g}"),
             common.heading(t("adam.ledger_title")))
adam_path = paths[2]
# t counts updates from 1, as the notes and the cold-start chart do: update t uses the gradient at θ₍ₜ₋₁₎
ledger(adam_path, steps, correct)

rates = adam_path.effective_lr()
spread = rates[:, 0] / rates[:, 1]
common.prose(common.heading(t("adam.rates_title")),
             t("adam.rates_intro", lr=common.plain(lr), low=common.number(spread.min(), 3),
               high=common.number(spread.max(), 3)))
curves = figures.coordinate_curves(t("adam.adam"), figures.color("adam"), rates,
                                   (t("common.coordinate_x"), t("common.coordinate_y")))
curves.append(figures.Curve(t("adam.global_rate", lr=common.plain(lr)), "#7f7f7f", np.full(steps, lr), dash="dash"))
common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"), y_title=t("adaptive.effective"),
                                  log_y=True), "adam_rates")

common.prose(common.heading(t("adam.moments_title")),
             common.table_markdown({t("adam.moment"): [t("adam.first"), t("adam.second")],
                                    t("adam.tracks"): [t("adam.first_tracks"), t("adam.second_tracks")],
                                    t("adam.decides"): [t("adam.first_decides"), t("adam.second_decides")]}))
with st.container(border=True):
    common.titled(t("adam.name_title"), t("adam.name"))
common.what_to_notice("adam", long=f"{(1 - beta1) / np.sqrt(1 - 0.999):.3g}",
                      short=f"{(1 - beta1) / np.sqrt(1 - 0.9):.3g}", beta1=f"{beta1:g}")
