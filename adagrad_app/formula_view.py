"""The formula page's settings, declared once, and its cached runs and charts.

Each setting is one :class:`Param`: its URL key, label, range, widget, step, format, help and
where it is drawn. The sidebar (:data:`SIDEBAR`, the settings with a section) is drawn by
``ui.widgets``; the few drawn beside the formulas (where ε sits, the comparison, play and the
step) by ``ui.widget`` from the same declarations, so a label cannot drift between a widget and
a link's note. The cached functions take hashable settings only and are bounded.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from adagrad_core.surfaces import SURFACES

from . import fig_formula, instant, ui
from .formula_run import MAX_STEPS, PLACEMENTS, SPARSE_SEED, FormulaRun, simulate
from .params import Param

PAGE = "formula"
PATH_CHART = "path"  # the key of the chart of the path, the step marked on it
PAGE_FILE = f"pages/{PAGE}.py"
PLAY_SECONDS = 0.8
EPS_CHOICES = ("1e-10", "1e-8", "1e-6", "1e-4", "0.01", "0.1", "1")
RUN_ON = {"surface": "a 2-D surface", "sparse": "two sparse features"}
PLACEMENT_LABELS = {
    "outside": "outside √ (torch)",
    "inside": "inside √ (d2l, Keras 3, optax)",
}
SURFACE_LABELS = {k: s.label for k, s in SURFACES.items()}
RUN = "The run"  # the sidebar's one section


def phone_css() -> None:
    """The step's formulas (a column of names, fractions and 4-digit numbers, the widest ~31
    times its font size) are wider than a phone's screen, and than the 578 px column at 1280,
    at Streamlit's KaTeX size (1.21em): their font follows the width of their block instead,
    3.1% of it (cqi), at most that 1.21em, so each stays whole. At 390 px that is ~0.7em; where
    container units are unknown, a phone gets 0.7em. The container is the st.latex element's
    outer block: the blocks inside it take their content's width (a container there is 0 wide)."""
    st.html(
        """<style>@media (max-width: 500px) {
  [data-testid="stMain"] .katex-display > .katex { font-size: 0.7em; }
}
@supports (font-size: 1cqi) {
  [data-testid="stMain"] [data-testid="stMarkdown"]:has(.katex-display) {
    container-type: inline-size;
  }
  [data-testid="stMain"] .katex-display > .katex { font-size: min(1.21em, 3.1cqi); }
}</style>"""
    )


def _new_surface() -> None:
    """A new surface starts where that surface starts, at step 1."""
    start = SURFACES[st.session_state["surface"]].start
    st.session_state["x0"], st.session_state["y0"] = float(start[0]), float(start[1])
    st.session_state["t"] = 1


def _play_pressed() -> None:
    if st.session_state["play"] and st.session_state["t"] >= st.session_state["steps"]:
        st.session_state["t"] = 1  # play from the start again


def _on(run_on: str):
    return lambda v: v["run_on"] == run_on


ON_SURFACE = {"section": RUN, "show_if": _on("surface")}
RUN_SETTINGS = [  # before the start, whose default is the surface's own
    Param(
        "run_on",
        "surface",
        "choice",
        options=tuple(RUN_ON),
        label="Run on",
        option_labels=RUN_ON,
        widget="radio",
        section=RUN,
    ),
    Param(
        "seed",
        SPARSE_SEED,
        "int",
        0,
        9999,
        label="Seed of the example stream",
        widget="number",
        section=RUN,
        show_if=_on("sparse"),
    ),
    Param(
        "surface",
        "quadratic",
        "choice",
        options=tuple(SURFACES),
        label="Surface",
        option_labels=SURFACE_LABELS,
        on_change=_new_surface,
        **ON_SURFACE,
    ),
]
RULE_SETTINGS = [  # after the start
    Param(
        "lr",
        1.0,
        "float",
        0.001,
        5.0,
        label="Learning rate η",
        widget="number",
        step=0.1,
        fmt="%.3f",
        section=RUN,
    ),
    Param(
        "eps",
        "1e-10",
        "choice",
        options=EPS_CHOICES,
        label="ε",
        widget="select_slider",
        section=RUN,
    ),
    Param(
        "eps_at",
        "outside",
        "choice",
        options=PLACEMENTS,
        label="Where ε sits",
        option_labels=PLACEMENT_LABELS,
        widget="segmented",
    ),
    Param(
        "acc0",
        0.0,
        "float",
        0.0,
        10.0,
        label="Initial accumulator G₀",
        widget="number",
        step=0.1,
        help="G before step 1: 0 in torch, 0.1 in Keras and optax.",
        section=RUN,
    ),
    Param(
        "lr_decay",
        0.0,
        "float",
        0.0,
        1.0,
        label="Rate decay (lr_decay)",
        widget="number",
        step=0.01,
        help="torch's lr_decay d: step t uses the rate η / (1 + (t − 1)·d). 0 turns it off.",
        section=RUN,
    ),
    Param("steps", 30, "int", 2, MAX_STEPS, label="Steps", section=RUN),
    Param(
        "t",
        1,
        "int",
        1,
        MAX_STEPS,
        label="Step t",
        help="Step 1 is the first update, as on the Trajectories page.",
    ),
    Param("play", False, "bool", label="▶ Play", on_change=_play_pressed),
    Param("compare", False, "bool", label="Show SGD, RMSprop and Adam beside it"),
]


