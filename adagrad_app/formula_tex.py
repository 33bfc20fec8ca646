r"""The formula page's text, as pure functions of a run: KaTeX strings and a plain reading.

No streamlit here. :func:`step_terms` turns a core :class:`~adagrad_core.runner.Trajectory` into
one array per term of Adagrad's rule (shape ``(steps, d)``, row ``t`` is the step from
``theta_t`` to ``theta_{t+1}``); the ``*_tex`` builders write the rule, coloured with
``theme.TERM_COLORS``, with the numbers of one step under its terms; :func:`reading` says in
words what that step did.

Colours go through ``\textcolor{#RRGGBB}{...}`` (KaTeX, bundled with Streamlit, no network).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import theme

# Term -> colour key in theme.TERM_COLORS (several terms share one colour: g and g^2, ...).
TERM_COLOR_KEY: dict[str, str] = {
    "theta": "theta",
    "g": "g",
    "g2": "g",
    "G_prev": "G",
    "G": "G",
    "denom": "G",
    "lr": "lr",
    "eff_lr": "eff_lr",
    "update": "update",
    "theta_new": "theta",
}

PLACEMENTS = ("outside", "inside")
EFF_LR = {"outside": "η/(√G+ε)", "inside": "η/√(G+ε)"}  # the effective rate, as plain text


def term_color(term: str) -> str:
    return theme.TERM_COLORS[TERM_COLOR_KEY.get(term, term)]


def tint(hex_color: str, strength: float = 0.18) -> str:
    """A light background made from a theme colour (mixed with white), for highlights."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 - strength * (255 - c)) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


# --- numbers --------------------------------------------------------------------------------


def step_terms(traj, *, eps: float, eps_placement: str, initial_accumulator_value: float = 0.0):
    """Every term of Adagrad's rule at every step of ``traj``, as ``{term: (steps, d) array}``.

    ``theta``, ``g``, ``G`` (after the step), ``eff_lr`` and ``update`` are the core's own
    arrays; ``G_prev`` shifts ``G`` by one step (the initial accumulator first); ``denom``
    repeats the core's one line for the chosen ``eps_placement``.
    """
    if eps_placement not in PLACEMENTS:
        raise ValueError(f"Invalid eps_placement: {eps_placement!r} (must be one of {PLACEMENTS})")
    G = traj.state["sum"]
    first = np.full_like(G[:1], initial_accumulator_value)
    denom = np.sqrt(G) + eps if eps_placement == "outside" else np.sqrt(G + eps)
    return {
        "theta": traj.params[:-1],
        "g": traj.grads,
        "g2": traj.grads**2,
        "G_prev": np.concatenate([first, G[:-1]]),
        "G": G,
        "denom": denom,
        "lr": np.full_like(G, traj.hparams["lr"]),
        "eff_lr": traj.eff_lr,
        "update": traj.updates,
        "theta_new": traj.params[1:],
    }


SPARSE_PROBS = (0.5, 0.05)
"""The sparse run's two binary features: on in half of the examples, and in one in twenty."""
SPARSE_NAMES = ("frequent", "rare")


def sparse_trajectory(steps: int, *, seed: int = 0, **hparams):
    """Adagrad on a stream of two-feature examples, one example per step (squared loss).

    The examples come from :func:`adagrad_core.sparse.make_data` (linear model, label noise
    0.1); step ``t`` sees example ``t``, whose gradient ``(x . w - y) x`` is exactly zero for a
    feature that is off. Returns the core's :class:`~adagrad_core.runner.Trajectory` (from
    ``w = 0``) and the true weights.
    """
    from adagrad_core import sparse
    from adagrad_core.runner import run

    probs = sparse.feature_probs("custom", probs=list(SPARSE_PROBS))
    data = sparse.make_data(probs, n_examples=max(steps, 1), model="linear", noise=0.1, seed=seed)
    X, y = data.X.astype(float), data.y
    examples = iter(range(data.n_examples))

    def grad(w: np.ndarray) -> np.ndarray:
        k = next(examples)  # the runner asks for exactly one gradient per step, in order
        return (X[k] @ w - y[k]) * X[k]

    traj = run("adagrad", grad, np.zeros(len(probs)), steps, **hparams)
    return traj, data.w_true


