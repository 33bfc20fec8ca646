"""Figures of the sparse-features page (their words: test_claims_sparse.py). The builders
return plain dicts; every test reads them through ``go.Figure``, which validates them (a
misspelt property fails)."""

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from adagrad_app import fig_sparse as F
from adagrad_app import fig_sweeps as FS
from adagrad_app.theme import FREQ_COLORS, OPT_COLORS
from adagrad_core import sparse as sp
from tests.figcheck import plain_figure

LRS = {"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}}
RTOL = 10.0 ** (1 - F.SIG_DIGITS)  # figures carry SIG_DIGITS significant digits


@pytest.fixture(scope="module")
def data():
    return sp.make_data(sp.zipf_probs(100), n_examples=4096, seed=0)


@pytest.fixture(scope="module")
def run(data):
    return sp.simulate(data, batch_size=8, hparams=LRS)


@pytest.fixture(scope="module")
def sweep(data):
    return sp.batch_sweep(data, batch_sizes=(1, 4, 8, 16, 64, 256), hparams=LRS)


@pytest.fixture(scope="module")
def diverged():
    data = sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=2048)
    return sp.simulate(data, batch_size=1, hparams={"sgd": {"lr": 0.5}, "adagrad": {"lr": 0.5}})


def all_finite(fig):
    for trace in fig.data:
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if values is not None and len(values):
                assert np.isfinite(np.asarray(values, dtype=float)).all(), trace.name


def test_error_figure_has_each_optimizer_and_group(run):
    fig = plain_figure(F.error_figure(run))
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["SGD · rare, 90 features", "SGD · frequent, 10 features",
                     "Adagrad · rare, 90 features", "Adagrad · frequent, 10 features"]  # fmt: skip
    rare_ada = next(t for t in fig.data if t.name == "Adagrad · rare, 90 features")
    assert rare_ada.line.color == OPT_COLORS["adagrad"] and rare_ada.line.dash == "solid"
    rare, _ = run.groups
    expected = np.abs(run.w["adagrad"] - run.w_true)[:, rare].mean(1)
    np.testing.assert_allclose(rare_ada.y, expected, rtol=RTOL)
    np.testing.assert_array_equal(rare_ada.x, run.examples_seen)
    assert fig.layout.yaxis.type == "log"
    all_finite(fig)


def test_accumulator_figure_colours_by_frequency_and_skips_unseen_steps(run):
    fig = plain_figure(F.accumulator_figure(run))
    g_traces = fig.data[0::2]
    assert 2 <= len(g_traces) <= F.N_SHOWN
    assert g_traces[0].line.color.lower() == FREQ_COLORS["frequent"].lower()
    assert g_traces[-1].line.color.lower() == FREQ_COLORS["rare"].lower()
    idx = F.shown_features(run.probs)
    for trace, i in zip(g_traces, idx, strict=True):
        first = np.flatnonzero(run.adjusted[:, i] > 0)[0]
        assert trace.x[0] == run.examples_seen[first]  # nothing drawn before it appeared
        assert np.all(np.diff(trace.y) >= 0)  # G only grows
    all_finite(fig)


def test_frequency_figure_draws_every_seen_feature_and_the_prediction(run):
    fig = plain_figure(F.frequency_figure(run))
    seen = run.adjusted[-1] > 0
    rare, _ = run.groups
    dots = [t for t in fig.data if t.mode == "markers" and t.xaxis == "x"]
    assert [t.name for t in dots] == ["rare features (Adagrad)", "frequent features (Adagrad)"]
    assert [t.marker.color for t in dots] == [FREQ_COLORS["rare"], FREQ_COLORS["frequent"]]
    occ = run.occurrences[-1][seen]
    for t, mask in zip(dots, (rare[seen], ~rare[seen]), strict=True):  # G against its examples
        np.testing.assert_array_equal(t.x, occ[mask])
        np.testing.assert_allclose(t.y, run.accum[-1][seen][mask], rtol=RTOL)
    g_line = next(t for t in fig.data if (t.name or "").startswith("prediction: G"))
    slope = run.mean_sq_residual["adagrad"] / run.batch_size**2  # G = examples x mean r^2 / B^2
    np.testing.assert_allclose(g_line.y, np.array(g_line.x) * slope, rtol=10 * RTOL)
    assert list(g_line.x) == [occ.min(), occ.max()]
    pred = next(t for t in fig.data if (t.name or "").startswith("prediction: lr"))
    np.testing.assert_allclose(
        sorted(pred.y, reverse=True), np.sort(sp.predicted_eff_lr(run))[::-1], rtol=RTOL
    )
    sgd = next(t for t in fig.data if (t.name or "").startswith("SGD"))
    assert list(sgd.y) == [0.1, 0.1]
    assert fig.layout.xaxis2.type == "log" and fig.layout.yaxis2.type == "log"
    all_finite(fig)


