"""The trajectories page's rotation lesson and the lessons' answer keys and explanations, each
from the run (no streamlit), as in :mod:`adagrad_app.claims_trajectories`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from adagrad_core.racers import RACERS, Run, Sweep

from .claims_paths import step_ratio_caption, weakness_caption
from .claims_trajectories import (
    NEAR_ONE,
    TARGET,
    alive,
    at_floor,
    bold,
    count,
    names,
    num,
    starts_below,
    steps_of,
    steps_to,
    times,
    verdict,
)
from .scenarios import Key

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
        text = f"{bold(best)} ends at {goal} to within rounding error"
    else:
        text = f"{bold(best)} ends closest to {goal}"
    return text + f"; {bold(worst)} ends farthest from it."


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
