"""Figure builders and computed captions of the trajectories page (no streamlit). The builders
return plain dicts; every test reads them through ``go.Figure``, which validates them."""

import base64
import json
import re

import numpy as np
import plotly.io as pio
import pytest

from adagrad_app import fig_3d as D
from adagrad_app import fig_common as K
from adagrad_app import fig_linked as L
from adagrad_app import fig_rotation as R
from adagrad_app import fig_trajectories as F
from adagrad_app import raster, theme
from adagrad_core import SURFACES
from adagrad_core.expr import make_surface
from adagrad_core.racers import DEFAULT_RACERS, KNOBS, RACERS, constant_gradient_rate, race
from tests.figcheck import plain_figure


def _race(surface="quadratic", keys=DEFAULT_RACERS, lrs=None, steps=100, x0=None):
    s = SURFACES[surface]
    return s, race(surface, keys, lrs or {}, KNOBS, x0 or s.start, steps)


def _moving(fig):
    return [i for i, t in enumerate(fig.data) if t.mode == "lines+markers"]


def _finite(fig):
    for trace in fig.data:
        for attr in ("x", "y", "z"):
            values = getattr(trace, attr, None)
            if values is not None:
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (trace.name, attr)


def _key_names(fig) -> list[str]:
    """The names in a linked chart's key (its one annotation), in order, a piece a line."""
    (note,) = fig.layout.annotations
    names = []
    for line in note.text.split("<br>"):
        for item in line.split(L.SEP):
            name = re.sub(r"<[^>]+>", "", item).strip()
            if name.strip("━– "):
                names.append(name.lstrip("━– "))
    return names


def _key(trace) -> str:
    """The racer a trace of the main figure belongs to."""
    return trace.legendgroup


def test_main_figure_frames_move_only_the_racers():
    s, runs = _race()
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    moving = _moving(fig)
    assert len(moving) == len(DEFAULT_RACERS)
    assert len(fig.frames) == 101  # one per step, step 0 included
    for frame in fig.frames:
        assert list(frame.traces) == moving
        assert len(frame.data) == len(moving)
        assert all(d.type == "scatter" and len(d.x) == F.TRAIL for d in frame.data)
        assert frame.layout.images is None or len(frame.layout.images) == 0
        # each frame trace moves the racer of the trace it updates, to that frame's step
        step = int(frame.name)
        for d, i in zip(frame.data, frame.traces, strict=True):
            run = runs[_key(fig.data[i])]
            np.testing.assert_allclose(
                [d.x[-1], d.y[-1]], run.params[min(step, run.last)], atol=1e-4
            )
    first = fig.frames[0]
    for d in first.data:
        np.testing.assert_allclose([d.x[-1], d.y[-1]], s.start, atol=1e-4)


@pytest.mark.parametrize("keys", [DEFAULT_RACERS, tuple(RACERS), ("adagrad", "sgd", "adam")])
def test_adagrad_is_drawn_over_the_other_racers(keys):
    s, runs = _race(keys=keys)
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    heads = _moving(fig)
    paths = [i for i, t in enumerate(fig.data) if t.name and t.name.endswith(" path")]
    for group in (heads, paths):  # later traces are drawn on top
        star = [i for i in group if _key(fig.data[i]) == "adagrad"]
        assert star == [max(group)]
        others = [fig.data[i] for i in group if i != star[0]]
        assert all(fig.data[star[0]].line.width > t.line.width for t in others)
        assert fig.data[star[0]].line.color == theme.OPT_COLORS["adagrad"]
        assert max(paths) < min(heads)  # every faint path below every moving head
    for frame in fig.frames:  # the frames update the same traces, Adagrad's last
        assert list(frame.traces) == heads
        assert _key(fig.data[frame.traces[-1]]) == "adagrad"
    # the legend keeps the racers in the order they were chosen
    legend = sorted((fig.data[i] for i in heads), key=lambda t: t.legendrank)
    assert [_key(t) for t in legend] == list(keys)


