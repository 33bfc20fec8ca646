"""The trajectories page's race chart: pure functions, no streamlit, no prose (the sentences
about a run are in :mod:`adagrad_app.claims_trajectories`).

The main figure is a static contour with each racer's faint full path, animated with plotly
frames that carry only the moving traces (a marker with a short trail per racer), so playback
runs in the browser and the payload stays small. The linked charts (gap to the minimum,
effective learning rate, accumulator) and the rotation lesson draw the same runs.

Every builder returns a plain dict, the JSON plotly.js reads ({"data": [...], "layout": {...},
"frames": [...]}): building plotly's graph objects would validate every property of every frame
(~0.1 s for 150 frames); pages send the dict with ``ui.plotly_chart``, and the tests validate
it once with ``go.Figure(spec)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from adagrad_core.racers import GAP_FLOOR, Run
from adagrad_core.surfaces import Surface

from . import theme
from .fig_common import (
    DIVERGED_SYMBOL,
    STAR,
    START_SIZE,
    SYMBOLS,
    axes_ranges,
    decimate,
    finite_list,
    merge_labels,
    minima_trace,
    rounded,
    start_trace,
)
from .raster import (
    contour_image,
    greys,
)

MAX_FRAMES = 150  # animation frames, whatever the number of steps


TRAIL = 8  # positions in each moving trail, the head included


CLICK_GRID = 24  # invisible click targets per axis (a click on the chart sets the start)
SLIDER_TICKS = 10  # about this many round steps on the scrub slider, the last step added
# Under the plot: the play buttons and step slider, then the legend (its rows at the figure's
# bottom, so that on a narrow screen they take height from the margin, not from the plot).
BOTTOM = 280  # bottom margin of the animated chart, px
BOTTOM_STILL = 60  # of the chart with no race
LEGEND = {
    **theme.BASE_LAYOUT["legend"],
    "itemclick": "toggle",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
}
COLORBAR = {  # thin, horizontal, over the plot's top right corner: it takes no width
    "orientation": "h",
    "thickness": 8,
    "len": 0.5,
    "x": 1,
    "xanchor": "right",
    "y": 1.01,
    "yanchor": "bottom",
    "tickangle": 0,
    "nticks": 4,
}
FRAME_MS = {"▶ Play": 80, "▶▶ Fast": 25}


def slider_steps(steps: int) -> np.ndarray:
    """The steps on the scrub slider: multiples of a round interval (1, 2 or 5 × 10ᵏ), about
    SLIDER_TICKS of them, then the last step (a multiple less than half an interval before it
    is left out). Few enough that plotly labels each one: it labels only every n-th step of a
    crowded slider, which can leave the last one unlabelled."""
    rounds = (m * 10**k for k in range(9) for m in (1, 2, 5))
    every = next(d for d in rounds if d * SLIDER_TICKS >= steps)
    ticks = np.arange(0, steps + 1, every)
    return np.append(ticks[steps - ticks >= every / 2], steps)


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The step shown by each animation frame: every step, or an even subset in which the
    frame nearest each slider step shows that step exactly (so the slider can go to it)."""
    shown = decimate(steps + 1, max_frames, head=0)  # evenly: the animation keeps time
    ticks = slider_steps(steps)
    shown[np.abs(shown[:, None] - ticks).argmin(0)] = ticks  # moves a frame by under half a gap
    return shown


def _trails(run: Run, shown: np.ndarray) -> list:
    """Per frame k, [x list, y list] of the trail ending there: the last TRAIL frame positions
    (the first frames padded with the start), rounded for the JSON."""
    k = np.arange(len(shown))[:, None] + np.arange(1 - TRAIL, 1)  # (frames, TRAIL) frame numbers
    idx = np.minimum(shown[np.maximum(k, 0)], run.last)
    return np.round(run.params[idx], 4).transpose(0, 2, 1).tolist()  # (frames, 2, TRAIL)


