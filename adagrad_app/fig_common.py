"""What the trajectories page's charts share: rounding for the JSON, decimation, the racers'
symbols, the minima and start markers, axis ranges and label merging (no streamlit, no prose)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adagrad_core.surfaces import Surface

MAX_LINE_POINTS = 400  # points per drawn line; runs are computed in full, drawn decimated


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


def rounded(a: np.ndarray, digits: int = 4) -> list[float]:
    """Plain, rounded floats for frame dicts (smaller JSON than full precision)."""
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def finite_list(a: np.ndarray, digits: int) -> list:
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


PAST_EDGE = "the lowest point in the plot"


def goal(surface: Surface) -> str:
    """What f* is, in words: the minimum, a minimum (of several), or for a typed f that keeps
    falling past the plot's edge (x + y) only the lowest point in the plot, which runs pass."""
    if surface.falls_past_edge:
        return PAST_EDGE
    return "a minimum" if len(surface.minima) > 1 else "the minimum"


def minima_trace(surface: Surface, **kw) -> dict:
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


def start_trace(x0: Sequence[float], size: int = 14, **kw) -> dict:
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


EQUAL_ASPECT = 1.4  # x and y drawn to one scale when the plot's box is at most this oblong


def axes_ranges(surface: Surface) -> tuple[dict, dict]:
    (x0, x1), (y0, y1) = surface.bounds
    xa = {"range": [x0, x1], "title": {"text": "x"}, "zeroline": False, "showgrid": False}
    ya = {"range": [y0, y1], "title": {"text": "y", "standoff": 4}, "zeroline": False}
    ya |= {"showgrid": False, "automargin": True}
    xa |= {"constrain": "domain", "automargin": True}
    # Equal scales only where the box is close to square: a 2:1 box drawn to scale on a phone
    # would leave the plot 150 px tall.
    if (x1 - x0) <= EQUAL_ASPECT * (y1 - y0) and (y1 - y0) <= EQUAL_ASPECT * (x1 - x0):
        ya = {**ya, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"}
    return xa, ya


def as_list(a) -> list:
    return np.asarray(a).tolist()


def plot_width(bounds) -> float:
    """The plot's wider side: the unit of the "closer than x% of the plot" tolerances."""
    return max(hi - lo for lo, hi in bounds)


def merge_labels(marks: list[dict], bounds, near: float = 0.08) -> None:
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
