"""The one-chart app (baseline_app.py) inside a page of a lesson's size: its slider and chart in an
st.fragment, so that a change reruns, sends and redraws only them, amid 40 unchanged text elements
(a lesson's rerun sends 36–45 elements). The least slider → chart a lesson page could have in
Streamlit's frontend however it were built: the frontend's work on a rerun grows with the elements
on the page, sent again or not."""

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import figures  # noqa: E402
import optimizers  # noqa: E402

TEXTS = 40
with st.sidebar:
    for k in range(TEXTS // 4):
        st.markdown(f"A control's place **{k}**")
for k in range(TEXTS // 4):
    st.markdown(f"A paragraph with a formula, $v_{{{k}}} = \\beta v_{{{k - 1}}} + (1 - \\beta)\\,\\theta_{{{k}}}$.")


@st.fragment
def chart():
    beta = st.slider("β", 0.0, 0.99, 0.8, 0.01, key="beta")
    x = np.arange(365.0)
    y = 10 + 8 * np.sin(x / 58) + np.random.default_rng(0).normal(0, 3, 365)
    curves = [figures.Curve("β = 0.5", "#E69F00", optimizers.ema(y, 0.5), x=x),
              figures.Curve(f"β = {beta:g}", "#0072B2", optimizers.ema(y, beta), x=x)]
    st.plotly_chart(figures.curve_figure(curves, style=figures.NORMAL, x_title="day", y_title="°C"), key="chart")


chart()
for k in range(TEXTS // 2):
    st.markdown(f"### A heading {k}\nA paragraph of **prose** under it, with $\\alpha = 0.0{k}$ in it.")
