"""Lesson 11: regularisation — L2 and L1 on a data loss, their paths and constraint pictures, two ways
to step on L1, and L2 inside Adam against decoupled weight decay (AdamW)."""

import numpy as np
import streamlit as st

import figures
import surfaces
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import language, t

P = "rg_"
LAMBDAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)
RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4)
CENTRE = (1.5, 0.5)  # the data loss's own minimum θ*
SWEEP = 60  # λ values traced under Play, from 0 to past the last corner of the L1 path
L2_COLOUR, L1_COLOUR, LEVEL_COLOUR = "#0072B2", "#D55E00", "#000000"


def circle(radius, n=121):
    angle = np.linspace(0.0, 2.0 * np.pi, n)
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def diamond(radius):
    return radius * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 0.0]])


def level_ellipse(where, point, n=121):
    """The data loss's contour through `point`: ½(θ − θ*)ᵀH(θ − θ*) = f(point), an exact ellipse."""
    hessian, centre = where.hessian(0.0, 0.0), np.array(where.minima[0])
    level = float(where.f(*point)) - float(where.f(*centre))
    values, vectors = np.linalg.eigh(hessian)
    angle = np.linspace(0.0, 2.0 * np.pi, n)
    unit = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centre + (unit * np.sqrt(2.0 * max(level, 0.0) / values)) @ vectors.T


def exact_zero(value):
    return t("regularization.zero") if value == 0.0 else common.number(value, 4)


@common.cached("resource", max_entries=32, hash_funcs={figures.Style: repr})
def stage(surface_params, lam, style, lang):
    """Each penalty's map: its minimiser's path as λ grows, the constraint region through the current
    solution (circle or diamond of that size), the data contour touching it, and the solution. Built
    once per setting, style and language `lang` (that of the texts, which t() reads)."""
    where = common.surface("quadratic", surface_params)
    sweep = np.linspace(0.0, 1.25 * surfaces.lasso_breakpoints(where)[0][-1], SWEEP + 1)
    labels = {**dict(common.labels_key()), "step": "λ"}
    unit = {"name": "λ", "scale": float(sweep[1]), "offset": 0.0, "digits": 2}
    pictures = []
    for penalty, colour, solve, size, outline in (
            ("l2", L2_COLOUR, surfaces.ridge_path, lambda theta: np.hypot(*theta), circle),
            ("l1", L1_COLOUR, surfaces.lasso_path, lambda theta: np.abs(theta).sum(), diamond)):
        solution = solve(where, [lam])[0]
        radius = size(solution)
        pictures.append(figures.penalty_figure(
            where, figures.PathLine(t(f"regularization.{penalty}_path"), colour, solve(where, sweep)),
            [(t(f"regularization.{'circle' if penalty == 'l2' else 'diamond'}", r=common.number(radius, 3)),
              colour, outline(radius), "dash"),
             (t("regularization.level"), LEVEL_COLOUR, level_ellipse(where, solution), "dot")],
            (t(f"regularization.{penalty}_solution", lam=common.plain(lam)), colour, solution),
            style=style, labels=labels, title=t(f"regularization.{penalty}_title"),
            backdrop=common.backdrop("quadratic", surface_params), unit=unit))
    return pictures


@common.cached("resource", max_entries=32, hash_funcs={Run: repr, figures.Style: repr})
def theta2_figure(surface_params, runs, style, x_title):
    """θ₂ at every step of each run (2 × `steps` points with markers, built once per setting)."""
    paths = common.simulate("quadratic", surface_params, runs)
    curves = [figures.Curve(run.label, run.color, path.points[:, 1]) for run, path in zip(runs, paths)]
    return figures.curve_figure(curves, style=style, x_title=x_title, y_title="θ₂", mode="lines+markers")


with st.sidebar:
    lam = controls.select_slider(P + "lambda", t("regularization.lambda"), LAMBDAS, 1.0, format_func=common.plain,
                                 help=t("regularization.lambda_help"))
    angle = controls.slider(P + "angle", t("regularization.angle"), -90.0, 90.0, 30.0, 5.0)
    condition = controls.slider(P + "condition", t("regularization.condition"), 1.0, 10.0, 4.0, 0.5)
    lr = controls.select_slider(P + "lr", t("regularization.lr"), RATES, 0.2, format_func=common.plain)
    adam_lr = controls.select_slider(P + "adam_lr", t("regularization.adam_lr"), RATES, 0.05,
                                     format_func=common.plain)
    beta2 = controls.select_slider(P + "beta2", t("regularization.beta2"), (0.9, 0.99, 0.999), 0.99,
                                   format_func=common.plain, help=t("regularization.beta2_help"))
    steps = controls.slider(P + "steps", t("regularization.steps"), 100, 5000, 2000, 100)

surface_params = (("angle", angle), ("centre_x", CENTRE[0]), ("centre_y", CENTRE[1]), ("curvature_1", 1.0),
                  ("curvature_2", condition))
where = common.surface("quadratic", surface_params)
style = common.style()
corners, corner_thetas = surfaces.lasso_breakpoints(where)
ridge, lasso = surfaces.ridge_path(where, [lam])[0], surfaces.lasso_path(where, [lam])[0]

