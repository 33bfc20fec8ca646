"""The formula, step by step: Adagrad's rule with the numbers of a real run under its terms."""

import inspect

import streamlit as st

from adagrad_app import fig_formula, formula_tex, ui
from adagrad_app.params import Param
from adagrad_core import optimizers
from adagrad_core.runner import run
from adagrad_core.surfaces import SURFACES

EPS_CHOICES = ("1e-10", "1e-8", "1e-6", "1e-4", "0.01", "0.1", "1")
MAX_STEPS = 200
SPARSE_SEED = 122  # a stream whose rare feature first appears at step 7, after the frequent one
RUN_ON = {"surface": "a 2-D surface", "sparse": "two sparse features"}
PLAY_SECONDS = 0.8
PLACEMENT_LABELS = {
    "outside": "outside √ (torch)",
    "inside": "inside √ (d2l, Keras 3, optax)",
}
SURFACE_LABELS = {k: s.label for k, s in SURFACES.items()}
PAGE = "formula"


def schema_for(surface: str) -> list[Param]:
    """The page's settings. The start defaults to the surface's own, so a link carries it only
    where it differs from where that surface starts."""
    start = SURFACES[surface].start
    return [
        Param(
            "run_on",
            "surface",
            "choice",
            options=tuple(RUN_ON),
            label="Run on",
            option_labels=RUN_ON,
        ),
        Param("seed", SPARSE_SEED, "int", 0, 9999, label="Seed of the example stream"),
        Param(
            "surface",
            "quadratic",
            "choice",
            options=tuple(SURFACES),
            label="Surface",
            option_labels=SURFACE_LABELS,
        ),
        Param("x0", float(start[0]), "float", -10.0, 10.0, label="Start x"),
        Param("y0", float(start[1]), "float", -10.0, 10.0, label="Start y"),
        Param("lr", 1.0, "float", 0.001, 5.0, label="Learning rate η"),
        Param("eps", "1e-10", "choice", options=EPS_CHOICES, label="ε"),
        Param(
            "eps_at",
            "outside",
            "choice",
            options=formula_tex.PLACEMENTS,
            label="Where ε sits",
            option_labels=PLACEMENT_LABELS,
        ),
        Param("acc0", 0.0, "float", 0.0, 10.0, label="Initial accumulator (G before step 0)"),
        Param("steps", 30, "int", 2, MAX_STEPS, label="Steps"),
        Param("t", 0, "int", 0, MAX_STEPS - 1, label="Step t"),
        Param("play", False, "bool", label="▶ Play"),
        Param("compare", False, "bool", label="Show SGD, RMSprop and Adam beside it"),
    ]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def simulate(
    surface: str, x0: float, y0: float, lr: float, eps: float, eps_at: str, acc0: float, steps: int
):
    """Adagrad's run from the core, and every term of its rule at every step."""
    s = SURFACES[surface]
    traj = run(
        "adagrad",
        s.grad,
        [x0, y0],
        steps,
        loss_fn=s.value,
        lr=lr,
        eps=eps,
        eps_placement=eps_at,
        initial_accumulator_value=acc0,
    )
    terms = formula_tex.step_terms(
        traj, eps=eps, eps_placement=eps_at, initial_accumulator_value=acc0
    )
    done = traj.steps if traj.diverged_at is None else traj.diverged_at - 1
    return {k: v[:done] for k, v in terms.items()}, traj.params[: done + 1], traj.diverged_at


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def simulate_sparse(seed: int, lr: float, eps: float, eps_at: str, acc0: float, steps: int):
    """Adagrad on the two-feature example stream, and every term of its rule at every step."""
    traj, w_true = formula_tex.sparse_trajectory(
        steps, seed=seed, lr=lr, eps=eps, eps_placement=eps_at, initial_accumulator_value=acc0
    )
    terms = formula_tex.step_terms(
        traj, eps=eps, eps_placement=eps_at, initial_accumulator_value=acc0
    )
    done = traj.steps if traj.diverged_at is None else traj.diverged_at - 1
    terms = {k: v[:done] for k, v in terms.items()}
    return terms, traj.params[: done + 1], traj.diverged_at, tuple(w_true.tolist())


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def background(surface: str, bounds: tuple) -> dict:
    """The surface's contour lines over ``bounds``, as the path chart's background image."""
    s = SURFACES[surface]
    return fig_formula.contour_image(s.value, bounds, log_levels=s.log_levels)


