"""Figures and captions of the sparse-features page, checked on the go.Figure and the text."""

import numpy as np
import plotly.io as pio
import pytest

from adagrad_app import fig_sparse as F
from adagrad_app.theme import FREQ_COLORS, OPT_COLORS
from adagrad_core import sparse as sp

LRS = {"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}}


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
    fig = F.error_figure(run)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["SGD · rare (90)", "SGD · frequent (10)", "Adagrad · rare (90)",
                     "Adagrad · frequent (10)"]  # fmt: skip
    rare_ada = next(t for t in fig.data if t.name == "Adagrad · rare (90)")
    assert rare_ada.line.color == OPT_COLORS["adagrad"] and rare_ada.line.dash == "solid"
    rare, _ = run.groups
    expected = np.abs(run.w["adagrad"] - run.w_true)[:, rare].mean(1)
    np.testing.assert_allclose(rare_ada.y, expected)
    np.testing.assert_array_equal(rare_ada.x, run.examples_seen)
    assert fig.layout.yaxis.type == "log"
    all_finite(fig)


def test_a_diverged_optimizer_is_cut_where_it_stopped_and_named(diverged):
    stop = diverged.diverged_at["sgd"]
    assert stop is not None
    fig = F.error_figure(diverged)
    all_finite(fig)
    sgd = [t for t in fig.data if t.line.color == OPT_COLORS["sgd"]]
    assert sgd and all(len(t.x) == 0 or max(t.x) < stop * diverged.batch_size for t in sgd)
    (message,) = F.diverged_messages(diverged)
    assert "SGD" in message and f"{stop:,}" in message and "0.5" in message


def test_accumulator_figure_colours_by_frequency_and_skips_unseen_steps(run):
    fig = F.accumulator_figure(run)
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
    fig = F.frequency_figure(run)
    seen = run.adjusted[-1] > 0
    points = fig.data[0]
    assert len(points.x) == seen.sum()
    pred = next(t for t in fig.data if (t.name or "").startswith("formula"))
    np.testing.assert_allclose(
        sorted(pred.y, reverse=True), np.sort(sp.predicted_eff_lr(run))[::-1]
    )
    sgd = next(t for t in fig.data if (t.name or "").startswith("SGD"))
    assert list(sgd.y) == [0.1, 0.1]
    assert fig.layout.xaxis2.type == "log" and fig.layout.yaxis2.type == "log"
    all_finite(fig)


def test_sweep_figure_draws_the_presence_formula_against_b(sweep):
    fig = F.sweep_figure(sweep, current=8)
    formula = next(t for t in fig.data if t.name == "1 − (1 − p)^B, rare")
    rare, _ = sp.frequency_groups(sweep_probs := sp.zipf_probs(100))
    expected = [sp.batch_presence(sweep_probs, b)[rare].mean() for b in (1, 4, 8, 16, 64, 256)]
    np.testing.assert_allclose(formula.y, expected)
    assert list(formula.x) == [1, 4, 8, 16, 64, 256]
    assert any(s.type == "line" and s.x0 == 8 for s in fig.layout.shapes)
    all_finite(fig)


def test_captions_quote_the_run(run, sweep):
    s = sp.summarize(run)
    text = F.error_caption(run)
    assert f"{s['sgd']['rare_error']:.2g}" in text and f"{s['adagrad']['rare_error']:.2g}" in text
    assert "4,096 examples" in text
    sw = F.sweep_caption(sweep)
    assert f"{sweep.metrics['sgd']['rare_step'][0]:.2g}" in sw
    assert "4,096 examples" in sw
    assert "factor" in F.frequency_caption(run)
    assert f"{run.steps:,} batches" in F.accumulator_caption(run)


def test_captions_change_with_the_run(data, run):
    other = sp.simulate(data, batch_size=64, hparams=LRS)
    assert F.error_caption(other) != F.error_caption(run)
    assert F.accumulator_caption(other) != F.accumulator_caption(run)


def test_three_answers_point_at_their_charts(run, sweep):
    q1, q2, q3 = F.answers(run, sweep)
    assert "①" in q1 and "②" in q2 and "③" in q2 and "④" in q3
    assert f"{sp.summarize(run)['adagrad']['rare_error']:.2g}" in q1
    assert "1 − (1 − p)^B" in q3 and "B = 8" in q3
    assert "④" in F.answers(run, None)[2]


def test_no_rare_group_is_said_not_hidden():
    data = sp.make_data([0.5, 0.4, 0.3], n_examples=512)
    run = sp.simulate(data, batch_size=4, hparams=LRS)
    sweep = sp.batch_sweep(data, batch_sizes=(1, 4), hparams=LRS)
    assert "no rare group" in F.error_caption(run)
    assert "No feature is rare" in F.sweep_caption(sweep)
    for fig in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                F.sweep_figure(sweep)):  # fmt: skip
        all_finite(fig)


def test_default_figures_stay_small(run, sweep):
    for fig in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                F.sweep_figure(sweep, 8)):  # fmt: skip
        assert len(pio.to_json(fig)) < 600_000


def test_freq_color_runs_from_rare_to_frequent():
    assert F.freq_color(0.001, 0.001, 0.5).lower() == FREQ_COLORS["rare"].lower()
    assert F.freq_color(0.5, 0.001, 0.5).lower() == FREQ_COLORS["frequent"].lower()
    assert F.freq_color(0.3, 0.3, 0.3).startswith("#")
