"""The trajectories page's sentences: each one a claim about the run (no streamlit).

Every public function here takes the runs (and what else it needs) and returns its text, or
``None`` when the run's own numbers do not bear the sentence out; a plainer sentence stands
in where one is needed. The condition sits beside the sentence it guards. The run's numbers
go in small tables (``*_rows``: lists of dicts of strings, for ``st.table``) beside the chart
they describe, so the sentences keep few numbers.

No function here may raise for any run the page can make: the formatters are total (0, inf,
NaN included), and tests/test_claims_trajectories.py checks the claims with hypothesis over the
page's whole settings space.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from adagrad_core.racers import GAP_FLOOR, RACERS, Run, Sweep, constant_gradient_rate
from adagrad_core.surfaces import Surface

from . import fig_common as F
from . import fig_linked, theme
from .scenarios import Key

TARGET = 1e-3  # "close": f − f* below this
MOVING = ("rmsprop", "adam", "adadelta")  # racers whose second moment is a moving average
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


def times(v: float) -> str:
    """A ratio in plain digits, 3 significant: 2,510, 5, 0.556, 0.0000123 (never 2.51e+03);
    below 1e-6, 0, and any value that is not a positive finite number, as :func:`num` writes
    it (1e-300, not three hundred zeros)."""
    v = float(v)
    if not math.isfinite(v) or v <= 0:
        return num(v)
    r = float(f"{v:.3g}")
    if r >= 1000:
        return f"{r:,.0f}"
    if r >= 1e-3:
        return f"{r:g}"
    if r < 1e-6:  # plain digits would be a row of zeros
        return num(v)
    return f"{r:.{2 - math.floor(math.log10(r))}f}"


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 step', '2 steps'."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def names(labels: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    labels = list(labels)
    if not labels:
        return ""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _bold(run: Run) -> str:
    return f"**{run.label}**"


_WORDS = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven", "eight")))


# --- facts of a run ---------------------------------------------------------------------------


def steps_of(runs: Mapping[str, Run]) -> int:
    """The number of steps the page asked for (every run has them, stopped or not)."""
    return next(iter(runs.values())).updates.shape[0] if runs else 0


def steps_to(run: Run, target: float = TARGET) -> int | None:
    """The first step at which f − f* < target (0: the start), or None."""
    hit = np.flatnonzero(run.gap[: run.last + 1] < target)
    return int(hit[0]) if hit.size else None


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
            who_ = names([_bold(r) for r in who])
            return f"In this run {who_} {verb} first to get {_within(target, goal)}."
    ranked = sorted(ok.values(), key=lambda r: r.gap[-1])
    if len(ranked) > 1 and ranked[0].gap[-1] < ranked[1].gap[-1]:
        return f"In this run {_bold(ranked[0])} ends closest to {goal}."
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
        who = "every optimizer is" if len(ranked) > 1 else f"{_bold(tied[0])} is"
        text = f"After {n} {who} {where}."
    elif len(tied) > 1:
        text = (
            f"After {n} {names([_bold(r) for r in tied])} are {where}; "
            f"{_bold(ranked[-1])} is farthest."
        )
    elif len(ranked) > 1:
        best, worst = ranked[0], ranked[-1]
        if best.gap[-1] < ranked[1].gap[-1]:
            text = f"After {n} {_bold(best)} is closest to {goal}, {_bold(worst)} farthest."
        else:
            text = f"After {n} {_bold(worst)} is farthest from {goal}."
    else:  # one racer, not at the floor
        text = f"The table gives {_bold(ranked[0])}'s {gap}, after {n}."
        gap = ""
    if gap:
        text += f" The table gives {gap}, for each."
    if starts_below(runs, target):
        text += f" Every optimizer starts with f − f* below {num(target)} already."
    elif (first := _first_below(ok, target)) is not None:
        who, step = first
        both = "both" if len(who) == 2 else "all"
        after = f"after {count(step, 'step')}" if len(who) == 1 else f"{both} after {step}"
        text += f" First below {num(target)}: {names([_bold(r) for r in who])}, {after}."
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


# --- where the runs ended ---------------------------------------------------------------------


def minima_caption(surface: Surface, runs: Mapping[str, Run], near: float = 0.02) -> str | None:
    """On a surface with several minima: which minimum each optimizer ended in. ``near``: the
    distance, as a share of the plot's width, within which a run counts as in a minimum."""
    if len(surface.minima) < 2 or surface.falls_past_edge:
        return None
    m = np.array(surface.minima)
    tol = near * F.plot_width(surface.bounds)
    ends: dict[int, list[str]] = {}
    for run in alive(runs).values():
        d = np.hypot(*(m - run.params[-1]).T)
        if d.min() <= tol:
            ends.setdefault(int(d.argmin()), []).append(_bold(run))
    if not ends:
        return None
    if len(ends) == 1:
        ((i, who),) = ends.items()
        where = "({:.2f}, {:.2f})".format(*(m[i].round(2) + 0.0)).replace("-", "−")
        # a typed f's minima are those found in the plot (sin y has more outside it)
        among, in_plot = ("the", " in the plot") if surface.name == "custom" else ("its", "")
        everyone = len(who) == len(runs) and len(runs) > 1
        return (
            f"{'Every optimizer' if everyone else names(who)} ended in the minimum at "
            f"{where}, one of {among} {_WORDS.get(len(m), len(m))}{in_plot}. From another "
            "start (click the chart) their paths may part and end in different minima."
        )
    groups = "; ".join(names(who) for who in ends.values())
    return (
        f"From one start, {_WORDS.get(len(ends), len(ends))} different minima: {groups} "
        "(the table says where). Which minimum an optimizer reaches depends on the path its "
        "steps take, not only on where it starts."
    )


