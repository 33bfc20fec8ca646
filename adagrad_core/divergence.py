"""The core's one divergence rule: when a run counts as diverged, and where it is cut.

A start has diverged at the first step whose numbers are not finite or whose parameters leave
``[-bound, bound]`` (:func:`escaped`; NaN fails every comparison, so it counts). It is stopped
at that step, counted from 1 (:func:`first_stop`): from there on it keeps its last good
values, its update and gradient are 0, and its last meaningful point is the one before the
stop (:func:`last_good`). :func:`cut` applies that to whole histories.

The runner (:func:`adagrad_core.runner.run`) applies the rule after the loop, over the whole
history; :func:`adagrad_core.racers.race` and the formula page take the runner's verdict. The
sparse simulation (:mod:`adagrad_core.sparse`) applies the same test step by step, behind the
quick vectorised :func:`screen`, and freezes a stopped optimizer's weights at once.

>>> escaped(np.array([[1.0, -2.0], [3.0, np.nan], [0.0, -5.0]]), 4.0).tolist()
[False, True, True]
>>> first_stop(np.array([[False, False], [True, False], [True, False]])).tolist()
[2, -1]
>>> last_good(np.array([2, -1]), 3).tolist()
[1, 3]
"""

from __future__ import annotations

import math

import numpy as np


def escaped(x: np.ndarray, bound: float) -> np.ndarray:
    """Per row of ``x`` (its last axis reduced): did a value leave ``[-bound, bound]`` or stop
    being a number?"""
    return ~(np.abs(x).max(-1) <= bound)


def inside(x: np.ndarray, bound: float) -> bool:
    """The whole array's quick test: is every value within ``[-bound, bound]``? (NaN fails.)"""
    return bool(x.max() <= bound and -x.min() <= bound)


def screen(bound: float) -> float:
    """A quick screen of :func:`escaped`: while the weights' sum of squares stays under this,
    no weight can have left ``[-bound, bound]`` (NaN fails it too), so only then is each
    weight looked at. A margin for rounding; no screen when the square would overflow."""
    return bound * bound * (1 - 1e-9) if bound < 1e150 else -math.inf


def first_stop(bad: np.ndarray) -> np.ndarray:
    """Per start: the first step (from 1) whose row of ``bad`` (steps first) is set, or -1."""
    return np.where(bad.any(0), bad.argmax(0) + 1, -1)


def last_good(stop, steps: int):
    """Index of the last meaningful point of a run of ``steps`` steps stopped at ``stop``
    (from 1; -1 or None: never stopped): the point before the stop."""
    if stop is None:
        return steps
    return np.where(stop > 0, stop - 1, steps)


def cut(stop: np.ndarray, points, zeroed, held) -> None:
    """In place: from its stopping step on, a start repeats its last good values.

    ``stop`` holds, per start, the step (from 1) at which it was stopped, or -1. ``points``
    are histories of points (``steps + 1`` rows: parameters, loss), which from the stop on
    repeat the point before it; ``zeroed`` are per-step histories (gradient, update) that are 0
    from the stopping step on; ``held`` are pairs ``(history, value before step 1)`` of
    per-step histories (effective rate, optimizer state) that from the stopping step on repeat
    the step before's value (the value before step 1 for a stop at step 1).
    """
    steps = zeroed[0].shape[0]
    last = last_good(stop, steps)  # per start: index of last good point
    after = np.arange(steps).reshape(-1, *[1] * last.ndim) >= last  # (steps, *batch)

    def mask(a):
        return after.reshape(after.shape + (1,) * (a.ndim - after.ndim))

    def frozen(a):  # per start, the entry of ``a`` (indexed by step first) at ``last``
        idx = last.reshape(1, *last.shape, *[1] * (a.ndim - 1 - last.ndim))
        return np.take_along_axis(a, idx, axis=0)

    for p in points:
        p[1:] = np.where(mask(p[1:]), frozen(p), p[1:])
    for a in zeroed:
        a[...] = np.where(mask(a), 0.0, a)
    for h, first in held:
        before = np.concatenate([np.broadcast_to(first, h.shape[1:])[None], h])
        h[...] = np.where(mask(h), frozen(before), h)