def fmt(v: float, digits: int = 4) -> str:
    """A number as TeX: ``digits`` significant figures, ``a\\times10^{k}`` when tiny or huge."""
    v = float(v)
    if not math.isfinite(v):
        return r"\text{--}"
    if v == 0:
        return "0"
    if 10**digits <= abs(v) < 1e5:  # where "g" would print 2.102e+04
        return f"{v:.0f}"
    if 1e-3 <= abs(v) < 1e5:
        s = f"{v:.{digits}g}"
        return "0" if s in ("-0", "0") else s
    mant, exp = f"{v:.{max(digits - 2, 1)}e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    return rf"{mant}\times10^{{{int(exp)}}}"


def changed(terms: Mapping[str, np.ndarray], term: str, t: int, i: int) -> int:
    """+1 / -1 if the term's shown value rose / fell since step ``t-1``; 0 if it looks the same."""
    if t <= 0:
        return 0
    now, before = terms[term][t, i], terms[term][t - 1, i]
    if fmt(now) == fmt(before):
        return 0
    return 1 if now > before else -1


def cell(terms: Mapping[str, np.ndarray], term: str, t: int, i: int) -> str:
    """One value under the formula: in its term's colour, boxed and arrowed if it changed."""
    color = term_color(term)
    body = rf"\textcolor{{{color}}}{{{fmt(terms[term][t, i])}}}"
    move = changed(terms, term, t, i)
    if not move:
        return body
    arrow = r"\blacktriangle" if move > 0 else r"\blacktriangledown"
    return rf"\colorbox{{{tint(color)}}}{{${body}\,\textcolor{{{color}}}{{\scriptstyle {arrow}}}$}}"


# --- the rule -------------------------------------------------------------------------------


def _c(term: str, tex: str) -> str:
    return rf"\textcolor{{{term_color(term)}}}{{{tex}}}"


def symbols(eps_placement: str, sub: str = "t,i") -> dict[str, str]:
    """The coloured symbol of every term; the denominator follows ``eps_placement``."""
    prev = sub.replace("t", "t-1", 1)
    nxt = sub.replace("t", "t+1", 1)
    eps = _c("eps", r"\epsilon")
    G = _c("G", f"G_{{{sub}}}")
    if eps_placement == "outside":
        denom = rf"\sqrt{{{G}}} + {eps}"
    elif eps_placement == "inside":
        denom = rf"\sqrt{{{G} + {eps}}}"
    else:
        raise ValueError(f"Invalid eps_placement: {eps_placement!r} (must be one of {PLACEMENTS})")
    lr = _c("lr", r"\eta")
    return {
        "theta": _c("theta", rf"\theta_{{{sub}}}"),
        "theta_new": _c("theta", rf"\theta_{{{nxt}}}"),
        "g": _c("g", f"g_{{{sub}}}"),
        "g2": _c("g", f"g_{{{sub}}}^{{2}}"),
        "G_prev": _c("G", f"G_{{{prev}}}"),
        "G": G,
        "denom": denom,
        "lr": lr,
        "eps": eps,
        "eff_lr": _c("eff_lr", rf"\frac{{{lr}}}{{{denom}}}"),
        "update": _c("update", rf"\Delta\theta_{{{sub}}}"),
    }


def rule_tex(eps_placement: str = "outside") -> str:
    """Adagrad's two lines, every term in its colour."""
    s = symbols(eps_placement)
    return (
        r"\begin{aligned}"
        rf"{s['G']} &= {s['G_prev']} + {s['g2']} \\[4pt]"
        rf"{s['theta_new']} &= {s['theta']} - {s['eff_lr']}\,{s['g']}"
        r"\end{aligned}"
    )