def _side_by_side(a: Run, r: Run, width: float, near: float) -> int:
    """How many steps two runs take within ``near`` of the plot's width of each other."""
    n = min(a.last, r.last) + 1  # points both runs reached, the start included
    apart = np.linalg.norm(a.params[:n] - r.params[:n], axis=1) > near * width
    return (int(np.argmax(apart)) if apart.any() else n) - 1


def twin_caption(
    runs: Mapping[str, Run], bounds: tuple, near: float = 0.01, least: int = 10
) -> str | None:
    """When RMSprop's path lies under Adagrad's (closer than ``near`` of the plot's width for
    at least ``least`` steps) while they move (Adagrad travels over five times that distance:
    two runs that barely move lie together for no reason worth a sentence), say so; say why
    only when the reason holds: RMSprop's twin rate η/√(1 − α) is Adagrad's (within 5%) and its
    average remembers at least a few steps, so that early on v ≈ (1 − α)·G."""
    if "adagrad" not in runs or "rmsprop" not in runs:
        return None
    a, r = runs["adagrad"], runs["rmsprop"]
    width = F.plot_width(bounds)
    steps = _side_by_side(a, r, width, near)
    if steps < max(least, 1):
        return None
    travel = float(np.linalg.norm(np.diff(a.params[: steps + 1], axis=0), axis=1).sum())
    if not travel > 5 * near * width:
        return None
    span = f"all {steps}" if steps == max(a.last, r.last) else f"the first {steps}"
    text = (
        f"RMSprop's path lies under Adagrad's for {span} steps (closer than {near:.0%} of the "
        "plot's width)."
    )
    alpha, lr = float(r.hparams["alpha"]), float(r.hparams["lr"])
    memory = 1 / (1 - alpha)
    twin = lr / math.sqrt(1 - alpha)
    if memory >= 3 and math.isclose(twin, a.hparams["lr"], rel_tol=0.05):
        text += (
            " RMSprop's v, a moving average of g², forgets old gradients slowly: it remembers "
            f"about 1/(1 − α) = {times(memory)} steps. Early on v is about (1 − α)·G, so "
            f"RMSprop steps like Adagrad with lr η/√(1 − α), here {times(twin)}: Adagrad's own."
        )
    return text


def step_ratio_caption(runs: Mapping[str, Run]) -> str | None:
    """SGD's and Adagrad's first steps compared: the shape of each (y against x). Sizes are in
    :func:`step1_rows`."""
    us, ua = _step1(runs)
    if us is None:
        return None
    own = ua[1] / ua[0]
    sgd = us[1] / us[0]
    text = f"At step 1, SGD's step follows the gradient: it is {times(sgd)}× as long in y as in x."
    hp = runs["adagrad"].hparams
    if 1 / NEAR_ONE <= own <= NEAR_ONE:
        text += (
            f" Adagrad's is about as long in both ({times(own)}×): each coordinate is divided by "
            "the root of its own squared gradient, so both move about as far."
        )
    else:
        den = "√G + ε" if hp.get("eps_placement", "outside") == "outside" else "√(G + ε)"
        text += (
            f" Adagrad's is {times(own)}×: it divides by {den}, which is a coordinate's own "
            "gradient size only when ε and the initial accumulator are small next to g²."
        )
    return text