def _new_surface():
    start = SURFACES[st.session_state["surface"]].start
    st.session_state["x0"], st.session_state["y0"] = float(start[0]), float(start[1])
    st.session_state["t"] = 0


def _play_pressed():
    if st.session_state["play"] and st.session_state["t"] >= st.session_state["steps"] - 1:
        st.session_state["t"] = 0  # play from the start again


def controls() -> None:
    """The sidebar. Drawn after the charts: a rerun sends elements in the order they are drawn,
    so the browser gets the charts first (the widgets' values are already in session_state)."""
    if S.locked:
        return
    with st.sidebar:
        st.subheader("The run")
        st.radio("Run on", list(RUN_ON), key="run_on", format_func=RUN_ON.get, horizontal=True)
        if st.session_state["run_on"] == "surface":
            st.selectbox(
                "Surface",
                list(SURFACES),
                key="surface",
                on_change=_new_surface,
                format_func=SURFACE_LABELS.get,
            )
            c1, c2 = st.columns(2)
            c1.number_input("Start x", -10.0, 10.0, step=0.5, key="x0")
            c2.number_input("Start y", -10.0, 10.0, step=0.5, key="y0")
        else:
            st.number_input("Seed of the example stream", 0, 9999, key="seed")
        st.number_input("Learning rate η", 0.001, 5.0, step=0.1, format="%.3f", key="lr")
        st.select_slider("ε", EPS_CHOICES, key="eps")
        st.number_input(
            "Initial accumulator (G before step 0)",
            0.0,
            10.0,
            step=0.1,
            key="acc0",
            help="0 in torch, 0.1 in Keras and optax.",
        )
        st.slider("Steps", 2, MAX_STEPS, key="steps")
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


st.title("🔎 The formula, step by step")


def current_surface() -> str:
    name = ui.page_state(PAGE).get("surface", st.query_params.get("surface"))
    return name if name in SURFACES else "quadratic"


S = ui.Settings(schema_for(current_surface()), PAGE)
v = S.values()
if v["t"] > v["steps"] - 1:
    S.adjust(
        f"Step {v['t']} is beyond this run's {v['steps']} steps: showing the last one.",
        t=v["steps"] - 1,
    )
S.show_notes()
v = S.sync()
surface = SURFACES[v["surface"]]
eps = float(v["eps"])
sparse = v["run_on"] == "sparse"
hp = (v["lr"], eps, v["eps_at"], v["acc0"], v["steps"])
if sparse:
    NAMES = formula_tex.SPARSE_NAMES
    terms, path, diverged_at, w_true = simulate_sparse(v["seed"], *hp)
else:
    NAMES = ("x", "y")
    terms, path, diverged_at = simulate(v["surface"], v["x0"], v["y0"], *hp)
done = len(terms["g"])
if diverged_at is not None:
    st.error(
        f"🛑 Adagrad left the safe region (|θ| > 10⁶ or a non-finite value) at step "
        f"{diverged_at - 1} and was stopped; only the {done} steps before it are shown."
    )
if done == 0:
    controls()
    st.stop()
if v["t"] > done - 1:
    S.set(t=done - 1)

if sparse:
    st.caption(formula_tex.sparse_caption(terms, w_true))
else:
    st.caption(f"**{surface.label}.** {surface.lesson}")

st.subheader("The rule")
if not S.locked:
    c1, c2 = st.columns([3, 2])
    c1.segmented_control(
        "Where ε sits",
        formula_tex.PLACEMENTS,
        key="eps_at",
        format_func=PLACEMENT_LABELS.get,
        required=True,
    )
    c2.toggle("Show SGD, RMSprop and Adam beside it", key="compare")
