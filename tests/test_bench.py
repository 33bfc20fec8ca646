"""The benchmark compares like with like: core, torch.optim and the bare numpy loop compute the
same trajectories (and torch records its state every step). No timing assertions."""

import numpy as np
import pytest

import bench.bench as B
from bench import loops

NAMES = list(loops.HPARAMS)
STATE = {  # the state each optimizer must record, in the core's and torch's names
    "sgd": ["momentum_buffer"],
    "adagrad": ["sum"],
    "rmsprop": ["square_avg"],
    "adam": ["exp_avg", "exp_avg_sq"],
    "adamw": ["exp_avg", "exp_avg_sq"],
    "adadelta": ["square_avg", "acc_delta"],
}


def test_every_torch_optimizer_of_the_issue_is_benchmarked():
    assert set(NAMES) == set(STATE) == set(loops.TORCH_CLASS)


@pytest.mark.parametrize("name", NAMES)
def test_bare_numpy_loop_equals_the_core(name):
    x0 = loops.starts(5)
    core = loops.run_core(name, x0, 30)
    bare = loops.run_bare(name, x0, 30)
    assert bare["params"].shape == core["params"].shape == (31, 5, 2)
    assert np.array_equal(bare["params"], core["params"])
    assert not np.array_equal(core["params"][-1], x0)  # it moved


def test_torch_evaluates_the_same_gradient_formula_bit_for_bit():
    torch = pytest.importorskip("torch")
    from adagrad_core.surfaces import rosenbrock_grad

    x = loops.starts(1000, seed=3) * 3.0
    got = loops.rosenbrock_grad_torch(torch.from_numpy(x)).numpy()
    assert np.array_equal(got, rosenbrock_grad(x))


@pytest.mark.parametrize("contender", ["torch", "torch_np"])
@pytest.mark.parametrize("name", NAMES)
def test_torch_loop_equals_the_core_and_records_every_step(name, contender):
    pytest.importorskip("torch")
    x0 = loops.starts(5)
    core = loops.run_core(name, x0, 30)
    torch_run = loops.CONTENDERS[contender](name, x0, 30)
    for key in ["params", "grads", *STATE[name]]:
        assert torch_run[key].shape == core[key].shape, key
        np.testing.assert_allclose(torch_run[key], core[key], rtol=1e-10, atol=1e-12)
        assert not np.array_equal(torch_run[key][0], torch_run[key][-1]), key  # per step
    diff, compared = loops.max_diff(core, torch_run)
    assert diff < 1e-10 and set(STATE[name]) <= set(compared)


def test_compare_reports_agreement_and_timings_on_tiny_sizes():
    results = loops.compare(["adagrad", "adam"], n_starts=4, steps=10, repeats=2)
    assert [r.name for r in results] == ["adagrad", "adam"]
    for r in results:
        assert r.diff["bare"] == 0.0
        assert all(len(t) == 2 and min(t) > 0 for t in r.times.values())
        if "torch" in r.times:
            assert r.diff_early["torch"] <= B.AGREE
    rows = B.loop_rows(results, 4, 10)
    table = B.markdown(rows, "python bench/bench.py", "test", "today")
    assert "`python bench/bench.py`" in table
    assert "| adagrad: core / bare numpy |" in table


def test_a_diverging_setting_is_refused_rather_than_compared(monkeypatch):
    monkeypatch.setitem(loops.HPARAMS, "sgd", dict(lr=1.0, momentum=0.9))
    with pytest.raises(RuntimeError, match="diverged"):
        loops.run_core("sgd", loops.starts(4), 50)
