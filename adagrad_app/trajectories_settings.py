"""The trajectories page's settings: its Param schema and slider grids (no streamlit).

Each setting is one :class:`Param`: its URL key, label, range or grid, widget, step, format and
help. ``ui.widget`` draws each sidebar widget from it and ``ui.Settings`` parses links with it,
so a label cannot drift between a widget and a link's note. Kept out of the page so that tests
(the claims' property tests) can walk the page's whole settings space, every setting from its
minimum to its maximum.
"""

from __future__ import annotations

from adagrad_core.expr import MAX_LENGTH, make_surface
from adagrad_core.racers import DEFAULT_RACERS, KNOBS, RACERS, log_grid
from adagrad_core.surfaces import SURFACES

from .params import Param

DEFAULT_SURFACE = "quadratic"
LR_GRID = log_grid(-4, 2)  # 1e-4 ... 100, six values per decade
EPS_GRID = [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
START_LIMIT = 10.0  # widest plot bound of any surface
CUSTOM = "custom"  # the surface choice whose f(x, y) is typed in the `expr` box
SURFACE_LABELS = {**{k: s.label for k, s in SURFACES.items()}, CUSTOM: "Custom f(x, y)…"}
RACER_LABELS = {k: r.label for k, r in RACERS.items()}
PLACEMENT_LABELS = {"outside": "√G + ε (torch)", "inside": "√(G + ε) (d2l, Keras)"}
DEFAULT_EXPR = "x**2 + 10*sin(y)"
BOX = Param(
    "box", 5.0, "float", 0.5, START_LIMIT, label="Plot range ± (x and y)", widget="number", step=0.5
)
EXPR_HELP = (
    "Numbers, x, y, pi, e, + − * / ** and sin, cos, tan, exp, log, sqrt, tanh, abs. "
    "Press Enter to draw it."
)
# A select_slider on a log grid: a link's value between two points snaps to the nearer in ratio.
LR_RANGE = (LR_GRID[0], LR_GRID[-1])
EPS_RANGE = (EPS_GRID[0], EPS_GRID[-1])
ON_LR_GRID = {"widget": "select_slider", "grid": tuple(LR_GRID), "log": True, "fmt": "%g"}
ON_EPS_GRID = {"widget": "select_slider", "grid": tuple(EPS_GRID), "log": True, "fmt": "%g"}
START_WIDGET = {"widget": "number", "step": 0.1, "fmt": "%.2f", "row": "start"}


def lr_key(racer: str) -> str:
    """The setting (URL key and widget key) of ``racer``'s learning rate."""
    return f"lr_{racer}"


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
            widget="select",
        ),
        Param("expr", DEFAULT_EXPR, "text", hi=MAX_LENGTH, label="f(x, y)", help=EXPR_HELP),
        BOX,
        Param(
            "opts",
            list(DEFAULT_RACERS),
            "multi",
            options=tuple(RACERS),
            label="Optimizers",
            option_labels=RACER_LABELS,
        ),
        Param("steps", 100, "int", 10, 1000, label="Steps", widget="slider", step=10),
        Param("x0", start[0], "float", *lim, label="Start x", **START_WIDGET),
        Param("y0", start[1], "float", *lim, label="Start y", **START_WIDGET),
        *[
            Param(lr_key(k), r.lr(surface), "float", *LR_RANGE, label=f"{r.label} lr", **ON_LR_GRID)
            for k, r in RACERS.items()
        ],
        Param("eps", KNOBS["eps"], "float", *EPS_RANGE, label="Adagrad ε", **ON_EPS_GRID),
        Param(
            "eps_placement",
            KNOBS["eps_placement"],
            "choice",
            options=tuple(PLACEMENT_LABELS),
            label="ε placement",
            option_labels=PLACEMENT_LABELS,
            widget="radio",
        ),
        _number("acc0", "initial_accumulator_value", 10.0, "Adagrad initial accumulator", 0.1),
        _number("lr_decay", "lr_decay", 1.0, "Adagrad lr decay", 0.01, "%.3f"),
        _number("momentum", "momentum", 0.999, "Momentum (Momentum, Nesterov)", 0.05),
        _number("beta1", "beta1", 0.999, "Adam β₁", 0.05, "%.3f"),
        _number("beta2", "beta2", 0.9999, "Adam β₂", 0.001, "%.4f"),
        _number("rho", "rho", 0.999, "Adadelta ρ", 0.05, "%.3f"),
        _number("alpha", "alpha", 0.9999, "RMSprop α", 0.01, "%.4f"),
        Param("view3d", False, "bool", label="🧊 Show the surface in 3-D", widget="toggle"),
    ]


def _number(key: str, knob: str, hi: float, label: str, step: float, fmt: str | None = None):
    """A shared hyper-parameter (:data:`KNOBS`) from 0 to ``hi``, typed in a number box."""
    return Param(
        key, KNOBS[knob], "float", 0.0, hi, label=label, widget="number", step=step, fmt=fmt
    )


def knobs_of(values: dict) -> tuple:
    """The shared hyper-parameters (:data:`adagrad_core.racers.KNOBS`) from the page's values."""
    return (
        ("eps", values["eps"]),
        ("eps_placement", values["eps_placement"]),
        ("initial_accumulator_value", values["acc0"]),
        ("lr_decay", values["lr_decay"]),
        ("momentum", values["momentum"]),
        ("beta1", values["beta1"]),
        ("beta2", values["beta2"]),
        ("rho", values["rho"]),
        ("alpha", values["alpha"]),
    )
