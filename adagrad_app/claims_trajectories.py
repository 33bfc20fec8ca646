"""The trajectories page's sentences: each one a claim about the run (no streamlit).

Every public function here takes the runs (and what else it needs) and returns its text, or
``None`` when the run's own numbers do not bear the sentence out; a plainer sentence stands
in where one is needed. The condition sits beside the sentence it guards. The run's numbers
go in small tables (``*_rows``: lists of dicts of strings, for ``st.table``) beside the chart
they describe, so the sentences keep few numbers.

No function here may raise for any run the page can make: the formatters are total (0, inf,
NaN included), and tests/test_claims_trajectories.py checks the claims with hypothesis over the
page's whole settings space.

This module holds the shared formatters and facts, the page's opening and the race (its caption,
table and the comparison with SGD at its best rate). Where the paths ended and how the steps and
rates shrank are in :mod:`adagrad_app.claims_paths`; the rotation lesson and the lessons' answer
keys in :mod:`adagrad_app.claims_lessons_trajectories`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from adagrad_core.racers import GAP_FLOOR, Run, Sweep
from adagrad_core.surfaces import Surface

from . import fig_common as F
from . import theme
from .fmt import names, times

TARGET = 1e-3  # "close": f − f* below this
NEAR_ONE = 1 / 0.9  # a ratio within [0.9, 1/0.9] counts as "about 1"


# --- formatting: total functions ---------------------------------------------------------------


def num(v: float, digits: int = 3) -> str:
    """A number for prose: 0.012, 68.3, 2.6e6; "∞" or "not a number" where not finite."""
    v = float(v)
    if math.isnan(v):
        return "not a number"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return theme.number(v, 2 if abs(v) < 1e-2 or abs(v) >= 1e3 else digits)


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 step', '2 steps'."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def bold(run: Run) -> str:
    return f"**{run.label}**"


WORDS = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven", "eight")))


# --- facts of a run ---------------------------------------------------------------------------


def steps_of(runs: Mapping[str, Run]) -> int:
    """The number of steps the page asked for (every run has them, stopped or not)."""
    return next(iter(runs.values())).updates.shape[0] if runs else 0


def steps_to(run: Run, target: float = TARGET) -> int | None:
    """The first step at which f − f* < target (0: the start), or None."""
    hit = np.flatnonzero(run.gap[: run.last + 1] < target)
    return int(hit[0]) if hit.size else None


def start_defined(runs: Mapping[str, Run]) -> bool:
    """Is f defined at the start (a typed f may not be)? Else no racer can move."""
    return all(math.isfinite(r.gap[0]) for r in runs.values())


def starts_below(runs: Mapping[str, Run], target: float = TARGET) -> bool:
    """Is the start (shared by every racer) already below the target?"""
    return bool(runs) and all(r.gap[0] < target for r in runs.values())


def alive(runs: Mapping[str, Run]) -> dict[str, Run]:
    return {k: r for k, r in runs.items() if r.diverged_at is None}


def at_floor(run: Run) -> bool:
    return bool(run.gap[run.last] <= GAP_FLOOR)


def gap_text(v: float, goal: str = "the minimum") -> str:
    """A final gap for a table: 0.012, or at the charts' floor "< 1e-16" ("< 0" when f* is
    only the lowest point in the plot and the run went past it)."""
    if v > GAP_FLOOR:
        return num(v)
    return "< 0" if goal == F.PAST_EDGE else f"< {num(GAP_FLOOR)}"


# --- the page's opening -----------------------------------------------------------------------

DEFINITION = (
    "Adagrad gives each coordinate its own step size: the learning rate divided by the root "
    "of that coordinate's summed squared gradients."
)


def takeaway(
    runs: Mapping[str, Run],
    sweep: Sweep | None = None,
    target: float = TARGET,
    goal: str = "the minimum",
) -> str:
    """The page's opening, at most three plain sentences: what Adagrad does, who did best in
    this run, and (when SGD and Adagrad race) whether Adagrad beats SGD at its best rate."""
    text = DEFINITION
    if headline := _headline(runs, target, goal):
        text += " " + headline
    if (v := verdict(runs, sweep, target, goal)) is not None:
        # after "Adagrad is first to get within ...", "there" needs no repeating
        short = headline and headline.startswith("In this run **Adagrad** is first")
        if short and v.startswith("Adagrad gets within"):
            v = "It gets there before SGD does even at SGD's best single learning rate."
        text += " " + v
    return text


def _within(target: float, goal: str) -> str:
    return f"within {num(target)} of f at {goal}"


def _headline(runs: Mapping[str, Run], target: float, goal: str) -> str | None:
    ok = alive(runs)
    if not runs:
        return None
    if not ok:
        return "In this run every optimizer diverged."
    if not starts_below(runs, target):
        first = _first_below(ok, target)
        if first is not None:
            who, _ = first
            verb = "is" if len(who) == 1 else "are"
            who_ = names([bold(r) for r in who])
            return f"In this run {who_} {verb} first to get {_within(target, goal)}."
    ranked = sorted(ok.values(), key=lambda r: r.gap[-1])
    if len(ranked) > 1 and ranked[0].gap[-1] < ranked[1].gap[-1]:
        return f"In this run {bold(ranked[0])} ends closest to {goal}."
    return None


def _first_below(runs: Mapping[str, Run], target: float) -> tuple[list[Run], int] | None:
    """The racers that first reach f − f* < target, and the step; None if none does."""
    reached = {k: s for k, r in runs.items() if (s := steps_to(r, target)) is not None}
    if not reached:
        return None
    step = min(reached.values())
    return [runs[k] for k, s in reached.items() if s == step], step


def instructions() -> str:
    return (
        "Optimizers race from the same start on the same surface. Press ▶ Play under the "
        "chart; click anywhere on the chart to start from there."
    )


def surface_intro(surface: Surface, custom: bool) -> str:
    """The surface's name and what it shows; a typed f that falls past the plot's edge is said
    to have no minimum in the plot."""
    if not custom:
        return f"**{surface.label}.** {surface.lesson}"
    text = f"**Your own surface:** `{surface.label}`"
    if surface.falls_past_edge:
        text += (
            ". It has no minimum in the plot: f keeps falling past the plot's edge. So f* is "
            "its lowest value in the plot (★), and f − f* the gap to that."
        )
    return text


# --- the race ---------------------------------------------------------------------------------


def undefined_start(x0: tuple[float, float]) -> str:
    """Where f is not defined at the start: nothing can move, so no race to tell."""
    return (
        f"f is not defined at the start ({x0[0]:g}, {x0[1]:g}), so no optimizer can move: "
        "choose another start (click on a shaded part of the chart)."
    )


NO_STEP = (  # when every racer stopped before its first step
    "No optimizer completed a step, so the charts of the gap, the effective rates and "
    "the accumulators have nothing to draw: lower the learning rates."
)


def divergence_messages(runs: Mapping[str, Run]) -> list[str]:
    """One message per diverged racer: its name, the step, where it left the plot."""
    out = []
    for run in runs.values():
        if run.diverged_at is not None and run.exit_point is not None:
            ex, ey = (round(v, 2) + 0.0 for v in run.exit_point)  # + 0.0: never "-0.00"
            out.append(
                f"{run.label} diverged: it was stopped at step {run.diverged_at} after leaving "
                f"the plot near ({ex:.2f}, {ey:.2f}), marked ✖. Lower its learning rate "
                f"(now {run.hparams['lr']:g})."
            )
    return out


def race_caption(
    runs: Mapping[str, Run], target: float = TARGET, goal: str = "the minimum"
) -> str | None:
    """Who ends closest and who is first below f − f* = target. The numbers are in
    :func:`race_rows`. ``goal``: what f* is (see :func:`fig_trajectories.goal`)."""
    if not runs:
        return None
    ok = alive(runs)
    if not ok:
        return "Every optimizer diverged: lower the learning rates."
    n = count(steps_of(runs), "step")
    gap = "f − f*, the height above " + ("that point" if goal == F.PAST_EDGE else goal)
    ranked = sorted(ok.values(), key=lambda r: r.gap[-1])
    tied = [r for r in ranked if at_floor(r)]
    if goal == F.PAST_EDGE:
        where = "out of the plot, lower than anywhere in it"
    else:
        where = f"at {goal} to within rounding error"
    if len(tied) == len(ranked):
        who = "every optimizer is" if len(ranked) > 1 else f"{bold(tied[0])} is"
        text = f"After {n} {who} {where}."
    elif len(tied) > 1:
        text = (
            f"After {n} {names([bold(r) for r in tied])} are {where}; "
            f"{bold(ranked[-1])} is farthest."
        )
    elif len(ranked) > 1:
        best, worst = ranked[0], ranked[-1]
        if best.gap[-1] < ranked[1].gap[-1]:
            text = f"After {n} {bold(best)} is closest to {goal}, {bold(worst)} farthest."
        else:
            text = f"After {n} {bold(worst)} is farthest from {goal}."
    else:  # one racer, not at the floor
        text = f"The table gives {bold(ranked[0])}'s {gap}, after {n}."
        gap = ""
    if gap:
        text += f" The table gives {gap}, for each."
    if starts_below(runs, target):
        text += f" Every optimizer starts with f − f* below {num(target)} already."
    elif (first := _first_below(ok, target)) is not None:
        who, step = first
        both = "both" if len(who) == 2 else "all"
        after = f"after {count(step, 'step')}" if len(who) == 1 else f"{both} after {step}"
        text += f" First below {num(target)}: {names([bold(r) for r in who])}, {after}."
    return text


def race_rows(
    runs: Mapping[str, Run],
    best_sgd: Run | None = None,
    target: float = TARGET,
    goal: str = "the minimum",
) -> list[dict[str, str]]:
    """One row per racer (and SGD at its best rate): its rate, final gap, steps to the
    target and where it ended."""
    rows = []
    shown = [*runs.values()] + ([best_sgd] if best_sgd is not None else [])
    for i, run in enumerate(shown):
        best = best_sgd is not None and i == len(shown) - 1
        s = steps_to(run, target)
        end = run.params[run.last]
        rows.append(
            {
                "optimizer": "SGD, best lr (dashed)" if best else run.label,
                "lr": f"{run.hparams['lr']:g}",
                "f − f* at the end": (
                    f"diverged (step {run.diverged_at})"
                    if run.diverged_at is not None
                    else gap_text(run.gap[-1], goal)
                ),
                f"steps to < {num(target)}": "never" if s is None else str(s),
                "ends at (x, y)": "({}, {})".format(*(f"{round(v, 2) + 0.0:.2f}" for v in end)),
            }
        )
    return rows


# --- SGD at its best learning rate ------------------------------------------------------------


def _compare(runs: Mapping[str, Run], sweep: Sweep | None, target: float) -> dict | None:
    """The facts both comparison texts use, or None when there is nothing to compare."""
    if sweep is None or "sgd" not in runs or "adagrad" not in runs:
        return None
    a = runs["adagrad"]
    out = {
        "a": a,
        "best": sweep.best,
        "best_lr": sweep.best_lr,
        "below": starts_below(runs, target),
        "sa": steps_to(a, target),
        "su": steps_to(runs["sgd"], target),
    }
    if sweep.best is not None:
        sb = int(sweep.reached[sweep.best])
        out["sb"] = None if sb < 0 else sb
        out["gb"] = float(sweep.final_gap[sweep.best])
    return out


def verdict(
    runs: Mapping[str, Run],
    sweep: Sweep | None,
    target: float = TARGET,
    goal: str = "the minimum",
) -> str | None:
    """One plain sentence: does Adagrad beat SGD at SGD's best single learning rate?"""
    c = _compare(runs, sweep, target)
    if c is None or c["best"] is None or c["a"].diverged_at is not None:
        return None
    tuned = "SGD at its best single learning rate"
    sa, sb = c["sa"], c["sb"]
    if not c["below"] and sa is not None and (sb is None or sb > sa):
        return f"Adagrad gets {_within(target, goal)} before {tuned} does."
    if not c["below"] and sb is not None and (sa is None or sb <= sa):
        when = "as soon as" if sb == sa else "before"
        return f"{tuned[0].upper() + tuned[1:]} gets {_within(target, goal)} {when} Adagrad."
    ga, gb = float(c["a"].gap[-1]), c["gb"]
    if ga < gb:
        return f"Adagrad ends closer to {goal} than {tuned}."
    if gb < ga:
        return f"{tuned[0].upper() + tuned[1:]} ends closer to {goal} than Adagrad."
    return None