# --- the stage: the minimiser's path as λ grows, with the constraint pictures ------------------------
common.header("regularization", common.heading(t("regularization.paths_title")))
common.chart(stage(surface_params, lam, style, language()), "rg_paths")  # one Play traces both paths as λ grows
zero_at = next((corner for corner, theta in zip(corners, corner_thetas) if np.any(theta == 0.0) and corner > 0), None)
common.prose(t("regularization.paths_intro", lam=common.plain(lam)), common.table_markdown({
    t("regularization.col_penalty"): [t("regularization.none"), t("regularization.l2"), t("regularization.l1")],
    "θ₁": [common.number(CENTRE[0]), exact_zero(ridge[0]), exact_zero(lasso[0])],
    "θ₂": [common.number(CENTRE[1]), exact_zero(ridge[1]), exact_zero(lasso[1])],
    t("regularization.col_data_loss"): [common.number(0.0), common.number(float(where.f(*ridge)), 4),
                                        common.number(float(where.f(*lasso)), 4)],
}), common.equation(r"\begin{gathered}\theta_{L2}(\lambda) = (H + \lambda I)^{-1} H\theta^* \\ "
                    r"\theta_{L1}(\lambda):\quad \partial_i f + \lambda\,\operatorname{sign}\theta_i = 0\ \ "
                    r"(\theta_i \ne 0),\qquad |\partial_i f| \le \lambda\ \ (\theta_i = 0)\end{gathered}"),
    t("regularization.corners", first=common.number(zero_at, 3), last=common.number(corners[-1], 3)),
    # --- two ways to step on L1 ---
    common.heading(t("regularization.l1_steps_title")),
    t("regularization.l1_steps_intro", lam=common.plain(lam), lr=common.plain(lr)))
l1_runs = (Run("gd", lr, steps, hyper=(("l1", lam), ("l1_mode", "proximal")), label=t("regularization.proximal"),
               color=L1_COLOUR),
           Run("gd", lr, steps, hyper=(("l1", lam), ("l1_mode", "subgradient")),
               label=t("regularization.subgradient"), color="#CC79A7"))
l1_paths = common.simulate("quadratic", surface_params, l1_runs)
common.report_divergence(l1_runs, l1_paths)
left, right = st.columns(2)
with left:
    common.chart(common.race_figure("quadratic", surface_params, l1_runs, style, common.labels_key()), "rg_l1_race")
with right:
    common.chart(theta2_figure(surface_params, l1_runs, style, t("common.step")), "rg_l1_theta2")
half = steps // 2
zeros = [int(np.sum(path.points[half:, 1] == 0.0)) for path in l1_paths]
gaps = [float(np.max(np.abs(path.points[half:] - lasso))) for path in l1_paths]
common.prose(common.table_markdown({
    t("playground.col_optimizer"): [run.label for run in l1_runs],
    t("regularization.col_zeros", n=steps - half + 1): zeros,
    t("regularization.col_gap"): [common.number(gap, 3) for gap in gaps],
}),
    # --- L2 inside Adam against decoupled weight decay ---
    common.heading(t("regularization.adamw_title")), t("regularization.adamw_intro", lam=common.plain(lam)))
decay_runs = (Run("gd", lr, steps, hyper=(("weight_decay", lam),), label=t("regularization.gd_l2"), color="#000000"),
              Run("adam", adam_lr, steps, hyper=(("beta2", beta2), ("weight_decay", lam)),
                  label=t("regularization.adam_l2")),
              Run("adamw", adam_lr, steps, hyper=(("beta2", beta2), ("weight_decay", lam)),
                  label=t("regularization.adamw")))
decay_paths = common.simulate("quadratic", surface_params, decay_runs)
common.report_divergence(decay_runs, decay_paths)
common.chart(common.race_figure("quadratic", surface_params, decay_runs, style, common.labels_key()), "rg_adamw")
ends = [path.points[-1] for path in decay_paths]
boxed = surfaces.box_minimum(where, 1.0 / lam) if lam > 0 else np.array(CENTRE)
common.prose(common.table_markdown({
    t("playground.col_optimizer"): [run.label for run in decay_runs],
    "θ₁": [common.number(end[0], 4) for end in ends],
    "θ₂": [common.number(end[1], 4) for end in ends],
    t("regularization.col_from_ridge"): [common.number(float(np.hypot(*(end - ridge))), 3) for end in ends],
    t("regularization.col_from_box"): [common.number(float(np.hypot(*(end - boxed))), 3) for end in ends],
}), t("regularization.adamw_limit", x=common.number(ridge[0], 4), y=common.number(ridge[1], 4),
      r=common.number(1.0 / lam, 3) if lam > 0 else "∞", bx=common.number(boxed[0], 4),
      by=common.number(boxed[1], 4), memory=f"{1 / (1 - beta2):.0f}"))

common.update_rules(l1_runs + decay_runs[1:])
common.what_to_notice("regularization", zero_at=common.number(zero_at, 3), prox_zeros=zeros[0],
                      sub_zeros=zeros[1], n=steps - half + 1, sub_gap=common.number(gaps[1], 2),
                      adam_gap=common.number(float(np.hypot(*(ends[1] - ridge))), 2),
                      adamw_gap=common.number(float(np.hypot(*(ends[2] - ridge))), 2),
                      box_gap=common.number(float(np.hypot(*(ends[2] - boxed))), 2))
