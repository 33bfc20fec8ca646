"""The named optimizer configurations ("racers") the trajectories page runs side by side.

A racer is a core optimizer plus fixed hyper-parameters (Momentum is SGD with ``momentum=0.9``),
a label, and a default learning rate per surface, chosen so that the default view of each
surface shows something (the racers neither all crawl nor all explode).

:func:`race` runs several racers from one start on one surface and returns, per racer, the
arrays a page draws: the path, the gap to the minimum, the steps taken, the effective learning
rate and the second-moment accumulator (Adagrad's ``G``), plus where a diverging run left the
plot. Nothing here draws or knows about streamlit.

>>> r = race("quadratic", ["sgd", "adagrad"], {"sgd": 0.4, "adagrad": 0.4}, KNOBS, (-5, -2), 20)
>>> r["adagrad"].params[1].round(6).tolist()  # first Adagrad step: lr * sign(g) per coordinate
[-4.6, -1.6]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .divergence import last_good
from .runner import run
from .surfaces import SURFACES, Surface

DIVERGE_FACTOR = 10.0
"""A run is stopped once a coordinate exceeds this many times the plot's largest extent."""
_FAR = 1e100  # a run that jumped past this is drawn like a non-finite one: no line toward it
GAP_FLOOR = 1e-16
"""Smallest value of ``f - f_min`` kept, so a log-scale chart never gets 0."""

# The settings shared by several racers, with torch.optim's defaults (momentum: the usual 0.9).
KNOBS: dict[str, Any] = {
    "eps": 1e-10,  # Adagrad's epsilon (both variants)
    "eps_placement": "outside",  # torch: sqrt(G) + eps; "inside": sqrt(G + eps)
    "initial_accumulator_value": 0.0,
    "lr_decay": 0.0,
    "momentum": 0.9,
    "beta1": 0.9,
    "beta2": 0.999,
    "rho": 0.9,  # Adadelta
    "alpha": 0.99,  # RMSprop's decay of the squared-gradient average
}


@dataclass(frozen=True)
class Racer:
    key: str
    label: str
    optimizer: str  # a name in adagrad_core.OPTIMIZERS
    fixed: Mapping[str, Any]  # hyper-parameters this racer always uses
    knobs: tuple[str, ...]  # which of KNOBS it takes
    lrs: Mapping[str, float]  # default learning rate per surface
    accumulator: tuple[str, str] | None = None  # (state field, label) of its 2nd moment

    def lr(self, surface: str) -> float:
        return self.lrs.get(surface, self.lrs["*"])

    def hparams(self, lr: float, knobs: Mapping[str, Any]) -> dict[str, Any]:
        """The optimizer's keyword arguments for learning rate ``lr`` and shared ``knobs``."""
        k = {**KNOBS, **knobs}
        hp = {**self.fixed, "lr": float(lr)}
        for name in self.knobs:
            if name == "betas":
                hp["betas"] = (float(k["beta1"]), float(k["beta2"]))
            else:
                hp[name] = k[name]
        return hp


_ADAGRAD_KNOBS = ("eps", "eps_placement", "initial_accumulator_value", "lr_decay")
# Adam and AdamW share their default learning rate per surface.
_ADAM_LRS = {
    "*": 0.1,
    "quadratic": 0.5,
    "rotated": 0.5,
    "rosenbrock": 0.5,
    "beale": 0.3,
    "saddle": 0.2,
    "himmelblau": 0.3,
    "plateau": 0.5,
}

