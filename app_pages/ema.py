"""Lesson 1: exponentially weighted averages — the notes' week, a year in Seattle, the weights, lag."""

import math

import numpy as np
import pandas as pd
import streamlit as st

import figures
import optimizers
from app_pages import common, controls
from app_pages.i18n import t

P = "ema_"
WEEK = np.array([10.0, 16.0, 12.0, 14.0, 18.0, 11.0, 15.0])  # the notes' example (seed 000)
LECTURE = ((0.5, "#E69F00", "yellow"), (0.9, "#D55E00", "red"), (0.98, "#009E73", "green"))  # the lecture's
YOURS = "#0072B2"
YEARS = (2012, 2013, 2014, 2015)


@common.cached(max_entries=len(YEARS))
def daily_highs(year):
    """Seattle's daily maximum temperatures (°C) for one year, from vega_datasets' offline copy."""
    from vega_datasets import data
    weather = data.seattle_weather()
    days = weather[weather["date"].dt.year == year]
    return days["temp_max"].to_numpy(dtype=np.float64)


FOLLOW = 1.0 - 1.0 / math.e  # "following a jump": having moved 63.2 % of the way
CATCH_UP = 2.0  # °C: the uncorrected average has caught up once it stays this close to the corrected one


def days_to_follow(beta):
    """Days until the average has moved 1 − 1/e of the way after a jump: 1 − βᵏ ≥ 1 − 1/e."""
    return 1 if beta == 0 else math.ceil(-1.0 / math.log(beta))


def window_days_to_follow(n):
    """The same for a sliding mean of n days, which has moved k/n of the way after k days."""
    return math.ceil(FOLLOW * n - 1e-12)


def catch_up_day(values, beta):
    """The first day from which the uncorrected average stays within CATCH_UP of the corrected one."""
    apart = np.nonzero(np.abs(optimizers.ema(values, beta) - optimizers.ema(values, beta, bias_correction=True))
                       >= CATCH_UP)[0]
    return int(apart[-1]) + 2 if len(apart) else 1


def wobble(values):
    return float(np.std(np.diff(values)))


with st.sidebar:
    beta = controls.slider(P + "beta", t("ema.beta"), 0.0, 0.99, 0.9, 0.01)
    correct = controls.toggle(P + "correct", t("ema.correct"), False)
    year = controls.select(P + "year", t("ema.year"), YEARS, 2012)
style = common.style()

# --- a year in Seattle ---------------------------------------------------------------------------
common.header("ema", common.heading(t("ema.year_title")))
highs = daily_highs(year)
day_numbers = np.arange(1, len(highs) + 1)
curves = [figures.Curve(t("ema.lecture_beta", beta=b), colour,
                        optimizers.ema(highs, b, bias_correction=correct), x=day_numbers)
          for b, colour, _ in LECTURE]
lecture_match = next((name for b, _, name in LECTURE if abs(beta - b) < 1e-9), None)
if lecture_match is None:
    curves.append(figures.Curve(t("ema.your_beta", beta=f"{beta:g}"), YOURS,
                                optimizers.ema(highs, beta, bias_correction=correct), x=day_numbers))
raw = figures.Curve(t("ema.raw"), "#7f7f7f", highs, x=day_numbers)
common.chart(figures.series_figure(curves, backdrop_curves=[raw], style=style, x_title=t("ema.day"),
                                   y_title=t("ema.temperature")), "ema_year")
year_text = t("ema.year_intro") + " " + (t("ema.yours_blue") if lecture_match is None else
                                        t("ema.yours_lecture", beta=f"{beta:g}",
                                          colour=t(f"ema.colour_{lecture_match}")))
rule = common.equation(r"v_t = " + f"{beta:g}" + r"\, v_{t-1} + " + f"{1 - beta:.4g}" + r"\, x_t"
                   + (r",\qquad \hat v_t = \frac{v_t}{1 - " + f"{beta:g}" + r"^t}" if correct else ""))

# --- the notes' week -------------------------------------------------------------------------
averages = optimizers.ema(WEEK, beta)
corrected = optimizers.ema(WEEK, beta, bias_correction=True)
days = np.arange(1, len(WEEK) + 1)
common.prose(year_text, rule, common.heading(t("ema.week_title")), t("ema.week_intro"), common.table_markdown({
    t("ema.col_day"): days,
    t("ema.col_x"): WEEK,
    t("ema.col_v"): averages,
    t("ema.col_vhat"): corrected,
    t("ema.col_weight"): optimizers.ema_weights(beta, len(WEEK))[::-1],
    t("ema.col_total"): 1.0 - beta ** days,
}, formats={name: ".4g" for name in (t("ema.col_v"), t("ema.col_vhat"), t("ema.col_weight"), t("ema.col_total"))}))
weekend = controls.slider(P + "weekend", t("ema.weekend"), 1, 10, 3, 1)
weights = np.array([1, 1, 1, 1, 1, weekend, weekend], dtype=np.float64)  # Monday … Sunday
left, middle, right = st.columns(3)
left.metric(t("ema.plain_mean"), f"{WEEK.mean():.4g}")
middle.metric(t("ema.weighted_mean", w=weekend), f"{np.dot(weights, WEEK) / weights.sum():.4g}")
right.metric(t("ema.ema_mean", beta=f"{beta:g}"), f"{corrected[-1]:.4g}")
st.caption(t("ema.means_caption"))
previous = np.concatenate([[0.0], averages[:2]])  # v₀ = 0
steps = [rf"v_{k} = {beta:g}\cdot {previous[k - 1]:.4g} + {1 - beta:.4g}\cdot {WEEK[k - 1]:g} = {averages[k - 1]:.4g}"
         for k in (1, 2, 3)]
