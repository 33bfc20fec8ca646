"""What the sparse-features page says about its run, and the small tables beside its charts.

Each sentence is a small function of the run that returns its text only when the run's own
numbers bear it out, and ``None`` otherwise (the page then prints a plainer sentence, or none).
The conditions sit next to the sentences; ``tests/test_claims_sparse.py`` checks them with
hypothesis over the page's whole settings space. The run's figures go in the tables, not in
the sentences: at most four numbers a sentence.

The evidence is three objects from :mod:`adagrad_core.sparse`: the page's run (``SparseRun``),
plain SGD trained at many rates on the same examples (``RateSweep``) and, for question 3, the
batch-size sweep (``BatchSweep``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from adagrad_core import OPTIMIZERS
from adagrad_core.sparse import (
    BatchSweep,
    RateSweep,
    SparseRun,
    batch_presence,
    frequency_split,
    predicted_eff_lr,
    summarize,
)

from .fig_sparse import shown_features
from .scenarios import Key
from .theme import number

LEARNED = 0.5  # a group "has learned" once its mean error is below half of where it started
CLEARLY = 0.8  # one error is "clearly" below another when under this share of it
SELDOM = 0.25  # rare weights are adjusted "seldom" when at most this share as often as frequent
PRESENCE = "1 − (1 − p)ᴮ"  # the chance that a batch of B examples contains the feature
CRITERION = "the lowest mean of the two groups' errors"


# --- formats -----------------------------------------------------------------------------------


def num(x: float) -> str:
    """Two significant digits, whole numbers with separators from 100 up; "n/a" if not finite."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else number(x, 2)


def pct(x: float) -> str:
    """A share as a whole percent that never shows 0% or 100% for a share that is not exactly
    that: "less than 1%" and "more than 99%" instead."""
    if x in (0.0, 1.0) or not 0 < x < 1:
        return f"{100 * x:.0f}%"
    if x < 0.005:
        return "less than 1%"
    if x > 0.995:
        return "more than 99%"
    return f"{100 * x:.0f}%"


def about(x: float) -> str:
    """An average number of examples or steps, as a whole number ("less than 1" below 1)."""
    return f"{round(x):,}" if x >= 0.5 else "less than 1"


def label(name: str) -> str:
    return OPTIMIZERS[name].label


