"""The trajectories page's sentences on where the paths ended and how the steps and rates shrank:
the minima reached, RMSprop's path under Adagrad's, the first step's shape, the linked charts
(effective rates, accumulators) and Adagrad's weakness. Each one a claim about the run (no
streamlit), as in :mod:`adagrad_app.claims_trajectories`, whose formatters and facts it uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from adagrad_core.racers import Run, constant_gradient_rate
from adagrad_core.surfaces import Surface

from . import fig_common as F
from . import fig_linked
from .claims_trajectories import (
    NEAR_ONE,
    WORDS,
    alive,
    bold,
    count,
    gap_text,
    names,
    num,
    times,
)

MOVING = ("rmsprop", "adam", "adadelta")  # racers whose second moment is a moving average


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
            ends.setdefault(int(d.argmin()), []).append(bold(run))
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
            f"{where}, one of {among} {WORDS.get(len(m), len(m))}{in_plot}. From another "
            "start (click the chart) their paths may part and end in different minima."
        )
    groups = "; ".join(names(who) for who in ends.values())
    return (
        f"From one start, {WORDS.get(len(ends), len(ends))} different minima: {groups} "
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
