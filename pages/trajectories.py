"""Trajectories: optimizers racing on a 2-D loss surface, animated in the browser."""

import math

import pandas as pd
import streamlit as st

from adagrad_app import claims_trajectories as C
from adagrad_app import exports, fig_3d, fig_common, fig_linked, fig_rotation, lesson_ui, ui
from adagrad_app import fig_trajectories as F
from adagrad_app.reproduce import TORCH_OPTIMIZERS, torch_script
from adagrad_app.trajectories_settings import (
    BOX,
    CUSTOM,
    DEFAULT_SURFACE,
    EPS_GRID,
    LR_GRID,
    PLACEMENT_LABELS,
    RACER_LABELS,
    START_LIMIT,
    SURFACE_LABELS,
    custom_start,
    knobs_of,
    schema_for,
)
from adagrad_core.expr import MAX_LENGTH, make_surface
from adagrad_core.racers import RACERS, diverge_bound, race, sgd_sweep, snap
from adagrad_core.surfaces import SURFACES, Surface

PAGE = "trajectories"
PAGE_FILE = f"pages/{PAGE}.py"
ROTATION_STEPS = 100
FORGETS = {"surface": "rosenbrock", "opts": "adagrad,rmsprop", "steps": "1000"}  # the lesson


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


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_sweep(skey: tuple, x0: tuple, steps: int, lrs: tuple):
    """SGD at every rate of ``lrs`` (the slider's, and the one set), and the best one."""
    return sgd_sweep(surface_of(skey), x0, steps, lrs, C.TARGET)


