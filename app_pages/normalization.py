"""Lesson 9: feature normalisation — raw features on very different scales against z-scored ones:
the contour maps, the Hessian's condition number, the largest stable α and gradient descent's
iterations, with a control for the scalings in between."""

import math

import numpy as np
import streamlit as st

import optimizers
import surfaces
from app_pages import common, controls
from app_pages.common import Run
from app_pages.i18n import t

P = "fn_"
TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-6)
CAP = 20_000  # gradient descent's iterations are counted up to here
PERSON = np.array([40.0, 60_000.0])  # a new person: age 40, salary 60 000


def spectrum(params):
    """λ_min, λ_max of H = X'ᵀX'/m, κ, the largest stable α and the best fixed α = 2/(λ_min + λ_max)."""
    low, high = np.linalg.eigvalsh(common.surface("features", params).hessian(0.0, 0.0))
    return low, high, high / low, 2.0 / high, 2.0 / (low + high)


def iterations_bound(kappa, tolerance):
    """GD at α = 2/(λ_min + λ_max) shrinks the error by (κ − 1)/(κ + 1) a step: the steps to shrink it
    by `tolerance` in the worst direction."""
    rate = (kappa - 1.0) / (kappa + 1.0)
    return 0 if rate <= 0 else math.ceil(math.log(tolerance) / math.log(rate))


@common.cached(max_entries=64)
def measured_iterations(params, tolerance):
    """The steps gradient descent at the best fixed α takes to come within tolerance·‖w*‖ of w*."""
    where = common.surface("features", params)
    *_, best = spectrum(params)
    path = optimizers.run(where, "gd", steps=CAP, lr=best)
    return optimizers.first_within(path.points, where.minima, tolerance * float(np.hypot(*where.minima[0])))


with st.sidebar:
    by = controls.select(P + "by", t("normalization.by"), surfaces.SCALE_BY, "std",
                         format_func=lambda b: t(f"normalization.by_{b}"))
    scaling = controls.slider(P + "scaling", t("normalization.scaling"), 0.0, 1.0, 1.0, 0.05,
                              help=t("normalization.scaling_help"))
    steps = controls.slider(P + "steps", t("normalization.steps"), 10, 200, 40, 10)
    tolerance = controls.select_slider(P + "tolerance", t("normalization.tolerance"), TOLERANCES, 1e-3,
                                       format_func=common.plain)

raw_params = (("by", by), ("scaling", 0.0))
your_params = (("by", by), ("scaling", scaling))
style = common.style()
raw_spectrum, your_spectrum = spectrum(raw_params), spectrum(your_params)
names = {"raw": t("normalization.raw"), "yours": t("normalization.yours", s=common.plain(scaling),
                                                     by=t(f"normalization.by_{by}"))}

# --- the stage: the same race on both maps -------------------------------------------------------------
common.header("normalization", common.heading(t("normalization.race_title")))
races = {}
for key, params, spec in (("raw", raw_params, raw_spectrum), ("yours", your_params, your_spectrum)):
    run = (Run("gd", spec[4], steps, label=t("normalization.gd", lr=common.number(spec[4], 3))),)
    races[key] = (params, run, common.simulate("features", params, run))
labels = tuple(sorted({**common.map_labels(), "x": t("normalization.w_age"), "y": t("normalization.w_salary")}.items()))
common.chart([common.race_figure("features", params, run, style, labels, title=names[key])
              for key, (params, run, _) in races.items()], "fn_race")  # one Play drives both maps
for key, (_, run, paths) in races.items():
    common.report_divergence(run, paths, where=names[key])

# --- the numbers, from the data ------------------------------------------------------------------------
rows = [(t("normalization.raw"), raw_params), (t("normalization.by_range"), (("by", "range"), ("scaling", 1.0))),
        (t("normalization.by_std"), (("by", "std"), ("scaling", 1.0)))]
if scaling not in (0.0, 1.0):
    rows.append((names["yours"], your_params))
table = []
for name, params in rows:
    low, high, kappa, stable, best = spectrum(params)
    reached = measured_iterations(params, tolerance)
    table.append({t("normalization.col_scaling"): name, "λ_min": common.number(low, 4),
                  "λ_max": common.number(high, 4), "κ = λ_max/λ_min": common.number(kappa, 4),
                  t("normalization.col_stable"): common.number(stable, 3),
                  t("normalization.col_bound"): f"{iterations_bound(kappa, tolerance):,}".replace(",", " "),
                  t("normalization.col_measured"): (t("normalization.more_than", cap=f"{CAP:,}".replace(",", " "))
                                                     if reached is None else str(reached))})
numbers = (common.heading(t("normalization.numbers_title")), common.table_markdown(table), common.equation(
    r"x'_j = \frac{x_j - \mu_j}{" + (r"\sigma_j" if by == "std" else r"r_j") + rf"^{{{scaling:g}}}}},\qquad "
    r"H = \tfrac1m X'^\top X',\qquad \kappa = \frac{\lambda_{\max}(H)}{\lambda_{\min}(H)},\qquad "
    r"\alpha < \frac{2}{\lambda_{\max}}"), t("normalization.numbers_intro", tol=common.plain(tolerance)))

# --- the same statistics for new data --------------------------------------------------------------------
X, y = surfaces.feature_samples()
stats = surfaces.feature_statistics(X)
X_test, _ = surfaces.feature_samples(seed=1)
test_stats = surfaces.feature_statistics(X_test)
w_z = np.array(common.surface("features", (("by", by), ("scaling", 1.0))).minima[0])


def prediction(mean, scale):
    return float(y.mean() + w_z @ ((PERSON - mean) / scale))


truth = float(PERSON @ np.array([0.3, 0.0002]))
common.prose(t("normalization.race_intro", steps=steps), *numbers, common.heading(t("normalization.test_title")),
             t("normalization.test_intro", by=t(f"normalization.by_{by}")), common.table_markdown({
    t("normalization.col_statistic"): [t("normalization.train_stats"), t("normalization.test_stats")],
    **{f"{symbol} {t(f'normalization.{feature}')}": [common.number(stats[key][j], 4 + j),
                                                      common.number(test_stats[key][j], 4 + j)]
       for symbol, key in (("μ", "mean"), (t(f"normalization.short_{by}"), by))
       for j, feature in enumerate(("age", "salary"))},
    t("normalization.col_prediction"): [common.number(prediction(stats["mean"], stats[by]), 4),
                                        common.number(prediction(test_stats["mean"], test_stats[by]), 4)],
             }), t("normalization.test_result", right=common.number(prediction(stats["mean"], stats[by]), 4),
                   wrong=common.number(prediction(test_stats["mean"], test_stats[by]), 4),
                   truth=common.number(truth, 4)))

common.what_to_notice("normalization", raw_kappa=common.number(raw_spectrum[2], 3),
                      z_kappa=common.number(spectrum((("by", "std"), ("scaling", 1.0)))[2], 3),
                      raw_bound=f"{iterations_bound(raw_spectrum[2], tolerance):,}".replace(",", " "),
                      half_kappa=common.number(spectrum((("by", by), ("scaling", 0.5)))[2], 3),
                      stable=common.number(raw_spectrum[3], 3))
