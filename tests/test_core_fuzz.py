"""Hypothesis throws hostile arguments at the core: every call is refused with ValueError or
returns finite histories (divergence flagged, never NaN), and no other exception escapes.

Time is bounded by construction, not measured: whatever a call accepts fits under the core's
caps (steps, steps x starts, features, examples, expression size), and a request beyond a cap
is refused before any work is done.
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adagrad_core import MAX_ELEMENTS, MAX_STEPS, OPTIMIZERS, SURFACES, run, sparse
from adagrad_core import expr as E

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies --------------------------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 1e-300, math.nan, math.inf, -math.inf]
nasty_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL),
    st.floats(min_value=-10, max_value=10),
)
huge_int = st.one_of(st.integers(-(10**400), 10**400), st.sampled_from([2**63, -(2**63), 10**309]))
wrong_type = st.sampled_from(
    [
        None,
        "0.1",
        "nan",
        "",
        "adagrad",
        [],
        [0.1],
        {},
        {"lr": 1},
        (0.9,),
        (0.9, 0.99, 0.999),
        True,
        False,
        b"1",
        np.complex128(1 + 1j),
        np.float32(np.inf),
        np.float16(np.nan),
        np.int64(-3),
        np.int8(5),
        np.array([0.1, 0.2]),
        np.bool_(True),
        object(),
        1j,
    ]
)
pair = st.tuples(st.one_of(nasty_float, huge_int), st.one_of(nasty_float, huge_int))
hp_value = st.one_of(
    nasty_float, huge_int, wrong_type, pair, st.sampled_from(["inside", "outside"])
)
HP_KEYS = sorted({k for o in OPTIMIZERS.values() for k in o.defaults})
hp_key = st.one_of(
    st.sampled_from(HP_KEYS), st.sampled_from(["LR", "lr ", "", "beta1", "__class__"])
)
hparams = st.dictionaries(hp_key, hp_value, max_size=4)
opt_name = st.one_of(
    st.sampled_from(sorted(OPTIMIZERS)),
    st.sampled_from(["", "Adagrad", "adagrad ", "torch.optim.Adagrad", "__import__('os')"]),
    st.sampled_from([None, 3, 1.5, ["adagrad"], ("adagrad",), {"adagrad": 1}]),
)
small_steps = st.integers(0, 40)
steps_arg = st.one_of(
    small_steps,
    small_steps,
    st.integers(-(10**6), -1),
    st.integers(MAX_STEPS + 1, 10**12),
    huge_int,
    st.sampled_from([1.0, 10.0, 2.5, "10", None, True, np.int64(5), np.float64(5.0), [5]]),
)
coord = st.one_of(nasty_float, st.floats(-5, 5), st.floats(-5, 5))
x0_arg = st.one_of(
    st.tuples(coord, coord).map(list),
    st.lists(st.tuples(coord, coord).map(list), min_size=1, max_size=4),
    st.lists(coord, max_size=4),
    st.sampled_from([[], [[]], [[1.0, 2.0], [3.0]], "1,2", None, [[[1.0, 2.0]]], ["a", "b"]]),
    st.sampled_from([[10**400, 1.0], [1.0, 2.0, 3.0], np.zeros((3, 2)), np.ones(2, dtype=int)]),
)
bound_arg = st.one_of(
    st.just(1e6), st.just(1e6), nasty_float, huge_int, st.sampled_from([0, -1, None, "1e6"])
)


def _all_finite(traj) -> bool:
    arrays = [traj.params, traj.grads, traj.updates, traj.eff_lr, *traj.state.values()]
    if traj.loss is not None:
        arrays.append(traj.loss)
    return all(np.isfinite(np.asarray(a, dtype=float)).all() for a in arrays)


# --- runner.run --------------------------------------------------------------------------------


@FUZZ
@given(
    surface=st.sampled_from(sorted(SURFACES)),
    optimizer=opt_name,
    hp=hparams,
    x0=x0_arg,
    steps=steps_arg,
    bound=bound_arg,
)
def test_run_refuses_or_returns_finite_history(surface, optimizer, hp, x0, steps, bound):
    s = SURFACES[surface]
    try:
        traj = run(optimizer, s.grad, x0, steps, loss_fn=s.value, bound=bound, **hp)
    except ValueError as err:
        assert str(err)  # a message that says what was wrong
        return
    x = np.asarray(x0, dtype=float)
    # Bounded by construction: anything accepted is within the caps.
    assert isinstance(steps, int | np.integer) and 0 <= steps <= MAX_STEPS
    assert steps * x.size <= MAX_ELEMENTS
    assert traj.params.shape == (steps + 1, *x.shape)
    # A start may begin outside the bound (or where the loss overflows); the runner stops it
    # at step 1, so only row 0 of its history may be out of range.
    start_ok = np.isfinite(traj.loss[0]) & (np.abs(x).max(-1) <= traj.bound)
    assert np.isfinite(traj.loss[1:][:, start_ok]).all(), "a chart would receive NaN"
    assert _all_finite(dataclasses.replace(traj, loss=None)), "a chart would receive NaN"
    inside = np.abs(traj.params[1:]).max(-1) <= traj.bound
    stopped = traj.diverged_each >= 0
    assert (inside.all(0) | stopped).all(), "a start left the bound and was not flagged"
    assert steps == 0 or (stopped | start_ok).all()
    if traj.diverged_at is not None:
        assert 1 <= traj.diverged_at <= steps


@FUZZ
@given(optimizer=st.sampled_from(sorted(OPTIMIZERS)), key=st.sampled_from(HP_KEYS), value=hp_value)
def test_one_bad_hyperparameter(optimizer, key, value):
    """One key at a time, so each validator meets every hostile value."""
    s = SURFACES["rosenbrock"]
    try:
        traj = run(optimizer, s.grad, s.start, 25, loss_fn=s.value, **{key: value})
    except ValueError as err:
        assert key in str(err) or "Unknown" in str(err) or "nesterov" in str(err)
        return
    assert key in OPTIMIZERS[optimizer].defaults
    assert _all_finite(traj)


@pytest.mark.parametrize("steps", [MAX_STEPS + 1, 10**9, 10**400])
def test_steps_beyond_the_cap_are_refused(steps):
    with pytest.raises(ValueError, match="steps"):
        run("adagrad", SURFACES["quadratic"].grad, [1.0, 1.0], steps)


def test_many_starts_times_steps_are_refused_before_running():
    # 20 000 steps x 100 starts x 2 coordinates = 4e6 values > MAX_ELEMENTS.
    x0 = np.zeros((100, 2))
    with pytest.raises(ValueError, match="too large"):
        run("adagrad", SURFACES["quadratic"].grad, x0, MAX_STEPS)


# --- sparse.make_data / simulate ---------------------------------------------------------------

prob = st.one_of(st.floats(1e-4, 1.0), nasty_float, huge_int)
probs_arg = st.one_of(
    st.lists(prob, min_size=1, max_size=6),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6),
    st.sampled_from([[], [[0.5]], "0.5", None, [0.5] * (sparse.MAX_FEATURES + 1), ["a"]]),
)
int_arg = st.one_of(st.integers(-3, 300), huge_int, wrong_type, nasty_float)
sparse_opts = st.one_of(
    st.lists(st.sampled_from(sorted(OPTIMIZERS)), min_size=0, max_size=3),
    st.lists(st.sampled_from(["sgd", "adagrad", "SGD", "", "momentum"]), max_size=3),
    st.sampled_from([None, "sgd", 3]),
)


@FUZZ
@given(
    probs=probs_arg,
    n=st.one_of(st.integers(1, 400), int_arg),
    model=st.one_of(st.sampled_from(sparse.MODELS), st.sampled_from(["", "Linear", None, 1])),
    noise=st.one_of(st.floats(0, 0.5), nasty_float, huge_int, wrong_type),
    seed=st.one_of(st.integers(0, 2**32 - 1), int_arg),
    batch=int_arg,
    optimizers=sparse_opts,
    lr=st.one_of(st.floats(1e-4, 10.0), nasty_float, huge_int, wrong_type),
    max_records=st.one_of(st.integers(1, 250), int_arg),
)
def test_sparse_simulate_refuses_or_is_finite(
    probs, n, model, noise, seed, batch, optimizers, lr, max_records
):
    try:
        data = sparse.make_data(probs, n_examples=n, model=model, noise=noise, seed=seed)
    except ValueError as err:
        assert str(err)
        return
    assert 1 <= data.X.shape[1] <= sparse.MAX_FEATURES
    assert 1 <= data.n_examples <= sparse.MAX_EXAMPLES
    names = optimizers if isinstance(optimizers, list) else optimizers
    try:
        hp = {name: {"lr": lr} for name in names} if isinstance(names, list) else None
    except TypeError:  # unhashable names cannot even be dict keys: nothing to send
        return
    try:
        out = sparse.simulate(
            data, batch_size=batch, optimizers=optimizers, hparams=hp, max_records=max_records
        )
    except ValueError as err:
        assert str(err)
        return
    assert len(out.record_steps) <= sparse.MAX_RECORDS + 1
    for name in out.optimizers:
        for arr in (out.w[name], out.eff_lr[name], out.loss[name], out.abs_step[name]):
            assert np.isfinite(arr).all(), f"{name}: non-finite history"
        assert np.isfinite(out.mean_sq_residual[name]) or out.diverged_at[name] is not None
        if out.diverged_at[name] is None:
            assert np.abs(out.w[name]).max() <= sparse.DEFAULT_BOUND
    if out.accum is not None:
        assert np.isfinite(out.accum).all()


@FUZZ
@given(
    preset=st.one_of(st.sampled_from(sparse.PRESETS), st.sampled_from(["", "Zipf", None])),
    n_features=int_arg,
    exponent=st.one_of(st.floats(0, 3), nasty_float, huge_int, wrong_type),
    p=st.one_of(st.floats(0, 1), nasty_float, huge_int, wrong_type),
)
def test_feature_probs_refuses_or_is_valid(preset, n_features, exponent, p):
    kwargs = {
        "zipf": {"n_features": n_features, "exponent": exponent, "p_max": p},
        "two_groups": {"n_features": n_features, "p_rare": p, "rare_share": exponent},
        "custom": {"probs": [p, exponent]},
    }.get(preset, {"n_features": n_features})
    try:
        probs = sparse.feature_probs(preset, **kwargs)
    except ValueError as err:
        assert str(err)
        return
    checked = sparse.check_probs(probs)  # a valid preset passes its own check unchanged
    np.testing.assert_array_equal(checked, probs)
    assert np.isfinite(probs).all() and (probs > 0).all() and (probs <= 1).all()
    assert 1 <= probs.size <= sparse.MAX_FEATURES


# --- expr.make_surface -------------------------------------------------------------------------

ATOMS = ["x", "y", "1", "0", "2.5", "1e308", "1e-308", "pi", "e", "nan", "inf", "-1", "0.0"]
FUNCS = ["sin", "cos", "exp", "log", "sqrt", "tanh", "abs", "tan", "eval", "__import__", "open"]
OPS = ["+", "-", "*", "/", "**", "//", "%", "@", "<", " and ", ","]


@st.composite
def expressions(draw, depth=0):
    """Mostly well-formed text from a grammar that includes forbidden and silly parts."""
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    kind = draw(st.sampled_from(["op", "call", "neg", "paren"]))
    if kind == "call":
        return f"{draw(st.sampled_from(FUNCS))}({draw(expressions(depth + 1))})"
    if kind == "neg":
        return f"-{draw(expressions(depth + 1))}"
    if kind == "paren":
        return f"({draw(expressions(depth + 1))})"
    op = draw(st.sampled_from(OPS))
    return f"{draw(expressions(depth + 1))}{op}{draw(expressions(depth + 1))}"


expr_text = st.one_of(
    expressions(),
    expressions(),
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "x" * 201,
            "(" * 100 + "x" + ")" * 100,
            "x" + "+x" * 200,
            "x**10**10",
            "exp(exp(exp(x)))",
            "x\x00",
            "__import__('os').system('true')",
            "().__class__.__bases__[0]",
            "lambda: x",
            "[x for x in y]",
            "x if y else 1",
            "x.real",
            "x[0]",
            "f'{x}'",
            "9" * 500,
            "1/0*x",
            "x**-1",
            "log(0*x)",
        ]
    ),
    wrong_type,
)
rng = st.one_of(st.floats(-10, 10), nasty_float, huge_int)
bounds_arg = st.one_of(
    st.just(E.DEFAULT_BOUNDS),
    st.tuples(st.tuples(rng, rng), st.tuples(rng, rng)),
    st.sampled_from([None, (), ((0, 1),), "((0,1),(0,1))", ((0, 1), (0, 1), (0, 1))]),
)
start_arg = st.one_of(st.none(), st.tuples(rng, rng), wrong_type)


@FUZZ
@given(text=expr_text, bounds=bounds_arg, start=start_arg)
def test_make_surface_refuses_or_runs(text, bounds, start):
    try:
        s = E.make_surface(text, bounds, start, estimate_min=False)
    except ValueError as err:
        assert str(err)
        return
    assert isinstance(text, str) and len(text) <= E.MAX_LENGTH
    # The shown text is rebuilt from the validated tree, and parses back to the same text.
    assert E.parse(s.label.removeprefix("f(x, y) = ")).text == s.label.removeprefix("f(x, y) = ")
    traj = run("adagrad", s.grad, s.start, 20, loss_fn=s.value, lr=0.5)
    # A surface may be undefined somewhere (log of a negative): the run stops there, finite.
    for a in (traj.params, traj.grads, traj.updates, traj.eff_lr, traj.state["sum"]):
        assert np.isfinite(a).all()


@settings(max_examples=60, deadline=None)
@given(text=expressions())
def test_estimated_minima_are_inside_the_box_and_equally_low(text):
    try:
        ex = E.parse(text)
    except ValueError:
        return  # refused text is covered above; most grammar draws are refused
    minima = E.estimate_minima(ex, E.DEFAULT_BOUNDS, n=41)
    assert len(minima) <= 8
    values = [float(ex.value(np.array(m))) for m in minima]
    for m, v in zip(minima, values, strict=True):
        assert all(-5 <= c <= 5 for c in m) and np.isfinite(v)
        assert v <= min(values) + 1e-6 * max(1.0, abs(min(values)))


# --- what the fuzzing found (each raised TypeError, OverflowError or IndexError before) ---------

Q = SURFACES["quadratic"]
DATA = sparse.make_data([0.5, 0.1], n_examples=64, seed=0)
FOUND = {
    "lr: int too large for a float": lambda: run("adagrad", Q.grad, [1, 1], 5, lr=10**400),
    "lr: complex": lambda: run("adagrad", Q.grad, [1, 1], 5, lr=np.complex128(1 + 1j)),
    "optimizer name unhashable": lambda: run(["adagrad"], Q.grad, [1, 1], 5),
    "x0: int too large": lambda: run("sgd", Q.grad, [10**400, 1], 5),
    "bound: negative huge int": lambda: run("sgd", Q.grad, [1, 1], 5, bound=-(10**400)),
    "x0 of one coordinate on a 2-D surface": lambda: run("sgd", Q.grad, [1.0], 5),
    "sparse noise: int too large": lambda: sparse.make_data([0.5], noise=10**400),
    "sparse probs: int too large": lambda: sparse.make_data([10**400]),
    "sparse lr: complex": lambda: sparse.simulate(
        DATA, batch_size=1, hparams={"sgd": {"lr": np.complex128(1j)}, "adagrad": {}}
    ),
    "sparse optimizers: None": lambda: sparse.simulate(DATA, batch_size=1, optimizers=None),
    "expr bounds: int too large": lambda: E.make_surface("x*y", ((0, 10**400), (0, 1))),
    "expr start: int too large": lambda: E.make_surface("x*y", start=(10**400, 0)),
}


@pytest.mark.parametrize("call", FOUND.values(), ids=FOUND.keys())
def test_found_by_fuzzing_is_a_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_a_huge_int_bound_means_no_bound():
    traj = run("sgd", Q.grad, [1.0, 1.0], 5, bound=10**400, lr=0.1)
    assert traj.bound == math.inf and traj.diverged_at is None


def test_a_point_without_a_finite_loss_stops_the_run():
    # log(x) has a finite gradient at x < 0 but no value there: the loss chart got NaN.
    s = E.make_surface("log(x) + y**2", bounds=((0.01, 4), (-1, 1)), start=(1, 0.5))
    traj = run("sgd", s.grad, s.start, 50, loss_fn=s.value, lr=1.0)
    assert traj.diverged_at == 1
    assert np.isfinite(traj.loss).all() and np.isfinite(traj.params).all()
