"""Figures for the formula page: pure builders of plain figure dicts, no streamlit.

* :func:`term_series`: one small panel per term of Adagrad's rule, stacked on a shared step
  axis, its value over the run for each coordinate, a cursor at the current step; colours
  from ``theme.TERM_COLORS``.
* :func:`path_figure`: where the run is on its surface, with the current point marked, over
  the surface's contour lines drawn as an image (:func:`contour_image`).

Each figure is the dict plotly.js reads (``{"data": [...], "layout": {...}}``), numbers as
plain lists in full precision: pages send it with ``ui.plotly_chart`` (building plotly's graph
objects would validate every property on every step, ~40 ms), and the tests validate it once
with ``go.Figure(spec)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors

from . import theme
from .formula_tex import EFF_LR, eff_lr_text, term_color
from .raster import background_image

# The panels, in the order of the rule: (term, title, log axis when all values are > 0).
PANELS: tuple[tuple[str, str, bool], ...] = (
    ("g", "gradient g", False),
    ("G", "sum of squares G", True),
    ("eff_lr", f"effective rate {EFF_LR['outside']}", True),  # other conventions: panels()
    ("update", "step Δθ", False),
    ("theta", "parameter θ", False),
)
DASHES = ("solid", "dot", "dash", "dashdot")


def panels(eps_at: str = "outside", lr_decay: float = 0.0) -> tuple[tuple[str, str, bool], ...]:
    """PANELS, with the effective rate written as the chosen ε placement (and rate decay)
    computes it."""
    rate = f"effective rate {eff_lr_text(eps_at, lr_decay)}"
    return tuple((term, rate if term == "eff_lr" else title, log) for term, title, log in PANELS)


CURSOR_COLOR = theme.TERM_COLORS["theta"]
# term_series's rows, in pixels: a panel's plot, the band above each for its title, the margins
# (the top one keeps plotly's modebar off the first row; the bottom one holds the step axis's
# labels, its title and the legend under them) and where the legend starts below the last row
ROW_PX, TITLE_PX, TOP_PX, BOTTOM_PX, LEGEND_PX = 100, 30, theme.TOP_CLEAR, 80, 46
MIN_TICK_PX = 18  # the least distance between two labelled ticks of a value axis
RASTER = 300  # pixels per axis of the contour image (the plot is ~230 px; sharp at 1.3x zoom)
LEVELS = 18  # as ncontours: at most this many lines, at round values
LINE_PX = 1.0  # width of a contour line, in image pixels
OPACITY = 0.6
# plotly.py's "Greys" (white to black) as (fraction, grey level) pairs
_GREYS = np.array(
    [
        (i / (len(plotly.colors.sequential.Greys) - 1), plotly.colors.unlabel_rgb(c)[0])
        for i, c in enumerate(plotly.colors.sequential.Greys)
    ]
)


def term_series(
    terms: Mapping[str, np.ndarray],
    step: int,
    names: Sequence[str],
    panels: Sequence[tuple[str, str, bool]] = PANELS,
) -> dict:
    """Small multiples: each term against the step, one line per coordinate, cursor at
    ``step``. Steps are counted from 1 (the first update), as on every page.

    The panels are stacked, one row per term, on one shared step axis (labelled under the last
    row): each is as wide as the chart at any screen width, a phone's 390 px included, and the
    cursors line up into one vertical line through the rule. A panel is on a log axis when its
    term is positive throughout (G and the effective rate usually are), so a coordinate whose
    values are 100x smaller is still readable. Built as a plain dict (make_subplots and
    add_vline cost ~350 ms; this rebuilds on every step).
    """
    n, d = len(panels), len(names)
    steps = list(range(1, terms["g"].shape[0] + 1))
    if not 1 <= step <= len(steps):
        raise ValueError(f"Invalid step {step}: the run's steps are 1 to {len(steps)}")
    plot_px = n * ROW_PX + (n - 1) * TITLE_PX  # the height of the plot area, in pixels
    data, shapes, annotations = [], [], []
    layout: dict = {}
    for k, (term, title, want_log) in enumerate(panels):
        suffix = "" if k == 0 else str(k + 1)
        xa, ya = f"x{suffix}", f"y{suffix}"
        values = np.asarray(terms[term], dtype=float)[:, :d]
        data += _panel_traces(term, values, names, steps, step, (xa, ya), legend=k == 0)
        shapes.append(_cursor(step, xa, ya))
        top = 1 - k * (ROW_PX + TITLE_PX) / plot_px  # row k from the top
        bottom = top - ROW_PX / plot_px
        title = theme.panel_title(title, 0, top, size=12)
        title["xanchor"] = "left"  # clear of the modebar, at the top right
        annotations.append(title)
        layout[f"xaxis{suffix}"] = _step_axis(ya, len(steps), last=k == n - 1, n=n)
        layout[f"yaxis{suffix}"] = {
            "anchor": xa,
            "domain": [max(bottom, 0.0), min(top, 1.0)],
            "nticks": 4,
            **_value_axis(term, values, want_log, terms, d),
        }
    layout.update(theme.BASE_LAYOUT)
    layout.update(
        shapes=shapes,
        annotations=annotations,
        height=TOP_PX + plot_px + BOTTOM_PX,
        margin={"l": 48, "r": 12, "t": TOP_PX, "b": BOTTOM_PX},
        # under the step axis's title, from the left: room for long names on a phone
        legend={"orientation": "h", "x": 0, "y": -LEGEND_PX / plot_px, "yanchor": "top"},
    )
    return {"data": data, "layout": layout}


def _cursor(step: int, xa: str, ya: str) -> dict:
    """The dotted vertical line at ``step`` through a panel's whole height."""
    line = {"color": CURSOR_COLOR, "width": 1, "dash": "dot"}
    shape = {"type": "line", "xref": xa, "yref": f"{ya} domain", "line": line}
    return shape | {"x0": step, "x1": step, "y0": 0, "y1": 1}


