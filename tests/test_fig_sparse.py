"""Figures and captions of the sparse-features page. The builders return plain dicts; every
test reads them through ``go.Figure``, which validates them (a misspelt property fails)."""

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from adagrad_app import fig_sparse as F
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


def test_a_diverged_optimizer_is_cut_where_it_stopped_and_named(diverged):
    stop = diverged.diverged_at["sgd"]
    assert stop is not None
    fig = plain_figure(F.error_figure(diverged))
    all_finite(fig)
    sgd = [t for t in fig.data if t.line.color == OPT_COLORS["sgd"]]
    assert sgd and all(len(t.x) == 0 or max(t.x) < stop * diverged.batch_size for t in sgd)
    (message,) = F.diverged_messages(diverged)
    assert "SGD" in message and f"{stop:,}" in message and "0.5" in message


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
    fig = plain_figure(F.sweep_figure(sweep, current=8))
    formula = next(t for t in fig.data if t.name == "1 − (1 − p)<sup>B</sup>, rare")
    rare, _ = sp.frequency_groups(sweep_probs := sp.zipf_probs(100))
    expected = [sp.batch_presence(sweep_probs, b)[rare].mean() for b in (1, 4, 8, 16, 64, 256)]
    np.testing.assert_allclose(formula.y, expected, rtol=RTOL)
    assert list(formula.x) == [1, 4, 8, 16, 64, 256]
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == 8]
    assert sorted(s.xref for s in lines) == ["x", "x2", "x3", "x4"]  # in each of the 4 charts
    assert not plain_figure(F.sweep_figure(sweep)).layout.shapes
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
    assert "1 − (1 − p)ᴮ" in q3 and "B = 8" in q3
    assert "④" in F.answers(run, None)[2]


def test_no_rare_group_is_said_not_hidden():
    data = sp.make_data([0.5, 0.4, 0.3], n_examples=512)
    run = sp.simulate(data, batch_size=4, hparams=LRS)
    sweep = sp.batch_sweep(data, batch_sizes=(1, 4), hparams=LRS)
    assert "no rare group" in F.error_caption(run)
    assert "No feature is rare" in F.sweep_caption(sweep)
    for spec in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                 F.sweep_figure(sweep)):  # fmt: skip
        all_finite(plain_figure(spec))


def test_default_figures_stay_small(run, sweep):
    for spec in (F.error_figure(run), F.accumulator_figure(run), F.frequency_figure(run),
                 F.sweep_figure(sweep, 8)):  # fmt: skip
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
        all_finite(plain_figure(F.sweep_figure(s, current)))


def test_validation_catches_a_misspelt_property():
    spec = {"data": [{"type": "scatter", "x": [1], "y": [2], "colour": "red"}], "layout": {}}
    with pytest.raises(ValueError, match="colour"):
        go.Figure(spec)  # what plain_figure relies on


@pytest.mark.parametrize(
    ("builder", "grid"),
    [
        (F.error_figure, {"rows": 1, "cols": 2, "column_widths": [0.6, 0.4]}),
        (F.accumulator_figure, {"rows": 1, "cols": 2}),
        (F.frequency_figure, {"rows": 1, "cols": 2}),
        (None, {"rows": 2, "cols": 2, "vertical_spacing": 0.2}),
    ],
)
def test_subplots_sit_where_make_subplots_puts_them(builder, grid, run, sweep):
    from plotly.subplots import make_subplots

    spec = F.sweep_figure(sweep, 8) if builder is None else builder(run)
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
             F.frequency_figure)] + [F.sweep_figure(sweep, 8)]  # fmt: skip
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


def test_sweep_words_leave_out_a_diverged_batch_size(sgd_diverges_at_b1):
    run, sweep = sgd_diverges_at_b1
    bad = sweep.metrics["sgd"]["diverged"]
    assert bad[0] and not bad[1:].any() and not sweep.metrics["adagrad"]["diverged"].any()
    text = F.sweep_caption(sweep)
    m = {k: sweep.metrics[k]["rare_step"] for k in ("sgd", "adagrad")}
    # SGD's without its B = 1 run; Adagrad kept it
    assert f"SGD's step per adjustment goes from {F._fmt(m['sgd'][1])} at B = 4 to " in text
    assert f"Adagrad's step per adjustment goes from {F._fmt(m['adagrad'][0])} at B = 1 to " in text
    assert f"{F._fmt(m['sgd'][-1])} at B = 256" in text
    assert f"SGD {sweep.metrics['sgd']['rare_error'][1]:.2g} →" in text
    assert f"{sweep.metrics['sgd']['rare_error'][0]:.2g} →" not in text  # the diverged run's
    q3 = F.answers(run, sweep)[2]
    assert "at B = 4 to" in q3 and "B = 1 " not in q3


