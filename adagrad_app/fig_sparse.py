"""Figures of the sparse-features page: pure ``run -> dict``, no prose (the sentences are in
:mod:`.claims_sparse`).

Each figure is the plain dict plotly.js reads (``{"data": [...], "layout": {...}}``): building
plotly's graph objects validates every property, which took most of a rerun's time. Send a
figure with ``ui.plotly_chart`` (no second validation); the tests check every builder's dict
with ``go.Figure(spec)``, so a misspelt property still fails. Numbers are rounded to
``SIG_DIGITS`` significant digits, far below what a chart or its hover shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from plotly.colors import hex_to_rgb

from adagrad_core import OPTIMIZERS
from adagrad_core.sparse import RateSweep, SparseRun, predicted_eff_lr

from .theme import BASE_LAYOUT, FREQ_COLORS, OPT_COLORS, TOP_CLEAR, log_ticks, panel_title

GROUP_DASH = {"rare": "solid", "frequent": "dot"}
N_SHOWN = 8  # features drawn one line each in the accumulator chart
SIG_DIGITS = 5  # significant digits of the numbers in a figure
# Subplot domains as plotly's make_subplots lays out two columns (0.1 apart) and two rows.
FULL = ([0.0, 1.0],)  # one column, or one row, across the whole chart


def rows(n: int, gap: float | None = None) -> tuple[list[float], ...]:
    """Row domains, top first, as plotly's make_subplots lays out ``n`` rows in one column
    with a vertical spacing of ``gap`` (paper units; 0.3 / n by default). Panels stack rather
    than sit side by side: a phone's width then goes to each plot."""
    gap = 0.3 / n if gap is None else gap
    height = (1 - gap * (n - 1)) / n
    tops = [1 - i * (height + gap) for i in range(n)]
    return tuple([max(top - height, 0.0), top] for top in tops)  # 0, not -1e-16


def _legend(y: float, **extra) -> dict:
    """A horizontal legend under the plots, ``y`` (paper units, negative) below the last."""
    return {"orientation": "h", "yanchor": "top", "y": y, "x": 0, **extra}


# --- helpers -----------------------------------------------------------------------------------


def _label(name: str) -> str:
    return OPTIMIZERS[name].label


def freq_color(p: float, p_min: float, p_max: float) -> str:
    """Colour of a feature with probability ``p``: rare colour to frequent colour, log scale."""
    t = 0.5 if p_max <= p_min else (math.log(p) - math.log(p_min)) / math.log(p_max / p_min)
    t = min(max(t, 0.0), 1.0)
    a, b = hex_to_rgb(FREQ_COLORS["rare"]), hex_to_rgb(FREQ_COLORS["frequent"])
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def shown_features(probs: np.ndarray, k: int = N_SHOWN) -> np.ndarray:
    """Indices of up to ``k`` features spread evenly over log-frequency, most frequent first."""
    order = np.argsort(-probs, kind="stable")
    if probs.size <= k:
        return order
    logp = np.log(probs[order])
    targets = np.linspace(logp[0], logp[-1], k)
    picks = [int(np.argmin(np.abs(logp - t))) for t in targets]
    return order[sorted(set(picks))]


def _alive_mask(run: SparseRun, name: str) -> np.ndarray:
    """Record points before the optimizer was stopped (all of them if it never was)."""
    stop = run.diverged_at[name]
    return np.ones(len(run.record_steps), bool) if stop is None else run.record_steps < stop


NAME = "<extra>%{fullData.name}</extra>"  # a tooltip's trace name, in full
PRESENCE = "1 − (1 − p)ᴮ"  # the chance that a batch of B examples contains the feature


def _layout(height: int, **extra) -> dict:
    """Base layout with the legend under the charts, clear of the subplot titles."""
    return {
        **BASE_LAYOUT,
        # narrow side margins: on a 390 px phone the plot keeps over 75% of the width
        "margin": {**BASE_LAYOUT["margin"], "l": 44, "r": 8, "t": TOP_CLEAR, "b": 40},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        "height": height,
        **extra,
    }


def _suffix(cell: int) -> str:
    """Axis suffix of subplot ``cell`` (0-based): "", "2", "3", ..."""
    return "" if cell == 0 else str(cell + 1)


def _subplots(titles: Sequence[str], x_domains: Sequence[list], y_domains: Sequence[list]) -> dict:
    """Axes and title annotations of a grid, cells numbered row by row from the top left (as in
    make_subplots): cell *k* draws on axes ``x{k+1}``/``y{k+1}``, written ``x``/``y`` for 1."""
    layout: dict = {}
    notes = []
    cell = 0
    for yd in y_domains:
        for xd in x_domains:
            s = _suffix(cell)
            layout[f"xaxis{s}"] = {"anchor": f"y{s}", "domain": list(xd)}
            layout[f"yaxis{s}"] = {"anchor": f"x{s}", "domain": list(yd)}
            notes.append(panel_title(titles[cell], (xd[0] + xd[1]) / 2, yd[1]))
            cell += 1
    layout["annotations"] = notes
    return layout


