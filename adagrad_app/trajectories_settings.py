"""The trajectories page's settings: its Param schema and slider grids (no streamlit).

Kept out of the page so that tests (the claims' property tests) can walk the page's whole
settings space, every setting from its minimum to its maximum.
"""

from __future__ import annotations

from adagrad_core.expr import make_surface
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
