"""Divergence: a run stops a start at its first bad step and never hands NaN to a chart."""

from __future__ import annotations

import numpy as np
import pytest

from adagrad_core import DEFAULT_BOUND, SURFACES, divergence, run, sparse
from adagrad_core.racers import KNOBS, RACERS, diverge_bound, race

ROSEN = SURFACES["rosenbrock"]


def _histories(traj):
    yield "params", traj.params
    yield "grads", traj.grads
    yield "updates", traj.updates
    yield "eff_lr", traj.eff_lr
    yield "loss", traj.loss
    for k, v in traj.state.items():
        yield f"state[{k}]", v


def _assert_clean(traj):
    for name, a in _histories(traj):
        assert np.isfinite(a).all(), name
    assert np.abs(traj.params).max() <= traj.bound


@pytest.mark.parametrize("bound", [DEFAULT_BOUND, 10.0])
def test_sgd_on_rosenbrock_with_large_lr_diverges_cleanly(bound):
    traj = run("sgd", ROSEN.grad, ROSEN.start, 200, lr=0.1, loss_fn=ROSEN.value, bound=bound)
    t = traj.diverged_at
    assert isinstance(t, int) and 1 <= t <= 200
    _assert_clean(traj)
    # t is the *first* bad step: the plain SGD step from params[t - 1] leaves the bound ...
    assert np.all(np.abs(traj.params[:t]) <= bound)
    x = traj.params[t - 1]
    bad = x - 0.1 * ROSEN.grad(x)
    assert not (np.isfinite(bad).all() and np.abs(bad).max() <= bound)
    # ... and every step before it was taken as usual.
    for s in range(t - 1):
        expected = traj.params[s] - 0.1 * ROSEN.grad(traj.params[s])
        np.testing.assert_array_equal(traj.params[s + 1], expected)
    # From t on the start is frozen at its last finite point with zero updates.
    assert np.all(traj.params[t:] == traj.params[t - 1])
    assert np.all(traj.updates[t - 1 :] == 0)
    assert traj.params.shape == (201, 2) and traj.loss.shape == (201,)


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adagrad_full"])
def test_runaway_run_never_produces_nan(optimizer):
    # Ascent (maximize) on the quartic Rosenbrock with a huge step runs off to infinity
    # (adaptive methods move about lr per step, so lr must be large to leave the bound).
    kw = dict(lr=1e4, maximize=True, loss_fn=ROSEN.value, bound=1e5)
    traj = run(optimizer, ROSEN.grad, ROSEN.start, 500, **kw)
    assert traj.diverged_at is not None
    _assert_clean(traj)


def test_non_finite_gradient_stops_the_run():
    def grad(x):
        g = 0.2 * x
        return np.where(np.abs(x) < 1.0, np.nan, g)  # poisoned near the origin

    traj = run("sgd", grad, [[4.0, 4.0], [40.0, 40.0]], 30, lr=0.5)
    assert traj.diverged_each.tolist()[1] == -1
    t = traj.diverged_each[0]
    assert t > 0 and traj.diverged_at == t
    assert np.isfinite(traj.grads).all() and np.isfinite(traj.params).all()
    assert np.all(np.abs(traj.params[t - 1, 0]) < 1.0)


def test_only_the_diverging_start_is_stopped():
    starts = np.array([[0.0, 0.0], [0.5, 0.2], [-2.0, -1.0], [1.1, 1.2]])
    kw = dict(lr=2e-3, loss_fn=ROSEN.value)
    batch = run("sgd", ROSEN.grad, starts, 200, **kw)
    assert batch.diverged_each.tolist() == [-1, -1, batch.diverged_at, -1]
    assert isinstance(batch.diverged_at, int)
    _assert_clean(batch)
    for i, x0 in enumerate(starts):
        alone = run("sgd", ROSEN.grad, x0, 200, **kw)
        assert alone.diverged_each == batch.diverged_each[i]
        for (name, a), (_, b) in zip(_histories(batch), _histories(alone), strict=True):
            np.testing.assert_array_equal(a[:, i], b, err_msg=f"start {i}: {name}")
    # the healthy starts really ran all 200 steps (they moved right to the end)
    healthy = [0, 1, 3]
    assert np.all(batch.params[-1, healthy] != batch.params[-2, healthy])


def test_every_start_diverging_keeps_full_length_histories():
    starts = np.array([[-2.0, -1.0], [1.9, -0.9]])
    traj = run("sgd", ROSEN.grad, starts, 50, lr=0.1, loss_fn=ROSEN.value)
    assert np.all(traj.diverged_each > 0)
    assert traj.params.shape == (51, 2, 2) and traj.grads.shape == (50, 2, 2)
    _assert_clean(traj)
    last = traj.diverged_each.max()
    assert np.all(traj.params[last:] == traj.params[last - 1])


def test_overflowing_state_alone_stops_the_run():
    # g = 1e200 is finite but g*g overflows: Adagrad's accumulator becomes inf while the
    # parameters stay finite (the step is g / inf = 0). The run must still stop there.
    huge = np.array([1e200, 1.0])
    traj = run("adagrad", lambda x: np.broadcast_to(huge, x.shape).copy(), [[0.0, 0.0]], 5)
    assert traj.diverged_each.tolist() == [1]
    for name, a in _histories(traj):
        if a is not None:
            assert np.isfinite(a).all(), name


