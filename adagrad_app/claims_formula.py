"""The formula page's sentences about the whole run, and its lessons' keys (STYLE.md 18).

A claim is a small function of the run that returns its text, or None when the run's own
numbers do not bear it out; the condition sits next to the sentence it guards. The reading of
one step, and the tolerances behind its comparing words, are in :mod:`.claims_step`. Every
sentence follows the convention in force: where ε sits (√G + ε or √(G + ε)) and torch's rate
decay (ηₜ = η / (1 + (t − 1)·lr_decay)). Steps are counted from 1, the first update, as on the
Trajectories page.

The run's numbers go in tables (:func:`sparse_table`, :func:`start_table`), not in sentences:
a sentence holds at most 4 numbers (STYLE.md 21). No streamlit here.
"""

from __future__ import annotations

import numpy as np

from . import fmt
from .claims_step import SAME, StepView, denominator, first_step, moves, who
from .formula_run import SPARSE_PROBS, FormulaRun
from .formula_tex import eff_lr_text
from .scenarios import Key

DUCHI = "https://jmlr.org/papers/v12/duchi11a.html"
D2L = "https://d2l.ai/chapter_optimization/adagrad.html"
TORCH = "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html"


# --- the page's opening -----------------------------------------------------------------------


def takeaway(run: FormulaRun) -> str:
    """The page's opening: three plain sentences, true of every run (G only grows, so no
    rate rises), written for the convention in force."""
    decay = ", and by 1 + (t − 1)·lr_decay" if run.lr_decay > 0 else ""
    return (
        "Adagrad gives each coordinate its own learning rate. "
        f"It divides η by {denominator(run.eps_at)}, where G is that coordinate's sum of "
        f"squared gradients so far{decay}. "
        "G only grows, so each rate only falls, and a coordinate with large past gradients "
        "gets a smaller rate."
    )


BRIDGE = (
    "Give each feature its own clock: a count s of the times it was seen, and a rate "
    "η/√(s + c) that falls as s grows (c is a small constant). "
    "Adagrad replaces the count with G, the sum of the feature's squared gradients, so large "
    "gradients advance the clock faster than small ones."
)


def run_intro(run: FormulaRun, label: str = "", lesson: str = "") -> str:
    """What the run is: the surface and its lesson, or the sparse stream and its model."""
    if run.w_true is None:
        return f"**{label}.** {lesson}"
    pf, pr = (fmt.pct(p) for p in SPARSE_PROBS)
    return (
        "**Two sparse features.** Each step fits a linear regression to one example, with "
        "squared loss. An example has two binary features (each 0 or 1): *frequent* is on in "
        f"{pf} of examples, *rare* in {pr}. A feature that is off has a gradient of exactly 0, "
        "so its weight and its G stay put."
    )


def sparse_table(run: FormulaRun) -> dict[str, list[str]] | None:
    """The sparse stream's figures: how often each feature was on, by design and in this run."""
    if run.w_true is None:
        return None
    on = (run.terms["g"] != 0).sum(axis=0)
    n = run.done
    return {
        "": ["on in (by design)", f"on in these {fmt.plural(n, 'step')}", "true weight"],
        **{
            name: [
                fmt.pct(p),
                f"{fmt.number(on[i])} ({fmt.pct(on[i] / n)})",
                fmt.number(run.w_true[i]),
            ]
            for i, (name, p) in enumerate(zip(run.names, SPARSE_PROBS, strict=True))
        },
    }


def rule_caption(run: FormulaRun) -> str:
    """Where the rule comes from, and what its letters are."""
    if run.eps_at == "outside":
        text = "ε outside the root, as in torch.optim.Adagrad and the paper."
    else:
        text = (
            "ε inside the root, as in d2l.ai, Keras 3 and optax: with G = 0 the rate is η/√ε "
            "rather than η/ε."
        )
    text += " i is the coordinate and t the step, counted from 1 (the first update)."
    if run.lr_decay > 0:
        text += " With lr_decay d, step t's rate is ηₜ = η / (1 + (t − 1)·d), as in torch."
    return text


VALUES_CAPTION = (
    "Under each term is its value at this step, one row per coordinate. A shaded value "
    "changed since the step before (▲ rose, ▼ fell)."
)

SERIES_CAPTION = (
    "Each panel is one term over the whole run, one line per coordinate. The dotted line "
    "marks the step shown above."
)

COMPARE_NOTES: dict[str, str] = {
    "sgd": "One rate η for every coordinate and every step.",
    "adagrad": "SGD plus one block: divide each coordinate's step by the root of its own sum "
    "of squared gradients. The sum only grows, so the rate only shrinks.",
    "rmsprop": "Adagrad with the sum replaced by a moving average: each step keeps a share α "
    "of v and adds the rest as g². Old gradients fade, so the rate can grow again.",
    "adam": "RMSprop plus momentum: m is a moving average of g itself. Both averages start "
    "at 0 and are too small at first; dividing by 1 − β^t (the bias correction) undoes that.",
}
COMPARE_CAPTION = (
    "Boxed: what each rule does differently from Adagrad. In Adagrad's own rule, the box is "
    "the one block SGD does not have."
)

