"""Lesson 12: a real network — the course's week-2 experiment (a [2, 5, 2, 1] network on 300 moons
samples, mini-batches of 64) trained in the core with GD, momentum and Adam: the decision regions
over the epochs, the accuracy table beside the course's, a slice of the loss landscape around the
trained weights (Li et al. 2018) and Keskar et al.'s line from a small-batch to a large-batch solution."""

import functools

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces
from app_pages import common, controls
from app_pages.i18n import t
from optimizers import course_network
from optimizers.course_network import (BATCHES, COURSE_LR, DECAY_RATES, EPOCHS, FRAME_EVERY, KESKAR_BATCHES,
                                       RACERS, RATES, SEEDS)

P = "nw_"
# The course's training accuracies after 10 000 epochs (constant α = 0.0007; scheduled decay)
PUBLISHED = {"constant": {"gd": 79.7, "momentum": 79.7, "adam": 94.0},
             "decay": {"gd": 94.6, "momentum": 95.6, "adam": 94.0}}
COST_POINTS = 1000
GRID = np.linspace(-1.5, 2.5, 31), np.linspace(-1.25, 1.75, 31)
SLICE = np.linspace(-1.0, 1.0, 51)
LINE = np.linspace(-1.0, 2.0, 61)


@functools.cache
def moons(seed=3):
    """The course's data set (seed 3) or its test set (seed 4): drawn once per process, not on each
    of the ten uses a rerun makes (0.4 ms each). Never written to."""
    return surfaces.moons(seed=seed)


@common.cached(max_entries=48)
def trainings(schedule, lr, batch_size, seed=0, names=tuple(RACERS)):
    """The setting's runs (optimizers.course_network: from disk when this machine has trained them)."""
    return course_network.trainings(schedule, lr, batch_size, seed, names)


