"""Figures for the formula page: pure ``data -> go.Figure`` builders, no streamlit.

* :func:`term_series`: one small panel per term of Adagrad's rule, its value over the run for
  each coordinate, a cursor at the current step; colours from ``theme.TERM_COLORS``.
* :func:`path_figure`: where the run is on its surface, with the current point marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from . import theme
from .formula_tex import term_color

# The panels, in the order of the rule: (term, title, log axis when all values are > 0).
PANELS: tuple[tuple[str, str, bool], ...] = (
    ("g", "gradient g", False),
    ("G", "sum of squares G", True),
    ("eff_lr", "effective rate η/(√G+ε)", True),
    ("update", "step Δθ", False),
    ("theta", "parameter θ", False),
)
DASHES = ("solid", "dot", "dash", "dashdot")
CURSOR_COLOR = theme.TERM_COLORS["theta"]


def term_series(
    terms: Mapping[str, np.ndarray],
    t: int,
    names: Sequence[str],
    panels: Sequence[tuple[str, str, bool]] = PANELS,
) -> go.Figure:
    """Small multiples: each term against the step, one line per coordinate, cursor at ``t``.

    A panel is on a log axis when its term is positive throughout (G and the effective rate
    usually are), so a coordinate whose values are 100x smaller is still readable. Built as a
    plain dict (make_subplots and add_vline cost ~350 ms; this rebuilds on every step).
    """
    n, d = len(panels), len(names)
    gap = 0.05
    width = (1 - gap * (n - 1)) / n
    steps = np.arange(terms["g"].shape[0])
    data, shapes, annotations = [], [], []
    layout: dict = {}
    for k, (term, title, want_log) in enumerate(panels):
        suffix = "" if k == 0 else str(k + 1)
        xa, ya = f"x{suffix}", f"y{suffix}"
        values = np.asarray(terms[term], dtype=float)[:, :d]
        color = term_color(term)
        for i, name in enumerate(names):
            data.append(
                {
                    "type": "scatter",
                    "x": steps,
                    "y": values[:, i],
                    "xaxis": xa,
                    "yaxis": ya,
                    "mode": "lines",
                    "name": name,
                    "legendgroup": name,
                    "showlegend": k == 0,
                    "line": {"color": color, "dash": DASHES[i % len(DASHES)], "width": 2},
                    "hovertemplate": f"{name}, step %{{x}}: %{{y:.4g}}<extra>{term}</extra>",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": [t] * d,
                "y": values[t],
                "xaxis": xa,
                "yaxis": ya,
                "mode": "markers",
                "marker": {"color": color, "size": 9, "line": {"color": "white", "width": 1}},
                "showlegend": False,
                "hovertemplate": f"step {t}: %{{y:.4g}}<extra>{term}</extra>",
            }
        )
        shapes.append(
            {
                "type": "line",
                "xref": xa,
                "yref": f"{ya} domain",
                "x0": t,
                "x1": t,
                "y0": 0,
                "y1": 1,
                "line": {"color": CURSOR_COLOR, "width": 1, "dash": "dot"},
            }
        )
        left = k * (width + gap)
        annotations.append(
            {
                "text": title,
                "x": left + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        log = want_log and bool(np.all(values > 0))
        yaxis: dict = {"anchor": xa, "type": "log" if log else "linear"}
        if log:
            yaxis["dtick"] = "D2"
        if term == "eff_lr" and log:
            # While G = 0 the rate is eta/eps (1e10 with torch's eps) and multiplies g = 0: keep
            # it off the top of the axis so the rates that act stay readable (hover shows it).
            acting = values[terms["G"][:, :d] > 0]
            if 0 < acting.size < values.size:
                lo, hi = np.log10(acting.min()), np.log10(acting.max())
                pad = max(0.1 * (hi - lo), 0.05)
                yaxis["range"] = [lo - pad, hi + pad]
                yaxis.pop("dtick")
        xaxis: dict = {"anchor": ya, "domain": [left, left + width]}
        if k == 0:
            xaxis["title"] = {"text": "step t"}
        layout[f"xaxis{suffix}"] = xaxis
        layout[f"yaxis{suffix}"] = yaxis
    layout.update(theme.BASE_LAYOUT)
    layout.update(
        shapes=shapes,
        annotations=annotations,
        height=280,
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": -0.18, "yanchor": "top"},
    )
    return go.Figure({"data": data, "layout": layout})


def path_figure(
    x: np.ndarray | None,
    y: np.ndarray | None,
    z: np.ndarray | None,
    path: np.ndarray,
    t: int,
    *,
    minima: Sequence[tuple[float, float]] = (),
    log_levels: bool = False,
    axis_titles: tuple[str, str] = ("x", "y"),
    minimum_name: str = "minimum",
) -> go.Figure:
    """The surface's contour (grid ``x``, ``y``, values ``z``), the run's path and step ``t``.

    ``path`` is ``(steps+1, 2)``; the point moved in step ``t`` is drawn from ``path[t]`` to
    ``path[t+1]``. Without a grid (``z`` is None) there is no contour and the axes fit the path.
    """
    data: list[dict] = []
    if z is not None:
        zz = np.log10(z - z.min() + 1e-3) if log_levels else z
        data.append(
            {
                "type": "contour",
                "x": x,
                "y": y,
                "z": zz,
                "colorscale": "Greys",
                "reversescale": True,
                "showscale": False,
                "ncontours": 18,
                "contours": {"coloring": "lines"},
                "hoverinfo": "skip",
                "opacity": 0.6,
            }
        )
    if minima:
        mx, my = zip(*minima, strict=True)
        data.append(
            {
                "type": "scatter",
                "x": mx,
                "y": my,
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
            "x": path[:, 0],
            "y": path[:, 1],
            "mode": "lines+markers",
            "name": "Adagrad",
            "line": {"color": theme.OPT_COLORS["adagrad"], "width": 2},
            "marker": {"size": 4},
            "hovertemplate": hover,
        }
    )
    step_color = theme.TERM_COLORS["update"]
    data.append(
        {
            "type": "scatter",
            "x": path[t : t + 2, 0],
            "y": path[t : t + 2, 1],
            "mode": "lines+markers",
            "name": f"step {t}",
            "line": {"color": step_color, "width": 4},
            "marker": {"size": [9, 13], "color": step_color, "symbol": "circle"},
            "hovertemplate": hover,
        }
    )
    layout = {
        **theme.BASE_LAYOUT,
        "height": 340,
        "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        "xaxis": {"title": {"text": axis_titles[0]}},
        "yaxis": {"title": {"text": axis_titles[1], "standoff": 2}},
    }
    if z is not None:
        layout["xaxis"]["range"] = [float(x[0]), float(x[-1])]
        layout["yaxis"]["range"] = [float(y[0]), float(y[-1])]
    return go.Figure({"data": data, "layout": layout})


def view_bounds(bounds, path: np.ndarray, pad: float = 0.05):
    """The surface's plotting bounds, widened to hold the whole path (plus a margin)."""
    out = []
    for k, (lo, hi) in enumerate(bounds):
        lo, hi = min(lo, float(path[:, k].min())), max(hi, float(path[:, k].max()))
        margin = pad * (hi - lo)
        out.append((lo - margin, hi + margin))
    return tuple(out)


def surface_grid(value_fn, bounds, n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, z)`` for a contour of ``value_fn`` over ``bounds = ((x0, x1), (y0, y1))``."""
    (x0, x1), (y0, y1) = bounds
    x, y = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    z = value_fn(np.stack(np.meshgrid(x, y), axis=-1))
    return x, y, z