REFERENCES = (
    f"**Further reading:** [Duchi, Hazan & Singer (2011), the Adagrad paper]({DUCHI}) · "
    f"[Dive into Deep Learning, Adagrad]({D2L}) · [torch.optim.Adagrad]({TORCH})"
)


def code_caption(run: FormulaRun) -> str:
    """Which call computed the numbers, with the run's own arguments (in code spans)."""
    args = f"lr={run.lr:g}, eps={run.eps:g}, eps_placement={run.eps_at!r}"
    if run.lr_decay > 0:
        args += f", lr_decay={run.lr_decay:g}"
    branch = "first" if run.eps_at == "outside" else "second"
    return (
        f"`adagrad_update` computed these numbers, once per step, with `{args}`. "
        f"So `denom` took the {branch} branch. The runner adds the returned update to θ. "
        f"`state.sum` is G, and `eff_lr` is {eff_lr_text(run.eps_at, run.lr_decay)}."
    )


def diverged(run: FormulaRun) -> str | None:
    """Why the run stops early, if it did."""
    if run.diverged_at is None:
        return None
    done = run.done
    shown = (
        "No step completed before it."
        if done == 0
        else f"Only the {fmt.plural(done, 'step')} before it are shown."
        if done > 1
        else "Only step 1 before it is shown."
    )
    return (
        f"🛑 Adagrad was stopped at step {run.diverged_at}: a parameter grew past 10⁶ in size "
        f"or stopped being a finite number. {shown}"
    )


def beyond(t: int, steps: int) -> str:
    return f"Step {t} is beyond this run's {fmt.plural(steps, 'step')}: showing the last one."


# --- the lessons' answer keys -----------------------------------------------------------------

LESSONS = ("first_step", "epsilon")  # this page's lessons (adagrad_app/scenarios.py)


def start_table(run: FormulaRun) -> dict[str, list[str]] | None:
    """What a lesson shows before its answer: where the run starts, step 1's gradient and G
    before it. Not the step: that is the answer."""
    if run.done == 0:
        return None
    rows = {
        "start θ": run.terms["theta"][0],
        "gradient g at step 1": run.terms["g"][0],
        "G before step 1": run.terms["G_prev"][0],
    }
    table = {"": list(rows)}
    for i, name in enumerate(run.names):
        table[name] = [fmt.number(v[i], 4) for v in rows.values()]
    return table


START_CAPTION = "Where the run starts, before its first step. The steps are shown once you answer."


def _first_pair(run: FormulaRun) -> tuple[int, int] | Key:
    """Step 1's two coordinates, the smaller gradient first; or ``Key(None, why)`` when the
    settings leave no smaller and larger gradient to compare."""
    if run.done == 0:
        return Key(None, "Adagrad was stopped at step 1, so there is no first step to compare.")
    g = np.abs(run.terms["g"][0])
    still = [who(run.names[i]) for i in range(len(g)) if g[i] == 0]
    if len(still) == len(g):
        return Key(None, "every gradient is 0 at step 1, so nothing moves.")
    if still:
        return Key(None, f"the gradient of {fmt.names(still)} is 0 at step 1, so it does not move.")
    a, b = sorted(range(2), key=lambda i: g[i])
    if g[b] <= g[a] * (1 + SAME):
        return Key(None, "the two gradients are the same size at step 1, to within 0.1%.")
    return a, b


def lesson_key(key: str, run: FormulaRun) -> Key:
    """The right choice of lesson ``key`` on this run, from step 1's own moves; two steps within
    0.1% of each other are the same length (:data:`SAME`, as the sentences say)."""
    if key not in LESSONS:
        raise KeyError(key)
    pair = _first_pair(run)
    if isinstance(pair, Key):
        return pair
    a, b = pair  # a: the smaller gradient
    u = np.abs(run.terms["update"][0])
    if max(u[a], u[b]) <= min(u[a], u[b]) * (1 + SAME):
        return Key("same")
    if key == "first_step":  # which is longer?
        return Key("larger_g" if u[b] > u[a] else "smaller_g")
    return Key("smaller_g" if u[a] < u[b] else "larger_g")  # which is shorter?


def lesson_why(key: str, run: FormulaRun) -> str:
    """The run's own explanation of a lesson's answer: the page's reading of step 1."""
    if key not in LESSONS:
        raise KeyError(key)
    if run.done == 0:
        return ""
    sv = StepView(run, 1)
    reading = " ".join(filter(None, (moves(sv), first_step(sv))))
    return f"**Step 1.** {reading}" if reading else ""
