"""Start here: the takeaway, the student's three questions and the chart that answers each,
the lesson gallery, the glossary and the references."""

import streamlit as st

from adagrad_app.scenarios import SCENARIOS
from adagrad_app.texts import GLOSSARY, QUESTIONS, REFERENCES, TAKEAWAY
from adagrad_app.ui import ensure_router

ensure_router()

st.title("📉 Adagrad, explained")
st.markdown(TAKEAWAY)

st.header("Three questions, and the chart that answers each")
for q in QUESTIONS:
    with st.container(border=True):
        st.markdown(f"**{q.number}. {q.question}**")
        st.page_link(q.page, label=q.where, icon=q.icon)
        st.caption(q.short)

st.header("The pages")
left, mid, right = st.columns(3)
with left:
    st.page_link("pages/trajectories.py", label="**Trajectories**", icon="🏔️")
    st.caption("Optimizers race on 2-D loss surfaces: see each coordinate get its own step.")
with mid:
    st.page_link("pages/sparse-features.py", label="**Sparse features**", icon="🧮")
    st.caption("Rare and frequent features, SGD at its best rate against Adagrad.")
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

st.header("Glossary", anchor="glossary")
for term, meaning in GLOSSARY:
    st.markdown(f"**{term}**: {meaning}")

st.header("Read further")
for ref in REFERENCES:
    st.markdown(ref)
st.caption("The app itself needs no internet; these links do.")