def sweep_caption(
    runs: Mapping[str, Run], sweep: Sweep | None, target: float = TARGET
) -> str | None:
    """How SGD's best rate was found, and how much of Adagrad's lead survives it."""
    c = _compare(runs, sweep, target)
    if c is None:
        return None
    lo, hi = num(float(sweep.lrs.min())), num(float(sweep.lrs.max()))
    how = (
        f"Is SGD's rate on the slider its best? The page also runs SGD at {len(sweep.lrs)} "
        f"rates from {lo} to {hi}. The best one gets f − f* below {num(target)} in the "
        "fewest steps (or, if none does, ends lowest); rates that diverge are left out."
    )
    if c["best"] is None:
        return how + "\n\nEvery rate tried diverged, so there is no tuned SGD to compare with."
    best = f"\n\nHere the best is lr = {c['best_lr']:g}, the dashed grey line in the gap chart"
    same = c["best_lr"] == runs["sgd"].hparams["lr"]
    how += best + (" (the slider's own rate, so it lies under SGD's line)." if same else ".")
    a, sa, sb, su = c["a"], c["sa"], c["sb"], c["su"]
    n = steps_of(runs)
    if a.diverged_at is not None:
        return how + " Adagrad diverged at its rate: lower it to compare the two."
    if c["below"]:
        lead = None
    elif sa is not None and sb is not None:
        if sb > sa:
            lead = f"Against tuned SGD, Adagrad still gets there {count(sb - sa, 'step')} sooner."
            if su is None:
                lead += " At the slider's rate SGD never gets there."
            elif su == sb:
                lead += " The slider's SGD rate is already the best one tried."
            elif su > sa:
                share = (sb - sa) / (su - sa)
                lead += f" That is {share:.0%} of its lead over the slider's SGD rate."
        elif sb == sa:
            lead = "Tuned SGD gets there at the same step as Adagrad: none of its lead is left."
        else:
            lead = f"Tuned SGD gets there {count(sa - sb, 'step')} before Adagrad."
            if su is None or su > sa:
                lead += " Adagrad's lead came from SGD's untuned rate."
    elif sa is not None:
        lead = f"No SGD rate gets there within {count(n, 'step')}; Adagrad does."
    elif sb is not None:
        lead = f"Tuned SGD gets there; Adagrad does not within {count(n, 'step')}."
    else:
        lead = None
    if lead is None:  # nobody got there, or everyone started there: the final gaps
        ga, gb = float(a.gap[-1]), c["gb"]
        if ga == gb:
            lead = "Adagrad and tuned SGD end with the same gap."
        elif ga <= GAP_FLOOR:
            lead = "Adagrad ends at the minimum to within rounding error; tuned SGD does not."
        elif gb <= GAP_FLOOR:
            lead = "Tuned SGD ends at the minimum to within rounding error; Adagrad does not."
        elif ga < gb:
            lead = f"Adagrad ends with a gap {times(gb / ga)}× smaller than tuned SGD's."
        else:
            lead = f"Tuned SGD ends with a gap {times(ga / gb)}× smaller than Adagrad's."
    return how + " " + lead + " Adagrad's own rate is the slider's, not tuned."