def _step1(runs: Mapping[str, Run]):
    if "adagrad" not in runs or "sgd" not in runs:
        return None, None
    a, s = runs["adagrad"], runs["sgd"]
    if a.last < 1 or s.last < 1:
        return None, None
    ua, us = np.abs(a.updates[0]), np.abs(s.updates[0])
    if not (min(ua.min(), us.min()) > 0 and np.isfinite([*ua, *us]).all()):
        return None, None
    return us, ua


def step1_rows(runs: Mapping[str, Run]) -> list[dict[str, str]]:
    us, ua = _step1(runs)
    if us is None:
        return []
    return [
        {
            "optimizer": label,
            "step 1 in x": num(u[0]),
            "in y": num(u[1]),
            "y ÷ x": times(u[1] / u[0]),
        }
        for label, u in (("SGD", us), ("Adagrad", ua))
    ]


# --- the linked charts --------------------------------------------------------------------------


def _when_it_fell(rates: np.ndarray) -> str:
    """When rates (steps, coordinates) that only shrink fell, on the chart's log scale."""
    first, last = rates[0], rates[-1]
    fell = (last < first) & (last > 0) & np.isfinite(first) & np.isfinite(last)
    if not fell.any():
        return ""
    with np.errstate(all="ignore"):
        share = np.log(first[fell] / rates[:, fell]) / np.log(first[fell] / last[fell])
    share = np.nan_to_num(share, nan=0.0)
    by = {q: int((share >= q).argmax(0).max()) + 1 for q in (0.5, 0.9)}  # index 0 is step 1
    if by[0.9] <= len(rates) / 10:
        return f", almost all of it in the first {count(by[0.9], 'step')}."
    return f", half of it (on the chart's log scale) by step {by[0.5]}."


def eff_lr_caption(runs: Mapping[str, Run]) -> str | None:
    """How far and when Adagrad's effective rate fell; what the dashed line is and how it falls;
    which racer's step 1 is off the chart and why. Paragraphs apart."""
    parts = []
    run = runs.get("adagrad")
    if run is not None and run.last >= 2:
        t = run.last
        first, last = run.eff_lr[0], run.eff_lr[t - 1]
        with np.errstate(all="ignore"):
            fall = first / last
        fell = [
            f"{times(fall[i])}× in {c}"
            for i, c in enumerate("xy")
            if np.isfinite(fall[i]) and fall[i] > 1.001
        ]
        text = (
            "Adagrad's effective learning rate only shrinks (it is the step per unit of gradient)."
        )
        if fell:
            text += f" Over {count(t, 'step')} it fell {' and '.join(fell)}"
            text += _when_it_fell(run.eff_lr[:t]) or "."
        else:
            text += f" Over {count(t, 'step')} it stayed level."
        parts.append(text)
        if line := _dashed_line(run):
            parts.append(line)
    for key, rate in fig_linked.step1_off_chart(runs).items():
        other = runs[key]
        state = other.accumulator_label.split()[0] if other.accumulator_label else "state"
        parts.append(
            f"{other.label}'s step 1 (rate {num(rate)}) is off the top of the chart. Its "
            f"{state} then holds a single gradient, so a direction with no gradient yet is "
            f"divided by almost nothing: only ε keeps its rate finite{_eps_rate(other)}."
        )
    return "\n\n".join(parts) or None


def _dashed_line(run: Run) -> str | None:
    """The dashed line (:func:`constant_gradient_rate`): how far it falls, and like what. It
    falls "like 1/√t" only when it does (within 5%), that is when ε and the initial
    accumulator are small next to g²; lr decay divides it further."""
    env = constant_gradient_rate(run)
    if env is None or len(env) < 2:
        return None
    t = len(env)
    with np.errstate(all="ignore"):
        fall = env[0] / env[-1]
    if not np.isfinite(fall).all() or (fall <= 0).any():
        return None
    decay = float(run.hparams.get("lr_decay", 0.0))
    plain = math.sqrt(t) * (1 + (t - 1) * decay)
    f = float(fall.max())
    text = f"The dashed line is the rate a constant gradient would give: ÷{times(f)} by step {t}."
    like = "1/√t, times the lr decay's 1/(1 + (t − 1)·decay)" if decay else "1/√t"
    if np.allclose(fall, plain, rtol=0.05):
        text += f" It falls like {like}."
    else:  # ε and a starting G only ever slow the fall
        text += f" Without ε and the initial accumulator it would fall like {like}."
        text += " They are not small next to g² here, so it falls slower."
    return text


