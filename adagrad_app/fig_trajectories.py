"""Figures for the trajectories page: pure functions, no streamlit, no prose (the sentences
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

import base64
import functools
import struct
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors

from adagrad_core.racers import GAP_FLOOR, Run, constant_gradient_rate, inside
from adagrad_core.surfaces import Surface

from . import theme

MAX_FRAMES = 150  # animation frames, whatever the number of steps
MAX_LINE_POINTS = 400  # points per drawn line; runs are computed in full, drawn decimated
TRAIL = 8  # positions in each moving trail, the head included
GRID = 90  # contour resolution per axis
RASTER = 360  # pixels per axis of the animated chart's background (its contour bands)
LEVELS = 24  # contour bands
SHADES = (0.04, 0.55)  # the part of plotly's "Greys" scale the bands use: light, so paths show
CLICK_GRID = 24  # invisible click targets per axis (a click on the chart sets the start)
SLIDER_TICKS = 10  # about this many round steps on the scrub slider, the last step added
FRAME_MS = {"▶ Play": 80, "▶▶ Fast": 25}
SYMBOLS = {
    "sgd": "circle",
    "momentum": "square",
    "nesterov": "diamond",
    "adagrad": "triangle-up",
    "adagrad_full": "triangle-down",
    "rmsprop": "pentagon",
    "adam": "hexagon",
    "adamw": "star-square",
    "adadelta": "cross",
}
DIVERGED_SYMBOL = "x-thin-open"
STAR = "adagrad"  # drawn over the other racers, with a thicker line
START_SIZE = 24  # the start ring on the race chart: wide enough to show around the racers on it
OFF_CHART = 100  # a step-1 rate this many times above all later ones is left off its chart
CONSTANT_G = "Adagrad if g stayed as at step 1"  # the dashed line of the rate chart
BEST_SGD = "#999999"  # SGD at its best learning rate: a lighter grey, dashed


def _r(a: np.ndarray, digits: int = 4) -> list[float]:
    """Plain, rounded floats for frame dicts (smaller JSON than full precision)."""
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def _finite(a: np.ndarray, digits: int) -> list:
    """Rounded floats, with None (JSON null: no point) where a value is not finite."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), np.round(a, digits), None).tolist()


def decimate(n: int, max_points: int = MAX_LINE_POINTS, head: int | None = None) -> np.ndarray:
    """Indices 0..n-1 (first and last always kept), at most ``max_points`` of them: the first
    ``head`` (an eighth of them unless given) all kept, where optimizers move most (a first
    step that jumps away and back would otherwise vanish), then evenly spaced."""
    if n <= max_points:
        return np.arange(n)
    head = max_points // 8 if head is None else head
    rest = np.linspace(head, n - 1, max_points - head).round().astype(int)
    return np.unique(np.concatenate([np.arange(head), rest]))


def surface_grid(surface: Surface, n: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) of the surface on an n x n grid; z is log10(f - f_min) if log_levels."""
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    z = surface.value(np.stack([X, Y], axis=-1))
    if surface.log_levels:
        z = np.log10(np.maximum(z - surface.f_min, GAP_FLOOR) + 1e-3)
    return xs, ys, z


def _png(rgb: np.ndarray) -> str:
    """A data: URI of an RGB uint8 image (h, w, 3): a minimal PNG, no image library needed."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def background_image(pixels: np.ndarray, bounds) -> dict:
    """An ``(n, m, 3)`` uint8 image (rows from the top down) as a layout image stretched over
    ``bounds = ((x0, x1), (y0, y1))`` in data coordinates, drawn below the traces."""
    (x0, x1), (y0, y1) = bounds
    return {
        "source": _png(pixels),
        "xref": "x",
        "yref": "y",
        "x": x0,
        "y": y1,
        "sizex": x1 - x0,
        "sizey": y1 - y0,
        "sizing": "stretch",
        "layer": "below",
        "name": "contour",
    }


