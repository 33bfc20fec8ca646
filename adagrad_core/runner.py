"""Run an optimizer for a number of steps and keep the whole history as arrays."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .optimizers import OPTIMIZERS, Optimizer

MAX_STEPS = 20_000
"""Upper bound on ``steps`` for one call."""
MAX_ELEMENTS = 2_000_000
"""Upper bound on ``steps * x0.size``: bounds the time and memory of any call."""
MAX_FULL_DIM = 32
"""Full-matrix Adagrad keeps a d x d matrix per start; d is capped here."""
DEFAULT_BOUND = 1e6
"""A run is stopped for a start once any coordinate's absolute value exceeds this bound."""


@dataclass(frozen=True)
class Trajectory:
    """Whole histories of one run; arrays indexed by step first.

    ``params`` is ``(steps+1, *x0.shape)``; ``grads``, ``updates`` and ``eff_lr`` are
    ``(steps, *x0.shape)`` (entry ``t`` belongs to the step from ``params[t]`` to
    ``params[t+1]``); ``state[name]`` is the optimizer's state *after* each step (for Adagrad
    ``state["sum"]`` is the accumulator G_t). ``loss`` is ``(steps+1, *batch)`` when a loss
    function was given.

    A start that diverges (a non-finite value or loss, or ``|x| > bound``) is stopped: from the
    step recorded in ``diverged_each`` on, its values repeat the last finite ones and its updates
    are zero, so no chart receives NaN. ``diverged_at`` is the first such step over all starts.
    """

    optimizer: str
    hparams: dict[str, Any]
    params: np.ndarray
    grads: np.ndarray
    updates: np.ndarray
    eff_lr: np.ndarray
    state: dict[str, np.ndarray]
    loss: np.ndarray | None
    diverged_each: np.ndarray  # int per start: step at which it was stopped, or -1
    bound: float

    @property
    def diverged_at(self) -> int | None:
        hit = self.diverged_each[self.diverged_each >= 0]
        return int(hit.min()) if hit.size else None

    @property
    def steps(self) -> int:
        return self.grads.shape[0]


def get_optimizer(name: str) -> Optimizer:
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]


def _check_x0(x0: Any, opt: Optimizer) -> np.ndarray:
    try:
        x = np.array(x0, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"Invalid x0: {x0!r} (must be numbers of shape (d,) or (n, d))") from None
    if x.ndim not in (1, 2) or x.shape[-1] == 0 or x.size == 0:
        raise ValueError(f"Invalid x0 shape {x.shape} (must be (d,) or (n, d) with d, n >= 1)")
    if not np.isfinite(x).all():
        raise ValueError("Invalid x0: contains NaN or infinity")
    if opt.name == "adagrad_full" and x.shape[-1] > MAX_FULL_DIM:
        raise ValueError(f"Invalid x0: adagrad_full allows d <= {MAX_FULL_DIM}, got {x.shape[-1]}")
    return x


def _check_steps(steps: Any, size: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer)")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"Invalid steps: {steps} (must be in [0, {MAX_STEPS}])")
    if steps * size > MAX_ELEMENTS:
        raise ValueError(
            f"Invalid steps: {steps} x {size} values is too large "
            f"(steps * x0.size <= {MAX_ELEMENTS})"
        )
    return int(steps)


def _rows_ok(a: np.ndarray, batch_ndim: int) -> np.ndarray:
    """Per start: are all of this array's values finite?"""
    return np.isfinite(a.reshape(*a.shape[:batch_ndim], -1)).all(-1)


def _keep(alive: np.ndarray, new: Any, old: Any) -> Any:
    """``new`` where the start is alive, ``old`` where it was stopped (any trailing shape)."""
    if not isinstance(new, np.ndarray):
        return new
    mask = alive.reshape(alive.shape + (1,) * (new.ndim - alive.ndim))
    return np.where(mask, new, old)


