"""Bad input raises ValueError whose message names the parameter and the offending value."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from adagrad_core import MAX_ELEMENTS, MAX_STEPS, OPTIMIZERS, SURFACES, run

GRAD = SURFACES["quadratic"].grad
X0 = (-5.0, -2.0)


def _raises(match: str, optimizer: str = "adagrad", x0=X0, steps: int = 3, grad=GRAD, **hp):
    with pytest.raises(ValueError, match=match):
        run(optimizer, grad, x0, steps, **hp)


def test_valid_call_does_not_raise():
    """Control: the baseline arguments used below are fine on their own."""
    for name in OPTIMIZERS:
        run(name, GRAD, X0, 3)


@pytest.mark.parametrize("name", ["adagard", "Adagrad", "", "lbfgs"])
def test_unknown_optimizer(name):
    _raises(rf"Unknown optimizer {re.escape(repr(name))}.*allowed: .*adagrad", optimizer=name)


@pytest.mark.parametrize(
    ("optimizer", "key"),
    [("adagrad", "momentum"), ("sgd", "betas"), ("adam", "learning_rate"), ("rmsprop", "rho")],
)
def test_unknown_hyper_parameter(optimizer, key):
    match = rf"Unknown hyper-parameter '{key}' for '{optimizer}'; allowed: "
    _raises(match, optimizer=optimizer, **{key: 0.5})


LR_EPS = [(o, k) for o in sorted(OPTIMIZERS) for k in ("lr", "eps") if k in OPTIMIZERS[o].defaults]


@pytest.mark.parametrize(("optimizer", "key"), LR_EPS)
@pytest.mark.parametrize("value", [-1e-3, -1.0, math.nan, math.inf, -math.inf])
def test_negative_or_non_finite_lr_and_eps(optimizer, key, value):
    _raises(
        rf"Invalid {key}: {re.escape(repr(value))} \(must be", optimizer=optimizer, **{key: value}
    )


@pytest.mark.parametrize(
    "key", ["weight_decay", "momentum", "lr_decay", "initial_accumulator_value"]
)
def test_other_negative_hyper_parameters(key):
    optimizer = next(n for n, o in OPTIMIZERS.items() if key in o.defaults)
    _raises(rf"Invalid {key}: -0.5 \(must be >= 0\)", optimizer=optimizer, **{key: -0.5})


@pytest.mark.parametrize(
    "hp",
    [{"lr": "0.1"}, {"lr": None}, {"lr": True}, {"eps": [1e-8]}, {"maximize": 1}],
)
def test_wrong_types(hp):
    ((key, value),) = hp.items()
    _raises(rf"Invalid {key}: {re.escape(repr(value))}", **hp)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
@pytest.mark.parametrize(
    "betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.999), (0.9, 1.5), (math.nan, 0.9), (0.9,)]
)
def test_betas_outside_unit_interval(optimizer, betas):
    _raises(rf"Invalid betas: {re.escape(repr(betas))} \(", optimizer=optimizer, betas=betas)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_betas_at_the_edges_are_allowed(optimizer):
    run(optimizer, GRAD, X0, 3, betas=(0.0, 0.0))
    run(optimizer, GRAD, X0, 3, betas=[0.5, 0.999999])


@pytest.mark.parametrize(("optimizer", "key"), [("rmsprop", "alpha"), ("adadelta", "rho")])
@pytest.mark.parametrize("value", [-0.1, 1.0001, 2.0, math.nan])
def test_alpha_and_rho_outside_closed_unit_interval(optimizer, key, value):
    _raises(
        rf"Invalid {key}: {re.escape(repr(value))} \(must be", optimizer=optimizer, **{key: value}
    )


@pytest.mark.parametrize(("optimizer", "key"), [("rmsprop", "alpha"), ("adadelta", "rho")])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_alpha_and_rho_edges_are_allowed(optimizer, key, value):
    run(optimizer, GRAD, X0, 3, **{key: value})


@pytest.mark.parametrize("hp", [{}, {"momentum": 0.0}, {"momentum": 0.9, "dampening": 0.1}])
def test_nesterov_needs_momentum_and_no_dampening(hp):
    _raises(r"Invalid nesterov: True needs momentum > 0", optimizer="sgd", nesterov=True, **hp)


def test_dampening_outside_unit_interval():
    _raises(r"Invalid dampening: 1.5 \(must be in \[0, 1\]\)", optimizer="sgd", dampening=1.5)


def test_eps_placement_must_be_known():
    _raises(r"Invalid eps_placement: 'middle' \(must be 'outside'", eps_placement="middle")


@pytest.mark.parametrize("steps", [-1, -100, MAX_STEPS + 1, 10**9])
def test_steps_out_of_range(steps):
    _raises(rf"Invalid steps: {steps} \(must be in \[0, {MAX_STEPS}\]\)", steps=steps)


@pytest.mark.parametrize("steps", [2.0, 3.5, "10", None, True])
def test_steps_must_be_an_integer(steps):
    _raises(rf"Invalid steps: {re.escape(repr(steps))} \(must be an integer\)", steps=steps)


def test_steps_allowed_at_zero_and_at_the_cap():
    assert run("sgd", GRAD, X0, 0).params.shape == (1, 2)
    assert run("sgd", GRAD, X0, MAX_STEPS).params.shape == (MAX_STEPS + 1, 2)


def test_too_many_elements():
    n = MAX_ELEMENTS // (2 * 1000) + 1  # (n, 2) starts x 1000 steps is just above the cap
    x0 = np.zeros((n, 2))
    _raises(rf"Invalid steps: 1000 x {2 * n} values is too large", x0=x0, steps=1000)
    run("sgd", GRAD, np.zeros((n - 1, 2)), 1000)  # one start fewer fits


@pytest.mark.parametrize(
    "x0",
    [np.zeros((2, 2, 2)), 3.0, np.zeros((0,)), np.zeros((3, 0)), np.zeros((0, 2)), [[]]],
    ids=["3d", "scalar", "empty", "zero-width", "zero-starts", "empty-nested"],
)
def test_x0_wrong_shape(x0):
    shape = re.escape(str(np.shape(x0)))
    _raises(rf"Invalid x0 shape {shape} \(must be \(d,\) or \(n, d\)", x0=x0)


@pytest.mark.parametrize("x0", [[[1.0, 2.0], [3.0]], ["a", "b"], {"x": 1.0}])
def test_x0_not_numbers(x0):
    _raises(rf"Invalid x0: {re.escape(repr(x0))} \(must be numbers", x0=x0)


@pytest.mark.parametrize(
    ("x0", "bad", "index"),
    [
        ([math.nan, 1.0], "nan", "(0,)"),
        ([1.0, math.inf], "inf", "(1,)"),
        ([[0.0, 1.0], [-math.inf, 2.0]], "-inf", "(1, 0)"),
    ],
)
def test_x0_non_finite(x0, bad, index):
    _raises(rf"Invalid x0: {bad} at index {re.escape(index)} \(must be finite\)", x0=x0)


def test_full_matrix_dimension_cap():
    _raises(r"Invalid x0: adagrad_full allows d <= 32, got 33", "adagrad_full", x0=np.ones(33))


@pytest.mark.parametrize("bound", [0, -1.0, math.nan, "big"])
def test_bound_must_be_positive(bound):
    _raises(rf"Invalid bound: {re.escape(repr(bound))}", bound=bound)


def test_grad_fn_with_wrong_shape():
    _raises(r"grad_fn returned shape \(3,\), expected \(2,\)", grad=lambda x: np.zeros(3))
