"""The Streamlit pages: one thin module per lesson, plus the shared controls, strings and helpers."""
