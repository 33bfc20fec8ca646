"""Trajectories: optimizers racing on a 2-D loss surface, animated in the browser."""

import streamlit as st

from adagrad_app import fig_trajectories as F
from adagrad_app import ui
from adagrad_app.params import Param
from adagrad_core.racers import DEFAULT_RACERS, KNOBS, RACERS, log_grid, race, snap
from adagrad_core.surfaces import SURFACES

PAGE = "trajectories"
DEFAULT_SURFACE = "quadratic"
LR_GRID = log_grid(-4, 2)  # 1e-4 ... 100, six values per decade
EPS_GRID = [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
START_LIMIT = 10.0  # widest plot bound of any surface
ROTATION_STEPS = 100


def schema_for(surface: str) -> list[Param]:
    """The page's settings. The start and learning rates default to the surface's own, so a
    link carries them only where they differ from what that surface starts with."""
    s = SURFACES[surface]
    lim = (-START_LIMIT, START_LIMIT)
    return [
        Param("surface", DEFAULT_SURFACE, "choice", options=tuple(SURFACES), label="Surface"),
        Param("opts", list(DEFAULT_RACERS), "multi", options=tuple(RACERS), label="Optimizers"),
        Param("steps", 100, "int", 10, 1000, label="Steps"),
        Param("x0", s.start[0], "float", *lim, label="Start x"),
        Param("y0", s.start[1], "float", *lim, label="Start y"),
        *[
            Param(f"lr_{k}", r.lr(surface), "float", LR_GRID[0], LR_GRID[-1], label=f"{r.label} lr")
            for k, r in RACERS.items()
        ],
        Param("eps", KNOBS["eps"], "float", EPS_GRID[0], EPS_GRID[-1], label="Adagrad ε"),
        Param(
            "eps_placement",
            KNOBS["eps_placement"],
            "choice",
            options=("outside", "inside"),
            label="ε placement",
        ),
        Param("acc0", KNOBS["initial_accumulator_value"], "float", 0.0, 10.0, label="Initial G"),
        Param("lr_decay", KNOBS["lr_decay"], "float", 0.0, 1.0, label="lr decay"),
        Param("momentum", KNOBS["momentum"], "float", 0.0, 0.999, label="Momentum"),
        Param("beta1", KNOBS["beta1"], "float", 0.0, 0.999, label="β₁"),
        Param("beta2", KNOBS["beta2"], "float", 0.0, 0.9999, label="β₂"),
        Param("rho", KNOBS["rho"], "float", 0.0, 0.999, label="Adadelta ρ"),
        Param("alpha", KNOBS["alpha"], "float", 0.0, 0.9999, label="RMSprop α"),
        Param("view3d", False, "bool", label="3-D view"),
    ]


def surface_defaults(name: str) -> dict:
    keys = {"x0", "y0", *(f"lr_{k}" for k in RACERS)}
    return {p.key: p.default for p in schema_for(name) if p.key in keys}


def current_surface() -> str:
    name = st.session_state.get("surface", st.query_params.get("surface"))
    return name if name in SURFACES else DEFAULT_SURFACE


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_race(surface: str, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    return race(surface, keys, dict(lrs), dict(knobs), x0, steps)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_main_figure(surface: str, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    # A built go.Figure (validating ~100 frames takes a few tenths of a second); read-only.
    runs = cached_race(surface, keys, lrs, knobs, x0, steps)
    return F.trajectories_figure(SURFACES[surface], runs, x0)


st.title("🏔️ Trajectories")
st.caption(
    "Optimizers race from the same start on the same surface. Press ▶ Play under the chart; "
    "click anywhere on the chart to start from there."
)

S = ui.Settings(schema_for(current_surface()), PAGE)
notes: list[str] = []
# Slider values come from a grid; a typed link may hold a value between two grid points.
for key in [f"lr_{k}" for k in RACERS] + ["eps"]:
    grid = EPS_GRID if key == "eps" else LR_GRID
    if (v := st.session_state[key]) not in grid:
        S.set(**{key: snap(v, grid)})
        notes.append(f"{key}: {v:g} is not on the slider, using {st.session_state[key]:g}")
surface = SURFACES[st.session_state["surface"]]
(xa, xb), (ya, yb) = surface.bounds
for key, lo, hi in (("x0", xa, xb), ("y0", ya, yb)):
    v = st.session_state[key]
    if not lo <= v <= hi:
        S.set(**{key: min(max(v, lo), hi)})
        notes.append(
            f"{key}: {v:g} is outside this surface's plot, using {st.session_state[key]:g}"
        )

S.show_notes()
if notes:
    st.warning("Adjusted:\n\n" + "\n".join(f"- {n}" for n in notes), icon="⚠️")


def on_surface_change() -> None:
    S.set(**surface_defaults(st.session_state["surface"]))


def on_chart_click() -> None:
    points = st.session_state["chart"].selection.points
    if points:
        S.set(x0=round(float(points[0]["x"]), 2), y0=round(float(points[0]["y"]), 2))


if not S.locked:
    with st.sidebar:
        st.selectbox(
            "Surface",
            list(SURFACES),
            format_func=lambda k: SURFACES[k].label,
            key="surface",
            on_change=on_surface_change,
        )
        st.multiselect(
            "Optimizers", list(RACERS), format_func=lambda k: RACERS[k].label, key="opts"
        )
        st.slider("Steps", 10, 1000, step=10, key="steps")
        c1, c2 = st.columns(2)
        c1.number_input("Start x", -START_LIMIT, START_LIMIT, step=0.1, format="%.2f", key="x0")
        c2.number_input("Start y", -START_LIMIT, START_LIMIT, step=0.1, format="%.2f", key="y0")
        st.markdown("**Learning rates** (log scale)")
        for k in st.session_state["opts"]:
            st.select_slider(
                RACERS[k].label, LR_GRID, format_func=lambda v: f"{v:g}", key=f"lr_{k}"
            )
        with st.expander("⚙️ Advanced"):
            st.select_slider("Adagrad ε", EPS_GRID, format_func=lambda v: f"{v:g}", key="eps")
            st.radio(
                "ε placement",
                ["outside", "inside"],
                format_func=lambda p: {
                    "outside": "√G + ε (torch)",
                    "inside": "√(G + ε) (d2l, Keras)",
                }[p],
                key="eps_placement",
                horizontal=True,
            )
            st.number_input("Adagrad initial accumulator", 0.0, 10.0, step=0.1, key="acc0")
            st.number_input("Adagrad lr decay", 0.0, 1.0, step=0.01, format="%.3f", key="lr_decay")
            st.number_input("Momentum (Momentum, Nesterov)", 0.0, 0.999, step=0.05, key="momentum")
            st.number_input("Adam β₁", 0.0, 0.999, step=0.05, format="%.3f", key="beta1")
            st.number_input("Adam β₂", 0.0, 0.9999, step=0.001, format="%.4f", key="beta2")
            st.number_input("RMSprop α", 0.0, 0.9999, step=0.01, format="%.4f", key="alpha")
            st.number_input("Adadelta ρ", 0.0, 0.999, step=0.05, format="%.3f", key="rho")

v = S.sync()
keys = tuple(v["opts"])
lrs = tuple((k, v[f"lr_{k}"]) for k in keys)
knobs = (
    ("eps", v["eps"]),
    ("eps_placement", v["eps_placement"]),
    ("initial_accumulator_value", v["acc0"]),
    ("lr_decay", v["lr_decay"]),
    ("momentum", v["momentum"]),
    ("beta1", v["beta1"]),
    ("beta2", v["beta2"]),
    ("rho", v["rho"]),
    ("alpha", v["alpha"]),
)
x0 = (v["x0"], v["y0"])
st.markdown(f"**{surface.label}.** {surface.lesson}")

if not keys:
    st.info("Choose at least one optimizer in the sidebar.", icon="👈")
    S.share_box()
    st.stop()

try:
    runs = cached_race(surface.name, keys, lrs, knobs, x0, v["steps"])
    fig = cached_main_figure(surface.name, keys, lrs, knobs, x0, v["steps"])
except ValueError as err:  # e.g. Nesterov with momentum 0: the core names the setting
    st.error(f"These settings cannot run: {err}", icon="🚫")
    S.share_box()
    st.stop()

for message in F.divergence_messages(runs):
    st.error(message, icon="💥")
S.share_box()

st.plotly_chart(
    fig,
    key="chart",
    on_select="ignore" if S.locked else on_chart_click,
    selection_mode="points",
    config={"displaylogo": False, "scrollZoom": False},
)
st.markdown(F.race_caption(runs))
if text := F.step_ratio_caption(runs):
    st.caption(text)

cols = st.columns(3)
with cols[0]:
    st.plotly_chart(F.loss_figure(runs), config={"displaylogo": False})
with cols[1]:
    st.plotly_chart(F.eff_lr_figure(runs), config={"displaylogo": False})
    if text := F.eff_lr_caption(runs):
        st.caption(text)
with cols[2]:
    st.plotly_chart(F.accumulator_figure(runs), config={"displaylogo": False})
    if text := F.accumulator_caption(runs):
        st.caption(text)


@st.fragment
def surface_3d(surface, runs) -> None:
    """The optional 3-D view: its toggle redraws only this part of the page."""
    if not S.locked:
        st.toggle("🧊 Show the surface in 3-D", key="view3d")
    S.sync()
    if st.session_state["view3d"]:
        st.plotly_chart(F.surface3d_figure(surface, runs), config={"displaylogo": False})


surface_3d(surface, runs)

st.subheader("🔄 Rotation: where diagonal Adagrad loses its edge")
pair = ("adagrad", "adagrad_full")
lesson = [
    (SURFACES[name], cached_race(name, pair, (), (), SURFACES[name].start, ROTATION_STEPS))
    for name in ("quadratic", "rotated")
]
st.plotly_chart(F.rotation_figure(lesson), config={"displaylogo": False})
st.markdown(F.rotation_caption(lesson[0][1], lesson[1][1]))
st.caption(
    "Diagonal Adagrad gives each axis its own step size, which helps when the valley runs along "
    "an axis. Full-matrix Adagrad preconditions with the whole matrix Σ g gᵀ, so rotating the "
    "problem rotates its path and changes nothing else."
)
