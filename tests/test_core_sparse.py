"""The sparse-features simulation: validation, determinism and the statistics it must show."""

import numpy as np
import pytest

from adagrad_core import sparse as sp

LRS = {"sgd": {"lr": 0.05}, "adagrad": {"lr": 0.5}}


def two_groups(seed=0, n=4096, **kw):
    return sp.make_data(
        sp.feature_probs("two_groups", n_features=40), n_examples=n, seed=seed, **kw
    )


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sp.feature_probs("zipf", n_features=0), "n_features"),
        (lambda: sp.feature_probs("zipf", n_features=5000), "n_features"),
        (lambda: sp.feature_probs("two_groups", n_features=40, p_rare=0.0), "p_rare"),
        (lambda: sp.feature_probs("two_groups", n_features=40, p_frequent=1.5), "p_frequent"),
        (lambda: sp.feature_probs("custom", probs=[]), "probs"),
        (lambda: sp.feature_probs("custom", probs=[0.5, 0.0]), "probs"),
        (lambda: sp.feature_probs("custom", probs=[0.5, float("nan")]), "probs"),
        (lambda: sp.feature_probs("custom", probs=[0.1] * 9), "probs"),
        (lambda: sp.feature_probs("bogus"), "preset"),
        (lambda: sp.make_data([0.5], n_examples=0), "n_examples"),
        (lambda: sp.make_data([0.5], n_examples=sp.MAX_EXAMPLES + 1), "n_examples"),
        (lambda: sp.make_data([0.5], model="poisson"), "model"),
        (lambda: sp.make_data([0.5], noise=-1.0), "noise"),
        (lambda: sp.make_data([0.5], model="logistic", noise=0.7), "noise"),
        (lambda: sp.make_data([0.5], seed=-1), "seed"),
        (lambda: sp.make_data(np.full(sp.MAX_FEATURES + 1, 0.1)), "probs"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=0), "batch_size"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=101), "batch_size"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=1, optimizers=()), "optimizers"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=1, optimizers=("lbfgs",)), "optimizer"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=1, hparams={"sgd": {"lr": -1}}), "lr"),
        (lambda: sp.simulate(two_groups(n=100), batch_size=1, max_records=0), "max_records"),
        (lambda: sp.batch_sweep(two_groups(n=100), batch_sizes=(512,)), "batch_sizes"),
    ],
)
def test_bad_input_raises_value_error_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_presets_have_the_promised_shape():
    z = sp.feature_probs("zipf", n_features=1000)
    assert z.shape == (1000,) and z[0] == 0.5 and np.all(np.diff(z) < 0)
    g = sp.feature_probs("two_groups", n_features=10, p_frequent=0.4, p_rare=0.02, rare_share=0.3)
    assert sorted(set(g.tolist())) == [0.02, 0.4] and (g == 0.02).sum() == 3
    assert sp.feature_probs("custom", probs=[1.0, 0.1]).tolist() == [1.0, 0.1]


def test_features_with_p_one_or_equal_p_have_no_rare_group():
    rare, freq = sp.frequency_groups([1.0, 1.0, 0.8])
    assert not rare.any() and freq.all()
    run = sp.simulate(sp.make_data([1.0, 0.9], n_examples=64), batch_size=4)
    s = sp.summarize(run)
    assert s["n_rare"] == 0 and np.isnan(s["adagrad"]["rare_error"])


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_same_run_and_different_seed_different_run():
    a = sp.simulate(two_groups(seed=3, n=1024), batch_size=4, hparams=LRS)
    b = sp.simulate(two_groups(seed=3, n=1024), batch_size=4, hparams=LRS)
    c = sp.simulate(two_groups(seed=4, n=1024), batch_size=4, hparams=LRS)
    for name in ("sgd", "adagrad"):
        np.testing.assert_array_equal(a.w[name], b.w[name])
        np.testing.assert_array_equal(a.eff_lr[name], b.eff_lr[name])
        assert not np.array_equal(a.w[name], c.w[name])
    np.testing.assert_array_equal(a.accum, b.accum)


