"""Lesson 6: learning-rate decay — schedules, the notes' tables, settling under noise, escaping a dip."""

import numpy as np
import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "dc_"
RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
DECAY_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
ESCAPE_RATES = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0)
# the notes' three schedules with their settings (seed 000, α₀ = 0.1)
NOTES = {"step": {"gamma": 0.5, "every": 10}, "exponential": {"k": 0.1}, "inverse_time": {"k": 0.05}}
OURS = {"inverse_sqrt": {"k": 0.05}, "geometric": {"gamma": 0.95}, "constant": {}}  # not in the notes: our settings
PALETTE = {"constant": "#000000", "step": "#E69F00", "exponential": "#56B4E9", "geometric": "#009E73",
           "inverse_time": "#0072B2", "inverse_sqrt": "#D55E00", "cosine": "#CC79A7"}
RUNS = 200
ESCAPE_STEPS, ESCAPE_SWITCH = 200, 40


def schedule_params(schedule, gamma, every, k, total):
    return {"step": {"gamma": gamma, "every": every}, "exponential": {"k": k}, "inverse_time": {"k": k},
            "inverse_sqrt": {"k": k}, "geometric": {"gamma": gamma}, "cosine": {"total": total},
            "constant": {}}[schedule]


@common.cached(max_entries=32)
def noisy_ensembles(schedule, lr0, params, warmup, steps, noise, seed=0):
    """Where RUNS noisy gradient-descent runs on the bowl are at every step: at the constant α₀, and
    under the schedule (`params` as sorted pairs)."""
    where = common.surface("bowl")
    starts = np.tile(where.start, (RUNS, 1))
    decayed = optimizers.learning_rates(schedule, lr0, steps, warmup=warmup, steps_per_epoch=5, **dict(params))
    return [optimizers.run_ensemble(where, "gd", starts=starts, steps=steps, lr=rates, noise=noise, seed=seed)
            for rates in (np.full(steps, lr0), decayed)]


@common.cached("resource", max_entries=32, hash_funcs={figures.Style: repr})
def noisy_stage(settings, style, labels, names, colours, axis_titles):
    """The two clouds on the bowl and their mean distance to the minimum under one Play (0.2 MB of
    chart, built once per setting and language), and those distances."""
    schedule, lr0, params, warmup, steps, noise = settings
    ensembles = noisy_ensembles(schedule, lr0, params, warmup, steps, noise)
    mean_distance = [np.nanmean(np.hypot(paths[..., 0], paths[..., 1]), axis=0) for paths in ensembles]
    shown = figures.snapshot_steps(steps)
    clouds = [(name, colour, paths[:, shown]) for name, colour, paths in zip(names, colours, ensembles)]
    distance = [figures.Curve(name, colour, curve) for name, colour, curve in zip(names, colours, mean_distance)]
    x_title, y_title = axis_titles
    return [figures.ensemble_figure(common.surface("bowl"), clouds, shown, style=style, labels=dict(labels),
                                    backdrop=common.backdrop("bowl")),
            figures.series_figure(distance, style=style, x_title=x_title, y_title=y_title, log_y=True)], mean_distance


with st.sidebar:
    schedule = controls.select(P + "schedule", t("decay.schedule"), optimizers.schedule_names(), "exponential",
                               format_func=lambda s: t(f"schedule.{s}"))
    lr0 = controls.select_slider(P + "lr0", t("decay.lr0"), RATES, 0.2, format_func=common.plain)
    # only the knobs the chosen schedule has (the others would change nothing, yet go into the link)
    gamma, every, k = 0.5, 10, 0.1
    if schedule in ("step", "geometric"):
        gamma = controls.slider(P + "gamma", t("decay.gamma"), 0.1, 0.99, gamma, 0.01)
    if schedule == "step":
        every = controls.slider(P + "every", t("decay.every"), 1, 50, every, 1)
    if schedule in ("exponential", "inverse_time", "inverse_sqrt"):
        k = controls.select_slider(P + "k", t("decay.k"), DECAY_RATES, k, format_func=common.plain)
    warmup = controls.slider(P + "warmup", t("decay.warmup"), 0, 20, 0, 1)
    epochs = controls.slider(P + "epochs", t("decay.epochs"), 10, 200, 30, 5)
    noise = controls.slider(P + "noise", t("decay.noise"), 0.0, 3.0, 1.0, 0.1)
    small = controls.select_slider(P + "small", t("decay.small"), ESCAPE_RATES, 0.3, format_func=common.plain)
    large = controls.select_slider(P + "large", t("decay.large"), ESCAPE_RATES, 3.0, format_func=common.plain)