def values_tex(
    terms: Mapping[str, np.ndarray], t: int, names: Sequence[str], eps_placement: str
) -> tuple[str, str, str]:
    """The rule in the order the code runs it, as three tables with this step's values.

    Each table has the symbols on top and one row of values per coordinate under them:
    ``G = G_prev + g^2``, then ``Delta theta = -eta / denominator * g`` (the rate column shows
    ``eta / denominator = rate``, so every number that went into the step is on the page), then
    ``theta_new = theta + Delta theta``.
    """
    s = symbols(eps_placement)
    d = terms["g"].shape[1]
    if len(names) != d:
        raise ValueError(f"{len(names)} names for {d} coordinates")
    rate_head = rf"\dfrac{{{s['lr']}}}{{{s['denom']}}}"
    heads = (
        rf"& {s['G']} &=& {s['G_prev']} &+& {s['g2']}",
        rf"& {s['update']} &=& -{rate_head} &\cdot& {s['g']}",
        rf"& {s['theta_new']} &=& {s['theta']} &+& {s['update']}",
    )
    rows: tuple[list[str], list[str], list[str]] = ([], [], [])
    for i, name in enumerate(names):
        c = {k: cell(terms, k, t, i) for k in terms}
        label = rf"\text{{{name}:}}"
        rate = rf"-\dfrac{{{c['lr']}}}{{{c['denom']}}} = -{c['eff_lr']}"
        rows[0].append(rf"{label} & {c['G']} &=& {c['G_prev']} &+& {c['g2']}")
        rows[1].append(rf"{label} & {c['update']} &=& {rate} &\cdot& {c['g']}")
        rows[2].append(rf"{label} & {c['theta_new']} &=& {c['theta']} &+& {c['update']}")
    sep = r" \\[6pt] "
    return tuple(
        r"\begin{array}{r c c c c c}" + head + sep + sep.join(body) + r"\end{array}"
        for head, body in zip(heads, rows, strict=True)
    )


# --- the neighbours: SGD, RMSprop, Adam -----------------------------------------------------


def _mark(tex: str, key: str) -> str:
    """A part of a rule that Adagrad's does not have (or, in Adagrad's, that SGD lacks)."""
    color = theme.OPT_COLORS[key]
    return rf"\fcolorbox{{{color}}}{{{tint(color)}}}{{${tex}$}}"


def compare_tex(eps_placement: str = "outside") -> dict[str, str]:
    """Each optimizer's rule, with the parts it does not share with Adagrad boxed.

    In Adagrad's own rule the boxed block is what SGD lacks, so the difference is one block.
    """
    eps = _c("eps", r"\epsilon")
    g, lr = _c("g", "g_t"), _c("lr", r"\eta")

    def root(x: str) -> str:
        return rf"\sqrt{{{x}}} + {eps}" if eps_placement == "outside" else rf"\sqrt{{{x} + {eps}}}"

    G, G_prev = _c("G", "G_t"), _c("G", "G_{t-1}")
    theta = r"\theta_{t+1} = \theta_t"
    sgd = rf"{theta} - {lr}\,{g}"
    block = _mark(rf"\dfrac{{{lr}}}{{{root(G)}}}", "adagrad")
    ada = rf"{G} = {G_prev} + {g}^2 \\ {theta} - {block}\,{g}"

    v, v_prev, v_hat = _c("G", "v_t"), _c("G", "v_{t-1}"), _c("G", r"\hat v_t")
    r = "rmsprop"
    alpha, one_minus = _mark(r"\alpha", r), _mark(r"(1-\alpha)", r)
    rms = (
        rf"{v} = {alpha}\,{v_prev} + {one_minus}\,{g}^2 \\ "
        rf"{theta} - \dfrac{{{lr}}}{{{root(v)}}}\,{g}"
    )

    a = "adam"
    m = _mark(rf"m_t = \beta_1 m_{{t-1}} + (1-\beta_1)\,{g}", a)
    beta2, one_minus2 = _mark(r"\beta_2", a), _mark(r"(1-\beta_2)", a)
    hats = _mark(r"\hat m_t = \tfrac{m_t}{1-\beta_1^t},\ \hat v_t = \tfrac{v_t}{1-\beta_2^t}", a)
    m_hat = _mark(r"\hat m_t", a)
    adam = (
        rf"{m} \\ {v} = {beta2}\,{v_prev} + {one_minus2}\,{g}^2 \\ {hats} \\ "
        rf"{theta} - \dfrac{{{lr}}}{{{root(v_hat)}}}\,{m_hat}"
    )
    wrap = r"\begin{{gathered}}{}\end{{gathered}}".format
    return {"sgd": wrap(sgd), "adagrad": wrap(ada), "rmsprop": wrap(rms), "adam": wrap(adam)}


COMPARE_NOTES: dict[str, str] = {
    "sgd": "One rate η for every coordinate and every step.",
    "adagrad": "SGD plus one block: divide each coordinate's step by the root of its own sum of "
    "squared gradients. The sum only grows, so the rate only shrinks.",
    "rmsprop": "Adagrad with the sum replaced by a moving average (α): old gradients are "
    "forgotten, so the rate can grow again.",
    "adam": "RMSprop plus momentum (m, an average of g) and bias corrections for both averages.",
}


