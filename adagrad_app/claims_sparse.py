"""What the sparse-features page says about its run: the opening, question 1 and the notes.

Each sentence is a small function of the run that returns its text only when the run's own
numbers bear it out, and ``None`` otherwise (the page then prints a plainer sentence, or none).
The facts the conditions rest on are in :mod:`.sparse_facts`; questions 2 and 3 are in
:mod:`.claims_frequency`. ``tests/test_claims_sparse.py`` checks them all with hypothesis over
the page's whole settings space. The run's figures go in the tables, not in the sentences: at
most four numbers a sentence.

The evidence is three objects from :mod:`adagrad_core.sparse`: the page's run (``SparseRun``),
plain SGD trained at many rates on the same examples (``RateSweep``) and, for question 3, the
batch-size sweep (``BatchSweep``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adagrad_core.sparse import RateSweep, SparseRun, frequency_split, summarize

from .fmt import about, names, num, number, pct, plural
from .sparse_facts import (
    CLEARLY,
    CRITERION,
    LEARNED,
    _index,
    comparable,
    division,
    gap_parts,
    label,
    learned,
    rare_best,
    seldom,
    standing,
    start_error,
    stopped,
)

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


def downloads_caption(run: SparseRun, points: Sequence) -> str:
    """What the downloads hold. ``points``: the record points the CSV has a row for."""
    rows = len(points) * run.probs.size
    return (
        f"CSV: {rows:,} rows, one per record point × feature (weights, effective rates, G). "
        "📷 PNG: hover over a chart and click its camera icon (Download plot as a PNG)."
    )


def no_rare_note(run: SparseRun) -> str | None:
    """Why the frequency charts are not drawn, when no feature is rare."""
    if run.groups[0].any():
        return None
    return (
        f"Every feature here is about equally frequent (p from {num(run.probs.min())} to "
        f"{num(run.probs.max())}), so there is no rare group for this chart to compare. Spread "
        "the probabilities apart, or pick another preset."
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
