"""The racers: named optimizer configurations, their default lrs, race() and exit_point."""

import numpy as np
import pytest

from adagrad_core import OPTIMIZERS, SURFACES
from adagrad_core.racers import (
    DEFAULT_RACERS,
    KNOBS,
    RACERS,
    diverge_bound,
    exit_point,
    log_grid,
    race,
    snap,
)


@pytest.mark.parametrize("key", RACERS)
def test_every_racer_names_a_core_optimizer_and_resolves(key):
    r = RACERS[key]
    assert r.optimizer in OPTIMIZERS
    hp = OPTIMIZERS[r.optimizer].resolve(r.hparams(0.1, KNOBS))
    assert hp["lr"] == 0.1


def test_momentum_and_nesterov_are_sgd_with_momentum():
    m = RACERS["momentum"].hparams(0.1, KNOBS)
    n = RACERS["nesterov"].hparams(0.1, KNOBS)
    assert RACERS["momentum"].optimizer == RACERS["nesterov"].optimizer == "sgd"
    assert m["momentum"] == n["momentum"] == 0.9
    assert n["nesterov"] is True and "nesterov" not in m
    assert RACERS["momentum"].hparams(0.1, {"momentum": 0.5})["momentum"] == 0.5


def test_knobs_reach_only_the_racers_that_take_them():
    knobs = {"eps": 1e-3, "beta1": 0.5, "beta2": 0.9, "rho": 0.5}
    assert RACERS["adagrad"].hparams(1, knobs)["eps"] == 1e-3
    assert "eps" not in RACERS["adam"].hparams(1, knobs)  # Adam keeps torch's 1e-8
    assert RACERS["adam"].hparams(1, knobs)["betas"] == (0.5, 0.9)
    assert RACERS["adadelta"].hparams(1, knobs)["rho"] == 0.5


@pytest.mark.parametrize("surface", SURFACES)
def test_default_learning_rates_do_not_diverge_from_the_default_start(surface):
    s = SURFACES[surface]
    runs = race(surface, list(RACERS), {}, KNOBS, s.start, 100)
    for key, run in runs.items():
        assert run.diverged_at is None, (surface, key)
        assert np.isfinite(run.params).all() and np.isfinite(run.gap).all()
        assert (run.gap > 0).all()  # a log scale never gets 0


def test_default_view_has_adagrad_beat_sgd_on_the_quadratic():
    s = SURFACES["quadratic"]
    runs = race("quadratic", DEFAULT_RACERS, {}, KNOBS, s.start, 100)
    assert runs["adagrad"].gap[-1] < runs["sgd"].gap[-1]


def test_first_adagrad_step_is_lr_times_sign():
    runs = race("quadratic", ["adagrad"], {"adagrad": 0.4}, KNOBS, (-5, -2), 3)
    np.testing.assert_allclose(runs["adagrad"].updates[0], [0.4, 0.4], rtol=1e-8)


def test_accumulator_is_adagrads_sum_and_full_matrix_diagonal():
    runs = race("quadratic", ["adagrad", "adagrad_full", "sgd"], {}, KNOBS, (-5, -2), 5)
    g0 = SURFACES["quadratic"].grad(np.array([-5.0, -2.0]))
    np.testing.assert_allclose(runs["adagrad"].accumulator[0], g0**2)
    np.testing.assert_allclose(runs["adagrad_full"].accumulator[0], g0**2)
    assert runs["sgd"].accumulator is None


def test_divergence_is_stopped_and_its_exit_is_on_the_plot_border():
    s = SURFACES["rosenbrock"]
    runs = race("rosenbrock", ["sgd", "adam"], {"sgd": 1.0}, KNOBS, s.start, 100)
    sgd = runs["sgd"]
    assert sgd.diverged_at is not None and runs["adam"].diverged_at is None
    assert np.isfinite(sgd.params).all()
    (x0, x1), (y0, y1) = s.bounds
    ex, ey = sgd.exit_point
    assert x0 <= ex <= x1 and y0 <= ey <= y1
    assert min(abs(ex - x0), abs(ex - x1), abs(ey - y0), abs(ey - y1)) < 1e-9
    assert np.abs(sgd.params).max() <= diverge_bound(s)


def test_a_run_stopped_at_step_one_holds_as_the_runner_holds():
    """race takes the runner's stop: from the stopping step on every history repeats the
    values before it, the rate before step 1 (0) and the initial accumulator included."""
    s = SURFACES["quadratic"]
    knobs = {**KNOBS, "initial_accumulator_value": 0.1}
    runs = race("quadratic", ["sgd", "adagrad"], {"sgd": 100.0, "adagrad": 1e4}, knobs, s.start, 6)
    for r in runs.values():
        assert r.diverged_at == 1 and r.last == 0
        assert (r.params == r.params[0]).all() and (r.updates == 0).all()
        assert (r.eff_lr == 0).all()
        assert r.exit_point is not None
    assert (runs["adagrad"].accumulator == 0.1).all()


def test_the_exit_point_uses_the_point_past_the_bound_the_runner_kept():
    s = SURFACES["rosenbrock"]
    sgd = race("rosenbrock", ["sgd"], {"sgd": 0.05}, KNOBS, s.start, 100)["sgd"]
    t = sgd.diverged_at
    x = sgd.params[t - 1]
    past = x - 0.05 * s.grad(x)  # the step that left the bound
    assert np.abs(past).max() > diverge_bound(s)
    path = np.concatenate([sgd.params[:t], past[None]])
    assert sgd.exit_point == exit_point(path, s.bounds)


def test_exit_point_cases():
    bounds = ((-1.0, 1.0), (-1.0, 1.0))
    assert exit_point(np.array([[0, 0], [0.5, 0]]), bounds) == (0.5, 0.0)  # never leaves
    assert exit_point(np.array([[0, 0], [3.0, 0]]), bounds) == (1.0, 0.0)
    assert exit_point(np.array([[0, 0], [2.0, 2.0]]), bounds) == (1.0, 1.0)
    assert exit_point(np.array([[0.5, 0], [0.5, -4.0]]), bounds) == (0.5, -1.0)
    assert exit_point(np.array([[5.0, 5.0], [6.0, 6.0]]), bounds) == (5.0, 5.0)  # starts out


def test_unknown_racer_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown racer 'lion'"):
        race("quadratic", ["lion"], {}, KNOBS, (1, 1), 5)


def test_nesterov_without_momentum_is_a_clear_error():
    with pytest.raises(ValueError, match="nesterov"):
        race("quadratic", ["nesterov"], {}, {"momentum": 0.0}, (1, 1), 5)


def test_log_grid_and_snap():
    grid = log_grid(-4, 2)
    assert grid[0] == 1e-4 and grid[-1] == 100.0 and grid == sorted(grid)
    ratios = np.diff(np.log10(grid))
    assert ratios.max() < 0.25  # at least ~4 values per decade
    for key, r in RACERS.items():
        for lr in r.lrs.values():
            assert lr in grid, (key, lr)  # every default is on the page's slider
    assert snap(0.4, grid) == 0.5 and snap(1e-9, grid) == 1e-4 and snap(1e9, grid) == 100.0
