"""The formula page's two lessons (first_step, epsilon) under AppTest, as tests/test_lessons.py
tests the sparse page's.

Before the answer a lesson shows its question, the settings, where the run starts and the rule,
and none of the steps' numbers (no value tables, no step table, no charts); after it, the verdict
is the key recomputed here straight from the core's first step, with this file's own tolerance.
``reveal=1`` opens a lesson answered; ``lock=1`` hides the controls but still asks.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from streamlit.testing.v1 import AppTest

from adagrad_app import claims_formula as claims
from adagrad_app import claims_step, fmt
from adagrad_app import formula_run as fr
from adagrad_app import formula_tex as ft
from adagrad_app.lesson_ui import CHECK, lesson_query
from adagrad_app.scenarios import BY_KEY, next_lesson
from adagrad_core.runner import run as core_run
from adagrad_core.surfaces import SURFACES
from tests.apptest import answer, open_lesson
from tests.test_claims_formula import page_settings

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LESSONS = ("first_step", "epsilon")
SAME = 1e-3  # two steps within 0.1% are "the same length": the test's own, not the module's
START = (-5.0, -2.0)  # the quadratic's start, where both lessons' links run


def core_key(key: str, grads: np.ndarray, updates: np.ndarray) -> str | None:
    """A lesson's right choice from step 1's gradient and move, or None when it is moot (a zero
    gradient, or two gradients of the same size: no smaller and larger one)."""
    g, u = np.abs(grads), np.abs(updates)
    if (g == 0).any() or g.max() <= g.min() * (1 + SAME):
        return None
    if u.max() <= u.min() * (1 + SAME):
        return "same"
    shorter_is_smaller = np.argmin(u) == np.argmin(g)
    if key == "first_step":  # which is longer?
        return "larger_g" if shorter_is_smaller else "smaller_g"
    return "smaller_g" if shorter_is_smaller else "larger_g"  # which is shorter?


def quadratic_key(key: str, query: dict[str, str]) -> str | None:
    """The key of a lesson link on the quadratic, from the core's own first step."""
    s = SURFACES["quadratic"]
    start = [float(query.get("x0", START[0])), float(query.get("y0", START[1]))]
    traj = core_run(
        "adagrad",
        s.grad,
        start,
        1,
        lr=float(query.get("lr", 1.0)),
        eps=float(query.get("eps", 1e-10)),
        eps_placement=query.get("eps_at", "outside"),
        initial_accumulator_value=float(query.get("acc0", 0.0)),
    )
    return core_key(key, traj.grads[0], traj.updates[0])


def shown(at: AppTest) -> str:
    """Every text and formula on the page, and every table's cells."""
    kinds = ("markdown", "caption", "info", "success", "error", "warning", "latex")
    parts = [el.value for kind in kinds for el in at.get(kind)]
    parts += [" ".join(map(str, t.value.to_numpy().ravel())) for t in at.table]
    return "\n".join(parts)


def reading(at: AppTest) -> list[str]:
    """The page's own reading of the step shown (it starts '**Step t.**')."""
    return [m.value for m in at.markdown if m.value.startswith("**Step ")]


# --- asking first ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", LESSONS)
def test_a_formula_lesson_asks_first_and_hides_the_steps(key):
    sc = BY_KEY[key]
    at = open_lesson(key)
    radio = at.radio(key=f"_lesson_answer_{key}")
    assert radio.label == sc.question and radio.value is None
    assert [b.label for b in at.button] == [CHECK]
    assert not at.success and not at.error and not reading(at)
    (chart,) = at.get("plotly_chart")  # where the run starts: no path, no chart of the terms
    spec = json.loads(chart.proto.spec)
    assert [t["name"] for t in spec["data"]] == ["minimum", "start"]
    assert spec["data"][1]["x"] == [START[0]] and spec["data"][1]["y"] == [START[1]]
    tex = "\n".join(x.value for x in at.latex)
    assert ft.rule_tex("outside") in tex  # the rule itself stays, with its constants
    assert r"\epsilon = " in tex and r"\begin{array}" not in tex  # but no step's values
    (start,) = at.table  # where the run starts: not its steps
    assert list(start.value[""]) == ["start θ", "gradient g at step 1", "G before step 1"]
    eps = float(sc.query.get("eps", "1e-10"))
    s = SURFACES["quadratic"]
    step = core_run("adagrad", s.grad, list(START), 1, lr=1.0, eps=eps).updates[0]
    text = shown(at)
    for u in step:  # the moves that answer the question are nowhere on the page
        if abs(abs(u) - 1) > 1e-6:  # (a move of 1.0 reads like any other 1)
            assert fmt.number(u, 4) not in text and ft.fmt(u) not in text
    assert "Step 1." not in text and "takes the shorter step" not in text


def test_the_epsilon_question_fits_any_epsilon_in_the_link():
    """The link may set any ε (the key follows it), so the question names none."""
    assert "ε = " not in BY_KEY["epsilon"].question


# --- the verdict is the run's ---------------------------------------------------------------------