# --- the reading ----------------------------------------------------------------------------


def _ratio(a: float, b: float) -> str:
    """'8×' / '2.9×' / '2,510×' / '3e7×' style, for two positive sizes; '' when it would be
    meaningless."""
    if not (a > 0 and b > 0):  # NaN too
        return ""
    with np.errstate(over="ignore"):
        r = float(max(a, b) / min(a, b))
    if not math.isfinite(r):  # the sizes are 1e308 apart: no ratio worth printing
        return ""
    return f"{_n(round(r))}×" if r >= 10 else f"{r:.2g}×"


_n = theme.number  # the one number format of the app's prose


def _pair(a: float, b: float, most: int = 6) -> tuple[str, str]:
    """Two numbers for prose that a sentence compares: with as many significant figures (3 to
    ``most``) as it takes to tell them apart, so that "larger" shows in the numbers. They read
    the same only when they agree to ``most`` figures."""
    for digits in range(3, most + 1):
        sa, sb = _n(a, digits), _n(b, digits)
        if sa != sb:
            break
    return sa, sb


def _first_step(
    terms: Mapping[str, np.ndarray], names: Sequence[str], eps: float, eps_placement: str
) -> str:
    """What the first step from G = 0 is: about η per coordinate only when ε is negligible
    next to what it is added to (√G = |g| outside the root, G = g² inside)."""
    g, upd, lr = terms["g"][0], terms["update"][0], float(terms["lr"][0, 0])
    moving = sorted((i for i in range(len(names)) if g[i] != 0), key=lambda i: abs(g[i]))
    if not moving:
        return ""
    outside = eps_placement == "outside"
    size, next_to = (np.abs(g), "√G = |g|") if outside else (g**2, "G = g²")
    if all(eps < 1e-3 * size[i] for i in moving):
        return (
            f"On the first step G = g², so the rate is η/|g| (ε = {_n(eps)} is negligible next "
            f"to {next_to}) and every coordinate with a non-zero gradient moves by about "
            f"η = {_n(lr)}, whatever the size of its gradient."
        )
    form = "η·|g| / (|g| + ε)" if outside else "η·|g| / √(g² + ε)"
    text = (
        f"On the first step G = g², so the step is {form}; ε = {_n(eps)} is not negligible "
        f"next to {next_to}, so "
    )
    if len(moving) < 2:
        i = moving[0]
        return text + f"{names[i]} moved {_n(abs(upd[i]))} rather than η = {_n(lr)}."
    a, b = moving[:2]
    sa, sb = _pair(abs(upd[a]), abs(upd[b]))
    return text + (
        f"the smaller the gradient, the shorter the step: {names[a]} moved {sa} and "
        f"{names[b]} {sb}, where a tiny ε would move both by η = {_n(lr)}."
    )


