import streamlit as st

from adagrad_app.ui import ensure_router

ensure_router()

st.title("Adagrad, explained")
st.markdown(
    """
A student asked three questions about Adagrad:

1. Adagrad gives **infrequent features larger learning rates**. Why would a *larger* step on the
   most decisive parameters help, rather than make them less precise?
2. Where in the update formula is the **frequency** of a feature?
3. If updates happen after a **mini-batch**, how does frequency still change how often a
   parameter is adjusted?
"""
)
st.page_link(
    "pages/trajectories.py", label="Trajectories: optimizers racing on loss surfaces", icon="🏔️"
)
st.page_link(
    "pages/sparse-features.py", label="Sparse features: rare features and mini-batches", icon="🧮"
)
st.page_link("pages/formula.py", label="The formula, term by term", icon="🔎")
