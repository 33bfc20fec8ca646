"""Downloads of a run shown in the app: its data as CSV, its figures as one offline HTML file.

Pure functions (no streamlit): a page hands them the arrays it already drew and gets text back,
ready for ``st.download_button``. Numbers are written with ``repr`` (shortest exact form), so a
value read back from the CSV is the float the chart drew.

* :func:`trajectories_csv`: one row per optimizer x step (step 0 is the start).
* :func:`sparse_csv`: one row per record point x feature, one group of columns per optimizer.
* :func:`figures_html`: a full HTML page with plotly.js inlined (no CDN, works offline).

>>> from adagrad_core.racers import KNOBS, race
>>> from adagrad_core.surfaces import SURFACES
>>> runs = race("quadratic", ["adagrad"], {}, KNOBS, (-5, -2), 3)
>>> trajectories_csv(SURFACES["quadratic"], runs).splitlines()[0].split(",")[:6]
['optimizer', 'step', 'x', 'y', 'loss', 'gap']
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from adagrad_core.racers import Run
from adagrad_core.sparse import SparseRun
from adagrad_core.surfaces import Surface

TRAJECTORY_COLUMNS = (
    "optimizer",
    "step",
    "x",
    "y",
    "loss",
    "gap",
    "update_x",
    "update_y",
    "eff_lr_x",
    "eff_lr_y",
    "accumulator_x",
    "accumulator_y",
)
"""Per step t: the point after t steps, f there, f - f*; the step that led to it, the
multiplier of its direction and the second-moment accumulator after it (Adagrad's G). Step 0
(the start) leaves the last six empty, as does a racer without an accumulator."""

MAX_SPARSE_ROWS = 50_000
"""Most rows of :func:`sparse_csv`; record points are thinned evenly beyond that."""


def _num(v: float) -> str:
    """Shortest exact text of a float; empty for a value that is not finite."""
    v = float(v)
    return repr(v) if np.isfinite(v) else ""


def _col(a) -> list[str]:
    """:func:`_num` of every entry of ``a``, flattened (vectorised: ~10x faster per value)."""
    a = np.asarray(a, dtype=float).ravel()
    text = list(map(repr, a.tolist()))
    for i in np.flatnonzero(~np.isfinite(a)):
        text[i] = ""
    return text


def _write(header: Sequence[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def trajectories_csv(surface: Surface, runs: Mapping[str, Run]) -> str:
    """The trajectories page's runs as CSV, columns :data:`TRAJECTORY_COLUMNS`.

    Each racer's rows stop at its last meaningful point (:attr:`Run.last`): a diverged racer
    has no rows after it was stopped.
    """

    def rows():
        for key, run in runs.items():
            n = run.last + 1
            loss = surface.value(run.params[:n])
            for t in range(n):
                x, y = run.params[t]
                row = [key, t, _num(x), _num(y), _num(loss[t]), _num(run.gap[t])]
                if t == 0:
                    row += [""] * 6
                else:
                    acc = run.accumulator
                    row += [_num(v) for v in run.updates[t - 1]]
                    row += [_num(v) for v in run.eff_lr[t - 1]]
                    row += ["", ""] if acc is None else [_num(v) for v in acc[t - 1]]
                yield row

    return _write(TRAJECTORY_COLUMNS, rows())


def sparse_columns(run: SparseRun) -> list[str]:
    """Header of :func:`sparse_csv` for ``run``: shared columns, then per optimizer ``name``
    its weight ``w_<name>``, effective learning rate ``eff_lr_<name>`` and mean loss since the
    previous record point ``loss_<name>`` (empty at step 0); ``G_adagrad`` when Adagrad ran."""
    cols = ["step", "examples_seen", "feature", "p", "w_true", "adjusted", "occurrences"]
    for name in run.optimizers:
        cols += [f"w_{name}", f"eff_lr_{name}", f"loss_{name}"]
    if run.accum is not None:
        cols.append("G_adagrad")
    return cols


def record_rows(n_records: int, n_features: int, max_rows: int = MAX_SPARSE_ROWS) -> np.ndarray:
    """Indices of the record points exported: all, or an even subset (first and last kept) so
    that ``points x features <= max_rows``."""
    keep = max(2, max_rows // max(n_features, 1))
    if n_records <= keep:
        return np.arange(n_records)
    return np.unique(np.linspace(0, n_records - 1, keep).round().astype(int))


def sparse_csv(run: SparseRun, max_rows: int = MAX_SPARSE_ROWS) -> str:
    """The sparse-features run as CSV: one row per record point x feature, features in the
    order of the data (feature 0 first), columns :func:`sparse_columns`. ``adjusted`` counts
    the steps whose batch contained the feature so far, ``occurrences`` the examples."""
    d = run.probs.size
    j = record_rows(len(run.record_steps), d, max_rows)
    grid = (len(j), d)

    def each_point(a) -> list:  # a per-record-point value, repeated for every feature
        return np.repeat(np.asarray(a)[j], d).tolist()

    def each_feature(a) -> list:  # a per-feature value, repeated for every record point
        return np.tile(np.asarray(a), len(j))

    cols = [
        each_point(run.record_steps),
        each_point(run.examples_seen),
        each_feature(np.arange(d)).tolist(),
        _col(each_feature(run.probs)),
        _col(each_feature(run.w_true)),
        run.adjusted[j].ravel().tolist(),
        run.occurrences[j].ravel().tolist(),
    ]
    for name in run.optimizers:
        loss = np.concatenate([[np.nan], run.loss[name]])  # none before the first step
        cols += [_col(run.w[name][j]), _col(run.eff_lr[name][j])]
        cols.append(_col(np.broadcast_to(loss[j][:, None], grid)))
    if run.accum is not None:
        cols.append(_col(run.accum[j]))
    return _write(sparse_columns(run), zip(*cols, strict=True))


def figures_html(
    title: str, sections: Sequence[tuple[str, go.Figure | dict, str]], config: Mapping | None = None
) -> str:
    """One self-contained HTML page: ``title``, then per section a heading, its figure and a
    caption (plain text; markdown ``**`` is dropped). plotly.js is inlined once, so the file
    works offline; the figures keep their animation buttons and hover. The modebar's "Share
    chart" (an upload to Plotly Cloud) is switched off."""
    config = {**(config or {}), "showSendToCloud": False}
    parts = []
    for i, (heading, fig, caption) in enumerate(sections):
        div = pio.to_html(
            fig,
            include_plotlyjs=i == 0,
            full_html=False,
            config=config,
            div_id=f"fig{i}",
            validate=False,  # a figure builder's dict is sent as is (ui.PlainFigure)
        )
        parts.append(f"<h2>{html.escape(heading)}</h2>" if heading else "")
        parts.append(div)
        if caption:
            parts.append(f"<p>{html.escape(caption.replace('**', ''))}</p>")
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}"
        "</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )
