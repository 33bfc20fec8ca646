"""The scenario gallery: every link opens its page cleanly, and every claim holds for the run
the page actually computes (captured from the page under AppTest, not recomputed here)."""

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from adagrad_app.scenarios import SCENARIOS
from adagrad_core import racers, sparse
from tests.apptest import load

APP = str(Path(__file__).resolve().parents[1] / "app.py")
BY_KEY = {s.key: s for s in SCENARIOS}


def open_scenario(key: str) -> AppTest:
    sc = BY_KEY[key]
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(sc.page)
    for k, v in sc.query.items():
        at.query_params[k] = v
    return load(at)


@pytest.fixture
def captured(monkeypatch):
    """The results of racers.race and sparse.simulate as the page calls them."""
    st.cache_data.clear()
    st.cache_resource.clear()
    seen: dict[str, list] = {"race": [], "simulate": []}

    def spy(name, fn):
        def wrapper(*args, **kwargs):
            out = fn(*args, **kwargs)
            seen[name].append(out)
            return out

        return wrapper

    monkeypatch.setattr(racers, "race", spy("race", racers.race))
    monkeypatch.setattr(sparse, "simulate", spy("simulate", sparse.simulate))
    return seen


def steps_to(gap: np.ndarray, level: float = 1e-3) -> int:
    below = np.flatnonzero(gap < level)
    return int(below[0]) if below.size else len(gap)


def test_at_least_ten_lessons_each_asking_first():
    assert len(SCENARIOS) >= 10
    assert all(sc.question and 2 <= len(sc.choices) <= 4 and sc.try_it for sc in SCENARIOS)
    assert len({s.key for s in SCENARIOS}) == len(SCENARIOS)
    assert all(s.notice and s.title for s in SCENARIOS)


@pytest.mark.parametrize("key", list(BY_KEY))
def test_scenario_link_opens_cleanly(key):
    at = open_scenario(key)
    assert not at.exception
    assert not [w for w in at.warning if "adjusted" in w.value], "the link needs no correction"
    for k, v in BY_KEY[key].query.items():
        assert as_text(at.session_state[k]) == as_text(v), k


def as_text(value) -> str:
    """A setting as the URL spells it (lists comma-joined, numbers normalised)."""
    if isinstance(value, list):
        return ",".join(value)
    try:
        return f"{float(value):g}"
    except ValueError:
        return str(value)


def test_home_page_links_every_scenario():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    labels = [el.proto.label for el in at.get("page_link")]
    for sc in SCENARIOS:
        assert any(sc.title in label for label in labels), sc.title


def test_valley_sgd_zigzags_then_runs_under_adagrad_which_is_several_times_sooner(captured):
    open_scenario("valley")
    runs = captured["race"][0]
    sgd, ada = runs["sgd"].params, runs["adagrad"].params
    # SGD zig-zags across y for its first few steps (visibly: 1% of the plot's height or more)
    assert np.all(np.diff(np.sign(sgd[:4, 1])) != 0) and np.all(np.abs(sgd[:3, 1]) > 0.01 * 6)
    # then runs along the x axis, partly under Adagrad's path: right of Adagrad's second point,
    # which is over half of SGD's way along the axis, they are within 2.5% of the plot's height
    assert np.abs(sgd[4:, 1]).max() < 0.01
    under = sgd[:, 0] >= ada[2, 0]
    assert abs(ada[2, 0]) > 0.5 * abs(sgd[4, 0])
    gap = np.abs(sgd[under, 1] - np.interp(sgd[under, 0], ada[:, 0], ada[:, 1]))
    assert gap.max() < 0.025 * 6
    # Adagrad never zig-zags: its y steps all have one sign
    assert np.sum(np.diff(np.sign(runs["adagrad"].updates[:, 1])) != 0) == 0
    # several times sooner below f - f* = 0.001; SGD gets there too (it does not crawl)
    assert steps_to(runs["sgd"].gap) >= 3 * steps_to(runs["adagrad"].gap)
    assert steps_to(runs["sgd"].gap) < len(runs["sgd"].gap)
    assert "crawl" not in BY_KEY["valley"].notice