def test_sweep_figure_draws_the_presence_formula_against_b(sweep):
    fig = plain_figure(FS.sweep_figure(sweep, current=8))
    formula = next(t for t in fig.data if t.name == "steps × (1 − (1 − p)<sup>B</sup>), rare")
    rare, _ = sp.frequency_groups(sweep_probs := sp.zipf_probs(100))
    sizes = (1, 4, 8, 16, 64, 256)
    expected = [4096 // b * sp.batch_presence(sweep_probs, b)[rare].mean() for b in sizes]
    np.testing.assert_allclose(formula.y, expected, rtol=RTOL)
    assert list(formula.x) == [1, 4, 8, 16, 64, 256]
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == 8]
    assert sorted(s.xref for s in lines) == ["x", "x2", "x3", "x4"]  # in each of the 4 charts
    assert not plain_figure(FS.sweep_figure(sweep)).layout.shapes
    all_finite(fig)


def test_default_figures_stay_small(run, sweep):
    for spec in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                 FS.sweep_figure(sweep, 8)):  # fmt: skip
        assert len(pio.to_json(spec, validate=False)) < 100_000  # as sent (ui.PlainFigure)


def test_freq_color_runs_from_rare_to_frequent():
    assert F.freq_color(0.001, 0.001, 0.5).lower() == FREQ_COLORS["rare"].lower()
    assert F.freq_color(0.5, 0.001, 0.5).lower() == FREQ_COLORS["frequent"].lower()
    assert F.freq_color(0.3, 0.3, 0.3).startswith("#")


# --- the dicts themselves ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_runs():
    """Runs unlike the default: a diverged optimizer, no rare group, logistic with two more
    optimizers, a handful of custom features."""
    two = sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=2048)
    logistic = sp.make_data(sp.zipf_probs(300, exponent=1.5), n_examples=2048,
                            model="logistic", noise=0.05, seed=3)  # fmt: skip
    extra = {**LRS, "rmsprop": {"lr": 0.05}, "adam": {"lr": 0.05}}
    custom = sp.make_data([0.8, 0.3, 0.1, 0.03, 0.01], n_examples=1024)
    return [
        sp.simulate(two, batch_size=1, hparams={"sgd": {"lr": 0.5}, "adagrad": {"lr": 0.5}}),
        sp.simulate(sp.make_data([0.5, 0.4, 0.3], n_examples=512), batch_size=4, hparams=LRS),
        sp.simulate(logistic, batch_size=16, optimizers=tuple(extra), hparams=extra),
        sp.simulate(custom, batch_size=2, hparams=LRS),
    ]


@pytest.mark.parametrize("builder", [F.error_figure, F.accumulator_figure, F.frequency_figure])
def test_every_run_figure_is_a_valid_plain_dict(builder, run, other_runs):
    for r in [run, *other_runs]:
        all_finite(plain_figure(builder(r)))


def test_every_sweep_figure_is_a_valid_plain_dict(sweep):
    diverging = sp.batch_sweep(
        sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=2048),
        batch_sizes=(1, 4, 16),
        hparams={"sgd": {"lr": 0.5}, "adagrad": {"lr": 0.5}},
    )
    assert diverging.metrics["sgd"]["diverged"].any()
    for s, current in ((sweep, 8), (sweep, None), (diverging, 4)):
        all_finite(plain_figure(FS.sweep_figure(s, current)))


def test_validation_catches_a_misspelt_property():
    spec = {"data": [{"type": "scatter", "x": [1], "y": [2], "colour": "red"}], "layout": {}}
    with pytest.raises(ValueError, match="colour"):
        go.Figure(spec)  # what plain_figure relies on


