"""Lesson 3: momentum — GD against the three conventions of momentum in a narrow valley."""

import math

import numpy as np
import pandas as pd
import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "mo_"
RATES = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2)


def valley_coordinates(deltas, degrees):
    """Steps (Δx, Δy) turned into (along, across) the valley floor of the rotated bowl."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.stack([c * deltas[:, 0] + s * deltas[:, 1], -s * deltas[:, 0] + c * deltas[:, 1]], axis=1)


common.header("momentum")
with st.sidebar:
    condition = controls.slider(P + "condition", t("momentum.condition"), 1.0, 100.0, 50.0, 1.0)
    angle = controls.slider(P + "angle", t("momentum.angle"), -90.0, 90.0, 0.0, 5.0)
    lr = controls.select_slider(P + "lr", t("momentum.lr"), RATES, 0.025, format_func=lambda v: f"{v:g}")
    beta = controls.slider(P + "beta", t("momentum.beta"), 0.5, 0.99, 0.9, 0.01)
    equal = controls.toggle(P + "equal", t("momentum.equal"), False, help=t("momentum.equal_help"))
    steps = controls.slider(P + "steps", t("momentum.steps"), 10, 400, 200, 10)

surface_params = (("angle", angle), ("condition", condition))
heavy_lr = lr * (1.0 - beta) if equal else lr
runs = (Run("gd", lr, steps, label=t("momentum.gd")),
        Run("momentum", lr, steps, hyper=(("beta", beta),), label=t("momentum.ema")),
        Run("sgd_momentum", heavy_lr, steps, hyper=(("momentum", beta),), label=t("momentum.heavy")),
        Run("sgd_momentum", heavy_lr, steps, hyper=(("momentum", beta), ("nesterov", True)),
            label=t("momentum.nesterov")))
paths = common.simulate("elongated_bowl", surface_params, runs)
where = common.surface("elongated_bowl", surface_params)
style = common.style()

st.subheader(t("momentum.race_title"))
common.chart(common.race_figure("elongated_bowl", surface_params, runs, style, common.labels_key()), "mo_race")
common.report_divergence([(run.label, path) for run, path in zip(runs, paths)])
reached = [optimizers.first_within(path.points, where.minima, 0.01) for path in paths]
st.dataframe(pd.DataFrame({t("playground.col_optimizer"): [run.label for run in runs],
                           t("momentum.reached"): [t("momentum.never", steps=steps) if r is None else str(r)
                                                   for r in reached]}), hide_index=True, width="stretch")
with st.container(border=True):
    st.markdown(f"**{t('momentum.why_title')}**")
    st.markdown(t("momentum.why", gain=1.0 / (1.0 - beta)))

st.subheader(t("momentum.steps_title"))
across, along = [], []
for line, path in zip(common.path_lines(runs, paths)[:3], paths[:3]):
    valley = valley_coordinates(path.deltas, angle)
    along.append(figures.Curve(line.label, line.color, valley[:, 0], line.dash))
    across.append(figures.Curve(line.label, line.color, valley[:, 1], line.dash))
left, right = st.columns(2)
with left:
    common.chart(figures.curve_figure(across, style=style, x_title=t("common.step"), y_title=t("momentum.across"),
                                      mode="lines+markers"), "mo_across")
with right:
    common.chart(figures.curve_figure(along, style=style, x_title=t("common.step"), y_title=t("momentum.along"),
                                      mode="lines+markers"), "mo_along")

st.subheader(t("momentum.inspector_title"))
step = controls.slider(P + "inspect", t("momentum.inspect"), 0, steps - 1, 5, 1)
ema_line = common.path_lines(runs, paths)[1]
left, right = st.columns([3, 2])
with left:
    common.chart(figures.inspector_figure(where, paths[1], step, color=ema_line.color, label=ema_line.label,
                                          style=style, labels=common.map_labels(),
                                          backdrop=common.backdrop("elongated_bowl", surface_params)), "mo_inspect")
with right:
    g, v, delta = paths[1].grads[step], paths[1].state["v"][step], paths[1].deltas[step]
    st.dataframe(pd.DataFrame({t("playground.quantity"): ["θₜ", "gₜ", "vₜ", "Δθₜ"],
                               "θ₁": [paths[1].points[step, 0], g[0], v[0], delta[0]],
                               "θ₂": [paths[1].points[step, 1], g[1], v[1], delta[1]]}),
                 hide_index=True, width="stretch")

with st.expander(t("common.update_rule"), expanded=True):
    for run in runs[1:]:
        st.markdown(f"**{run.label}**")
        common.show_rule(run.optimizer, dict(run.hyper), run.lr)
common.what_to_notice("momentum")
