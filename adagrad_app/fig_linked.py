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