def test_all_optimizers_see_the_same_stream():
    data = two_groups(n=512)
    both = sp.simulate(data, batch_size=2, hparams=LRS)
    alone = sp.simulate(
        data, batch_size=2, optimizers=("adagrad",), hparams={"adagrad": LRS["adagrad"]}
    )
    # equal up to rounding (a matrix product over one or two optimizers may sum differently)
    np.testing.assert_allclose(both.w["adagrad"], alone.w["adagrad"], rtol=1e-9, atol=1e-12)


def test_history_is_bounded_and_clock_counts_examples():
    run = sp.simulate(two_groups(n=20_000), batch_size=1, hparams=LRS)
    assert len(run.record_steps) <= sp.MAX_RECORDS + 1
    assert run.w["sgd"].shape == (len(run.record_steps), 40)
    assert run.examples_seen[-1] == 20_000
    run8 = sp.simulate(two_groups(n=20_000), batch_size=8, hparams=LRS)
    assert run8.examples_seen[-1] == 20_000 and run8.steps == 2500


# --- what the page teaches -------------------------------------------------------------------


def test_accumulator_grows_only_when_the_feature_is_in_the_batch():
    run = sp.simulate(two_groups(n=150), batch_size=1, hparams=LRS)  # a record at every step
    assert np.array_equal(run.record_steps, np.arange(151))
    grew = np.diff(run.accum, axis=0) > 0
    present = np.diff(run.adjusted, axis=0) > 0
    np.testing.assert_array_equal(grew, present)


def test_accumulator_tracks_the_occurrence_count():
    run = sp.simulate(sp.make_data(sp.zipf_probs(200), n_examples=8192), batch_size=1, hparams=LRS)
    G, n = run.accum[-1], run.adjusted[-1]
    seen = n > 5
    rank = lambda a: np.argsort(np.argsort(a))  # noqa: E731
    spearman = np.corrcoef(rank(G[seen]), rank(n[seen]))[0, 1]
    assert spearman > 0.9
    assert np.all(np.diff(run.accum, axis=0) >= 0)  # G only grows


def test_adagrad_eff_lr_is_lr_over_root_g():
    run = sp.simulate(two_groups(n=512), batch_size=4, hparams=LRS)
    eps = run.hparams["adagrad"]["eps"]
    np.testing.assert_allclose(run.eff_lr["adagrad"][1:], 0.5 / (np.sqrt(run.accum[1:]) + eps))
    assert np.all(run.eff_lr["sgd"] == 0.05)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch", [1, 16])
def test_rare_features_get_a_larger_effective_lr(seed, batch):
    run = sp.simulate(two_groups(seed=seed), batch_size=batch, hparams=LRS)
    rare, freq = run.groups
    eff = run.eff_lr["adagrad"][-1]
    assert np.median(eff[rare]) > 3 * np.median(eff[freq])
    assert sp.summarize(run)["adagrad"]["eff_lr_ratio"] > 3


def test_adagrad_learns_rare_weights_better_than_sgd_on_average():
    rare_sgd, rare_ada = [], []
    for seed in range(4):
        s = sp.summarize(sp.simulate(two_groups(seed=seed), batch_size=8, hparams=LRS))
        rare_sgd.append(s["sgd"]["rare_error"])
        rare_ada.append(s["adagrad"]["rare_error"])
    assert np.mean(rare_ada) < 0.5 * np.mean(rare_sgd)


def test_prediction_from_frequency_matches_at_batch_one():
    run = sp.simulate(sp.make_data(sp.zipf_probs(100), n_examples=8192), batch_size=1, hparams=LRS)
    seen = run.adjusted[-1] > 0
    ratio = run.eff_lr["adagrad"][-1][seen] / sp.predicted_eff_lr(run)[seen]
    assert np.mean((ratio > 0.5) & (ratio < 2)) > 0.9


