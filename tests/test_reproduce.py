"""The "Reproduce in PyTorch" script: run it with torch and compare with the core's run."""

from __future__ import annotations

import ast
import contextlib
import io
import runpy
import subprocess
import sys

import numpy as np
import pytest

from adagrad_app.reproduce import TORCH_OPTIMIZERS, TORCH_SURFACES, torch_script
from adagrad_core import OPTIMIZERS, SURFACES, run
from adagrad_core.expr import make_surface, parse

torch = pytest.importorskip("torch")

TOL = 1e-10


def _surface(surface: str):
    return SURFACES[surface] if surface in SURFACES else make_surface(surface)


def _core_finals(surface, starts, runs, steps, bound=1e6):
    s = _surface(surface)
    out = []
    for name, hp in runs:
        t = run(name, s.grad, starts, steps, bound=bound, **hp)
        out.append((name, np.atleast_2d(t.params[-1]), np.atleast_1d(t.diverged_each)))
    return out


def _parse_output(text: str):
    """[(name, final params (n, 2), stop step per start or -1)] from the script's stdout."""
    runs = []
    for line in text.splitlines():
        if not line.startswith(" "):
            name, values = line.split(": ", 1)
            finals = np.array(ast.literal_eval(values))
            runs.append((name, finals, np.full(len(finals), -1)))
        else:  # "  start i diverged and was stopped at step s"
            words = line.split()
            runs[-1][2][int(words[1])] = int(words[-1])
    return runs


def _run_script(script: str, tmp_path) -> str:
    path = tmp_path / "reproduce.py"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return out.getvalue()


CASES = [
    ("quadratic", [-5.0, -2.0], [("adagrad", {"lr": 0.4}), ("sgd", {"lr": 0.1})], 60),
    (
        "rosenbrock",
        [[-1.5, 2.5], [-0.5, 0.5], [1.2, 1.0]],
        [
            ("adagrad", {"lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
            ("sgd", {"lr": 5e-4, "momentum": 0.9, "nesterov": True}),
            ("rmsprop", {"lr": 3e-3, "centered": True, "momentum": 0.5}),
            ("adam", {"lr": 0.05, "betas": (0.5, 0.9), "amsgrad": True}),
        ],
        80,
    ),
    ("beale", [[1.0, 1.5], [2.0, -0.5]], [("adadelta", {"rho": 0.5}), ("adamw", {"lr": 0.05})], 60),
    ("rotated", SURFACES["rotated"].start, [("adagrad", {"lr": 1.0, "weight_decay": 0.1})], 50),
    ("saddle", [2.0, 0.01], [("sgd", {"lr": 0.05, "dampening": 0.3, "momentum": 0.5})], 50),
    ("himmelblau", [[-0.5, -0.5], [0.0, 0.0]], [("adam", {"lr": 0.1, "weight_decay": 0.1})], 80),
    ("plateau", [-8.0, 1.5], [("adagrad", {"lr": 2.0}), ("rmsprop", {"maximize": False})], 60),
    ("x**2 + 10*sin(y)", [[-4.0, 3.0], [1.0, 1.0]], [("adagrad", {"lr": 0.4})], 100),
    (
        "sqrt(x**2 + y**2 + 0.01) + 2**(-x/3) - pi*tanh(x*y)/(1 + abs(y))",
        [[-3.0, 2.0], [2.5, -1.5]],
        [("adam", {"lr": 0.1}), ("sgd", {"lr": 0.05, "momentum": 0.9})],
        80,
    ),
    ("exp(-(x**2)/2)*cos(2*y) + x**(1/2)", [[1.0, 1.0]], [("adagrad", {"lr": 0.5})], 40),
    ("log(1 + x**2) + e**(y/4)", [[2.0, -1.0]], [("adadelta", {"lr": 1.0, "maximize": True})], 40),
]


@pytest.mark.parametrize("surface, starts, runs, steps", CASES, ids=[c[0][:30] for c in CASES])
def test_script_reproduces_the_core(surface, starts, runs, steps, tmp_path):
    script = torch_script(surface, starts, runs, steps)
    got = _parse_output(_run_script(script, tmp_path))
    want = _core_finals(surface, starts, runs, steps)
    assert [g[0] for g in got] == [w[0] for w in want]
    for (name, g, _), (_, w, _) in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL, err_msg=name)
    # the runs really moved: a comparison of start points would prove nothing
    assert all(not np.allclose(w, np.atleast_2d(starts)) for _, w, _ in want)


@pytest.mark.parametrize(
    "surface, starts, runs",
    [
        ("rosenbrock", [[-1.5, 2.5], [0.5, 0.5]], [("sgd", {"lr": 0.01})]),  # overshoots
        ("exp(x*50) + y**2", [[0.9, 0.5], [-0.9, 0.5]], [("sgd", {"lr": 0.1})]),
        ("exp(x*50) + y**2", [[15.0, 0.5], [-0.9, 0.5]], [("adagrad", {"lr": 0.1})]),  # inf grad
        ("sqrt(x) + y**2", [[1.0, 0.5]], [("sgd", {"lr": 1.0})]),  # steps into NaN
    ],
)
def test_script_stops_a_diverging_start_where_the_core_does(surface, starts, runs, tmp_path):
    script = torch_script(surface, starts, runs, 40)
    ((_, g, g_stop),) = _parse_output(_run_script(script, tmp_path))
    ((_, w, w_stop),) = _core_finals(surface, starts, runs, 40)
    assert (w_stop > 0).any()  # the case does diverge
    np.testing.assert_array_equal(g_stop, w_stop)
    np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL)
    assert np.isfinite(g).all()