@pytest.mark.parametrize(
    ("builder", "grid"),
    [
        (F.error_figure, {"rows": 1, "cols": 1}),
        (F.accumulator_figure, {"rows": 2, "cols": 1, "vertical_spacing": 0.2}),
        (F.frequency_figure, {"rows": 2, "cols": 1, "vertical_spacing": 0.2}),
        (None, {"rows": 4, "cols": 1, "vertical_spacing": 0.095}),
    ],
)
def test_subplots_sit_where_make_subplots_puts_them(builder, grid, run, sweep):
    from plotly.subplots import make_subplots

    spec = FS.sweep_figure(sweep, 8) if builder is None else builder(run)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    ref = make_subplots(**grid, subplot_titles=titles).to_dict()["layout"]
    for key, axis in ref.items():
        if key[1:5] == "axis":
            assert spec["layout"][key]["anchor"] == axis["anchor"], key
            np.testing.assert_allclose(spec["layout"][key]["domain"], axis["domain"], atol=1e-12)
    for ours, theirs in zip(spec["layout"]["annotations"], ref["annotations"], strict=True):
        assert (ours["x"], ours["y"]) == pytest.approx((theirs["x"], theirs["y"]))
        assert {**ours, "x": 0, "y": 0} == {**theirs, "x": 0, "y": 0}


def test_numbers_keep_their_significant_digits():
    values = F._num(np.array([1.23456789e-7, -0.00123456789, 98765.4321, 0.0, 2.5, np.nan]))
    assert values == [1.2346e-07, -0.0012346, 98765.0, 0.0, 2.5, None]
    assert F._num(np.array([1, 4, 256])) == [1, 4, 256]
    assert all(type(v) is int for v in F._num(np.arange(3)))


# --- honest words: diverged runs left out, verdicts that follow the numbers ---------------------


def test_log_axes_label_every_tick_with_its_value(run, sweep, other_runs):
    """No lone "2" under "1" meaning 0.2: each log axis carries its own whole-number labels."""
    specs = [b(r) for r in (run, *other_runs) for b in (F.error_figure, F.accumulator_figure,
             F.frequency_figure)] + [FS.sweep_figure(sweep, 8)]  # fmt: skip
    checked = 0
    for spec in specs:
        for key, axis in spec["layout"].items():
            if key[1:5] != "axis" or axis.get("type") != "log" or "ticktext" not in axis:
                continue  # (no labels of its own: a sliver of a decade, or the sweep's B values)
            assert len(axis["tickvals"]) == len(axis["ticktext"]) >= 2, key
            for value, text in zip(axis["tickvals"], axis["ticktext"], strict=True):
                assert float(text) == pytest.approx(value, rel=1e-9), (key, text)
            checked += 1
    assert checked >= 20


@pytest.fixture(scope="module")
def sgd_diverges_at_b1():
    data = sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=4096)
    sweep = sp.batch_sweep(data, batch_sizes=(1, 4, 16, 64, 256), hparams=LRS)
    run = sp.simulate(data, batch_size=64, hparams=LRS)
    return run, sweep


def test_sweep_tooltips_name_the_batch_size_and_the_quantity(sweep):
    fig = plain_figure(FS.sweep_figure(sweep, 8))
    for trace in fig.data:
        assert trace.hovertemplate.startswith("B = %{x}: ")
        assert trace.hovertemplate.endswith("<extra>%{fullData.name}</extra>")
    templates = {t.hovertemplate.split(": ")[1].split(" %")[0] for t in fig.data}
    assert {"rare-weight error", "mean |step| of a rare weight"} <= templates


def test_a_diverged_optimizer_is_cut_where_it_stopped(diverged):
    stop = diverged.diverged_at["sgd"]
    assert stop is not None
    fig = plain_figure(F.error_figure(diverged))
    sgd = [t for t in fig.data if t.name and t.name.startswith("SGD")]
    assert sgd and all(max(t.x, default=0) < stop * diverged.batch_size for t in sgd)
    all_finite(fig)


