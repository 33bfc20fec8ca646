"""The rotation lesson's chart: diagonal and full-matrix Adagrad, on a quadratic and rotated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adagrad_core.racers import Run
from adagrad_core.surfaces import Surface

from . import theme
from .fig_common import SYMBOLS, axes_ranges, decimate, minima_trace, rounded, start_trace
from .raster import contour_image

PANEL_WIDTH = 320  # px: each panel is drawn to scale for this width (a phone's plot is ~290)
PANEL_GAP = 64  # px between panels: the upper one's x tick labels, then the next title
TITLE_SIZE = 14  # the longest title, "Ill-conditioned quadratic 0.1x² + 2y²", is ~260 px
MARGIN = {"l": 50, "r": 20, "t": theme.TOP_CLEAR + 6, "b": 76}  # t: the title under the modebar


def _aspect(surface: Surface) -> float:
    (x0, x1), (y0, y1) = surface.bounds
    return (y1 - y0) / (x1 - x0)


def rotation_figure(panels: Sequence[tuple[Surface, Mapping[str, Run]]]) -> dict:
    """One above the other: the same racers on each surface (e.g. axis-aligned and rotated),
    each drawn to scale (x and y alike, so the turned valley is the same shape turned).

    Stacked, every panel has the chart's whole width: side by side on a phone each was
    128 px wide and their titles ran into each other. Each panel's height is its box's
    aspect times PANEL_WIDTH; where the screen is narrower, the panel shrinks to scale
    under its title (its y domain is constrained toward the top)."""
    heights = [PANEL_WIDTH * _aspect(surface) for surface, _ in panels]
    plot_h = sum(heights) + PANEL_GAP * (len(panels) - 1)
    same_x = len({surface.bounds[0] for surface, _ in panels}) == 1
    data: list[dict] = []
    layout = {
        **theme.BASE_LAYOUT,
        "height": round(MARGIN["t"] + plot_h + MARGIN["b"]),
        "margin": MARGIN,
        # under the last panel's x title, in px below its plot area
        "legend": {
            "orientation": "h",
            "y": -44 / plot_h,
            "yanchor": "top",
            "x": 0.5,
            "xanchor": "center",  # under the panels, which are centred where the page is wide
        },
        "annotations": [],
        "images": [],
    }
    top = plot_h
    for row, ((surface, runs), h) in enumerate(zip(panels, heights, strict=True), start=1):
        sfx = "" if row == 1 else str(row)
        domain = [(top - h) / plot_h, top / plot_h]
        top -= h + PANEL_GAP
        data += _panel_traces(surface, runs, sfx, showlegend=row == 1)
        # the background as an image, as on the main chart: a contour trace costs plotly.js
        # ~0.2 s of marching squares per panel on every page load
        layout["images"].append({**contour_image(surface), "xref": f"x{sfx}", "yref": f"y{sfx}"})
        x_title = not same_x or row == len(panels)  # one "x" title, under the last panel
        layout.update(_panel_axes(surface, sfx, domain, x_title))
        title = theme.panel_title(surface.label, 0.5, domain[1], size=TITLE_SIZE)
        layout["annotations"].append(title)
    return {"data": data, "layout": layout}


def _panel_traces(surface: Surface, runs: Mapping[str, Run], sfx: str, showlegend: bool) -> list:
    """One panel's minima, start and paths, on axes x{sfx} and y{sfx}."""
    axes = {"xaxis": f"x{sfx}", "yaxis": f"y{sfx}"}
    first = next(iter(runs.values()))
    data = [
        minima_trace(surface, showlegend=False, **axes),
        start_trace(first.params[0], showlegend=False, **axes),
    ]
    for key, run in runs.items():
        idx = decimate(run.last + 1)
        data.append(
            dict(
                type="scatter",
                x=rounded(run.params[idx, 0]),
                y=rounded(run.params[idx, 1]),
                mode="lines+markers",
                line={"color": theme.color(key), "width": 2},
                marker={"size": 4, "symbol": SYMBOLS.get(key, "circle")},
                name=run.label,
                legendgroup=key,
                showlegend=showlegend,
                **axes,
            )
        )
    return data


def _panel_axes(surface: Surface, sfx: str, domain: list, x_title: bool) -> dict:
    """One panel's axes: the whole width, ``domain`` of the height, drawn to scale and shrunk
    toward the top where the screen is narrower."""
    xa, ya = axes_ranges(surface)
    ya = {k: v for k, v in ya.items() if k not in ("scaleanchor", "scaleratio")}
    if not x_title:
        xa = {k: v for k, v in xa.items() if k != "title"}
    x = {**xa, "domain": [0.0, 1.0], "anchor": f"y{sfx}", "constrain": "domain"}
    y = {**ya, "domain": domain, "anchor": f"x{sfx}", "scaleanchor": f"x{sfx}", "scaleratio": 1}
    x["constraintoward"] = "center"
    y.update(constrain="domain", constraintoward="top")
    return {f"xaxis{sfx}": x, f"yaxis{sfx}": y}