def test_sweep_caption_counts_the_rare_examples_in_a_batch(sweep, sgd_diverges_at_b1):
    for sw in (sweep, sgd_diverges_at_b1[1]):
        per_batch = sw.groups["rare_p"][-1] * 256  # rare examples in a batch of 256
        assert per_batch > 1.5
        assert f"only about {per_batch:.2g} (at B = 256) have the rare feature" in F.sweep_caption(
            sw
        )
    small = sp.batch_sweep(sp.make_data(sp.zipf_probs(100), n_examples=512), batch_sizes=(1, 16))
    assert "usually only one has the rare feature" in F.sweep_caption(small)


def test_answer_two_says_where_frequency_hides_when_counts_cannot_differ():
    data = sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=1024)
    r = sp.simulate(data, batch_size=256, hparams=LRS)
    n, p = r.adjusted[-1], r.probs
    most, rarest = n[np.argmax(p)], n[np.argmin(p)]  # the two features the answer names
    assert rarest >= 0.9 * most  # both in (nearly) every one of the 4 batches
    q2 = F.answers(r, None)[1]
    assert "explain less than half" in q2 and "count × mean g²" not in q2
    assert "count × mean g²" in F.answers(sp.simulate(data, batch_size=4, hparams=LRS), None)[1]


def test_answer_two_does_not_credit_the_count_with_a_gap_it_cannot_make():
    """Zipf at B = 256: the most and least frequent features are adjusted in 16 and 12 steps,
    yet their rates differ about 40×; √(16/12) explains almost none of that."""
    data = sp.make_data(sp.zipf_probs(100), n_examples=4096, seed=0)
    r = sp.simulate(data, batch_size=256, hparams={"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}})
    n, p, eff = r.adjusted[-1], r.probs, r.eff_lr["adagrad"][-1]
    hi, lo = np.argmax(p), np.argmin(p)
    assert n[hi] < 2 * n[lo] and eff[lo] > 10 * eff[hi]
    q2 = F.answers(r, None)[1]
    assert "explain less than half" in q2 and "lr/√(count × mean g²)" not in q2


def test_answer_one_and_heading_follow_the_numbers(sgd_diverges_at_b1, run, diverged):
    slow, _ = sgd_diverges_at_b1
    tiny = sp.simulate(  # 4 steps of 256: nothing has been learnt yet
        sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=1024),
        batch_size=256,
        hparams=LRS,
    )
    seen = set()
    for r in (run, slow, tiny):
        s = sp.summarize(r)
        helped = s["adagrad"]["rare_error"] < F.CLEARLY * s["sgd"]["rare_error"]
        kept = s["adagrad"]["frequent_error"] <= s["sgd"]["frequent_error"]
        seen.add((helped, kept))
        q1, heading = F.answers(r, None)[0], F.error_heading(r)
        assert ("precision is not lost" in q1) == kept and ("behind SGD" in q1) != kept
        assert ("brings them to" in q1) == helped and ("not clearly closer" in q1) != helped
        assert ("learn faster" in heading) == helped
        assert heading.endswith("without losing precision") == (helped and kept)
        # the rare/frequent ratio is Adagrad's own, and says so
        assert f"{s['adagrad']['eff_lr_ratio']:.2g}× its rate for frequent ones" in q1
    assert seen >= {(True, True), (True, False)}
    assert "diverged" in F.answers(diverged, None)[0]
    assert "faster" not in F.error_heading(diverged)


def test_answer_three_names_each_batch_size_it_quotes(run, sweep):
    q3 = F.answers(run, sweep)[2]
    B, m = sweep.batch_sizes, sweep.metrics["sgd"]
    assert f"from {m['rare_step'][0]:.2g} at B = 1 to {m['rare_step'][2]:.2g} at B = 8" in q3
    one = sp.simulate(sp.make_data(sp.zipf_probs(100), n_examples=4096), batch_size=1, hparams=LRS)
    q3 = F.answers(one, sweep)[2]  # at the smallest B: compared with the largest
    assert f"at B = 1 to {m['rare_step'][-1]:.2g} at B = {B[-1]}" in q3


@pytest.mark.parametrize(("preset", "batch"), [("zipf", 1), ("zipf", 256), ("two_groups", 64)])
def test_frequency_caption_verdict_follows_the_spreads(preset, batch):
    data = sp.make_data(sp.feature_probs(preset, n_features=100), n_examples=4096)
    r = sp.simulate(data, batch_size=batch, hparams=LRS)
    seen = r.adjusted[-1] > 0
    occ = r.occurrences[-1][seen]
    count = np.subtract(*np.percentile(np.log(occ), [95, 5]))
    size = np.subtract(*np.percentile(np.log(r.accum[-1][seen] / occ), [95, 5]))
    text = F.frequency_caption(r)
    assert ("mostly a count of" in text) == (2 * size <= count + 1e-12), text
    assert ("G is a count" in F.frequency_heading(r)) == ("mostly a count of" in text)


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.6e-5, "2.6e-5"), (0.0123, "0.012"), (0.5, "0.5"), (42.4, "42"), (12345.6, "12,346")],
)
def test_numbers_in_the_texts_use_the_apps_prose_format(value, text):
    """The same format as the other pages' texts (theme.number): 2.6e-5, never 2.6e-05."""
    assert F._fmt(value) == text