def test_adagrad_never_forgets_the_big_gradient_rmsprop_does(captured):
    at = open_scenario("forgets")
    runs = captured["race"][0]
    ada, rms = runs["adagrad"], runs["rmsprop"]
    assert len(ada.gap) == 1001
    # G jumps at step 2 (step 1 landed high on the valley wall), and stays: the gradients of
    # the first 3 steps make 99% of the final sum
    assert np.all(ada.accumulator[1] > 10 * ada.accumulator[0])
    assert np.all(ada.accumulator[2] > 0.99 * ada.accumulator[-1])
    # the rate only shrinks: about tenfold at step 2, then hardly at all
    rate = ada.eff_lr
    assert np.all(np.diff(rate, axis=0) <= 0)
    assert np.all((rate[0] / rate[1] > 5) & (rate[0] / rate[1] < 20))
    assert np.all(rate[-1] > 0.95 * rate[1])  # then by a few percent at most
    # RMSprop's rate drops too, then climbs back; it ends much closer
    r = rms.eff_lr
    assert np.all(r[1] < r[0] / 5) and np.all(r[-1] > 3 * r.min(0))
    assert rms.gap[-1] < ada.gap[-1] / 5
    # the page's caption of the rate chart says when the fall happened, as the chart shows
    eff = next(c.value for c in at.caption if "effective learning rate only shrinks" in c.value)
    assert "almost all of it in the first 2 steps" in eff
    assert "dies" not in BY_KEY["forgets"].title


def test_plateau_sgd_stuck_adagrad_crosses(captured):
    open_scenario("plateau")
    runs = captured["race"][0]
    x_start = runs["sgd"].params[0, 0]
    for k in ("sgd", "momentum"):
        assert abs(runs[k].params[-1, 0] - x_start) < 0.5, k
    assert runs["adagrad"].gap[-1] < 1e-6


def test_rotation_slows_diagonal_not_full_matrix(captured):
    open_scenario("rotation")
    # The main race is on the rotated quadratic; the Rotation panels also race on the
    # axis-aligned one (from d2l's start).
    # (the page also races single racers: the instant paths one slider step away)
    aligned = next(
        r
        for r in captured["race"]
        if {"adagrad", "adagrad_full"} <= set(r) and np.allclose(r["adagrad"].params[0], [-5, -2])
    )
    rotated = captured["race"][0]
    diag = steps_to(rotated["adagrad"].gap) / steps_to(aligned["adagrad"].gap)
    full = steps_to(rotated["adagrad_full"].gap) / steps_to(aligned["adagrad_full"].gap)
    assert diag >= 3 and 0.8 <= full <= 1.25


def test_rare_features_catch_up_and_no_single_sgd_rate_serves_both(captured):
    at = open_scenario("rare")
    run = captured["simulate"][0]
    s = sparse.summarize(run)
    assert s["n_rare"] > 0 and run.batch_size == 1
    data = sparse.make_data(run.probs, n_examples=run.steps, seed=0)
    rates = sparse.sgd_rate_sweep(data, batch_size=1)
    ok = ~rates.diverged
    ada = s["adagrad"]
    # rare weights are best at a larger SGD rate than frequent ones (chart ②)
    assert (
        rates.lrs[ok][np.argmin(rates.rare_error[ok])]
        > rates.lrs[ok][np.argmin(rates.frequent_error[ok])]
    )
    # Adagrad ends closer than SGD's best rate in both groups
    b = rates.best
    assert (
        ada["rare_error"] < rates.rare_error[b] and ada["frequent_error"] < rates.frequent_error[b]
    )
    assert "no single SGD rate" in at.markdown[0].value


def test_minibatch_frequent_weights_lose_their_adjustments_rare_ones_far_fewer(captured):
    open_scenario("minibatch")
    run = captured["simulate"][0]
    assert run.batch_size == 64
    s = sparse.summarize(run)
    # per adjustment, SGD's rare step is far smaller than Adagrad's at B = 64
    assert s["sgd"]["rare_step"] < s["adagrad"]["rare_step"] / 5
    # over the same examples, from B = 1 to 64: frequent weights lose almost all adjustments
    by_b = {
        r.batch_size: sparse.summarize(r) for r in captured["simulate"] if "adagrad" in r.optimizers
    }
    f = by_b[64]["frequent_adjustments"] / by_b[1]["frequent_adjustments"]
    r = by_b[64]["rare_adjustments"] / by_b[1]["rare_adjustments"]
    assert f < 0.1 and r > 0.5
    # every run the lesson shows (its own and the sweep's, B = 1 to 256) stays finite
    sizes = sorted(r.batch_size for r in captured["simulate"])
    assert sizes[0] == 1 and sizes[-1] == 256
    assert all(r.diverged_at[n] is None for r in captured["simulate"] for n in r.optimizers)


def test_epsilon_first_step_is_lr_g_over_g_plus_eps():
    from adagrad_core import SURFACES, run

    s = SURFACES["quadratic"]
    g = s.grad(np.array(s.start))
    tiny = run("adagrad", s.grad, s.start, 1, lr=1.0, eps=1e-10).updates[0]
    one = run("adagrad", s.grad, s.start, 1, lr=1.0, eps=1.0).updates[0]
    np.testing.assert_allclose(np.abs(tiny), 1.0, rtol=1e-9)
    np.testing.assert_allclose(np.abs(one), np.abs(g) / (np.abs(g) + 1), rtol=1e-12)
    assert BY_KEY["epsilon"].query["eps"] == "1"