def _eps_rate(run: Run) -> str:
    """The largest step-1 rate ε allows, as a parenthesis: " (up to lr/ε = 1.5e10)"."""
    eps = run.hparams.get("eps")
    if not eps:
        return ""
    if run.hparams.get("eps_placement") == "inside":
        return f" (up to lr/√ε = {num(run.hparams['lr'] / math.sqrt(eps))})"
    return f" (up to lr/ε = {num(run.hparams['lr'] / eps)})"


def _moving(runs: Mapping[str, Run]) -> Run | None:
    """The first racer whose second moment is a moving average, with a few steps run."""
    for key in MOVING:
        other = runs.get(key)
        if other is not None and other.accumulator is not None and other.last >= 2:
            return other
    return None


def accumulator_caption(runs: Mapping[str, Run]) -> str | None:
    """Adagrad's sum never decreases; a moving average falls once old gradients fade."""
    run = runs.get("adagrad")
    if run is None or run.accumulator is None or run.last < 2:
        return None
    text = "Adagrad's G is a running sum of squared gradients, so it never decreases."
    other = _moving(runs)
    if other is not None:
        v = other.accumulator[: other.last]
        peak, end = v.max(0), v[-1]
        share = np.divide(end, peak, out=np.ones_like(end), where=peak > 0)
        name = f"{other.label}'s {other.accumulator_label.split()[0]}"
        text += f" {name} is a moving average of g² instead, which lets old gradients fade."
        if share.min() < 0.9:
            text += " It fell from its peak: the table shows by how much."
        elif (share >= 1).all():
            text += " Here it ends at its highest: the gradients have not shrunk yet."
        else:
            text += " Here it ends near its highest: the gradients have barely shrunk."
    return text


def accumulator_rows(runs: Mapping[str, Run]) -> list[dict[str, str]]:
    """Per racer with a second moment: its peak and its end value, in x and in y."""
    rows = []
    for run in runs.values():
        if run.accumulator is None or run.last < 1:
            continue
        v = run.accumulator[: run.last]
        row = {"state": f"{run.label} {run.accumulator_label.split()[0]}"}
        for i, c in enumerate("xy"):
            row[f"{c}: peak"] = num(v[:, i].max())
            row[f"{c}: end"] = num(v[-1, i])
        rows.append(row)
    return rows


# --- Adagrad's weakness -----------------------------------------------------------------------

WEAKNESS = (
    "Adagrad's G only grows, so its effective rate only falls: a large early gradient lowers "
    "the rate of every later step. RMSprop, Adadelta and Adam replace the sum with a moving "
    "average of g², which forgets old gradients, so their rates can rise again."
)


def _fall(run: Run) -> tuple[int, float] | None:
    """(coordinate, factor) of the largest fall of a run's effective rate from step 1."""
    if run.last < 2:
        return None
    first, end = run.eff_lr[0], run.eff_lr[run.last - 1]
    with np.errstate(all="ignore"):
        f = first / end
    f = np.where(np.isfinite(f) & (end > 0), f, 0.0)
    c = int(np.argmax(f))
    return c, float(f[c])


def _rise(run: Run) -> tuple[int, float] | None:
    """(coordinate, factor) of the largest climb of a run's rate from its lowest to its end."""
    if run.last < 2:
        return None
    r = run.eff_lr[: run.last]
    low, end = r.min(0), r[-1]
    with np.errstate(all="ignore"):
        f = end / low
    f = np.where(np.isfinite(f) & (low > 0), f, 0.0)
    c = int(np.argmax(f))
    return c, float(f[c])