def reading(
    terms: Mapping[str, np.ndarray],
    t: int,
    names: Sequence[str],
    eps: float,
    eps_placement: str,
) -> str:
    """One paragraph, from the numbers, on what step ``t`` did and why (markdown, no TeX)."""
    g, upd, eff, G = (terms[k][t] for k in ("g", "update", "eff_lr", "G"))
    lr = float(terms["lr"][t, 0])
    parts = [f"**Step {t}.**"]
    if len(names) >= 2:
        a, b = sorted(range(2), key=lambda i: abs(g[i]))  # a: the smaller gradient
        na, nb = names[a], names[b]
        ga, gb, ua, ub = abs(g[a]), abs(g[b]), abs(upd[a]), abs(upd[b])
        if gb == 0:
            parts.append("Both gradients are zero: nothing moves, whatever the rate.")
        elif ga == 0:
            parts.append(
                f"{na}'s gradient is zero, so {na} stays put; {nb} moves {_n(ub)} "
                f"(gradient {_n(g[b])} × rate {_n(eff[b])})."
            )
        else:
            gr, ur = _ratio(ga, gb), ua / ub if ub else math.inf
            if gr and ga < gb * 0.9:
                sa, sb = _pair(ua, ub)  # the words follow the numbers shown
                how = (
                    "as far as"
                    if sa == sb
                    else "farther than"
                    if ur > 1.25
                    else "a little farther than"
                    if ur > 1
                    else "almost as far as"
                    if ur >= 0.8
                    else f"{_ratio(ua, ub)} less than"
                )
                ea, eb = _pair(eff[a], eff[b])
                parts.append(
                    f"{na}'s gradient ({_n(g[a])}) is {gr} smaller than {nb}'s ({_n(g[b])}), "
                    f"{'yet' if ur >= 0.8 else 'and'} {na} moved {sa}, {how} {nb} ({sb}): "
                    "Adagrad divides each coordinate by the root of its own sum of squared "
                    f"gradients, so {na}'s effective rate is {ea} against {nb}'s {eb} "
                    f"({_ratio(eff[a], eff[b]) or 'the same'} "
                    f"{'larger' if eff[a] > eff[b] else 'smaller'})."
                )
            else:
                fast, slow = (a, b) if ua >= ub else (b, a)
                if ub and ua and max(ua, ub) / min(ua, ub) > 1.25:
                    parts.append(
                        f"The gradients are of similar size ({na}: {_n(g[a])}, {nb}: "
                        f"{_n(g[b])}), yet {names[fast]} moved {_n(upd[fast])} and "
                        f"{names[slow]} only {_n(upd[slow])}: {names[fast]}'s effective rate is "
                        f"{_n(eff[fast])} against {_n(eff[slow])}, because its sum of squared "
                        f"gradients G is smaller ({_n(G[fast])} against {_n(G[slow])})."
                    )
                else:
                    parts.append(
                        f"The gradients are of similar size ({na}: {_n(g[a])}, {nb}: "
                        f"{_n(g[b])}), and so are the steps ({_n(ua)} and {_n(ub)}); the "
                        f"effective rates are {_n(eff[a])} and {_n(eff[b])}."
                    )
    else:
        parts.append(f"{names[0]} moved {_n(upd[0])} with effective rate {_n(eff[0])}.")
    # steps whose g² grew G (a gradient that underflows to 1e-321 is not one of them)
    seen = (terms["G"][: t + 1] > terms["G_prev"][: t + 1]).sum(axis=0)
    if t > 0 and len(set(seen.tolist())) > 1:
        counts = ", ".join(f"{names[i]}'s in {seen[i]}" for i in range(len(names)))
        parts.append(
            f"Of the {t + 1} steps so far, {counts}, had a gradient that grew G: G only grows "
            "in those steps, so a coordinate that is rarely adjusted keeps a small G and a large "
            "rate."
        )
    if t == 0 and np.all(terms["G_prev"][0] == 0):
        parts.append(_first_step(terms, names, eps, eps_placement))
    elif t > 0:
        G0, eff0 = terms["G"][0], terms["eff_lr"][0]
        grown = []
        for i in range(min(len(names), 2)):
            if G[i] == G0[i]:
                grown.append(f"{names[i]}'s G has not moved ({_n(G[i])}), nor has its rate")
            else:
                grown.append(
                    f"{names[i]}'s G has grown from {_n(G0[i])} to {_n(G[i])} and its rate "
                    f"fell from {_n(eff0[i])} to {_n(eff[i])}"
                )
        parts.append(
            "Since step 0, " + "; ".join(grown) + ". G never shrinks, so no rate can rise."
        )
    if np.any(G == 0):
        zero = float(eff[G == 0].max())  # η/ε, or η/√ε with ε inside
        form = "η/ε" if eps_placement == "outside" else "η/√ε"
        size = ", enormous," if zero >= 1e3 * lr else ","
        parts.append(
            f"With G = 0 the rate is {form} = {_n(zero)}{size} but it multiplies a gradient of "
            "0: a coordinate is not moved until it first has a gradient."
        )
    return " ".join(p for p in parts if p)


def _differ(new: float, old: float) -> str:
    """How much larger or smaller ``new`` is than ``old``, in words: '0.5% larger', '1.4×
    smaller', '1e5× smaller'."""
    way = "larger" if new > old else "smaller"
    r = max(new, old) / min(new, old)
    if r < 1.1:
        return f"{_n(100 * abs(new / old - 1), 2)}% {way}"
    return f"{_ratio(new, old)} {way}"


