"""The linked charts under the race: gap to the minimum, effective learning rate, accumulator."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adagrad_core.racers import GAP_FLOOR, Run, constant_gradient_rate

from . import theme
from .fig_common import DIVERGED_SYMBOL, as_list, decimate

OFF_CHART = 100  # a step-1 rate this many times above all later ones is left off its chart
CONSTANT_G = "Adagrad if g stayed as at step 1"  # the dashed line of the rate chart
BEST_SGD = "#999999"  # SGD at its best learning rate: a lighter grey, dashed


# Each chart names its colours in a key under its plot: on a phone the main chart's legend is
# screens away. The key is a text block of lines (a coloured dash and a name each), broken to
# fit KEY_WIDTH, so its height is known here and the chart grows by it: the plot keeps its
# height (235 px in a 330 px chart) at every width. Plotly's own legend, under a plot this
# narrow, gives every entry the widest one's width once a row is full: a racer a row.
KEY_WIDTH = 166  # px: the plot's width in a desktop column of 263 px, the narrowest it gets
KEY_SIZE = 11  # px, the key's font
KEY_LINE = 15  # px a line of it takes
CHAR = 6.4  # px, a generous mean glyph width at KEY_SIZE (system-ui); a dash is 11
AXIS_BELOW = 50  # px under the plot: the x tick labels and the "step" title
SOLID, DASHED = "━━", "– –"  # box-drawing dashes join into one line
KEY_TEXT = "#262730"  # the names in the legends' ink (the template's annotations are grey)


SEP = "\u2003"  # an em space between two entries of a line (plotly keeps it; runs of spaces
# collapse in SVG)


def _key_width(mark: str, name: str) -> float:
    return 2 * KEY_SIZE + CHAR * (len(name) + 1)  # either mark is at most two em wide


def _wrap(mark: str, name: str, width: float) -> list[str]:
    """``name`` in pieces at spaces, the first after ``mark``, each piece fitting ``width``."""
    pieces = [""]
    for word in name.split(" "):
        joined = f"{pieces[-1]} {word}".strip()
        if pieces[-1] and _key_width(mark, joined) > width:
            pieces.append(word)
        else:
            pieces[-1] = joined
    return pieces


def key_lines(entries: list[tuple[str, str, str]], width: float = KEY_WIDTH) -> list[str]:
    """The key's lines: each entry (colour, mark, name) is a coloured mark and the name, as
    many to a line as fit ``width``; a name too long for a line alone goes on in lines of
    its own, under the name's start."""
    lines: list[list[str]] = []
    used = width
    for color, mark, name in entries:
        first, *rest = _wrap(mark, name, width)
        w = _key_width(mark, first)
        item = f"<span style='color:{color}'><b>{mark}</b></span> {first}"
        if lines and not rest and used + 2 * CHAR + w <= width:
            lines[-1].append(item)
            used += 2 * CHAR + w
        else:
            lines.append([item])
            used = w
        for piece in rest:
            lines.append([SEP * 2 + " " + piece])  # under the name, past a mark's width
            used = width  # nothing more on a continued name's line
    return [SEP.join(line) for line in lines]


def _with_key(layout: dict, entries: list[tuple[str, str, str]]) -> dict:
    """``layout`` with the key under its plot, the chart grown by the key's height."""
    lines = key_lines(entries)
    bottom = AXIS_BELOW + KEY_LINE * len(lines) + 6 if lines else layout["margin"]["b"]
    note = {
        "text": "<br>".join(lines),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "top",
        "yshift": -AXIS_BELOW,
        "align": "left",
        "showarrow": False,
        "font": {"size": KEY_SIZE, "color": KEY_TEXT},
    }
    return {
        **layout,
        "margin": {**layout["margin"], "b": bottom},
        "height": layout["height"] + bottom - layout["margin"]["b"],
        "annotations": [note] if lines else [],
    }


def _racer_entries(runs: Mapping[str, Run]) -> list[tuple[str, str, str]]:
    return [(theme.color(key), SOLID, run.label) for key, run in runs.items()]


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
        "showlegend": False,  # each chart's key names its colours (_with_key)
        "margin": {"l": 60, "r": 10, "t": theme.TOP_CLEAR, "b": 45},
    }


def _line(x, y, **kw) -> dict:
    """A line trace of a linked chart (values in full: a log axis spans many decades)."""
    return dict(type="scatter", x=as_list(x), y=as_list(y), mode="lines", **kw)


def _stop_mark(run: Run, color: str) -> dict:
    """The cross at the end of a diverged run's line."""
    return dict(
        type="scatter",
        x=[run.last],
        y=[float(run.gap[run.last])],
        mode="markers",
        marker={"symbol": DIVERGED_SYMBOL, "size": 14, "color": color, "line": {"width": 3}},
        name=f"{run.label} diverged",
        legendgroup=run.key,
        showlegend=False,
    )


def loss_figure(
    runs: Mapping[str, Run],
    *,
    height: int = 330,
    goal: str = "the minimum",
    best_sgd: Run | None = None,
) -> dict:
    """f − f* per step on a log scale; a diverged run ends with a cross where it stopped.
    ``goal``: what f* is (see :func:`goal`). ``best_sgd``: SGD at its best learning rate
    (:func:`adagrad_core.racers.sgd_sweep`), drawn dashed grey, named in the key."""
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
            data.append(_stop_mark(run, color))
    if best_sgd is not None:
        idx = decimate(best_sgd.last + 1)
        data.append(
            _line(
                idx,
                best_sgd.gap[idx],
                line={"color": BEST_SGD, "width": 2, "dash": "dash"},
                name=f"SGD, best lr = {best_sgd.hparams['lr']:g}",
                legendgroup="best_sgd",
            )
        )
    layout = _line_layout(f"Gap to {goal}, f − f*", "f − f*", height, data)
    entries = _racer_entries(runs)
    if best_sgd is not None:
        entries.append((BEST_SGD, DASHED, f"SGD, best lr = {best_sgd.hparams['lr']:g}"))
    for trace in data:
        trace.setdefault("showlegend", False)
    return {"data": data, "layout": _with_key(layout, entries)}


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
    a constant gradient (its step-1 one) would give, dashed (named in the chart's key; hover
    names each line). That line is exact for this run's ε, its placement, the initial
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
                        # the pair's one entry, were a legend shown (the key names it)
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
    entries = _racer_entries(runs)
    if any(t["legendgroup"] == "envelope" for t in data):
        entries.append((theme.color("adagrad"), DASHED, CONSTANT_G))
    return {"data": data, "layout": _with_key(layout, entries)}


def accumulator_figure(runs: Mapping[str, Run], *, height: int = 330) -> dict:
    """The second-moment state per coordinate: Adagrad's sum G, RMSprop's and Adam's averages."""
    data, entries = [], []
    for key, run in runs.items():
        if run.accumulator is not None:
            label = f"{run.label} {run.accumulator_label.split()[0]}"
            data += _per_coordinate(key, label, run.accumulator, run.last)
            entries.append((theme.color(key), SOLID, label))
    layout = _line_layout("Accumulated squared gradients", "G or v", height, data)
    return {"data": data, "layout": _with_key(layout, entries)}