def test_the_start_is_drawn_as_the_legend_shows_it():
    # at step 0 every racer's head sits on the start: the legend's open ring must show around
    # them, over them, not be covered by them (which reads as a filled dot)
    s, runs = _race()
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    (start,) = [i for i, t in enumerate(fig.data) if t.name == "start"]
    ring = fig.data[start]
    assert ring.showlegend is not False and ring.mode == "markers"
    assert ring.marker.symbol.endswith("-open") and np.isscalar(ring.marker.size)
    heads = [fig.data[i] for i in _moving(fig)]
    assert start > max(_moving(fig))  # drawn over the racers' heads
    head = max(max(t.marker.size) + 2 * t.marker.line.width for t in heads)
    assert ring.marker.size - ring.marker.line.width > head  # the heads fit inside the ring
    legend = sorted((t for t in fig.data if t.showlegend is not False), key=lambda t: t.legendrank)
    assert [t.name for t in legend[:2]] == ["minimum", "start"]


def test_main_figure_colours_symbols_and_static_parts():
    s, runs = _race()
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    moving = [fig.data[i] for i in _moving(fig)]
    assert sorted(_key(t) for t in moving) == sorted(runs)
    for trace in moving:
        key = _key(trace)
        assert trace.line.color == theme.OPT_COLORS[key]
        assert trace.marker.color == theme.OPT_COLORS[key]
        assert trace.name == RACERS[key].label
        assert list(trace.marker.size)[-1] > 0 and set(trace.marker.size[:-1]) == {0}
    names = [t.name for t in fig.data]
    assert "minimum" in names and "start" in names
    paths = [t for t in fig.data if t.name and t.name.endswith(" path")]
    assert len(paths) == len(runs) and all(t.opacity < 1 for t in paths)
    # the contour is a background image: plotly removes contour traces when it animates
    assert not [t for t in fig.data if t.type in ("contour", "heatmap")]
    (image,) = fig.layout.images
    assert image.source.startswith("data:image/png;base64,")
    assert base64.b64decode(image.source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert (image.x, image.y) == (s.bounds[0][0], s.bounds[1][1])
    assert list(fig.layout.xaxis.range) == list(s.bounds[0])
    _finite(fig)


def test_play_pause_and_slider_are_client_side():
    s, runs = _race()
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    buttons = fig.layout.updatemenus[0].buttons
    labels = [b.label for b in buttons]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)
    assert all(b.method == "animate" for b in buttons)
    assert all(b.args[1]["frame"]["redraw"] is False for b in buttons)
    speeds = {b.args[1]["frame"]["duration"] for b in buttons if b.args[0] is None}
    assert len(speeds) >= 2  # more than one playback speed
    slider = fig.layout.sliders[0]
    names = [f.name for f in fig.frames]
    on_slider = [st.args[0][0] for st in slider.steps]
    assert set(on_slider) <= set(names) and on_slider[0] == names[0] and on_slider[-1] == names[-1]
    assert on_slider == sorted(on_slider, key=int)


@pytest.mark.parametrize("steps", [10, 30, 100, 130, 250, 1000])
def test_slider_labels_round_steps_and_ends_at_the_last_step(steps):
    s, runs = _race(steps=steps)
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    labels = [st.label for st in fig.layout.sliders[0].steps]
    assert labels[0] == "0" and labels[-1] == str(steps)
    # few enough that plotly labels every one (it labels every n-th of a crowded slider)
    assert len(labels) <= F.SLIDER_TICKS + 2
    values = [int(label) for label in labels]
    every = values[1] - values[0]
    assert str(every).strip("0") in ("1", "2", "5")  # 1, 2 or 5 × 10^k
    assert values[:-1] == list(range(0, values[-2] + 1, every))
    assert steps - values[-2] <= 1.5 * every  # no gap wider than half an interval more
    frames = {f.name: f for f in fig.frames}
    heads = _moving(fig)
    for st in fig.layout.sliders[0].steps:
        (name,) = st.args[0]
        assert name == st.label  # the step its label names: the frame shows exactly that step
        for d, i in zip(frames[name].data, heads, strict=True):
            run = runs[_key(fig.data[i])]
            np.testing.assert_allclose(
                [d.x[-1], d.y[-1]], run.params[min(int(name), run.last)], atol=1e-4
            )