def weakness_caption(runs: Mapping[str, Run], link: bool = True) -> str | None:
    """What this run shows of the weakness: only what its numbers bear out. ``link``: the page
    shows a link to the Rosenbrock lesson under this text."""
    run = runs.get("adagrad")
    if run is None or (fall := _fall(run)) is None:
        return None
    c, f = fall
    if f < 2:
        text = "In this run Adagrad's rate fell less than twofold, so the weakness barely shows."
        return text + (" The link below shows it on the Rosenbrock valley." if link else "")
    text = f"In this run Adagrad's rate in {'xy'[c]} ends {times(f)}× below its step-1 value."
    other = _moving(runs)
    if other is not None and (rise := _rise(other)) is not None:
        rc, rf = rise
        if rf >= 1.5:
            text += f" {other.label}'s rate in {'xy'[rc]} climbed back {times(rf)}× from its lowest"
            closer = other.diverged_at is None and run.diverged_at is None
            if closer and other.gap[-1] < run.gap[-1]:
                text += ", and it ends closer to the minimum."
            else:
                text += "."
        else:
            text += f" {other.label}'s rate did not climb back much here."
    return text


def weakness_rows(runs: Mapping[str, Run], goal: str = "the minimum") -> list[dict[str, str]]:
    rows = []
    keys = ["adagrad", *(k for k in MOVING if k in runs)]
    for key in keys:
        run = runs.get(key)
        if run is None or run.last < 2:
            continue
        r = run.eff_lr[: run.last]
        for i, c in enumerate("xy"):
            rows.append(
                {
                    "optimizer": run.label,
                    "coordinate": c,
                    "rate at step 1": num(r[0, i]),
                    "lowest": num(r[:, i].min()),
                    "at the end": num(r[-1, i]),
                    "f − f* at the end": (
                        "diverged" if run.diverged_at is not None else gap_text(run.gap[-1], goal)
                    ),
                }
            )
    return rows


# --- the rotation lesson ----------------------------------------------------------------------


def rotation_caption(
    aligned: Mapping[str, Run], rotated: Mapping[str, Run], target: float = TARGET
) -> str:
    """What the two panels show, said only as far as the step counts bear it out."""
    text = (
        "Diagonal Adagrad gives each axis its own step size, which helps when the valley runs "
        "along an axis. Full-matrix Adagrad also sums the products of the x and y gradients "
        "(the matrix Σ g gᵀ), so its step sizes turn with the valley."
    )
    d = {k: (steps_to(aligned[k], target), steps_to(rotated[k], target)) for k in aligned}
    diag, full = d.get("adagrad"), d.get("adagrad_full")
    if diag and full and None not in (*diag, *full):
        if full[0] == full[1] and diag[1] > diag[0]:
            text += (
                " Here rotating the valley slows diagonal Adagrad and leaves full-matrix "
                "Adagrad exactly as fast."
            )
        elif diag[1] > diag[0]:
            text += " Here rotating the valley slows diagonal Adagrad."
    run = next(iter(aligned.values()))
    return (
        text + f"\n\nThis lesson keeps its own settings (learning rate {run.hparams['lr']:g}, "
        f"{count(run.updates.shape[0], 'step')}), whatever the sidebar says."
    )


def rotation_rows(
    aligned: Mapping[str, Run], rotated: Mapping[str, Run], target: float = TARGET
) -> list[dict[str, str]]:
    def n(run: Run) -> str:
        s = steps_to(run, target)
        return "never" if s is None else str(s)

    return [
        {
            "steps to f − f* < " + num(target): aligned[k].label,
            "aligned": n(aligned[k]),
            "rotated": n(rotated[k]),
        }
        for k in aligned
        if k in rotated
    ]


# --- the lessons: answer keys and explanations, from the run ----------------------------------

Rotation = tuple[Mapping[str, Run], Mapping[str, Run]]  # (aligned, rotated): the panels' runs
CONTESTANTS = {"plateau": ("sgd", "momentum", "adagrad"), "forgets": ("adagrad", "rmsprop")}


def question_caption() -> str:
    """Under the surface while a lesson waits for its answer."""
    return (
        "The chart shows the surface and the start (the ring). The optimizers' paths are drawn "
        "once you check your answer."
    )


