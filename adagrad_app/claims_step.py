"""The formula page's reading of one step, each sentence a claim about the run (STYLE.md 18).

A claim is a small function of a :class:`StepView` (a run and one of its steps) that returns
its text, or None when the run's own numbers do not bear it out; the condition sits next to the
sentence it guards. Words that compare ("as far as", "within 0.1%", "similar", "huge") are
defined once, by the tolerances below, and every sentence follows the convention in force:
where ε sits (√G + ε or √(G + ε)) and torch's rate decay (ηₜ = η / (1 + (t − 1)·lr_decay)).
The step's numbers go in :func:`step_table`, not in sentences (STYLE.md 21). No streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import fmt
from .formula_run import FormulaRun

SAME = 1e-3  # two sizes within 0.1% of each other are "the same", "as far as", "η"
SIMILAR = 1.25  # two sizes within this ratio are "of similar size"
HUGE = 1e3  # a rate this many times ηₜ is "huge"

WHERE = {
    "outside": "outside the root (torch)",
    "inside": "inside the root (d2l.ai, Keras 3, optax)",
}
OTHER = {"outside": "inside", "inside": "outside"}


# --- words ------------------------------------------------------------------------------------


def how_much(new: float, old: float, more: str = "larger", less: str = "smaller") -> str | None:
    """How ``new`` compares with ``old``: '1.4× larger', '4% smaller'; None when they are the
    same to within 0.1%, or when a ratio would mean nothing (a zero, NaN, an overflow)."""
    new, old = abs(float(new)), abs(float(old))
    if not (new > 0 and old > 0):
        return None
    with np.errstate(over="ignore"):
        r = max(new, old) / min(new, old)
    if not math.isfinite(r) or r <= 1 + SAME:
        return None
    way = more if new > old else less
    if r < 1.1:
        return f"{fmt.pct(abs(new / old - 1))} {way}"
    return f"{fmt.ratio(r)} {way}"


def who(name: str) -> str:
    """A coordinate as a sentence names it: 'x', 'the rare weight'."""
    return f"the {name} weight" if name in ("frequent", "rare") else name


def _cap(text: str) -> str:
    """Capitalised for the start of a sentence; a one-letter coordinate (x) stays as it is."""
    return text if len(text.split("'")[0]) == 1 else text[:1].upper() + text[1:]


def denominator(eps_at: str) -> str:
    return "√G + ε" if eps_at == "outside" else "√(G + ε)"


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """Step ``step`` (from 1) of a run: what a reading of that step is about."""

    run: FormulaRun
    step: int

    def __post_init__(self):
        if not 1 <= self.step <= self.run.done:
            raise ValueError(f"step {self.step} is not in 1..{self.run.done}")

    @property
    def row(self) -> int:
        return self.step - 1

    def at(self, term: str, step: int | None = None) -> np.ndarray:
        return np.asarray(self.run.terms[term][(self.step if step is None else step) - 1])

    @property
    def names(self) -> tuple[str, ...]:
        return self.run.names

    def other_rate(self) -> np.ndarray:
        """This step's effective rates had ε sat in the other place."""
        G, lr = self.at("G"), self.at("lr")
        with np.errstate(divide="ignore", over="ignore"):
            if self.run.eps_at == "outside":
                return lr / np.sqrt(G + self.run.eps)
            return lr / (np.sqrt(G) + self.run.eps)

    def grew(self) -> np.ndarray:
        """Per coordinate: in how many steps so far g² grew G (a gradient that underflows to
        g² = 0 does not count)."""
        t = self.run.terms
        return (t["G"][: self.step] > t["G_prev"][: self.step]).sum(axis=0)


# --- one step ---------------------------------------------------------------------------------


def _pair(sv: StepView) -> tuple[int, int] | None:
    """The two coordinates, smaller gradient first (None for a 1-D run)."""
    if len(sv.names) < 2:
        return None
    g = np.abs(sv.at("g"))
    a, b = sorted(range(2), key=lambda i: g[i])
    return a, b


def moves(sv: StepView) -> str | None:
    """How far each coordinate moved, against the size of its gradient."""
    pair = _pair(sv)
    if pair is None:
        return None
    a, b = pair
    na, nb = who(sv.names[a]), who(sv.names[b])
    g, u = np.abs(sv.at("g")), np.abs(sv.at("update"))
    if g[b] == 0:
        return (
            "Both gradients are zero, so nothing moves, whatever the rate." if not u.any() else None
        )
    if g[a] == 0:
        if u[a] != 0 or u[b] == 0:
            return None
        return f"The gradient of {na} is zero, so {na} stays put and only {nb} moves."
    if u[b] == 0 or u[a] == 0:
        return None  # a move that underflowed: no sentence about it
    with np.errstate(over="ignore"):
        gr, ur = g[b] / g[a], u[a] / u[b]
    if not (math.isfinite(gr) and math.isfinite(ur) and math.isfinite(1 / ur)):
        return None  # sizes 1e308 apart: no ratio worth printing
    if gr <= SIMILAR:
        steps = max(ur, 1 / ur)
        if steps <= SIMILAR:
            return "The two gradients are of similar size, and so are the two steps."
        fast, slow = (a, b) if ur > 1 else (b, a)
        return (
            f"The two gradients are of similar size, yet {who(sv.names[fast])} moved "
            f"{fmt.ratio(steps)} farther than {who(sv.names[slow])}."
        )
    smaller = f"The gradient of {na} is {fmt.ratio(gr)} smaller than that of {nb}"
    if abs(ur - 1) <= SAME:
        return f"{smaller}, yet {na} moved as far as {nb}."
    if ur > 1:
        farther = how_much(u[a], u[b], "farther", "")
        return f"{smaller}, yet {na} moved {farther} than {nb}." if farther else None
    if ur >= 1 / SIMILAR:
        return f"{smaller}, yet {na} moved almost as far as {nb}."
    return f"{smaller}, and {na} moved {fmt.ratio(1 / ur)} less far than {nb}."


