"""Figures and computed captions for the sparse-features page: pure ``run -> dict / str``.

Each figure is the plain dict plotly.js reads (``{"data": [...], "layout": {...}}``): building
plotly's graph objects validates every property, which took most of a rerun's time. Send a
figure with ``ui.plotly_chart`` (no second validation); the tests check every builder's dict
with ``go.Figure(spec)``, so a misspelt property still fails. Numbers are rounded to
``SIG_DIGITS`` significant digits, far below what a chart or its hover shows.

Every caption reads its numbers from the run it describes, so text and chart cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from plotly.colors import hex_to_rgb

from adagrad_core import OPTIMIZERS
from adagrad_core.sparse import (
    BatchSweep,
    SparseRun,
    frequency_split,
    predicted_eff_lr,
    summarize,
)

from . import theme
from .theme import BASE_LAYOUT, FREQ_COLORS, OPT_COLORS, TOP_CLEAR, log_ticks, panel_title

GROUP_DASH = {"rare": "solid", "frequent": "dot"}
N_SHOWN = 8  # features drawn one line each in the accumulator chart
SIG_DIGITS = 5  # significant digits of the numbers in a figure
# Subplot domains as plotly's make_subplots lays out two columns (0.1 apart) and two rows.
HALVES = ([0.0, 0.45], [0.55, 1.0])
FULL_HEIGHT = ([0.0, 1.0],)


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


def _fmt(x: float) -> str:
    """Two significant digits (in the app's prose format, theme.number), whole numbers with
    separators from 100 up."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else theme.number(x, 2)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.1f}%"


def _count(x: float) -> str:
    """An expected number of examples, as a whole number ("about 7", not "about 7.3")."""
    return f"{round(x):,}" if x >= 1 else "less than 1"


NAME = "<extra>%{fullData.name}</extra>"  # a tooltip's trace name, in full
PRESENCE = "1 − (1 − p)ᴮ"  # the chance that a batch of B examples contains the feature


def _layout(height: int, **extra) -> dict:
    """Base layout with the legend under the charts, clear of the subplot titles."""
    return {
        **BASE_LAYOUT,
        "margin": {**BASE_LAYOUT["margin"], "t": TOP_CLEAR, "b": 40},
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


def _smooth(y: np.ndarray, points: int = 9) -> np.ndarray:
    """Centred moving average over ``points`` record points (shorter at the ends)."""
    if y.size < 3:
        return y
    k = min(points, y.size)
    kernel = np.ones(k)
    return np.convolve(y, kernel, "same") / np.convolve(np.ones_like(y), kernel, "same")


def diverged_messages(run: SparseRun) -> list[str]:
    """One sentence per optimizer that was stopped, naming it and the step."""
    return [
        f"{_label(n)} diverged at step {s:,} (a weight left ±1000) and was stopped there; "
        f"lower its learning rate (now {run.hparams[n]['lr']:g})."
        for n, s in run.diverged_at.items()
        if s is not None
    ]


# --- 1. error and loss over time ---------------------------------------------------------------


def error_figure(run: SparseRun) -> dict:
    """Mean |w - w*| of rare and frequent weights, and the loss, against examples seen."""
    titles = ("Weight error |w − w*| (group mean)", "Loss per batch, before its step (smoothed)")
    layout = _layout(440, **_subplots(titles, ([0.0, 0.54], [0.64, 1.0]), FULL_HEIGHT))
    rare, freq = run.groups
    x = run.examples_seen
    data = []
    for name in run.optimizers:
        ok = _alive_mask(run, name)
        err = np.abs(run.w[name] - run.w_true)
        for group, mask in (("rare", rare), ("frequent", freq)):
            if not mask.any():
                continue
            label = "all features" if not rare.any() else f"{group}, {mask.sum()} features"
            line = {"color": OPT_COLORS[name], "dash": GROUP_DASH[group], "width": 2.5}
            data.append(
                _scatter(
                    0,
                    x[ok],
                    err[ok][:, mask].mean(1),
                    name=f"{_label(name)} · {label}",
                    mode="lines",
                    line=line,
                    legendgroup=name,
                )
            )
        lok = ok[1:] & np.isfinite(run.loss[name])
        data.append(
            _scatter(
                1,
                x[1:][lok],
                _smooth(run.loss[name][lok]),
                name=f"{_label(name)} loss",
                mode="lines",
                line={"color": OPT_COLORS[name], "width": 1.5},
                legendgroup=name,
                showlegend=False,
            )
        )
    _axes(layout, "x", title={"text": "examples seen"})
    _log_axes(layout, data, "y", (0, 1))
    return {"data": data, "layout": layout}


def _log_axes(layout: dict, data: list, letter: str, cells: Sequence[int]) -> None:
    """Make the ``letter`` axis of each cell logarithmic, with theme.log_ticks of the values
    that the cell's traces draw on it (lists with None holes)."""
    for cell in cells:
        axis = f"{letter}{_suffix(cell)}"
        values = [np.array(t[letter], dtype=float) for t in data if t[f"{letter}axis"] == axis]
        _axes(layout, letter, [cell], type="log", **log_ticks(*values))


CLEARLY = 0.8  # Adagrad "helps" a group only if its error ends below this share of SGD's


def _verdict(s: dict) -> tuple[bool, bool]:
    """(Adagrad clearly helped the rare weights, and the frequent ones ended no worse than
    with SGD), from a summary."""
    sgd, ada = s["sgd"], s["adagrad"]
    return (
        ada["rare_error"] < CLEARLY * sgd["rare_error"],
        ada["frequent_error"] <= sgd["frequent_error"],
    )


def no_rare_note(run: SparseRun) -> str | None:
    """Why charts ③ and ④ are not drawn, when no feature is rare (they compare frequencies)."""
    if run.groups[0].any():
        return None
    return (
        f"Every feature here is about equally frequent (p from {_fmt(run.probs.min())} to "
        f"{_fmt(run.probs.max())}, within a factor 2), so there is no rare group and nothing "
        "for this chart to compare: spread the probabilities apart, or pick the power-law "
        "preset."
    )


def error_heading(run: SparseRun) -> str:
    """Chart ①'s heading: its point, as far as this run bears it out."""
    s = summarize(run)
    if not s["n_rare"] or any(run.diverged_at[n] is not None for n in ("sgd", "adagrad")):
        return "① Weight error over time, SGD and Adagrad"
    helped, kept = _verdict(s)
    if not helped:
        return "① Weight error over time: here Adagrad does not clearly help the rare weights"
    if kept:
        return "① Rare weights learn faster with Adagrad, without losing precision"
    return "① Rare weights learn faster with Adagrad"


def error_caption(run: SparseRun) -> str:
    s = summarize(run)
    sgd, ada = s["sgd"], s["adagrad"]
    if not s["n_rare"]:
        return (
            "All features here are about equally frequent, so there is no rare group: SGD ends "
            f"{_fmt(sgd['frequent_error'])} from the true weights on average, Adagrad "
            f"{_fmt(ada['frequent_error'])}. Spread the probabilities apart to see the effect."
        )
    better = "smaller" if ada["rare_error"] < sgd["rare_error"] else "larger"
    others = [
        f"{_label(n)}: {_fmt(s[n]['rare_error'])} and {_fmt(s[n]['frequent_error'])}"
        for n in run.optimizers
        if n not in ("sgd", "adagrad") and run.diverged_at[n] is None
    ]
    return (
        f"After {s['examples']:,} examples, rare weights (solid lines: p below "
        f"{_fmt(frequency_split(run.probs))}, the geometric mean of the "
        f"smallest and largest p; mean p ≈ {_fmt(s['rare_p'])}) are off by "
        f"{_fmt(sgd['rare_error'])} on average with SGD and "
        f"{_fmt(ada['rare_error'])} with Adagrad ({better}); frequent ones (dotted, mean p ≈ "
        f"{_fmt(s['frequent_p'])}) by {_fmt(sgd['frequent_error'])} and "
        f"{_fmt(ada['frequent_error'])}"
        + (f" ({'; '.join(others)})" if others else "")
        + f". SGD uses one rate ({run.hparams['sgd']['lr']:g}) for every weight; Adagrad's rate "
        f"for rare weights ended {_fmt(ada['eff_lr_ratio'])}× its rate for frequent ones "
        f"({_fmt(ada['rare_eff_lr'])} against {_fmt(ada['frequent_eff_lr'])}, geometric means)."
    )


# --- 2. the accumulator over time --------------------------------------------------------------


def accumulator_figure(run: SparseRun, features: np.ndarray | None = None) -> dict:
    """Adagrad's G and effective learning rate of a few features, coloured by frequency."""
    idx = shown_features(run.probs) if features is None else np.asarray(features)
    titles = (
        "Adagrad accumulator G (sum of squared gradients)",
        "Effective learning rate lr / (√G + ε)",
    )
    legend = {
        "orientation": "h",
        "yanchor": "top",
        "y": -0.2,
        "x": 0,
        "title": {"text": "feature occurs with probability"},
    }
    layout = _layout(420, legend=legend, **_subplots(titles, HALVES, FULL_HEIGHT))
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


def accumulator_caption(run: SparseRun) -> str:
    idx = shown_features(run.probs)
    hi, lo = idx[0], idx[-1]
    G, n, eff = run.accum[-1], run.adjusted[-1], run.eff_lr["adagrad"][-1]
    if lo == hi or n[lo] == 0:
        return (
            f"The most frequent feature (p = {run.probs[hi]:.3g}) was in {n[hi]:,} of "
            f"{run.steps:,} batches; its G grew to {_fmt(G[hi])} and its rate fell to "
            f"{_fmt(eff[hi])}. G only grows, and only in steps where the feature is present."
        )
    return (
        f"G grows only in steps whose batch contains the feature. The most frequent one shown "
        f"(p = {run.probs[hi]:.3g}) was in {n[hi]:,} of {run.steps:,} batches: G = "
        f"{_fmt(G[hi])}, rate {_fmt(eff[hi])}. The rarest (p = {run.probs[lo]:.3g}) was in "
        f"{n[lo]:,}: G = {_fmt(G[lo])}, rate {_fmt(eff[lo])}, {_fmt(eff[lo] / eff[hi])}× the "
        "most frequent one's. "
        "Flat stretches are steps without the feature: its rate waits, unchanged, for it."
    )


# --- 3. end of run: G against the count, rate against frequency --------------------------------


def frequency_figure(run: SparseRun) -> dict:
    """Per feature at the end: G against how many examples contained the feature, and the rate
    against frequency, each with the prediction G ≈ occurrences × mean r² / B²."""
    occ, G = run.occurrences[-1], run.accum[-1]
    seen = run.adjusted[-1] > 0
    eff = run.eff_lr["adagrad"][-1]
    pred = predicted_eff_lr(run)
    per_example = run.mean_sq_residual["adagrad"] / run.batch_size**2
    rare, _ = run.groups
    titles = (
        "G against the number of examples with the feature",
        "Effective learning rate against frequency",
    )
    layout = _layout(460, **_subplots(titles, HALVES, FULL_HEIGHT))
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
    if seen.any():
        line_occ = np.array([occ[seen].min(), occ[seen].max()], dtype=float)
        data.append(
            _scatter(
                0,
                line_occ,
                line_occ * per_example,
                mode="lines",
                name="prediction: G = examples × mean r² / B²",
                line={"color": "#333333", "dash": "dash"},
            )
        )
    order = np.argsort(run.probs)
    data.append(
        _scatter(
            1,
            run.probs[order],
            pred[order],
            mode="lines",
            name="prediction: lr / √(p · examples · mean r² / B²)",
            line={"color": "#333333", "dash": "dash"},
        )
    )
    p_range = [float(run.probs.min()), float(run.probs.max())]
    data.append(
        _scatter(
            1,
            p_range,
            [run.hparams["sgd"]["lr"]] * 2,
            mode="lines",
            name="SGD: the same rate for all",
            line={"color": OPT_COLORS["sgd"], "width": 2},
        )
    )
    _log_axes(layout, data, "x", (0, 1))
    _log_axes(layout, data, "y", (0, 1))
    _axes(layout, "x", [0], title={"text": "examples that contained the feature"})
    _axes(layout, "x", [1], title={"text": "occurrence probability p"})
    return {"data": data, "layout": layout}


def _spreads(run: SparseRun) -> tuple[float, float] | None:
    """Across the features that appeared (5th to 95th percentile): how many times the number of
    examples containing one varies, and how many times G per such example varies."""
    occ, G = run.occurrences[-1], run.accum[-1]
    seen = run.adjusted[-1] > 0
    if seen.sum() < 2:
        return None
    lo_n, hi_n = np.percentile(occ[seen], [5, 95])
    lo_g, hi_g = np.percentile(G[seen] / occ[seen], [5, 95])
    return hi_n / max(lo_n, 1), hi_g / lo_g


def _is_count(spreads: tuple[float, float] | None) -> bool:
    """G is mostly a count: on a log scale, the counts vary at least twice as much as G per
    example (so the count makes most of the differences in G)."""
    return spreads is not None and spreads[1] ** 2 <= spreads[0]


def frequency_heading(run: SparseRun) -> str:
    if _is_count(_spreads(run)):
        return "③ At the end: G is a count, so the rate follows frequency"
    return "③ At the end: G against the count, and the rate against frequency"


def frequency_caption(run: SparseRun) -> str:
    seen = run.adjusted[-1] > 0
    missing = int((~seen).sum())
    tail = (
        f" {missing} feature(s) never appeared, so Adagrad never touched them (not drawn)."
        if missing
        else ""
    )
    spreads = _spreads(run)
    if spreads is None:
        return "Too few features appeared to compare." + tail
    count, size = spreads
    eff, pred = run.eff_lr["adagrad"][-1][seen], predicted_eff_lr(run)[seen]
    ratio = eff / pred
    within = np.percentile(np.maximum(ratio, 1 / ratio), 90)
    spread = (
        f"Across features (5th to 95th percentile) the number of examples containing one varies "
        f"by {_fmt(count)}×, G per example by {_fmt(size)}×"
    )
    if _is_count(spreads):
        verdict = (
            f"{spread}: G is mostly a count of the feature's examples, so the rate lr/√G falls "
            "like 1/√p."
        )
    else:
        verdict = (
            f"{spread}: here G also depends on the size of each feature's gradients, not only "
            "on their number (the residual r in a feature's examples stays larger while its "
            "weight is far from its target)."
        )
    return (
        f"{verdict} On the right, 90% of features' rates are within a factor {_fmt(within)} of "
        f"the dashed prediction, which uses only p, the batch size and the run's mean squared "
        f"residual "
        f"r² ({_fmt(run.mean_sq_residual['adagrad'])})." + tail
    )


# --- 4. the batch-size sweep -------------------------------------------------------------------


def sweep_figure(sweep: BatchSweep, current: int | None = None) -> dict:
    """How often and how much rare weights are adjusted, and with what result, against B."""
    titles = (
        "How often: share of steps that adjust a weight",
        "How much: mean |step| per adjustment, rare weights",
        "Rare / frequent effective-rate ratio",
        f"Rare-weight error after {sweep.examples:,} examples",
    )
    layout = _subplots(titles, HALVES, ([0.6, 1.0], [0.0, 0.4]))
    B = sweep.batch_sizes
    g = sweep.groups
    has_rare = bool(g["n_rare"][0])
    groups = ("rare", "frequent") if has_rare else ("frequent",)
    data = []
    for group in groups:
        color = FREQ_COLORS[group]
        data.append(
            _scatter(
                0,
                B,
                g[f"{group}_presence"],
                mode="lines",
                name=f"1 − (1 − p)<sup>B</sup>, {group}",
                line={"color": color, "dash": "dash"},
                hovertemplate=f"B = %{{x}}: %{{y:.0%}} of steps adjust a {group} weight{NAME}",
            )
        )
        data.append(
            _scatter(
                0,
                B,
                g[f"{group}_adjusted"],
                mode="markers",
                name=f"simulated, {group}",
                marker={"color": color, "size": 9, "symbol": "circle-open", "line": {"width": 2}},
                hovertemplate=f"B = %{{x}}: %{{y:.0%}} of steps adjust a {group} weight{NAME}",
            )
        )
    key = "rare" if has_rare else "frequent"
    for name in sweep.optimizers:
        m = sweep.metrics[name]
        alive = ~m["diverged"].astype(bool)
        style = {"mode": "lines+markers", "line": {"color": OPT_COLORS[name], "width": 2.5}}
        panels = (
            (f"{key}_step", f"mean |step| of a {key} weight"),
            ("eff_lr_ratio", "rare / frequent rate"),
            (f"{key}_error", f"{key}-weight error"),
        )
        for i, (metric, what) in enumerate(panels):
            ok = alive & np.isfinite(m[metric])  # no ratio without a rare group
            hover = f"B = %{{x}}: {what} %{{y:.3g}}{NAME}"
            data.append(
                _scatter(
                    i + 1,
                    B[ok],
                    m[metric][ok],
                    name=_label(name),
                    showlegend=i == 0,
                    hovertemplate=hover,
                    **style,
                )
            )
    _axes(layout, "x", type="log", tickvals=B.tolist(), title={"text": "batch size B"})
    _axes(layout, "y", [0], range=[0, 1.05])
    _log_axes(layout, data, "y", (1, 2))
    if current is not None:
        line = {"color": "#999999", "dash": "dot"}
        layout["shapes"] = [
            {
                "type": "line",
                "x0": current,
                "x1": current,
                "xref": f"x{s}",
                "y0": 0,
                "y1": 1,
                "yref": f"y{s} domain",
                "line": line,
            }
            for s in map(_suffix, range(4))
        ]
    legend = {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}
    return {"data": data, "layout": _layout(700, legend=legend, **layout)}


def sweep_messages(sweep: BatchSweep) -> list[str]:
    """One sentence per optimizer that diverged at some batch sizes (those points are left out)."""
    out = []
    for name in sweep.optimizers:
        bad = sweep.batch_sizes[sweep.metrics[name]["diverged"].astype(bool)]
        if bad.size:
            sizes = ", ".join(str(b) for b in bad)
            lr = sweep.hparams[name]["lr"]
            out.append(
                f"{_label(name)} diverged at B = {sizes} with learning rate {lr:g}; those points "
                f"are left out of the sweep. A smaller batch takes more steps of the same size, "
                f"so a rate that works at B = {sweep.batch_sizes[-1]} can blow up at B = 1: "
                f"lower {_label(name)}'s learning rate (try {lr / 4:g}) to include them."
            )
    return out


def _alive(sweep: BatchSweep) -> np.ndarray:
    """Indices of the batch sizes at which no optimizer diverged (the sweep's usable points)."""
    bad = np.zeros(sweep.batch_sizes.size, bool)
    for name in sweep.optimizers:
        bad |= sweep.metrics[name]["diverged"].astype(bool)
    return np.flatnonzero(~bad)


def sweep_caption(sweep: BatchSweep) -> str:
    B = sweep.batch_sizes
    if B.size < 2:
        return "Only one batch size fits the data; add examples to compare batch sizes."
    g = sweep.groups
    if not g["n_rare"][0]:
        return "No feature is rare here; spread the probabilities apart to compare groups."
    per_batch = g["rare_p"][-1] * B[-1]  # rare examples in a batch of the largest size
    few = (
        "usually only one has"
        if per_batch < 1.5
        else f"only about {_fmt(per_batch)} (at B = {B[-1]}) have"
    )
    text = (
        f"Every batch size sees the same {sweep.examples:,} examples. From B = {B[0]} to "
        f"{B[-1]}, the share of steps that adjust a rare weight rises from "
        f"{_pct(g['rare_adjusted'][0])} to {_pct(g['rare_adjusted'][-1])} (the dashed formula "
        f"{PRESENCE} says {_pct(g['rare_presence'][0])} to {_pct(g['rare_presence'][-1])}), "
        f"but each batch gradient is a mean over B examples, of which {few} the rare feature."
    )
    steps, errors = [], []
    for name in ("sgd", "adagrad"):
        m = sweep.metrics[name]
        ok = np.flatnonzero(~m["diverged"].astype(bool))
        if ok.size < 2:
            steps.append(
                f"{_label(name)} diverged at every batch size"
                if not ok.size
                else f"{_label(name)} diverged at all batch sizes but B = {B[ok[0]]}"
            )
            continue
        a, b = ok[0], ok[-1]
        steps.append(
            f"{_label(name)}'s step per adjustment goes from {_fmt(m['rare_step'][a])} at "
            f"B = {B[a]} to {_fmt(m['rare_step'][b])} at B = {B[b]}"
        )
        errors.append(
            f"{_label(name)} {_fmt(m['rare_error'][a])} → {_fmt(m['rare_error'][b])}"
            + ("" if (a, b) == (0, B.size - 1) else f" (B = {B[a]} to {B[b]})")
        )
    text += " " + "; ".join(steps) + " (Adagrad divides by the root of the same shrunken squares)."
    if errors:
        text += " Rare-weight error over the same batch sizes: " + ", ".join(errors) + "."
    return text


# --- the three answers -------------------------------------------------------------------------


def _count_share(n_hi: int, n_lo: int, rate_lo: float, rate_hi: float) -> float:
    """How much of the gap between two features' rates (lr/√G, on a log scale) their counts of
    adjusting steps explain: 1 when G is exactly count × the same mean g²."""
    gap = math.log(rate_lo / rate_hi) if rate_lo > 0 and rate_hi > 0 else 0.0
    if gap <= 0:
        return 1.0
    return 0.5 * math.log(max(n_hi, 1) / max(n_lo, 1)) / gap


def _at_b1(sweep: BatchSweep | None, batch: int) -> str:
    """At a larger B: SGD's rare-weight error at B = 1 on the same examples, from the sweep
    (most of SGD's gap at B > 1 is the batch mean's division, which B = 1 shows)."""
    if sweep is None or batch == 1 or not sweep.groups["n_rare"][0]:
        return ""
    m = sweep.metrics["sgd"]
    i = np.flatnonzero(sweep.batch_sizes == 1)
    if not i.size or m["diverged"][i[0]]:
        return ""
    return f" (at B = 1, over the same examples, {_fmt(m['rare_error'][i[0]])}: chart ④)"


def answers(run: SparseRun, sweep: BatchSweep | None) -> list[str]:
    """Markdown answers to the three questions, each pointing at its chart, numbers from the run."""
    s = summarize(run)
    sgd, ada = s["sgd"], s["adagrad"]
    examples = s["examples"]
    stopped = [_label(n) for n in ("sgd", "adagrad") if run.diverged_at[n] is not None]
    if stopped:
        q1 = (
            f"**Why does a larger step help?** (chart ①) {' and '.join(stopped)} diverged on "
            "this run (see the red box above): lower its learning rate to compare the two."
        )
    elif s["n_rare"]:
        helped, kept = _verdict(s)
        B, lr = run.batch_size, run.hparams["sgd"]["lr"]
        where = "example" if B == 1 else "batch"
        q1 = (
            f"**Why does a larger step help?** (chart ①) A rare feature here (mean p ≈ "
            f"{_fmt(s['rare_p'])}) shows up in about {_count(s['rare_p'] * examples)} of "
            f"{examples:,} examples, a frequent one (mean p ≈ {_fmt(s['frequent_p'])}) in about "
            f"{_count(s['frequent_p'] * examples)}. A rare weight moves only in the steps whose "
            f"{where} contains its feature, so its few steps must cover the whole way to its "
            "target"
            + (
                ""
                if B == 1
                else f", and at B = {B} the batch mean also divides its gradient by about {B}"
            )
            + f". With one rate for every weight (SGD, {lr:g}"
            + (
                ": more than Adagrad's final rate even for rare weights, so its steps stay "
                "large and noisy"
                if lr > ada["rare_eff_lr"] / CLEARLY
                else ""
            )
            + ") the rare weights end "
            f"{_fmt(sgd['rare_error'])} from their targets{_at_b1(sweep, B)}. Adagrad's rate "
            f"for rare weights ends {_fmt(ada['eff_lr_ratio'])}× its rate for frequent ones "
            f"({_fmt(ada['rare_eff_lr'])} against {_fmt(ada['frequent_eff_lr'])})"
            + (
                ""
                if B == 1
                else ", which undoes that division (G is summed from the same shrunken gradients)"
            )
            + (
                f", and brings them to {_fmt(ada['rare_error'])}. "
                if helped
                else f", and leaves them at {_fmt(ada['rare_error'])}: not clearly closer on "
                "this run"
                + (
                    ", where SGD's one rate is already about as large as Adagrad's rate for "
                    "rare weights. "
                    if lr >= CLEARLY * ada["rare_eff_lr"]
                    else ". "
                )
            )
            + "A larger step is not a less precise one: every weight's step still shrinks as "
            "its *own* evidence grows, like a running average dividing by its own count. "
            f"Frequent weights end at {_fmt(ada['frequent_error'])} "
            f"(SGD {_fmt(sgd['frequent_error'])})"
            + (", so precision is not lost." if kept else ", behind SGD on this run.")
        )
    else:
        q1 = (
            "**Why does a larger step help?** (chart ①) Every feature here is about equally "
            "frequent, so Adagrad has no reason to favour any: spread the probabilities apart."
        )
    n = run.adjusted[-1]
    eff = run.eff_lr["adagrad"][-1]
    seen = n > 0
    hi = int(np.argmax(np.where(seen, run.probs, -1)))
    lo = int(np.argmin(np.where(seen, run.probs, 2)))
    if not s["n_rare"]:
        q2 = (
            "**Where is frequency in the formula?** (chart ②) In G: a feature that is absent "
            "from a batch has gradient exactly 0, so it adds nothing to its G. Every feature "
            f"here is about equally frequent, so they were adjusted in {n[seen].min():,} to "
            f"{n[seen].max():,} steps and their rates ended alike ({_fmt(eff[seen].min())} to "
            f"{_fmt(eff[seen].max())}): spread the probabilities apart to see them differ."
        )
    else:
        q2 = (
            f"**Where is frequency in the formula?** (charts ② and ③) In G. A feature that is "
            f"absent from a batch has gradient exactly 0, so it adds nothing to its G: G ≈ "
            f"(number of steps containing the feature) × (its mean squared gradient). Here the "
            f"most frequent feature was adjusted in {n[hi]:,} steps and ended with rate "
            f"{_fmt(eff[hi])}, the rarest in {n[lo]:,} steps with rate {_fmt(eff[lo])}"
        )
        if _count_share(n[hi], n[lo], eff[lo], eff[hi]) < 0.5:
            q2 += (
                ": the counts of steps explain less than half of that gap (on a log scale), "
                + (
                    f"because with batches of {run.batch_size} even the rarest feature is in many "
                    "of them. "
                    if run.batch_size > 1
                    else ". "
                )
                + "Frequency then hides in the size of each gradient too: a batch gradient sums "
                "the feature's examples in the batch, so G ≈ examples with the feature × mean r² "
                "/ B² (chart ③)."
            )
        else:
            q2 += ": lr/√G becomes lr/√(count × mean g²)."
    alive = np.array([], int) if sweep is None else _alive(sweep)
    if sweep is None or not s["n_rare"] or alive.size < 2:
        if not s["n_rare"]:  # (the sweep's groups are the run's: the same probabilities)
            why = "with no rare group here, there is nothing to compare"
        elif sweep is None:
            why = "the batch-size sweep that shows it is switched off"
        elif sweep.batch_sizes.size < 2:
            why = "add examples to compare batch sizes"
        else:
            why = "lower the learning rates that diverged to compare the batch sizes"
        q3 = (
            "**And with mini-batches?** (chart ④) A weight is adjusted only in steps whose "
            f"batch contains its feature, with probability {PRESENCE}; {why}."
        )
    else:
        B, g = sweep.batch_sizes, sweep.groups
        mine = np.flatnonzero(B[alive] == run.batch_size)
        b = alive[mine[0]] if mine.size else alive[-1]  # the page's batch size, if it is there
        a, c = (alive[0], b) if b != alive[0] else (b, alive[-1])  # from the smaller B to c
        sgd_m, ada_m = sweep.metrics["sgd"], sweep.metrics["adagrad"]
        q3 = (
            f"**And with mini-batches?** (chart ④) Frequency changes *how often*: a rare weight "
            f"is adjusted only when its batch contains the feature, {PRESENCE} of the steps "
            f"({_pct(g['rare_adjusted'][b])} at B = {B[b]}, against "
            f"{_pct(g['frequent_adjusted'][b])} for frequent ones). And *how much*: the batch "
            f"gradient is a mean over B examples, so a rare feature's gradient is divided by B. "
            f"SGD's rare step per adjustment goes from {_fmt(sgd_m['rare_step'][a])} at B = "
            f"{B[a]} to {_fmt(sgd_m['rare_step'][c])} at B = {B[c]}; Adagrad's G is built from "
            f"those same small gradients, so its step goes from {_fmt(ada_m['rare_step'][a])} "
            f"to {_fmt(ada_m['rare_step'][c])}. At B = {B[b]}, over the same examples, its "
            f"rare-weight error is {_fmt(ada_m['rare_error'][b])} against SGD's "
            f"{_fmt(sgd_m['rare_error'][b])}."
        )
    return [q1, q2, q3]
