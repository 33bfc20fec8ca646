"""Exports: CSV and offline HTML builders, and the PyTorch script the trajectories page shows,
run with torch and compared with the core's run of the same view."""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import re
import runpy
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from adagrad_app import fig_trajectories
from adagrad_app.exports import (
    TRAJECTORY_COLUMNS,
    figures_html,
    record_rows,
    sparse_columns,
    sparse_csv,
    trajectories_csv,
)
from adagrad_core import sparse
from adagrad_core.expr import make_surface
from adagrad_core.racers import DEFAULT_RACERS, KNOBS, RACERS, race
from adagrad_core.surfaces import SURFACES
from tests.apptest import load

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return reader.fieldnames, rows


# --- trajectories CSV ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quad_runs():
    s = SURFACES["quadratic"]
    return s, race(s, ["sgd", "adagrad", "adam"], {}, KNOBS, s.start, 40)


def test_trajectories_csv_has_one_row_per_optimizer_and_step(quad_runs):
    surface, runs = quad_runs
    header, rows = read_csv(trajectories_csv(surface, runs))
    assert tuple(header) == TRAJECTORY_COLUMNS
    assert len(rows) == 3 * 41  # steps 0..40 for each optimizer
    assert [r["optimizer"] for r in rows[::41]] == ["sgd", "adagrad", "adam"]
    ada = [r for r in rows if r["optimizer"] == "adagrad"]
    assert [int(r["step"]) for r in ada] == list(range(41))
    run = runs["adagrad"]
    # numbers read back are exactly the run's floats
    assert [float(ada[7]["x"]), float(ada[7]["y"])] == run.params[7].tolist()
    assert float(ada[7]["eff_lr_y"]) == run.eff_lr[6][1]
    assert float(ada[7]["accumulator_x"]) == run.accumulator[6][0]
    assert float(ada[7]["update_x"]) == run.updates[6][0]
    assert float(ada[7]["gap"]) == run.gap[7]
    assert float(ada[0]["loss"]) == pytest.approx(float(surface.value(np.array(surface.start))))
    # step 0 has no update; SGD has no accumulator
    assert ada[0]["update_x"] == "" and ada[0]["eff_lr_x"] == ""
    assert all(r["accumulator_x"] == "" for r in rows if r["optimizer"] == "sgd")


def test_trajectories_csv_stops_a_diverged_run_where_the_page_does():
    s = SURFACES["rosenbrock"]
    runs = race(s, ["sgd", "adam"], {"sgd": 1.0}, KNOBS, s.start, 50)
    assert runs["sgd"].diverged_at is not None
    _, rows = read_csv(trajectories_csv(s, runs))
    sgd = [r for r in rows if r["optimizer"] == "sgd"]
    assert len(sgd) == runs["sgd"].last + 1 < 51
    assert len([r for r in rows if r["optimizer"] == "adam"]) == 51
    assert all(v != "nan" and "inf" not in v for r in rows for v in r.values())


# --- sparse CSV ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse_run():
    data = sparse.make_data(sparse.feature_probs("two_groups", n_features=12), n_examples=800)
    hp = {"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}, "adam": {"lr": 0.05}}
    return sparse.simulate(data, batch_size=4, optimizers=tuple(hp), hparams=hp)


def test_sparse_csv_has_one_row_per_record_point_and_feature(sparse_run):
    run = sparse_run
    header, rows = read_csv(sparse_csv(run))
    assert header == sparse_columns(run)
    assert {"w_sgd", "eff_lr_adam", "loss_adagrad", "G_adagrad", "p", "adjusted"} <= set(header)
    d, R = run.probs.size, len(run.record_steps)
    assert len(rows) == R * d
    last = rows[-d:]
    assert [int(r["feature"]) for r in last] == list(range(d))
    assert int(last[0]["step"]) == run.steps
    assert int(last[0]["examples_seen"]) == run.steps * run.batch_size
    i = 11
    assert float(last[i]["w_adagrad"]) == run.w["adagrad"][-1, i]
    assert float(last[i]["G_adagrad"]) == run.accum[-1, i]
    assert float(last[i]["p"]) == run.probs[i]
    assert int(last[i]["occurrences"]) == run.occurrences[-1, i]
    assert float(last[i]["loss_sgd"]) == run.loss["sgd"][-1]
    assert rows[0]["loss_sgd"] == ""  # no loss before the first step


def test_sparse_csv_thins_record_points_to_stay_small(sparse_run):
    d, R = sparse_run.probs.size, len(sparse_run.record_steps)
    _, rows = read_csv(sparse_csv(sparse_run, max_rows=10 * d))
    steps = sorted({int(r["step"]) for r in rows})
    assert len(rows) == len(steps) * d <= 10 * d
    assert steps[0] == 0 and steps[-1] == sparse_run.steps  # first and last kept
    assert len(record_rows(R, d, 10**9)) == R


def test_sparse_csv_without_adagrad_has_no_accumulator_column():
    data = sparse.make_data(sparse.feature_probs("custom", probs=[0.5, 0.05]), n_examples=600)
    run = sparse.simulate(data, batch_size=2, optimizers=("sgd",), hparams={"sgd": {"lr": 0.1}})
    header, rows = read_csv(sparse_csv(run))
    assert "G_adagrad" not in header and len(rows) == len(run.record_steps) * 2


# --- HTML ----------------------------------------------------------------------------------------


def test_html_is_self_contained_and_holds_the_figure(quad_runs):
    surface, runs = quad_runs
    fig = fig_trajectories.trajectories_figure(surface, runs, surface.start)
    page = figures_html("Trajectories <on> a & b", [("", fig, "**SGD** wins")], {})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Trajectories &lt;on&gt; a &amp; b</title>" in page
    # plotly.js itself is inlined once; no script is fetched from anywhere
    assert len(page) > 3_000_000 and page.count("plotly.js v") >= 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"""src\s*=\s*["']https?:""", page, re.IGNORECASE)
    assert '<div id="fig0"' in page and re.search(r'Plotly\.newPlot\(\s*"fig0"', page)
    assert "<p>SGD wins</p>" in page
    assert '"showSendToCloud": false' in page  # no "Share chart" upload button
    assert '"frames"' in page or "addFrames" in page  # ▶ Play keeps working offline


def test_html_with_several_figures_inlines_plotly_once():
    figs = [(f"Chart {i}", go.Figure(go.Scatter(y=[1, i])), "") for i in range(3)]
    page = figures_html("t", figs)
    assert page.count("<h2>") == 3 and page.count('<div id="fig') == 3
    assert page.count("plotly.js v") == figs[0][1].to_html(include_plotlyjs=True).count(
        "plotly.js v"
    )


# --- Reproduce in PyTorch: the page's own snippet, run with torch ------------------------------


def page_script(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("pages/trajectories.py")
    load(at)
    at.session_state["torch_open"] = True  # the snippet is sent once its expander is open
    at.run()
    assert not at.exception
    return at


def run_torch(script: str, tmp_path) -> list[tuple[str, np.ndarray]]:
    """Run the snippet as a script (in this process: torch is imported once per worker;
    tests/test_reproduce.py runs one in a fresh Python)."""
    path = tmp_path / "reproduce.py"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return [
        (line.split(": ", 1)[0], np.array(ast.literal_eval(line.split(": ", 1)[1]))[0])
        for line in out.getvalue().splitlines()
        if line and not line.startswith(" ")
    ]


CASES = {
    "default": ({}, "quadratic", list(DEFAULT_RACERS), {}, {}, None, 100),
    "every racer, tuned knobs, diverging SGD": (
        {
            "surface": "rosenbrock",
            "opts": ",".join(RACERS),
            "lr_sgd": "0.005",
            "steps": "150",
            "acc0": "0.1",
            "lr_decay": "0.01",
            "momentum": "0.5",
            "beta2": "0.99",
            "alpha": "0.9",
            "rho": "0.5",
        },
        "rosenbrock",
        list(RACERS),
        {"sgd": 0.005},
        {
            "initial_accumulator_value": 0.1,
            "lr_decay": 0.01,
            "momentum": 0.5,
            "beta2": 0.99,
            "alpha": 0.9,
            "rho": 0.5,
        },
        None,
        150,
    ),
    "custom surface, custom range and start": (
        {
            "surface": "custom",
            "expr": "x**2 + 10*sin(y) + exp(-x*y/4)",
            "box": "3",
            "x0": "2.5",
            "y0": "-1",
            "opts": "adagrad,rmsprop,adam",
        },
        ("x**2 + 10*sin(y) + exp(-x*y/4)", 3.0),
        ["adagrad", "rmsprop", "adam"],
        {},
        {},
        (2.5, -1.0),
        100,
    ),
    "eps inside the root: Adagrad is not in the script": (
        {"opts": "sgd,adagrad", "eps_placement": "inside"},
        "quadratic",
        ["sgd", "adagrad"],
        {},
        {"eps_placement": "inside"},
        None,
        100,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_page_pytorch_snippet_reproduces_the_core_run(case, tmp_path):
    pytest.importorskip("torch")
    query, surface, keys, lr_overrides, knobs, start, steps = CASES[case]
    at = page_script(query)
    scripts = [c.value for c in at.code if c.proto.language == "python"]
    assert len(scripts) == 1
    printed = run_torch(scripts[0], tmp_path)

    if isinstance(surface, tuple):
        text, box = surface
        s = make_surface(text, bounds=((-box, box), (-box, box)))
    else:
        s = SURFACES[surface]
    lrs = {k: lr_overrides.get(k, RACERS[k].lr(s.name)) for k in keys}
    runs = race(s, keys, lrs, {**KNOBS, **knobs}, start or s.start, steps)
    inside = knobs.get("eps_placement") == "inside"
    reproduced = [k for k in keys if k != "adagrad_full" and not (inside and k == "adagrad")]
    assert [name for name, _ in printed] == [RACERS[k].optimizer for k in reproduced]
    for k, (_, final) in zip(reproduced, printed, strict=True):
        np.testing.assert_allclose(final, runs[k].params[-1], rtol=1e-9, atol=1e-9, err_msg=k)
    if case.startswith("every racer"):
        assert runs["sgd"].diverged_at is not None  # the stop rule is reproduced, too
