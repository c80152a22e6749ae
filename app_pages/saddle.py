"""Lesson 7: saddle points — GD's escape time against ln(1/ε), the plateau symptom, the Hessian's
eigenvalues at any point, and how rare minima are among random critical points in n dimensions."""

import math

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "sd_"
SURFACES = ("saddle", "monkey_saddle", "plateau", "formula")
START_X = {"saddle": 1.8, "monkey_saddle": 1.2, "plateau": 3.0, "formula": 1.8}  # the start is (START_X, ε)
SADDLE_FORMULA = "x**2 - y**2 + 0.25*y**4"  # a saddle at the origin between two minima
EPSILONS = tuple(10.0 ** -k for k in range(8, 0, -1))  # 1e-8 … 1e-1
RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
THRESHOLDS = (1e-3, 1e-2, 5e-2, 1e-1)
ESCAPE_DISTANCE = 1.0  # escaped: this far from the stable set (the plateau: loss below ½)
ESCAPE_STEPS = 3000
SWEEP = np.logspace(-8, -1, 29)  # the ε of the measured escape times: four per decade
DIMENSIONS = tuple(range(1, 7))
SAMPLES = 100_000
POSITIVE, NEGATIVE, FLAT = "#0072B2", "#D55E00", "#777777"


def escaped(name, params, points):
    """Per point (…, 2): has the run left the critical point's neighbourhood? NaN (left every
    finite range) counts as escaped. (A typed formula is read as a saddle at the origin whose
    stable set is the θ₁ axis.)"""
    x, y = points[..., 0], points[..., 1]
    if name in ("saddle", "formula"):  # stable set: the θ₁ axis
        distance = np.abs(y)
    elif name == "monkey_saddle":  # stable set: the ray θ₁ ≥ 0 (a ridge running down into the origin)
        distance = np.where(x >= 0, np.abs(y), np.hypot(x, y))
    else:  # the plateau: the loss has fallen halfway
        return ~(common.surface(name, params).f(x, y) > 0.5)
    return ~(distance < ESCAPE_DISTANCE)


def escape_step(name, params, points):
    """The first step at which each run (rows of an ensemble, or one path) has escaped; NaN: never."""
    hit = escaped(name, params, points)
    first = np.argmax(hit, axis=-1).astype(float)
    return np.where(hit.any(axis=-1), first, np.nan)


def race_runs(start, lr, noise, momentum, steps):
    runs = [Run("gd", lr, steps, start=start, label=t("saddle.gd"))]
    if noise > 0:
        runs.append(Run("gd", lr, steps, start=start, noise=noise, label=t("saddle.gd_noise", sigma=f"{noise:g}")))
    runs += [Run("sgd_momentum", lr, steps, start=start, hyper=(("momentum", momentum),),
                 label=t("saddle.heavy", mu=f"{momentum:g}")),
             Run("adam", lr, steps, start=start, label=t("saddle.adam"))]
    return tuple(runs)


@common.cached(max_entries=64)
def escape_times(name, params, settings):
    """Steps to escape from (START_X, ε) for every ε of SWEEP, one ensemble per (optimizer, α, σ,
    hyper-parameters) in `settings`; member i has its own noise stream."""
    starts = np.stack([np.full(len(SWEEP), START_X[name]), SWEEP], axis=1)
    where = common.surface(name, params)
    return [escape_step(name, params, optimizers.run_ensemble(where, optimizer, starts=starts, steps=ESCAPE_STEPS, lr=lr,
                                                      noise=noise, **dict(hyper)))
            for optimizer, lr, noise, hyper in settings]


@common.cached(max_entries=1)
def minimum_fractions():
    return [surfaces.minimum_fraction(n, SAMPLES) for n in DIMENSIONS]


def heavy_ball_growth(lr, momentum):
    """The heavy ball's growth factor along −y² : the larger root of λ² − (1 + μ + 2α)λ + μ = 0."""
    b = 1.0 + momentum + 2.0 * lr
    return (b + math.sqrt(b * b - 4.0 * momentum)) / 2.0


def slope(times):
    """Least-squares slope of escape steps against ln(1/ε), over the ε that escaped."""
    x = np.log(1.0 / SWEEP)
    ok = np.isfinite(times)
    return float(np.polyfit(x[ok], times[ok], 1)[0]) if ok.sum() >= 3 else math.nan


def steps_text(step, limit):
    return t("saddle.never", steps=limit) if step is None or not np.isfinite(step) else f"{int(step)}"