def test_share_of_adjusting_steps_follows_one_minus_one_minus_p_to_the_b():
    data = two_groups(n=16_384)
    for batch in (1, 16, 128):
        s = sp.summarize(sp.simulate(data, batch_size=batch, hparams=LRS, max_records=1))
        for group in ("rare", "frequent"):
            assert s[f"{group}_adjusted"] == pytest.approx(s[f"{group}_presence"], abs=0.05)


def test_logistic_model_runs_and_stays_finite():
    data = two_groups(n=1024, model="logistic", noise=0.1)
    assert set(np.unique(data.y)) <= {0.0, 1.0}
    run = sp.simulate(data, batch_size=4, optimizers=("sgd", "adagrad", "rmsprop", "adam"))
    for name in run.optimizers:
        assert np.isfinite(run.loss[name]).all() and np.isfinite(run.w[name]).all()


def test_a_diverging_optimizer_is_stopped_and_named():
    run = sp.simulate(two_groups(n=2048), batch_size=1, hparams={"sgd": {"lr": 1.5}})
    assert run.diverged_at["sgd"] is not None and run.diverged_at["adagrad"] is None
    assert np.abs(run.w["sgd"]).max() <= sp.DEFAULT_BOUND
    for arr in (run.w["sgd"], run.eff_lr["sgd"], run.abs_step["sgd"]):
        assert np.isfinite(arr).all()


@pytest.mark.parametrize("bound", [1.5, 1e200])
def test_the_bound_holds_at_every_record(bound):
    """simulate screens the weights with their sum of squares before looking at each: a bound
    near the weights (the screen fails at once) and one whose square overflows both hold."""
    run = sp.simulate(two_groups(n=2048), batch_size=1, hparams={"sgd": {"lr": 1.5}},
                      max_records=sp.MAX_RECORDS, bound=bound)  # fmt: skip
    assert run.diverged_at["sgd"] is not None
    for name in run.optimizers:
        assert np.isfinite(run.w[name]).all() and np.abs(run.w[name]).max() <= bound


@pytest.mark.parametrize("bound", [1.5, 1.6, sp.DEFAULT_BOUND])
def test_examples_made_float_in_chunks_give_the_same_run(monkeypatch, bound):
    """simulate converts X to floats a chunk of steps at a time; a tiny chunk (a new one every
    few steps) gives the same run, the same stops included."""
    data = sp.make_data(sp.feature_probs("two_groups", n_features=100), n_examples=2048)
    hp = {"sgd": {"lr": 0.05}, "adagrad": {"lr": 0.5}}
    runs = []
    for chunk in (sp._CHUNK_FLOATS, 300):
        monkeypatch.setattr(sp, "_CHUNK_FLOATS", chunk)
        runs.append(sp.simulate(data, batch_size=1, hparams=hp, bound=bound, max_records=50))
    big, small = runs
    assert big.diverged_at == small.diverged_at
    if bound < 2:
        assert all(s is not None and s > 1 for s in small.diverged_at.values())
    for name in ("sgd", "adagrad"):
        np.testing.assert_array_equal(big.w[name], small.w[name])
        np.testing.assert_array_equal(big.abs_step[name], small.abs_step[name])
        np.testing.assert_allclose(big.loss[name], small.loss[name], rtol=1e-12)


