"""The instant paths of /trajectories: every path the browser swaps in on a slider move is the
path the round trip then draws for that value (adagrad_app/instant.py; in a real browser:
tests/browser/test_trajectories.py)."""

import json

import pytest

from adagrad_app import fig_trajectories as F
from adagrad_app import instant
from adagrad_app.fig_common import MAX_LINE_POINTS
from adagrad_app.trajectories_settings import LR_GRID
from adagrad_core import SURFACES
from adagrad_core.racers import DEFAULT_RACERS, KNOBS, RACERS, race


def _drawn_paths(surface, keys, lrs, steps, x0):
    """{trace name: [x, y]} of the faint paths in the chart the page draws for these settings."""
    runs = race(surface, keys, lrs, KNOBS, x0, steps)
    fig = F.trajectories_figure(surface, runs, x0)
    return {t["name"]: [t["x"], t["y"]] for t in fig["data"] if t["name"].endswith(" path")}


CASES = [  # surface, steps, lr multipliers (a grid step away from the default, or diverging)
    ("quadratic", 100, {}),
    ("rosenbrock", 60, {"sgd": 0.002, "adagrad": 3.0}),  # SGD leaves the plot at once
    ("himmelblau", 17, {"momentum": 0.5}),
    ("beale", 3, {}),
]


@pytest.mark.parametrize(("name", "steps", "lr_over"), CASES)
def test_each_lr_preview_is_the_path_drawn_at_that_rate(name, steps, lr_over):
    surface = SURFACES[name]
    lrs = {k: lr_over.get(k, RACERS[k].lr(name)) for k in DEFAULT_RACERS}
    lrs = {
        k: LR_GRID[min(range(len(LR_GRID)), key=lambda i: abs(LR_GRID[i] / v - 1))]
        for k, v in lrs.items()
    }  # on the slider's grid, as a link's value is
    runs = race(surface, DEFAULT_RACERS, lrs, KNOBS, surface.start, steps)
    data = instant.payload(surface, runs, tuple(lrs.items()), (), surface.start, steps)
    assert set(data["lr"]) == {f"lr_{k}" for k in DEFAULT_RACERS}
    for key in DEFAULT_RACERS:
        previews = data["lr"][f"lr_{key}"]
        here = LR_GRID.index(lrs[key])
        assert data["here"][f"lr_{key}"] == here  # moved back there, the drawn path is put back
        assert set(previews) == {str(i) for i in (here - 1, here + 1) if 0 <= i < len(LR_GRID)}
        for position, paths in previews.items():
            moved = {**lrs, key: LR_GRID[int(position)]}
            drawn = _drawn_paths(surface, DEFAULT_RACERS, moved, steps, surface.start)
            name_ = F.path_name(runs[key])
            assert paths == {name_: drawn[name_]}, (key, position)


@pytest.mark.parametrize(("name", "steps", "lr_over"), CASES)
def test_each_steps_preview_is_a_prefix_of_what_is_drawn(name, steps, lr_over):
    """The browser cuts the longer paths at n + 1 points for n steps: exactly the n-step path,
    runs that stop early included."""
    surface = SURFACES[name]
    lrs = {k: lr_over.get(k, RACERS[k].lr(name)) for k in DEFAULT_RACERS}
    runs = race(surface, DEFAULT_RACERS, lrs, KNOBS, surface.start, steps)
    data = instant.payload(surface, runs, tuple(lrs.items()), (), surface.start, steps)["steps"]
    assert data["key"] == "steps" and data["value"] == steps
    for n in range(max(1, steps - 20), steps + data["ahead"] + 1, 7):
        drawn = _drawn_paths(surface, DEFAULT_RACERS, lrs, n, surface.start)
        cut = {k: [x[: n + 1], y[: n + 1]] for k, (x, y) in data["paths"].items()}
        assert cut == drawn, n


def test_no_steps_preview_where_the_drawn_path_is_thinned():
    surface = SURFACES["quadratic"]
    steps = MAX_LINE_POINTS - instant.STEPS_AHEAD  # the longer run would be thinned
    runs = race(surface, ("adagrad",), {}, KNOBS, surface.start, steps)
    data = instant.payload(surface, runs, (("adagrad", 1.5),), (), surface.start, steps)
    assert data["steps"] is None
    assert set(data["lr"]["lr_adagrad"])  # the rate previews stay


def test_lr_neighbours_at_the_grid_edges():
    assert instant.lr_neighbours(LR_GRID[0]) == (0, {1: LR_GRID[1]})
    last = len(LR_GRID) - 1
    assert instant.lr_neighbours(LR_GRID[-1]) == (last, {last - 1: LR_GRID[-2]})
    assert instant.lr_neighbours(LR_GRID[5] * 1.01) == (5, {4: LR_GRID[4], 6: LR_GRID[6]})


def test_the_payload_is_small_json():
    """Sent with every run of the page: at the default view, a tenth of the main chart."""
    surface = SURFACES["quadratic"]
    lrs = {k: RACERS[k].lr("quadratic") for k in DEFAULT_RACERS}
    runs = race(surface, DEFAULT_RACERS, lrs, KNOBS, surface.start, 100)
    data = instant.payload(surface, runs, tuple(lrs.items()), (), surface.start, 100)
    fig = F.trajectories_figure(surface, runs, surface.start)
    assert len(json.dumps(data)) < len(json.dumps(fig)) / 5


@pytest.mark.parametrize(
    "hp",
    [
        {"surface": "quadratic", "steps": 30},
        {"surface": "rosenbrock", "steps": 200, "lr": 0.5},
        {"run_on": "sparse", "steps": 12},
    ],
)
def test_each_step_the_formula_page_can_mark_is_the_step_its_chart_then_draws(hp):
    """/formula: the browser moves the step marked on the path to step t from the payload's
    points t - 1 and t; the chart the round trip draws for t marks those very points."""
    from adagrad_app import fig_formula, formula_run
    from adagrad_app import formula_view as V

    run = formula_run.simulate(**hp)
    data = V.instant_step(run)
    json.dumps(data)  # sent as JSON
    seg = data["segment"]
    assert (data["chart"], seg["key"], seg["prefix"]) == ("path", "t", "step ")
    assert len(seg["x"]) == len(seg["y"]) == len(run.path)
    for t in range(1, run.done + 1):
        fig = fig_formula.path_figure(run.path, t)
        marked = [tr for tr in fig["data"] if tr["name"].startswith(seg["prefix"])]
        assert len(marked) == 1 and marked[0]["name"] == f"step {t}"
        assert marked[0]["x"] == seg["x"][t - 1 : t + 1]
        assert marked[0]["y"] == seg["y"][t - 1 : t + 1]
