"""Descent Lab: an interactive loss-surface laboratory (the shell grows in later issues)."""

import streamlit as st

import optimizers
import surfaces

st.set_page_config(page_title="Descent Lab", layout="wide")
st.title("Descent Lab")
path = optimizers.run("rosenbrock", "adam", steps=300, lr=0.05)
st.line_chart({"loss": path.loss})