def _axes(layout: dict, letter: str, cells: Sequence[int] | None = None, **props) -> None:
    """Set ``props`` on the ``letter`` ("x" or "y") axis of each cell (all cells if None)."""
    for key, axis in layout.items():
        if not key.startswith(f"{letter}axis"):
            continue
        cell = int(key[5:] or 1) - 1
        if cells is None or cell in cells:
            axis.update(props)


def _scatter(cell: int, x, y, **props) -> dict:
    """A scatter trace on subplot ``cell`` with plain, rounded ``x`` and ``y``."""
    s = _suffix(cell)
    return {
        "type": "scatter",
        "x": _num(x),
        "y": _num(y),
        "xaxis": f"x{s}",
        "yaxis": f"y{s}",
        **props,
    }


def _num(a) -> list:
    """``a`` as a plain list: integers as they are, floats to SIG_DIGITS significant digits
    (the shortest decimal, so the JSON stays small), None (no point) where not finite."""
    a = np.asarray(a)
    if a.dtype.kind in "biu":
        return a.tolist()
    a = a.astype(float)
    out = a.copy()
    ok = np.isfinite(a) & (a != 0)
    v = a[ok]
    if v.size:
        places = SIG_DIGITS - 1 - np.floor(np.log10(np.abs(v)))
        scale = 10.0 ** np.abs(places)  # exact for the powers of ten that matter
        out[ok] = np.where(places >= 0, np.round(v * scale) / scale, np.round(v / scale) * scale)
    if np.isfinite(a).all():
        return out.tolist()
    return np.where(np.isfinite(a), out, None).tolist()


# --- 1. error over time -----------------------------------------------------------------------

BASELINE = {"color": "#bbbbbb", "name": "SGD, best rate", "width": 7}  # a wide pale band


def error_figure(run: SparseRun, rates: RateSweep | None = None) -> dict:
    """Mean |w - w*| of rare and frequent weights against examples seen. ``rates``: plain SGD
    at many rates on the same stream; its best rate is drawn as a wide pale band under the
    runs (unless it is the run's own SGD rate)."""
    title = ("Weight error |w − w*| (group mean)",)
    layout = _layout(420, **_subplots(title, [[0, 1]], FULL))
    rare, freq = run.groups
    x = run.examples_seen
    groups = [(g, m) for g, m in (("rare", rare), ("frequent", freq)) if m.any()]
    data = []
    if rates is not None and baseline_drawn(run, rates):
        b = rates.best
        stop = rates.stopped_at[b]
        ok = run.record_steps < stop if stop >= 0 else np.ones(x.size, bool)
        for group, _ in groups:
            history = rates.rare_history if group == "rare" else rates.frequent_history
            what = "all features" if not rare.any() else group
            data.append(
                _scatter(
                    0,
                    x[ok],
                    history[ok, b],
                    name=f"{BASELINE['name']} ({rates.lrs[b]:.3g}) · {what}",
                    mode="lines",
                    line={
                        "color": BASELINE["color"],
                        "dash": GROUP_DASH[group],
                        "width": BASELINE["width"],
                    },
                    legendgroup="best",
                )
            )
    for name in run.optimizers:
        ok = _alive_mask(run, name)
        err = np.abs(run.w[name] - run.w_true)
        for group, mask in groups:
            what = "all features" if not rare.any() else f"{group}, {mask.sum()} features"
            line = {"color": OPT_COLORS[name], "dash": GROUP_DASH[group], "width": 2.5}
            data.append(
                _scatter(
                    0,
                    x[ok],
                    err[ok][:, mask].mean(1),
                    name=f"{_label(name)} · {what}",
                    mode="lines",
                    line=line,
                    legendgroup=name,
                )
            )
    _axes(layout, "x", title={"text": "examples seen"})
    _log_axes(layout, data, "y", (0,))
    return {"data": data, "layout": layout}


def baseline_drawn(run: SparseRun, rates: RateSweep) -> bool:
    """Is SGD's best rate drawn in chart ①: there is one, and it is not the run's own rate."""
    b = rates.best
    return b is not None and not np.isclose(rates.lrs[b], run.hparams["sgd"]["lr"], rtol=1e-9)


def _log_axes(layout: dict, data: list, letter: str, cells: Sequence[int]) -> None:
    """Make the ``letter`` axis of each cell logarithmic, with theme.log_ticks of the values
    that the cell's traces draw on it (lists with None holes)."""
    for cell in cells:
        axis = f"{letter}{_suffix(cell)}"
        values = [np.array(t[letter], dtype=float) for t in data if t[f"{letter}axis"] == axis]
        _axes(layout, letter, [cell], type="log", **log_ticks(*values))


