"""The formula page's sentences, each a claim about the run (STYLE.md 18).

A claim is a small function of the run that returns its text, or None when the run's own
numbers do not bear it out; the condition sits next to the sentence it guards. Words that
compare ("as far as", "within 0.1%", "similar", "huge") are defined once, by the tolerances
below, and every sentence follows the convention in force: where ε sits (√G + ε or √(G + ε))
and torch's rate decay (ηₜ = η / (1 + (t − 1)·lr_decay)). Steps are counted from 1, the
first update, as on the Trajectories page.

The run's numbers go in tables (:func:`step_table`, :func:`sparse_table`), not in sentences:
a sentence holds at most 4 numbers (STYLE.md 21). No streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import theme
from .formula_tex import SPARSE_PROBS, FormulaRun, eff_lr_text
from .scenarios import Key

number = theme.number  # the one number format of the app's prose

SAME = 1e-3  # two sizes within 0.1% of each other are "the same", "as far as", "η"
SIMILAR = 1.25  # two sizes within this ratio are "of similar size"
HUGE = 1e3  # a rate this many times ηₜ is "huge"

WHERE = {
    "outside": "outside the root (torch)",
    "inside": "inside the root (d2l.ai, Keras 3, optax)",
}
OTHER = {"outside": "inside", "inside": "outside"}

DUCHI = "https://jmlr.org/papers/v12/duchi11a.html"
D2L = "https://d2l.ai/chapter_optimization/adagrad.html"
TORCH = "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html"


# --- formats ----------------------------------------------------------------------------------


def pct(share: float) -> str:
    """A share (0.05) as a percentage ('5%'), in one format: two significant figures, more
    when needed so that a share that is not 0 (or 1) never reads '0%' (or '100%')."""
    share = float(share)
    if share == 0 or share == 1 or not math.isfinite(share):
        return {0.0: "0%", 1.0: "100%"}.get(share, "–")
    for digits in range(2, 8):
        text = number(100 * share, digits)
        if text not in ("100", "-100"):
            return f"{text}%"
    return ">99.99999%" if share < 1 else f"{text}%"


def ratio(r: float) -> str:
    """A ratio ≥ 1 as '8×', '2.9×', '2,510×', '3e7×'."""
    if not math.isfinite(r):
        raise ValueError(f"no ratio to print: {r}")
    return f"{number(round(r))}×" if r >= 10 else f"{r:.2g}×"


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
        return f"{pct(abs(new / old - 1))} {way}"
    return f"{ratio(r)} {way}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 step', '2 steps'."""
    return f"{number(n)} {one if n == 1 else many or one + 's'}"


def who(name: str) -> str:
    """A coordinate as a sentence names it: 'x', 'the rare weight'."""
    return f"the {name} weight" if name in ("frequent", "rare") else name


def _cap(text: str) -> str:
    """Capitalised for the start of a sentence; a one-letter coordinate (x) stays as it is."""
    return text if len(text.split("'")[0]) == 1 else text[:1].upper() + text[1:]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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


# --- the page's opening -----------------------------------------------------------------------


def denominator(eps_at: str) -> str:
    return "√G + ε" if eps_at == "outside" else "√(G + ε)"


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
    pf, pr = (pct(p) for p in SPARSE_PROBS)
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
        "": ["on in (by design)", f"on in these {plural(n, 'step')}", "true weight"],
        **{
            name: [pct(p), f"{number(on[i])} ({pct(on[i] / n)})", number(run.w_true[i])]
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

STEP_HELP = "Step 1 is the first update, as on the Trajectories page."

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
        else f"Only the {plural(done, 'step')} before it are shown."
        if done > 1
        else "Only step 1 before it is shown."
    )
    return (
        f"🛑 Adagrad was stopped at step {run.diverged_at}: a parameter grew past 10⁶ in size "
        f"or stopped being a finite number. {shown}"
    )


def beyond(t: int, steps: int) -> str:
    return f"Step {t} is beyond this run's {plural(steps, 'step')}: showing the last one."


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
            f"{ratio(steps)} farther than {who(sv.names[slow])}."
        )
    smaller = f"The gradient of {na} is {ratio(gr)} smaller than that of {nb}"
    if abs(ur - 1) <= SAME:
        return f"{smaller}, yet {na} moved as far as {nb}."
    if ur > 1:
        farther = how_much(u[a], u[b], "farther", "")
        return f"{smaller}, yet {na} moved {farther} than {nb}." if farther else None
    if ur >= 1 / SIMILAR:
        return f"{smaller}, yet {na} moved almost as far as {nb}."
    return f"{smaller}, and {na} moved {ratio(1 / ur)} less far than {nb}."


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
        f"In the {plural(sv.step, 'step')} so far, {names[0]}'s G grew in {number(seen[0])} "
        f"and {names[1]}'s in {number(seen[1])}."
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
        parts.append(f"the rates of {_and(same)} are within 0.1% of where they started")
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
        f"{_and(names)} {verb} not move until a first non-zero gradient."
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
        text = f"With ε {WHERE[other]} instead, this step's rate and step would be {_and(items)}."
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
            f" {_cap(_and(still))} {verb} a gradient of 0, so the placement changes the rate "
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
        table[name] = [number(v[i], 4) for v in rows.values()]
        table[name].append(f"{number(seen[i])} of {number(sv.step)}")
    return table


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
        table[name] = [number(v[i], 4) for v in rows.values()]
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
        return Key(None, f"the gradient of {_and(still)} is 0 at step 1, so it does not move.")
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