def lesson_key(
    key: str,
    runs: Mapping[str, Run],
    sweep: Sweep | None,
    rotation: Rotation | None = None,
    target: float = TARGET,
) -> Key:
    """The right choice of lesson ``key`` on this run, never written by hand: a teacher who
    changes a setting in the link gets a correct key. ``Key(None, why)`` when the settings make
    the question moot (a racer missing or diverged, a tie nobody can be marked on).

    - valley: who first gets f − f* below ``target``, Adagrad or SGD at its best single rate
      (``sweep``); "tie" at the same step.
    - plateau: which of SGD, Momentum and Adagrad ends closest to the minimum, by a clear margin
      (a final gap under :data:`NEAR_ONE` times the next one).
    - forgets: whose effective learning rate is higher at the last step, Adagrad's or RMSprop's,
      by :func:`end_rate` (the geometric mean over x and y); "tie" within :data:`NEAR_ONE`.
    - rotation: which Adagrad's steps to ``target`` grow more when the valley is turned
      (``rotation``: the Rotation panels' runs); "tie" when the growths agree within NEAR_ONE.
    """
    if key == "valley":
        return _valley_key(runs, sweep, target)
    if key == "plateau":
        return _plateau_key(runs)
    if key == "forgets":
        return _forgets_key(runs)
    if key == "rotation":
        return _rotation_key(rotation, target)
    raise KeyError(key)


def _missing(runs: Mapping[str, Run], keys: Sequence[str]) -> Key | None:
    """Key(None, why) when a racer the question names is not in the race, or diverged."""
    if absent := [RACERS[k].label for k in keys if k not in runs]:
        verb = "is" if len(absent) == 1 else "are"
        return Key(None, f"{names(absent)} {verb} not racing: add it in the sidebar.")
    if gone := [runs[k].label for k in keys if runs[k].diverged_at is not None]:
        return Key(None, f"{names(gone)} diverged: lower its learning rate.")
    return None


def _valley_key(runs: Mapping[str, Run], sweep: Sweep | None, target: float) -> Key:
    # SGD's own run may diverge: the question is about its best rate, from the sweep
    if (moot := _missing(runs, ("adagrad",))) is not None:
        return moot
    if "sgd" not in runs or sweep is None:
        return Key(None, "SGD is not racing: add it in the sidebar.")
    if sweep.best is None:
        return Key(None, "SGD diverged at every rate tried.")
    if starts_below(runs, target):
        return Key(None, f"every optimizer starts with f − f* below {num(target)} already.")
    sa, sb = steps_to(runs["adagrad"], target), int(sweep.reached[sweep.best])
    sb = None if sb < 0 else sb
    if sa is None and sb is None:
        n = count(steps_of(runs), "step")
        return Key(None, f"neither gets f − f* below {num(target)} within {n}.")
    if sb is None or (sa is not None and sa < sb):
        return Key("adagrad")
    return Key("sgd" if sa is None or sb < sa else "tie")


def _plateau_key(runs: Mapping[str, Run]) -> Key:
    keys = CONTESTANTS["plateau"]
    if (moot := _missing(runs, keys)) is not None:
        return moot
    ranked = sorted(keys, key=lambda k: runs[k].gap[-1])
    best, second = (runs[k] for k in ranked[:2])
    if at_floor(second):
        return Key(None, f"{best.label} and {second.label} both end at the minimum.")
    if not best.gap[-1] * NEAR_ONE < second.gap[-1]:
        return Key(
            None,
            f"{best.label} and {second.label} end about as close (within 10% of each other).",
        )
    return Key(best.key)


def end_rate(run: Run) -> float:
    """A run's effective learning rate at its last step, one number: the geometric mean of its
    x and y rates (so a rate tenfold higher in one coordinate and tenfold lower in the other is
    a tie). NaN when the run made no step or a rate is not a positive finite number."""
    if run.last < 1:
        return math.nan
    r = run.eff_lr[run.last - 1]
    if not (np.isfinite(r).all() and (r > 0).all()):
        return math.nan
    return float(np.exp(np.log(r).mean()))


def _forgets_key(runs: Mapping[str, Run]) -> Key:
    if (moot := _missing(runs, CONTESTANTS["forgets"])) is not None:
        return moot
    a, r = end_rate(runs["adagrad"]), end_rate(runs["rmsprop"])
    if not (math.isfinite(a) and math.isfinite(r)):
        return Key(None, "an effective learning rate is not a finite number here.")
    if r > a * NEAR_ONE:
        return Key("rmsprop")
    return Key("adagrad" if a > r * NEAR_ONE else "tie")


def _slowdowns(rotation: Rotation | None, target: float) -> dict[str, float] | None:
    """Per version of Adagrad: its steps to ``target`` on the turned valley ÷ on the aligned
    one (∞ when it gets there only on the aligned one); None when a count is missing."""
    if rotation is None:
        return None
    aligned, rotated = rotation
    out = {}
    for k in ("adagrad", "adagrad_full"):
        if k not in aligned or k not in rotated:
            return None
        before, after = steps_to(aligned[k], target), steps_to(rotated[k], target)
        if not before:  # never there, or there from the start
            return None
        out[k] = math.inf if after is None else after / before
    return out


