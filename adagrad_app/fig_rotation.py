"""The rotation lesson's chart: diagonal and full-matrix Adagrad, on a quadratic and rotated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adagrad_core.racers import Run
from adagrad_core.surfaces import Surface

from . import theme
from .fig_common import SYMBOLS, axes_ranges, decimate, minima_trace, rounded, start_trace
from .raster import contour_image


def rotation_figure(
    panels: Sequence[tuple[Surface, Mapping[str, Run]]], *, height: int = 420
) -> dict:
    """Side by side: the same racers on each surface (e.g. axis-aligned and rotated)."""
    n, gap = len(panels), 0.08
    width = (1 - gap * (n - 1)) / n
    data: list[dict] = []
    layout = {
        **theme.BASE_LAYOUT,
        "height": height,
        "margin": {"l": 50, "r": 20, "t": 60, "b": 80},
        "legend": {"orientation": "h", "y": -0.15, "yanchor": "top", "x": 0},
        "annotations": [],
        "images": [],
    }
    for col, (surface, runs) in enumerate(panels, start=1):
        sfx = "" if col == 1 else str(col)
        axes = {"xaxis": f"x{sfx}", "yaxis": f"y{sfx}"}
        # the background as an image, as on the main chart: a contour trace costs plotly.js
        # ~0.2 s of marching squares per panel on every page load
        image = {**contour_image(surface), "xref": f"x{sfx}", "yref": f"y{sfx}"}
        layout["images"].append(image)
        data.append(minima_trace(surface, showlegend=False, **axes))
        first = next(iter(runs.values()))
        data.append(start_trace(first.params[0], showlegend=False, **axes))
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
                    showlegend=col == 1,
                    **axes,
                )
            )
        left = (col - 1) * (width + gap)
        xa, ya = axes_ranges(surface)
        ya = {k: v for k, v in ya.items() if k != "scaleanchor"}
        layout[f"xaxis{sfx}"] = {**xa, "domain": [left, left + width], "anchor": f"y{sfx}"}
        layout[f"yaxis{sfx}"] = {
            **ya,
            "domain": [0.0, 1.0],
            "anchor": f"x{sfx}",
            "scaleanchor": f"x{sfx}",
            "scaleratio": 1,
        }
        layout["annotations"].append(theme.panel_title(surface.label, left + width / 2))
    return {"data": data, "layout": layout}