# --- 2. the accumulator over time --------------------------------------------------------------


def accumulator_figure(run: SparseRun, features: np.ndarray | None = None) -> dict:
    """Adagrad's G and effective learning rate of a few features, coloured by frequency."""
    idx = shown_features(run.probs) if features is None else np.asarray(features)
    titles = (
        "G, the sum of squared gradients",
        "Rate lr / (√G + ε)",
    )
    legend = _legend(-0.12, title={"text": "feature occurs with probability"})
    # ~95 px between the panels on a phone, as in chart ④: "examples seen", then the title
    layout = _layout(680, legend=legend, **_subplots(titles, [[0, 1]], rows(2, 0.2)))
    x = run.examples_seen
    ok = _alive_mask(run, "adagrad")
    p_min, p_max = float(run.probs.min()), float(run.probs.max())
    data = []
    for i in idx:
        seen = ok & (run.adjusted[:, i] > 0)  # before its first appearance G is 0, lr/eps huge
        color = freq_color(float(run.probs[i]), p_min, p_max)
        common = {"mode": "lines", "line": {"color": color, "width": 2}, "legendgroup": f"f{i}"}
        name = f"p = {run.probs[i]:.3g}"
        data.append(_scatter(0, x[seen], run.accum[seen, i], name=name, **common))
        data.append(
            _scatter(1, x[seen], run.eff_lr["adagrad"][seen, i], showlegend=False, **common)
        )
    _axes(layout, "x", title={"text": "examples seen"})
    _log_axes(layout, data, "y", (0, 1))
    return {"data": data, "layout": layout}


# --- 3. end of run: G against the count, rate against frequency --------------------------------


def frequency_figure(run: SparseRun) -> dict:
    """Per feature at the end: G against how many examples contained the feature, and the rate
    against frequency, each with the prediction G ≈ occurrences × mean r² / B²."""
    occ, G = run.occurrences[-1], run.accum[-1]
    seen = run.adjusted[-1] > 0
    eff = run.eff_lr["adagrad"][-1]
    per_example = run.mean_sq_residual["adagrad"] / run.batch_size**2
    rare, _ = run.groups
    titles = (
        "G against examples with the feature",
        "Rate against frequency p",
    )
    # ~95 px between the panels on a phone (the legend's rows take the most height there): the
    # upper x axis's tick labels and title, then the lower title (at 0.15 they touched)
    layout = _layout(740, legend=_legend(-0.12), **_subplots(titles, [[0, 1]], rows(2, 0.2)))
    groups = (("rare", rare), ("frequent", ~rare)) if rare.any() else (("frequent", ~rare),)
    data = []
    for group, mask in groups:
        mask = mask & seen
        name = f"{group} features (Adagrad)" if rare.any() else "features (Adagrad)"
        common = {
            "mode": "markers",
            "marker": {"color": FREQ_COLORS[group], "size": 6, "opacity": 0.75},
            "text": [f"p = {p:.3g}" for p in run.probs[mask]],
            "legendgroup": group,
        }
        data.append(_scatter(0, occ[mask], G[mask], name=name, **common))
        data.append(_scatter(1, run.probs[mask], eff[mask], showlegend=False, **common))
    data += _predictions(run, occ[seen], per_example)
    _log_axes(layout, data, "x", (0, 1))
    _log_axes(layout, data, "y", (0, 1))
    _axes(layout, "x", [0], title={"text": "examples that contained the feature"})
    _axes(layout, "x", [1], title={"text": "occurrence probability p"})
    return {"data": data, "layout": layout}


def _predictions(run: SparseRun, occ_seen: np.ndarray, per_example: float) -> list[dict]:
    """The dashed predictions of chart ④ (G from the count, the rate from p) and SGD's one
    rate, drawn across the features that appeared."""
    dashed = {"color": "#333333", "dash": "dash"}
    out = []
    if occ_seen.size:
        line_occ = np.array([occ_seen.min(), occ_seen.max()], dtype=float)
        out.append(
            _scatter(
                0,
                line_occ,
                line_occ * per_example,
                mode="lines",
                name="prediction: G = examples × mean r² / B²",
                line=dashed,
            )
        )
    order = np.argsort(run.probs)
    out.append(
        _scatter(
            1,
            run.probs[order],
            predicted_eff_lr(run)[order],
            mode="lines",
            name="prediction: lr / √(p · examples · mean r² / B²)",
            line=dashed,
        )
    )
    out.append(
        _scatter(
            1,
            [float(run.probs.min()), float(run.probs.max())],
            [run.hparams["sgd"]["lr"]] * 2,
            mode="lines",
            name="SGD: the same rate for all",
            line={"color": OPT_COLORS["sgd"], "width": 2},
        )
    )
    return out