@pytest.mark.parametrize(("key", "choice"), [(k, c) for k in LESSONS for c, _ in BY_KEY[k].choices])
def test_every_choice_of_a_formula_lesson_gets_the_runs_verdict(key, choice):
    sc = BY_KEY[key]
    right = quadratic_key(key, sc.query)
    assert right is not None  # the links as the home page gives them are not moot
    at = answer(open_lesson(key), key, choice)
    labels = dict(sc.choices)
    if choice == right:
        assert [s.value for s in at.success] == [f"Right: **{labels[right]}**."]
        assert not at.error
    else:
        assert not at.success
        assert at.error and labels[right] in at.error[0].value
    assert any(m.value.startswith("**Try it yourself:**") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2  # the run, revealed: the path and the terms
    assert reading(at)[-1].startswith("**Step 1.**")  # the page's reading of step 1
    nxt = next_lesson(key)
    assert f"Next lesson → {nxt.title}" in [p.proto.label for p in at.get("page_link")]


def test_the_answer_opens_the_whole_page_in_one_run_with_the_controls_as_they_were():
    """The question view took the page's fresh-load first view (ui.stop_if_first_view), so the
    answer's run draws the whole page: the sidebar's controls are never taken away and redrawn
    (a browser then showed them at their minimums while the run used the link's values)."""
    at = open_lesson("epsilon", x0="-4")
    assert at.number_input(key="x0").value == -4.0
    at.radio(key="_lesson_answer_epsilon").set_value("same").run()
    at.button(key="_lesson_check_epsilon").click().run()
    # no first-view component left: only the one that moves the step marked at once
    assert not at.exception and [e.key for e in at.get("bidi_component")] == ["_instant_paths"]
    assert len(at.get("plotly_chart")) == 2 and at.error
    assert at.number_input(key="x0").value == -4.0 and at.select_slider(key="eps").value == "1"


def test_the_explanation_is_the_pages_reading_of_step_1():
    at = answer(open_lesson("epsilon"), "epsilon", "larger_g")
    run = fr.simulate(eps=1.0, steps=30)
    why = claims.lesson_why("epsilon", run)
    assert why.startswith("**Step 1.**") and "the smaller gradient takes the shorter step" in why
    assert why in [m.value for m in at.markdown]
    assert claims_step.moves(claims_step.StepView(run, 1)) in why


# --- reveal=1 and lock=1 --------------------------------------------------------------------------


@pytest.mark.parametrize("key", LESSONS)
def test_reveal_opens_a_formula_lesson_answered(key):
    sc = BY_KEY[key]
    at = open_lesson(key, reveal="1")
    labels = dict(sc.choices)
    right = quadratic_key(key, sc.query)
    assert [i.value for i in at.info] == [f"The answer on this run: **{labels[right]}**."]
    assert len(at.get("plotly_chart")) == 2 and reading(at)
    assert CHECK not in [b.label for b in at.button]


def test_lock_hides_the_controls_but_still_asks():
    at = open_lesson("epsilon", lock="1")
    kinds = ("slider", "select_slider", "number_input", "selectbox", "toggle", "segmented_control")
    for kind in kinds:
        assert not at.get(kind), kind
    assert at.radio(key="_lesson_answer_epsilon").label == BY_KEY["epsilon"].question
    assert len(at.get("plotly_chart")) == 1 and not reading(at)
    assert dict(at.query_params) == {"eps": "1", "lesson": "epsilon", "lock": "1"}
    answer(at, "epsilon", "smaller_g")
    assert at.success and len(at.get("plotly_chart")) == 2
    assert not at.get("slider")  # still locked once answered


# --- the key follows the settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "tiny", "one"),
    [("first_step", "same", "larger_g"), ("epsilon", "same", "smaller_g")],
)
def test_the_key_flips_with_epsilon(key, tiny, one):
    """With ε tiny the first step is η in both coordinates; with ε = 1, η·|g| / (|g| + 1)."""
    assert quadratic_key(key, {"eps": "1e-10"}) == tiny
    assert quadratic_key(key, {"eps": "1"}) == one
    for eps, right in (("1e-10", tiny), ("1", one)):
        assert claims.lesson_key(key, fr.simulate(eps=float(eps), steps=2)).choice == right
        at = open_lesson(key, eps=eps, reveal="1")
        label = dict(BY_KEY[key].choices)[right]
        assert [i.value for i in at.info] == [f"The answer on this run: **{label}**."]


def test_a_start_at_x_0_makes_the_question_moot_and_marks_nobody_wrong():
    assert quadratic_key("epsilon", {"eps": "1", "x0": "0"}) is None
    at = answer(open_lesson("epsilon", x0="0"), "epsilon", "smaller_g")
    assert any("No right answer" in i.value and "0 at step 1" in i.value for i in at.info)
    assert not at.error and not at.success


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=page_settings())
@example(values={**dict.fromkeys(("x0", "y0"), 0.0), "surface": "quadratic"})
@example(values={"run_on": "sparse"})
@example(values={"eps": 1.0, "acc0": 10.0})
def test_the_key_is_the_runs_first_step_over_the_whole_settings_space(values):
    run = fr.simulate(**{k: v for k, v in values.items() if k != "t"})
    for key in LESSONS:
        got = claims.lesson_key(key, run)
        if run.done == 0:
            assert got.choice is None and got.why
            continue
        assert got.choice == core_key(key, run.terms["g"][0], run.terms["update"][0])
        assert got.choice is None or got.choice in dict(BY_KEY[key].choices)
        assert got.choice is not None or got.why.endswith(".")
        claims.lesson_why(key, run)  # never raises


# --- readable once answered -----------------------------------------------------------------------


def _prose_tool():
    spec = importlib.util.spec_from_file_location(
        "prose_metrics", ROOT.parent / "shared" / "tools" / "prose_metrics.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("key", LESSONS)
def test_a_revealed_formula_lesson_reads_within_the_limits(key):
    sc = BY_KEY[key]
    query = "&".join(f"{k}={v}" for k, v in {**lesson_query(sc), "reveal": "1"}.items())
    r = _prose_tool().measure(APP, f"formula?{query}")
    assert not r["exception"]
    assert r["longest_paragraph"] <= 60, r
    assert r["mean_sentence"] <= 20, r
    assert r["max_numbers_in_a_sentence"] <= 4, r