def rates(sv: StepView) -> str | None:
    """Why: each coordinate's rate comes from its own G."""
    pair = _pair(sv)
    if pair is None:
        return None
    a, b = pair
    g, u, eff, G = (np.abs(sv.at(k)) for k in ("g", "update", "eff_lr", "G"))
    if g[a] == 0 or u[a] == 0 or u[b] == 0:
        return None
    with np.errstate(over="ignore"):
        steps, grads = max(u[a] / u[b], u[b] / u[a]), g[b] / g[a]
    if not (math.isfinite(steps) and math.isfinite(grads)):
        return None
    if grads <= SIMILAR:  # similar gradients: different steps come from different G
        if steps <= SIMILAR:
            return None
        fast, slow = (a, b) if u[a] > u[b] else (b, a)
        if not (G[fast] < G[slow] and eff[fast] > eff[slow]):
            return None
        return (
            f"The G of {who(sv.names[fast])} is smaller, so its rate is "
            f"{how_much(eff[fast], eff[slow])} than {who(sv.names[slow])}'s."
        )
    na, nb = who(sv.names[a]), who(sv.names[b])
    diff = how_much(eff[a], eff[b])
    eta = "ηₜ" if sv.run.lr_decay > 0 else "η"
    lead = f"Each coordinate divides {eta} by its own {denominator(sv.run.eps_at)}"
    if diff is None:
        return f"{lead}, and here the two rates are the same to within 0.1%."
    return f"{lead}, so {na}'s rate is {diff} than {nb}'s."


def first_step(sv: StepView) -> str | None:
    """Step 1: G = g² (from G₀ = 0), so the step is about η only when ε is negligible."""
    if sv.step != 1:
        return None
    g, u = np.abs(sv.at("g")), np.abs(sv.at("update"))
    lr = float(sv.at("lr")[0])
    moving = [i for i in range(len(g)) if g[i] != 0 and u[i] != 0]
    if not moving:
        return None
    outside = sv.run.eps_at == "outside"
    next_to = "|g|" if outside else "g²"
    if np.any(sv.at("G_prev") != 0):
        if all(u[i] < lr for i in moving):
            return "G starts at G₀ > 0, so even the first step is shorter than η."
        return None
    if all(abs(u[i] / lr - 1) <= SAME for i in moving):
        return (
            f"At step 1, G = g² and ε is negligible next to {next_to}, so each coordinate "
            "that has a gradient moves η, to within 0.1%, whatever the gradient's size."
        )
    form = "η·|g| / (|g| + ε)" if outside else "η·|g| / √(g² + ε)"
    text = f"At step 1, G = g², so the step is {form}."
    short = f" Here ε is not negligible next to {next_to}, so"
    if len(moving) == 1:
        i = moving[0]
        return text + (f"{short} {who(sv.names[i])} moved less than η." if u[i] < lr else "")
    a, b = sorted(moving[:2], key=lambda i: g[i])
    if g[a] < g[b] and u[a] < u[b]:
        return text + f"{short} the smaller gradient takes the shorter step."
    return text


def counts(sv: StepView) -> str | None:
    """How many steps so far grew each coordinate's G, and what a rarely grown G means."""
    if sv.step < 2 or len(sv.names) < 2:
        return None
    seen = sv.grew()
    if seen[0] == seen[1]:
        return None
    names = [who(n) for n in sv.names]
    text = (
        f"In the {fmt.plural(sv.step, 'step')} so far, {names[0]}'s G grew in "
        f"{fmt.number(seen[0])} and {names[1]}'s in {fmt.number(seen[1])}."
    )
    few, many = (0, 1) if seen[0] < seen[1] else (1, 0)
    G, eff = sv.at("G"), sv.at("eff_lr")
    if G[few] < G[many] and eff[few] > eff[many]:
        text += (
            f" So {names[few]}, whose G grew less often, keeps the smaller G and the larger rate."
        )
    return text