# Default learning rates per surface ("*": any other surface, e.g. a user-typed one).
RACERS: dict[str, Racer] = {
    r.key: r
    for r in [
        Racer(
            "sgd",
            "SGD",
            "sgd",
            {},
            (),
            {
                "*": 0.05,
                "quadratic": 0.3,
                "rotated": 0.3,
                "rosenbrock": 0.001,
                "beale": 0.02,
                "saddle": 0.1,
                "himmelblau": 0.01,
                "plateau": 0.15,
            },
        ),
        Racer(
            "momentum",
            "Momentum",
            "sgd",
            {},
            ("momentum",),
            {
                "*": 0.01,
                "quadratic": 0.05,
                "rotated": 0.05,
                "rosenbrock": 0.001,
                "beale": 0.003,
                "saddle": 0.05,
                "himmelblau": 0.003,
                "plateau": 0.05,
            },
        ),
        Racer(
            "nesterov",
            "Nesterov",
            "sgd",
            {"nesterov": True},
            ("momentum",),
            {
                "*": 0.01,
                "quadratic": 0.05,
                "rotated": 0.05,
                "rosenbrock": 0.0005,
                "beale": 0.003,
                "saddle": 0.05,
                "himmelblau": 0.003,
                "plateau": 0.05,
            },
        ),
        Racer(
            "adagrad",
            "Adagrad",
            "adagrad",
            {},
            _ADAGRAD_KNOBS,
            {
                "*": 0.5,
                "quadratic": 1.5,
                "rotated": 1.5,
                "rosenbrock": 0.5,
                "beale": 1.0,
                "saddle": 0.5,
                "himmelblau": 0.5,
                "plateau": 1.0,
            },
            ("sum", "G (sum of g²)"),
        ),
        Racer(
            "adagrad_full",
            "Full-matrix Adagrad",
            "adagrad_full",
            {},
            ("eps", "initial_accumulator_value"),
            {
                "*": 0.5,
                "quadratic": 1.5,
                "rotated": 1.5,
                "rosenbrock": 0.5,
                "beale": 1.0,
                "saddle": 0.5,
                "himmelblau": 0.5,
                "plateau": 1.0,
            },
            ("G", "G (diagonal of Σ g gᵀ)"),
        ),
        Racer(
            "rmsprop",
            "RMSprop",
            "rmsprop",
            {},
            ("alpha",),
            {
                "*": 0.05,
                "quadratic": 0.1,
                "rotated": 0.1,
                "rosenbrock": 0.05,
                "beale": 0.1,
                "saddle": 0.05,
                "himmelblau": 0.05,
                "plateau": 0.07,
            },
            ("square_avg", "v (moving average of g²)"),
        ),
        Racer(
            "adam",
            "Adam",
            "adam",
            {},
            ("betas",),
            _ADAM_LRS,
            ("exp_avg_sq", "v (moving average of g²)"),
        ),
        Racer(
            "adamw",
            "AdamW",
            "adamw",
            {},
            ("betas",),
            _ADAM_LRS,
            ("exp_avg_sq", "v (moving average of g²)"),
        ),
        Racer(
            "adadelta",
            "Adadelta",
            "adadelta",
            {},
            ("rho",),
            {"*": 50.0},
            ("square_avg", "E[g²] (moving average)"),
        ),
    ]
}

DEFAULT_RACERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")


@dataclass(frozen=True)
class Run:
    """What a page draws for one racer; arrays indexed by step first."""

    key: str
    label: str
    hparams: dict[str, Any]
    params: np.ndarray  # (steps+1, 2)
    gap: np.ndarray  # (steps+1,) f - f_min, floored at GAP_FLOOR
    updates: np.ndarray  # (steps, 2): the step taken, params[t+1] - params[t]
    eff_lr: np.ndarray  # (steps, 2): the multiplier applied to the step direction
    accumulator: np.ndarray | None  # (steps, 2) second-moment state per coordinate, or None
    accumulator_label: str
    diverged_at: int | None  # step at which the run was stopped
    exit_point: tuple[float, float] | None  # where a diverged run left the plot

    @property
    def last(self) -> int:
        """Index of the last meaningful entry of params (before the stop, or the final step)."""
        return int(last_good(self.diverged_at, len(self.params) - 1))


def diverge_bound(surface: Surface) -> float:
    return DIVERGE_FACTOR * max(abs(v) for pair in surface.bounds for v in pair)


def inside(points: np.ndarray, bounds) -> np.ndarray:
    """Per point (..., 2): is it within the plot's (x range, y range)?"""
    (x0, x1), (y0, y1) = bounds
    p = np.asarray(points, dtype=float)
    return (p[..., 0] >= x0) & (p[..., 0] <= x1) & (p[..., 1] >= y0) & (p[..., 1] <= y1)


