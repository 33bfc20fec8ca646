"""Facts of a sparse run that the page's sentences rest on: no prose, only measurements.

What counts as "learned", "clearly", "seldom" or "close" is set here, once, with the function
that measures it; the claims modules (:mod:`.claims_sparse`, :mod:`.claims_frequency`) print a
sentence only when these facts bear it out.
"""

from __future__ import annotations

import math

import numpy as np

from adagrad_core import OPTIMIZERS
from adagrad_core.sparse import BatchSweep, RateSweep, SparseRun, batch_presence, summarize

LEARNED = 0.5  # a group "has learned" once its mean error is below half of where it started
CLEARLY = 0.8  # one error is "clearly" below another when under this share of it
SELDOM = 0.25  # rare weights are adjusted "seldom" when at most this share as often as frequent
PRESENCE = "1 − (1 − p)ᴮ"  # the chance that a batch of B examples contains the feature
CRITERION = "the lowest mean of the two groups' errors"


# --- formats -----------------------------------------------------------------------------------


def label(name: str) -> str:
    return OPTIMIZERS[name].label


# --- facts of a run ----------------------------------------------------------------------------


def start_error(run: SparseRun, group: str) -> float:
    """A group's mean |w − w*| at the start: every weight starts at 0."""
    rare, freq = run.groups
    mask = rare if group == "rare" else freq
    return float(np.abs(run.w_true[mask]).mean()) if mask.any() else math.nan


def stopped(run: SparseRun) -> list[str]:
    """Labels of SGD and Adagrad if they diverged on this run."""
    return [label(n) for n in ("sgd", "adagrad") if run.diverged_at.get(n) is not None]


def comparable(run: SparseRun) -> bool:
    """There is a rare group, and SGD and Adagrad both finished."""
    return bool(run.groups[0].any()) and not stopped(run)


def learned(run: SparseRun, s: dict, name: str, group: str) -> bool:
    return s[name][f"{group}_error"] < LEARNED * start_error(run, group)


def _index(rates: RateSweep, lr: float) -> int | None:
    hit = np.flatnonzero(np.isclose(rates.lrs, lr, rtol=1e-9, atol=0))
    return int(hit[0]) if hit.size else None


def dominated(rates: RateSweep, ada: dict) -> bool:
    """No SGD rate that finished ends at least as close as Adagrad in both groups at once."""
    ok = ~rates.diverged
    both = (rates.rare_error[ok] <= ada["rare_error"]) & (
        rates.frequent_error[ok] <= ada["frequent_error"]
    )
    return bool(ok.any()) and not both.any()


def rare_best(rates: RateSweep) -> int | None:
    """Index of the rate at which SGD's rare weights end closest (of the rates that finished)."""
    ok = np.flatnonzero(~rates.diverged & np.isfinite(rates.rare_error))
    return int(ok[np.argmin(rates.rare_error[ok])]) if ok.size else None


def gap_parts(run: SparseRun, rates: RateSweep) -> dict[str, float] | None:
    """How SGD's rare-weight gap to Adagrad at the page's rate splits up, as shares of it:
    ``scale`` (multiplying the rate by B, at B > 1), ``tune`` (from there to the rate best for
    rare weights, :func:`rare_best`) and ``rest`` (from there to Adagrad: what no SGD rate tried
    does for rare weights). None unless there is a gap and every part closes some of it (each
    share in [0, 1])."""
    i_r = rare_best(rates)
    if not comparable(run) or i_r is None:
        return None
    s = summarize(run)
    you, ada = s["sgd"]["rare_error"], s["adagrad"]["rare_error"]
    best = float(rates.rare_error[i_r])
    gap = you - ada
    if not gap > 0:
        return None
    parts = {}
    start = you
    if run.batch_size > 1:
        i = _index(rates, run.hparams["sgd"]["lr"] * run.batch_size)
        if i is None or rates.diverged[i]:
            return None
        start = float(rates.rare_error[i])
        parts["scale"] = (you - start) / gap
    parts["tune"] = (start - min(best, start)) / gap
    parts["rest"] = (min(best, start) - ada) / gap
    if not all(0 <= v <= 1 for v in parts.values()):
        return None
    return parts


NEAR = 0.8  # SGD's best rate "comes close" when Adagrad's error is above this share of it


def standing(run: SparseRun, rates: RateSweep | None) -> str | None:
    """Where Adagrad stands against SGD at every rate tried, on both groups at once:
    ``ahead`` (no rate gets both groups as close, and the best rate is clearly behind on one),
    ``close`` (no rate gets both as close, but the best rate is within NEAR on both),
    ``matched`` (some rate gets both groups at least as close). None when there is nothing to
    compare: a divergence, no rare group, no rate that finished, or nothing learned."""
    if not comparable(run) or rates is None or rates.best is None:
        return None
    s = summarize(run)
    if not learned(run, s, "adagrad", "frequent"):
        return None
    ada = s["adagrad"]
    if not dominated(rates, ada):
        return "matched"
    b = rates.best
    near = (
        ada["rare_error"] >= NEAR * rates.rare_error[b]
        and ada["frequent_error"] >= NEAR * rates.frequent_error[b]
    )
    return "close" if near else "ahead"


def division(run: SparseRun) -> float:
    """By how much the batch mean divides a rare weight's gradient when its feature is in the
    batch: B over the expected number of its examples in such a batch, pB/q, so q/p."""
    rare = run.groups[0]
    p = run.probs[rare]
    return float(np.mean(batch_presence(p, run.batch_size) / p))


def seldom(run: SparseRun) -> bool:
    """Are rare weights adjusted clearly less often than frequent ones on this run?"""
    s = summarize(run)
    return bool(run.groups[0].any()) and s["rare_adjustments"] <= SELDOM * s["frequent_adjustments"]


def alive(sweep: BatchSweep) -> np.ndarray:
    """Indices of the batch sizes at which no optimizer diverged."""
    bad = np.zeros(sweep.batch_sizes.size, bool)
    for name in sweep.optimizers:
        bad |= sweep.metrics[name]["diverged"].astype(bool)
    return np.flatnonzero(~bad)