def _surface_traces(surface: Surface) -> list[dict]:
    """The contour's hover values, click targets and colour bar (the bands are the layout's
    background image, :func:`contour_image`)."""
    # The contour is a background image, not a trace: plotly drops contour traces on playback.
    # Invisible markers on a grid give the hover value of f, the colour bar, and click targets
    # (a click anywhere on the chart reports a point: the new start).
    (a, b), (c, d) = surface.bounds
    gx, gy = np.meshgrid(np.linspace(a, b, CLICK_GRID), np.linspace(c, d, CLICK_GRID))
    gz = surface.value(np.stack([gx, gy], axis=-1)).ravel()
    title = "log₁₀(f − f*)" if surface.log_levels else "f"
    shade = np.log10(np.maximum(gz - surface.f_min, GAP_FLOOR) + 1e-3) if surface.log_levels else gz
    click = dict(
        type="scatter",
        x=rounded(gx.ravel(), 3),
        y=rounded(gy.ravel(), 3),
        customdata=finite_list(gz, 4),
        mode="markers",
        marker={"size": 20, "opacity": 0, "color": "white"},  # one colour: cheap to draw
        hovertemplate="(%{x:.2f}, %{y:.2f}) f = %{customdata:.4g}<br>click to start here"
        "<extra></extra>",
        showlegend=False,
        name="click",
    )
    finite = shade[np.isfinite(shade)]
    span = [float(finite.min()), float(finite.max())] if finite.size else [0.0, 1.0]
    colorbar = dict(  # two invisible points that carry the colour bar of the background
        type="scatter",
        x=[a, a],
        y=[c, c],
        mode="markers",
        marker={
            "size": 1,
            "opacity": 0,
            "color": np.round(span, 3).tolist(),
            "colorscale": greys(),
            "showscale": True,
            "colorbar": {"title": {"text": title, "side": "top", "font": {"size": 11}}, **COLORBAR},
        },
        hoverinfo="skip",
        showlegend=False,
        name="colour bar",
    )
    return [click, colorbar]


def path_name(run: Run) -> str:
    """The name of a racer's faint path trace (the browser finds the trace by it)."""
    return f"{run.label} path"


def path_xy(run: Run) -> list[list[float]]:
    """A racer's faint path as drawn: its points up to where it stopped, thinned, rounded."""
    path = run.params[decimate(run.last + 1)]
    return [rounded(path[:, 0]), rounded(path[:, 1])]


def _racer_traces(run: Run, shown: np.ndarray, rank: int, bounds) -> tuple[dict, dict, list]:
    """One racer's faint full path, its moving head (a short trail) and, if it left the plot,
    the mark where it did."""
    key = run.key
    color, star = theme.color(key), key == STAR
    x, y = path_xy(run)
    faint = dict(
        type="scatter",
        x=x,
        y=y,
        mode="lines",
        line={"color": color, "width": 3 if star else 2},
        opacity=0.8 if star else 0.5,
        legendgroup=key,
        showlegend=False,
        name=path_name(run),
        hoverinfo="skip",
    )
    tx, ty = _trails(run, shown[:1])[0]
    marker = {"color": color, "symbol": SYMBOLS.get(key, "circle")}
    marker |= {"size": [0] * (TRAIL - 1) + [13], "line": {"color": "white", "width": 1}}
    head = dict(
        type="scatter",
        x=tx,
        y=ty,
        mode="lines+markers",
        line={"color": color, "width": 4 if star else 3},
        marker=marker,
        legendgroup=key,
        legendrank=rank,
        name=run.label,
        hovertemplate=f"{run.label} (%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
    )
    return faint, head, [] if run.exit_point is None else [_exit_mark(run, bounds)]


def _exit_mark(run: Run, bounds) -> dict:
    color = theme.color(run.key)
    return dict(
        type="scatter",
        x=[float(run.exit_point[0])],
        y=[float(run.exit_point[1])],
        mode="markers+text",
        marker={"symbol": DIVERGED_SYMBOL, "size": 22, "color": color, "line": {"width": 4}},
        text=[f"{run.label} diverged (step {run.diverged_at})"],
        textposition=_inward(run.exit_point, bounds),
        cliponaxis=False,
        textfont={"color": color},
        legendgroup=run.key,
        showlegend=False,
        name=f"{run.label} diverged",
        hovertemplate=f"{run.label} left the plot here<extra></extra>",
    )