def exit_point(path: np.ndarray, bounds) -> tuple[float, float]:
    """The point where ``path`` (n, 2) last crosses out of the plot, on its border.

    If the path never leaves the plot, its last point; if it starts outside, its first point.
    """
    path = np.asarray(path, dtype=float)
    ok = inside(path, bounds)
    if ok.all():
        return float(path[-1, 0]), float(path[-1, 1])
    if not ok.any():
        return float(path[0, 0]), float(path[0, 1])
    # last in-plot point that is followed by an out-of-plot one
    j = int(np.flatnonzero(ok[:-1] & ~ok[1:])[-1])
    p, q = path[j], path[j + 1]
    d = q - p
    t = 1.0
    for axis, (lo, hi) in enumerate(bounds):
        if d[axis] > 0:
            t = min(t, (hi - p[axis]) / d[axis])
        elif d[axis] < 0:
            t = min(t, (lo - p[axis]) / d[axis])
    e = p + max(t, 0.0) * d
    return float(e[0]), float(e[1])


def accumulator_of(racer: Racer, state: Mapping[str, np.ndarray]) -> np.ndarray | None:
    if racer.accumulator is None:
        return None
    a = state[racer.accumulator[0]]
    return np.diagonal(a, axis1=-2, axis2=-1).copy() if a.ndim == 3 else a


def race(
    surface: str | Surface,
    keys: Sequence[str],
    lrs: Mapping[str, float],
    knobs: Mapping[str, Any],
    x0: Sequence[float],
    steps: int,
) -> dict[str, Run]:
    """Run each racer in ``keys`` on ``surface`` from ``x0`` for ``steps`` steps.

    ``lrs`` maps a racer to its learning rate (missing: the racer's default for the surface);
    ``knobs`` overrides :data:`KNOBS`. Raises ``ValueError`` naming an unknown racer or surface
    or an invalid hyper-parameter.
    """
    s = SURFACES[surface] if isinstance(surface, str) else surface
    bound = diverge_bound(s)
    out: dict[str, Run] = {}
    for key in keys:
        if key not in RACERS:
            raise ValueError(f"Unknown racer {key!r}; allowed: {', '.join(RACERS)}")
        r = RACERS[key]
        hp = r.hparams(lrs.get(key, r.lr(s.name)), knobs)
        # The runner stops the run (its rule, with the plot's bound) and keeps the point
        # where it left the bound: it says in which direction the run left the plot.
        t = run(r.optimizer, s.grad, x0, steps, loss_fn=s.value, bound=bound, **hp)
        exit_at = None
        if t.diverged_at is not None:
            path = t.params[: t.last + 1]
            if np.abs(t.exit_each).max() <= _FAR:  # NaN (not finite there) fails too
                path = np.concatenate([path, t.exit_each[None]])
            exit_at = exit_point(path, s.bounds)
        with np.errstate(all="ignore"):
            gap = np.maximum(t.loss - s.f_min, GAP_FLOOR)
        out[key] = Run(
            key=key,
            label=r.label,
            hparams=t.hparams,
            params=t.params,
            gap=gap,
            updates=t.updates,
            eff_lr=t.eff_lr,
            accumulator=accumulator_of(r, t.state),
            accumulator_label=r.accumulator[1] if r.accumulator else "",
            diverged_at=t.diverged_at,
            exit_point=exit_at,
        )
    return out


def snap(value: float, grid: Sequence[float]) -> float:
    """The grid value nearest to ``value`` on a log scale (``value`` > 0)."""
    g = np.asarray(grid, dtype=float)
    return float(g[np.argmin(np.abs(np.log(g) - np.log(max(value, 1e-300))))])


def log_grid(lo_exp: int, hi_exp: int, mantissas=(1, 1.5, 2, 3, 5, 7)) -> list[float]:
    """Round numbers from 10**lo_exp to 10**hi_exp, about evenly spaced on a log scale."""
    vals = [float(f"{m}e{e}") for e in range(lo_exp, hi_exp) for m in mantissas]
    return [*vals, float(f"1e{hi_exp}")]


