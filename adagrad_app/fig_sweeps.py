"""Figures of the sparse page's two sweeps: plain SGD at every learning rate (chart ②) and
the batch-size sweep (chart ⑤). Pure ``sweep -> dict``, no prose; the helpers are
:mod:`.fig_sparse`'s."""

from __future__ import annotations

import numpy as np

from adagrad_core.sparse import BatchSweep, RateSweep

from .fig_sparse import (
    BASELINE,
    FULL,
    GROUP_DASH,
    NAME,
    _axes,
    _label,
    _layout,
    _legend,
    _log_axes,
    _scatter,
    _subplots,
    _suffix,
    rows,
)
from .theme import FREQ_COLORS, OPT_COLORS


def rate_figure(rates: RateSweep, adagrad: dict, current: float | None = None) -> dict:
    """Final error of each group against SGD's learning rate (one run per rate, same data),
    with Adagrad's final errors as flat lines. ``adagrad``: its summary (``summarize``),
    ``current``: the page's SGD rate, marked by a dotted line."""
    title = ("Final error against SGD's rate",)
    layout = _layout(500, legend=_legend(-0.22), **_subplots(title, [[0, 1]], FULL))
    groups = [g for g in ("rare", "frequent") if np.isfinite(getattr(rates, f"{g}_error")).any()]
    data = [t for group in groups for t in _rate_lines(rates, adagrad, group)]
    if rates.best is not None:
        data += _best_marks(rates, groups)
    if rates.diverged.any():
        data.append(_diverged_marks(rates))
    _log_axes(layout, data, "x", (0,))
    _log_axes(layout, data, "y", (0,))
    _axes(layout, "x", title={"text": "SGD learning rate"})
    if current is not None:
        layout["shapes"] = [_vline(current, "")]
    return {"data": data, "layout": layout}


def _rate_lines(rates: RateSweep, adagrad: dict, group: str) -> list[dict]:
    """SGD's final error of ``group`` at each rate that finished, and Adagrad's, flat."""
    ok = ~rates.diverged
    err = getattr(rates, f"{group}_error")
    dash = GROUP_DASH[group]
    out = [
        _scatter(
            0,
            rates.lrs[ok],
            err[ok],
            name=f"SGD · {group}",
            mode="lines+markers",
            line={"color": OPT_COLORS["sgd"], "dash": dash, "width": 2.5},
            marker={"size": 6},
            hovertemplate=f"SGD at rate %{{x:.3g}}: {group} error %{{y:.3g}}{NAME}",
        )
    ]
    if np.isfinite(adagrad.get(f"{group}_error", np.nan)):
        out.append(
            _scatter(
                0,
                [float(rates.lrs.min()), float(rates.lrs.max())],
                [adagrad[f"{group}_error"]] * 2,
                name=f"Adagrad · {group}",
                mode="lines",
                line={"color": OPT_COLORS["adagrad"], "dash": dash, "width": 2.5},
                hovertemplate=f"Adagrad: {group} error %{{y:.3g}}{NAME}",
            )
        )
    return out


def _best_marks(rates: RateSweep, groups: list[str]) -> list[dict]:
    """A star on each group's line at SGD's best rate (one legend entry)."""
    best = rates.best
    return [
        _scatter(
            0,
            [rates.lrs[best]],
            [getattr(rates, f"{group}_error")[best]],
            name=f"SGD's best rate, {rates.lrs[best]:.3g}",
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": BASELINE["color"]},
            showlegend=group == groups[0],
            legendgroup="best",
            hovertemplate=f"best rate %{{x:.3g}}: {group} error %{{y:.3g}}{NAME}",
        )
        for group in groups
    ]


def _diverged_marks(rates: RateSweep) -> dict:
    """Crosses along the top at the rates where SGD diverged."""
    finite = np.concatenate([rates.rare_error, rates.frequent_error])
    top = float(np.nanmax(finite)) if np.isfinite(finite).any() else 1.0
    return _scatter(
        0,
        rates.lrs[rates.diverged],
        [top] * int(rates.diverged.sum()),
        name="diverged at this rate",
        mode="markers",
        marker={"symbol": "x-thin-open", "size": 10, "color": "#999999"},
        hovertemplate=f"SGD at rate %{{x:.3g}} diverged{NAME}",
    )