@pytest.mark.parametrize("bound", [1.5, sp.DEFAULT_BOUND])
def test_the_screen_is_the_cores_and_never_hides_a_stop(monkeypatch, bound):
    """simulate and sgd_rate_sweep test the weights with the core's rule
    (adagrad_core.divergence.escaped) behind its quick screen: with the screen off (every
    step looks at every weight) both give the same runs, the same stops included."""
    data = sp.make_data(sp.feature_probs("two_groups", n_features=40), n_examples=1024)
    hp = {"sgd": {"lr": 1.5}, "adagrad": {"lr": 0.5}}
    out = []
    for screen in (sp.divergence.screen, lambda b: -np.inf):
        monkeypatch.setattr(sp.divergence, "screen", screen)
        run = sp.simulate(data, batch_size=1, hparams=hp, bound=bound, max_records=50)
        rates = sp.sgd_rate_sweep(data, batch_size=1, lrs=(0.05, 1.5, 5.0), bound=bound)
        out.append((run, rates))
    (a, ra), (b, rb) = out
    assert a.diverged_at == b.diverged_at and a.diverged_at["sgd"] is not None
    np.testing.assert_array_equal(ra.stopped_at, rb.stopped_at)
    assert (ra.stopped_at[1:] > 0).all()
    for name in a.optimizers:
        np.testing.assert_array_equal(a.w[name], b.w[name])
    np.testing.assert_array_equal(ra.rare_history, rb.rare_history)


# --- the batch-size sweep ---------------------------------------------------------------------


def test_sweep_counts_examples_not_steps():
    sweep = sp.batch_sweep(two_groups(n=5000), batch_sizes=(1, 4, 64, 8192), hparams=LRS)
    assert sweep.batch_sizes.tolist() == [1, 4, 64]  # 8192 does not fit and is dropped
    assert sweep.examples == 5000 // 64 * 64
    assert np.all(sweep.groups["examples"] == sweep.examples)
    np.testing.assert_allclose(sweep.groups["steps"] * sweep.batch_sizes, sweep.examples)


def _sweep_equal(a, b):
    assert a.batch_sizes.tolist() == b.batch_sizes.tolist() and a.examples == b.examples
    for name in a.optimizers:
        assert a.metrics[name].keys() == b.metrics[name].keys()
        for key, values in a.metrics[name].items():
            np.testing.assert_array_equal(values, b.metrics[name][key], err_msg=f"{name} {key}")
    for key, values in a.groups.items():
        np.testing.assert_array_equal(values, b.groups[key], err_msg=key)


@pytest.mark.parametrize("batch", [1, 4])
def test_sweep_uses_a_run_already_made_for_its_batch_size(monkeypatch, batch):
    data = two_groups(n=1024)
    sizes = (1, 4, 16)
    plain = sp.batch_sweep(data, batch_sizes=sizes, hparams=LRS)
    # the page's run: recorded at 200 points, and training a third optimizer alongside
    run = sp.simulate(
        data,
        batch_size=batch,
        optimizers=("sgd", "adagrad", "rmsprop"),
        hparams={**LRS, "rmsprop": {"lr": 0.01}},
    )
    calls = []
    simulate = sp.simulate
    monkeypatch.setattr(sp, "simulate", lambda *a, **kw: calls.append(kw) or simulate(*a, **kw))
    reused = sp.batch_sweep(data, batch_sizes=sizes, hparams=LRS, runs=(run,))
    assert sorted(kw["batch_size"] for kw in calls) == [b for b in sizes if b != batch]
    _sweep_equal(reused, plain)


@pytest.mark.parametrize(
    ("make_run", "why"),
    [
        (lambda d: sp.simulate(d, batch_size=4, hparams={**LRS, "sgd": {"lr": 0.06}}), "lr"),
        (lambda d: sp.simulate(d, batch_size=4, optimizers=("adagrad",), hparams={}), "sgd"),
        (lambda d: sp.simulate(two_groups(seed=1, n=1024), batch_size=4, hparams=LRS), "seed"),
        (lambda d: sp.simulate(d.head(1000), batch_size=4, hparams=LRS), "examples"),
        (lambda d: sp.simulate(d, batch_size=4, hparams=LRS), "sweep uses 960"),
    ],
)
def test_sweep_ignores_a_run_of_other_training(monkeypatch, make_run, why):
    data = two_groups(n=1024 if why != "sweep uses 960" else 1000)
    run = make_run(data)
    calls = []
    simulate = sp.simulate
    monkeypatch.setattr(sp, "simulate", lambda *a, **kw: calls.append(kw) or simulate(*a, **kw))
    reused = sp.batch_sweep(data, batch_sizes=(1, 4, 64), hparams=LRS, runs=(run,))
    assert sorted(kw["batch_size"] for kw in calls) == [1, 4, 64], why
    monkeypatch.setattr(sp, "simulate", simulate)
    _sweep_equal(reused, sp.batch_sweep(data, batch_sizes=(1, 4, 64), hparams=LRS))