@dataclass(frozen=True)
class Sweep:
    """Plain SGD run from one start at each learning rate of a grid (arrays indexed like
    ``lrs``). ``reached``: the step at which f − f* first fell below ``target``, or -1;
    ``diverged``: the step at which the run was stopped, or -1. ``best`` indexes the best rate
    (see :func:`sgd_sweep`), or is None when every rate diverged."""

    lrs: np.ndarray
    reached: np.ndarray
    final_gap: np.ndarray
    diverged: np.ndarray
    target: float
    best: int | None

    @property
    def best_lr(self) -> float | None:
        return None if self.best is None else float(self.lrs[self.best])


def sgd_sweep(
    surface: str | Surface,
    x0: Sequence[float],
    steps: int,
    lrs: Sequence[float],
    target: float = 1e-3,
) -> Sweep:
    """SGD at every rate of ``lrs`` at once, and the best one: the fewest steps to
    f − f* < ``target``; among rates that never get there (or tie), the lowest final gap, then
    the smaller rate. A rate whose run diverges (as :func:`race` says it does) is left out.

    One vectorised run: SGD with lr 1 on the gradient scaled by each row's rate takes the
    step ``-(lr·g)``, exactly :func:`race`'s ``-lr·g``, so the best rate's run in ``race``
    has the same numbers.

    >>> sw = sgd_sweep("quadratic", (-5, -2), 100, [0.01, 0.3, 0.5, 1.0])
    >>> sw.best_lr, sw.reached.tolist(), sw.diverged.tolist()
    (0.3, [-1, 64, -1, -1], [-1, -1, -1, 4])
    """
    s = SURFACES[surface] if isinstance(surface, str) else surface
    rates = np.asarray(lrs, dtype=float).reshape(-1)
    if rates.size == 0 or not np.isfinite(rates).all() or (rates <= 0).any():
        raise ValueError(f"Invalid lrs: {lrs!r} (must be one or more positive numbers)")
    col = rates[:, None]
    start = np.broadcast_to(np.asarray(x0, dtype=float), (rates.size, 2))

    def grad(p: np.ndarray) -> np.ndarray:
        return col * s.grad(p)

    t = run("sgd", grad, start, steps, loss_fn=s.value, bound=diverge_bound(s), lr=1.0)
    with np.errstate(all="ignore"):
        gap = np.maximum(t.loss - s.f_min, GAP_FLOOR)  # (steps+1, n)
    below = gap < target
    reached = np.where(below.any(0), below.argmax(0), -1)
    diverged = t.diverged_each
    reached = np.where((diverged >= 0) & (reached >= diverged), -1, reached)
    ok = np.flatnonzero(diverged < 0)
    best = None
    if ok.size:
        hit = reached[ok] >= 0
        # fewest steps first (never: after every hit), then the final gap, then the rate
        order = np.lexsort((rates[ok], gap[-1, ok], np.where(hit, reached[ok], steps + 1)))
        best = int(ok[order[0]])
    return Sweep(rates, reached, gap[-1].copy(), diverged.copy(), float(target), best)


def constant_gradient_rate(run: Run) -> np.ndarray | None:
    """Adagrad's effective rate at steps 1..T (T = ``run.last``) had its step-1 gradient stayed
    the same: G_t = G_0 + t·g₁², rate lr / (1 + (t − 1)·lr_decay) / (√G_t + ε) (or √(G_t + ε)
    with ``eps_placement="inside"``). Its step 1 is the run's own. None for other racers."""
    hp = run.hparams
    if run.accumulator is None or "lr_decay" not in hp or run.last < 1:
        return None
    t = np.arange(1, run.last + 1)[:, None].astype(float)
    g0 = float(hp.get("initial_accumulator_value", 0.0))
    g1sq = run.accumulator[0] - g0
    G = g0 + t * g1sq
    eps = hp["eps"]
    root = np.sqrt(G) + eps if hp.get("eps_placement", "outside") == "outside" else np.sqrt(G + eps)
    with np.errstate(all="ignore"):
        return hp["lr"] / (1 + (t - 1) * hp["lr_decay"]) / root
