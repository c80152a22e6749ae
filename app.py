"""Descent Lab: the router. Page config, the settings sidebar, navigation, notices about bad links."""

import logging

import streamlit as st

import surfaces  # noqa: F401  (sets Numba's cache folder before any kernel loads)
from app_pages import common, controls
from app_pages.i18n import t

st.set_page_config(page_title="Descent Lab", page_icon="📉", layout="wide",
                   initial_sidebar_state="collapsed" if common.projector_requested() else "expanded")
controls.begin_run()
common.settings_sidebar()
common.home_at_its_name()
navigation = st.navigation(common.pages())
notice = st.empty()
try:
    navigation.run()
except Exception:  # Streamlit's own rerun and stop signals are BaseExceptions: they pass through
    # The visitor sees one calm sentence; the log keeps the traceback (client.showErrorDetails
    # = "none" covers whatever escapes this).
    logging.getLogger("descent_lab").exception("page %s failed", navigation.url_path)
    st.error(t("app.error"), icon="🛠️")
else:
    controls.drop_unclaimed()
bad_values = controls.take_notices()
if bad_values:
    items = "\n".join(f"- {t('app.url_notice_item', **item)}" for item in bad_values)
    notice.warning(f"{t('app.url_notice')}\n{items}", icon="🔗")
