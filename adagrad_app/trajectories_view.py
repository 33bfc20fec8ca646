"""The trajectories page's cached runs and figures, and the parts of the page that are not wiring:
the surface a link asks for, the values a link holds between slider points or off the plot, the
sidebar, the downloads and the optional 3-D view.

The cached functions take hashable settings only: ``skey`` = ``(name, text, box)`` (text and box
only for a typed surface), the racers' keys, their ``(key, lr)`` pairs, the shared knobs
(:func:`~adagrad_app.trajectories_settings.knobs_of`), the start and the number of steps. Each is
bounded, so many distinct links cannot exhaust memory. The core is called through its module
(``racers.race``), so that a test can watch the runs the page makes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from adagrad_core import racers
from adagrad_core.expr import make_surface
from adagrad_core.racers import RACERS, diverge_bound
from adagrad_core.surfaces import SURFACES, Surface

from . import claims_trajectories as C
from . import exports, fig_3d, fig_common, fig_linked, fig_rotation, instant, ui
from . import fig_trajectories as F
from .reproduce import TORCH_OPTIMIZERS, torch_script
from .trajectories_settings import (
    BOX,
    CUSTOM,
    DEFAULT_SURFACE,
    LR_GRID,
    custom_start,
    lr_key,
    schema_for,
)

PAGE = "trajectories"
PAGE_FILE = f"pages/{PAGE}.py"
ROTATION_STEPS = 100
FORGETS = {"surface": "rosenbrock", "opts": "adagrad,rmsprop", "steps": "1000"}  # the lesson


def surface_defaults(name: str, box: float) -> dict:
    keys = {"x0", "y0", *(lr_key(k) for k in RACERS)}
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


def surface_key() -> tuple[tuple, str | None]:
    """The settings' surface as a cache key, and the parser's message if a typed f(x, y) is
    refused: then the key is the default surface's (every setting stays)."""
    skey = (st.session_state["surface"], "", 0.0)
    if skey[0] != CUSTOM:
        return skey, None
    skey = (CUSTOM, st.session_state["expr"], st.session_state["box"])
    if isinstance(refused := custom_surface(*skey[1:]), str):
        return (DEFAULT_SURFACE, "", 0.0), refused
    return skey, None


def adjust_to_surface(S: ui.Settings, surface: Surface, refused: str | None) -> None:
    """A start off this surface's plot is clamped to it, with a note. (A link's learning rate
    or ε between two slider points was snapped to the nearer as the link was read: their
    Params carry the grid.)"""
    label = {p.key: p.label for p in S.schema}
    (xa, xb), (ya, yb) = surface.bounds
    for key, lo, hi in (("x0", xa, xb), ("y0", ya, yb)):
        v = st.session_state[key]
        if not lo <= v <= hi and not refused:
            new = min(max(v, lo), hi)
            note = f"{label[key]}: {v:g} is outside this surface's plot; using {new:g}"
            S.adjust(note, **{key: new})


def onto_plot(x0: tuple[float, float], surface: Surface) -> tuple[float, float]:
    """The start clamped to the surface's plot."""
    (xa, xb), (ya, yb) = surface.bounds
    return (min(max(x0[0], xa), xb), min(max(x0[1], ya), yb))


def refused_message(refused: str) -> str:
    return (
        f"This f(x, y) cannot be used: {ui.md_escape(refused)}. Showing the "
        f"{SURFACES[DEFAULT_SURFACE].label} instead."
    )


