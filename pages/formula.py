"""The formula, step by step: Adagrad's rule with the numbers of a real run under its terms.

Thin wiring: the settings and the run are in ``formula_tex``, the sentences in
``claims_formula``, the charts in ``fig_formula``. Steps are counted from 1 (the first
update), as on the Trajectories page; the URL's ``t`` is that step.
"""

import inspect

import streamlit as st

from adagrad_app import claims_formula as claims
from adagrad_app import fig_formula, lesson_ui, ui
from adagrad_app import formula_tex as ft
from adagrad_core import optimizers
from adagrad_core.surfaces import SURFACES

PLAY_SECONDS = 0.8
PAGE = "formula"
PAGE_FILE = "pages/formula.py"


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def simulate(**settings) -> ft.FormulaRun:
    """Adagrad's run from the core, and every term of its rule at every step."""
    return ft.simulate(**settings)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def background(surface: str, bounds: tuple) -> dict:
    """The surface's contour lines over ``bounds``, as the path chart's background image."""
    s = SURFACES[surface]
    return fig_formula.contour_image(s.value, bounds, log_levels=s.log_levels)


def _new_surface():
    start = SURFACES[st.session_state["surface"]].start
    st.session_state["x0"], st.session_state["y0"] = float(start[0]), float(start[1])
    st.session_state["t"] = 1


def _play_pressed():
    if st.session_state["play"] and st.session_state["t"] >= st.session_state["steps"]:
        st.session_state["t"] = 1  # play from the start again


def controls() -> None:
    """The sidebar. Drawn after the charts: a rerun sends elements in the order they are drawn,
    so the browser gets the charts first (the widgets' values are already in session_state)."""
    if S.locked:
        return
    with st.sidebar:
        st.subheader("The run")
        st.radio(
            "Run on", list(ft.RUN_ON), key="run_on", format_func=ft.RUN_ON.get, horizontal=True
        )
        if st.session_state["run_on"] == "surface":
            st.selectbox(
                "Surface",
                list(SURFACES),
                key="surface",
                on_change=_new_surface,
                format_func=ft.SURFACE_LABELS.get,
            )
            c1, c2 = st.columns(2)
            c1.number_input("Start x", -10.0, 10.0, step=0.5, key="x0")
            c2.number_input("Start y", -10.0, 10.0, step=0.5, key="y0")
        else:
            st.number_input("Seed of the example stream", 0, 9999, key="seed")
        st.number_input("Learning rate η", 0.001, 5.0, step=0.1, format="%.3f", key="lr")
        st.select_slider("ε", ft.EPS_CHOICES, key="eps")
        st.number_input(
            "Initial accumulator G₀",
            0.0,
            10.0,
            step=0.1,
            key="acc0",
            help="G before step 1: 0 in torch, 0.1 in Keras and optax.",
        )
        st.number_input(
            "Rate decay (lr_decay)",
            0.0,
            1.0,
            step=0.01,
            key="lr_decay",
            help="torch's lr_decay d: step t uses the rate η / (1 + (t − 1)·d). 0 turns it off.",
        )
        st.slider("Steps", 2, ft.MAX_STEPS, key="steps")
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


st.title("🔎 The formula, step by step")


def current_surface() -> str:
    name = ui.page_state(PAGE).get("surface", st.query_params.get("surface"))
    return name if name in SURFACES else "quadratic"


if st.query_params.get("t") == "0":  # links from before steps were counted from 1
    st.query_params["t"] = "1"  # their t = 0 was the first update: step 1 now
S = ui.Settings(ft.schema_for(current_surface()), PAGE)
v = S.values()
if v["t"] > v["steps"]:
    S.adjust(claims.beyond(v["t"], v["steps"]), t=v["steps"])
S.show_notes()
v = S.sync()
surface = SURFACES[v["surface"]]
sparse = v["run_on"] == "sparse"
hp = {
    "lr": v["lr"],
    "eps": float(v["eps"]),
    "eps_at": v["eps_at"],
    "acc0": v["acc0"],
    "lr_decay": v["lr_decay"],
    "steps": v["steps"],
}
if sparse:
    run = simulate(run_on="sparse", seed=v["seed"], **hp)
else:
    run = simulate(surface=v["surface"], x0=v["x0"], y0=v["y0"], **hp)