def test_answer_one_names_the_batch_means_division_with_the_b1_run(data, run, sweep):
    """At B = 8, most of SGD's rare-weight gap is the batch mean dividing rare gradients by 8:
    answer 1 says so and quotes SGD's error at B = 1 on the same examples (chart ④)."""
    q1 = F.answers(run, sweep)[0]
    b1 = sweep.metrics["sgd"]["rare_error"][0]
    assert sweep.batch_sizes[0] == 1 and b1 < 0.5 * F.summarize(run)["sgd"]["rare_error"]
    assert "divides its gradient by about 8" in q1
    assert f"at B = 1, over the same examples, {F._fmt(b1)}" in q1
    q1_b1 = F.answers(sp.simulate(data, batch_size=1, hparams=LRS), sweep)[0]
    assert "divides its gradient" not in q1_b1 and "at B = 1, over" not in q1_b1


def test_answer_one_says_when_sgds_rate_is_already_as_large(data, sweep):
    r = sp.simulate(data, batch_size=1, hparams=LRS)
    s = F.summarize(r)
    assert s["adagrad"]["rare_error"] >= F.CLEARLY * s["sgd"]["rare_error"]  # not clearly helped
    assert F.CLEARLY * s["adagrad"]["rare_eff_lr"] <= 0.1
    assert "already about as large as Adagrad's rate for rare weights" in F.answers(r, sweep)[0]
    assert "small rate" not in F.answers(r, sweep)[0]


def test_texts_say_what_to_do_when_the_sweep_cannot_compare(run, sgd_diverges_at_b1):
    assert "sweep that shows it is switched off" in F.answers(run, None)[2]
    _, sweep = sgd_diverges_at_b1
    (message,) = F.sweep_messages(sweep)
    assert "learning rate 0.1" in message and "(try 0.025)" in message
    assert "(B = 4 to 256)" in F.sweep_caption(sweep)  # SGD's range, not Adagrad's


def test_sweep_tooltips_name_the_batch_size_and_the_quantity(sweep):
    fig = plain_figure(F.sweep_figure(sweep, 8))
    for trace in fig.data:
        assert trace.hovertemplate.startswith("B = %{x}: ")
        assert trace.hovertemplate.endswith("<extra>%{fullData.name}</extra>")
    templates = {t.hovertemplate.split(": ")[1].split(" %")[0] for t in fig.data}
    assert {"rare-weight error", "mean |step| of a rare weight"} <= templates


def test_answer_one_says_when_sgds_rate_is_too_large_rather_than_too_small(data, sweep):
    r = sp.simulate(data, batch_size=1, hparams={"sgd": {"lr": 0.5}, "adagrad": {"lr": 0.5}})
    assert F.summarize(r)["adagrad"]["rare_eff_lr"] / F.CLEARLY < 0.5
    assert "its steps stay large and noisy" in F.answers(r, sweep)[0]
    assert (
        "large and noisy" not in F.answers(sp.simulate(data, batch_size=1, hparams=LRS), sweep)[0]
    )


def test_the_caption_states_the_split_that_makes_the_groups(run):
    split = sp.frequency_split(run.probs)
    rare, _ = run.groups
    assert (rare == (run.probs < split)).all() and rare.any()
    assert f"solid lines: p below {F._fmt(split)}, the geometric mean" in F.error_caption(run)