def run_error(err: ValueError, keys: tuple, momentum: float) -> str:
    """Why these settings cannot run, e.g. Nesterov with momentum 0 (the core's message names
    dampening too, which the page has no control for)."""
    message = str(err)
    if "nesterov" in keys and momentum == 0:
        message = "Nesterov needs a momentum above 0: raise it under ⚙️ Advanced"
    return f"These settings cannot run: {message}"


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_race(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    return racers.race(surface_of(skey), keys, dict(lrs), dict(knobs), x0, steps)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_main_figure(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    # The figure's dict (read-only: shared by every session with these settings).
    runs = cached_race(skey, keys, lrs, knobs, x0, steps)
    return F.trajectories_figure(surface_of(skey), runs, x0)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def cached_previews(skey: tuple, keys: tuple, lrs: tuple, knobs: tuple, x0: tuple, steps: int):
    # The paths one slider step away (read-only: shared by every session with these settings).
    runs = cached_race(skey, keys, lrs, knobs, x0, steps)
    return instant.payload(surface_of(skey), runs, lrs, knobs, x0, steps)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_sweep(skey: tuple, x0: tuple, steps: int, lrs: tuple):
    """SGD at every rate of ``lrs`` (the slider's, and the one set), and the best one."""
    return racers.sgd_sweep(surface_of(skey), x0, steps, lrs, C.TARGET)


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


def table(rows: list[dict]) -> None:
    """A claim module's rows as a small static table, the first column as its index."""
    if rows:
        df = pd.DataFrame(rows)
        st.table(df.set_index(df.columns[0]))


# The settings under ⚙️ Advanced, in the order drawn
ADVANCED = ("eps", "eps_placement", "acc0", "lr_decay", "momentum",
            "beta1", "beta2", "alpha", "rho")  # fmt: skip


def controls(S: ui.Settings) -> None:
    """The sidebar, each widget drawn from its Param (:mod:`.trajectories_settings`). The page
    draws it after the race chart: a rerun sends elements in the order they are drawn, so the
    browser gets the chart first (the widgets' values are already known)."""
    if S.locked:
        return
    P = {p.key: p for p in S.schema}

    def on_surface_change() -> None:
        S.set(**surface_defaults(st.session_state["surface"], st.session_state["box"]))

    def on_box_change() -> None:
        S.set(**dict(zip(("x0", "y0"), custom_start(st.session_state["box"]), strict=True)))

    with st.sidebar:
        ui.widget(P["surface"], on_change=on_surface_change)
        if st.session_state["surface"] == CUSTOM:
            ui.widget(P["expr"])
            ui.widget(P["box"], on_change=on_box_change)
        ui.widgets([P["opts"], P["steps"], P["x0"], P["y0"]], {})
        st.markdown("**Learning rates** (log scale)")
        for k in st.session_state["opts"]:
            ui.widget(P[lr_key(k)])
        with st.expander("⚙️ Advanced"):
            for key in ADVANCED:
                ui.widget(P[key])
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


def torch_caption(keys: tuple, lrs: tuple, knobs: tuple, steps: int) -> str:
    """What the PyTorch script runs: the racers torch.optim has, and those it has not."""
    hps = {k: RACERS[k].hparams(dict(lrs)[k], dict(knobs)) for k in keys}
    shown = [k for k in keys if in_torch(k, hps[k])]
    left = [RACERS[k].label for k in keys if k not in shown]
    text = (
        f"The same surface, start, hyper-parameters and {steps} steps with torch.optim "
        "in float64. It prints the final (x, y) of "
        + ", ".join(f"{RACERS[k].label} (`{RACERS[k].optimizer}`)" for k in shown)
        + ", in that order; they match this page's runs."
    )
    if left:
        text += f" Not in torch.optim: {', '.join(left)}."
    return text


def export_area(surface: Surface, runs, fig, race_text: str, script: str, caption) -> None:
    """Downloads of this run and its PyTorch twin: one compact row under the chart. Kept in the
    locked view too: they change nothing on the page (files are built only when clicked).
    ``caption()`` says what the script runs (built only once its box is opened)."""
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
        st.caption(caption())
        st.code(script, language="python")


@st.fragment
def surface_3d(S: ui.Settings, surface: Surface, runs) -> None:
    """The optional 3-D view: its toggle redraws only this part of the page."""
    if not S.locked:
        ui.widget(next(p for p in S.schema if p.key == "view3d"))
    S.sync()
    if st.session_state["view3d"]:
        ui.plotly_chart(
            fig_3d.surface3d_figure(surface, runs), config=ui.png_config("trajectories-3d")
        )
