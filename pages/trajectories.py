"""Trajectories: optimizers racing on a 2-D loss surface, animated in the browser."""

import math

import streamlit as st

from adagrad_app import exports, ui
from adagrad_app import fig_trajectories as F
from adagrad_app.params import Param
from adagrad_app.reproduce import TORCH_OPTIMIZERS, torch_script
from adagrad_core.expr import MAX_LENGTH, make_surface
from adagrad_core.racers import (
    DEFAULT_RACERS,
    KNOBS,
    RACERS,
    diverge_bound,
    log_grid,
    race,
    snap,
)
from adagrad_core.surfaces import SURFACES, Surface

PAGE = "trajectories"
DEFAULT_SURFACE = "quadratic"
LR_GRID = log_grid(-4, 2)  # 1e-4 ... 100, six values per decade
EPS_GRID = [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
START_LIMIT = 10.0  # widest plot bound of any surface
ROTATION_STEPS = 100
CUSTOM = "custom"  # the surface choice whose f(x, y) is typed in the `expr` box
SURFACE_LABELS = {**{k: s.label for k, s in SURFACES.items()}, CUSTOM: "Custom f(x, y)…"}
RACER_LABELS = {k: r.label for k, r in RACERS.items()}
PLACEMENT_LABELS = {"outside": "√G + ε (torch)", "inside": "√(G + ε) (d2l, Keras)"}
DEFAULT_EXPR = "x**2 + 10*sin(y)"
BOX = Param("box", 5.0, "float", 0.5, START_LIMIT, label="Custom plot range ±")


def custom_start(box: float) -> tuple[float, float]:
    # make_surface's own default start for that box (any valid expression will do).
    start = make_surface("x", bounds=((-box, box), (-box, box)), estimate_min=False).start
    return round(start[0], 6), round(start[1], 6)  # 1.8, not 1.8000000000000007


def schema_for(surface: str, box: float = BOX.default) -> list[Param]:
    """The page's settings. The start and learning rates default to the surface's own, so a
    link carries them only where they differ from what that surface starts with."""
    start = SURFACES[surface].start if surface in SURFACES else custom_start(box)
    lim = (-START_LIMIT, START_LIMIT)
    return [
        Param(
            "surface",
            DEFAULT_SURFACE,
            "choice",
            options=(*SURFACES, CUSTOM),
            label="Surface",
            option_labels=SURFACE_LABELS,
        ),
        Param("expr", DEFAULT_EXPR, "text", label="f(x, y)"),
        BOX,
        Param(
            "opts",
            list(DEFAULT_RACERS),
            "multi",
            options=tuple(RACERS),
            label="Optimizers",
            option_labels=RACER_LABELS,
        ),
        Param("steps", 100, "int", 10, 1000, label="Steps"),
        Param("x0", start[0], "float", *lim, label="Start x"),
        Param("y0", start[1], "float", *lim, label="Start y"),
        *[
            Param(f"lr_{k}", r.lr(surface), "float", LR_GRID[0], LR_GRID[-1], label=f"{r.label} lr")
            for k, r in RACERS.items()
        ],
        Param("eps", KNOBS["eps"], "float", EPS_GRID[0], EPS_GRID[-1], label="Adagrad ε"),
        Param(
            "eps_placement",
            KNOBS["eps_placement"],
            "choice",
            options=tuple(PLACEMENT_LABELS),
            label="ε placement",
            option_labels=PLACEMENT_LABELS,
        ),
        Param(
            "acc0",
            KNOBS["initial_accumulator_value"],
            "float",
            0.0,
            10.0,
            label="Adagrad initial accumulator",
        ),
        Param("lr_decay", KNOBS["lr_decay"], "float", 0.0, 1.0, label="Adagrad lr decay"),
        Param("momentum", KNOBS["momentum"], "float", 0.0, 0.999, label="Momentum"),
        Param("beta1", KNOBS["beta1"], "float", 0.0, 0.999, label="Adam β₁"),
        Param("beta2", KNOBS["beta2"], "float", 0.0, 0.9999, label="Adam β₂"),
        Param("rho", KNOBS["rho"], "float", 0.0, 0.999, label="Adadelta ρ"),
        Param("alpha", KNOBS["alpha"], "float", 0.0, 0.9999, label="RMSprop α"),
        Param("view3d", False, "bool", label="3-D view"),
    ]


def surface_defaults(name: str, box: float) -> dict:
    keys = {"x0", "y0", *(f"lr_{k}" for k in RACERS)}
    return {p.key: p.default for p in schema_for(name, box) if p.key in keys}


def current_surface() -> str:
    name = ui.page_state(PAGE).get("surface", st.query_params.get("surface"))
    return name if name in (*SURFACES, CUSTOM) else DEFAULT_SURFACE


def current_box() -> float:
    if "box" in ui.page_state(PAGE):
        return st.session_state["box"]
    raw = st.query_params.get("box")
    return BOX.default if raw is None else BOX.decode(raw)[0]


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def custom_surface(text: str, box: float) -> Surface | str:
    """The typed surface, or the parser's message (a refused text is parsed once, too)."""
    try:
        return make_surface(text, bounds=((-box, box), (-box, box)))
    except ValueError as err:
        return str(err)


def surface_of(skey: tuple) -> Surface:
    """The surface of a cache key ``(name, text, box)``; text and box only for a custom one."""
    name, text, box = skey
    return custom_surface(text, box) if name == CUSTOM else SURFACES[name]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_race(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    return race(surface_of(skey), keys, dict(lrs), dict(knobs), x0, steps)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_main_figure(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    # The figure's dict (read-only: shared by every session with these settings).
    runs = cached_race(skey, keys, lrs, knobs, x0, steps)
    return F.trajectories_figure(surface_of(skey), runs, x0)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_linked_figures(
    skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int
) -> tuple:
    """The loss, effective-rate and accumulator charts of a run (built once per settings)."""
    runs = cached_race(skey, keys, lrs, knobs, x0, steps)
    loss = F.loss_figure(runs, goal=F.goal(surface_of(skey)))
    return loss, F.eff_lr_figure(runs), F.accumulator_figure(runs)


@st.cache_resource(max_entries=1, ttl=3600, show_spinner=False)
def cached_rotation_lesson() -> tuple:
    """The rotation lesson never changes with the settings: its runs and figure, built once."""
    pair = ("adagrad", "adagrad_full")
    lesson = [
        (
            SURFACES[name],
            cached_race((name, "", 0.0), pair, (), (), SURFACES[name].start, ROTATION_STEPS),
        )
        for name in ("quadratic", "rotated")
    ]
    return lesson, F.rotation_figure(lesson)


def pytorch_script(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    """The torch.optim script for exactly this run: same surface, start, racers, stop rule."""
    name, text, _ = skey
    runs = [(RACERS[k].optimizer, RACERS[k].hparams(dict(lrs)[k], dict(knobs))) for k in keys]
    bound = diverge_bound(surface_of(skey))
    return torch_script(text if name == CUSTOM else name, x0, runs, steps, bound=bound)


def in_torch(key: str, hparams: dict) -> bool:
    """Does the PyTorch script run this racer? (torch.optim has it, with eps outside the root.)"""
    ok = RACERS[key].optimizer in TORCH_OPTIMIZERS
    return ok and hparams.get("eps_placement", "outside") == "outside"


def md_escape(text: str) -> str:
    """Text shown literally inside markdown (a parser message may quote `__import__`, `x**2`)."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~$" else c for c in text)


st.title("🏔️ Trajectories")
st.caption(
    "Optimizers race from the same start on the same surface. Press ▶ Play under the chart; "
    "click anywhere on the chart to start from there."
)

S = ui.Settings(schema_for(current_surface(), current_box()), PAGE)
# A refused f(x, y) is named, and the page draws the default surface; every setting stays.
refused = None
skey = (st.session_state["surface"], "", 0.0)
if skey[0] == CUSTOM:
    skey = (CUSTOM, st.session_state["expr"], st.session_state["box"])
    if isinstance(refused := custom_surface(*skey[1:]), str):
        skey = (DEFAULT_SURFACE, "", 0.0)
    else:
        refused = None
surface = surface_of(skey)
label = {p.key: p.label for p in S.schema}
# Slider values come from a grid; a typed link may hold a value between two grid points.
for key in [f"lr_{k}" for k in RACERS] + ["eps"]:
    grid = EPS_GRID if key == "eps" else LR_GRID
    if (v := st.session_state[key]) not in grid:
        new = snap(v, grid)
        S.adjust(f"{label[key]}: {v:g} is not on the slider; using {new:g}", **{key: new})
(xa, xb), (ya, yb) = surface.bounds
for key, lo, hi in (("x0", xa, xb), ("y0", ya, yb)):
    v = st.session_state[key]
    if not lo <= v <= hi and not refused:
        new = min(max(v, lo), hi)
        S.adjust(f"{label[key]}: {v:g} is outside this surface's plot; using {new:g}", **{key: new})

S.show_notes()
if refused:
    st.error(
        f"This f(x, y) cannot be used: {md_escape(refused)}. Showing the "
        f"{SURFACES[DEFAULT_SURFACE].label} instead.",
        icon="🚫",
    )


def on_surface_change() -> None:
    S.set(**surface_defaults(st.session_state["surface"], st.session_state["box"]))


def on_box_change() -> None:
    S.set(**dict(zip(("x0", "y0"), custom_start(st.session_state["box"]), strict=True)))


def on_chart_click() -> None:
    points = st.session_state["chart"].selection.points
    if points:
        S.set(x0=round(float(points[0]["x"]), 2), y0=round(float(points[0]["y"]), 2))


def controls() -> None:
    """The sidebar. Drawn after the race chart: a rerun sends elements in the order they are
    drawn, so the browser gets the chart first (the widgets' values are already known)."""
    if S.locked:
        return
    with st.sidebar:
        st.selectbox(
            "Surface",
            [*SURFACES, CUSTOM],
            format_func=SURFACE_LABELS.get,
            key="surface",
            on_change=on_surface_change,
        )
        if st.session_state["surface"] == CUSTOM:
            st.text_input(
                "f(x, y) =",
                key="expr",
                max_chars=MAX_LENGTH,
                help="Numbers, x, y, pi, e, + − * / ** and sin, cos, tan, exp, log, sqrt, tanh, "
                "abs. Press Enter to draw it.",
            )
            st.number_input(
                "Plot range ± (x and y)",
                BOX.lo,
                BOX.hi,
                step=0.5,
                key="box",
                on_change=on_box_change,
            )
        st.multiselect("Optimizers", list(RACERS), format_func=RACER_LABELS.get, key="opts")
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
                list(PLACEMENT_LABELS),
                format_func=PLACEMENT_LABELS.get,
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
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


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
if refused:  # the fallback surface's plot: clamp the start for this run only
    x0 = (min(max(x0[0], xa), xb), min(max(x0[1], ya), yb))
if skey[0] == CUSTOM:
    text = f"**Your own surface:** `{surface.label}`"
    if surface.falls_past_edge:
        text += (
            ". It has no minimum in the plot: f keeps falling past the plot's edge, so f* is its "
            "lowest value in the plot (★), and f − f* the gap to that."
        )
    st.markdown(text)
else:
    st.markdown(f"**{surface.label}.** {surface.lesson}")

if not keys:
    st.info("Choose at least one optimizer in the sidebar.", icon="👈")
    S.share_box()
    controls()
    st.stop()

try:
    runs = cached_race(skey, keys, lrs, knobs, x0, v["steps"])
    fig = cached_main_figure(skey, keys, lrs, knobs, x0, v["steps"])
    script = pytorch_script(skey, keys, lrs, knobs, x0, v["steps"])
except ValueError as err:  # e.g. Nesterov with momentum 0: the core names the setting
    message = str(err)
    if "nesterov" in keys and v["momentum"] == 0:  # the core's message names dampening too
        message = "Nesterov needs a momentum above 0: raise it under ⚙️ Advanced"
    st.error(f"These settings cannot run: {message}", icon="🚫")
    S.share_box()
    controls()
    st.stop()

start_defined = all(math.isfinite(r.gap[0]) for r in runs.values())
if not start_defined:  # a typed f, off its domain
    st.error(
        f"f is not defined at the start ({x0[0]:g}, {x0[1]:g}), so no optimizer can move: "
        "choose another start (click on a shaded part of the chart).",
        icon="🚫",
    )
else:
    for message in F.divergence_messages(runs):
        st.error(message, icon="💥")

ui.plotly_chart(
    fig,
    key="chart",
    on_select="ignore" if S.locked else on_chart_click,
    selection_mode="points",
    config={**ui.png_config("trajectories"), "scrollZoom": False},
)
# no race to tell when f is undefined at the start: no advice
race_text = F.race_caption(runs, goal=F.goal(surface)) if start_defined else ""
if race_text:
    st.markdown(race_text)
if text := F.minima_caption(surface, runs):
    st.markdown(text)
if text := F.twin_caption(runs, surface.bounds):
    st.caption(text)
if text := F.step_ratio_caption(runs):
    st.caption(text)
ui.stop_if_first_view(PAGE)  # on a fresh load, the rest once the browser has drawn the chart
controls()
S.share_box()  # below the chart: its code boxes load a highlighter the chart need not wait for


def export_area() -> None:
    """Downloads of this run and its PyTorch twin: one compact row under the chart. Kept in the
    locked view too: they change nothing on the page (files are built only when clicked)."""
    title = f"Trajectories on {surface.label}"
    cols = st.columns([1, 1, 1, 3], vertical_alignment="center")
    cols[0].download_button(
        "📄 Data (CSV)",
        data=lambda: exports.trajectories_csv(surface, runs),
        file_name="trajectories.csv",
        mime="text/csv",
        on_click="ignore",
    )
    cols[1].download_button(
        "🌐 Chart (HTML)",
        data=lambda: exports.figures_html(title, [("", fig, race_text)], ui.CHART),
        file_name="trajectories.html",
        mime="text/html",
        on_click="ignore",
    )
    cols[2].download_button(
        "🔥 PyTorch (.py)",
        data=script,
        file_name="reproduce_trajectories.py",
        mime="text/x-python",
        on_click="ignore",
    )
    cols[3].caption(
        "📷 PNG: hover over a chart and click its camera icon (Download plot as a PNG). "
        "The HTML file works offline, ▶ Play included."
    )
    box = st.expander("🔥 Reproduce this run in PyTorch", key="torch_open", on_change="rerun")
    if not box.open:  # sent only once opened: st.code's highlighter is slow to load
        return
    with box:
        hps = {k: RACERS[k].hparams(dict(lrs)[k], dict(knobs)) for k in keys}
        shown = [k for k in keys if in_torch(k, hps[k])]
        left = [RACERS[k].label for k in keys if k not in shown]
        text = (
            f"The same surface, start, hyper-parameters and {v['steps']} steps with torch.optim "
            "in float64. It prints the final (x, y) of "
            + ", ".join(f"{RACERS[k].label} (`{RACERS[k].optimizer}`)" for k in shown)
            + ", in that order; they match this page's runs."
        )
        if left:
            text += f" Not in torch.optim: {', '.join(left)}."
        st.caption(text)
        st.code(script, language="python")


export_area()

loss_fig, eff_lr_fig, acc_fig = cached_linked_figures(skey, keys, lrs, knobs, x0, v["steps"])
if all(r.last < 1 for r in runs.values()):  # every racer stopped before its first step
    st.info(
        "No optimizer completed a step, so the charts of the gap, the effective rates and "
        "the accumulators have nothing to draw: lower the learning rates.",
        icon="ℹ️",
    )
cols = st.columns(3)
with cols[0]:
    ui.plotly_chart(loss_fig, config=ui.png_config("trajectories-gap"))
with cols[1]:
    ui.plotly_chart(eff_lr_fig, config=ui.png_config("trajectories-eff-lr"))
    if text := F.eff_lr_caption(runs):
        st.caption(text)
with cols[2]:
    ui.plotly_chart(acc_fig, config=ui.png_config("trajectories-accumulator"))
    if text := F.accumulator_caption(runs):
        st.caption(text)


@st.fragment
def surface_3d(surface, runs) -> None:
    """The optional 3-D view: its toggle redraws only this part of the page."""
    if not S.locked:
        st.toggle("🧊 Show the surface in 3-D", key="view3d")
    S.sync()
    if st.session_state["view3d"]:
        ui.plotly_chart(F.surface3d_figure(surface, runs), config=ui.png_config("trajectories-3d"))


surface_3d(surface, runs)

st.subheader("🔄 Rotation: where diagonal Adagrad loses its edge")
lesson, rotation_fig = cached_rotation_lesson()
ui.plotly_chart(rotation_fig, config=ui.png_config("rotation"))
st.markdown(F.rotation_caption(lesson[0][1], lesson[1][1]))
st.caption(
    "Diagonal Adagrad gives each axis its own step size, which helps when the valley runs along "
    "an axis. Full-matrix Adagrad preconditions with the whole matrix Σ g gᵀ, which turns with "
    "the problem, so rotating the valley does not change how fast it gets to the bottom."
)