def _step_axis(ya: str, n_steps: int, *, last: bool, n: int) -> dict:
    """A panel's step axis: the steps 1 to n (no "0" tick for a step that does not exist; few
    ticks on a phone), labelled under the last row only, which the others match."""
    axis: dict = {"anchor": ya, "domain": [0, 1], "range": [1, max(n_steps, 2)]}
    if last:
        axis.update(nticks=6, title={"text": "step t", "standoff": 4})
    else:
        axis.update(matches=f"x{n}", showticklabels=False)
    return axis


def _panel_traces(term, values, names, steps, step, axes, *, legend: bool) -> list[dict]:
    """One panel's lines (one per coordinate) and its markers at ``step``."""
    (xa, ya), color = axes, term_color(term)
    data = [
        {
            "type": "scatter",
            "x": steps,
            "y": values[:, i].tolist(),
            "xaxis": xa,
            "yaxis": ya,
            "mode": "lines",
            "name": name,
            "legendgroup": name,
            "showlegend": legend,
            "line": {"color": color, "dash": DASHES[i % len(DASHES)], "width": 2},
            "hovertemplate": f"{name}, step %{{x}}: %{{y:.4g}}<extra>{term}</extra>",
        }
        for i, name in enumerate(names)
    ]
    data.append(
        {
            "type": "scatter",
            "x": [step] * len(names),
            "y": values[step - 1].tolist(),
            "xaxis": xa,
            "yaxis": ya,
            "mode": "markers",
            "cliponaxis": False,  # whole at the axis's ends (steps 1 and n)
            "marker": {"color": color, "size": 9, "line": {"color": "white", "width": 1}},
            "showlegend": False,
            "hovertemplate": f"step {step}: %{{y:.4g}}<extra>{term}</extra>",
        }
    )
    return data


def _value_axis(term: str, values: np.ndarray, want_log: bool, terms, d: int) -> dict:
    """A panel's value axis: log when asked and every value is > 0, ticks at whole numbers."""
    log = want_log and bool(np.all(values > 0))
    yaxis: dict = {"type": "log" if log else "linear"}
    shown = values
    if term == "eff_lr" and log:
        # While G = 0 the rate is eta/eps (1e10 with torch's eps) and multiplies g = 0: keep
        # it off the top of the axis so the rates that act stay readable (hover shows it).
        acting = values[terms["G"][:, :d] > 0]
        if 0 < acting.size < values.size:
            lo, hi = np.log10(acting.min()), np.log10(acting.max())
            pad = max(0.1 * (hi - lo), 0.05)
            yaxis["range"] = [float(lo - pad), float(hi + pad)]
            shown = acting
    if log:  # whole numbers at the ticks (0.2, not plotly's lone 2 between powers of ten)
        yaxis.update(_thin(theme.log_ticks(shown), shown))
    return yaxis