def convention_note(
    terms: Mapping[str, np.ndarray], t: int, names: Sequence[str], eps: float, eps_placement: str
) -> str:
    """How much this step's effective rates, and steps, depend on where ε sits (markdown, from
    numbers). A coordinate whose gradient is 0 does not move whatever its rate."""
    G, g, lr, rate = (terms[k][t] for k in ("G", "g", "lr", "eff_lr"))
    other = "inside" if eps_placement == "outside" else "outside"
    alt = lr / (np.sqrt(G + eps) if other == "inside" else np.sqrt(G) + eps)
    factor = np.maximum(alt, rate) / np.minimum(alt, rate)  # both rates are positive
    apart = factor > 1 + 1e-3
    moving = g != 0
    where = {
        "outside": "outside the root (torch)",
        "inside": "inside the root (d2l, Keras 3, optax)",
    }
    text = f"With ε {where[other]} instead, this step's rates would be " + ", ".join(
        f"{names[i]}: {_n(alt[i])}" + (f" (now {_n(rate[i])})" if _n(alt[i]) != _n(rate[i]) else "")
        for i in range(len(names))
    )
    if apart.any():
        text += ": " + "; ".join(
            f"{names[i]}'s {_differ(alt[i], rate[i])}" for i in np.flatnonzero(apart)
        )
    else:
        text += " (the same to within 0.1%)"
    text += "."
    if not moving.any():
        end = ": the convention changes the rates, not the steps." if apart.any() else "."
        return text + " Every gradient is 0 this step, so nothing moves either way" + end
    still = [names[i] for i in np.flatnonzero(apart & ~moving)]
    if still:
        text += (
            f" On {' and '.join(still)} the gradient is 0 this step, and a zero gradient times "
            "any rate is no move: there the convention changes the rate, not the step."
        )
    w = int(np.argmax(np.where(moving, factor, 0)))
    if not apart[w]:
        return text + (
            f" ε = {_n(eps)} is tiny next to {names[w]}'s G = {_n(G[w])}, so the convention "
            "hardly matters for this step; it matters when ε is not small next to G (a larger "
            "ε, or gradients that stay tiny)."
        )
    step = abs(terms["update"][t, w])
    return text + (
        f" ε = {_n(eps)} is not small next to {names[w]}'s G = {_n(G[w])}, so the convention "
        f"matters: {names[w]} would move {_n(abs(alt[w] * g[w]))} instead of {_n(step)}."
    )


def legend_tex(eps: float, lr: float, eps_placement: str = "outside") -> str:
    """What each colour means, with the two constants' values."""
    rate = rf"\tfrac{{\eta}}{{{symbols(eps_placement, 't')['denom']}}}"
    items = [
        ("theta", r"\theta\ \text{parameter}"),
        ("g", r"g\ \text{gradient}"),
        ("G", r"G\ \text{sum of } g^2"),
        ("lr", rf"\eta = {fmt(lr)}"),
        ("eps", rf"\epsilon = {fmt(eps)}"),
        ("eff_lr", rf"{rate}\ \text{{effective rate}}"),
        ("update", r"\Delta\theta\ \text{step}"),
    ]
    parts = [_c(k, tex) for k, tex in items]
    lines = r"\quad ".join(parts[:4]) + r" \\ " + r"\quad ".join(parts[4:])
    return r"\begin{gathered}" + lines + r"\end{gathered}"


def rule_caption(eps_placement: str) -> str:
    if eps_placement == "outside":
        return (
            "ε outside the root, as in torch.optim.Adagrad and the paper (Duchi, Hazan & Singer, "
            "2011). i is the coordinate, t the step."
        )
    return (
        "ε inside the root, as in d2l.ai, Keras 3 and optax: with G = 0 the rate is η/√ε rather "
        "than η/ε. i is the coordinate, t the step."
    )


def sparse_caption(terms: Mapping[str, np.ndarray], w_true: Sequence[float]) -> str:
    """What the sparse run is, with its own counts (markdown)."""
    seen = (terms["g"] != 0).sum(axis=0)
    n = terms["g"].shape[0]
    pf, pr = (f"{p:.0%}" for p in SPARSE_PROBS)
    return (
        f"**Two sparse features.** Each step sees one example with two binary features: "
        f"*frequent* is on in {pf} of examples, *rare* in {pr}; squared loss, true weights "
        f"({_n(w_true[0])}, {_n(w_true[1])}). A feature that is off has a gradient of exactly 0, "
        f"so its G does not move: in these {n} steps the frequent weight was adjusted "
        f"{seen[0]} times, the rare one {seen[1]} times."
    )
