"""The optional 3-D view of the surface with each racer's path on it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adagrad_core.racers import Run, inside
from adagrad_core.surfaces import Surface

from . import theme
from .fig_common import as_list, decimate, rounded
from .raster import greys, surface_grid


def surface3d_figure(surface: Surface, runs: Mapping[str, Run], *, height: int = 560) -> dict:
    """The surface as a 3-D mesh with each path on it (static; the 2-D chart animates). A path
    is drawn until it leaves the plot: off the mesh there is no surface to draw it on, and
    its gap, floored for the log charts, no longer gives its height (x + y falls on)."""
    xs, ys, z = surface_grid(surface, 60)
    data = [
        dict(
            type="surface",
            x=rounded(xs),
            y=rounded(ys),
            z=np.where(np.isfinite(z), np.round(z, 3), None).tolist(),
            colorscale=greys(),
            opacity=0.9,
            showscale=False,
            name="surface",
        )
    ]
    for key, run in runs.items():
        out = ~inside(run.params[: run.last + 1], surface.bounds)
        idx = decimate(int(np.argmax(out)) if out.any() else run.last + 1)
        p = run.params[idx]
        zz = run.gap[idx] + surface.f_min
        if surface.log_levels:
            zz = np.log10(run.gap[idx] + 1e-3)
        data.append(
            dict(
                type="scatter3d",
                x=rounded(p[:, 0]),
                y=rounded(p[:, 1]),
                z=as_list(zz),
                mode="lines",
                line={"color": theme.color(key), "width": 6},
                name=run.label,
            )
        )
    ztitle = "log₁₀(f − f*)" if surface.log_levels else "f"
    layout = {
        **theme.BASE_LAYOUT,
        "height": height,
        "scene": {
            "xaxis": {"title": {"text": "x"}},
            "yaxis": {"title": {"text": "y"}},
            "zaxis": {"title": {"text": ztitle}},
        },
    }
    return {"data": data, "layout": layout}
