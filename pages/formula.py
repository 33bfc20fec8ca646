"""The formula, step by step: Adagrad's rule with the numbers of a real run under its terms.

Wiring only: settings and cached runs (adagrad_app.formula_view) -> the rule's KaTeX
(formula_tex), the sentences the run bears out (claims_formula, claims_step) and the charts
(fig_formula) -> the page. Steps are counted from 1 (the first update), as on the
Trajectories page; the URL's ``t`` is that step.
"""

import inspect

import streamlit as st

import adagrad_app.preload  # noqa: F401 (first: every module of the app, once)
from adagrad_app import claims_formula as claims
from adagrad_app import formula_tex as ft
from adagrad_app import formula_view as V
from adagrad_app import instant, lesson_ui, ui
from adagrad_app.claims_step import StepView, convention, step_paragraphs, step_table
from adagrad_core import optimizers
from adagrad_core.surfaces import SURFACES

st.title("🔎 The formula, step by step")
V.phone_css()
V.mend_old_link()
schema = V.schema_for(V.current_surface())
P = V.by_key(schema)
S = ui.Settings(schema, V.PAGE)
v = S.values()
if v["t"] > v["steps"]:
    S.adjust(claims.beyond(v["t"], v["steps"]), t=v["steps"])
S.show_notes()
v = S.sync()
surface = SURFACES[v["surface"]]
run = V.run_for(v)
done = run.done
decay = run.lr_decay > 0


def controls() -> None:
    """The sidebar, drawn from the settings' declarations. Drawn after the charts: a rerun
    sends elements in the order they are drawn, so the browser gets the charts first."""
    if S.locked:
        return
    with st.sidebar:
        ui.widgets(V.sidebar(schema), v)
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


def intro() -> None:
    """What the run is: the surface (or the sparse stream) and its settings."""
    st.caption(claims.run_intro(run, surface.label, surface.lesson))
    if table := claims.sparse_table(run):
        st.table(table, hide_index=True)


def rule_section() -> None:
    """Adagrad's rule, with the constants of this run but none of its steps' numbers."""
    st.subheader("The rule")
    st.markdown(claims.BRIDGE)
    if not S.locked:
        c1, c2 = st.columns([3, 2])
        with c1:
            ui.widget(P["eps_at"])
        with c2:
            ui.widget(P["compare"])
    st.latex(ft.rule_tex(run.eps_at, decay))
    st.latex(ft.legend_tex(run.eps, run.lr, run.eps_at, run.lr_decay))
    st.caption(claims.rule_caption(run))
    if v["compare"]:
        cols = [*st.columns(2), *st.columns(2)]
        for col, (name, tex) in zip(cols, ft.compare_tex(run.eps_at).items(), strict=True):
            col.markdown(f"**{optimizers.OPTIMIZERS[name].label}**")
            col.latex(tex)
            col.caption(claims.COMPARE_NOTES[name])
        st.caption(claims.COMPARE_CAPTION)


lesson = lesson_ui.active(V.PAGE_FILE)
if lesson is not None and not lesson_ui.ask(lesson):
    # Before the answer: the run's settings, its start and the rule; none of its steps.
    intro()
    left, right = st.columns([5, 2])
    with right:  # the chart first: on a fresh load the rest waits until the browser drew it
        chart = V.path_figure(run, v, 0)
        ui.plotly_chart(chart, key="start", config=ui.png_config("formula-start"))
    if table := claims.start_table(run):
        left.table(table, hide_index=True)
        left.caption(claims.START_CAPTION)
    rule_section()
    # A fresh load ends here (see ui.first_view): the controls follow once the chart is drawn,
    # and the answer then opens the whole page at once, its controls never taken away.
    ui.stop_if_first_view(V.PAGE)
    controls()
    st.stop()
if lesson is not None:
    lesson_ui.result(lesson, claims.lesson_key(lesson.key, run), claims.lesson_why(lesson.key, run))

st.markdown(claims.takeaway(run))
if message := claims.diverged(run):
    st.error(message)
if done == 0:
    controls()
    st.stop()
if v["t"] > done:
    S.set(t=done)

intro()
rule_section()

st.subheader("One step, with its numbers")
if v["play"] and st.session_state["t"] >= done:
    S.set(play=False)  # a link saved while playing at the end: stop before the toggle is drawn
if not S.locked:
    ui.widget(P["play"])


@st.fragment(run_every=V.PLAY_SECONDS if v["play"] else None)
def step_view():
    if st.session_state["play"]:
        if st.session_state["t"] >= done:
            st.session_state["play"] = False
            st.rerun(scope="app")
        else:
            st.session_state["t"] += 1
    if not S.locked:
        V.step_slider(P["t"], done)
    sv = StepView(run, min(S.sync()["t"], done))
    left, right = st.columns([5, 2])
    with right:  # drawn before the formulas beside it: the chart is sent first
        chart = V.path_figure(run, v, sv.step)
        ui.plotly_chart(chart, key=V.PATH_CHART, config=ui.png_config("formula-path"))
    for tex in ft.values_tex(run.terms, sv.row, run.names, run.eps_at, decay):
        left.latex(tex)
    left.caption(claims.VALUES_CAPTION)
    words, numbers = st.columns([3, 2])
    for paragraph in step_paragraphs(sv):
        words.markdown(paragraph)
    numbers.table(step_table(sv), hide_index=True)
    if note := convention(sv):
        words.caption(note)
    if ui.first_view(V.PAGE):  # a fresh load: this chart comes with the rest (see below)
        return
    series = V.series_figure(run, sv.step)
    ui.plotly_chart(series, key="series", config=ui.png_config("formula-terms"))
    st.caption(claims.SERIES_CAPTION)


step_view()
ui.stop_if_first_view(V.PAGE)  # on a fresh load, the rest once the browser has drawn the path
controls()
if not S.locked:  # a key press on Step t moves the step marked on the path at once
    instant.mount(V.instant_step(run))

st.subheader("The code that computed these numbers")
st.caption(claims.code_caption(run))
code_box = st.expander(
    "🐍 `adagrad_update`, the core's own source", key="code_open", on_change="rerun"
)
if code_box.open:  # sent only once opened: st.code's highlighter is slow to load
    code_box.code(inspect.getsource(optimizers.adagrad_update), language="python")

st.markdown(claims.REFERENCES)
S.share_box()