@common.cached("resource", max_entries=64, hash_funcs={
    figures.Style: repr, figures.PathLine: lambda line: (line.label, line.color, line.dash, line.points.tobytes())})
def curvature_map(name, params, point, directions, style, labels, line):
    """The Hessian's axes through `point` over the map and the first run's path (the backdrop is most
    of it: built once per point, setting and language)."""
    return figures.curvature_figure(common.surface(name, params), point,
                                    [(label, colour, np.array(vector)) for label, colour, vector in directions],
                                    style=style, labels=dict(labels), backdrop=common.backdrop(name, params),
                                    path=line)


@common.section
def inspector(name, params, where, path, line, steps, style):
    """The Hessian at a point of the first run (a step, or a point typed or clicked): a student
    scrubs through it, and nothing else on the page depends on it."""
    left, right = st.columns([3, 2])
    with right:
        custom = controls.toggle(P + "custom", t("saddle.custom"), False)
        xmin, xmax, ymin, ymax = (float(v) for v in where.bounds)
        if custom:
            point = (controls.number(P + "px", t("saddle.point_x"), xmin, xmax, 0.0, 0.05),
                     controls.number(P + "py", t("saddle.point_y"), ymin, ymax, 0.0, 0.05))
        else:
            step = controls.slider(P + "inspect", t("saddle.inspect_step"), 0, steps, min(30, steps), 1)
            finite = path.points[:step + 1][np.isfinite(path.points[:step + 1]).all(axis=1)]
            point = tuple(float(v) for v in finite[-1])
        shape = surfaces.curvature(where, *point)
        gradient = where.grad(*point)
        flat = 1e-9 * max(1.0, float(np.abs(shape.eigenvalues).max()))
        kinds = ["flat" if abs(v) <= flat else ("up" if v > 0 else "down") for v in shape.eigenvalues]
        common.prose(common.table_markdown({
            t("saddle.eigenvalue"): shape.eigenvalues,
            t("saddle.direction"): [f"({v[0]:+.3f}, {v[1]:+.3f})" for v in shape.eigenvectors.T],
            t("saddle.curves"): [t(f"saddle.curves_{k}") for k in kinds]}),
            t("saddle.at_point", x=f"{point[0]:.4g}", y=f"{point[1]:.4g}", g=f"{math.hypot(*gradient):.3g}",
              index=shape.index))
        degenerate = "flat" in kinds
        st.info(t("saddle.index_degenerate" if degenerate else f"saddle.index_{shape.index}"), icon="🧭")
    with left:
        colours = {"up": POSITIVE, "down": NEGATIVE, "flat": FLAT}
        directions = tuple((f"λ{'₁₂'[k]} = {shape.eigenvalues[k]:.4g}", colours[kinds[k]],
                            tuple(float(v) for v in shape.eigenvectors[:, k])) for k in range(2))
        common.chart(curvature_map(name, params, point, directions, style, common.labels_key(), line),
                     "sd_curvature", click=common.Click(P + "px", P + "py", P + "custom", where.bounds))
        st.caption(t("saddle.click_hint"))


with st.sidebar:
    name = controls.select(P + "surface", t("saddle.surface"), SURFACES, "saddle",
                           format_func=lambda s: t(f"surface.{s}"))
    params = common.formula_controls(P + "formula", default=SADDLE_FORMULA) if name == "formula" else ()
    eps = controls.select_slider(P + "eps", t("saddle.eps"), EPSILONS, 1e-6, format_func=common.plain,
                                 help=t("saddle.eps_help"))
    lr = controls.select_slider(P + "lr", t("hyper.lr"), RATES, 0.1, format_func=common.plain)
    noise = controls.slider(P + "noise", t("saddle.noise"), 0.0, 0.1, 0.01, 0.005, fmt="%.3f",
                            help=t("common.noise_help"))
    momentum = controls.slider(P + "momentum", t("hyper.momentum"), 0.0, 0.99, 0.9, 0.01)
    steps = controls.slider(P + "steps", t("common.steps"), 20, 400, 150, 10)
    threshold = controls.select_slider(P + "threshold", t("saddle.threshold"), THRESHOLDS, 5e-2,
                                       format_func=common.plain)

where = common.surface(name, params)
start = (START_X[name], eps)
runs = race_runs(start, lr, noise, momentum, steps)
paths = common.simulate(name, params, runs)
lines = common.path_lines(runs, paths)
style = common.style()