def _vline(x: float, suffix: str) -> dict:
    """A dotted vertical line at ``x`` across subplot ``suffix`` ("", "2", ...)."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "xref": f"x{suffix}",
        "y0": 0,
        "y1": 1,
        "yref": f"y{suffix} domain",
        "line": {"color": "#999999", "dash": "dot"},
    }


# --- the batch-size sweep -------------------------------------------------------------------


def sweep_figure(sweep: BatchSweep, current: int | None = None) -> dict:
    """How often and how much rare weights are adjusted, and with what result, against B."""
    titles = (
        "How often: adjustments per weight",
        "How much: |step|, rare weights",
        "Rate ratio, rare / frequent",
        "Rare-weight error at the end",
    )
    # ~95 px between panels on a phone: tick labels and the "batch size B" title, then the
    # next panel's title (at 0.075 they touched); the chart grows by the extra gaps
    layout = _subplots(titles, [[0, 1]], rows(4, 0.095))
    B = sweep.batch_sizes
    has_rare = bool(sweep.groups["n_rare"][0])
    groups = ("rare", "frequent") if has_rare else ("frequent",)
    data = [t for group in groups for t in _adjustment_marks(sweep, group)]
    for name in sweep.optimizers:
        data += _optimizer_panels(sweep, name, "rare" if has_rare else "frequent")
    _axes(layout, "x", type="log", tickvals=B.tolist(), title={"text": "batch size B"})
    _log_axes(layout, data, "y", (0, 1, 2))
    if current is not None:
        layout["shapes"] = [_vline(current, s) for s in map(_suffix, range(4))]
    return {"data": data, "layout": _layout(1250, legend=_legend(-0.06), **layout)}


def _adjustment_marks(sweep: BatchSweep, group: str) -> list[dict]:
    """Panel 1: a weight's adjustments against B, as the formula says and as simulated."""
    B, g = sweep.batch_sizes, sweep.groups
    color = FREQ_COLORS[group]
    return [
        _scatter(
            0,
            B,
            sweep.examples // B * g[f"{group}_presence"],
            mode="lines",
            name=f"steps × (1 − (1 − p)<sup>B</sup>), {group}",
            line={"color": color, "dash": "dash"},
            hovertemplate=f"B = %{{x}}: formula, %{{y:.3g}} adjustments{NAME}",
        ),
        _scatter(
            0,
            B,
            g[f"{group}_adjustments"],
            mode="markers",
            name=f"simulated, {group}",
            marker={"color": color, "size": 9, "symbol": "circle-open", "line": {"width": 2}},
            hovertemplate=f"B = %{{x}}: a {group} weight adjusted %{{y:.3g}} times{NAME}",
        ),
    ]


def _optimizer_panels(sweep: BatchSweep, name: str, key: str) -> list[dict]:
    """Panels 2 to 4 for one optimizer: its step, rate ratio and error against B, left out
    where it diverged."""
    B, m = sweep.batch_sizes, sweep.metrics[name]
    alive = ~m["diverged"].astype(bool)
    style = {"mode": "lines+markers", "line": {"color": OPT_COLORS[name], "width": 2.5}}
    panels = (
        (f"{key}_step", f"mean |step| of a {key} weight"),
        ("eff_lr_ratio", "rare / frequent rate"),
        (f"{key}_error", f"{key}-weight error"),
    )
    out = []
    for i, (metric, what) in enumerate(panels):
        ok = alive & np.isfinite(m[metric])  # no ratio without a rare group
        out.append(
            _scatter(
                i + 1,
                B[ok],
                m[metric][ok],
                name=_label(name),
                showlegend=i == 0,
                hovertemplate=f"B = %{{x}}: {what} %{{y:.3g}}{NAME}",
                **style,
            )
        )
    return out