def test_long_runs_are_decimated_for_drawing_only():
    s, runs = _race(steps=1000)
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    assert len(fig.frames) <= F.MAX_FRAMES
    assert fig.frames[-1].name == "1000"
    for t in fig.data:
        assert len(t.x) <= max(K.MAX_LINE_POINTS, F.CLICK_GRID**2)
    assert runs["sgd"].params.shape == (1001, 2)  # computed in full
    # the first steps, where paths move most, are drawn one by one; the frames keep time
    path = next(t for t in fig.data if t.name == f"{runs['sgd'].label} path")
    head = K.MAX_LINE_POINTS // 8
    np.testing.assert_allclose(path.x[:head], runs["sgd"].params[:head, 0], atol=1e-4)
    steps = [int(f.name) for f in fig.frames]
    gaps = np.diff(steps)  # about even: only the slider's round steps move a frame or two
    assert gaps.min() >= 1 and gaps.max() <= 2 * np.median(gaps)


@pytest.mark.parametrize(("n", "k"), [(1001, 400), (401, 400), (5000, 150), (120, 400)])
def test_decimate_keeps_the_ends_and_the_first_steps(n, k):
    idx = K.decimate(n, k)
    assert idx[0] == 0 and idx[-1] == n - 1 and len(idx) <= k
    assert np.all(np.diff(idx) > 0)
    head = min(n, k // 8 if n > k else n)
    np.testing.assert_array_equal(idx[:head], np.arange(head))


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_draws(surface):
    s, runs = _race(surface, keys=list(RACERS), steps=30)
    for fig in (
        plain_figure(F.trajectories_figure(s, runs, s.start)),
        plain_figure(L.loss_figure(runs)),
        plain_figure(L.eff_lr_figure(runs)),
        plain_figure(L.accumulator_figure(runs)),
        plain_figure(D.surface3d_figure(s, runs)),
    ):
        _finite(fig)


def test_log_levels_spread_the_bands():
    # Rosenbrock spans ~4 orders of magnitude: on a linear scale nearly all pixels would fall
    # into the lowest band; on a log scale the bands are used evenly.
    bands = raster.contour_bands(SURFACES["rosenbrock"], n=120)
    counts = np.bincount(bands.ravel(), minlength=raster.LEVELS)
    assert counts.max() < 0.3 * bands.size
    assert (counts > 0).sum() == raster.LEVELS


def test_divergence_is_marked_where_it_left_the_plot():
    s, runs = _race("rosenbrock", keys=("sgd", "adam"), lrs={"sgd": 1.0})
    fig = plain_figure(F.trajectories_figure(s, runs, s.start))
    marks = [t for t in fig.data if t.name == "SGD diverged"]
    assert len(marks) == 1
    assert (marks[0].x[0], marks[0].y[0]) == runs["sgd"].exit_point
    assert "SGD diverged (step" in marks[0].text[0]
    assert marks[0].marker.color == theme.OPT_COLORS["sgd"]
    _finite(fig)
    loss = plain_figure(L.loss_figure(runs))
    sgd_loss = [t for t in loss.data if t.name == "SGD"][0]
    assert len(sgd_loss.x) == runs["sgd"].diverged_at  # drawn up to where it stopped


def _log_axes(fig) -> list[tuple[str, dict]]:
    """(name, properties) of every log axis of a figure, 2-D and 3-D."""
    layout = fig.layout.to_plotly_json()
    axes = [(k, v) for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
    axes += [(k, v) for k, v in layout.get("scene", {}).items() if k.endswith("axis")]
    return [(name, axis) for name, axis in axes if axis.get("type") == "log"]


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock"])
def test_log_axes_label_each_tick_with_its_whole_value(surface):
    s, runs = _race(surface, keys=list(RACERS), steps=200)
    figs = {
        "loss": plain_figure(L.loss_figure(runs)),
        "eff_lr": plain_figure(L.eff_lr_figure(runs)),
        "accumulator": plain_figure(L.accumulator_figure(runs)),
        "main": plain_figure(F.trajectories_figure(s, runs, s.start)),
        "3d": plain_figure(D.surface3d_figure(s, runs)),
    }
    seen = 0
    for fig_name, fig in figs.items():
        for name, axis in _log_axes(fig):
            seen += 1
            assert "exponentformat" not in axis, (fig_name, name)
            values = np.concatenate([np.asarray(t.y, dtype=float) for t in fig.data])
            values = values[np.isfinite(values) & (values > 0)]
            if "range" in axis:  # a set range (a step-1 rate off the chart): what it shows
                lo, hi = 10.0 ** np.asarray(axis["range"])
                values = values[(lo <= values) & (values <= hi)]
            vals, text = axis["tickvals"], axis["ticktext"]
            assert len(vals) == len(text)
            for v, label in zip(vals, text, strict=True):  # "2" is 2, never 0.2 or 20
                assert float(label) == pytest.approx(v, rel=1e-9), (fig_name, label, v)
            # computed from every value the axis shows (not one line's), two or more inside
            assert axis["tickvals"] == theme.log_ticks(values)["tickvals"], fig_name
            assert sum(values.min() <= v <= values.max() for v in vals) >= 2, fig_name
    assert seen == 3  # the three linked charts


def test_linked_charts():
    _, runs = _race()
    loss = plain_figure(L.loss_figure(runs))
    assert loss.layout.yaxis.type == "log" and len(loss.data) == len(runs)
    eff = plain_figure(L.eff_lr_figure(runs))
    assert eff.layout.yaxis.type == "log"
    envelope = [t for t in eff.data if t.legendgroup == "envelope"]
    assert len(envelope) == 2  # Adagrad's x and y, each (step-1 value) / sqrt(t)
    t = np.asarray(envelope[0].x)
    # tiny ε, no initial accumulator, no lr decay: the step-1 rate ÷ √t
    np.testing.assert_allclose(envelope[0].y, runs["adagrad"].eff_lr[0, 0] / np.sqrt(t))
    assert envelope[0].y[0] == runs["adagrad"].eff_lr[0, 0]
    # the dashed lines are named in the chart's key under it, after the racers
    assert envelope[0].line.dash not in (None, "solid")
    assert all(t.line.dash == envelope[0].line.dash for t in envelope)
    assert envelope[0].name == L.CONSTANT_G and not eff.layout.showlegend
    assert _key_names(eff)[-2:] == ["Adagrad if g stayed", "as at step 1"]
    without = plain_figure(L.eff_lr_figure({k: runs[k] for k in ("sgd", "adam")}))
    assert _key_names(without) == ["SGD", "Adam"]  # nothing dashed: the racers alone
    sgd_x = [t for t in eff.data if t.name == "SGD x"][0]
    np.testing.assert_allclose(sgd_x.y, runs["sgd"].hparams["lr"])
    acc = plain_figure(L.accumulator_figure(runs))
    names = {t.name for t in acc.data}
    assert "Adagrad G x" in names and not any(n.startswith("SGD") for n in names)
    g = [t for t in acc.data if t.name == "Adagrad G y"][0]
    assert (np.diff(g.y) >= 0).all()  # Adagrad's sum never decreases


def test_a_step_1_rate_far_above_the_rest_is_left_off_the_chart():
    # full-matrix Adagrad's first G is g gᵀ: across g it divides by ε alone (rate ~1e10)
    _, runs = _race("rotated", keys=("adagrad", "adagrad_full"))
    fig = plain_figure(L.eff_lr_figure(runs))
    full = [t.legendgroup == "adagrad_full" for t in fig.data]
    assert max(t.y[0] for t, f in zip(fig.data, full, strict=True) if f) > 1e9
    lo, hi = 10.0 ** np.asarray(fig.layout.yaxis.range)
    assert hi < 10  # the axis spans the other values, not ten decades up to step 1's
    shown = [t.y[1:] if f else t.y for t, f in zip(fig.data, full, strict=True)]
    v = np.concatenate([np.asarray(y, dtype=float) for y in shown])
    assert lo <= v.min() and v.max() <= hi  # every other value is on the chart
    assert list(fig.layout.yaxis.tickvals) == theme.log_ticks(*shown)["tickvals"]
    assert L.step1_off_chart(runs) == {"adagrad_full": runs["adagrad_full"].eff_lr[0].max()}
    alone = {"adagrad_full": runs["adagrad_full"]}
    assert list(L.step1_off_chart(alone)) == ["adagrad_full"]
    assert plain_figure(L.eff_lr_figure(alone)).layout.yaxis.range is not None
    # nothing far above the rest: plotly's own range, no note
    _, runs = _race()
    assert plain_figure(L.eff_lr_figure(runs)).layout.yaxis.range is None
    assert L.step1_off_chart(runs) == {}


def test_rotation_lesson():
    panels = []
    for name in ("quadratic", "rotated"):
        s = SURFACES[name]
        panels.append((s, race(name, ("adagrad", "adagrad_full"), {}, KNOBS, s.start, 100)))
    fig = plain_figure(R.rotation_figure(panels))
    assert not [t for t in fig.data if t.type == "contour"]  # backgrounds are images
    assert [(i.xref, i.yref) for i in fig.layout.images] == [("x", "y"), ("x2", "y2")]
    # stacked, each panel the chart's whole width (side by side on a phone each was 128 px
    # and the titles ran into each other), drawn to scale and shrunk toward its title
    lay = fig.layout
    assert lay.xaxis.domain == lay.xaxis2.domain == (0.0, 1.0)
    assert lay.yaxis2.domain[1] < lay.yaxis.domain[0]  # the aligned panel above
    for ya, xa in ((lay.yaxis, "x"), (lay.yaxis2, "x2")):
        assert ya.scaleanchor == xa and ya.scaleratio == 1
        assert ya.constrain == "domain" and ya.constraintoward == "top"
    plot_h = lay.height - lay.margin.t - lay.margin.b
    gap = (lay.yaxis.domain[0] - lay.yaxis2.domain[1]) * plot_h
    assert gap >= 60  # px: the upper panel's tick labels, then the next title
    for (surface, _), ya in zip(panels, (lay.yaxis, lay.yaxis2), strict=True):
        (x0, x1), (y0, y1) = surface.bounds  # the domain's height is this box at full width
        h = (ya.domain[1] - ya.domain[0]) * plot_h
        assert h == pytest.approx(R.PANEL_WIDTH * (y1 - y0) / (x1 - x0))
    titles = lay.annotations
    assert [a.y for a in titles] == [lay.yaxis.domain[1], lay.yaxis2.domain[1]]
    assert all(a.x == 0.5 and a.font.size <= 14 for a in titles)  # ~260 px: fits 358
    assert lay.legend.y < 0 and lay.legend.xanchor == "center"
    assert lay.margin.t >= theme.TOP_CLEAR  # the first title under the modebar


def test_default_view_json_is_small():
    s, runs = _race()
    figs = [  # the dicts exactly as sent
        F.trajectories_figure(s, runs, s.start),
        L.loss_figure(runs),
        L.eff_lr_figure(runs),
        L.accumulator_figure(runs),
    ]
    size = sum(len(pio.to_json(f, validate=False)) for f in figs)
    assert size < 600_000, size
    main = json.loads(pio.to_json(figs[0], validate=False))
    frames_size = len(json.dumps(main["frames"]))
    assert frames_size < 150_000, frames_size


def test_divergence_label_points_into_the_plot():
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    assert F._inward((-2.0, 2.3), bounds) == "middle right"
    assert F._inward((2.0, 0.0), bounds) == "middle left"
    assert F._inward((0.0, 3.0), bounds) == "bottom center"
    assert F._inward((0.5, -1.0), bounds) == "top center"


def test_3d_paths_end_where_they_leave_the_plot():
    # x + y falls on past the plot: the runs leave it, and their floored gap used to draw
    # them flat at f* = -10, off the mesh. Each path now stops at the plot's edge, at its height.
    s = make_surface("x + y")
    runs = race(s, DEFAULT_RACERS, {}, KNOBS, s.start, 100)
    (x0, x1), (y0, y1) = s.bounds
    paths = [t for t in D.surface3d_figure(s, runs)["data"] if t["type"] == "scatter3d"]
    assert len(paths) == len(runs)
    for t in paths:
        x, y, z = (np.array(t[k], dtype=float) for k in "xyz")
        assert 2 <= x.size < 101  # the start, then steps until it left
        assert ((x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1)).all()
        np.testing.assert_allclose(z, x + y, atol=1e-3)


@pytest.mark.parametrize(
    "knobs",
    [
        {"eps": 1.0, "eps_placement": "inside"},
        {"lr_decay": 1.0},
        {"initial_accumulator_value": 10.0},
    ],
)
def test_the_dashed_line_is_a_constant_gradient_for_this_runs_settings(knobs):
    # f = 3x + 2y has a constant gradient: Adagrad's own rate is the dashed line, whatever
    # ε, its placement, the initial accumulator and the lr decay
    s = make_surface("3*x + 2*y", bounds=((-50, 50), (-50, 50)))
    runs = race(s, ("adagrad",), {"adagrad": 0.1}, {**KNOBS, **knobs}, (0.0, 0.0), 50)
    np.testing.assert_allclose(constant_gradient_rate(runs["adagrad"]), runs["adagrad"].eff_lr)
    eff = plain_figure(L.eff_lr_figure(runs))
    dashed = [t for t in eff.data if t.legendgroup == "envelope"]
    np.testing.assert_allclose(dashed[0].y, runs["adagrad"].eff_lr[:, 0])


def test_the_gap_chart_draws_sgd_at_its_best_rate_dashed_grey():
    _, runs = _race(keys=("sgd", "adagrad"))
    best = race("quadratic", ("sgd",), {"sgd": 0.2}, KNOBS, SURFACES["quadratic"].start, 100)
    fig = plain_figure(L.loss_figure(runs, best_sgd=best["sgd"]))
    (line,) = [t for t in fig.data if t.legendgroup == "best_sgd"]
    assert line.name == "SGD, best lr = 0.2" and line.line.dash == "dash"
    assert line.line.color == L.BEST_SGD
    np.testing.assert_allclose(line.y, best["sgd"].gap)
    assert _key_names(fig) == ["SGD", "Adagrad", "SGD, best lr = 0.2"]  # in the key, once
    assert _key_names(plain_figure(L.loss_figure(runs))) == ["SGD", "Adagrad"]


def test_each_linked_chart_names_its_colours_in_a_key_under_its_plot():
    # on a phone the main chart's legend is screens away: each chart names its own colours,
    # in lines that fit the narrowest plot (166 px, a desktop column), under the x title
    _, runs = _race("rosenbrock", keys=list(RACERS), lrs={"sgd": 1.0}, steps=60)
    assert runs["sgd"].diverged_at is not None  # its cross is not named again
    best = race("rosenbrock", ("sgd",), {"sgd": 1e-3}, KNOBS, SURFACES["rosenbrock"].start, 60)
    labels = [r.label for r in runs.values()]
    sums = [
        f"{r.label} {r.accumulator_label.split()[0]}"
        for r in runs.values()
        if r.accumulator is not None
    ]
    charts = {
        "loss": (L.loss_figure(runs, best_sgd=best["sgd"]), [*labels, "SGD, best lr = 0.001"]),
        "eff_lr": (L.eff_lr_figure(runs), [*labels, "Adagrad if g stayed", "as at step 1"]),
        "accumulator": (L.accumulator_figure(runs), sums),
    }
    for name, (spec, expected) in charts.items():
        fig = plain_figure(spec)
        assert _key_names(fig) == expected, name  # each racer once, in the race's order
        (note,) = fig.layout.annotations
        assert (note.xref, note.yref, note.x, note.y, note.yanchor) == (
            "paper",
            "paper",
            0,
            0,
            "top",
        ), name
        assert note.yshift <= -46 and note.font.size <= 11, name  # under "step"
        for key, run in runs.items():  # the mark in the racer's colour, by its name
            if any(n.startswith(run.label) for n in expected):
                assert f"color:{theme.color(key)}'><b>{L.SOLID}</b></span> {run.label}" in (
                    note.text
                ), (name, key)
        lines = note.text.split("<br>")
        # the chart grows by the key: the plot keeps the 235 px of a 330 px chart
        margin = fig.layout.margin
        assert fig.layout.height - margin.t - margin.b == 330 - 50 - 45, name
        assert margin.b >= 50 + L.KEY_LINE * len(lines), name
    # a line holds what fits the narrowest plot; a name too long alone goes on below it
    entries = [("#000", L.SOLID, n) for n in ("SGD", "Momentum", "Adagrad", "RMSprop", "Adam")]
    lines = L.key_lines([*entries, ("#999", L.DASHED, L.CONSTANT_G)])
    assert len(lines) == 5
    for line in lines:
        text = re.sub(r"<[^>]+>", "", line)
        assert len(text) * L.CHAR <= L.KEY_WIDTH + 2 * L.KEY_SIZE, text
