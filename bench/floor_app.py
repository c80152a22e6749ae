"""The one-chart app (baseline_app.py) inside a page of a lesson's size: the app itself runs in an
st.fragment, so that a change reruns, sends and redraws only its slider and chart, amid 40
unchanged text elements (a lesson's change sends 22–70 messages). The least slider → chart a
lesson-sized page could have in Streamlit's frontend however it were built: the frontend's work on
a rerun grows with the elements on the page, sent again or not."""

import runpy
from pathlib import Path

import streamlit as st

TEXTS = 40
BASELINE = str(Path(__file__).with_name("baseline_app.py"))
with st.sidebar:
    for k in range(TEXTS // 4):
        st.markdown(f"A control's place **{k}**")
for k in range(TEXTS // 4):
    st.markdown(f"A paragraph with a formula, $v_{{{k}}} = \\beta v_{{{k - 1}}} + (1 - \\beta)\\,\\theta_{{{k}}}$.")
st.fragment(lambda: runpy.run_path(BASELINE))()
for k in range(TEXTS // 2):
    st.markdown(f"### A heading {k}\nA paragraph of **prose** under it, with $\\alpha = 0.0{k}$ in it.")