done = run.done
decay = run.lr_decay > 0


def intro() -> None:
    """What the run is: the surface (or the sparse stream) and its settings."""
    st.caption(claims.run_intro(run, surface.label, surface.lesson))
    if sparse:
        st.table(claims.sparse_table(run), hide_index=True)


def rule_section() -> None:
    """Adagrad's rule, with the constants of this run but none of its steps' numbers."""
    st.subheader("The rule")
    st.markdown(claims.BRIDGE)
    if not S.locked:
        c1, c2 = st.columns([3, 2])
        c1.segmented_control(
            "Where ε sits",
            ft.PLACEMENTS,
            key="eps_at",
            format_func=ft.PLACEMENT_LABELS.get,
            required=True,
        )
        c2.toggle("Show SGD, RMSprop and Adam beside it", key="compare")
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


def path_figure(step: int) -> dict:
    """The run's path with step ``step`` marked; step 0: where it starts, and no step."""
    if sparse:
        return fig_formula.path_figure(
            run.path,
            step,
            minima=[run.w_true],
            axis_titles=("w frequent", "w rare"),
            minimum_name="true weights",
        )
    bounds = fig_formula.view_bounds(surface.bounds, run.path)
    return fig_formula.path_figure(
        run.path, step, background=background(v["surface"], bounds), minima=surface.minima
    )


lesson = lesson_ui.active(PAGE_FILE)
if lesson is not None and not lesson_ui.ask(lesson):
    # Before the answer: the run's settings, its start and the rule; none of its steps.
    intro()
    left, right = st.columns([5, 2])
    with right:  # the chart first: on a fresh load the rest waits until the browser drew it
        ui.plotly_chart(path_figure(0), key="start", config=ui.png_config("formula-start"))
    if table := claims.start_table(run):
        left.table(table, hide_index=True)
        left.caption(claims.START_CAPTION)
    rule_section()
    # A fresh load ends here (see ui.first_view): the controls follow once the chart is drawn,
    # and the answer then opens the whole page at once, its controls never taken away.
    ui.stop_if_first_view(PAGE)
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
    st.toggle("▶ Play", key="play", on_change=_play_pressed)


@st.fragment(run_every=PLAY_SECONDS if v["play"] else None)
def step_view():
    if st.session_state["play"]:
        if st.session_state["t"] >= done:
            st.session_state["play"] = False
            st.rerun(scope="app")
        else:
            st.session_state["t"] += 1
    if not S.locked:
        st.slider("Step t", 1, max(done, 2), key="t", disabled=done == 1, help=claims.STEP_HELP)
    sv = claims.StepView(run, min(S.sync()["t"], done))
    left, right = st.columns([5, 2])
    fig = path_figure(sv.step)
    with right:  # drawn before the formulas beside it: the chart is sent first
        ui.plotly_chart(fig, key="path", config=ui.png_config("formula-path"))
    for tex in ft.values_tex(run.terms, sv.row, run.names, run.eps_at, decay):
        left.latex(tex)
    left.caption(claims.VALUES_CAPTION)
    words, numbers = st.columns([3, 2])
    for paragraph in claims.step_paragraphs(sv):
        words.markdown(paragraph)
    numbers.table(claims.step_table(sv), hide_index=True)
    if note := claims.convention(sv):
        words.caption(note)
    if ui.first_view(PAGE):  # a fresh load: this chart comes with the rest (see below)
        return
    ui.plotly_chart(
        fig_formula.term_series(
            run.terms, sv.step, run.names, fig_formula.panels(run.eps_at, run.lr_decay)
        ),
        key="series",
        config=ui.png_config("formula-terms"),
    )
    st.caption(claims.SERIES_CAPTION)


step_view()
ui.stop_if_first_view(PAGE)  # on a fresh load, the rest once the browser has drawn the path
controls()

st.subheader("The code that computed these numbers")
st.caption(claims.code_caption(run))
code_box = st.expander(
    "🐍 `adagrad_update`, the core's own source", key="code_open", on_change="rerun"
)
if code_box.open:  # sent only once opened: st.code's highlighter is slow to load
    code_box.code(inspect.getsource(optimizers.adagrad_update), language="python")

st.markdown(claims.REFERENCES)
S.share_box()