def since_first(sv: StepView) -> str | None:
    """How each rate changed since step 1, and why: G grew, ηₜ decayed, or neither."""
    if sv.step < 2:
        return None
    eff, eff1 = sv.at("eff_lr"), sv.at("eff_lr", 1)
    G, G1 = sv.at("G"), sv.at("G", 1)
    decayed = sv.run.lr_decay > 0
    eta = "ηₜ" if decayed else "η"
    unused = f"{eta}/ε" if sv.run.eps_at == "outside" else f"{eta}/√ε"
    parts, same = [], []
    for i, name in enumerate(who(n) for n in sv.names):
        if not (eff[i] <= eff1[i]):
            return None  # no rate rises: a run where one did would not get this sentence
        diff = how_much(eff[i], eff1[i], "higher", "lower")
        grew = G[i] > G1[i]
        g1 = sv.at("g", 1)[i]
        if G1[i] == 0 and g1 == 0 and grew and diff:  # step 1's rate was η/ε, times a 0
            parts.append(f"{name}'s rate left the unused {unused} once its G grew")
            continue
        cause = (
            "as its G grew and ηₜ decayed"
            if grew and decayed
            else "as its G grew"
            if grew
            else "through lr_decay alone"
            if decayed
            else ""
        )
        if diff is None:
            same.append(name)
        elif cause:
            parts.append(f"{name}'s rate is {diff}, {cause}")
        else:
            return None
    if len(same) == 1:
        parts.append(f"{same[0]}'s rate is within 0.1% of where it started")
    elif same:
        parts.append(f"the rates of {fmt.names(same)} are within 0.1% of where they started")
    return f"Since step 1, {'; '.join(parts)}. G never shrinks, so no rate can rise."


def zero_G(sv: StepView) -> str | None:
    """While G = 0 the rate is huge, but it multiplies a gradient of 0."""
    G, g, u, eff, lr = (sv.at(k) for k in ("G", "g", "update", "eff_lr", "lr"))
    idle = G == 0
    if not idle.any() or np.any(g[idle] != 0) or np.any(u[idle] != 0):
        return None
    eta = "ηₜ" if sv.run.lr_decay > 0 else "η"
    form = f"{eta}/ε" if sv.run.eps_at == "outside" else f"{eta}/√ε"
    huge = ", huge," if float(eff[idle].min()) >= HUGE * float(lr[0]) else ""
    names = [who(sv.names[i]) for i in np.flatnonzero(idle)]
    verb = "does" if len(names) == 1 else "do"
    return (
        f"While G is 0 the rate is {form}{huge} but it multiplies a gradient of 0: "
        f"{fmt.names(names)} {verb} not move until a first non-zero gradient."
    )


def convention(sv: StepView) -> str | None:
    """What this step would be with ε in the other place."""
    rate, alt = sv.at("eff_lr"), sv.other_rate()
    g, u = sv.at("g"), sv.at("update")
    other = OTHER[sv.run.eps_at]
    moving = (g != 0) & (u != 0)
    diffs = {i: how_much(alt[i], rate[i]) for i in range(len(rate))}
    apart = [i for i in np.flatnonzero(moving) if diffs[i]]
    if apart:
        items = [f"{who(sv.names[i])}'s {diffs[i]}" for i in apart]
        text = (
            f"With ε {WHERE[other]} instead, this step's rate and step would be {fmt.names(items)}."
        )
    elif moving.any():
        text = (
            f"ε is small next to G here: with ε {WHERE[other]}, the rates of the coordinates "
            "that move would change by less than 0.1%."
        )
    else:
        text = ""
    still = [who(sv.names[i]) for i in range(len(rate)) if diffs[i] and g[i] == 0 and u[i] == 0]
    if still:
        verb = "has" if len(still) == 1 else "have"
        text += (
            f" {_cap(fmt.names(still))} {verb} a gradient of 0, so the placement changes the rate "
            "but not the step."
        )
    return text.strip() or None


def step_paragraphs(sv: StepView) -> list[str]:
    """The reading of one step, as short paragraphs: what moved and why; how the rates have
    changed; what G = 0 does. Each sentence is printed only when its claim holds."""
    head = f"**Step {sv.step}.** "
    what = " ".join(filter(None, (moves(sv), rates(sv))))
    history = " ".join(filter(None, (first_step(sv), since_first(sv))))
    paras = [head + (what or "Each coordinate's rate comes from its own G."), history]
    paras += [counts(sv) or "", zero_G(sv) or ""]
    return [p for p in paras if p]


def step_table(sv: StepView) -> dict[str, list[str]]:
    """This step's figures that the sentences compare, one column per coordinate."""
    other = OTHER[sv.run.eps_at]
    alt = sv.other_rate()
    g, u, eff = sv.at("g"), sv.at("update"), sv.at("eff_lr")
    rows = {
        "gradient g": g,
        "step Δθ": u,
        "effective rate": eff,
        "effective rate at step 1": sv.at("eff_lr", 1),
        f"rate with ε {other} the root": alt,
        f"step with ε {other} the root": -alt * g,
    }
    seen = sv.grew()
    table = {"": [*rows, "steps that grew G, so far"]}
    for i, name in enumerate(sv.names):
        table[name] = [fmt.number(v[i], 4) for v in rows.values()]
        table[name].append(f"{fmt.number(seen[i])} of {fmt.number(sv.step)}")
    return table
