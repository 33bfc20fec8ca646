"""The trajectories page's claims: each sentence true for the run it is printed under.

Properties over the page's whole settings space (its Param schema, every setting at its
minimum and maximum included), then regression tests for the links of issue 17.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adagrad_app import claims_lessons_trajectories as L
from adagrad_app import claims_paths as P
from adagrad_app import claims_trajectories as C
from adagrad_app import fig_common as F
from adagrad_app import fig_linked
from adagrad_app.trajectories_settings import (
    CUSTOM,
    EPS_GRID,
    LR_GRID,
    knobs_of,
    schema_for,
)
from adagrad_core import SURFACES
from adagrad_core.expr import make_surface
from adagrad_core.racers import (
    DEFAULT_RACERS,
    GAP_FLOOR,
    KNOBS,
    RACERS,
    race,
    sgd_sweep,
)

# the number pattern of ../shared/tools/prose_metrics.py: what a reader counts as a number
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+−]?\d+)?(?![\w])", re.I)
CUSTOM_EXPRS = ("x**2 + 10*sin(y)", "x + y", "(x - 1)**2 + 3*y**2")


def numbers(text: str) -> list[str]:
    return [n.rstrip(",") for n in NUMBER.findall(text or "")]


# --- the settings space ---------------------------------------------------------------------------


def _value(param, surface):
    """A strategy for one setting: its minimum, its maximum or anything between (on the slider
    grid where the page snaps to one; a start inside the plot, where the page clamps it)."""
    if param.key.startswith("lr_"):
        return st.sampled_from(LR_GRID)
    if param.key == "eps":
        return st.sampled_from(EPS_GRID)
    if param.key in ("x0", "y0"):
        lo, hi = surface.bounds[param.key == "y0"]
        return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi))
    if param.kind == "float":
        return st.one_of(st.sampled_from([param.lo, param.hi]), st.floats(param.lo, param.hi))
    if param.kind == "int":
        return st.one_of(st.sampled_from([int(param.lo), int(param.hi)]), st.integers(10, 300))
    if param.kind == "choice":
        return st.sampled_from(param.options)
    if param.kind == "multi":
        return st.lists(st.sampled_from(param.options), min_size=1, max_size=5, unique=True)
    return st.just(param.default)


@st.composite
def page_settings(draw):
    name = draw(st.sampled_from([*SURFACES, CUSTOM]))
    if name == CUSTOM:
        surface = make_surface(draw(st.sampled_from(CUSTOM_EXPRS)))
    else:
        surface = SURFACES[name]
    values = {}
    for p in schema_for(name):
        if p.key in ("surface", "expr", "box", "view3d"):
            continue
        values[p.key] = draw(_value(p, surface))
    if "nesterov" in values["opts"] and values["momentum"] == 0:  # the page shows an error
        values["momentum"] = 0.9
    return surface, values


def run_page(surface, v):
    """What the page computes for settings ``v``: the runs, the sweep, SGD at its best."""
    keys = tuple(v["opts"])
    lrs = {k: v[f"lr_{k}"] for k in keys}
    knobs = dict(knobs_of(v))
    x0 = (v["x0"], v["y0"])
    runs = race(surface, keys, lrs, knobs, x0, v["steps"])
    sweep = tuned = None
    if "sgd" in keys and "adagrad" in keys:
        sweep = sgd_sweep(surface, x0, v["steps"], sorted({*LR_GRID, lrs["sgd"]}), C.TARGET)
        if sweep.best_lr is not None:
            tuned = race(surface, ("sgd",), {"sgd": sweep.best_lr}, knobs, x0, v["steps"])["sgd"]
    return runs, sweep, tuned


def every_claim(surface, runs, sweep, tuned) -> dict[str, str | None]:
    goal = F.goal(surface)
    out = {
        "takeaway": C.takeaway(runs, sweep, goal=goal),
        "race": C.race_caption(runs, goal=goal),
        "sweep": C.sweep_caption(runs, sweep),
        "minima": P.minima_caption(surface, runs),
        "twin": P.twin_caption(runs, surface.bounds),
        "step1": P.step_ratio_caption(runs),
        "eff_lr": P.eff_lr_caption(runs),
        "accumulator": P.accumulator_caption(runs),
        "weakness": P.weakness_caption(runs),
        "intro": C.surface_intro(surface, custom=surface.name == "custom"),
        "divergence": " ".join(C.divergence_messages(runs)),
    }
    for rows in (
        C.race_rows(runs, tuned, goal=goal),
        P.step1_rows(runs),
        P.accumulator_rows(runs),
        P.weakness_rows(runs, goal),
    ):
        assert all(isinstance(v, str) for row in rows for v in row.values())
    return out


# --- what must hold of every printed claim ---------------------------------------------------


def check_race(text, runs):
    if text is None:
        return
    first = re.search(
        r"First below ([\d.]+): (.*), (?:after (\d+) steps?|(?:both|all) after (\d+))", text
    )
    if C.starts_below(runs):
        assert "starts with f − f* below 0.001 already" in text and not first
        return
    reached = {r.label: C.steps_to(r) for r in C.alive(runs).values()}
    reached = {k: s for k, s in reached.items() if s is not None}
    if not reached:
        assert first is None
        return
    assert first, text
    step = int(first.group(3) or first.group(4))
    assert step == min(reached.values()) and step > 0
    assert set(re.findall(r"\*\*(.+?)\*\*", first.group(2))) == {
        k for k, s in reached.items() if s == step
    }
    assert set(numbers(text)) <= {str(runs_steps(runs)), "0.001", str(step)}


def runs_steps(runs):
    return next(iter(runs.values())).updates.shape[0]


def check_sweep(text, runs, sweep, tuned):
    if text is None:
        assert sweep is None
        return
    allowed = {str(len(sweep.lrs)), C.num(sweep.lrs.min()), C.num(sweep.lrs.max()), "0.001"}
    if sweep.best is None:
        assert tuned is None and "Every rate tried diverged" in text
        return
    assert f"lr = {sweep.best_lr:g}," in text
    # the best rate is the best of the sweep: no rate that did not diverge does better
    ok = sweep.diverged < 0
    reach = np.where(sweep.reached >= 0, sweep.reached, 10**9)[ok]
    assert reach.min() == (sweep.reached[sweep.best] if sweep.reached[sweep.best] >= 0 else 10**9)
    # and its run in race() is the one the sweep measured
    assert tuned.diverged_at is None and tuned.gap[-1] == sweep.final_gap[sweep.best]
    sa, sb, su = C.steps_to(runs["adagrad"]), C.steps_to(tuned), C.steps_to(runs["sgd"])
    assert (sb if sb is not None else -1) == sweep.reached[sweep.best]
    allowed |= {f"{sweep.best_lr:g}", str(runs_steps(runs))}
    if m := re.search(r"Adagrad still gets there (\d+) steps? sooner", text):
        assert int(m.group(1)) == sb - sa > 0
        allowed.add(m.group(1))
        if p := re.search(r"That is (\d+)% of its lead", text):
            assert int(p.group(1)) == round(100 * (sb - sa) / (su - sa))
            allowed.add(p.group(1))
    if m := re.search(r"Tuned SGD gets there (\d+) steps? before Adagrad", text):
        assert int(m.group(1)) == sa - sb > 0
        allowed.add(m.group(1))
    if "same step as Adagrad" in text:
        assert sa == sb is not None
    if "No SGD rate gets there" in text:
        assert sb is None and sa is not None
    if m := re.search(r"(Adagrad|Tuned SGD) ends with a gap ([\d.,]+)× smaller", text):
        ga, gb = runs["adagrad"].gap[-1], sweep.final_gap[sweep.best]
        want = gb / ga if m.group(1) == "Adagrad" else ga / gb
        assert m.group(2) == C.times(want) and want > 1
        allowed.add(m.group(2))
    assert set(numbers(text)) <= allowed, (numbers(text), allowed)


def check_takeaway(text, runs, sweep):
    assert text.startswith(C.DEFINITION)
    assert len(re.split(r"(?<=[.!?])\s+", text.strip())) <= 3
    assert set(numbers(text)) <= {"0.001"}
    if "before SGD at its best" in text:
        sa, sb = C.steps_to(runs["adagrad"]), sweep.reached[sweep.best]
        assert sa is not None and (sb < 0 or sb > sa)
    if "first to get within" in text:
        assert not C.starts_below(runs)


def check_step1(text, runs):
    if text is None:
        return
    ua, us = np.abs(runs["adagrad"].updates[0]), np.abs(runs["sgd"].updates[0])
    own = ua[1] / ua[0]
    hp = runs["adagrad"].hparams
    if "about as long in both" in text:
        assert 0.9 <= own <= 1 / 0.9
    else:
        want = "√G + ε" if hp["eps_placement"] == "outside" else "√(G + ε)"
        assert f"divides by {want}," in text
    assert set(numbers(text)) <= {"1", C.times(us[1] / us[0]), C.times(own)}


def check_eff_lr(text, runs):
    if text is None:
        return
    run = runs.get("adagrad")
    if run is None or run.last < 2:
        assert "Adagrad's effective" not in text
        return
    hp = run.hparams
    t = run.last
    if "The dashed line" in text:
        # the line from the closed form, independently: G_t = G_0 + t·g₁²
        g0 = hp["initial_accumulator_value"]
        g1 = run.accumulator[0] - g0
        steps = np.arange(1, t + 1)[:, None]
        G = g0 + steps * g1
        root = (
            np.sqrt(G) + hp["eps"] if hp["eps_placement"] == "outside" else np.sqrt(G + hp["eps"])
        )
        line = hp["lr"] / (1 + (steps - 1) * hp["lr_decay"]) / root
        fall = line[0] / line[-1]
        m = re.search(r"would give: ÷([\d.,]+) by step (\d+)\.", text)
        assert m.group(1) == C.times(fall.max()) and int(m.group(2)) == t
        plain = math.sqrt(t) * (1 + (t - 1) * hp["lr_decay"])
        if "It falls like" in text:
            assert np.allclose(fall, plain, rtol=0.05)
        else:
            assert "it falls slower" in text and (fall <= plain * (1 + 1e-9)).all()
        assert ("lr decay" in text.split("The dashed line")[1]) == (hp["lr_decay"] > 0)
    for m in re.finditer(r"fell ([\d.,]+)× in ([xy])", text):
        i = "xy".index(m.group(2))
        assert m.group(1) == C.times(run.eff_lr[0, i] / run.eff_lr[t - 1, i])


def check_twin(text, runs, surface):
    if text is None:
        return
    a, r = runs["adagrad"], runs["rmsprop"]
    m = re.search(r"for (?:all|the first) (\d+) steps", text)
    n = int(m.group(1))
    width = F.plot_width(surface.bounds)
    gaps = np.linalg.norm(a.params[: n + 1] - r.params[: n + 1], axis=1)
    assert n >= 10 and (gaps <= 0.01 * width).all()
    if "steps like Adagrad" in text:
        alpha, lr = r.hparams["alpha"], r.hparams["lr"]
        assert math.isclose(lr / math.sqrt(1 - alpha), a.hparams["lr"], rel_tol=0.05)
    assert "well within" not in text


def check_weakness(text, runs):
    if text is None:
        assert "adagrad" not in runs or runs["adagrad"].last < 2
        return
    run = runs["adagrad"]
    t = run.last
    if m := re.search(r"rate in ([xy]) ends ([\d.,]+)× below", text):
        i = "xy".index(m.group(1))
        f = run.eff_lr[0, i] / run.eff_lr[t - 1, i]
        assert m.group(2) == C.times(f) and f >= 2
    if m := re.search(r"(\w+)'s rate in ([xy]) climbed back ([\d.,]+)×", text):
        other = next(o for o in runs.values() if o.label == m.group(1))
        r = other.eff_lr[: other.last, "xy".index(m.group(2))]
        assert m.group(3) == C.times(r[-1] / r.min()) and r[-1] / r.min() >= 1.5
        if "ends closer to the minimum" in text:
            assert other.gap[-1] < run.gap[-1]


def check_all(surface, runs, sweep, tuned, claims):
    for key, text in claims.items():
        if not text:
            continue
        assert not re.search(r"(?<![\d.,])1 (steps|times|minima)\b", text), (key, text)
        assert not re.search(r"\b(float64|preconditions|bias correction|well within)\b", text)
        assert "nan" not in text.lower().split() and "inf" not in text.split()
    check_race(claims["race"], runs)
    check_sweep(claims["sweep"], runs, sweep, tuned)
    check_takeaway(claims["takeaway"], runs, sweep)
    check_step1(claims["step1"], runs)
    check_eff_lr(claims["eff_lr"], runs)
    check_twin(claims["twin"], runs, surface)
    check_weakness(claims["weakness"], runs)


# --- properties -------------------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(page_settings())
def test_every_claim_holds_over_the_whole_settings_space(case):
    surface, v = case
    with np.errstate(all="ignore"):
        runs, sweep, tuned = run_page(surface, v)
    claims = every_claim(surface, runs, sweep, tuned)
    check_all(surface, runs, sweep, tuned, claims)


@pytest.mark.parametrize("end", ["lo", "hi"])
def test_every_setting_at_its_minimum_and_maximum(end):
    """Each numeric setting at its end, the others at their defaults (every racer runs)."""
    for p in schema_for("quadratic"):
        if p.kind not in ("float", "int"):
            continue
        v = {q.key: q.default for q in schema_for("quadratic")}
        v["opts"] = list(RACERS)
        v["steps"] = 60
        grid = LR_GRID if p.key.startswith("lr_") else EPS_GRID if p.key == "eps" else None
        value = (grid[0] if end == "lo" else grid[-1]) if grid else getattr(p, end)
        if p.key in ("x0", "y0"):
            value = SURFACES["quadratic"].bounds[p.key == "y0"][end == "hi"]
        v[p.key] = int(value) if p.kind == "int" else value
        if p.key == "steps":
            v[p.key] = int(p.lo) if end == "lo" else 1000
        if p.key == "momentum" and value == 0:
            v["opts"] = [k for k in RACERS if k != "nesterov"]
        s = SURFACES["quadratic"]
        with np.errstate(all="ignore"):
            runs, sweep, tuned = run_page(s, v)
        check_all(s, runs, sweep, tuned, every_claim(s, runs, sweep, tuned))


@pytest.mark.parametrize(
    ("v", "text"),
    [
        (0.0, "0"),
        (float("inf"), "∞"),
        (float("nan"), "not a number"),
        (-3.0, "-3"),
        (1e-300, "1e-300"),
        (2510.3, "2,510"),
        (999.7, "1,000"),
        (0.5556, "0.556"),
        (1.2345e-5, "0.0000123"),
    ],
)
def test_ratio_formatter_is_total(v, text):
    assert C.times(v) == text


def test_plurals():
    assert C.count(1, "step") == "1 step" and C.count(2, "step") == "2 steps"
    assert C.count(0, "step") == "0 steps"


# --- regression: the links of issue 17 ------------------------------------------------------------


def _race(surface="quadratic", keys=DEFAULT_RACERS, lrs=None, knobs=None, x0=None, steps=100):
    s = SURFACES[surface]
    return s, race(surface, keys, lrs or {}, {**KNOBS, **(knobs or {})}, x0 or s.start, steps)


def test_every_racer_starting_below_the_threshold_is_not_first_at_step_0():
    # /trajectories?x0=0.001&y0=0.001
    _, runs = _race(x0=(0.001, 0.001))
    text = C.race_caption(runs)
    assert "Every optimizer starts with f − f* below 0.001 already." in text
    assert "step 0" not in text and "First below" not in text
    assert "first to get" not in C.takeaway(runs)


def test_eps_inside_the_root_is_named_as_such():
    # /trajectories?opts=sgd,adagrad&eps=1&eps_placement=inside
    knobs = {"eps": 1.0, "eps_placement": "inside"}
    _, runs = _race(keys=("sgd", "adagrad"), knobs=knobs)
    text = P.step_ratio_caption(runs)
    assert "divides by √(G + ε)," in text and "√G + ε" not in text
    _, runs = _race(keys=("sgd", "adagrad"), knobs={"eps": 1.0})
    assert "divides by √G + ε," in P.step_ratio_caption(runs)


def test_lr_decay_is_named_in_the_dashed_line():
    # /trajectories?lr_decay=1: the line falls like 1/((1 + (t − 1)·decay)·√t)
    _, runs = _race(keys=("sgd", "adagrad"), knobs={"lr_decay": 1.0})
    text = P.eff_lr_caption(runs)
    assert "It falls like 1/√t, times the lr decay's 1/(1 + (t − 1)·decay)." in text
    assert "÷1,000 by step 100" in text  # √100 · (1 + 99)
    fig = fig_linked.eff_lr_figure(runs)
    (entry,) = [t for t in fig["data"] if t.get("showlegend")]
    assert entry["name"] == fig_linked.CONSTANT_G and "√t" not in entry["name"]
    _, runs = _race(keys=("sgd", "adagrad"))
    assert "It falls like 1/√t." in P.eff_lr_caption(runs)


def test_one_step_is_singular():
    _, runs = _race(keys=("sgd", "adagrad"), lrs={"sgd": 0.3, "adagrad": 0.05}, x0=(0.12, 0.0))
    assert "First below 0.001: **Adagrad**, after 1 step." in C.race_caption(runs)


def test_rosenbrock_twin_caption_claims_no_more_than_the_run_shows():
    # /trajectories?surface=rosenbrock&opts=adagrad,rmsprop&steps=1000: "first 96 steps ...
    # well within [100]" was printed
    s, runs = _race("rosenbrock", keys=("adagrad", "rmsprop"), steps=1000)
    text = P.twin_caption(runs, s.bounds)
    assert text.startswith("RMSprop's path lies under Adagrad's for the first 96 steps")
    assert "well within" not in text and "1/(1 − α) = 100 steps" in text
    assert "here 0.5: Adagrad's own." in text


def test_rmsprop_alpha_0_with_the_smallest_rates_does_not_raise():
    # the crash: _times(α = 0) took log10(0)
    lrs = {"adagrad": LR_GRID[0], "rmsprop": LR_GRID[0]}
    for surface in SURFACES:
        s, runs = _race(surface, ("adagrad", "rmsprop"), lrs, {"alpha": 0.0}, steps=100)
        every_claim(s, runs, None, None)
        assert P.twin_caption(runs, s.bounds) is None  # they lie together only by not moving
    s, runs = _race("himmelblau", ("adagrad", "rmsprop"), {"rmsprop": 0.5}, {"alpha": 0.0})
    text = P.twin_caption(runs, s.bounds, least=1)
    assert text is None or "steps like Adagrad" not in text  # a memory of 1 step: no reason


def test_twin_caption_says_why_only_when_the_twin_rate_is_adagrads():
    s, runs = _race("himmelblau")
    text = P.twin_caption(runs, s.bounds)
    assert text.startswith("RMSprop's path lies under Adagrad's for all 100 steps")
    assert "lr η/√(1 − α), here 0.5: Adagrad's own." in text
    # the quadratic's defaults (Adagrad lr 1.5, RMSprop's twin 1): apart within a few steps
    s, runs = _race()
    assert P.twin_caption(runs, s.bounds) is None


def test_default_view_compares_adagrad_with_sgd_at_its_best_rate():
    s, runs = _race()
    grid = sorted({*LR_GRID, runs["sgd"].hparams["lr"]})
    sweep = sgd_sweep(s, s.start, 100, grid)
    assert sweep.best_lr == 0.3  # the slider's default is already the best on the grid
    text = C.sweep_caption(runs, sweep)
    assert "SGD at 37 rates from 0.0001 to 100" in text and "lr = 0.3," in text
    assert "Adagrad still gets there 47 steps sooner." in text
    assert "already the best one tried" in text
    take = C.takeaway(runs, sweep)
    assert "In this run **Adagrad** is first to get within 0.001 of f at the minimum." in take
    assert take.endswith("It gets there before SGD does even at SGD's best single learning rate.")
    assert "lies under SGD's line" in text  # the best rate is the slider's: one line
    runs = {k: runs[k] for k in ("sgd", "adagrad", "rmsprop")}
    runs["rmsprop"] = _race(keys=("rmsprop",), lrs={"rmsprop": 1.0})[1]["rmsprop"]
    take = C.takeaway(runs, sweep)
    assert "Adagrad gets within 0.001 of f at the minimum before SGD at its best" in take


def test_a_slow_sgd_rate_is_compared_with_the_tuned_one():
    s, runs = _race(keys=("sgd", "adagrad"), lrs={"sgd": 0.1})
    sweep = sgd_sweep(s, s.start, 100, sorted({*LR_GRID, 0.1}))
    text = C.sweep_caption(runs, sweep)
    sa, su = C.steps_to(runs["adagrad"]), C.steps_to(runs["sgd"])
    sb = int(sweep.reached[sweep.best])
    assert su is None or su > sb
    assert "SGD never gets there" in text or f"{round(100 * (sb - sa) / (su - sa))}%" in text


def test_tuned_sgd_can_win_and_the_text_says_so():
    # the saddle: SGD at 0.3 gets below 0.001 sooner than Adagrad
    s, runs = _race("saddle", keys=("sgd", "adagrad"))
    sweep = sgd_sweep(s, s.start, 100, sorted({*LR_GRID, runs["sgd"].hparams["lr"]}))
    sa, sb = C.steps_to(runs["adagrad"]), int(sweep.reached[sweep.best])
    assert sb < sa
    assert f"Tuned SGD gets there {sa - sb} steps before Adagrad." in C.sweep_caption(runs, sweep)
    assert "SGD at its best single learning rate gets within" in C.takeaway(runs, sweep)


def test_the_weakness_is_claimed_from_the_run():
    s, runs = _race("rosenbrock", keys=("adagrad", "rmsprop"), steps=1000)
    text = P.weakness_caption(runs)
    rate = runs["adagrad"].eff_lr
    assert f"rate in x ends {C.times(rate[0, 0] / rate[-1, 0])}× below" in text
    assert "RMSprop's rate in x climbed back" in text and "ends closer to the minimum" in text
    rows = P.weakness_rows(runs)
    assert rows[0]["optimizer"] == "Adagrad" and rows[0]["rate at step 1"] == C.num(rate[0, 0])
    # the default quadratic: the rate barely falls, and the text says so
    _, runs = _race(keys=("sgd", "adagrad"))
    assert "barely shows" in P.weakness_caption(runs)


def test_no_undefined_terms_and_no_ranking_at_the_floor():
    _, runs = _race(steps=1000)
    text = C.race_caption(runs)
    assert text.startswith(
        "After 1000 steps **SGD**, **Momentum**, **Adagrad** and **Adam** are at the minimum to "
        "within rounding error; **RMSprop** is farthest."
    )
    at_floor = {k: r for k, r in runs.items() if r.gap[-1] == GAP_FLOOR}
    assert C.race_caption(at_floor).startswith("After 1000 steps every optimizer is at the")
    past = C.race_caption(at_floor, goal=F.PAST_EDGE)
    assert "every optimizer is out of the plot, lower than anywhere in it." in past
    rotation = L.rotation_caption(
        *(_race(n, ("adagrad", "adagrad_full"))[1] for n in ("quadratic", "rotated"))
    )
    assert "preconditions" not in rotation and "Σ g gᵀ" in rotation
    assert "exactly as fast" in rotation


def test_step1_and_accumulator_numbers_live_in_tables():
    _, runs = _race("plateau", keys=("sgd", "momentum", "adagrad"))
    text = P.step_ratio_caption(runs)
    assert "it is 4,510× as long in y as in x" in text and "e+" not in text
    rows = P.step1_rows(runs)
    assert [r["optimizer"] for r in rows] == ["SGD", "Adagrad"]
    ua = np.abs(runs["adagrad"].updates[0])
    assert rows[1]["step 1 in x"] == C.num(ua[0])
    _, runs = _race()
    assert "It fell from its peak" in P.accumulator_caption(runs)
    acc = P.accumulator_rows(runs)
    g = runs["adagrad"].accumulator[-1]
    assert acc[0] == {
        "state": "Adagrad G",
        "x: peak": C.num(g[0]),
        "x: end": C.num(g[0]),
        "y: peak": C.num(g[1]),
        "y: end": C.num(g[1]),
    }
    v = runs["rmsprop"].accumulator
    assert acc[1]["y: peak"] == C.num(v[:, 1].max()) and acc[1]["y: end"] == C.num(v[-1, 1])


def test_minima_caption_numbers_stay_few():
    s, runs = _race("himmelblau")
    text = P.minima_caption(s, runs)
    assert text.startswith("From one start, three different minima: **SGD**; ")
    assert len(numbers(text)) <= 4
    s, runs = _race("saddle")
    assert P.minima_caption(s, runs).startswith(
        "Every optimizer ended in the minimum at (0.00, 1.41), one of its two."
    )
    assert P.minima_caption(*_race("quadratic")) is None
