"""One place for colours and plot styling, so every chart and the formula page agree.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.io as pio

# One colour per optimizer (keys are the "racer" names the pages use).
OPT_COLORS: dict[str, str] = {
    "sgd": "#555555",  # grey: the baseline
    "momentum": "#56B4E9",  # sky blue
    "nesterov": "#0072B2",  # blue
    "adagrad": "#D55E00",  # vermillion: the star of the show
    "adagrad_full": "#CC79A7",  # reddish purple
    "rmsprop": "#009E73",  # bluish green
    "adam": "#E69F00",  # orange
    "adamw": "#B8A000",  # dark yellow (Okabe-Ito yellow is too pale on white)
    "adadelta": "#000000",  # black
}

# One colour per term of the update rule, used in the formula and in the charts of its terms.
TERM_COLORS: dict[str, str] = {
    "theta": "#000000",  # parameter
    "g": "#0072B2",  # gradient
    "G": "#D55E00",  # accumulated squared gradients
    "eff_lr": "#009E73",  # effective learning rate lr / (sqrt(G) + eps)
    "lr": "#E69F00",  # global learning rate
    "eps": "#CC79A7",  # epsilon
    "update": "#56B4E9",  # the step actually taken
}

# Feature frequency groups on the sparse-features page.
FREQ_COLORS: dict[str, str] = {"rare": "#D55E00", "frequent": "#0072B2"}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"  # local fonts only

# Figures are sent as plain dicts (ui.PlainFigure), and plotly.js knows no template names:
# the template goes out resolved, as plotly.py would send it.
TEMPLATE: dict = pio.templates["plotly_white"].to_plotly_json()

# Plotly's modebar (its icon toolbar) covers the top ~28 px of a chart on hover: a title drawn
# just above the plot in a top margin this tall stays clear of it.
TOP_CLEAR = 50
ABOVE_PLOT = {"y": 1, "yref": "paper", "yanchor": "bottom", "pad": {"b": 8}}  # a title's place

BASE_LAYOUT: dict = {
    "template": TEMPLATE,
    "font": {"family": FONT, "size": 13},
    "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "hoverlabel": {"namelength": -1},  # whole trace names in tooltips ("SGD · frequent, …")
}


def color(key: str) -> str:
    """The colour of an optimizer or term; grey for anything unknown."""
    return OPT_COLORS.get(key) or TERM_COLORS.get(key) or "#777777"


def panel_title(text: str, x: float, y: float = 1.0, size: int = 16) -> dict:
    """A subplot's title, centred above its panel at paper coordinates (x, y), as plotly's
    make_subplots places it (the figure builders lay out their panels by hand)."""
    return {
        "text": text,
        "x": x,
        "y": y,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": size},
    }


def log_ticks(*values) -> dict:
    """``tickvals`` and ``ticktext`` for a log axis that shows ``values`` (arrays; non-finite
    and non-positive entries are ignored), to merge into the axis's properties.

    Powers of ten, every few decades over a wide span; 1, 2 and 5 per decade over 0.6 to three
    decades; every digit under that. Each label is the whole number (0.002, 50, 3e-5), never the
    lone digits plotly writes between powers of ten, which read as 2 and 5 where they mean 0.2
    and 0.5. Values within a sliver of a decade get ``{}``: plotly's own ticks.
    """
    v = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in values] or [[]])
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return {}
    lo, hi = math.log10(v.min()), math.log10(v.max())
    span = hi - lo
    step = max(1, math.ceil(span / 6)) if span >= 3 else 1
    mantissas = (1,) if span >= 3 else (1, 2, 5) if span >= 0.6 else range(1, 10)
    first = math.floor(lo) // step * step
    ticks = [
        m * 10.0**k
        for k in range(first - step, math.ceil(hi) + step, step)
        for m in mantissas
        if v.min() / 10 <= m * 10.0**k <= v.max() * 10  # plotly shows those in its range
    ]
    if sum(v.min() <= t <= v.max() for t in ticks) < 2:  # a sliver of a decade: plotly's own
        return {}
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [_tick_label(t) for t in ticks]}


def _tick_label(x: float) -> str:
    if 1e-3 <= x < 1e5:
        return f"{x:.6g}"
    k = math.floor(math.log10(x) + 1e-9)
    return f"{round(x / 10**k)}e{k}"


def number(v: float, digits: int = 3) -> str:
    """A number for prose (not TeX), to ``digits`` significant figures: plain decimals from
    0.0001 to 99,999 (thousands grouped), ``1e-5`` / ``2.5e10`` beyond (no '+', no padding)."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    r = float(f"{v:.{digits}g}")  # rounded first, so 99,999.7 is 1e5 and not "100,000"
    if 1e-4 <= abs(r) < 1e5:
        s = f"{r:,.{max(digits - 1 - math.floor(math.log10(abs(r))), 0)}f}"
        return s.rstrip("0").rstrip(".") if "." in s else s
    mant, exp = f"{r:.{digits - 1}e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