def contour_bands(surface: Surface, n: int = RASTER, levels: int = LEVELS) -> np.ndarray:
    """Band index (0 = lowest) of each pixel, rows from the top of the plot down; -1 where f
    is not finite (a typed surface outside its domain, e.g. log(x) for x < 0)."""
    _, _, z = surface_grid(surface, n)
    finite = np.isfinite(z)
    if not finite.any():
        return np.full(z.shape, -1)
    lo, hi = float(z[finite].min()), float(z[finite].max())
    with np.errstate(invalid="ignore"):
        bands = np.floor((z - lo) / ((hi - lo) or 1.0) * levels).clip(0, levels - 1)
    return np.where(finite, bands, -1).astype(int)[::-1]


@functools.lru_cache(maxsize=32)
def contour_image(surface: Surface, n: int = RASTER, levels: int = LEVELS) -> dict:
    """The filled contour as a layout image (plotly drops contour traces when it animates).

    Cached per surface (a PNG takes ~40 ms to draw and compress): read-only."""
    bands = contour_bands(surface, n, levels)
    shades = plotly.colors.sample_colorscale("Greys", list(np.linspace(*SHADES, levels)))
    palette = np.array([plotly.colors.unlabel_rgb(c) for c in shades], dtype=float)
    palette = np.vstack([palette, [255.0, 255.0, 255.0]])  # band -1 (f undefined): white
    rgb = palette[bands]
    edge = np.zeros(bands.shape, dtype=bool)  # a darker pixel where the band changes: the line
    edge[:, 1:] |= bands[:, 1:] != bands[:, :-1]
    edge[1:, :] |= bands[1:, :] != bands[:-1, :]
    rgb[edge] *= 0.8
    return background_image(rgb.round().astype(np.uint8), surface.bounds)


def _greys(n: int = 9) -> list[list]:
    """The light part of plotly's "Greys" scale (low values lightest), as in the raster, as the
    [[fraction, colour], ...] pairs plotly.js reads."""
    colors = plotly.colors.sample_colorscale("Greys", list(np.linspace(*SHADES, n)))
    return [[i / (n - 1), c] for i, c in enumerate(colors)]


PAST_EDGE = "the lowest point in the plot"


def goal(surface: Surface) -> str:
    """What f* is, in words: the minimum, a minimum (of several), or for a typed f that keeps
    falling past the plot's edge (x + y) only the lowest point in the plot, which runs pass."""
    if surface.falls_past_edge:
        return PAST_EDGE
    return "a minimum" if len(surface.minima) > 1 else "the minimum"


def _minima(surface: Surface, **kw) -> dict:
    m = np.array(surface.minima)
    name = PAST_EDGE.removeprefix("the ") if surface.falls_past_edge else "minimum"
    return dict(
        type="scatter",
        x=m[:, 0].tolist(),
        y=m[:, 1].tolist(),
        mode="markers",
        marker={
            "symbol": "star",
            "size": 15,
            "color": "white",
            "line": {"color": "black", "width": 1.5},
        },
        name=name,
        hovertemplate=name + " (%{x:.3f}, %{y:.3f})<extra></extra>",
        cliponaxis=False,  # whole at the plot's edge or corner (x + y's lowest point)
        **kw,
    )


def _start(x0: Sequence[float], size: int = 14, **kw) -> dict:
    """The start: an open ring, drawn as the legend shows it."""
    return dict(
        type="scatter",
        x=[float(x0[0])],
        y=[float(x0[1])],
        mode="markers",
        marker={"symbol": "circle-open", "size": size, "color": "black", "line": {"width": 2}},
        name="start",
        hovertemplate="start (%{x:.2f}, %{y:.2f})<extra></extra>",
        **kw,
    )


