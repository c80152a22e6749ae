"""Lesson 3: momentum — GD against the three conventions of momentum in a narrow valley."""

import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "mo_"
RATES = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.038, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2)


def stable_below(condition, beta):
    """The largest stable α on the bowl (λ_max = κ): GD 2/κ, heavy ball 2(1+β)/κ, Nesterov 2(1+β)/((1+2β)κ)."""
    return {"gd": 2.0 / condition, "heavy": 2.0 * (1.0 + beta) / condition,
            "nesterov": 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * condition)}


@common.section
def inspector(where, path, line, surface_params, steps, style):
    """One step of the EMA run in numbers (a student scrubs through the steps; nothing else on the
    page depends on them)."""
    step = controls.slider(P + "inspect", t("momentum.inspect"), 0, steps - 1, 5, 1)
    left, right = st.columns([3, 2])
    with left:
        common.chart(figures.inspector_figure(where, path, step, color=line.color, label=line.label, style=style,
                                              labels=common.map_labels(),
                                              backdrop=common.backdrop("elongated_bowl", surface_params)), "mo_inspect")
    with right:
        common.ledger({"θₜ": path.points[step], "gₜ": path.grads[step], "vₜ": path.state["v"][step],
                       "Δθₜ": path.deltas[step]})


with st.sidebar:
    condition = controls.slider(P + "condition", t("momentum.condition"), 1.0, 100.0, 50.0, 1.0)
    angle = controls.slider(P + "angle", t("momentum.angle"), -90.0, 90.0, 0.0, 5.0)
    lr = controls.select_slider(P + "lr", t("momentum.lr"), RATES, 0.038, format_func=common.plain)
    beta = controls.slider(P + "beta", t("momentum.beta"), 0.5, 0.99, 0.9, 0.01)
    equal = controls.toggle(P + "equal", t("momentum.equal"), True, help=t("momentum.equal_help"))
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

common.header("momentum", common.heading(t("momentum.race_title")))
common.chart(common.race_figure("elongated_bowl", surface_params, runs, style, common.labels_key()), "mo_race")
common.report_divergence(runs, paths)
reached = [optimizers.first_within(path.points, where.minima, 0.01) for path in paths]
valleys = [common.valley_coordinates(path.deltas, angle) for path in paths]
turned = [common.turns(valley[:, 1]) for valley in valleys]
common.prose(common.reached_table([run.label for run in runs], {t("momentum.reached"): reached}, steps,
                                  {t("momentum.turns", steps=steps): turned}))
with st.container(border=True):
    common.titled(t("momentum.why_title"), t("momentum.why", gain=1.0 / (1.0 - beta)))

common.prose(common.heading(t("momentum.steps_title")))
across, along = [], []
for line, valley in zip(common.path_lines(runs, paths)[:3], valleys[:3]):
    along.append(figures.Curve(line.label, line.color, valley[:, 0], line.dash))
    across.append(figures.Curve(line.label, line.color, valley[:, 1], line.dash))
left, right = st.columns(2)
with left:
    common.chart(figures.curve_figure(across, style=style, x_title=t("common.step"), y_title=t("momentum.across"),
                                      mode="lines+markers"), "mo_across")
with right:
    common.chart(figures.curve_figure(along, style=style, x_title=t("common.step"), y_title=t("momentum.along"),
                                      mode="lines+markers"), "mo_along")

common.prose(common.heading(t("momentum.inspector_title")))
inspector(where, paths[1], common.path_lines(runs, paths)[1], surface_params, steps, style)

common.update_rules(runs[1:])
edges = stable_below(condition, beta)
common.what_to_notice("momentum", keys=("momentum.notice_1",
                                        "momentum.notice_2_on" if equal else "momentum.notice_2_off", "momentum.notice_3"),
                      steps=steps, gd_turns=turned[0], mo_turns=turned[1],
                      gd_reached=reached[0] if reached[0] is not None else "—",
                      mo_reached=reached[1] if reached[1] is not None else "—",
                      lr=f"{lr:g}", heavy_lr=f"{heavy_lr:g}", gain=f"{1.0 / (1.0 - beta):.3g}",
                      nesterov_edge=f"{edges['nesterov']:.3g}", gd_edge=f"{edges['gd']:.3g}",
                      heavy_edge=f"{edges['heavy']:.3g}")
