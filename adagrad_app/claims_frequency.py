"""What the sparse-features page says about questions 2 and 3, and its lessons' keys.

Question 2: where frequency sits in the formula (G counts only the steps with the feature).
Question 3: what mini-batches change (how often a weight is adjusted, and how much). Each
sentence returns its text only when the run bears it out; see :mod:`.claims_sparse`.
"""

from __future__ import annotations

import math

import numpy as np

from adagrad_core.sparse import BatchSweep, RateSweep, SparseRun, predicted_eff_lr, summarize

from . import claims_sparse as C1
from .fig_sparse import shown_features
from .fmt import about, names, num, number, plural
from .scenarios import Key
from .sparse_facts import (
    CLEARLY,
    PRESENCE,
    alive,
    label,
    stopped,
)

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
        f"Top: one dot per feature. {across}, the number of examples that contained one "
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
        f"\n\nBottom: {which} within a factor {num(within)} of the dashed prediction. It "
        "needs only each feature's p and the run's mean squared residual (the residual is the "
        "prediction minus the label), not the feature's count of adjustments."
    )
    return text + tail


# --- question 3 --------------------------------------------------------------------------------


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


def sweep_off_note(run: SparseRun, sweep_on: bool, locked: bool) -> str:
    """Why chart ⑤ is not drawn."""
    if sweep_on:
        return C1.no_rare_note(run) or "There is nothing to sweep on these settings."
    if locked:
        return "The batch-size sweep is switched off in this link."
    return "Switch on the batch-size sweep in the sidebar to see this chart."


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
        if rates is None or rates.best is None or stopped(run) or not run.groups[0].any():
            return C1.verdict(run, rates)
        ada, best = summarize(run)["adagrad"]["rare_error"], rates.rare_error[rates.best]
        return (
            f"Adagrad's rare weights end {num(ada)} from their targets on average, SGD's at its "
            f"best rate {num(best)} (the table under chart ①). {C1.verdict(run, rates)}"
        )
    if key == "one_rate":
        return C1.q1_bind(run, rates) or C1.verdict(run, rates)
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