def test_non_finite_loss_stops_the_run():
    # A finite point whose loss is not finite (log of a negative number) is a stop too.
    traj = run(
        "sgd",
        lambda x: np.ones_like(x),
        [[2.5, 0.0], [9.5, 0.0]],
        8,
        lr=1.0,
        loss_fn=lambda p: np.log(p[..., 0]),
    )
    # x1 goes 2.5, 1.5, 0.5, -0.5: log is NaN after step 3; the second start never gets there.
    assert traj.diverged_each.tolist() == [3, -1]
    assert np.isfinite(traj.loss).all()
    assert traj.params[-1, 0].tolist() == [0.5, -2.0]  # frozen after two good steps


# --- the one rule (adagrad_core.divergence) and the callers that use it ----------------------


def test_the_rule_counts_non_finite_and_out_of_bound_rows():
    x = np.array([[1.0, -4.0], [4.0000001, 0.0], [np.nan, 0.0], [0.0, -np.inf], [-4.0, 4.0]])
    assert divergence.escaped(x, 4.0).tolist() == [False, True, True, True, False]
    assert divergence.inside(x[[0, 4]], 4.0) and not divergence.inside(x[:3], 4.0)
    assert divergence.first_stop(np.array([[0, 0], [0, 1], [1, 1]], bool)).tolist() == [3, 2]
    assert divergence.last_good(np.array([3, -1]), 10).tolist() == [2, 10]
    assert divergence.last_good(None, 10) == 10


@pytest.mark.parametrize("bound", [1e-3, 1.5, 1e3, 1e149])
def test_the_quick_screen_never_hides_an_escape(bound):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(2000, 6))
    # scale each row so its sum of squares sits just under the screen
    w *= np.sqrt(divergence.screen(bound) / (w * w).sum(1))[:, None] * (1 - 1e-12)
    assert ((w * w).sum(1) <= divergence.screen(bound)).all()
    assert not divergence.escaped(w, bound).any()
    assert divergence.screen(1e200) == -np.inf  # the square would overflow: always look


def test_runner_keeps_the_exit_point_and_the_last_good_step():
    traj = run("sgd", ROSEN.grad, [[-2.0, -1.0], [1.0, 1.0]], 50, lr=0.1, bound=10.0)
    t = int(traj.diverged_each[0])
    assert traj.diverged_each[1] == -1
    assert traj.last_each.tolist() == [t - 1, 50] and traj.last == t - 1
    x = traj.params[t - 1, 0]
    np.testing.assert_array_equal(traj.exit_each[0], x - 0.1 * ROSEN.grad(x))  # past the bound
    assert np.abs(traj.exit_each[0]).max() > 10.0
    assert np.isnan(traj.exit_each[1]).all()  # never stopped


def test_a_stop_for_a_non_finite_value_keeps_no_exit_point():
    traj = run("sgd", lambda x: np.where(np.abs(x) < 1.0, np.nan, 0.2 * x), [4.0, 4.0], 30, lr=0.5)
    assert traj.diverged_at is not None
    assert np.isnan(traj.exit_each).all()


def _stream_grad(data):
    X, y = data.X.astype(float), data.y
    examples = iter(range(data.n_examples))

    def grad(w):
        k = next(examples)  # one example per step, as simulate(batch_size=1) takes them
        return (X[k] @ w - y[k]) * X[k]

    return grad


@pytest.mark.parametrize(("lr", "bound"), [(1.5, 1e3), (3.0, 1e3), (1.5, 20.0), (0.01, 1e3)])
def test_runner_race_and_sparse_stop_at_the_same_step(lr, bound):
    """The same SGD on the same example stream: the runner, simulate and sgd_rate_sweep apply
    one rule, so they stop at the same step with the same last good weights."""
    data = sparse.make_data(sparse.feature_probs("two_groups", n_features=10), n_examples=600)
    d = data.X.shape[1]
    traj = run("sgd", _stream_grad(data), np.zeros(d), data.n_examples, lr=lr, bound=bound)
    sim = sparse.simulate(
        data, batch_size=1, optimizers=("sgd",), hparams={"sgd": {"lr": lr}}, bound=bound
    )
    rates = sparse.sgd_rate_sweep(data, batch_size=1, lrs=[lr], bound=bound)
    stop = sim.diverged_at["sgd"]
    assert (stop is not None) == (lr > 1)  # both kinds are checked
    assert traj.diverged_at == stop == (None if rates.stopped_at[0] < 0 else rates.stopped_at[0])
    np.testing.assert_allclose(sim.w["sgd"][-1], traj.params[traj.last], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(traj.params[-1], traj.params[traj.last])
    if stop is not None:  # the stopping step's weights break the rule, the ones before do not
        assert divergence.escaped(traj.exit_each, bound)
        assert not divergence.escaped(traj.params[: traj.last + 1], bound).any()


@pytest.mark.parametrize("surface", ["rosenbrock", "beale", "quadratic"])
@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_race_takes_the_runners_stop(surface, scale):
    s = SURFACES[surface]
    keys = ["sgd", "adagrad", "adam"]
    lrs = {k: RACERS[k].lr(surface) * scale for k in keys}
    runs = race(surface, keys, lrs, KNOBS, s.start, 80)
    for k in keys:
        hp = RACERS[k].hparams(lrs[k], KNOBS)
        t = run(RACERS[k].optimizer, s.grad, s.start, 80, loss_fn=s.value,
                bound=diverge_bound(s), **hp)  # fmt: skip
        r = runs[k]
        assert r.diverged_at == t.diverged_at and r.last == t.last
        np.testing.assert_array_equal(r.params, t.params)
        np.testing.assert_array_equal(r.eff_lr, t.eff_lr)
        np.testing.assert_array_equal(r.updates, t.updates)
        assert (r.exit_point is None) == (t.diverged_at is None)