def test_no_rare_group_draws_one_line_per_optimizer():
    data = sp.make_data([0.5, 0.4, 0.3], n_examples=512)
    run = sp.simulate(data, batch_size=4, hparams=LRS)
    sweep = sp.batch_sweep(data, batch_sizes=(1, 4), hparams=LRS)
    fig = plain_figure(F.error_figure(run))
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "SGD · all features",
        "Adagrad · all features",
    ]
    rates = sp.sgd_rate_sweep(data, batch_size=4, lrs=(0.05, 0.5, 5.0))
    ada = sp.summarize(run)["adagrad"]
    for spec in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                 FS.sweep_figure(sweep), FS.rate_figure(rates, ada)):  # fmt: skip
        all_finite(plain_figure(spec))


def test_the_tuned_sgd_is_drawn_as_a_pale_band_under_the_run(data, run):
    rates = sp.sgd_rate_sweep(data, batch_size=8, lrs=(0.01, 0.1, 0.9, 50.0))
    assert rates.lrs[rates.best] == 0.9 and rates.diverged[-1]
    fig = plain_figure(F.error_figure(run, rates))
    band = [t for t in fig.data if t.name and t.name.startswith(F.BASELINE["name"])]
    assert len(band) == 2 and all(t.line.color == F.BASELINE["color"] for t in band)
    assert fig.data[0].name == band[0].name  # drawn first: under the runs
    best = sp.simulate(data, batch_size=8, optimizers=("sgd",), hparams={"sgd": {"lr": 0.9}})
    rare, _ = run.groups
    line = next(t for t in band if "rare" in t.name)
    np.testing.assert_allclose(
        line.y, np.abs(best.w["sgd"] - best.w_true)[:, rare].mean(1), rtol=RTOL
    )
    np.testing.assert_array_equal(line.x, best.examples_seen)
    same = sp.sgd_rate_sweep(data, batch_size=8, lrs=(0.1,))  # the best rate is the run's own
    assert not F.baseline_drawn(run, same)
    assert not any(F.BASELINE["name"] in (t.name or "") for t in plain_figure(
        F.error_figure(run, same)).data)  # fmt: skip


def test_rate_figure_draws_each_rate_adagrad_and_the_best(data, run):
    rates = sp.sgd_rate_sweep(data, batch_size=8, lrs=(0.01, 0.1, 1.0, 50.0))
    assert rates.diverged.tolist() == [False, False, False, True]
    ada = sp.summarize(run)["adagrad"]
    fig = plain_figure(FS.rate_figure(rates, ada, current=0.1))
    rare = next(t for t in fig.data if t.name == "SGD · rare")
    assert list(rare.x) == [0.01, 0.1, 1.0]  # the diverged rate is not a point of the line
    np.testing.assert_allclose(rare.y, rates.rare_error[:3], rtol=RTOL)
    flat = next(t for t in fig.data if t.name == "Adagrad · frequent")
    assert list(flat.y) == pytest.approx([ada["frequent_error"]] * 2, rel=RTOL)
    star = next(t for t in fig.data if t.name.startswith("SGD's best rate"))
    assert list(star.x) == [rates.lrs[rates.best]]
    cross = next(t for t in fig.data if t.name == "diverged at this rate")
    assert list(cross.x) == [50.0]
    assert fig.layout.shapes[0].x0 == 0.1
    assert fig.layout.xaxis.type == "log"
    all_finite(fig)


@pytest.mark.parametrize("which", ["accumulator", "frequency", "sweep"])
def test_a_lower_panels_title_is_clear_of_the_x_title_above(which, run, sweep):
    # each upper panel's x axis has tick labels and a title ("examples that contained the
    # feature", "batch size B"); the lower panel's title sits above its own plot. On a phone
    # the legend's rows take 110-210 px of margin; the gap must still hold ~90 px (was ~67).
    builders = {"accumulator": F.accumulator_figure, "frequency": F.frequency_figure}
    spec = builders[which](run) if which in builders else FS.sweep_figure(sweep, 8)
    lay = plain_figure(spec).layout
    phone_plot_h = lay.height - lay.margin.t - 180
    ys = sorted((a.domain for k, a in lay.to_plotly_json().items() if k.startswith("yaxis")
                 for a in [lay[k]]), reverse=True)  # fmt: skip
    for upper, lower in zip(ys, ys[1:], strict=False):
        assert (upper[0] - lower[1]) * phone_plot_h >= 88, (upper, lower)
    for a in lay.annotations:  # each title sits on its panel's top
        assert any(a.y == pytest.approx(d[1]) for d in ys)