# --- the race off the saddle ------------------------------------------------------------------------
common.header("saddle", common.heading(t("saddle.race_title", surface=t(f"surface.{name}"))))
common.chart(common.race_figure(name, params, runs, style, common.labels_key()), "sd_race")
left_at = [escape_step(name, params, path.points) for path in paths]
race_table = common.table_markdown({t("playground.col_optimizer"): [run.label for run in runs],
                                    t("saddle.escaped_at"): [steps_text(s, steps) for s in left_at],
                                    t("saddle.left_at"): ["—" if p.diverged_at is None else str(p.diverged_at)
                                                          for p in paths]})
unbounded = any(path.diverged_at is not None for path in paths)

# --- the symptom: the loss stalls while the gradient vanishes --------------------------------------------
xmin, xmax, ymin, ymax = where.bounds
on_map = [np.logical_and.accumulate((xmin <= path.points[:, 0]) & (path.points[:, 0] <= xmax) &
                                    (ymin <= path.points[:, 1]) & (path.points[:, 1] <= ymax))
          for path in paths]  # until the run first leaves the map
norms = [np.where(shown, np.hypot(*where.grad(path.points[:, 0], path.points[:, 1])), np.nan)
         for shown, path in zip(on_map, paths)]
lowest = min((where.f(*m) for m in where.minima), default=None)
stalled = norms[0] < threshold
if lowest is not None:  # a gradient near zero at the minimum itself is no stall
    stalled &= ~(paths[0].loss - lowest < 1e-3)
shapes = figures.shaded_spans(stalled)
plateau_steps = int(stalled.sum())
common.prose(common.equation(where.formula) if name == "formula" else "", race_table,
             common.small(t("saddle.unbounded")) if unbounded else "", common.heading(t("saddle.symptom_title")),
             t("saddle.symptom_intro", threshold=f"{threshold:g}", count=plateau_steps),
             common.small(t("saddle.on_map_only")))
left, right = st.columns(2)
with left:
    curves = [figures.Curve(line.label, line.color, norm, line.dash) for line, norm in zip(lines, norms)]
    common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"), y_title=t("saddle.grad_norm"),
                                      log_y=True, shapes=shapes), "sd_gradnorm")
with right:
    curves = [figures.Curve(line.label, line.color, np.where(shown, path.loss, np.nan), line.dash)
              for line, path, shown in zip(lines, paths, on_map)]
    common.chart(figures.curve_figure(curves, style=style, x_title=t("common.step"), y_title=t("common.loss"),
                                      shapes=shapes), "sd_loss")

# --- escape time against ln(1/ε) ---------------------------------------------------------------------------
times = escape_times(name, params, tuple((run.optimizer, run.lr, run.noise, run.hyper) for run in runs))
log_inverse = np.log(1.0 / SWEEP)
growth = {"gd": 1.0 + 2.0 * lr, "sgd_momentum": heavy_ball_growth(lr, momentum)}
curves = [figures.Curve(line.label, line.color, steps_, x=log_inverse, mode="markers",
                        symbol="circle-open" if run.noise else "circle")
          for run, line, steps_ in zip(runs, lines, times)]
if name == "saddle":
    escape_intro = t("saddle.escape_intro", d=f"{ESCAPE_DISTANCE:g}", growth=f"{growth['gd']:.4g}")
    curves.append(figures.Curve(t("saddle.closed_gd"), lines[0].color, np.log(ESCAPE_DISTANCE / SWEEP) /
                                math.log(growth["gd"]), dash="dot", x=log_inverse, mode="lines"))
    heavy = next(line for run, line in zip(runs, lines) if run.optimizer == "sgd_momentum")
    curves.append(figures.Curve(t("saddle.closed_heavy"), heavy.color, np.log(ESCAPE_DISTANCE / SWEEP) /
                                math.log(growth["sgd_momentum"]), dash="dot", x=log_inverse, mode="lines"))
else:
    escape_intro = t(f"saddle.escape_intro_{name}", d=f"{ESCAPE_DISTANCE:g}")
common.prose(common.heading(t("saddle.escape_title")), escape_intro)
here = [{"type": "line", "xref": "x", "yref": "paper", "x0": math.log(1 / eps), "x1": math.log(1 / eps),
         "y0": 0, "y1": 1, "line": {"color": "#888", "width": 2, "dash": "dash"}}]
common.chart(figures.curve_figure(curves, style=style, x_title=t("saddle.log_inverse_eps"),
                                  y_title=t("saddle.escape_steps"), shapes=here), "sd_escape")