def test_sweep_sgd_step_shrinks_with_b_adagrad_step_does_not():
    sweep = sp.batch_sweep(two_groups(n=4096), batch_sizes=(1, 4, 16, 64), hparams=LRS)
    sgd, ada = sweep.metrics["sgd"]["rare_step"], sweep.metrics["adagrad"]["rare_step"]
    assert np.all(np.diff(sgd) < 0) and sgd[0] / sgd[-1] > 10
    assert ada.max() / ada.min() < 2
    assert np.all(sweep.metrics["sgd"]["eff_lr_ratio"] == 1.0)


# --- SGD at many rates at once ----------------------------------------------------------------


@pytest.mark.parametrize(("preset", "batch"), [("two_groups", 1), ("zipf", 8), ("two_groups", 64)])
def test_sgd_rate_sweep_is_simulate_at_each_rate(preset, batch):
    """One vectorised run per rate gives simulate's SGD exactly: final errors, the recorded
    histories, and the step a diverged run was stopped at (its history frozen there)."""
    data = sp.make_data(sp.feature_probs(preset, n_features=60), n_examples=2048, seed=3)
    lrs = (0.01, 0.05, 0.2, 0.9, 3.0, 20.0)
    rates = sp.sgd_rate_sweep(data, batch_size=batch, lrs=lrs)
    assert rates.diverged.any() and not rates.diverged.all()  # both kinds are checked
    for i, lr in enumerate(lrs):
        run = sp.simulate(data, batch_size=batch, optimizers=("sgd",), hparams={"sgd": {"lr": lr}})
        np.testing.assert_array_equal(rates.record_steps, run.record_steps)
        err = np.abs(run.w["sgd"] - run.w_true)
        rare, freq = run.groups
        np.testing.assert_allclose(rates.rare_history[:, i], err[:, rare].mean(1), atol=1e-12)
        np.testing.assert_allclose(rates.frequent_history[:, i], err[:, freq].mean(1), atol=1e-12)
        stop = run.diverged_at["sgd"]
        assert rates.diverged[i] == (stop is not None)
        assert rates.stopped_at[i] == (-1 if stop is None else stop)
        if stop is None:
            s = sp.summarize(run)["sgd"]
            assert rates.rare_error[i] == pytest.approx(s["rare_error"], abs=1e-12)
        else:
            assert np.isnan(rates.rare_error[i])


def test_the_best_rate_has_the_lowest_mean_of_the_two_groups_errors():
    data = sp.make_data(sp.feature_probs("two_groups", n_features=60), n_examples=2048)
    rates = sp.sgd_rate_sweep(data, batch_size=1)
    ok = ~rates.diverged
    score = (rates.rare_error + rates.frequent_error) / 2
    assert rates.best == int(np.flatnonzero(ok)[np.argmin(score[ok])])
    with pytest.raises(ValueError, match="lrs"):
        sp.sgd_rate_sweep(data, batch_size=1, lrs=())
    with pytest.raises(ValueError, match="lr"):
        sp.sgd_rate_sweep(data, batch_size=1, lrs=(0.1, -1.0))
    gone = sp.sgd_rate_sweep(data, batch_size=1, lrs=(50.0,))
    assert gone.best is None and gone.diverged.all()
