"""Start here: the student's three questions, where each is answered, and the scenario gallery."""

import streamlit as st

from adagrad_app.scenarios import SCENARIOS
from adagrad_app.ui import ensure_router

ensure_router()

st.title("📉 Adagrad, explained")
st.markdown(
    """
A student asked three questions about Adagrad, and got only half an answer:

1. Adagrad gives **infrequent features larger learning rates**. Why would a *larger* step on the
   most decisive parameters help, rather than make them less precise?
2. Where in the update formula is the **frequency** of a feature?
3. If updates happen after a **mini-batch**, how does frequency still change how often a
   parameter is adjusted?

Each page below answers with a live simulation: move a slider, and the numbers in the text
follow the run.
"""
)

left, mid, right = st.columns(3)
with left:
    st.page_link("pages/trajectories.py", label="**Trajectories**", icon="🏔️")
    st.caption("Optimizers race on 2-D loss surfaces: see each coordinate get its own step.")
with mid:
    st.page_link("pages/sparse-features.py", label="**Sparse features**", icon="🧮")
    st.caption("Rare and frequent features, SGD vs Adagrad, and what mini-batches change.")
with right:
    st.page_link("pages/formula.py", label="**The formula**", icon="🔎")
    st.caption("The update rule term by term, with the live numbers of a real run.")

st.header("Scenarios for a lesson")
st.caption(
    "Each link opens a page set up for one lesson. Share it with a class as it is, or add "
    "`&lock=1` to its address for a view without controls."
)
for row in range(0, len(SCENARIOS), 2):
    cols = st.columns(2)
    for col, sc in zip(cols, SCENARIOS[row : row + 2], strict=False):
        with col.container(border=True):
            st.page_link(sc.page, label=f"**{sc.title}**", icon=sc.icon, query_params=sc.query)
            st.caption(f"Notice: {sc.notice}")
