"""Home: what Descent Lab is, and one click into each lesson's demo."""

from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages.i18n import t

PAGES = Path(__file__).parent
# Each lesson's one-click demo: its icon and the URL settings that set the scene.
DEMOS = {
    "ema": ("📈", {"ema_beta": "0.98"}),
    "minibatch": ("🎲", {"mb_batch": "8"}),
    "momentum": ("🏔️", {"mo_equal": "false"}),
    "adaptive": ("📐", {"rms_angle": "0"}),
    "adam": ("🧭", {"adam_correct": "false"}),
    "decay": ("📉", {"dc_schedule": "step"}),
    "saddle": ("🐎", {"sd_eps": "1e-08"}),
    "sharp_flat": ("🎯", {"sf_batch": "4"}),
    "normalization": ("⚖️", {"fn_scaling": "0.5"}),
    "batchnorm": ("🧮", {"bn_lr": "2"}),
    "regularization": ("◆", {"rg_lambda": "1.5"}),
    "network": ("🧠", {"nw_schedule": "decay"}),
}

common.prose(f"# {t('home.title')}", f"### {t('home.tagline')}", t("home.intro"), common.heading(t("home.lab")))
with st.container(border=True):
    st.markdown(f"**🧪 {t('pages.playground')}** — {t('home.playground_blurb')}")
    st.page_link(PAGES / "playground.py", label=t("home.demo"), icon="▶️",
                 query_params={"pg_surface": "rosenbrock"})

common.prose(common.heading(t("home.lessons")))
columns = st.columns(3)
for index, (number, name) in enumerate(common.LESSONS):
    icon, params = DEMOS[name]
    with columns[index % 3], st.container(border=True):
        common.titled(f"{icon} {number}. {t(f'pages.{name}')}", t(f"home.{name}_blurb"))
        st.page_link(PAGES / f"{name}.py", label=t("home.demo"), icon="▶️", query_params=params)