style = common.style()
params = schedule_params(schedule, gamma, every, k, epochs)

# --- noisy SGD on a bowl ---------------------------------------------------------------------------------
steps = epochs * 5
common.header("decay", common.heading(t("decay.noisy_title")),
              t("decay.noisy_intro", runs=RUNS, noise=f"{noise:g}", steps=steps))
names = (t("decay.constant", lr=f"{lr0:g}"), t("decay.decayed", lr=f"{lr0:g}"))
colours = ("#000000", PALETTE[schedule] if schedule != "constant" else "#0072B2")
stage, mean_distance = noisy_stage((schedule, lr0, tuple(sorted(params.items())), warmup, steps, noise), style,
                                   common.labels_key(), names, colours, (t("common.step"), t("decay.distance")))
ratio = mean_distance[0][-1] / mean_distance[1][-1]
common.chart(stage, "dc_cloud")  # one Play moves the clouds and traces the distance
first, second, third = st.columns(3)
first.metric(t("decay.end_constant", steps=steps), common.number(mean_distance[0][-1], 3))
second.metric(t("decay.end_decayed", steps=steps), common.number(mean_distance[1][-1], 3))
third.metric(t("decay.closer"), f"{ratio:.2f}×")

# --- the explorer ------------------------------------------------------------------------------------
common.prose(common.heading(t("decay.explorer_title")), t("decay.explorer_intro"))


def notes_rates(name):
    """A schedule with the notes' settings (ours where the notes give none) over the epochs shown."""
    settings = {"total": epochs} if name == "cosine" else {**NOTES, **OURS}[name]
    return optimizers.learning_rates(name, lr0, epochs, **settings)


curves = [figures.Curve(t(f"schedule.{name}"), PALETTE[name], notes_rates(name), dash="dot")
          for name in PALETTE if name != schedule]
yours = optimizers.learning_rates(schedule, lr0, epochs, warmup=warmup, **params)
curves.append(figures.Curve(f"{t(f'schedule.{schedule}')} ★", PALETTE[schedule], yours))
figure = figures.curve_figure(curves, style=style, x_title=t("decay.epoch"), y_title=t("common.learning_rate"),
                              mode="lines+markers")
common.chart(figure, "dc_explorer")
valued = optimizers.schedule_formula(schedule, lr0, **params)
shown_epochs = [0, 1, 2, 3, 4, 5, 9, 10, 20]
table = {t("decay.epoch"): shown_epochs}
for name in NOTES:
    rates = optimizers.learning_rates(name, 0.1, 21, **NOTES[name])
    table[t(f"schedule.{name}")] = [f"{rates[e]:.4g}" for e in shown_epochs]
common.prose(common.equation(optimizers.schedule_formula(schedule) + " = " + valued.split(" = ", 1)[1]),
             common.small(t("decay.warmup_note", warmup=warmup, lr=f"{lr0:g}")) if warmup else "",
             common.heading(t("decay.tables_title")), t("decay.tables_intro"), common.table_markdown(table),
             # --- escaping a local minimum ---
             common.heading(t("decay.escape_title")), t("decay.escape_intro"))
runs = (Run("gd", small, ESCAPE_STEPS, label=t("decay.small_run", lr=f"{small:g}"), color="#56B4E9"),
        Run("gd", large, ESCAPE_STEPS, label=t("decay.large_run", lr=f"{large:g}"), color="#D55E00"),
        Run("gd", large, ESCAPE_STEPS, schedule="step", schedule_params=(("every", ESCAPE_SWITCH), ("gamma", 0.1)),
            label=t("decay.both_run", lr=f"{large:g}", every=ESCAPE_SWITCH), color="#009E73"))
paths = common.simulate("local_minima", (), runs)
common.chart(common.race_figure("local_minima", (), runs, style, common.labels_key()), "dc_escape")
common.report_divergence(runs, paths)
common.what_to_notice("decay", constant=common.number(mean_distance[0][-1], 3),
                      decayed=common.number(mean_distance[1][-1], 3), ratio=f"{ratio:.2f}", steps=steps)
