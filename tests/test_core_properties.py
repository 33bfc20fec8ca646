"""Closed-form facts and invariants of the core, checked with hypothesis."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from adagrad_core import OPTIMIZERS, SURFACES, run

SETTINGS = settings(max_examples=40, deadline=None)

# Options that switch on each optimizer's extra branches, so the invariants cover them too.
BRANCHY = {
    "sgd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "adagrad": {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01},
    "rmsprop": {"centered": True, "momentum": 0.5},
    "adadelta": {"rho": 0.8, "weight_decay": 0.01},
    "adam": {"amsgrad": True, "weight_decay": 0.01},
    "adamw": {"amsgrad": True},
    "adagrad_full": {"initial_accumulator_value": 0.1, "weight_decay": 0.01},
}

lrs = st.floats(1e-3, 1.0)
surfaces = st.sampled_from(sorted(SURFACES))


@st.composite
def starts(draw, tidy: bool = False):
    """(surface name, starts of shape (n, 2) inside its plotting bounds).

    ``tidy`` rounds coordinates to 6 decimals: no 1e-160 starts whose gradients underflow to
    subnormals, where even an exact-in-theory identity rounds differently.
    """
    name = draw(surfaces)
    (x0, x1), (y0, y1) = SURFACES[name].bounds
    n = draw(st.integers(1, 4))
    fx, fy = st.floats(x0, x1), st.floats(y0, y1)
    if tidy:
        fx, fy = fx.map(lambda v: round(v, 6)), fy.map(lambda v: round(v, 6))
    xs = draw(st.lists(fx, min_size=n, max_size=n))
    ys = draw(st.lists(fy, min_size=n, max_size=n))
    return name, np.column_stack([xs, ys])


# Gradients bounded away from 0, either sign, shape (n, d).
away_from_zero = st.floats(1e-3, 1e3).flatmap(lambda m: st.sampled_from([m, -m]))
grad_arrays = st.tuples(st.integers(1, 4), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=away_from_zero)
)


def constant(g: np.ndarray):
    return lambda x: np.broadcast_to(g, x.shape).copy()


@SETTINGS
@given(
    g=grad_arrays,
    lr=st.floats(1e-4, 10.0),
    lr_decay=st.floats(0.0, 10.0),
    placement=st.sampled_from(["outside", "inside"]),
)
def test_first_adagrad_step_is_lr_times_sign(g, lr, lr_decay, placement):
    # Accumulator 0 and eps tiny: G_1 = g^2, so the step is lr * g / |g|. lr_decay only acts from
    # step 2 on (torch: lr / (1 + (t - 1) * lr_decay)).
    x0 = np.linspace(-1.0, 1.0, g.size).reshape(g.shape)
    traj = run(
        "adagrad", constant(g), x0, 1, lr=lr, lr_decay=lr_decay, eps=1e-14, eps_placement=placement
    )
    np.testing.assert_allclose(traj.updates[0], -lr * np.sign(g), rtol=1e-8)
    moved = np.abs(traj.params[1] - (x0 - lr * np.sign(g)))
    assert np.all(moved <= 1e-8 * (np.abs(x0) + lr))
    np.testing.assert_allclose(traj.state["sum"][0], g * g, rtol=1e-15)


@SETTINGS
@given(
    g=grad_arrays,
    acc=st.floats(0.0, 1.0),
    eps=st.sampled_from([0.0, 1e-10, 0.1]),
    placement=st.sampled_from(["outside", "inside"]),
)
def test_adagrad_returns_its_denominator(g, acc, eps, placement):
    # The one divisor of the rule, √G + ε or √(G + ε), from the core (callers never recompute it).
    opt = OPTIMIZERS["adagrad"]
    state = opt.init(np.zeros_like(g), initial_accumulator_value=acc)
    kw = {"lr": 0.5, "lr_decay": 0.0, "weight_decay": 0.0, "maximize": False}
    kw.update(eps=eps, eps_placement=placement)
    _, new, extras = opt.update(g, state, np.zeros_like(g), **kw)
    G = acc + g * g
    want = np.sqrt(G) + eps if placement == "outside" else np.sqrt(G + eps)
    np.testing.assert_array_equal(extras["denom"], want)
    np.testing.assert_array_equal(new.sum, G)
    np.testing.assert_array_equal(extras["eff_lr"], 0.5 / extras["denom"])


@SETTINGS
@given(g=grad_arrays, lr=st.floats(1e-4, 10.0), steps=st.integers(1, 200))
def test_constant_gradient_step_t_is_lr_over_sqrt_t(g, lr, steps):
    traj = run("adagrad", constant(g), np.zeros_like(g), steps, lr=lr, eps=0.0)
    t = np.arange(1, steps + 1).reshape(-1, *([1] * g.ndim))
    expected = np.broadcast_to(lr / np.sqrt(t), traj.updates.shape)
    np.testing.assert_allclose(np.abs(traj.updates), expected, rtol=1e-12)
    assert np.all(np.sign(traj.updates) == -np.sign(g))


@SETTINGS
@given(
    start=starts(),
    lr=lrs,
    lr_decay=st.floats(0.0, 1.0),
    acc=st.floats(0.0, 1.0),
    eps=st.sampled_from([0.0, 1e-10, 1e-6, 0.1]),
    placement=st.sampled_from(["outside", "inside"]),
    weight_decay=st.floats(0.0, 0.1),
)
def test_adagrad_effective_lr_never_increases(
    start, lr, lr_decay, acc, eps, placement, weight_decay
):
    name, x0 = start
    assume(acc > 0 or eps > 0 or np.all(SURFACES[name].grad(x0) != 0))
    traj = run(
        "adagrad",
        SURFACES[name].grad,
        x0,
        60,
        lr=lr,
        lr_decay=lr_decay,
        initial_accumulator_value=acc,
        eps=eps,
        eps_placement=placement,
        weight_decay=weight_decay,
    )
    assert np.all(np.diff(traj.eff_lr, axis=0) <= 0)
    assert np.all(np.diff(traj.state["sum"], axis=0) >= 0)


def test_rmsprop_effective_lr_can_increase():
    """Control for the test above: a moving average (RMSprop) does let the rate grow again."""
    s = SURFACES["quadratic"]
    traj = run("rmsprop", s.grad, s.start, 60, lr=0.01)
    assert np.any(np.diff(traj.eff_lr, axis=0) > 0)


@SETTINGS
@given(start=starts(tidy=True), lr=st.floats(1e-3, 0.3), c=st.floats(1e-3, 1e3))
def test_adagrad_path_is_invariant_to_gradient_scale(start, lr, c):
    # Exact in real arithmetic; in floats c*g rounds, so paths agree to rounding. lr stays <= 0.3:
    # with steps ~1 on Rosenbrock the dynamics are chaotic and amplify any rounding difference.
    name, x0 = start
    grad = SURFACES[name].grad
    base = run("adagrad", grad, x0, 40, lr=lr, eps=0.0)
    assume(base.diverged_at is None)  # eps = 0 and an exactly zero gradient give 0/0
    scaled = run("adagrad", lambda x: c * grad(x), x0, 40, lr=lr, eps=0.0)
    assert scaled.diverged_at is None
    np.testing.assert_allclose(scaled.params, base.params, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scaled.eff_lr * c, base.eff_lr, rtol=1e-9)


@SETTINGS
@given(start=starts(tidy=True), lr=st.floats(1e-3, 3.0), k=st.integers(-10, 10))
def test_adagrad_path_is_bit_identical_under_power_of_two_gradient_scale(start, lr, k):
    # c = 2**k scales g, g*g, sqrt(G) and g / sqrt(G) exactly, so nothing rounds differently
    # (except among subnormal numbers, below 2.2e-308, where scaling drops bits).
    name, x0 = start
    grad = SURFACES[name].grad
    c = 2.0**k
    base = run("adagrad", grad, x0, 40, lr=lr, eps=0.0)
    scaled = run("adagrad", lambda x: c * grad(x), x0, 40, lr=lr, eps=0.0)
    np.testing.assert_allclose(scaled.params, base.params, rtol=0, atol=1e-300)
    np.testing.assert_array_equal(scaled.diverged_each, base.diverged_each)


def test_sgd_path_does_depend_on_gradient_scale():
    """Control for the test above: plain SGD is not scale invariant."""
    s = SURFACES["quadratic"]
    base = run("sgd", s.grad, s.start, 40, lr=0.01)
    scaled = run("sgd", lambda x: 3.0 * s.grad(x), s.start, 40, lr=0.01)
    assert not np.allclose(scaled.params, base.params, rtol=1e-9, atol=1e-9)


def _assert_same_run(a, b):
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.grads, b.grads)
    np.testing.assert_array_equal(a.updates, b.updates)
    np.testing.assert_array_equal(a.eff_lr, b.eff_lr)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.state.keys() == b.state.keys()
    for k in a.state:
        np.testing.assert_array_equal(a.state[k], b.state[k], err_msg=k)
    np.testing.assert_array_equal(a.diverged_each, b.diverged_each)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@SETTINGS
@given(start=starts(), lr=st.floats(1e-3, 3.0), branchy=st.booleans())
def test_batched_run_equals_separate_runs(optimizer, start, lr, branchy):
    # lr up to 3 lets some starts diverge: their masking must not touch the others.
    name, x0 = start
    s = SURFACES[name]
    hp = {"lr": lr, **(BRANCHY[optimizer] if branchy else {})}
    batch = run(optimizer, s.grad, x0, 30, loss_fn=s.value, **hp)
    assert batch.params.shape == (31, *x0.shape)
    for i, row in enumerate(x0):
        alone = run(optimizer, s.grad, row, 30, loss_fn=s.value, **hp)
        sliced = type(batch)(
            optimizer=batch.optimizer,
            hparams=batch.hparams,
            params=batch.params[:, i],
            grads=batch.grads[:, i],
            updates=batch.updates[:, i],
            eff_lr=batch.eff_lr[:, i],
            state={k: v[:, i] for k, v in batch.state.items()},
            loss=batch.loss[:, i],
            diverged_each=batch.diverged_each[i],
            bound=batch.bound,
        )
        _assert_same_run(sliced, alone)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@SETTINGS
@given(start=starts(), branchy=st.booleans())
def test_run_never_mutates_x0(optimizer, start, branchy):
    name, x0 = start
    before = x0.copy()
    hp = {"lr": 0.05, **(BRANCHY[optimizer] if branchy else {})}
    traj = run(optimizer, SURFACES[name].grad, x0, 5, **hp)
    np.testing.assert_array_equal(x0, before)
    traj.params[0] += 1.0  # the history owns its memory
    np.testing.assert_array_equal(x0, before)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@SETTINGS
@given(
    data=st.data(),
    shape=st.sampled_from([(2,), (3, 2), (4, 5)]),
    steps=st.integers(0, 4),
)
def test_update_is_pure(optimizer, data, shape, steps):
    """Calling update twice on one state gives one answer, and the state is left untouched."""
    opt = OPTIMIZERS[optimizer]
    init_kw, kw = opt.split(opt.resolve({"lr": 0.1, **BRANCHY[optimizer]}))
    elems = st.floats(-10, 10)
    params = data.draw(arrays(np.float64, shape, elements=elems))
    state = opt.init(params, **init_kw)
    for _ in range(steps):  # reach a state with non-trivial buffers
        g = data.draw(arrays(np.float64, shape, elements=elems))
        upd, state, _ = opt.update(g, state, params, **kw)
        params = params + upd
    g = data.draw(arrays(np.float64, shape, elements=elems))
    state_before = copy.deepcopy(state)
    g_before, params_before = g.copy(), params.copy()

    upd1, new1, ext1 = opt.update(g, state, params, **kw)
    upd2, new2, ext2 = opt.update(g, state, params, **kw)

    np.testing.assert_array_equal(upd1, upd2)
    np.testing.assert_array_equal(ext1["eff_lr"], ext2["eff_lr"])
    for f1, f2 in zip(new1, new2, strict=True):
        np.testing.assert_array_equal(f1, f2)
    for f, f0 in zip(state, state_before, strict=True):
        np.testing.assert_array_equal(f, f0)
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_array_equal(params, params_before)
    assert new1.step == state.step + 1