def trajectories_figure(
    surface: Surface, runs: Mapping[str, Run], x0: Sequence[float], *, height: int = 720
) -> dict:
    """Contour, minima, start, each racer's faint path, and frames that move only the heads."""
    steps = next(iter(runs.values())).updates.shape[0] if runs else 0
    shown = frame_steps(steps)
    # Drawn bottom to top: faint paths, moving heads, divergence marks, the start ring. The
    # star (Adagrad) comes last among the paths and the heads, so it is drawn over the others;
    # the legend keeps the racers in the order they were chosen (legendrank).
    order = sorted(runs, key=lambda k: k == STAR)
    paths, heads, marks = [], [], []
    for key in order:
        rank = 3 + list(runs).index(key)
        faint, head, mark = _racer_traces(runs[key], shown, rank, surface.bounds)
        paths.append(faint)
        heads.append(head)
        marks += mark
    merge_labels(marks, surface.bounds)
    data: list = [*_surface_traces(surface), minima_trace(surface, legendrank=1), *paths]
    moving = list(range(len(data), len(data) + len(heads)))  # the traces the frames update
    data += [*heads, *marks, start_trace(x0, START_SIZE, legendrank=2)]
    trails = [_trails(runs[key], shown) for key in order]
    frames = [
        {
            "name": str(int(step)),
            "data": [{"type": "scatter", "x": t[k][0], "y": t[k][1]} for t in trails],
            "traces": moving,
        }
        for k, step in enumerate(shown)
    ]
    layout = _chart_layout(surface, height, bottom=BOTTOM)
    layout |= {"updatemenus": [_play_buttons()], "sliders": [_slider(shown)]}
    return {"data": data, "layout": layout, "frames": frames}


def _chart_layout(surface: Surface, height: int, bottom: int) -> dict:
    """The race chart's layout. Small side margins, the colour bar thin and above the plot, the
    legend under everything: on a phone (390 px) the axes keep most of the screen's width."""
    xa, ya = axes_ranges(surface)
    return {
        **theme.BASE_LAYOUT,
        "height": height,
        "xaxis": xa,
        "yaxis": ya,
        "hovermode": "closest",
        "dragmode": "pan",
        "margin": {"l": 4, "r": 4, "t": 40, "b": bottom},
        "legend": LEGEND,
        "images": [contour_image(surface)],
    }


def surface_figure(surface: Surface, x0: Sequence[float], *, height: int = 560) -> dict:
    """The race chart before the race: the contour, the minima and the start, with no path, no
    racer and no animation (a lesson shows it while it waits for the student's answer)."""
    data = [
        *_surface_traces(surface),
        minima_trace(surface, legendrank=1),
        start_trace(x0, START_SIZE, legendrank=2),
    ]
    return {"data": data, "layout": _chart_layout(surface, height, bottom=BOTTOM_STILL)}


def _inward(point: tuple[float, float], bounds) -> str:
    """Where to put a label at ``point`` on the plot's border so that it stays on the plot."""
    (x0, x1), (y0, y1) = bounds
    x, y = point
    gaps = {"middle right": x - x0, "middle left": x1 - x, "top center": y - y0}
    gaps["bottom center"] = y1 - y
    return min(gaps, key=gaps.get)


def _animate_args(duration: int) -> dict:
    return {
        "frame": {"duration": duration, "redraw": False},
        "transition": {"duration": 0},
        "fromcurrent": True,
        "mode": "immediate",
    }


def _play_buttons() -> dict:
    buttons = [
        {"label": label, "method": "animate", "args": [None, _animate_args(ms)]}
        for label, ms in FRAME_MS.items()
    ]
    buttons.append(
        {"label": "❚❚ Pause", "method": "animate", "args": [[None], _animate_args(0)]},
    )
    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0,
        "xanchor": "left",
        "y": -0.08,
        "yanchor": "top",
        "pad": {"r": 10, "t": 20},
        "buttons": buttons,
    }


def _slider(shown: np.ndarray) -> dict:
    """The scrub slider: the round steps of ``slider_steps`` and the last one (each is a frame
    of ``shown``); ▶ Play still shows every frame."""
    on_slider = slider_steps(int(shown[-1]))
    return {
        "active": 0,
        "x": 0,
        "len": 1,
        "y": -0.08,
        "yanchor": "top",
        "pad": {"t": 70, "b": 0},  # under the play buttons: the whole width, even on a phone
        "currentvalue": {"prefix": "step ", "visible": True, "xanchor": "right"},
        "transition": {"duration": 0},
        "steps": [
            {
                "label": str(int(s)),
                "method": "animate",
                "args": [[str(int(s))], _animate_args(0)],
            }
            for s in on_slider
        ],
    }
