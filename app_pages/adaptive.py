"""Lesson 4: RMSprop and AdaGrad — a learning rate per coordinate, and where that stops helping."""

import pandas as pd
import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "rms_"
EPSILONS = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)


def ravine_runs(condition, rms_lr, ada_lr, beta, eps, steps):
    return (Run("gd", 2.0 / (1.0 + condition), steps, label=t("adaptive.gd")),
            Run("rmsprop", rms_lr, steps, hyper=(("beta", beta), ("eps", eps)), label=t("adaptive.rmsprop")),
            Run("adagrad", ada_lr, steps, hyper=(("eps", eps),), label=t("adaptive.adagrad")))


def reached(where, path, steps, words=False):
    step = optimizers.first_within(path.points, where.minima, 0.01)
    if step is None:
        return t("adaptive.never", steps=steps)
    return t("adaptive.n_steps", n=step) if words else str(step)


common.header("adaptive")
with st.sidebar:
    condition = controls.slider(P + "condition", t("adaptive.condition"), 1.0, 200.0, 50.0, 1.0)
    angle = controls.slider(P + "angle", t("adaptive.angle"), 0.0, 90.0, 45.0, 5.0)
    rms_lr = controls.select_slider(P + "lr", t("adaptive.rms_lr"), common.LEARNING_RATES, 0.05,
                                    format_func=lambda v: f"{v:g}")
    ada_lr = controls.select_slider(P + "ada_lr", t("adaptive.ada_lr"), common.LEARNING_RATES, 0.5,
                                    format_func=lambda v: f"{v:g}")
    beta = controls.slider(P + "beta", t("adaptive.beta"), 0.5, 0.999, 0.9, 0.001, fmt="%.3f")
    eps = controls.select_slider(P + "eps", t("adaptive.eps"), EPSILONS, 1e-8, format_func=lambda v: f"{v:g}")
    steps = controls.slider(P + "steps", t("adaptive.steps"), 10, 500, 150, 10)

runs = ravine_runs(condition, rms_lr, ada_lr, beta, eps, steps)
ravines = {"aligned": (("angle", 0.0), ("condition", condition)),
           "rotated": (("angle", angle), ("condition", condition))}
style = common.style()
results = {name: common.simulate("elongated_bowl", params, runs) for name, params in ravines.items()}
titles = {"aligned": t("adaptive.aligned"), "rotated": t("adaptive.rotated", angle=f"{angle:g}")}
common.chart([common.race_figure("elongated_bowl", params, runs, style, common.labels_key(), title=titles[name])
              for name, params in ravines.items()], "rms_ravines")  # one Play drives both maps
for name in ravines:
    common.report_divergence([(f"{run.label} ({titles[name]})", path) for run, path in zip(runs, results[name])])

where = {name: common.surface("elongated_bowl", params) for name, params in ravines.items()}
table = pd.DataFrame({t("playground.col_optimizer"): [run.label for run in runs],
                      t("adaptive.aligned"): [reached(where["aligned"], p, steps) for p in results["aligned"]],
                      t("adaptive.rotated", angle=f"{angle:g}"): [reached(where["rotated"], p, steps)
                                                                  for p in results["rotated"]]})
st.markdown(f"**{t('adaptive.reached')}**")
st.dataframe(table, hide_index=True, width="stretch")
with st.container(border=True):
    st.markdown(f"**{t('adaptive.limit_title')}**")
    st.markdown(t("adaptive.limit", angle=f"{angle:g}",
                  aligned=reached(where["aligned"], results["aligned"][1], steps, words=True),
                  rotated=reached(where["rotated"], results["rotated"][1], steps, words=True)))

st.subheader(t("adaptive.rates_title"))
st.markdown(t("adaptive.rates_intro"))
curves = []
for run, path in zip(runs[1:], results["aligned"][1:]):
    curves += figures.coordinate_curves(run.label, figures.color(run.optimizer), path.effective_lr(),
                                        (t("common.coordinate_x"), t("common.coordinate_y")))
common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"), y_title=t("adaptive.effective"),
                                  log_y=True), "rms_rates")
with st.expander(t("common.update_rule"), expanded=True):
    for run in runs[1:]:
        st.markdown(f"**{run.label}**")
        common.show_rule(run.optimizer, dict(run.hyper), run.lr)
common.what_to_notice("adaptive")
