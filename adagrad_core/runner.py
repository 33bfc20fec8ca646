"""Run an optimizer for a number of steps and keep the whole history as arrays."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import divergence
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

    A start that diverges (a non-finite value or loss, or ``|x| > bound``: the rule of
    :mod:`.divergence`) is stopped: from the step recorded in ``diverged_each`` on, its values
    repeat the last finite ones and its updates are zero, so no chart receives NaN.
    ``diverged_at`` is the first such step over all starts, ``last`` the index of the last
    meaningful point before it (``last_each`` per start). ``exit_each`` keeps, per start, the
    point its stopping step reached when only the bound was left there (the direction in which
    it left), NaN otherwise.
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
    exit_each: np.ndarray | None = None  # (*batch, d): where a start left the bound, else NaN

    @property
    def diverged_at(self) -> int | None:
        hit = self.diverged_each[self.diverged_each >= 0]
        return int(hit.min()) if hit.size else None

    @property
    def last_each(self) -> np.ndarray:
        """Per start: the index of its last meaningful point in ``params``."""
        return divergence.last_good(self.diverged_each, self.steps)

    @property
    def last(self) -> int:
        """The index of the last point every start reached before any was stopped."""
        return int(divergence.last_good(self.diverged_at, self.steps))

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
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(f"Invalid x0: {x[idx]} at index {idx} (must be finite)")
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


def _all_ok(params, bound, *arrays) -> bool:
    """Quick screen of a whole run: inside the bound and finite everywhere? (A sum is finite
    only if every term is; a rare overflow of a finite sum just takes the exact per-start path.)
    """
    if not divergence.inside(params, bound):  # also catches NaN
        return False
    return all(a is None or np.isfinite(np.add.reduce(a, axis=None)) for a in arrays)


def _check_bound(bound: Any) -> float:
    if isinstance(bound, int) and abs(bound) > 1e308:  # an int too large for a float
        bound = math.inf if bound > 0 else -math.inf
    if not (isinstance(bound, (int, float)) and not math.isnan(bound) and bound > 0):
        raise ValueError(f"Invalid bound: {bound!r} (must be > 0)")
    return bound


def _histories(x: np.ndarray, state, steps: int) -> tuple:
    """Empty histories of a run from ``x`` (``params[0]`` filled), the optimizer's initial
    state per field, and one history per state field (the step counter excepted)."""
    params = np.empty((steps + 1, *x.shape))
    params[0] = x
    grads = np.empty((steps, *x.shape))
    updates = np.empty((steps, *x.shape))
    eff_lr = np.empty((steps, *x.shape))
    fields = [f for f in state._fields if f != "step"]
    init = {f: np.asarray(getattr(state, f), dtype=float) for f in fields}
    hist = {f: np.empty((steps, *init[f].shape)) for f in fields}
    return params, grads, updates, eff_lr, init, hist


def _record(update, grad_fn, x, state, upd_kw, params, grads, updates, eff_lr, hist) -> None:
    """The steps from ``x``, in place: each step's gradient, update, effective rate and state."""
    rows = [(h, state._fields.index(f)) for f, h in hist.items()]  # (history, index in state)
    for t in range(grads.shape[0]):
        g = np.asarray(grad_fn(x), dtype=float)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn returned shape {g.shape}, expected {x.shape}")
        upd, state, extras = update(g, state, x, **upd_kw)
        x = np.add(x, upd, out=params[t + 1])  # x is a view of its own history row
        grads[t], updates[t], eff_lr[t] = g, upd, extras["eff_lr"]
        for h, i in rows:
            h[t] = state[i]


def _diverged(params, bound, grads, eff_lr, hist, loss) -> tuple[np.ndarray, np.ndarray]:
    """Per start: the step (1-based) at which :mod:`.divergence`'s rule stops it, or -1; and the
    point it reached at that step when only the bound was left there (its numbers all finite),
    else NaN: where the run left the bound, before :func:`.divergence.cut` hides it."""
    batch_ndim = params.ndim - 2
    diverged = np.full(params.shape[1:-1], -1, dtype=int)
    exits = np.full(params.shape[1:], np.nan)
    if grads.shape[0] and not _all_ok(params, bound, grads, eff_lr, *hist.values(), loss):
        broke = ~_rows_ok(params[1:], 1 + batch_ndim)  # not finite (the bound aside)
        for a in (grads, eff_lr, *hist.values()):
            broke |= ~_rows_ok(a, 1 + batch_ndim)
        if loss is not None:  # a finite point may have no finite loss (log x at x < 0)
            broke |= ~np.isfinite(loss[1:])
        diverged = divergence.first_stop(broke | divergence.escaped(params[1:], bound))
        row = np.maximum(diverged, 1).reshape(1, *diverged.shape)
        left = (diverged > 0) & ~np.take_along_axis(broke, row - 1, axis=0)[0]
        at = np.take_along_axis(params, row[..., None], axis=0)[0]
        exits = np.where(left[..., None], at, np.nan)
    return diverged, exits


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
    bound = _check_bound(bound)
    init_kw, upd_kw = opt.split(hp)
    state = opt.init(x, **init_kw)
    params, grads, updates, eff_lr, init, hist = _histories(x, state, steps)
    # The loop only computes and records; divergence is found and stopped afterwards, over the
    # whole history at once (every operation is per start, so a start that went bad cannot
    # touch the others).
    with np.errstate(all="ignore"):
        _record(opt.update, grad_fn, x, state, upd_kw, params, grads, updates, eff_lr, hist)
        loss = None if loss_fn is None else np.asarray(loss_fn(params), dtype=float)
        diverged, exits = _diverged(params, bound, grads, eff_lr, hist, loss)
    if (diverged > 0).any():
        held = [(eff_lr, 0.0), *((h, init[f]) for f, h in hist.items())]
        points = [params] if loss is None else [params, loss]
        divergence.cut(diverged, points, [grads, updates], held)

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
        exit_each=exits,
    )