def _axes_ranges(surface: Surface) -> tuple[dict, dict]:
    (x0, x1), (y0, y1) = surface.bounds
    xa = {"range": [x0, x1], "title": {"text": "x"}, "zeroline": False, "showgrid": False}
    ya = {"range": [y0, y1], "title": {"text": "y"}, "zeroline": False, "showgrid": False}
    xa["constrain"] = "domain"
    if (x1 - x0) <= 2 * (y1 - y0) and (y1 - y0) <= 2 * (x1 - x0):
        ya = {**ya, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"}
    return xa, ya


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
        x=_r(gx.ravel(), 3),
        y=_r(gy.ravel(), 3),
        customdata=_finite(gz, 4),
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
            "colorscale": _greys(),
            "showscale": True,
            "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 12, "len": 0.8},
        },
        hoverinfo="skip",
        showlegend=False,
        name="colour bar",
    )
    return [click, colorbar]


def trajectories_figure(
    surface: Surface, runs: Mapping[str, Run], x0: Sequence[float], *, height: int = 560
) -> dict:
    """Contour, minima, start, each racer's faint path, and frames that move only the heads."""
    steps = next(iter(runs.values())).updates.shape[0] if runs else 0
    shown = frame_steps(steps)
    click, colorbar = _surface_traces(surface)
    # Drawn bottom to top: faint paths, moving heads, divergence marks, the start ring. The
    # star (Adagrad) comes last among the paths and the heads, so it is drawn over the others;
    # the legend keeps the racers in the order they were chosen (legendrank).
    order = sorted(runs, key=lambda k: k == STAR)
    paths, heads, marks = [], [], []
    for key in order:
        run, color, star = runs[key], theme.color(key), key == STAR
        idx = decimate(run.last + 1)
        path = run.params[idx]
        paths.append(
            dict(
                type="scatter",
                x=_r(path[:, 0]),
                y=_r(path[:, 1]),
                mode="lines",
                line={"color": color, "width": 3 if star else 2},
                opacity=0.8 if star else 0.5,
                legendgroup=key,
                showlegend=False,
                name=f"{run.label} path",
                hoverinfo="skip",
            )
        )
        tx, ty = _trails(run, shown[:1])[0]
        heads.append(
            dict(
                type="scatter",
                x=tx,
                y=ty,
                mode="lines+markers",
                line={"color": color, "width": 4 if star else 3},
                marker={
                    "color": color,
                    "symbol": SYMBOLS.get(key, "circle"),
                    "size": [0] * (TRAIL - 1) + [13],
                    "line": {"color": "white", "width": 1},
                },
                legendgroup=key,
                legendrank=3 + list(runs).index(key),
                name=run.label,
                hovertemplate=f"{run.label} (%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
            )
        )
        if run.exit_point is not None:
            ex, ey = run.exit_point
            marks.append(
                dict(
                    type="scatter",
                    x=[float(ex)],
                    y=[float(ey)],
                    mode="markers+text",
                    marker={
                        "symbol": DIVERGED_SYMBOL,
                        "size": 22,
                        "color": color,
                        "line": {"width": 4},
                    },
                    text=[f"{run.label} diverged (step {run.diverged_at})"],
                    textposition=_inward(run.exit_point, surface.bounds),
                    cliponaxis=False,
                    textfont={"color": color},
                    legendgroup=key,
                    showlegend=False,
                    name=f"{run.label} diverged",
                    hovertemplate=f"{run.label} left the plot here<extra></extra>",
                )
            )
    _merge_labels(marks, surface.bounds)
    data: list = [click, colorbar, _minima(surface, legendrank=1), *paths]
    moving = list(range(len(data), len(data) + len(heads)))  # the traces the frames update
    data += [*heads, *marks, _start(x0, START_SIZE, legendrank=2)]
    trails = [_trails(runs[key], shown) for key in order]
    frames = [
        {
            "name": str(int(step)),
            "data": [{"type": "scatter", "x": t[k][0], "y": t[k][1]} for t in trails],
            "traces": moving,
        }
        for k, step in enumerate(shown)
    ]
    xa, ya = _axes_ranges(surface)
    layout = {
        **theme.BASE_LAYOUT,
        "height": height,
        "xaxis": xa,
        "yaxis": ya,
        "hovermode": "closest",
        "dragmode": "pan",
        "margin": {"l": 50, "r": 20, "t": 40, "b": 120},
        "legend": {**theme.BASE_LAYOUT["legend"], "itemclick": "toggle"},
        "updatemenus": [_play_buttons()],
        "images": [contour_image(surface)],
        "sliders": [_slider(shown)],
    }
    return {"data": data, "layout": layout, "frames": frames}