def _thin(ticks: dict, shown: np.ndarray) -> dict:
    """The log ticks that fit a row :data:`ROW_PX` tall: at least :data:`MIN_TICK_PX` apart,
    powers of ten first, then 5s, 2s and the other digits (1, 2 and 5 over two decades would be
    ~15 px apart: labels that touch). Unchanged unless two labelled ticks remain within the
    values."""
    if not ticks:
        return ticks
    lo, hi = float(np.min(shown)), float(np.max(shown))
    px = np.log10(ticks["tickvals"]) * ROW_PX / max(np.log10(hi / lo), 1e-9)
    digit = np.rint(np.asarray(ticks["tickvals"]) / 10.0 ** np.floor(np.log10(ticks["tickvals"])))
    kept: list[int] = []
    for i in sorted(range(len(px)), key=lambda i: ({1: 0, 5: 1, 2: 2}.get(digit[i], 3), i)):
        if all(abs(px[i] - px[j]) >= MIN_TICK_PX for j in kept):
            kept.append(i)
    kept.sort()
    if sum(lo <= ticks["tickvals"][i] <= hi for i in kept) < 2:
        return ticks
    return {**ticks, **{k: [ticks[k][i] for i in kept] for k in ("tickvals", "ticktext")}}


STEP_TRACE = "step "  # the name of the step marked on the path, before its number


