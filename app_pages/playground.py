"""Playground: any surface, up to six optimizers racing from one start, a leaderboard and exports."""

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "pg_"
MAX_OPTIMIZERS = 6
RACE = ("gd", "sgd_momentum", "adam", "rmsprop", "momentum", "adagrad")  # slot defaults
EPSILONS = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
PENALTY_VALUES = (0.0, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0)
DECAY_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
TOLERANCES = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.001)
FEATURE_SCALES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 65.0)
BUFFER_SYMBOLS = {"m_hat": "m̂", "v_hat": "v̂"}  # the ledger writes the state buffers as the notes do


def surface_ui(where):
    name = controls.select(P + "surface", t("playground.surface"), surfaces.names(), "rosenbrock",
                           where=where, format_func=lambda s: t(f"surface.{s}"))
    params = {}
    parameters = surfaces.SURFACES[name].parameters
    if name == "formula":
        return name, common.formula_controls(P + "formula", where)
    if name == "regression":
        params["n_samples"] = controls.slider(P + "regression_n_samples", t("surface.n_samples"),
                                              *parameters["n_samples"].slider[:2], 64,
                                              parameters["n_samples"].slider[2], where=where)
        params["feature_scale"] = controls.select_slider(P + "regression_feature_scale", t("surface.feature_scale"),
                                                         FEATURE_SCALES, 1.0, where=where, format_func=common.plain)
        low, high, step = parameters["noise"].slider
        params["noise"] = controls.slider(P + "regression_noise", t("surface.noise"), low, high, 0.5, step, where=where)
        params["seed"] = controls.number(P + "regression_seed", t("common.seed"), 0, 9999, 0, 1, where=where)
    else:
        for param, spec in parameters.items():
            low, high, step = spec.slider
            params[param] = controls.slider(f"{P}{name}_{param}", t(f"surface.{param}"), low, high,
                                            float(spec.default), step, where=where)
    return name, tuple(sorted(params.items()))


def schedule_ui(slot, steps, where):
    schedule = controls.select(f"{P}o{slot}_schedule", t("hyper.schedule"), optimizers.schedule_names(), "constant",
                               where=where, format_func=lambda s: t(f"schedule.{s}"))
    params = {}
    if schedule == "step":
        params["gamma"] = controls.slider(f"{P}o{slot}_gamma", t("hyper.gamma"), 0.1, 0.9, 0.5, 0.05, where=where)
        params["every"] = controls.slider(f"{P}o{slot}_every", t("hyper.every"), 1, 500, 100, 1, where=where)
    elif schedule in ("exponential", "inverse_time", "inverse_sqrt"):
        params["k"] = controls.select_slider(f"{P}o{slot}_k", t("hyper.k"), DECAY_RATES, 0.01, where=where,
                                             format_func=common.plain)
    elif schedule == "geometric":
        params["gamma"] = controls.slider(f"{P}o{slot}_ggamma", t("hyper.gamma"), 0.9, 0.999, 0.99, 0.001,
                                          where=where, fmt="%.3f")
    elif schedule == "cosine":
        params["total"] = steps
    warmup = controls.slider(f"{P}o{slot}_warmup", t("hyper.warmup"), 0, 100, 0, 1, where=where)
    return schedule, tuple(sorted(params.items())), warmup


def optimizer_ui(slot, steps, where):
    """One racer's settings: optimizer, α, its hyper-parameters and schedule."""
    key = f"{P}o{slot}_"
    name = controls.select(key + "name", t("playground.optimizer"), optimizers.names(), RACE[slot], where=where,
                           format_func=lambda n: t(f"optimizer.{n}"))
    lr = controls.select_slider(key + "lr", t("hyper.lr"), common.LEARNING_RATES,
                                optimizers.OPTIMIZERS[name].playground_lr, where=where,
                                format_func=common.plain)
    hyper = {}
    for param, default in optimizers.DEFAULTS[name].items():
        if param == "l1_mode":
            if hyper["l1"] > 0:  # the mode only matters with an L1 penalty (and only then goes into the link)
                hyper[param] = controls.select(key + param, t("hyper.l1_mode"), optimizers.L1_MODES, default,
                                               where=where, format_func=lambda m: t(f"hyper.l1_{m}"))
        elif param in ("weight_decay", "l1"):
            hyper[param] = controls.select_slider(key + param, t(f"hyper.{param}"), PENALTY_VALUES, default,
                                                  where=where, format_func=common.plain)
        elif param in ("beta", "beta1", "momentum"):
            hyper[param] = controls.slider(key + param, t(f"hyper.{param}"), 0.0, 0.99, default, 0.01, where=where)
        elif param == "beta2":
            hyper[param] = controls.slider(key + param, t("hyper.beta2"), 0.9, 0.9999, default, 0.0001,
                                           where=where, fmt="%.4f")
        elif param == "eps":
            hyper[param] = controls.select_slider(key + param, t("hyper.eps"), EPSILONS, default, where=where,
                                                  format_func=common.plain)
        else:
            hyper[param] = controls.toggle(key + param, t(f"hyper.{param}"), default, where=where)
    schedule, schedule_params, warmup = schedule_ui(slot, steps, where)
    return name, lr, tuple(sorted(hyper.items())), schedule, schedule_params, warmup