def surface_figure(surface: Surface, x0: Sequence[float], *, height: int = 560) -> dict:
    """The race chart before the race: the contour, the minima and the start, with no path, no
    racer and no animation (a lesson shows it while it waits for the student's answer)."""
    xa, ya = _axes_ranges(surface)
    layout = {
        **theme.BASE_LAYOUT,
        "height": height,
        "xaxis": xa,
        "yaxis": ya,
        "hovermode": "closest",
        "dragmode": "pan",
        "margin": {"l": 50, "r": 20, "t": 40, "b": 50},
        "images": [contour_image(surface)],
    }
    data = [
        *_surface_traces(surface),
        _minima(surface, legendrank=1),
        _start(x0, START_SIZE, legendrank=2),
    ]
    return {"data": data, "layout": layout}


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
        "y": -0.12,
        "yanchor": "top",
        "pad": {"r": 10, "t": 10},
        "buttons": buttons,
    }


def _slider(shown: np.ndarray) -> dict:
    """The scrub slider: the round steps of ``slider_steps`` and the last one (each is a frame
    of ``shown``); ▶ Play still shows every frame."""
    on_slider = slider_steps(int(shown[-1]))
    return {
        "active": 0,
        "x": 0.3,
        "len": 0.7,
        "y": -0.08,
        "yanchor": "top",
        "pad": {"t": 30, "b": 0},
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


# --- linked charts ------------------------------------------------------------------------


def _line_layout(title: str, ytitle: str, height: int, data: list[dict]) -> dict:
    """A linked chart's layout: its log y axis labels ticks from the values of ``data``."""
    ticks = theme.log_ticks(*(trace["y"] for trace in data))
    return {
        **theme.BASE_LAYOUT,
        "height": height,
        "title": {"text": title, "font": {"size": 14}, **theme.ABOVE_PLOT},
        "xaxis": {"title": {"text": "step"}},
        # hover in plain digits (plotly's default writes 115.3f, f for femto, on a log axis)
        "yaxis": {"title": {"text": ytitle}, "type": "log", "hoverformat": ".3~g", **ticks},
        "hovermode": "x unified",
        "showlegend": False,  # same colours as the main chart; hover names each line
        "margin": {"l": 60, "r": 10, "t": theme.TOP_CLEAR, "b": 45},
    }


def _line(x, y, **kw) -> dict:
    """A line trace of a linked chart (values in full: a log axis spans many decades)."""
    return dict(type="scatter", x=_list(x), y=_list(y), mode="lines", **kw)


def _list(a) -> list:
    return np.asarray(a).tolist()


def loss_figure(
    runs: Mapping[str, Run],
    *,
    height: int = 330,
    goal: str = "the minimum",
    best_sgd: Run | None = None,
) -> dict:
    """f − f* per step on a log scale; a diverged run ends with a cross where it stopped.
    ``goal``: what f* is (see :func:`goal`). ``best_sgd``: SGD at its best learning rate
    (:func:`adagrad_core.racers.sgd_sweep`), drawn dashed grey, with a legend entry."""
    data = []
    for key, run in runs.items():
        idx = decimate(run.last + 1)
        color = theme.color(key)
        data.append(
            _line(
                idx,
                run.gap[idx],
                line={"color": color, "width": 2},
                name=run.label,
                legendgroup=key,
            )
        )
        if run.diverged_at is not None:
            data.append(
                dict(
                    type="scatter",
                    x=[run.last],
                    y=[float(run.gap[run.last])],
                    mode="markers",
                    marker={
                        "symbol": DIVERGED_SYMBOL,
                        "size": 14,
                        "color": color,
                        "line": {"width": 3},
                    },
                    name=f"{run.label} diverged",
                    legendgroup=key,
                    showlegend=False,
                )
            )
    if best_sgd is not None:
        idx = decimate(best_sgd.last + 1)
        data.append(
            _line(
                idx,
                best_sgd.gap[idx],
                line={"color": BEST_SGD, "width": 2, "dash": "dash"},
                name=f"SGD, best lr = {best_sgd.hparams['lr']:g}",
                legendgroup="best_sgd",
                showlegend=True,
            )
        )
    layout = _line_layout(f"Gap to {goal}, f − f*", "f − f*", height, data)
    if best_sgd is not None:  # the dashed line's legend, under the chart
        layout["showlegend"] = True
        layout["legend"] = {"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"}
        layout["margin"] = {**layout["margin"], "b": 75}
        for trace in data:
            trace.setdefault("showlegend", False)
    return {"data": data, "layout": layout}


def _per_coordinate(key: str, label: str, values: np.ndarray, last: int) -> list[dict]:
    """Two lines for one racer: x solid, y dotted (values is (steps, 2); step t is t+1)."""
    idx = decimate(min(last, len(values)))
    color = theme.color(key)
    return [
        _line(
            idx + 1,
            np.maximum(values[idx, i], GAP_FLOOR),
            line={"color": color, "width": 2, "dash": dash},
            name=f"{label} {coord}",
            legendgroup=key,
        )
        for i, (coord, dash) in enumerate((("x", "solid"), ("y", "dot")))
    ]


def _eff_lr_lines(runs: Mapping[str, Run]) -> list[dict]:
    """The effective-rate chart's lines: each racer's x and y, and for Adagrad also the rate
    a constant gradient (its step-1 one) would give, dashed (the one line with a legend entry;
    hover names the others). That line is exact for this run's ε, its placement, the initial
    accumulator and the lr decay (:func:`adagrad_core.racers.constant_gradient_rate`)."""
    data = []
    for key, run in runs.items():
        data += _per_coordinate(key, run.label, run.eff_lr, run.last)
        env = constant_gradient_rate(run) if key == "adagrad" else None
        if env is not None:
            idx = decimate(len(env))
            for i in range(2):
                data.append(
                    _line(
                        idx + 1,
                        np.maximum(env[idx, i], GAP_FLOOR),
                        line={"color": theme.color(key), "width": 1.5, "dash": "longdash"},
                        opacity=0.7,
                        name=CONSTANT_G,
                        legendgroup="envelope",
                        showlegend=i == 0,
                    )
                )
    for trace in data:
        trace.setdefault("showlegend", False)
    return data


def step1_off_chart(runs: Mapping[str, Run], lines: list[dict] | None = None) -> dict[str, float]:
    """The racers whose step-1 rate is over OFF_CHART times every rate the chart draws after
    step 1 (each line's first point is step 1), with that rate: the y range leaves it out."""
    lines = _eff_lr_lines(runs) if lines is None else lines
    later = np.concatenate([np.asarray(t["y"][1:], dtype=float) for t in lines] or [[]])
    later = later[np.isfinite(later) & (later > 0)]
    if not later.size:
        return {}
    top = OFF_CHART * later.max()
    return {
        key: float(run.eff_lr[0].max())
        for key, run in runs.items()
        if run.last >= 1 and run.eff_lr[0].max() > top
    }


def eff_lr_figure(runs: Mapping[str, Run], *, height: int = 330) -> dict:
    """Each coordinate's effective learning rate, and Adagrad's ÷√t line. A racer whose step-1
    rate is far above the rest (full-matrix Adagrad's, ~1e10) is left off the top of the log
    axis, which would otherwise span ten decades and flatten every other line."""
    data = _eff_lr_lines(runs)
    off = step1_off_chart(runs, data)
    shown = [t["y"][1:] if t["legendgroup"] in off else t["y"] for t in data]
    title = "Effective learning rate (x solid, y dotted)"
    layout = _line_layout(title, "lr per coordinate", height, [{"y": y} for y in shown])
    if off:  # the range of what is shown; the step-1 points above it are clipped
        v = np.concatenate([np.asarray(y, dtype=float) for y in shown])
        v = np.log10(v[np.isfinite(v) & (v > 0)])
        lo, hi = v.min(), v.max()
        pad = max(0.05 * (hi - lo), 0.05)  # decades
        layout["yaxis"]["range"] = [float(lo - pad), float(hi + pad)]
    if any(trace["showlegend"] for trace in data):  # the dashed line's legend, under the chart
        layout["showlegend"] = True
        layout["legend"] = {"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"}
        layout["margin"] = {**layout["margin"], "b": 75}
    return {"data": data, "layout": layout}


def accumulator_figure(runs: Mapping[str, Run], *, height: int = 330) -> dict:
    """The second-moment state per coordinate: Adagrad's sum G, RMSprop's and Adam's averages."""
    data = []
    for key, run in runs.items():
        if run.accumulator is not None:
            label = f"{run.label} {run.accumulator_label.split()[0]}"
            data += _per_coordinate(key, label, run.accumulator, run.last)
    layout = _line_layout("Accumulated squared gradients", "G or v", height, data)
    return {"data": data, "layout": layout}


# --- rotation lesson ------------------------------------------------------------------------


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
        data.append(_minima(surface, showlegend=False, **axes))
        first = next(iter(runs.values()))
        data.append(_start(first.params[0], showlegend=False, **axes))
        for key, run in runs.items():
            idx = decimate(run.last + 1)
            data.append(
                dict(
                    type="scatter",
                    x=_r(run.params[idx, 0]),
                    y=_r(run.params[idx, 1]),
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
        xa, ya = _axes_ranges(surface)
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


# --- 3-D view -------------------------------------------------------------------------------


def surface3d_figure(surface: Surface, runs: Mapping[str, Run], *, height: int = 560) -> dict:
    """The surface as a 3-D mesh with each path on it (static; the 2-D chart animates). A path
    is drawn until it leaves the plot: off the mesh there is no surface to draw it on, and
    its gap, floored for the log charts, no longer gives its height (x + y falls on)."""
    xs, ys, z = surface_grid(surface, 60)
    data = [
        dict(
            type="surface",
            x=_r(xs),
            y=_r(ys),
            z=np.where(np.isfinite(z), np.round(z, 3), None).tolist(),
            colorscale=_greys(),
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
                x=_r(p[:, 0]),
                y=_r(p[:, 1]),
                z=_list(zz),
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


# --- helpers -----------------------------------------------------------------------------------


def plot_width(bounds) -> float:
    """The plot's wider side: the unit of the "closer than x% of the plot" tolerances."""
    return max(hi - lo for lo, hi in bounds)


def _merge_labels(marks: list[dict], bounds, near: float = 0.08) -> None:
    """In place: 'diverged' labels of exit points closer than ``near`` of the plot's width
    go into one label, a line each (five racers leaving at one point were drawn on top of
    each other)."""
    width = plot_width(bounds)
    kept: list[dict] = []
    for mark in marks:
        host = next(
            (
                k
                for k in kept
                if abs(k["x"][0] - mark["x"][0]) + abs(k["y"][0] - mark["y"][0]) < near * width
            ),
            None,
        )
        if host is None:
            kept.append(mark)
        else:
            host["text"] = [host["text"][0] + "<br>" + mark["text"][0]]
            host["textfont"] = {"color": "#444444"}  # lines of several racers: no one colour
            mark["text"] = [""]
