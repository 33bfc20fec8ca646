"""Lessons that ask first, under AppTest: every lesson × every choice.

Before the answer a lesson shows its question and the settings, and none of the run that gives
the answer away; after it, the verdict is the one the run computes (the claims module's
``lesson_key``), never a hand-written key. ``reveal=1`` opens a lesson answered, ``lock=1``
hides the controls but still asks.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adagrad_app import claims_frequency as Q
from adagrad_app.lesson_ui import CHECK, lesson_query
from adagrad_app.scenarios import BY_KEY, SCENARIOS, next_lesson
from adagrad_core import sparse as sp
from tests.apptest import answer, load, open_lesson
from tests.test_claims_sparse import SCHEMA as SPARSE_SCHEMA
from tests.test_claims_sparse import evidence

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SPARSE = [sc.key for sc in SCENARIOS if sc.page == "pages/sparse-features.py"]


def sparse_key(key: str, query: dict):
    """The key recomputed here from the lesson's settings, straight from the core."""
    v = {k: d for k, (d, _, _) in SPARSE_SCHEMA.items() if k in evidence.__code__.co_varnames}
    for k, raw in query.items():
        if k in v:
            v[k] = type(v[k])(raw) if not isinstance(v[k], bool) else raw == "1"
    run, rates, bs = evidence(**v)
    return Q.lesson_key(key, run, rates, bs)


def test_the_path_has_ten_lessons_and_each_links_the_next():
    assert len(SCENARIOS) >= 10
    keys = [sc.key for sc in SCENARIOS]
    assert [next_lesson(k).key for k in keys[:-1]] == keys[1:]
    assert next_lesson(keys[-1]) is None
    covered = {sc.page for sc in SCENARIOS}
    assert covered == {"pages/trajectories.py", "pages/sparse-features.py", "pages/formula.py"}


@pytest.mark.parametrize("key", SPARSE)
def test_a_sparse_lesson_asks_first_and_hides_the_run(key):
    at = open_lesson(key)
    sc = BY_KEY[key]
    radio = at.radio(key=f"_lesson_answer_{key}")
    assert radio.label == sc.question and radio.value is None
    assert [b.label for b in at.button] == [CHECK]
    assert not at.get("plotly_chart") and not at.dataframe  # nothing of the run yet
    assert not at.success and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "SGD rate" not in text  # no claim of the run either
    assert "**The model:**" in text  # the settings' meaning stays


@pytest.mark.parametrize(
    ("key", "choice"), [(sc.key, c) for sc in SCENARIOS if sc.key in SPARSE for c, _ in sc.choices]
)
def test_every_choice_of_a_sparse_lesson_gets_the_runs_verdict(key, choice):
    sc = BY_KEY[key]
    right = sparse_key(key, sc.query)
    at = answer(open_lesson(key), key, choice)
    labels = dict(sc.choices)
    if right.choice is None:
        assert any("No right answer" in i.value for i in at.info)
    elif choice == right.choice:
        assert [s.value for s in at.success] == [f"Right: **{labels[right.choice]}**."]
    else:
        assert at.error and labels[right.choice] in at.error[0].value
    assert any(m.value.startswith("**Try it yourself:**") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 5  # the run, revealed
    nxt = next_lesson(key)
    links = [p.proto.label for p in at.get("page_link")]
    assert f"Next lesson → {nxt.title}" in links


def test_checking_without_an_answer_asks_for_one():
    at = open_lesson("rare")
    at.button(key="_lesson_check_rare").click().run()
    assert any("Pick an answer first" in w.value for w in at.warning)
    assert not at.get("plotly_chart")


def test_reveal_opens_the_lesson_answered_and_lock_still_asks():
    at = open_lesson("rare", reveal="1")
    assert len(at.get("plotly_chart")) == 5
    assert any("The answer on this run" in i.value for i in at.info)
    locked = open_lesson("rare", lock="1")
    assert not locked.slider and not locked.selectbox  # no controls
    assert locked.radio(key="_lesson_answer_rare").label == BY_KEY["rare"].question
    assert not locked.get("plotly_chart")
    assert dict(locked.query_params) == {"lesson": "rare", "lock": "1"}


def test_a_lesson_of_another_page_is_named_and_dropped():
    sc = BY_KEY["rare"]
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(sc.page)
    at.query_params["lesson"] = "valley"
    load(at)
    assert "'valley' is not a lesson of this page" in at.warning[0].value
    assert "lesson" not in at.query_params and len(at.get("plotly_chart")) == 5


# --- the key follows the settings ---------------------------------------------------------------


def test_the_rare_key_flips_when_rare_features_are_common_enough():
    assert sparse_key("rare", {}).choice == "adagrad"
    assert sparse_key("rare", {"p_rare": "0.2"}).choice == "tie"  # as its try-it says
    assert sparse_key("rare", {"examples": "20480"}).choice == "sgd"  # Adagrad's rate decays


def test_the_minibatch_key_flips_with_how_rare_the_rare_features_are():
    assert sparse_key("minibatch", {"batch": "64"}).choice == "less"
    assert sparse_key("minibatch", {"batch": "64", "p_rare": "0.001"}).choice == "same"


def test_the_one_rate_key_flips_when_rare_features_are_common_enough():
    assert sparse_key("one_rate", {}).choice == "larger"
    assert sparse_key("one_rate", {"p_rare": "0.2"}).choice == "same"  # as its try-it says


def test_a_moot_question_says_so_instead_of_marking_anyone_wrong():
    key = sparse_key("rare", {"sgd_lr": "2", "adagrad_lr": "5", "p_freq": "1"})
    run, rates, _ = evidence(sgd_lr=2.0, adagrad_lr=5.0, p_freq=1.0)
    assert run.diverged_at["sgd"] is not None and key.choice is None
    at = answer(open_lesson("rare", sgd_lr="2", adagrad_lr="5", p_freq="1"), "rare", "sgd")
    assert any("No right answer" in i.value for i in at.info)
    assert [e.value for e in at.error if "Not on this run" in e.value] == []
    assert sp.summarize(run)  # (the run exists: the lesson is moot, not broken)


def test_next_lesson_on_the_same_page_opens_with_its_own_settings():
    """where_g (zipf) -> minibatch (two groups, B = 64) stays on this page: the browser still
    shows where_g's widgets, and the link's values must win (ui.follow_link)."""
    at = answer(open_lesson("where_g"), "where_g", "same")
    nxt = BY_KEY["minibatch"]
    assert f"Next lesson → {nxt.title}" in [p.proto.label for p in at.get("page_link")]
    at.query_params.clear()
    for k, v in lesson_query(nxt).items():
        at.query_params[k] = v
    load(at)
    assert not at.exception
    assert at.selectbox(key="preset").value == "two_groups"
    assert at.select_slider(key="batch").value == 64
    assert at.radio(key="_lesson_answer_minibatch").value is None  # asked, not yet answered
    assert dict(at.query_params) == {"batch": "64", "lesson": "minibatch"}  # defaults left out