def best_sgd(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    """(sweep, run of SGD at its best rate) when SGD and Adagrad race, else (None, None)."""
    if "sgd" not in keys or "adagrad" not in keys:
        return None, None
    grid = tuple(sorted({*LR_GRID, dict(lrs)["sgd"]}))
    sweep = cached_sweep(skey, x0, steps, grid)
    if sweep.best_lr is None:
        return sweep, None
    best = (("sgd", sweep.best_lr),)
    return sweep, cached_race(skey, ("sgd",), best, knobs, x0, steps)["sgd"]


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_surface_figure(skey: tuple, x0: tuple):
    """The race chart with no race: what a lesson shows until it is answered."""
    return F.surface_figure(surface_of(skey), x0)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_linked_figures(
    skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int
) -> tuple:
    """The loss, effective-rate and accumulator charts of a run (built once per settings)."""
    runs = cached_race(skey, keys, lrs, knobs, x0, steps)
    _, tuned = best_sgd(skey, keys, lrs, knobs, x0, steps)
    loss = fig_linked.loss_figure(runs, goal=fig_common.goal(surface_of(skey)), best_sgd=tuned)
    return loss, fig_linked.eff_lr_figure(runs), fig_linked.accumulator_figure(runs)


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
    return lesson, fig_rotation.rotation_figure(lesson)


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


def table(rows: list[dict]) -> None:
    """A claim module's rows as a small static table, the first column as its index."""
    if rows:
        df = pd.DataFrame(rows)
        st.table(df.set_index(df.columns[0]))


st.title("🏔️ Trajectories")
opening = st.container()  # the takeaway: filled once the run is known
how = st.container()  # how to read the chart: filled once it is known whether it has paths

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
taught = lesson_ui.active(PAGE_FILE)  # the lesson in the link (?lesson=KEY), or None
lesson_box = st.container()  # its question now, its verdict once the run is known
with lesson_box:
    asking = taught is not None and not lesson_ui.ask(taught)
how.caption(C.question_caption() if asking else C.instructions())
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
knobs = knobs_of(v)
x0 = (v["x0"], v["y0"])
if refused:  # the fallback surface's plot: clamp the start for this run only
    x0 = (min(max(x0[0], xa), xb), min(max(x0[1], ya), yb))
st.markdown(C.surface_intro(surface, custom=skey[0] == CUSTOM))

if not keys:
    opening.markdown(C.DEFINITION)
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
    opening.markdown(C.DEFINITION)
    st.error(f"These settings cannot run: {message}", icon="🚫")
    S.share_box()
    controls()
    st.stop()

sweep, tuned = best_sgd(skey, keys, lrs, knobs, x0, v["steps"])
start_defined = all(math.isfinite(r.gap[0]) for r in runs.values())
goal = fig_common.goal(surface)
if asking:
    # Before the answer: the settings and the surface, nothing of the run that gives it away
    # (no path, no table, no claim, no divergence message).
    opening.markdown(C.DEFINITION)
    ui.plotly_chart(
        cached_surface_figure(skey, x0),
        key="chart",
        on_select="ignore" if S.locked else on_chart_click,
        selection_mode="points",
        config={**ui.png_config("surface"), "scrollZoom": False},
    )
    ui.stop_if_first_view(PAGE)
    controls()
    st.stop()
if taught is not None:
    rotation = None
    if taught.key == "rotation":
        rotation = tuple(pair for _, pair in cached_rotation_lesson()[0])
    with lesson_box:
        lesson_ui.result(
            taught,
            C.lesson_key(taught.key, runs, sweep, rotation),
            C.lesson_why(taught.key, runs, sweep, rotation, goal=goal),
        )
if not start_defined:  # a typed f, off its domain
    opening.markdown(C.DEFINITION)
    st.error(
        f"f is not defined at the start ({x0[0]:g}, {x0[1]:g}), so no optimizer can move: "
        "choose another start (click on a shaded part of the chart).",
        icon="🚫",
    )
else:
    opening.markdown(C.takeaway(runs, sweep, goal=goal))
    for message in C.divergence_messages(runs):
        st.error(message, icon="💥")

ui.plotly_chart(
    fig,
    key="chart",
    on_select="ignore" if S.locked else on_chart_click,
    selection_mode="points",
    config={**ui.png_config("trajectories"), "scrollZoom": False},
)
# no race to tell when f is undefined at the start
race_text = (C.race_caption(runs, goal=goal) or "") if start_defined else ""
if race_text:
    st.markdown(race_text)
    table(C.race_rows(runs, tuned, goal=goal))
if start_defined and (text := C.sweep_caption(runs, sweep)):
    st.markdown(text)
if text := C.minima_caption(surface, runs):
    st.markdown(text)
if text := C.twin_caption(runs, surface.bounds):
    st.caption(text)
if text := C.step_ratio_caption(runs):
    st.caption(text)
    table(C.step1_rows(runs))
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
    if text := C.eff_lr_caption(runs):
        st.caption(text)
with cols[2]:
    ui.plotly_chart(acc_fig, config=ui.png_config("trajectories-accumulator"))
    if text := C.accumulator_caption(runs):
        st.caption(text)
        table(C.accumulator_rows(runs))


@st.fragment
def surface_3d(surface, runs) -> None:
    """The optional 3-D view: its toggle redraws only this part of the page."""
    if not S.locked:
        st.toggle("🧊 Show the surface in 3-D", key="view3d")
    S.sync()
    if st.session_state["view3d"]:
        ui.plotly_chart(
            fig_3d.surface3d_figure(surface, runs), config=ui.png_config("trajectories-3d")
        )


surface_3d(surface, runs)

if "adagrad" in keys:
    st.subheader("⚠️ Adagrad's weakness: it never forgets")
    st.markdown(C.WEAKNESS)
    link = not S.locked and not (skey[0] == FORGETS["surface"] and "rmsprop" in keys)
    if text := C.weakness_caption(runs, link=link):
        st.markdown(text)
        table(C.weakness_rows(runs, goal))
    if link:
        st.page_link(
            "pages/trajectories.py",
            label="See it on the Rosenbrock valley, Adagrad against RMSprop",
            icon="🐌",
            query_params=FORGETS,
        )

st.subheader("🔄 Rotation: where diagonal Adagrad loses its edge")
lesson, rotation_fig = cached_rotation_lesson()
ui.plotly_chart(rotation_fig, config=ui.png_config("rotation"))
table(C.rotation_rows(lesson[0][1], lesson[1][1]))
st.caption(C.rotation_caption(lesson[0][1], lesson[1][1]))
