"""Start here: the takeaway, the student's three questions and the chart that answers each,
the lesson gallery, the glossary and the references."""

import streamlit as st

import adagrad_app.preload  # noqa: F401 (first: every module of the app, once)
from adagrad_app.lesson_ui import lesson_query
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

st.header("Lessons, in order")
st.caption(
    "Each lesson asks a question first, then shows the run that answers it. Share a link with "
    "a class as it is, add `&lock=1` for a view without controls, or `&reveal=1` to open it "
    "answered."
)
for row in range(0, len(SCENARIOS), 2):
    cols = st.columns(2)
    for col, (n, sc) in zip(cols, list(enumerate(SCENARIOS, 1))[row : row + 2], strict=False):
        with col.container(border=True):
            label = f"**{n}. {sc.title}**"
            st.page_link(sc.page, label=label, icon=sc.icon, query_params=lesson_query(sc))
            st.caption(sc.question)

st.header("Glossary", anchor="glossary")
for term, meaning in GLOSSARY:
    st.markdown(f"**{term}**: {meaning}")

st.header("Read further")
for ref in REFERENCES:
    st.markdown(ref)
st.caption("The app itself needs no internet; these links do.")