def run(
    optimizer: str,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    x0: Any,
    steps: int,
    *,
    loss_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    bound: float = DEFAULT_BOUND,
    **hparams: Any,
) -> Trajectory:
    """Run ``optimizer`` from ``x0`` for ``steps`` steps of ``x <- x + update(grad_fn(x))``.

    ``x0`` is ``(d,)`` or ``(n, d)``: n starts run at once, vectorised; ``grad_fn`` maps
    ``(..., d)`` to gradients of the same shape. Hyper-parameters are keyword-only, with the
    names and defaults of ``torch.optim`` (see :mod:`adagrad_core.optimizers`).

    >>> from adagrad_core.surfaces import SURFACES
    >>> s = SURFACES["quadratic"]
    >>> t = run("adagrad", s.grad, [-5, -2], 20, lr=0.4, eps=1e-6, eps_placement="inside")
    >>> t.params[-1].round(6).tolist()  # d2l.ai, section 12.7
    [-2.382563, -0.158591]
    """
    opt = get_optimizer(optimizer)
    hp = opt.resolve(hparams)
    x = _check_x0(x0, opt)
    steps = _check_steps(steps, x.size)
    if isinstance(bound, int) and abs(bound) > 1e308:  # an int too large for a float
        bound = math.inf if bound > 0 else -math.inf
    if not (isinstance(bound, (int, float)) and not math.isnan(bound) and bound > 0):
        raise ValueError(f"Invalid bound: {bound!r} (must be > 0)")
    init_kw, upd_kw = opt.split(hp)
    state = opt.init(x, **init_kw)
    batch_ndim = x.ndim - 1
    alive = np.ones(x.shape[:-1], dtype=bool)
    diverged = np.full(x.shape[:-1], -1, dtype=int)

    params = np.empty((steps + 1, *x.shape))
    params[0] = x
    grads = np.zeros((steps, *x.shape))
    updates = np.zeros((steps, *x.shape))
    eff_lr = np.zeros((steps, *x.shape))
    fields = [f for f in state._fields if f != "step"]
    hist = {f: np.zeros((steps, *np.shape(getattr(state, f)))) for f in fields}
    last_eff = np.zeros_like(x)

    with np.errstate(all="ignore"):
        for t in range(steps):
            if not alive.any():  # every start stopped: the rest of the history repeats
                params[t + 1 :] = x
                eff_lr[t:] = last_eff
                for f in fields:
                    hist[f][t:] = getattr(state, f)
                break
            g = np.asarray(grad_fn(x), dtype=float)
            if g.shape != x.shape:
                raise ValueError(f"grad_fn returned shape {g.shape}, expected {x.shape}")
            upd, new_state, extras = opt.update(g, state, x, **upd_kw)
            x_new = x + upd
            arrays = [x_new, g, *(getattr(new_state, f) for f in fields), extras["eff_lr"]]
            if loss_fn is not None:  # a finite point may have no finite loss (log x at x < 0)
                arrays.append(np.asarray(loss_fn(x_new), dtype=float)[..., None])
            fine = all(np.isfinite(a).all() for a in arrays) and np.abs(x_new).max() <= bound
            if not (fine and alive.all()):
                ok = np.abs(x_new).max(-1) <= bound
                for a in arrays:
                    ok &= _rows_ok(a, batch_ndim)
                stopped = alive & ~ok
                diverged[stopped] = t + 1
                alive = alive & ok
                x_new = _keep(alive, x_new, x)
                upd = _keep(alive, upd, 0.0)
                g = _keep(alive, g, 0.0)
                extras = {k: _keep(alive, v, last_eff) for k, v in extras.items()}
                new_state = new_state._replace(
                    **{f: _keep(alive, getattr(new_state, f), getattr(state, f)) for f in fields}
                )
            grads[t], updates[t], eff_lr[t] = g, upd, extras["eff_lr"]
            for f in fields:
                hist[f][t] = getattr(new_state, f)
            x, state, last_eff = x_new, new_state, extras["eff_lr"]
            params[t + 1] = x

    loss = None
    if loss_fn is not None:
        with np.errstate(all="ignore"):
            loss = np.asarray(loss_fn(params), dtype=float)
    return Trajectory(
        optimizer=optimizer,
        hparams=hp,
        params=params,
        grads=grads,
        updates=updates,
        eff_lr=eff_lr,
        state=hist,
        loss=loss,
        diverged_each=diverged,
        bound=float(bound),
    )