def names(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


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


# --- the opening -------------------------------------------------------------------------------


def model_text(run: SparseRun, noise: float = 0.0) -> str:
    """What the page trains. ``noise``: the share of labels flipped (logistic model)."""
    if run.model == "linear":
        return (
            "**The model:** linear regression with squared loss, trained on a stream of "
            "examples. Each example switches on feature i with its own probability p. Every "
            "weight w starts at 0; its target w\\* is between 0.5 and 1.5 in size."
        )
    text = (
        "**The model:** logistic regression with log loss, trained on a stream of examples. "
        "Each example switches on feature i with its own probability p. Every weight w starts "
        "at 0; labels are drawn from targets w\\* between 0.5 and 1.5 in size."
    )
    if noise > 0:
        text += (
            " Flipped labels pull the best fit towards 0, so no optimizer should end at "
            "w\\* exactly: compare the optimizers with each other."
        )
    return text


def seldom(run: SparseRun) -> bool:
    """Are rare weights adjusted clearly less often than frequent ones on this run?"""
    s = summarize(run)
    return bool(run.groups[0].any()) and s["rare_adjustments"] <= SELDOM * s["frequent_adjustments"]


def takeaway(run: SparseRun, rates: RateSweep | None) -> str:
    """At most three plain sentences: the mechanism, and what this run shows of it."""
    s = summarize(run)
    if not run.groups[0].any():
        first = "Here every feature is about equally frequent, so every weight is adjusted about "
        first += "as often."
    elif seldom(run):
        first = "A frequent feature's weight is adjusted often, a rare one's seldom."
    elif s["rare_adjustments"] >= 0.9 * run.steps:
        first = (
            "Here almost every batch holds every feature, so frequency shows in each gradient's "
            "size, not in how often a weight moves."
        )
    else:
        first = (
            f"Here a rare feature's weight is adjusted in {pct(s['rare_adjusted'])} of the "
            f"steps, a frequent one's in {pct(s['frequent_adjusted'])}."
        )
    second = (
        "SGD moves every weight with one learning rate; Adagrad divides each weight's rate by "
        "the root of its summed squared gradients"
    )
    if seldom(run) and "adagrad" in s and s["adagrad"]["eff_lr_ratio"] > 1 / CLEARLY:
        second += ", so rarely adjusted weights keep larger steps."
    else:
        second += "."
    return f"{first} {second} {verdict(run, rates)}"


def verdict(run: SparseRun, rates: RateSweep | None) -> str:
    """What this run shows: whether any single SGD rate matches Adagrad on both groups."""
    if stopped(run):
        return f"On this run {names(stopped(run))} diverged: lower its learning rate to compare."
    if not run.groups[0].any():
        return "Spread the probabilities apart to see rare and frequent weights differ."
    if rates is None or rates.best is None:
        return "Every SGD rate tried diverged here."
    where = standing(run, rates)
    if where is None:
        return not_learned(run, rates)
    n = int((~rates.diverged).sum())
    if where == "ahead":
        return (
            f"Here no single SGD rate of the {n} that finished gets both groups as close as "
            "Adagrad."
        )
    if where == "close":
        return (
            f"Here Adagrad beats each of SGD's {n} rates in both groups, but the best comes "
            "within 20%."
        )
    return "Here one SGD rate does as well as Adagrad in both groups: a single rate is enough."


def not_learned(run: SparseRun, rates: RateSweep | None) -> str:
    """Why Adagrad's frequent weights have not learned, as far as the run tells."""
    s = summarize(run)
    ada = s["adagrad"]
    if ada["rare_error"] > start_error(run, "rare") or ada["frequent_error"] > start_error(
        run, "frequent"
    ):
        return (
            "Adagrad's weights end farther from their targets than they started: its rate is "
            "too large."
        )
    b = rates.best if rates is not None else None
    if b is not None and rates.frequent_error[b] < LEARNED * start_error(run, "frequent"):
        return "SGD learned here but Adagrad hardly did: its rate is too small."
    return "Neither optimizer got the frequent weights halfway to their targets here."


# --- question 1 --------------------------------------------------------------------------------


def error_heading(run: SparseRun, rates: RateSweep | None) -> str:
    """Chart ①'s heading: its point, as far as this run bears it out."""
    plain = "① Weight error over time"
    where = standing(run, rates)
    if where is None:
        return plain
    s = summarize(run)
    ada, b = s["adagrad"], rates.best
    if not learned(run, s, "adagrad", "rare"):
        return plain
    if where == "ahead" and ada["rare_error"] < CLEARLY * rates.rare_error[b]:
        if ada["frequent_error"] <= rates.frequent_error[b]:
            return "① Rare weights catch up with Adagrad, and frequent ones stay precise"
        return "① Rare weights catch up with Adagrad"
    if where == "matched":
        return "① Weight error over time: here one SGD rate does as well"
    return plain


def q1_setup(run: SparseRun) -> str | None:
    """How often each group's features occur, and what that asks of a rate."""
    if not comparable(run):
        return None
    rare, freq = run.groups
    occ = run.occurrences[-1]
    s = summarize(run)
    text = (
        f"A rare feature here is in about {about(occ[rare].mean())} of the "
        f"{s['examples']:,} examples, a frequent one in about {about(occ[freq].mean())}."
    )
    if seldom(run):
        text += (
            " So a rare weight is adjusted seldom: to reach its target in few steps, each step "
            "must be large."
        )
    return text


def q1_bind(run: SparseRun, rates: RateSweep | None) -> str | None:
    """What chart ② shows: the rate that suits rare weights against the one that suits
    frequent ones, and whether one costs the other."""
    if not comparable(run) or rates is None:
        return None
    ok = np.flatnonzero(~rates.diverged)
    if ok.size < 2:
        return None
    i_r = rare_best(rates)
    i_f = int(ok[np.argmin(rates.frequent_error[ok])])
    lr_r, lr_f = num(rates.lrs[i_r]), num(rates.lrs[i_f])
    if i_r == i_f:
        return f"In chart ②, one SGD rate, {lr_r}, is best for both groups."
    smallest = ", the smallest rate tried" if i_f == ok[0] else ""
    text = (
        f"In chart ②, SGD's rare weights end closest at rate {lr_r}, its frequent ones at "
        f"{lr_f}{smallest}."
    )
    bind = rates.lrs[i_r] > rates.lrs[i_f] and (
        rates.frequent_error[i_r] > rates.frequent_error[i_f] / CLEARLY
    )
    if bind:
        text += " At the rare weights' best rate, frequent weights end clearly farther off."
        above = rates.lrs > rates.lrs[i_r]
        if i_r == ok[-1] and above.any() and rates.diverged[above].all():
            text += " Every larger rate tried diverges."
    return text


def q1_batch(run: SparseRun, rates: RateSweep | None) -> str | None:
    """At B > 1: the batch mean's division of a rare weight's gradient, and SGD at rate × B."""
    B = run.batch_size
    if B == 1 or not comparable(run) or rates is None:
        return None
    d = division(run)
    if d >= 1.5:
        text = (
            f"A batch of {B} averages its examples, so a rare weight's gradient is divided by "
            f"about {num(d)} when its feature is in the batch."
        )
    else:
        text = (
            f"A batch of {B} usually holds several of a rare feature's examples, so the batch "
            "mean hardly shrinks its gradient."
        )
    i = _index(rates, run.hparams["sgd"]["lr"] * B)
    if i is None:
        return text
    s = summarize(run)
    you, you_f = s["sgd"]["rare_error"], s["sgd"]["frequent_error"]
    if rates.diverged[i]:
        return text + " Multiplying SGD's rate by B to undo that diverges here."
    scaled, scaled_f = float(rates.rare_error[i]), float(rates.frequent_error[i])
    if scaled < CLEARLY * you:
        text += (
            f" Multiplying SGD's rate by B undoes that: its rare-weight error falls from "
            f"{num(you)} to {num(scaled)}."
        )
    else:
        text += (
            f" Multiplying SGD's rate by B does not help much here: its rare-weight error "
            f"goes from {num(you)} to {num(scaled)}."
        )
    if scaled_f > you_f / CLEARLY:
        text += f" Its frequent weights end farther off, at {num(scaled_f)}."
    return text


def q1_verdict(run: SparseRun, rates: RateSweep | None) -> str | None:
    """How much of SGD's rare-weight gap is the rate (and 1/B), how much no rate closes; and
    whether Adagrad's frequent weights kept their precision."""
    where = standing(run, rates)
    if where is None:
        return None
    s = summarize(run)
    ada = s["adagrad"]
    parts = gap_parts(run, rates)
    text = ""
    if parts is not None:
        best = "at the rate best for rare weights (chart ②)"
        if "scale" in parts:
            text = (
                f"Of SGD's rare-weight gap to Adagrad at your rate, {pct(parts['scale'])} closes "
                f"by multiplying the rate by B, {pct(parts['tune'])} more {best}, and "
                f"{pct(parts['rest'])} remains."
            )
        else:
            text = (
                f"Of SGD's rare-weight gap to Adagrad at your rate, {pct(parts['tune'])} closes "
                f"{best}, and {pct(parts['rest'])} remains."
            )
        if parts["rest"] > 0:
            text += " No SGD rate tried gets the rare weights as close as Adagrad."
        text += " "
    b = rates.best
    best_r, best_f = float(rates.rare_error[b]), float(rates.frequent_error[b])
    if ada["frequent_error"] <= best_f and ada["rare_error"] < best_r:
        text += (
            "Adagrad's frequent weights also end closer than SGD's best rate gets them: its "
            "larger rare steps cost them no precision."
        )
    elif ada["frequent_error"] <= best_f:
        text += "Adagrad's frequent weights end closer than SGD's best rate gets them."
    elif ada["frequent_error"] * CLEARLY <= best_f:
        text += "Adagrad's frequent weights end about as close as SGD's best rate gets them."
    else:
        text += "SGD's best rate gets the frequent weights closer than Adagrad does here."
    for name in run.optimizers:
        if name not in ("sgd", "adagrad") and not _gone(run, name):
            m = s[name]
            worse = m["rare_error"] > start_error(run, "rare") or m["frequent_error"] > start_error(
                run, "frequent"
            )
            if worse:
                text += (
                    f" {label(name)} ends farther from the targets than it started: its rate is "
                    "too large."
                )
    return text


def error_table(run: SparseRun, rates: RateSweep | None) -> dict[str, list[str]]:
    """Chart ①'s figures: each run's rate and final errors, from the start (w = 0) down."""
    has_rare = bool(run.groups[0].any())
    rows = [("start, w = 0", "", start_error(run, "rare"), start_error(run, "frequent"))]
    s = summarize(run)

    def row(name: str, lr: float, rare: float, freq: float, gone: bool, step=None) -> None:
        if gone:
            rows.append((name, num(lr), "diverged", "diverged"))
        else:
            rows.append((name, num(lr), rare, freq))

    lr = run.hparams["sgd"]["lr"]
    row("SGD, your rate", lr, s["sgd"]["rare_error"], s["sgd"]["frequent_error"], _gone(run, "sgd"))
    if rates is not None:
        i = _index(rates, lr * run.batch_size) if run.batch_size > 1 else None
        if i is not None:
            row(
                "SGD, rate × B",
                rates.lrs[i],
                rates.rare_error[i],
                rates.frequent_error[i],
                bool(rates.diverged[i]),
            )
        if rates.best is not None:
            b = rates.best
            row(
                "SGD, best rate",
                rates.lrs[b],
                rates.rare_error[b],
                rates.frequent_error[b],
                False,
            )
    for name in run.optimizers:
        if name != "sgd":
            m = s[name]
            row(
                label(name),
                run.hparams[name]["lr"],
                m["rare_error"],
                m["frequent_error"],
                _gone(run, name),
            )
    table = {
        "run": [r[0] for r in rows],
        "lr": [r[1] for r in rows],
        "rare": [_cell(r[2]) for r in rows],
        "frequent": [_cell(r[3]) for r in rows],
    }
    if not has_rare:
        del table["rare"]
        table["all"] = table.pop("frequent")
    return table


def _gone(run: SparseRun, name: str) -> bool:
    return run.diverged_at.get(name) is not None


def _cell(v) -> str:
    return v if isinstance(v, str) else num(v)


def error_caption(run: SparseRun, baseline: bool) -> str:
    """Where to look in chart ① and its table. ``baseline``: is SGD's best rate drawn?"""
    table = "The table gives each run's final mean |w − w*| per group."
    wide = " Wide pale grey: SGD at its best rate, from chart ②." if baseline else ""
    if not run.groups[0].any():
        return f"Every feature here is about equally frequent: one line per run.{wide} {table}"
    return (
        f"Solid lines: rare weights (features with p below {num(frequency_split(run.probs))}); "
        f"dotted: frequent ones.{wide} {table}"
    )


def rate_caption(rates: RateSweep) -> str:
    """Where to look in chart ②, and the criterion of the best rate."""
    text = (
        f"Each marker is plain SGD trained at one of {rates.lrs.size} rates on the same "
        "examples; the flat orange lines are Adagrad. The star is SGD's best rate, the one with "
        f"{CRITERION}."
    )
    if rates.diverged.any():
        text += " ✕ marks rates at which SGD diverged."
    if rates.best is None:
        text = "SGD diverged at every rate tried: there is no best rate to compare."
    return text


# --- question 2 --------------------------------------------------------------------------------

Q2_BRIDGE = (
    "**Where is frequency in the formula?** Give each weight its own clock: divide its rate by "
    "the square root of how often it was adjusted, lr/√count, and a rare weight keeps a large "
    "rate.",
    "Adagrad replaces the count with G, the sum of the weight's squared gradients. A feature "
    "absent from a batch has gradient exactly 0 and adds nothing to G, so G ≈ (steps with the "
    "feature) × (its mean squared gradient). The rate is lr/(√G + ε), with ε tiny.",
)


def _shown_seen(run: SparseRun) -> tuple[int, int] | None:
    """(most frequent, rarest) of the shown features that were adjusted at least once."""
    idx = [i for i in shown_features(run.probs) if run.adjusted[-1][i] > 0]
    if len(idx) < 2:
        return None
    return idx[0], idx[-1]


def q2_run(run: SparseRun) -> str | None:
    """The bridge, on this run's most frequent and rarest shown features."""
    pair = _shown_seen(run)
    if pair is None or "adagrad" not in run.optimizers or run.accum is None:
        return None
    hi, lo = pair
    n = run.adjusted[-1]
    if n[lo] >= n[hi]:
        return None
    eff = run.eff_lr["adagrad"][-1]
    text = (
        f"In chart ③ the most frequent feature shown was adjusted in {n[hi]:,} of "
        f"{run.steps:,} steps, the rarest in {n[lo]:,}."
    )
    ratio = eff[lo] / eff[hi]
    G = run.accum[-1]
    # mean squared gradient per adjusting step: larger for the rarer feature, or smaller
    size = (G[lo] / n[lo]) / (G[hi] / n[hi]) if G[hi] > 0 and n[lo] > 0 else math.nan
    if ratio >= 1.5:
        text += f" The rarest one's rate ended {num(ratio)}× the most frequent one's."
        if _count_share(int(n[hi]), int(n[lo]), ratio) < 0.5 and size < 1:
            text += " The counts explain less than half of that gap: "
            if run.batch_size > 1:
                text += (
                    "a batch gradient adds up the feature's examples in the batch, so frequency "
                    "also sets each gradient's size.\n\n"
                )
            else:
                text += "the rarest one's gradients were also smaller.\n\n"
    elif ratio > 1 / 1.5:
        if n[hi] >= 2.25 * n[lo] and size > 1:
            text += " Their rates ended close anyway: the rarest one's gradients were larger."
        else:
            text += " Their counts are close, and so are their rates."
    elif size > 1:
        text += " The rarest one's rate ended lower: its gradients were larger."
    return text.strip()


def _count_share(n_hi: int, n_lo: int, ratio: float) -> float:
    """How much of a rate ratio (on a log scale) the counts of adjusting steps explain: 1 when
    G is exactly count × the same mean g²."""
    gap = math.log(ratio)
    return 0.5 * math.log(max(n_hi, 1) / max(n_lo, 1)) / gap if gap > 0 else 1.0


def accumulator_table(run: SparseRun) -> dict[str, list[str]]:
    """Chart ③'s figures at the end: for each feature drawn, its p, count, G and rate."""
    idx = [i for i in shown_features(run.probs) if run.adjusted[-1][i] > 0]
    G, n, eff = run.accum[-1], run.adjusted[-1], run.eff_lr["adagrad"][-1]
    return {
        "p": [number(run.probs[i], 3) for i in idx],
        "steps adjusted": [f"{n[i]:,}" for i in idx],
        "G": [num(G[i]) for i in idx],
        "rate lr/(√G + ε)": [num(eff[i]) for i in idx],
    }


def accumulator_caption(run: SparseRun) -> str:
    text = "Each line is one feature"
    text += ", coloured from orange-red (rare) to blue (frequent)." if run.groups[0].any() else "."
    pair = _shown_seen(run)
    if pair is not None and run.adjusted[-1][pair[1]] < 0.2 * run.steps:
        text += " Flat stretches are steps without the feature: its G and its rate wait for it."
    return text + " The table gives each feature's numbers at the end."


TRIM = 20  # from this many features that appeared, the top and bottom 5% are left out


def _range(run: SparseRun) -> list[int]:
    """The percentiles the spreads use: 5 to 95, or the whole range with few features."""
    return [5, 95] if (run.adjusted[-1] > 0).sum() >= TRIM else [0, 100]


def _spreads(run: SparseRun) -> tuple[float, float] | None:
    """Across the features that appeared (leaving out the top and bottom 5% of 20 or more):
    how many times the number of examples containing one varies, and how many times G per
    such example."""
    occ, G = run.occurrences[-1], run.accum[-1]
    seen = run.adjusted[-1] > 0
    if seen.sum() < 2:
        return None
    lo_n, hi_n = np.percentile(occ[seen], _range(run))
    lo_g, hi_g = np.percentile(G[seen] / occ[seen], _range(run))
    if not lo_g > 0:
        return None
    return hi_n / max(lo_n, 1), hi_g / lo_g


def _is_count(spreads: tuple[float, float] | None) -> bool:
    """G is mostly a count: on a log scale the counts vary at least twice as much as G per
    example does."""
    return spreads is not None and spreads[1] ** 2 <= spreads[0]


def frequency_heading(run: SparseRun) -> str:
    if _is_count(_spreads(run)):
        return "④ At the end: G is a count, so the rate follows frequency"
    return "④ At the end: G against the count, and the rate against frequency"


def frequency_caption(run: SparseRun) -> str:
    seen = run.adjusted[-1] > 0
    missing = int((~seen).sum())
    tail = (
        f" {plural(missing, 'feature')} never appeared: Adagrad never adjusted "
        f"{'it' if missing == 1 else 'them'}, and {'it is' if missing == 1 else 'they are'} "
        "neither drawn nor counted."
        if missing
        else ""
    )
    spreads = _spreads(run)
    if spreads is None:
        return "Too few features appeared to compare." + tail
    count, size = spreads
    across = "Leaving out the top and bottom 5% of features" if _range(run)[0] else "Across them"
    text = (
        f"Left: one dot per feature. {across}, the number of examples that contained one "
        f"varies {num(count)}×, and G per such example {num(size)}×."
    )
    if _is_count(spreads):
        text += " So G is mostly a count, and the rate lr/√G falls like 1/√p."
    else:
        text += (
            "\n\nSo G also depends on the size of each feature's gradients. That size is set "
            "by the residual, the prediction minus the label, which stays large while a weight "
            "is far from its target."
        )
    eff = run.eff_lr["adagrad"][-1][seen]
    pred = predicted_eff_lr(run)[seen]
    ratio = eff / pred
    share = 90 if _range(run)[0] else 100
    within = float(np.percentile(np.maximum(ratio, 1 / ratio), share))
    which = "90% of the rates are" if share == 90 else "every rate is"
    text += (
        f"\n\nRight: {which} within a factor {num(within)} of the dashed prediction. It "
        "needs only each feature's p and the run's mean squared residual (the residual is the "
        "prediction minus the label), not the feature's count of adjustments."
    )
    return text + tail


def no_rare_note(run: SparseRun) -> str | None:
    """Why the frequency charts are not drawn, when no feature is rare."""
    if run.groups[0].any():
        return None
    return (
        f"Every feature here is about equally frequent (p from {num(run.probs.min())} to "
        f"{num(run.probs.max())}), so there is no rare group for this chart to compare. Spread "
        "the probabilities apart, or pick another preset."
    )


# --- question 3 --------------------------------------------------------------------------------


def alive(sweep: BatchSweep) -> np.ndarray:
    """Indices of the batch sizes at which no optimizer diverged."""
    bad = np.zeros(sweep.batch_sizes.size, bool)
    for name in sweep.optimizers:
        bad |= sweep.metrics[name]["diverged"].astype(bool)
    return np.flatnonzero(~bad)


def q3_texts(run: SparseRun, sweep: BatchSweep | None) -> list[str]:
    """Paragraphs answering question 3 from the batch-size sweep."""
    head = "**And with mini-batches?** "
    ok = np.array([], int) if sweep is None else alive(sweep)
    if sweep is None or not run.groups[0].any() or ok.size < 2:
        if not run.groups[0].any():
            why = "with no rare group here, there is nothing to compare"
        elif sweep is None:
            why = "the batch-size sweep that shows it is switched off"
        elif sweep.batch_sizes.size < 2:
            why = "add examples to compare batch sizes"
        else:
            why = "lower the learning rates that diverged to compare the batch sizes"
        return [
            head + "A weight is adjusted only in steps whose batch contains its feature, with "
            f"chance {PRESENCE}; {why}."
        ]
    a, c = int(ok[0]), int(ok[-1])
    first = (
        head + f"Every batch size in chart ⑤ sees the same {sweep.examples:,} examples, so a "
        "batch of B takes B times fewer steps."
    )
    how_often = _how_often(sweep, a, c)
    how_much = _how_much(sweep, a, c)
    practice = (
        "SGD users usually multiply the rate by B as the batch grows. That undoes the mean's "
        "division for every weight alike, so it gives rare weights no larger share."
    )
    if run.batch_size > 1:
        practice += " The table under chart ① shows what that does at this page's B."
    else:
        practice += " Set B above 1 to see what that does, in the table under chart ①."
    paragraphs = [first]
    if how_often:
        paragraphs.append(how_often)
    paragraphs.append(how_much)
    paragraphs.append(practice)
    return paragraphs


def _how_often(sweep: BatchSweep, a: int, c: int) -> str | None:
    """How the count of adjustments per weight changes with B, and what that does to the
    frequent/rare ratio of counts."""
    B, g = sweep.batch_sizes, sweep.groups
    rare, freq = g["rare_adjustments"], g["frequent_adjustments"]
    if not (rare[a] > 0 and rare[c] > 0):
        return None
    parts = []
    if freq[c] < freq[a] / 4 and g["frequent_presence"][c] > 0.9:
        parts.append(
            "As B grows, a frequent weight is adjusted far less often: its feature is in "
            "almost every batch anyway."
        )
    same = np.flatnonzero(rare >= 0.8 * rare[a])
    upto = int(same[same >= a].max()) if same.size else a
    if upto > a:
        parts.append(
            f"A rare weight is adjusted about as often up to B = {B[upto]}, because its "
            "examples seldom share a batch."
        )
    elif rare[c] < 0.8 * rare[a]:
        parts.append(
            "A rare weight is adjusted less often too, as batches hold more of its examples."
        )
    r0, r1 = freq[a] / rare[a], freq[c] / rare[c]
    text = " ".join(parts)
    if r1 < r0 / 1.5:
        text += f"\n\nSo the frequent/rare ratio of adjustments falls from {num(r0)} to {num(r1)}."
        if r1 < 2:
            text += " At large B, how often a weight is adjusted stops carrying its frequency."
    return text.strip() or None


def _how_much(sweep: BatchSweep, a: int, c: int) -> str:
    """Frequency in the size of the batch gradient, and Adagrad's rate ratio against B."""
    text = (
        "Frequency also sits in the size of each batch gradient: a feature in k of the B "
        "examples gets k/B of one example's gradient."
    )
    e = sweep.metrics["adagrad"]["eff_lr_ratio"]
    e0, e1 = e[a], e[c]
    if not (math.isfinite(e0) and math.isfinite(e1)):
        return text
    B, g = sweep.batch_sizes, sweep.groups

    def k(group: str) -> float:  # a group's examples in a batch that holds the feature, pB/q
        return float(g[f"{group}_p"][c] * B[c] / max(g[f"{group}_presence"][c], 1e-300))

    if e1 > 1.3 * e0 and k("frequent") >= 4 * k("rare"):
        text += (
            f"\n\nAdagrad's rare/frequent rate ratio grows from {num(e0)}× to {num(e1)}×. While a "
            "weight is far from its target, its examples' residuals (prediction minus label) "
            f"share a sign and add up in the batch sum. A batch of {B[c]} holds about "
            f"{about(k('frequent'))} examples of a frequent feature, about {about(k('rare'))} "
            "of a rare one."
        )
    else:
        text += f" Adagrad's rare/frequent rate ratio goes from {num(e0)}× to {num(e1)}× here."
    return text


def sweep_table(sweep: BatchSweep) -> dict[str, list[str]]:
    """Chart ⑤'s figures per batch size: adjustments per weight and Adagrad's rate ratio."""
    g = sweep.groups
    ada = sweep.metrics["adagrad"]
    idx = range(sweep.batch_sizes.size)
    return {
        "B": [str(b) for b in sweep.batch_sizes],
        "rare: adjusted": [num(g["rare_adjustments"][i]) for i in idx],
        "frequent: adjusted": [num(g["frequent_adjustments"][i]) for i in idx],
        "rate ratio": ["–" if ada["diverged"][i] else num(ada["eff_lr_ratio"][i]) for i in idx],
    }


def sweep_caption(sweep: BatchSweep) -> str:
    if sweep.batch_sizes.size < 2:
        return "Only one batch size fits the data; add examples to compare batch sizes."
    if not sweep.groups["n_rare"][0]:
        return "No feature is rare here; spread the probabilities apart to compare groups."
    return (
        f"Top panel: circles are the simulation, dashed lines the formula steps × ({PRESENCE}). "
        "The dotted line marks this page's batch size. The table counts each weight's "
        "adjustments over the same examples."
    )


# --- notes ---------------------------------------------------------------------------------------


def leftover_note(run: SparseRun, examples: int) -> str | None:
    """The examples that do not fill a last batch, if any."""
    left = examples - run.steps * run.batch_size
    if left <= 0:
        return None
    return (
        f"{plural(left, 'example')} do not fill a last batch of {run.batch_size} and "
        f"{'is' if left == 1 else 'are'} left out."
    )


def sweep_off_note(run: SparseRun, sweep_on: bool, locked: bool) -> str:
    """Why chart ⑤ is not drawn."""
    if sweep_on:
        return no_rare_note(run) or "There is nothing to sweep on these settings."
    if locked:
        return "The batch-size sweep is switched off in this link."
    return "Switch on the batch-size sweep in the sidebar to see this chart."


def downloads_caption(run: SparseRun, points: Sequence) -> str:
    """What the downloads hold. ``points``: the record points the CSV has a row for."""
    rows = len(points) * run.probs.size
    return (
        f"CSV: {rows:,} rows, one per record point × feature (weights, effective rates, G). "
        "📷 PNG: hover over a chart and click its camera icon (Download plot as a PNG)."
    )


# --- divergence --------------------------------------------------------------------------------


def diverged_messages(run: SparseRun, rates: RateSweep | None = None) -> list[str]:
    """One message per optimizer that was stopped: its name, the step, and what to do."""
    out = []
    for name, step in run.diverged_at.items():
        if step is None:
            continue
        lr = run.hparams[name]["lr"]
        text = f"{label(name)} diverged at step {step:,} (a weight left ±1000) and was stopped."
        safe = None
        if name == "sgd" and rates is not None:
            below = np.flatnonzero(~rates.diverged & (rates.lrs < lr))
            safe = float(rates.lrs[below[-1]]) if below.size else None
        if safe is not None:
            text += f" The largest rate tried that did not diverge here is {safe:g}."
        else:
            text += f" Lower its learning rate (now {number(lr, 3)})."
        out.append(text)
    return out


def sweep_messages(sweep: BatchSweep) -> list[str]:
    """One message per optimizer that diverged at some batch sizes (those points are left out)."""
    out = []
    for name in sweep.optimizers:
        bad = sweep.batch_sizes[sweep.metrics[name]["diverged"].astype(bool)]
        if bad.size:
            where = (
                f"at B = {bad[0]}"
                if bad.size == 1
                else f"at {bad.size} of the {sweep.batch_sizes.size} batch sizes (the smallest "
                f"is {bad[0]})"
            )
            out.append(
                f"{label(name)} diverged {where}; those points are left out. Its rate is too "
                "large for these features there: lower it to include them."
            )
    return out


# --- the lessons' answer keys --------------------------------------------------------------------


def lesson_key(key: str, run: SparseRun, rates: RateSweep | None, sweep: BatchSweep | None):
    """The right choice of lesson ``key`` on this run (a ``lesson_ui.Key``), never written by
    hand: a teacher who changes a setting in the link gets a correct key."""
    if key in ("rare", "one_rate") and stopped(run):
        return Key(None, f"{names(stopped(run))} diverged on these settings.")
    if key in ("rare", "one_rate") and not run.groups[0].any():
        return Key(None, "no feature is rare on these settings.")
    if key == "rare":
        if rates is None or rates.best is None:
            return Key(None, "SGD diverged at every rate tried.")
        ada, best = summarize(run)["adagrad"]["rare_error"], rates.rare_error[rates.best]
        if ada < CLEARLY * best:
            return Key("adagrad")
        if best < CLEARLY * ada:
            return Key("sgd")
        return Key("tie")
    if key == "one_rate":
        ok = np.flatnonzero(~rates.diverged) if rates is not None else np.array([], int)
        if ok.size < 2:
            return Key(None, "SGD diverged at all but one rate tried.")
        i_r = ok[np.argmin(rates.rare_error[ok])]
        i_f = ok[np.argmin(rates.frequent_error[ok])]
        if i_r == i_f:
            return Key("same")
        return Key("larger" if rates.lrs[i_r] > rates.lrs[i_f] else "smaller")
    if key == "where_g":
        return _where_g_key(run)
    if key == "minibatch":
        return _minibatch_key(run, sweep)
    raise KeyError(key)


def _where_g_key(run: SparseRun):
    if run.accum is None:
        return Key(None, "Adagrad is not trained here.")
    idle = np.diff(run.adjusted, axis=0) == 0  # record intervals without the feature
    if not idle.any():
        return Key(None, "every feature was in some batch of every stretch recorded.")
    change = np.diff(run.accum, axis=0)[idle]
    if (change > 0).any():
        return Key("grows")
    return Key("shrinks" if (change < 0).any() else "same")


def _minibatch_key(run: SparseRun, sweep: BatchSweep | None):
    if sweep is None:
        return Key(None, "the batch-size sweep that shows it is switched off.")
    if not run.groups[0].any():
        return Key(None, "no feature is rare on these settings.")
    B = list(sweep.batch_sizes)
    if 1 not in B or 64 not in B:
        return Key(None, "B = 64 does not fit these examples.")
    adj = sweep.groups["rare_adjustments"]
    r = adj[B.index(64)] / adj[B.index(1)]
    if r > 1 / CLEARLY:
        return Key("more")
    return Key("less" if r < CLEARLY else "same")


def lesson_why(key: str, run: SparseRun, rates: RateSweep | None, sweep: BatchSweep | None) -> str:
    """The run's own explanation of a lesson's answer (its claims, as the page prints them)."""
    if key == "rare":
        return verdict(run, rates)
    if key == "one_rate":
        return q1_bind(run, rates) or verdict(run, rates)
    if key == "where_g":
        return (
            "An absent feature's gradient is exactly 0, so its G adds 0² and its rate waits. "
            + accumulator_caption(run)
        )
    if key == "minibatch":
        ok = np.array([], int) if sweep is None else alive(sweep)
        if sweep is None or ok.size < 2:
            return q3_texts(run, sweep)[0]
        return _how_often(sweep, int(ok[0]), int(ok[-1])) or q3_texts(run, sweep)[0]
    raise KeyError(key)