def path_figure(
    path: np.ndarray,
    step: int,
    *,
    background: Mapping | None = None,
    minima: Sequence[tuple[float, float]] = (),
    axis_titles: tuple[str, str] = ("x", "y"),
    minimum_name: str = "minimum",
) -> dict:
    """The run's path over its surface's contour lines, with step ``step`` marked.

    ``path`` is ``(steps+1, 2)``, the start first; step ``step`` (counted from 1) is drawn from
    ``path[step - 1]`` to ``path[step]``. Step 0 draws the start alone: a lesson's chart before
    its answer, with none of the steps. ``background`` is :func:`contour_image`'s layout
    image: the axes span it. Without one there are no contour lines and the axes fit the path.
    """
    if not 0 <= step < len(path):
        raise ValueError(f"Invalid step {step}: 0 (the start alone) or 1 to {len(path) - 1}")
    data = _path_traces(path[:1] if step == 0 else path, step, minima, minimum_name)
    layout = {
        **theme.BASE_LAYOUT,
        "height": 360,
        # wide enough for the tick labels and title of any surface's range: were plotly to push
        # the margin for them (automargin), it would lay the chart out twice on every draw; the
        # top one keeps plotly's modebar off the plot
        "margin": {"l": 48, "r": 10, "t": 30, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        "xaxis": {"title": {"text": axis_titles[0]}},
        "yaxis": {"title": {"text": axis_titles[1], "standoff": 2}},
    }
    if background is not None:
        x0, y1 = background["x"], background["y"]
        layout["xaxis"]["range"] = [x0, x0 + background["sizex"]]
        layout["yaxis"]["range"] = [y1 - background["sizey"], y1]
        layout["images"] = [background]
    return {"data": data, "layout": layout}


def _path_traces(path, step: int, minima, minimum_name: str) -> list[dict]:
    """The minima, the path and step ``step`` on it (none for step 0)."""
    data: list[dict] = []
    if minima:
        mx, my = zip(*minima, strict=True)
        data.append(
            {
                "type": "scatter",
                "x": [float(v) for v in mx],
                "y": [float(v) for v in my],
                "mode": "markers",
                "name": minimum_name,
                "marker": {"symbol": "star", "size": 11, "color": theme.TERM_COLORS["theta"]},
                "hoverinfo": "skip",
            }
        )
    hover = "θ = (%{x:.3g}, %{y:.3g})<extra></extra>"
    data.append(
        {
            "type": "scatter",
            "x": path[:, 0].tolist(),
            "y": path[:, 1].tolist(),
            "mode": "lines+markers",
            "name": "Adagrad" if step else "start",
            "line": {"color": theme.OPT_COLORS["adagrad"], "width": 2},
            "marker": {"size": 4 if step else 11},
            "hovertemplate": hover,
        }
    )
    step_color = theme.TERM_COLORS["update"]
    if step:
        data.append(
            {
                "type": "scatter",
                "x": path[step - 1 : step + 1, 0].tolist(),
                "y": path[step - 1 : step + 1, 1].tolist(),
                "mode": "lines+markers",
                "name": f"{STEP_TRACE}{step}",
                "line": {"color": step_color, "width": 4},
                "marker": {"size": [9, 13], "color": step_color, "symbol": "circle"},
                "hovertemplate": hover,
            }
        )
    return data


def view_bounds(bounds, path: np.ndarray, pad: float = 0.05):
    """The surface's plotting bounds, widened to hold the whole path (plus a margin).

    Where the path reaches past a bound, the new bound is rounded outward (to a power of ten
    between 1/100 and 1/10 of the span), so runs that differ a little share one view and its
    cached background image."""
    out = []
    for k, (lo, hi) in enumerate(bounds):
        p_lo, p_hi = float(path[:, k].min()), float(path[:, k].max())
        if p_lo < lo or p_hi > hi:
            q = 10.0 ** math.floor(math.log10((max(hi, p_hi) - min(lo, p_lo)) / 10))
            if p_lo < lo:
                lo = round(math.floor(p_lo / q) * q, 12)
            if p_hi > hi:
                hi = round(math.ceil(p_hi / q) * q, 12)
        margin = pad * (hi - lo)
        out.append((lo - margin, hi + margin))
    return tuple(out)


def level_step(span: float, levels: int = LEVELS) -> float:
    """The distance between contour levels plotly.js picks for ``ncontours=levels``: the span
    over ``levels``, rounded up to 2, 5 or 10 times a power of ten."""
    rough = span / levels
    base = 10.0 ** math.floor(math.log10(rough))
    return base * next(m for m in (2.0, 5.0, 10.0) if m * base >= rough * (1 - 1e-12))


def contour_pixels(
    value_fn, bounds, *, log_levels: bool = False, n: int = RASTER, levels: int = LEVELS
) -> np.ndarray:
    """Contour lines of ``value_fn`` over ``bounds`` drawn on white: an ``(n, n, 3)`` uint8
    image, rows from the top of the plot down (pixel centres sampled).

    The look of the contour trace this replaces (plotly's "Greys" reversed, lines only, opacity
    0.6, the levels of ``ncontours``): low levels dark, high ones light. Each line is
    antialiased from the pixel's distance to its nearest level (the level offset over the
    local gradient); where f is not finite the image stays white.
    """
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (np.arange(n) + 0.5) * (y1 - y0) / n
    z = np.asarray(value_fn(np.stack(np.meshgrid(xs, ys), axis=-1)), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        finite = np.isfinite(z)
        if log_levels and finite.any():
            z = np.log10(z - z[finite].min() + 1e-3)
            finite = np.isfinite(z)
        rgb = np.full((n, n, 3), 255.0)
        if not finite.any():
            return rgb.astype(np.uint8)
        lo, hi = float(z[finite].min()), float(z[finite].max())
        if not (hi > lo and math.isfinite(hi - lo)):
            return rgb.astype(np.uint8)
        step = level_step(hi - lo, levels)
        u = np.where(finite, z, lo) / step  # levels where u is a whole number
        k = np.rint(u)
        gy, gx = np.gradient(u)  # per pixel
        dist = np.abs(u - k) / np.maximum(np.hypot(gx, gy), 1e-12)  # pixels to the level
        cover = np.clip(LINE_PX / 2 + 0.5 - dist, 0.0, 1.0)
        level = k * step
        cover[~finite | (level <= lo) | (level >= hi)] = 0.0
    fractions = np.clip((level - lo) / (hi - lo), 0.0, 1.0)
    shade = np.interp(1.0 - fractions, _GREYS[:, 0], _GREYS[:, 1])  # reversed: low is dark
    alpha = (OPACITY * cover)[..., None]
    rgb = rgb * (1 - alpha) + shade[..., None] * alpha
    return rgb.round().astype(np.uint8)


def contour_image(
    value_fn, bounds, *, log_levels: bool = False, n: int = RASTER, levels: int = LEVELS
) -> dict:
    """The contour lines over ``bounds`` as a layout image for :func:`path_figure`: a PNG
    drawn below the traces, spanning the axes. plotly.js would trace a contour trace's lines
    again (marching squares) on every draw of the chart, each step and each slider move; an
    image it only places. Cache it per bounds (~50 ms to draw and compress)."""
    pixels = contour_pixels(value_fn, bounds, log_levels=log_levels, n=n, levels=levels)
    (x0, x1), (y0, y1) = bounds
    return background_image(pixels, ((float(x0), float(x1)), (float(y0), float(y1))))