def train(optimizer, schedule, lr, batch_size, epochs, seed=0, alone=False):
    """One run of `epochs` epochs: (costs per epoch, parameters every FRAME_EVERY epochs from the
    start, final parameters, diverged epoch or None). The first `epochs` of the EPOCHS-long run,
    which is exactly what training for `epochs` gives (each epoch's shuffle has its own seed).
    alone: train this optimizer only, not all three (Keskar's extra batch sizes)."""
    names = (optimizer,) if alone else tuple(RACERS)
    costs, snapshots, diverged = trainings(schedule, lr, batch_size, seed, names)[optimizer]
    shown = snapshots[:epochs // FRAME_EVERY + 1]
    return costs[:epochs], shown, shown[-1], diverged if diverged is not None and diverged < epochs else None


def accuracy(theta):
    return 100.0 * optimizers.network_accuracy(theta, *moons())


@common.cached(max_entries=64)
def regions(snapshots):
    """The probability of class 1 over GRID for each snapshot: (frames, ny, nx)."""
    gx, gy = np.meshgrid(*GRID)
    plane = np.column_stack([gx.ravel(), gy.ravel()])
    return np.array([optimizers.network_output(theta, plane).reshape(gx.shape) if np.all(np.isfinite(theta))
                     else np.full(gx.shape, 0.5) for theta in snapshots])


@common.cached(max_entries=16)
def landscape(theta, snapshots):
    """The cost over the plane θ* + a·d₁ + b·d₂ (two filter-normalised random directions), and the
    training path projected onto it with the share of its length the plane holds."""
    X, y = moons()
    d1, d2 = (optimizers.filter_normalized_direction(theta, seed=k) for k in (0, 1))
    a, b = np.meshgrid(SLICE, SLICE)
    losses = optimizers.network_costs(theta + a.ravel()[:, None] * d1 + b.ravel()[:, None] * d2, X, y)
    basis = np.column_stack([d1, d2])
    path = np.linalg.lstsq(basis, (snapshots - theta).T, rcond=None)[0].T
    steps = np.diff(snapshots, axis=0)
    captured = np.linalg.norm(np.diff(path, axis=0) @ basis.T, axis=1).sum() / np.linalg.norm(steps, axis=1).sum()
    return losses.reshape(a.shape), path, captured


@common.cached(max_entries=16)
def keskar_line(small, large):
    """Train and test cost along a·θ_large + (1 − a)·θ_small for a in LINE."""
    thetas = LINE[:, None] * large + (1.0 - LINE[:, None]) * small
    train_set, test_set = moons(), moons(seed=4)
    return optimizers.network_costs(thetas, *train_set), optimizers.network_costs(thetas, *test_set)


@common.cached("resource", max_entries=32, hash_funcs={figures.Style: repr})
def stage(schedule, lr, batch, epochs, style, labels):
    """The three maps of decision regions under one Play (built once per setting and language)."""
    labels = dict(labels)
    frames = np.arange(0, epochs + 1, FRAME_EVERY)
    unit = {"name": labels["epoch"], "scale": 1.0, "offset": 0.0, "digits": 0}
    X, y = moons()
    return [figures.boundary_figure(*GRID, regions(train(name, schedule, lr, batch, epochs)[1]), frames, X, y,
                                    style=style, labels=labels, unit=unit, title=labels[name])
            for name in RACERS]


@common.cached("resource", max_entries=32, hash_funcs={figures.Style: repr})
def cost_figure(schedule, lr, batch, epochs, style, titles):
    """The cost of the three runs after every epoch, drawn at COST_POINTS of them (10 000 epochs
    of three runs in float64 were 640 kB of chart; a chart a few hundred pixels wide shows no more)."""
    x_title, y_title, diverged, names = titles
    shown = np.unique(np.linspace(0, epochs - 1, min(epochs, COST_POINTS)).round().astype(int))
    return figures.curve_figure(
        [figures.Curve(label, figures.color(name), train(name, schedule, lr, batch, epochs)[0][shown], x=shown + 1)
         for name, label in zip(RACERS, names)],
        style=style, x_title=x_title, y_title=y_title, log_y=True, diverged_text=diverged)


def percent(value):
    return "—" if value is None or not np.isfinite(value) else f"{value:.1f} %"


PARAMETERS = len(optimizers.network_init())
common.header("network", parameters=PARAMETERS)
with st.sidebar:
    schedule = controls.select(P + "schedule", t("network.schedule"), ("constant", "decay"), "constant",
                               format_func=lambda s: t(f"network.schedule_{s}"))
    lr = COURSE_LR
    if schedule == "constant":
        lr = controls.select_slider(P + "lr", t("network.lr"), RATES, COURSE_LR, format_func=common.plain)
    batch = controls.select_slider(P + "batch", t("network.batch"), BATCHES, 64)
    epochs = controls.slider(P + "epochs", t("network.epochs"), 1000, EPOCHS, EPOCHS, 1000)
    focus = controls.select(P + "focus", t("network.focus"), tuple(RACERS), "adam",
                            format_func=lambda n: t(f"optimizer.{n}"))
    seeds = controls.toggle(P + "seeds", t("network.seeds"), False, help=t("network.seeds_help"))

style = common.style()
X, y = moons()
with st.spinner(t("network.training")):
    runs = {name: train(name, schedule, lr, batch, epochs) for name in RACERS}
rates = {name: DECAY_RATES[name] if schedule == "decay" else lr for name in RACERS}

# --- the stage: the decision regions over the epochs --------------------------------------------------
common.prose(common.heading(t("network.regions_title",
                               rates=" · ".join(common.plain(v) for v in dict.fromkeys(rates.values())))))
pictures = stage(schedule, lr, batch, epochs, style, tuple(sorted({
    "x": "x₁", "y": "x₂", "boundary": t("network.boundary"), "class_0": t("network.class_0"),
    "class_1": t("network.class_1"), "epoch": t("network.epoch"),
    **{name: t(f"optimizer.{name}") for name in RACERS}}.items())))
common.chart(pictures, "nw_regions")  # one Play drives the three
for name, (_, _, _, diverged) in runs.items():
    if diverged is not None:
        st.warning(t("network.diverged", name=t(f"optimizer.{name}"), epoch=diverged + 1), icon="⚠️")
st.markdown(t("network.regions_intro", epochs=f"{epochs:,}".replace(",", " "), batch=batch))
common.chart(cost_figure(schedule, lr, batch, epochs, style, (
    t("network.epoch"), t("network.cost"), t("common.diverged_note"), tuple(t(f"optimizer.{n}") for n in RACERS))),
    "nw_costs")

# --- the accuracy table beside the course's ------------------------------------------------------------
course_setting = batch == 64 and epochs == 10_000 and (schedule == "decay" or lr == COURSE_LR)
table = {t("network.col_optimizer"): [t(f"optimizer.{name}") for name in RACERS],
         t("network.col_ours"): [percent(accuracy(theta)) for _, _, theta, _ in runs.values()]}
if course_setting:
    table[t("network.col_course")] = [f"{PUBLISHED[schedule][name]:g} %" for name in RACERS]
if seeds:
    with st.spinner(t("network.training_seeds")):
        spread = {name: [accuracy(train(name, schedule, lr, batch, epochs, seed)[2]) for seed in SEEDS]
                  for name in RACERS}
    table[t("network.col_seeds", n=len(SEEDS))] = [f"{np.mean(v):.1f} ± {np.std(v):.1f} %" for v in spread.values()]
    table[t("network.col_each")] = [" · ".join(f"{a:.1f}" for a in v) for v in spread.values()]
ours = {name: percent(accuracy(theta)) for name, (_, _, theta, _) in runs.items()}
common.prose(common.heading(t("network.table_title")), common.table_markdown(table),
             t(f"network.table_intro_{schedule}" if course_setting else "network.table_intro_other", **ours))
st.page_link("app_pages/momentum.py", label=t("network.to_momentum"), icon="↩️", query_params={"mo_equal": "true"})

# --- a slice of the loss landscape ------------------------------------------------------------------------
common.prose(common.heading(t("network.landscape_title", name=t(f"optimizer.{focus}"))))
_, snapshots, theta, diverged = runs[focus]
if diverged is None:
    losses, path, captured = landscape(theta, snapshots)
    slice_labels = {"a": "a (d₁)", "b": "b (d₂)", "log_loss": t("network.log_cost"), "path": t("network.path"),
                    "trained": t("network.trained")}
    left, right = st.columns(2)
    with left:
        common.chart(figures.landscape_figure(SLICE, SLICE, losses, path, style=style, labels=slice_labels),
                     "nw_slice")
    with right:
        common.chart(figures.landscape_figure(SLICE, SLICE, losses, path, style=style, labels=slice_labels,
                                              three_d=True), "nw_slice3d")
    landscape_text = t("network.landscape_intro", captured=f"{100 * captured:.1f}", others=PARAMETERS - 2,
                       low=common.number(float(losses.min()), 4), high=common.number(float(losses.max()), 3))
else:
    st.info(t("network.no_landscape"), icon="ℹ️")
    landscape_text = ""

# --- sharp and flat, in a real network --------------------------------------------------------------------
common.prose(landscape_text, common.heading(t("network.keskar_title")))
small_batch, large_batch = KESKAR_BATCHES  # the large one is the whole set: len(X)
small = runs["adam"][2] if batch < large_batch else train("adam", schedule, lr, small_batch, epochs, alone=True)[2]
small_batch = batch if batch < large_batch else small_batch
large = runs["adam"][2] if batch == large_batch else train("adam", schedule, lr, large_batch, epochs, alone=True)[2]
train_line, test_line = keskar_line(small, large)
common.chart(figures.curve_figure(
    [figures.Curve(t("network.train_cost"), "#0072B2", train_line, x=LINE),
     figures.Curve(t("network.test_cost"), "#D55E00", test_line, x=LINE, dash="dash")],
    style=style, x_title=t("network.a_axis", small=small_batch, large=large_batch), y_title=t("network.cost"),
    log_y=True,
    shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": v, "x1": v, "y0": 0, "y1": 1,
             "line": {"color": "#888", "width": 2, "dash": "dot"}} for v in (0.0, 1.0)]), "nw_keskar")
st.markdown(t("network.keskar_intro", small=small_batch, large=large_batch, small_acc=percent(accuracy(small)),
              large_acc=percent(accuracy(large))))

common.what_to_notice("network", **ours, captured=f"{100 * captured:.1f}" if diverged is None else "—")
