"""The formula page's figure builders, on go.Figure (no streamlit)."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from adagrad_app import fig_formula as ff
from adagrad_app import formula_tex as ft
from adagrad_app import theme
from adagrad_core.runner import run
from adagrad_core.surfaces import SURFACES

NAMES = ("x", "y")


@pytest.fixture(scope="module")
def data():
    s = SURFACES["quadratic"]
    traj = run("adagrad", s.grad, [-5.0, -2.0], 30, lr=1.0)
    return ft.step_terms(traj, eps=1e-10, eps_placement="outside"), traj.params


def _lines(fig):
    return [tr for tr in fig.data if tr.mode == "lines"]


def test_term_series_one_panel_per_term(data):
    terms, _ = data
    fig = ff.term_series(terms, 5, NAMES)
    assert isinstance(fig, go.Figure)
    assert len(fig.layout.annotations) == len(ff.PANELS)  # subplot titles
    lines = _lines(fig)
    assert len(lines) == 2 * len(ff.PANELS)
    for k, (term, _, _) in enumerate(ff.PANELS):
        for i in range(2):
            tr = lines[2 * k + i]
            assert tr.line.color == ft.term_color(term)
            np.testing.assert_array_equal(tr.y, terms[term][:, i])
    assert lines[0].line.dash != lines[1].line.dash  # x and y told apart without colour


def test_term_series_cursor_at_step(data):
    terms, _ = data
    for t in (0, 7, 29):
        fig = ff.term_series(terms, t, NAMES)
        cursors = [s for s in fig.layout.shapes if s.type == "line"]
        assert len(cursors) == len(ff.PANELS)
        assert all(s.x0 == t and s.x1 == t for s in cursors)
        markers = [tr for tr in fig.data if tr.mode == "markers"]
        assert len(markers) == len(ff.PANELS)
        g_marker = markers[0]
        assert list(g_marker.x) == [t, t]
        np.testing.assert_array_equal(g_marker.y, terms["g"][t])
        assert g_marker.marker.color == theme.TERM_COLORS["g"]


def test_term_series_log_only_when_positive(data):
    terms, _ = data
    fig = ff.term_series(terms, 0, NAMES)
    types = [fig.layout[f"yaxis{'' if k == 1 else k}"].type for k in range(1, len(ff.PANELS) + 1)]
    assert types == ["linear", "log", "log", "linear", "linear"]
    zero = {k: v.copy() for k, v in terms.items()}
    zero["G"][:, 0] = 0.0  # a coordinate that never had a gradient
    assert ff.term_series(zero, 0, NAMES).layout.yaxis2.type == "linear"


def test_term_series_is_small(data):
    terms, _ = data
    assert len(json.dumps(ff.term_series(terms, 0, NAMES).to_plotly_json(), default=str)) < 100_000


def test_path_figure_marks_the_step(data):
    _, params = data
    s = SURFACES["quadratic"]
    bounds = ff.view_bounds(s.bounds, params)
    x, y, z = ff.surface_grid(s.value, bounds, n=40)
    assert z.shape == (40, 40)
    fig = ff.path_figure(x, y, z, params, 4, minima=s.minima)
    contour, minimum, path, step = fig.data
    assert isinstance(contour, go.Contour)
    np.testing.assert_array_equal(path.x, params[:, 0])
    assert path.line.color == theme.OPT_COLORS["adagrad"]
    np.testing.assert_array_equal(step.x, params[4:6, 0])
    np.testing.assert_array_equal(step.y, params[4:6, 1])
    assert step.line.color == theme.TERM_COLORS["update"]
    assert step.name == "step 4"
    assert list(minimum.x) == [0.0]


def test_view_bounds_hold_the_path():
    path = np.array([[-20.0, 0.0], [1.0, 5.0]])
    (x0, x1), (y0, y1) = ff.view_bounds(((-6.0, 6.0), (-3.0, 3.0)), path)
    assert x0 < -20 and x1 > 6 and y0 < -3 and y1 > 5


def test_path_figure_log_levels_finite():
    s = SURFACES["rosenbrock"]
    x, y, z = ff.surface_grid(s.value, s.bounds, n=30)
    fig = ff.path_figure(x, y, z, np.array([[-1.5, 2.5], [-1.4, 2.4]]), 0, log_levels=True)
    assert np.isfinite(np.asarray(fig.data[0].z)).all()


def test_unused_rate_is_kept_off_the_axis():
    # The rare feature has G = 0 (rate eta/eps = 1e10) until it first appears: the axis of the
    # effective rate fits the rates that acted, so the frequent feature's stays readable.
    traj, _ = ft.sparse_trajectory(30, seed=122, lr=1.0)
    terms = ft.step_terms(traj, eps=1e-10, eps_placement="outside")
    assert terms["eff_lr"].max() > 1e9
    fig = ff.term_series(terms, 7, ft.SPARSE_NAMES)
    lo, hi = fig.layout.yaxis3.range
    acting = terms["eff_lr"][terms["G"] > 0]
    assert 10**lo < acting.min() and acting.max() < 10**hi < 100
