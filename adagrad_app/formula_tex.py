r"""The formula page's KaTeX, as pure functions: the rule, coloured, with one step's numbers.

No streamlit here. The ``*_tex`` builders write Adagrad's rule, coloured with
``theme.TERM_COLORS``, with the numbers of one step (from :mod:`.formula_run`'s terms) under its
terms. The sentences about a run are in :mod:`.claims_formula`.

Colours go through ``\textcolor{#RRGGBB}{...}`` (KaTeX, bundled with Streamlit, no network).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import theme
from .formula_run import PLACEMENTS

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

EFF_LR = {"outside": "η/(√G+ε)", "inside": "η/√(G+ε)"}  # the effective rate, as plain text


def eff_lr_text(eps_placement: str, lr_decay: float = 0.0) -> str:
    """The effective rate as plain text; with ``lr_decay`` > 0 its numerator is ηₜ."""
    text = EFF_LR[eps_placement]
    return text.replace("η", "ηₜ", 1) if lr_decay > 0 else text


def term_color(term: str) -> str:
    return theme.TERM_COLORS[TERM_COLOR_KEY.get(term, term)]


def tint(hex_color: str, strength: float = 0.18) -> str:
    """A light background made from a theme colour (mixed with white), for highlights."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 - strength * (255 - c)) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


# --- numbers --------------------------------------------------------------------------------


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


def symbols(eps_placement: str, sub: str = "t,i", decay: bool = False) -> dict[str, str]:
    """The coloured symbol of every term; the denominator follows ``eps_placement``, and with
    a rate ``decay`` the rate is ηₜ (it changes with the step)."""
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
    lr = _c("lr", r"\eta_t" if decay else r"\eta")
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


def rule_tex(eps_placement: str = "outside", decay: bool = False) -> str:
    """Adagrad's two lines, every term in its colour (with ``decay``, the rate is ηₜ)."""
    s = symbols(eps_placement, decay=decay)
    return (
        r"\begin{aligned}"
        rf"{s['G']} &= {s['G_prev']} + {s['g2']} \\[4pt]"
        rf"{s['theta_new']} &= {s['theta']} - {s['eff_lr']}\,{s['g']}"
        r"\end{aligned}"
    )


def values_tex(
    terms: Mapping[str, np.ndarray],
    t: int,
    names: Sequence[str],
    eps_placement: str,
    decay: bool = False,
) -> tuple[str, str, str]:
    """The rule in the order the code runs it, as three tables with this step's values.

    Each table has the symbols on top and one row of values per coordinate under them:
    ``G = G_prev + g^2``, then ``Delta theta = -eta / denominator * g`` (the rate column shows
    ``eta / denominator = rate``, so every number that went into the step is on the page), then
    ``theta_new = theta + Delta theta``. ``t`` is the row: the step counted from 0.
    """
    s = symbols(eps_placement, decay=decay)
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


def legend_tex(eps: float, lr: float, eps_placement: str = "outside", lr_decay: float = 0.0) -> str:
    """What each colour means, with the constants' values. With ``lr_decay`` > 0 the rate of
    step t is ηₜ = η / (1 + (t - 1) lr_decay), as torch computes it."""
    eta = r"\eta_t" if lr_decay > 0 else r"\eta"
    rate = rf"\tfrac{{{eta}}}{{{symbols(eps_placement, 't')['denom']}}}"
    lr_item = rf"\eta = {fmt(lr)}"
    if lr_decay > 0:
        lr_item = (
            rf"\eta_t = \tfrac{{\eta}}{{1 + (t-1)\,d}},\ \eta = {fmt(lr)},\ "
            rf"d = {fmt(lr_decay)}"
        )
    items = [
        ("theta", r"\theta\ \text{parameter}"),
        ("g", r"g\ \text{gradient}"),
        ("G", r"G\ \text{sum of } g^2"),
        ("lr", lr_item),
        ("eps", rf"\epsilon = {fmt(eps)}"),
        ("eff_lr", rf"{rate}\ \text{{effective rate}}"),
        ("update", r"\Delta\theta\ \text{step}"),
    ]
    parts = [_c(k, tex) for k, tex in items]
    # three short lines: the legend fits a phone's width
    lines = r" \\ ".join(r"\quad ".join(parts[a:b]) for a, b in ((0, 3), (3, 5), (5, 7)))
    return r"\begin{gathered}" + lines + r"\end{gathered}"