def leaderboard(runs, paths, where, tolerance):
    """Ranked by steps to come within `tolerance` of a known minimum, then by final loss."""
    entries = []
    for run, path in zip(runs, paths):
        final = path.points[np.isfinite(path.points).all(axis=1)][-1]
        final_loss = float(where.f(*final))
        reached = optimizers.first_within(path.points, where.minima, tolerance)
        distance = min((float(np.hypot(*(final - np.array(m)))) for m in where.minima), default=np.nan)
        row = {t("playground.col_optimizer"): run.label,
               t("playground.col_reached"): t("playground.never") if reached is None else str(reached),
               t("playground.col_final_loss"): common.number(final_loss),
               t("playground.col_distance"): common.number(distance),
               t("playground.col_diverged"): "—" if path.diverged_at is None else str(path.diverged_at)}
        entries.append(((np.inf if reached is None else reached, final_loss), row))
    return [row for _, row in sorted(entries, key=lambda entry: entry[0])]


def ledger_rows(path, step, optimizer):
    """Step t in numbers: θ, g, the optimizer's buffers, the effective rate and Δθ."""
    rows = {"θₜ": path.points[step], "gₜ": path.grads[step], "αₜ": [path.lr[step]] * 2}
    for name, values in path.state.items():
        rows[BUFFER_SYMBOLS.get(name, name) + "ₜ"] = values[step]
    if optimizer in ("rmsprop", "adagrad", "adam"):
        rows["α_eff"] = path.effective_lr()[step]
    rows["Δθₜ"] = path.deltas[step]
    return rows


@common.section
def inspector(where, runs, paths, steps, style, axes):
    """One run's step t in numbers and on the map: a student scrubs through it, and nothing else on
    the page depends on it."""
    left, right = st.columns(2)
    slot = controls.select(P + "inspect", t("playground.inspect_which"), list(range(len(runs))), 0,
                           where=left, format_func=lambda i: runs[i].label)
    step = controls.slider(P + "inspect_step", t("playground.inspect_step"), 0, steps - 1, 0, 1, where=right)
    run, path = runs[slot], paths[slot]
    line = common.path_lines(runs, paths)[slot]
    common.chart(figures.inspector_figure(where, path, step, color=line.color, label=line.label,
                                          style=style, labels=common.map_labels(axes)), "pg_inspector")
    st.markdown(f"**{t('playground.ledger')}** (t = {step})")
    common.ledger(ledger_rows(path, step, run.optimizer))


