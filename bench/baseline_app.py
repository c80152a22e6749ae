"""The smallest app like ours: one slider, one line chart — the floor for slider → chart latency."""

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import figures  # noqa: E402
import optimizers  # noqa: E402

beta = st.slider("β", 0.0, 0.99, 0.8, 0.01, key="beta")
x = np.arange(365.0)
y = 10 + 8 * np.sin(x / 58) + np.random.default_rng(0).normal(0, 3, 365)
curves = [figures.Curve("β = 0.5", "#E69F00", optimizers.ema(y, 0.5), x=x),
          figures.Curve(f"β = {beta:g}", "#0072B2", optimizers.ema(y, beta), x=x)]
st.plotly_chart(figures.curve_figure(curves, style=figures.NORMAL, x_title="day", y_title="°C"), key="chart")