first_steps = (common.equation(r",\quad ".join(steps[:2])),
               common.equation(steps[2] + rf",\qquad \hat v_3 = \frac{{{averages[2]:.4g}}}{{1 - {beta:g}^3}} = {corrected[2]:.4g}"))

# --- bias correction, and why it is often skipped ---------------------------------------------
first = (1 - 0.98) * 40
n_eff = 1.0 / (1.0 - beta)
multiples = (1, 2, 3, 5)
at_multiples = [math.ceil(round(k * n_eff, 9)) for k in multiples]
factors = [1.0 / (1.0 - beta ** step) for step in at_multiples]
caught = catch_up_day(highs, 0.98)
common.prose(*first_steps, common.heading(t("ema.bias_title")),
             t("ema.bias_intro", v1=f"{first:g}", vhat1=f"{first / (1 - 0.98):g}"),
             common.table_markdown({
                 t("ema.col_t"): [t("ema.t_multiple", k=k, t=step) for k, step in zip(multiples, at_multiples)],
                 t("ema.col_factor"): factors,
             }, formats={t("ema.col_factor"): ".4f"}),
             t("ema.skipped", one=f"{factors[0]:.3g}", three=f"{100 * (1 - 1 / factors[2]):.2g}", year=year,
               day=caught, months=f"{caught / 30.44:.1f}"),
             # --- the weights ---
             common.heading(t("ema.kernel_title")), t("ema.kernel_intro"))
memory = n_eff
horizon = int(max(30, math.ceil(4 * memory)))
weights = optimizers.ema_weights(beta, horizon + 1)
shapes = [{"type": "line", "x0": memory, "x1": memory, "y0": 0, "y1": float(weights[0]), "yref": "y",
           "line": {"color": YOURS, "width": 3, "dash": "dash"}},
          {"type": "line", "x0": 0, "x1": horizon, "y0": float(weights[0] / math.e), "y1": float(weights[0] / math.e),
           "line": {"color": "#7f7f7f", "width": 2, "dash": "dot"}}]
left, right = st.columns([3, 1])
with left:
    common.chart(figures.curve_figure([figures.Curve(t("ema.weight"), YOURS, weights)], style=style,
                                      x_title=t("ema.days_back"), y_title=t("ema.weight"), mode="lines+markers",
                                      shapes=shapes), "ema_kernel")
with right:
    st.metric(t("ema.n_eff"), f"{memory:.3g}")
    st.metric(t("ema.e_point"), f"{beta ** memory:.4f}", help="1/e = 0.3679")

# --- lag against smoothness ----------------------------------------------------------------------
window = max(1, int(round(memory)))
sliding = pd.Series(highs).rolling(window, min_periods=1).mean().to_numpy()
smoothed = optimizers.ema(highs, beta, bias_correction=True)
window_name = t("ema.window", n=window) if window > 1 else t("ema.window_one")
rows = []
for b in sorted({0.5, 0.9, 0.98, beta}):
    rows.append({t("ema.col_average"): t("ema.ema_name", beta=f"{b:g}"), t("ema.col_memory"): 1,
                 t("ema.col_lag"): days_to_follow(b),
                 t("ema.col_rough"): wobble(optimizers.ema(highs, b, bias_correction=True))})
rows.append({t("ema.col_average"): window_name, t("ema.col_memory"): window,
             t("ema.col_lag"): window_days_to_follow(window), t("ema.col_rough"): wobble(sliding)})
rows.append({t("ema.col_average"): t("ema.raw"), t("ema.col_memory"): 1, t("ema.col_lag"): window_days_to_follow(1),
             t("ema.col_rough"): wobble(highs)})
common.prose(common.heading(t("ema.lag_title")),
             t("ema.lag_intro", n=window, beta=f"{beta:g}", ema_lag=days_to_follow(beta),
               window_lag=window_days_to_follow(window), ema_wobble=f"{wobble(smoothed):.2f}",
               window_wobble=f"{wobble(sliding):.2f}"),
             common.table_markdown(rows, formats={t("ema.col_rough"): ".2f"}))
comparison = [figures.Curve(t("ema.ema_name", beta=f"{beta:g}"), YOURS, smoothed, x=day_numbers),
              figures.Curve(window_name, "#CC79A7", sliding, dash="dash", x=day_numbers)]
common.chart(figures.curve_figure(comparison, style=style, x_title=t("ema.day"), y_title=t("ema.temperature")),
             "ema_window")

st.page_link("app_pages/momentum.py", label=t("ema.forward"), icon="➡️")
common.what_to_notice("ema", day=caught, months=f"{caught / 30.44:.1f}")