common.header("playground")
with st.sidebar:
    with st.expander(t("playground.surface"), expanded=True):
        surface_name, surface_params = surface_ui(st)
    where = common.surface(surface_name, surface_params)
    with st.expander(f"{t('common.steps')} · {t('common.noise')}", expanded=False):
        steps = controls.slider(P + "steps", t("common.steps"), 10, 1000, 500, 10)
        noise = controls.slider(P + "noise", t("common.noise"), 0.0, 5.0, 0.0, 0.1, help=t("common.noise_help"))
        seed = controls.number(P + "seed", t("common.seed"), 0, 9999, 0, 1)
        batch_size, shuffle = None, True
        if where.samples is not None:
            m = where.n_samples
            sizes = sorted({2**k for k in range(int(np.log2(m)) + 1)} | {m})
            chosen = controls.select_slider(P + "batch", t("playground.batch_size"), sizes, m,
                                            help=t("playground.batch_help"))
            batch_size = None if chosen == m else chosen
            shuffle = controls.toggle(P + "shuffle", t("playground.shuffle"), True)
        custom = controls.toggle(P + "custom_start", t("playground.custom_start"), False)
        start = where.start
        if custom:
            xmin, xmax, ymin, ymax = (float(v) for v in where.bounds)
            start = (controls.number(P + "x0", t("playground.start_x"), xmin, xmax, float(where.start[0]), 0.05),
                     controls.number(P + "y0", t("playground.start_y"), ymin, ymax, float(where.start[1]), 0.05))
        tolerance = controls.select_slider(P + "tolerance", t("playground.tolerance"), TOLERANCES, 0.1,
                                           format_func=common.plain)
    count = controls.slider(P + "count", t("playground.count"), 1, MAX_OPTIMIZERS, 3, 1)
    runs = []
    for slot in range(count):
        with st.expander(t("playground.optimizer_n", n=slot + 1), expanded=slot < 3):
            name, lr, hyper, schedule, schedule_params, warmup = optimizer_ui(slot, steps, st)
        runs.append(Run(optimizer=name, lr=lr, steps=steps, hyper=hyper, schedule=schedule,
                        schedule_params=schedule_params, warmup=warmup, start=tuple(start), noise=noise,
                        seed=seed, batch_size=batch_size, shuffle=shuffle,
                        label=f"{slot + 1}. {common.optimizer_label(name, dict(hyper))}"))
    runs = tuple(runs)

paths = common.simulate(surface_name, surface_params, runs)
axes = "wb" if where.samples is not None else "theta"
style = common.style()
views = controls.tabs(P + "view", ("map", "surface3d", "loss", "lr", "inspector"),
                      [t("playground.view_map"), t("playground.view_3d"), t("playground.view_loss"),
                       t("playground.view_lr"), t("playground.view_inspector")])
described = common.surface_description(surface_name, surface_params)
title = described if surface_name == "formula" else None  # a typed formula names itself on the map and in exports
figure = common.race_figure(surface_name, surface_params, runs, style, common.labels_key(axes), title=title)
if views["map"].open:
    with views["map"]:
        # a click on the map starts the race there (the start controls take the point, and so the URL)
        common.chart(figure, "pg_map", click=common.Click(P + "x0", P + "y0", P + "custom_start", where.bounds))
        common.prose(common.equation(where.formula) if surface_name == "formula" else "",
                     common.small(t("playground.click_hint")))
if views["surface3d"].open:
    with views["surface3d"]:
        common.chart(figures.surface3d_figure(where, common.path_lines(runs, paths), style=style,
                                              labels=common.map_labels(axes),
                                              diverged_text=t("common.diverged_note")), "pg_3d")
if views["loss"].open:
    with views["loss"]:
        log = controls.toggle(P + "log", t("common.log_scale"), True)
        lowest = min((where.f(*m) for m in where.minima), default=None)
        gap = log and lowest is not None
        curves = [figures.Curve(line.label, line.color, path.loss - lowest if gap else path.loss, line.dash)
                  for line, path in zip(common.path_lines(runs, paths), paths)]
        common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"),
                                          y_title=t("common.loss_gap" if gap else "common.loss"),
                                          log_y=gap, diverged_text=t("common.diverged_note")), "pg_loss")
if views["lr"].open:
    with views["lr"]:
        curves = [figures.Curve(line.label, line.color, path.lr, line.dash)
                  for line, path in zip(common.path_lines(runs, paths), paths)]
        common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"),
                                          y_title=t("common.learning_rate")), "pg_lr")
if views["inspector"].open:
    with views["inspector"]:
        inspector(where, runs, paths, steps, style, axes)

common.report_divergence(runs, paths)
common.prose(common.heading(t("playground.leaderboard")),
             "" if where.minima else common.small(t("playground.no_minimum")),
             common.table_markdown(leaderboard(runs, paths, where, tolerance)))
common.update_rules(runs, expanded=False)
with st.expander(t("playground.export")):
    st.download_button(t("common.download_csv"), lambda: common.trajectories_csv(runs, paths, described),
                       file_name="descent-lab.csv", mime="text/csv", key="pg_csv")
    st.download_button(t("common.download_html"),
                       lambda: figures.player.page([figure], {**common.player_options(), "fit": False},
                                                   title=f"Descent Lab · {described}"),
                       file_name="descent-lab.html", mime="text/html", key="pg_html")
    st.caption(t("common.png_hint"))
common.what_to_notice("playground")
