"""The trajectories page's four lessons under AppTest: each asks first, then gives the verdict.

Before the answer a lesson shows its question, the settings and the surface, and none of the run
that gives the answer away: no path, no table, no claim. After it, the verdict is the one the run
computes. The expected key is worked out here from the core's arrays (``racers.race``,
``racers.sgd_sweep``) by :func:`oracle`, not read from the claims module it checks.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from streamlit.testing.v1 import AppTest

from adagrad_app import claims_lessons_trajectories as L
from adagrad_app import claims_trajectories as C
from adagrad_app.lesson_ui import CHECK, lesson_query
from adagrad_app.params import parse
from adagrad_app.scenarios import BY_KEY, SCENARIOS, Key, next_lesson
from adagrad_app.trajectories_settings import schema_for
from adagrad_core import SURFACES
from adagrad_core.racers import Sweep, race
from tests.apptest import answer, load, open_lesson
from tests.test_claims_trajectories import page_settings, run_page
from tests.test_readability import PM

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/trajectories.py"
LESSONS = [sc.key for sc in SCENARIOS if sc.page == PAGE]
TARGET = 1e-3  # the questions' f − f* = 0.001
CLEAR = 0.9  # a ratio past 0.9 (or 1/0.9) is a clear difference: the tolerance the texts state
SURFACE_ONLY = {"click", "colour bar", "minimum", "start"}  # the chart's traces before the answer


# --- the key, worked out here from the core -------------------------------------------------------


def evidence(query: dict) -> tuple:
    """The runs, SGD's sweep and the Rotation panels' runs of the page at the link ``query``."""
    name = query.get("surface", "quadratic")
    values, _ = parse(schema_for(name), {k: v for k, v in query.items() if k != "lesson"})
    runs, sweep, _ = run_page(SURFACES[name], values)
    pair = ("adagrad", "adagrad_full")
    rotation = tuple(
        race(SURFACES[n], pair, {}, {}, SURFACES[n].start, 100) for n in ("quadratic", "rotated")
    )
    return runs, sweep, rotation


def first_below(gap: np.ndarray, last: int) -> int | None:
    hit = np.flatnonzero(gap[: last + 1] < TARGET)
    return int(hit[0]) if hit.size else None


def geo_mean_end(run) -> float:
    r = run.eff_lr[run.last - 1]
    return float(np.sqrt(r[0]) * np.sqrt(r[1]))


def oracle(key: str, runs: dict, sweep: Sweep | None, rotation: tuple) -> str | None:
    """The right choice, or None when the question is moot."""
    if key == "valley":
        if "adagrad" not in runs or "sgd" not in runs or runs["adagrad"].diverged_at is not None:
            return None
        if sweep.best is None or all(r.gap[0] < TARGET for r in runs.values()):
            return None
        sa = first_below(runs["adagrad"].gap, runs["adagrad"].last)
        sb = int(sweep.reached[sweep.best])
        sb = None if sb < 0 else sb
        if sa is None and sb is None:
            return None
        if sb is None or (sa is not None and sa < sb):
            return "adagrad"
        return "tie" if sa == sb else "sgd"
    if key == "plateau":
        three = ("sgd", "momentum", "adagrad")
        if any(k not in runs or runs[k].diverged_at is not None for k in three):
            return None
        (g1, k1), (g2, _), _ = sorted((runs[k].gap[-1], k) for k in three)
        return k1 if g2 > 1e-16 and g1 < CLEAR * g2 else None
    if key == "forgets":
        if any(k not in runs or runs[k].diverged_at is not None for k in ("adagrad", "rmsprop")):
            return None
        a, r = geo_mean_end(runs["adagrad"]), geo_mean_end(runs["rmsprop"])
        return "rmsprop" if a < CLEAR * r else "adagrad" if r < CLEAR * a else "tie"
    if key == "rotation":
        aligned, rotated = rotation
        slow = {}
        for k in ("adagrad", "adagrad_full"):
            before = first_below(aligned[k].gap, aligned[k].last)
            after = first_below(rotated[k].gap, rotated[k].last)
            slow[k] = math.inf if after is None else after / before
        d, f = slow["adagrad"], slow["adagrad_full"]
        return "adagrad" if f < CLEAR * d else "adagrad_full" if d < CLEAR * f else "tie"
    raise KeyError(key)


def expected(key: str, **extra: str) -> str | None:
    """The oracle's key at the lesson's link changed by ``extra``; the claims module agrees."""
    runs, sweep, rotation = evidence({**BY_KEY[key].query, **extra})
    want = oracle(key, runs, sweep, rotation)
    assert L.lesson_key(key, runs, sweep, rotation).choice == want
    return want


# --- the page -------------------------------------------------------------------------------------


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts + [i.value for i in at.info] + [e.value for e in at.error])


def verdict_is(at: AppTest, key: str, choice: str, right: str | None) -> None:
    labels = dict(BY_KEY[key].choices)
    if right is None:
        assert any("No right answer" in i.value for i in at.info)
        assert not at.success and not [e for e in at.error if "Not on this run" in e.value]
    elif choice == right:
        assert [s.value for s in at.success] == [f"Right: **{labels[right]}**."]
    else:
        assert not at.success
        assert at.error and f"the answer is **{labels[right]}**" in at.error[0].value


def test_the_four_lessons_and_their_oracle_keys():
    assert LESSONS == ["valley", "plateau", "forgets", "rotation"]
    assert {k: expected(k) for k in LESSONS} == {
        "valley": "adagrad",
        "plateau": "adagrad",
        "forgets": "rmsprop",
        "rotation": "adagrad",
    }


@pytest.mark.parametrize("key", LESSONS)
def test_a_lesson_asks_first_and_shows_only_the_surface(key):
    at = open_lesson(key)
    sc = BY_KEY[key]
    radio = at.radio(key=f"_lesson_answer_{key}")
    assert radio.label == sc.question and radio.value is None
    assert [b.label for b in at.button] == [CHECK]
    (fig,) = charts(at)  # the surface alone: no path, no racer, no animation
    assert {t["name"] for t in fig["data"]} == SURFACE_ONLY and "frames" not in fig
    assert fig["layout"]["images"]  # the contour bands
    assert not at.table and not at.dataframe and not at.success and not at.error
    body = texts(at)
    for telling in ("closest", "first to get", "First below", "diverged", "rate fell", "steps"):
        assert telling not in body, telling
    assert SURFACES[sc.query["surface"]].label in body  # the surface's meaning stays
    assert at.sidebar.selectbox[0].value == sc.query["surface"]  # and the settings
    assert at.sidebar.multiselect[0].value == sc.query["opts"].split(",")


@pytest.mark.parametrize(("key", "choice"), [(k, c) for k in LESSONS for c, _ in BY_KEY[k].choices])
def test_every_choice_gets_the_runs_verdict(key, choice):
    at = answer(open_lesson(key), key, choice)
    verdict_is(at, key, choice, expected(key))
    assert any(m.value.startswith("**Try it yourself:**") for m in at.markdown)
    race_chart = charts(at)[0]
    assert any(t["name"].endswith(" path") for t in race_chart["data"])  # the paths, revealed
    assert len(at.get("plotly_chart")) == 5 and at.table
    nxt = next_lesson(key)
    links = [p.proto.label for p in at.get("page_link")]
    want = f"Next lesson → {nxt.title}" if nxt else "That was the last lesson: back to the start"
    assert want in links


def test_checking_without_an_answer_asks_for_one():
    at = open_lesson("valley")
    at.button(key="_lesson_check_valley").click().run()
    assert any("Pick an answer first" in w.value for w in at.warning)
    assert {t["name"] for t in charts(at)[0]["data"]} == SURFACE_ONLY


@pytest.mark.parametrize("key", LESSONS)
def test_reveal_opens_the_lesson_answered_and_readable(key):
    at = open_lesson(key, reveal="1")
    assert len(at.get("plotly_chart")) == 5
    labels = dict(BY_KEY[key].choices)
    assert any(i.value == f"The answer on this run: **{labels[expected(key)]}**." for i in at.info)
    # the explanation sits in the verdict's box, before the run's own texts
    why = L.lesson_why(key, *evidence(BY_KEY[key].query))
    assert why and all(p in texts(at) for p in why.split("\n\n"))
    paras = [p for t in PM.texts(at) for p in PM.paragraphs(t)]
    sentences = [s for p in paras for s in PM.SENTENCE_END.split(p) if PM.words(s)]
    assert max(len(PM.words(p)) for p in paras) <= 60
    assert np.mean([len(PM.words(s)) for s in sentences]) <= 20
    assert max(len(PM.NUMBER.findall(s)) for s in sentences) <= 4


def test_lock_hides_the_controls_and_still_asks():
    at = open_lesson("plateau", lock="1")
    assert not at.sidebar.slider and not at.sidebar.selectbox and not at.sidebar.multiselect
    assert at.radio(key="_lesson_answer_plateau").label == BY_KEY["plateau"].question
    assert {t["name"] for t in charts(at)[0]["data"]} == SURFACE_ONLY
    assert dict(at.query_params) == {**lesson_query(BY_KEY["plateau"]), "lock": "1"}
    answer(at, "plateau", "sgd")
    assert at.error and len(at.get("plotly_chart")) == 5


def test_next_lesson_on_this_page_opens_with_its_own_settings():
    # "Next lesson →" from plateau to forgets stays on this page: the browser sends plateau's
    # widget values with the link's URL, and the link must win
    at = answer(open_lesson("plateau"), "plateau", "adagrad")
    assert "Next lesson → " + BY_KEY["forgets"].title in [
        p.proto.label for p in at.get("page_link")
    ]
    at.query_params.clear()
    for k, v in lesson_query(BY_KEY["forgets"]).items():
        at.query_params[k] = v
    load(at)
    assert not at.exception
    assert at.sidebar.selectbox[0].value == "rosenbrock"
    assert at.sidebar.multiselect[0].value == ["adagrad", "rmsprop"]
    assert at.radio(key="_lesson_answer_forgets").value is None  # asked, not yet answered
    assert {t["name"] for t in charts(at)[0]["data"]} == SURFACE_ONLY
    assert dict(at.query_params) == lesson_query(BY_KEY["forgets"])


# --- the key follows the settings -----------------------------------------------------------------


def test_the_valley_key_flips_when_adagrads_rate_is_too_small():
    assert expected("valley") == "adagrad"
    assert expected("valley", lr_adagrad="0.5") == "sgd"  # as its try-it says: move the slider
    at = answer(open_lesson("valley", lr_adagrad="0.5"), "valley", "sgd")
    verdict_is(at, "valley", "sgd", "sgd")


def test_the_plateau_key_flips_when_momentum_has_time_to_cross():
    assert expected("plateau", steps="1000", lr_adagrad="0.1") == "momentum"
    at = answer(open_lesson("plateau", steps="1000", lr_adagrad="0.1"), "plateau", "momentum")
    verdict_is(at, "plateau", "momentum", "momentum")


def test_the_forgets_key_flips_as_rmsprops_memory_grows():
    # as its try-it says: move RMSprop's α towards 0.999, and past it
    assert expected("forgets", alpha="0.999") == "tie"
    assert expected("forgets", alpha="0.9999") == "adagrad"
    at = answer(open_lesson("forgets", alpha="0.9999"), "forgets", "rmsprop")
    verdict_is(at, "forgets", "rmsprop", "adagrad")


def test_a_moot_question_says_so_instead_of_marking_anyone_wrong():
    runs, sweep, rotation = evidence({**BY_KEY["plateau"].query, "lr_sgd": "0.3"})
    assert runs["sgd"].diverged_at is not None  # SGD blows up at the wall
    assert L.lesson_key("plateau", runs, sweep) == Key(
        None, "SGD diverged: lower its learning rate."
    )
    at = answer(open_lesson("plateau", lr_sgd="0.3"), "plateau", "adagrad")
    verdict_is(at, "plateau", "adagrad", None)
    assert "SGD diverged" in at.info[0].value


# --- the claims module's keys, on edge cases and over the page's whole settings space ------------


def test_a_near_tie_is_moot():
    # at a small Adagrad rate nobody crosses in 100 steps: SGD and Momentum end 0.003% apart
    assert expected("plateau", lr_adagrad="0.1") is None
    runs, sweep, _ = evidence({**BY_KEY["plateau"].query, "lr_adagrad": "0.1"})
    assert "within 10% of each other" in L.lesson_key("plateau", runs, sweep).why


def test_moot_keys_name_their_reason():
    runs, sweep, rotation = evidence(BY_KEY["valley"].query)
    below = evidence({**BY_KEY["valley"].query, "x0": "0", "y0": "0"})
    assert L.lesson_key("valley", *below[:2]).choice is None  # every racer starts there
    assert "starts with f − f* below" in L.lesson_key("valley", *below[:2]).why
    assert L.lesson_key("valley", {"adagrad": runs["adagrad"]}, None).why.startswith("SGD is not")
    assert (
        L.lesson_key("forgets", runs, sweep).why == "RMSprop is not racing: add it in the sidebar."
    )
    assert L.lesson_key("rotation", runs, sweep, None).choice is None
    # a tie: SGD's best rate gets there at Adagrad's own step
    sa = C.steps_to(runs["adagrad"])
    tied = Sweep(np.array([0.3]), np.array([sa]), np.array([0.0]), np.array([-1]), TARGET, 0)
    assert L.lesson_key("valley", runs, tied) == Key("tie")
    assert "needs 17 steps; SGD at its best rate, lr = 0.3, needs 17 steps" in L.lesson_why(
        "valley", runs, tied
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page_settings())
def test_every_lessons_key_is_the_oracles_on_any_settings(drawn):
    surface, values = drawn
    runs, sweep, _ = run_page(surface, values)
    _, _, rotation = evidence({})
    for key in LESSONS:
        got = L.lesson_key(key, runs, sweep, rotation)
        assert got.choice in {None, *dict(BY_KEY[key].choices)}
        assert got.choice is not None or got.why  # a moot question says why
        if got.choice is not None or key != "forgets":  # (NaN rates: moot by design)
            assert got.choice == oracle(key, runs, sweep, rotation), (key, got)
        why = L.lesson_why(key, runs, sweep, rotation, goal="the minimum")
        for s in PM.SENTENCE_END.split(why):
            assert len(PM.NUMBER.findall(s)) <= 4, s
