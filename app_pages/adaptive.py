"""Lesson 4: RMSprop and AdaGrad — a learning rate per coordinate, and where that stops helping."""

import numpy as np
import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "rms_"
TOLERANCE_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)  # the α table: GD's edge is 2/κ
SPARSE_EVERY = 20  # the rare feature of the AdaGrad box is present in one sample of 20


def ravine_runs(condition, rms_lr, ada_lr, beta, eps, steps):
    return (Run("gd", 2.0 / (1.0 + condition), steps, label=t("adaptive.gd")),
            Run("rmsprop", rms_lr, steps, hyper=(("beta", beta), ("eps", eps)), label=t("adaptive.rmsprop")),
            Run("adagrad", ada_lr, steps, hyper=(("eps", eps),), label=t("adaptive.adagrad")))


def in_words(step, steps):
    return t("common.never", steps=steps) if step is None else t("adaptive.n_steps", n=step)


common.header("adaptive")
with st.sidebar:
    condition = controls.slider(P + "condition", t("adaptive.condition"), 1.0, 200.0, 50.0, 1.0)
    angle = controls.slider(P + "angle", t("adaptive.angle"), 0.0, 90.0, 45.0, 5.0)
    rms_lr = controls.select_slider(P + "lr", t("adaptive.rms_lr"), common.LEARNING_RATES, 0.05,
                                    format_func=common.plain)
    ada_lr = controls.select_slider(P + "ada_lr", t("adaptive.ada_lr"), common.LEARNING_RATES, 0.5,
                                    format_func=common.plain)
    beta = controls.slider(P + "beta", t("adaptive.beta"), 0.5, 0.999, 0.9, 0.001, fmt="%.3f")
    eps = controls.select_slider(P + "eps", t("adaptive.eps"), common.EPSILONS, 1e-8, format_func=common.plain)
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
    common.report_divergence(runs, results[name], where=titles[name])

where = {name: common.surface("elongated_bowl", params) for name, params in ravines.items()}
distances = {name: [common.distance(path.points, where[name]) for path in results[name]] for name in ravines}
reached = {name: [optimizers.first_within(path.points, where[name].minima, 0.01) for path in results[name]]
           for name in ravines}
common.prose(f"**{t('adaptive.reached')}**", common.reached_table(
    [run.label for run in runs], {titles[name]: reached[name] for name in ravines}, steps,
    {t("adaptive.final", ravine=titles[name], steps=steps): [common.number(d[-1], 3) for d in distances[name]]
     for name in ravines}))
with st.container(border=True):
    common.titled(t("adaptive.limit_title"),
                  t("adaptive.limit", angle=f"{angle:g}", aligned=in_words(reached["aligned"][1], steps),
                    rotated=in_words(reached["rotated"][1], steps)))

common.prose(common.heading(t("adaptive.rates_title")), t("adaptive.rates_intro"))
curves = []
for run, path in zip(runs[1:], results["aligned"][1:]):
    curves += figures.coordinate_curves(run.label, figures.color(run.optimizer), path.effective_lr(),
                                        (t("common.coordinate_x"), t("common.coordinate_y")))
common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"), y_title=t("adaptive.effective"),
                                  log_y=True), "rms_rates")
rms_path, rms_distance = results["aligned"][1], distances["aligned"][1]
closest = int(np.argmin(rms_distance))
rms_rates = rms_path.effective_lr()[:, 0]
with st.container(border=True):
    common.titled(t("adaptive.near_title"),
                  t("adaptive.near", closest=common.number(rms_distance[closest], 2), at=closest,
                    low=common.number(rms_rates.min(), 2), high=common.number(rms_rates.max(), 3),
                    back=common.number(rms_distance[closest:].max(), 2), end=common.number(rms_distance[-1], 2),
                    steps=steps, lr=common.plain(rms_lr), cap=common.number(rms_lr / eps, 3)))

# --- the α that each method tolerates -----------------------------------------------------------
trials = tuple(Run(name, lr, steps, hyper=hyper) for lr in TOLERANCE_RATES
               for name, hyper in (("gd", ()), ("rmsprop", (("beta", beta), ("eps", eps)))))
tried = common.simulate("elongated_bowl", ravines["aligned"], trials)


def outcome(path):
    if path.diverged_at is not None:
        return t("adaptive.diverged_at", step=path.diverged_at)
    return common.number(common.distance(path.points[-1:], where["aligned"])[0], 3)


common.prose(common.heading(t("adaptive.tolerance_title")),
             t("adaptive.tolerance_intro", edge=common.number(2.0 / condition, 3), beta=f"{beta:g}"),
             common.table_markdown({"α": [common.plain(lr) for lr in TOLERANCE_RATES],
                                    t("adaptive.gd_plain"): [outcome(path) for path in tried[0::2]],
                                    t("adaptive.rmsprop"): [outcome(path) for path in tried[1::2]]}))

with st.container(border=True):
    rare = steps // SPARSE_EVERY
    common.titled(t("adaptive.sparse_title"),
                  t("adaptive.sparse", every=SPARSE_EVERY, steps=steps, rare=rare,
                    common_rate=common.number(1.0 / np.sqrt(steps), 3),
                    rare_rate=common.number(1.0 / np.sqrt(max(rare, 1)), 3),
                    ratio=common.number(np.sqrt(steps / max(rare, 1)), 3)))

common.update_rules(runs[1:])
# the way in: the steps before a run first comes within 0.1 of the minimum
way_in = [optimizers.first_within(path.points, where["rotated"].minima, 0.1) or steps for path in results["rotated"]]
way_turns = [common.turns(common.valley_coordinates(path.deltas[:end], angle)[:, 1])
             for path, end in zip(results["rotated"], way_in)]
common.what_to_notice("adaptive", aligned=in_words(reached["aligned"][1], steps), angle=f"{angle:g}",
                      gd_turns=way_turns[0], gd_in=way_in[0], rms_turns=way_turns[1], rms_in=way_in[1])