def _rotation_key(rotation: Rotation | None, target: float) -> Key:
    s = _slowdowns(rotation, target)
    if s is None:
        return Key(None, f"a version of Adagrad never gets f − f* below {num(target)}.")
    d, f = s["adagrad"], s["adagrad_full"]
    if math.isinf(d) and math.isinf(f):
        return Key(None, "neither version gets there on the turned valley.")
    if d > f * NEAR_ONE:
        return Key("adagrad")
    return Key("adagrad_full" if f > d * NEAR_ONE else "tie")


def lesson_why(
    key: str,
    runs: Mapping[str, Run],
    sweep: Sweep | None,
    rotation: Rotation | None = None,
    target: float = TARGET,
    goal: str = "the minimum",
) -> str:
    """The run's own explanation of a lesson's answer: the page's claims, and the numbers the
    key was computed from (a few, in one sentence)."""
    if key == "valley":
        v = [verdict(runs, sweep, target, goal), _valley_counts(runs, sweep, target)]
        parts = [" ".join(p for p in v if p), step_ratio_caption(runs)]
    elif key == "plateau":
        parts = [_closest(runs, goal), step_ratio_caption(runs)]
    elif key == "forgets":
        parts = [_rates_at_end(runs), weakness_caption(runs, link=False)]
    elif key == "rotation":
        parts = [_rotation_counts(rotation, target)]
        if rotation is not None:  # what the panels show, without the note on its settings
            parts.append(rotation_caption(*rotation, target).split("\n\n")[0])
    else:
        raise KeyError(key)
    return "\n\n".join(p for p in parts if p)


def _valley_counts(runs: Mapping[str, Run], sweep: Sweep | None, target: float) -> str | None:
    if "adagrad" not in runs or sweep is None or sweep.best is None:
        return None
    sa, sb = steps_to(runs["adagrad"], target), int(sweep.reached[sweep.best])

    def n(s):
        return "never does" if s is None or s < 0 else f"needs {count(s, 'step')}"

    return f"Adagrad {n(sa)}; SGD at its best rate, lr = {sweep.best_lr:g}, {n(sb)}."


def _closest(runs: Mapping[str, Run], goal: str) -> str | None:
    keys = [k for k in CONTESTANTS["plateau"] if k in alive(runs)]
    if len(keys) < 2:
        return None
    ranked = sorted(keys, key=lambda k: runs[k].gap[-1])
    best, worst = runs[ranked[0]], runs[ranked[-1]]
    if at_floor(best):
        text = f"{_bold(best)} ends at {goal} to within rounding error"
    else:
        text = f"{_bold(best)} ends closest to {goal}"
    return text + f"; {_bold(worst)} ends farthest from it."


def _rates_at_end(runs: Mapping[str, Run]) -> str | None:
    if "adagrad" not in runs or "rmsprop" not in runs:
        return None
    a, r = end_rate(runs["adagrad"]), end_rate(runs["rmsprop"])
    if not (math.isfinite(a) and math.isfinite(r)):
        return None
    n = count(steps_of(runs), "step")
    if max(a, r) <= min(a, r) * NEAR_ONE:
        return (
            f"After {n} their effective learning rates are about the same: within 10% of each "
            "other (the geometric mean of the x and y rates)."
        )
    hi, lo = ("RMSprop", "Adagrad") if r > a else ("Adagrad", "RMSprop")
    return (
        f"After {n} {hi}'s effective learning rate is {times(max(a, r) / min(a, r))}× "
        f"{lo}'s (the geometric mean of the x and y rates)."
    )


def _rotation_counts(rotation: Rotation | None, target: float) -> str | None:
    if rotation is None:
        return None
    aligned, rotated = rotation
    if any(k not in aligned or k not in rotated for k in ("adagrad", "adagrad_full")):
        return None

    def n(k):
        return [
            "never" if s is None else str(s) for s in (steps_to(r[k], target) for r in rotation)
        ]

    (da, dr), (fa, fr) = n("adagrad"), n("adagrad_full")
    return (
        f"Diagonal Adagrad needs {da} steps to get f − f* below {num(target)} on the aligned "
        f"valley and {dr} on the turned one. Full-matrix Adagrad needs {fa} and {fr}."
    )