def schema_for(surface: str) -> list[Param]:
    """The formula page's settings. The start defaults to the surface's own, so a link carries
    it only where it differs from where that surface starts. ``t`` is the step shown, counted
    from 1 (the first update), as the Trajectories page counts."""
    start = SURFACES[surface].start
    starts = [
        Param(
            key,
            float(start[i]),
            "float",
            -10.0,
            10.0,
            label=f"Start {key[0]}",
            widget="number",
            step=0.5,
            row="start",
            **ON_SURFACE,
        )
        for i, key in enumerate(("x0", "y0"))
    ]
    return [*RUN_SETTINGS, *starts, *RULE_SETTINGS]


def sidebar(schema: list[Param]) -> list[Param]:
    """The settings drawn in the sidebar (the others sit beside the formulas)."""
    return [p for p in schema if p.section]


def by_key(schema: list[Param]) -> dict[str, Param]:
    return {p.key: p for p in schema}


def step_slider(p: Param, done: int) -> None:
    """The step slider, its range the run's completed steps (a lone step: a still slider)."""
    ui.widget(replace(p, hi=max(done, 2)), disabled=done == 1)


def current_surface() -> str:
    """The surface of the settings in force (the session's, else the link's): its start is the
    schema's default."""
    name = ui.page_state(PAGE).get("surface", st.query_params.get("surface"))
    return name if name in SURFACES else "quadratic"


def mend_old_link() -> None:
    """A link from before steps were counted from 1: its t = 0 was the first update."""
    if st.query_params.get("t") == "0":
        st.query_params["t"] = "1"


def hparams(v: dict) -> dict:
    """The run's settings from the page's values, as :func:`formula_run.simulate` takes them."""
    hp = {k: v[k] for k in ("lr", "eps_at", "acc0", "lr_decay", "steps")}
    hp["eps"] = float(v["eps"])
    if v["run_on"] == "sparse":
        return {"run_on": "sparse", "seed": v["seed"], **hp}
    return {"surface": v["surface"], "x0": v["x0"], "y0": v["y0"], **hp}


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _simulate(**settings) -> FormulaRun:
    return simulate(**settings)


def run_for(v: dict) -> FormulaRun:
    """Adagrad's run from the core for the values ``v``, and every term of its rule (cached)."""
    return _simulate(**hparams(v))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def background(surface: str, bounds: tuple) -> dict:
    """The surface's contour lines over ``bounds``, as the path chart's background image."""
    s = SURFACES[surface]
    return fig_formula.contour_image(s.value, bounds, log_levels=s.log_levels)


def instant_step(run: FormulaRun) -> dict:
    """The run's path for the browser: the Step t slider moves the step marked on the path
    chart at once (:mod:`adagrad_app.instant`)."""
    return instant.segment_payload(PATH_CHART, "t", run.path, fig_formula.STEP_TRACE)


def path_figure(run: FormulaRun, v: dict, step: int) -> dict:
    """The run's path with step ``step`` marked; step 0: where it starts, and no step."""
    if run.w_true is not None:
        return fig_formula.path_figure(
            run.path,
            step,
            minima=[run.w_true],
            axis_titles=("w frequent", "w rare"),
            minimum_name="true weights",
        )
    surface = SURFACES[v["surface"]]
    bounds = fig_formula.view_bounds(surface.bounds, run.path)
    return fig_formula.path_figure(
        run.path, step, background=background(v["surface"], bounds), minima=surface.minima
    )


def series_figure(run: FormulaRun, step: int) -> dict:
    """Each term of the rule over the run, the cursor at ``step``."""
    panels = fig_formula.panels(run.eps_at, run.lr_decay)
    return fig_formula.term_series(run.terms, step, run.names, panels)