def test_script_honours_a_custom_bound(tmp_path):
    starts, runs = [[-1.5, 2.5], [0.9, 0.8]], [("adagrad", {"lr": 0.5})]
    script = torch_script("rosenbrock", starts, runs, 30, bound=2.0)
    assert "BOUND = 2  #" in script
    ((_, g, g_stop),) = _parse_output(_run_script(script, tmp_path))
    ((_, w, w_stop),) = _core_finals("rosenbrock", starts, runs, 30, bound=2.0)
    assert (w_stop > 0).any()
    np.testing.assert_array_equal(g_stop, w_stop)
    np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL)


def test_script_runs_standalone_in_a_fresh_python(tmp_path):
    starts, runs = [[-5.0, -2.0], [3.0, 1.5]], [("adagrad", {"lr": 0.4}), ("adam", {"lr": 0.1})]
    path = tmp_path / "reproduce.py"
    path.write_text(torch_script("quadratic", starts, runs, 50), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    got = _parse_output(done.stdout)
    for (_, g, _), (_, w, _) in zip(got, _core_finals("quadratic", starts, runs, 50), strict=True):
        np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL)


def test_runs_without_a_torch_equivalent_are_commented_not_run(tmp_path):
    runs = [
        ("adagrad_full", {"lr": 0.1}),
        ("adagrad", {"lr": 0.4, "eps": 1e-6, "eps_placement": "inside"}),
        ("adagrad", {"lr": 0.4, "eps_placement": "outside"}),
    ]
    script = torch_script("quadratic", [-5.0, -2.0], runs, 20)
    assert "# Not reproduced: 'adagrad_full': full-matrix Adagrad has no torch.optim" in script
    assert "# Not reproduced: 'adagrad' with eps inside the square root" in script
    assert "eps_placement" not in script
    got = _parse_output(_run_script(script, tmp_path))
    assert [g[0] for g in got] == ["adagrad"]
    want = _core_finals("quadratic", [-5.0, -2.0], runs[2:], 20)
    np.testing.assert_allclose(got[0][1], want[0][1], rtol=TOL, atol=TOL)


def test_only_changed_hyper_parameters_are_written():
    script = torch_script("quadratic", [1.0, 1.0], [("adam", {"lr": 1e-3, "amsgrad": True})], 5)
    assert "('adam', torch.optim.Adam, {'amsgrad': True})," in script


def test_custom_text_is_emitted_from_the_tree_not_pasted():
    text = "x**2 +10*sin( y )  # __import__('os').system('rm -rf /')"
    script = torch_script(text, [1.0, 1.0], [("sgd", {})], 5)
    assert "__import__" not in script and "rm -rf" not in script
    assert "    return x**2 + 10*torch.sin(y)\n" in script
    assert "Surface: custom, f(x, y) = x**2 + 10*sin(y)" in script
    assert torch_script(parse(text), [1.0, 1.0], [("sgd", {})], 5) == script


def test_every_registry_surface_has_matching_torch_source(tmp_path):
    assert set(TORCH_SURFACES) == set(SURFACES)
    rng = np.random.default_rng(0)
    for name, s in SURFACES.items():
        (x0, x1), (y0, y1) = s.bounds
        p = np.stack([rng.uniform(x0, x1, 100), rng.uniform(y0, y1, 100)], axis=-1)
        path = tmp_path / f"{name}.py"
        body = "\n".join("    " + ln for ln in TORCH_SURFACES[name].splitlines())
        path.write_text(f"import torch\n\n\ndef f(x, y):\n{body}\n", encoding="utf-8")
        f = runpy.run_path(str(path))["f"]
        t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        v = f(t[:, 0], t[:, 1])
        v.sum().backward()
        np.testing.assert_allclose(v.detach().numpy(), s.value(p), rtol=1e-13, err_msg=name)
        np.testing.assert_allclose(t.grad.numpy(), s.grad(p), rtol=1e-10, atol=1e-12, err_msg=name)


def test_torch_optimizer_names_cover_the_core():
    assert set(TORCH_OPTIMIZERS) == set(OPTIMIZERS) - {"adagrad_full"}
    for cls in TORCH_OPTIMIZERS.values():
        assert hasattr(torch.optim, cls)


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope(x)", [0, 0], [("sgd", {})], 5), "function 'nope' is not allowed"),
        (("quadratic", [0, 0], [("lbfgs", {})], 5), "Unknown optimizer"),
        (("quadratic", [0, 0], [("sgd", {"lr": -1.0})], 5), "Invalid lr"),
        (("quadratic", [0, 0], [("sgd", {"betas": (0.9, 0.9)})], 5), "Unknown hyper-parameter"),
        (("quadratic", [0, 0, 0], [("sgd", {})], 5), "Invalid starts"),
        (("quadratic", [[0, np.nan]], [("sgd", {})], 5), "NaN"),
        (("quadratic", [0, 0], [("sgd", {})], -1), "Invalid steps"),
        (("quadratic", [0, 0], [("sgd", {})], 2.5), "Invalid steps"),
        ((3, [0, 0], [("sgd", {})], 5), "Invalid surface"),
    ],
)
def test_bad_arguments_raise_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        torch_script(*args)
