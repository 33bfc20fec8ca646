"""Adagrad, explained: the router. Pages live in pages/; this file only wires them up.

Each page's file name equals its URL path (pages/sparse-features.py for /sparse-features): on a
freshly started server Streamlit first resolves a deep link against the pages/ folder, and a
matching name avoids a "Page not found" dialog before ui.ensure_router hands over to this file.
"""

import streamlit as st

import adagrad_app.preload  # noqa: F401 (first: every module of the app, once; see its docstring)

st.set_page_config(page_title="Adagrad, explained", page_icon="📉", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Start here", icon="🏠", default=True),
    st.Page("pages/trajectories.py", title="Trajectories", icon="🏔️", url_path="trajectories"),
    st.Page(
        "pages/sparse-features.py", title="Sparse features", icon="🧮", url_path="sparse-features"
    ),
    st.Page("pages/formula.py", title="The formula", icon="🔎", url_path="formula"),
]

st.navigation(PAGES).run()