slopes = [slope(steps_) for steps_ in times]
closed = [f"{1.0 / math.log(growth[run.optimizer]):.4g}"
          if name == "saddle" and run.optimizer in growth and not run.noise else "—" for run in runs]
index_at = int(np.argmin(np.abs(SWEEP - eps)))
escape_table = {t("playground.col_optimizer"): [run.label for run in runs],
                t("saddle.escape_at_eps", eps=f"{eps:g}"): [steps_text(s[index_at], ESCAPE_STEPS) for s in times]}
if name == "saddle":  # only there is the escape time a straight line in ln(1/ε)
    escape_table[t("saddle.slope_measured")] = [f"{v:.4g}" if np.isfinite(v) else "—" for v in slopes]
    escape_table[t("saddle.slope_closed")] = closed
common.prose(common.table_markdown(escape_table),
             # --- the curvature inspector ---
             common.heading(t("saddle.inspector_title")))
inspector(name, params, where, paths[0], lines[0], steps, style)

# --- in n dimensions --------------------------------------------------------------------------------------
common.prose(common.heading(t("saddle.dimensions_title")), t("saddle.dimensions_intro", samples=f"{SAMPLES:,}"))
census = minimum_fractions()
dims = np.array(DIMENSIONS, dtype=float)
fractions = np.array([fraction for fraction, _ in census])
found = fractions > 0
curves = [figures.Curve(t("saddle.sampled"), "#0072B2", np.where(found, fractions, np.nan), x=dims,
                        mode="lines+markers"),
          figures.Curve(t("saddle.coin"), "#777777", 0.5 ** dims, dash="dot", x=dims, mode="lines")]
if not found.all():
    curves.append(figures.Curve(t("saddle.none_found", bound=f"{3 / SAMPLES:.0e}"), "#0072B2",
                                np.where(found, np.nan, 3.0 / SAMPLES), x=dims, mode="markers",
                                symbol="triangle-down-open"))
left, right = st.columns([3, 2])
with left:
    common.chart(figures.curve_figure(curves, style=style, x_title=t("saddle.dimension"),
                                      y_title=t("saddle.fraction_minima"), log_y=True), "sd_dimensions")
with right:
    common.table({"n": DIMENSIONS, t("saddle.minima_found"): [count for _, count in census],
                               t("saddle.fraction_minima"): [f"{f:.2g}" if f else f"< {3 / SAMPLES:.0e}"
                                                             for f in fractions],
                               "2⁻ⁿ": [f"{0.5 ** n:.3g}" for n in DIMENSIONS]})

with st.expander(t("common.update_rule"), expanded=True):
    common.prose(
        common.equation(rf"\begin{{gathered}}y_{{t+1}} = y_t - \alpha\,(-2y_t) = (1 + 2\alpha)\,y_t = "
                        rf"{growth['gd']:.4g}\,y_t \\ \Rightarrow\quad t_{{\text{{escape}}}} \approx "
                        rf"\frac{{\ln(d/\varepsilon)}}{{\ln(1+2\alpha)}} = "
                        rf"{math.log(ESCAPE_DISTANCE / eps) / math.log(growth['gd']):.1f}\end{{gathered}}"),
        common.equation(rf"y_{{t+1}} = (1 + \mu + 2\alpha)\,y_t - \mu\,y_{{t-1}}\quad\Rightarrow\quad"
                        rf"\lambda^2 - {1 + momentum + 2 * lr:.4g}\,\lambda + {momentum:g} = 0,\ "
                        rf"\lambda = {growth['sgd_momentum']:.4g}"),
        common.rules_markdown([run for run in runs if not run.noise]))

low, high = int(np.argmin(np.abs(SWEEP - 1e-2))), int(np.argmin(np.abs(SWEEP - 1e-8)))
common.what_to_notice("saddle", gd_high=steps_text(times[0][low], ESCAPE_STEPS),
                      gd_low=steps_text(times[0][high], ESCAPE_STEPS),
                      per_decade=f"{slopes[0] * math.log(10):.1f}",
                      closed=f"{math.log(10) / math.log(growth['gd']):.1f}",
                      noisy=steps_text(times[1][index_at], ESCAPE_STEPS) if noise > 0 else "—",
                      sigma=f"{noise:g}", eps=f"{eps:g}", adam=steps_text(times[-1][index_at], ESCAPE_STEPS),
                      heavy=steps_text(times[-2][index_at], ESCAPE_STEPS),
                      minima5=f"{fractions[4]:.2g}")