st.latex(formula_tex.rule_tex(v["eps_at"]))
st.latex(formula_tex.legend_tex(eps, v["lr"], v["eps_at"]))
st.caption(formula_tex.rule_caption(v["eps_at"]))

if v["compare"]:
    cols = [*st.columns(2), *st.columns(2)]
    for col, (name, tex) in zip(cols, formula_tex.compare_tex(v["eps_at"]).items(), strict=True):
        col.markdown(f"**{optimizers.OPTIMIZERS[name].label}**")
        col.latex(tex)
        col.caption(formula_tex.COMPARE_NOTES[name])
    st.caption(
        "Boxed: what the rule does differently from Adagrad (in Adagrad's own rule: the "
        "one block SGD does not have)."
    )

st.subheader("One step, with its numbers")
if v["play"] and st.session_state["t"] >= done - 1:
    S.set(play=False)  # a link saved while playing at the end: stop before the toggle is drawn
if not S.locked:
    st.toggle("▶ Play", key="play", on_change=_play_pressed)


@st.fragment(run_every=PLAY_SECONDS if v["play"] else None)
def step_view():
    last = done - 1
    if st.session_state["play"]:
        if st.session_state["t"] >= last:
            st.session_state["play"] = False
            st.rerun(scope="app")
        else:
            st.session_state["t"] += 1
    if not S.locked:
        st.slider(
            "Step t",
            0,
            max(last, 1),
            key="t",
            disabled=last == 0,
            help="Counted from 0, as in the formula: t = 0 is the first update, which the "
            "Trajectories page calls step 1.",
        )
    t = min(S.sync()["t"], last)
    left, right = st.columns([5, 2])
    if sparse:
        fig = fig_formula.path_figure(
            path,
            t,
            minima=[w_true],
            axis_titles=("w frequent", "w rare"),
            minimum_name="true weights",
        )
    else:
        bounds = fig_formula.view_bounds(surface.bounds, path)
        fig = fig_formula.path_figure(
            path, t, background=background(v["surface"], bounds), minima=surface.minima
        )
    with right:  # drawn before the formulas beside it: the chart is sent first
        ui.plotly_chart(fig, key="path", config=ui.png_config("formula-path"))
    for tex in formula_tex.values_tex(terms, t, NAMES, v["eps_at"]):
        left.latex(tex)
    left.caption(
        "Under each term, its value at this step for each coordinate. A shaded value changed since "
        "step t−1 (▲ rose, ▼ fell); an unshaded one is the same as before."
    )
    st.markdown(formula_tex.reading(terms, t, NAMES, eps, v["eps_at"]))
    st.caption(formula_tex.convention_note(terms, t, NAMES, eps, v["eps_at"]))
    if ui.first_view(PAGE):  # a fresh load: this chart comes with the rest (see below)
        return
    ui.plotly_chart(
        fig_formula.term_series(terms, t, NAMES, fig_formula.panels(v["eps_at"])),
        key="series",
        config=ui.png_config("formula-terms"),
    )


step_view()
ui.stop_if_first_view(PAGE)  # on a fresh load, the rest once the browser has drawn the path
controls()

st.subheader("The code that computed these numbers")
st.caption(
    f"`adagrad_core.optimizers.adagrad_update`, called once per step with lr={v['lr']:g}, "
    f"eps={eps:g}, eps_placement={v['eps_at']!r} (so `denom` took the "
    f"{'first' if v['eps_at'] == 'outside' else 'second'} branch); the runner then adds the "
    f"returned update to θ. `state.sum` is G, `eff_lr` is {formula_tex.EFF_LR[v['eps_at']]}."
)
code_box = st.expander(
    "🐍 `adagrad_update`, the core's own source", key="code_open", on_change="rerun"
)
if code_box.open:  # sent only once opened: st.code's highlighter is slow to load
    code_box.code(inspect.getsource(optimizers.adagrad_update), language="python")

S.share_box()
