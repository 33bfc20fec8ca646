"""How numbers and counts read in the app's sentences: one format for each, for every page.

Every function is total: any float, NaN, ±inf, 0 or a huge value gives a string (a sentence
about a run must never raise). Figures round their data themselves (plotly's hover formats);
TeX numbers are formula_tex's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .theme import number

__all__ = ["about", "names", "num", "number", "pct", "plural", "ratio", "times"]


def num(v: float, digits: int = 2) -> str:
    """A number for prose, ``digits`` significant (whole numbers with separators from 100 up):
    0.012, 68, 2,048, 2.6e-5; "∞" or "not a number" where not finite."""
    v = float(v)
    if math.isnan(v):
        return "not a number"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:,.0f}" if abs(v) >= 100 and abs(v) < 1e5 else number(v, digits)


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


def ratio(r: float) -> str:
    """A ratio as '8×', '2.9×', '2,510×'; '–' where it is not a finite number."""
    if not math.isfinite(r):
        return "–"
    return f"{number(round(r))}×" if r >= 10 else f"{r:.2g}×"


def pct(share: float) -> str:
    """A share (0.05) as a percentage ('5%'): two significant figures, more when needed so
    that a share that is not 0 (or 1) never reads '0%' (or '100%'); '–' if not finite."""
    share = float(share)
    if share == 0 or share == 1 or not math.isfinite(share):
        return {0.0: "0%", 1.0: "100%"}.get(share, "–")
    text = ""
    for digits in range(2, 8):
        text = number(100 * share, digits)
        if text not in ("100", "-100", "0", "-0"):
            return f"{text}%"
    return ">99.99999%" if share < 1 else f"{text}%"


def about(x: float) -> str:
    """An average count (of examples, of steps) as a whole number; "less than 1" below 0.5."""
    return f"{round(x):,}" if x >= 0.5 else "less than 1"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 step', '2 steps', '1,024 examples'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def names(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C' ('' for none)."""
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
