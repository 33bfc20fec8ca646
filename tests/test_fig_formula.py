"""The formula page's figure builders (no streamlit). The builders return plain dicts; every
test reads them through ``go.Figure``, which validates them (a misspelt property fails)."""

import base64
import json
import struct
import zlib

import numpy as np
import pytest

from adagrad_app import fig_formula as ff
from adagrad_app import formula_run as fr
from adagrad_app import formula_tex as ft
from adagrad_app import theme
from adagrad_core.runner import run
from adagrad_core.surfaces import SURFACES
from tests.figcheck import plain_figure

NAMES = ("x", "y")


@pytest.fixture(scope="module")
def data():
    s = SURFACES["quadratic"]
    traj = run("adagrad", s.grad, [-5.0, -2.0], 30, lr=1.0)
    return fr.step_terms(traj, eps=1e-10, eps_placement="outside"), traj.params


def _png_size(uri: str) -> tuple[int, int]:
    """(width, height) of a data: URI's PNG, after checking its signature and pixel data."""
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    png = base64.b64decode(uri[len(prefix) :])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    assert len(zlib.decompress(png[idat + 4 : idat + 4 + length])) == height * (1 + 3 * width)
    return width, height


def _lines(fig):
    return [tr for tr in fig.data if tr.mode == "lines"]


def test_term_series_one_panel_per_term(data):
    terms, _ = data
    fig = plain_figure(ff.term_series(terms, 5, NAMES))
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
    for step in (1, 8, 30):  # steps are counted from 1, as on every page
        fig = plain_figure(ff.term_series(terms, step, NAMES))
        cursors = [s for s in fig.layout.shapes if s.type == "line"]
        assert len(cursors) == len(ff.PANELS)
        assert all(s.x0 == step and s.x1 == step for s in cursors)
        markers = [tr for tr in fig.data if tr.mode == "markers"]
        assert len(markers) == len(ff.PANELS)
        g_marker = markers[0]
        assert list(g_marker.x) == [step, step]
        np.testing.assert_array_equal(g_marker.y, terms["g"][step - 1])
        assert g_marker.marker.color == theme.TERM_COLORS["g"]
        assert f"step {step}:" in g_marker.hovertemplate
        assert list(_lines(fig)[0].x) == list(range(1, 31))  # the first update is step 1
    for step in (0, 31):
        with pytest.raises(ValueError, match="step"):
            ff.term_series(terms, step, NAMES)


def test_term_series_log_only_when_positive(data):
    terms, _ = data
    fig = plain_figure(ff.term_series(terms, 1, NAMES))
    types = [fig.layout[f"yaxis{'' if k == 1 else k}"].type for k in range(1, len(ff.PANELS) + 1)]
    assert types == ["linear", "log", "log", "linear", "linear"]
    zero = {k: v.copy() for k, v in terms.items()}
    zero["G"][:, 0] = 0.0  # a coordinate that never had a gradient
    assert plain_figure(ff.term_series(zero, 1, NAMES)).layout.yaxis2.type == "linear"


def _log_axes(spec: dict) -> dict[str, dict]:
    return {k: a for k, a in spec["layout"].items() if k.startswith("yaxis") and a["type"] == "log"}


def _sparse_terms():
    traj, _ = fr.sparse_trajectory(30, seed=122, lr=1.0)
    return fr.step_terms(traj, eps=1e-10, eps_placement="outside")


@pytest.mark.parametrize("which", ["surface", "sparse"])
def test_log_axes_label_each_tick_with_its_whole_value(data, which):
    terms, names = (data[0], NAMES) if which == "surface" else (_sparse_terms(), fr.SPARSE_NAMES)
    spec = ff.term_series(terms, 3, names)
    plain_figure(spec)  # valid for plotly
    axes = _log_axes(spec)
    # G and the effective rate (G is 0 for the rare feature until it first appears: linear)
    assert set(axes) == ({"yaxis2", "yaxis3"} if which == "surface" else {"yaxis3"})
    for name, axis in axes.items():
        # no lone digits meaning 0.2 ... 0.9: every label is its tick's own value
        assert axis["tickmode"] == "array" and "dtick" not in axis
        assert [float(s) for s in axis["ticktext"]] == pytest.approx(axis["tickvals"])
        # at least two labelled ticks in what the axis shows (its range, else all its values)
        values = terms[ff.PANELS[int(name[-1]) - 1][0]]
        lo, hi = (
            10.0 ** np.array(axis["range"]) if "range" in axis else (values.min(), values.max())
        )
        assert sum(lo <= v <= hi for v in axis["tickvals"]) >= 2, (name, axis)
    if which == "sparse":  # the rare rate is eta/eps until its first gradient: off the axis
        assert "range" in axes["yaxis3"] and max(axes["yaxis3"]["tickvals"]) < 1e3


def test_log_axis_ticks_are_the_shared_helpers_thinned_to_fit_a_row(data):
    terms, _ = data
    spec = ff.term_series(terms, 1, NAMES)
    axis = spec["layout"]["yaxis2"]  # G, from 1 to 68: 1, 2 and 5 per decade would touch
    expected = theme.log_ticks(terms["G"])
    pairs = list(zip(axis["tickvals"], axis["ticktext"], strict=True))
    assert set(pairs) < set(zip(expected["tickvals"], expected["ticktext"], strict=True))
    shown = [v for v in axis["tickvals"] if 1 <= v <= 100]
    assert shown == [1, 10, 100]  # the powers of ten go first
    px = np.diff(np.log10(axis["tickvals"])) * ff.ROW_PX / np.log10(terms["G"].max())
    assert px.min() >= ff.MIN_TICK_PX


def test_thin_keeps_ticks_with_room_and_two_labels():
    few = theme.log_ticks(np.array([0.1, 1.0]))  # one decade in a row: 1, 2 and 5 fit
    assert ff._thin(few, np.array([0.1, 1.0])) == few
    narrow = np.array([0.5, 0.9])  # every digit: the ones that crowd 1 go
    thin = ff._thin(theme.log_ticks(narrow), narrow)
    labelled = [t for t in thin["ticktext"] if 0.5 <= float(t) <= 1]
    assert labelled == ["0.5", "0.6", "0.7", "0.8", "1"]
    assert ff._thin({}, narrow) == {}


def test_term_series_panels_are_stacked_rows_on_one_step_axis(data):
    """Issue 20: five panels side by side were 48 px wide each on a 390 px phone. One row per
    term keeps each panel the chart's whole width at any screen width."""
    terms, _ = data
    spec = ff.term_series(terms, 4, NAMES)
    plain_figure(spec)
    layout, n = spec["layout"], len(ff.PANELS)
    names = ["" if k == 0 else str(k + 1) for k in range(n)]
    tops = []
    for k, suffix in enumerate(names):
        x, y = layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"]
        assert x["domain"] == [0, 1]  # the whole width
        if k < n - 1:  # one step axis: the rows above follow the last one's zoom
            assert x["matches"] == f"x{n}" and x["showticklabels"] is False
        tops.append(y["domain"][1])
        rows_px = (layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]) * (
            y["domain"][1] - y["domain"][0]
        )
        assert rows_px == pytest.approx(ff.ROW_PX)
    assert layout[f"xaxis{n}"]["title"]["text"] == "step t"
    assert tops == sorted(tops, reverse=True) and tops[0] == 1  # in the order of the rule
    # each title sits on top of its own row, over its left end
    for title, top in zip(layout["annotations"], tops, strict=True):
        assert (title["x"], title["xanchor"], title["y"]) == (0, "left", top)
    assert layout["legend"]["y"] < 0  # under the step axis, clear of every row


def test_term_series_is_small(data):
    terms, _ = data
    assert len(json.dumps(ff.term_series(terms, 1, NAMES))) < 100_000


def test_path_figure_marks_the_step(data):
    _, params = data
    s = SURFACES["quadratic"]
    bounds = ff.view_bounds(s.bounds, params)
    image = ff.contour_image(s.value, bounds, n=40)
    assert _png_size(image["source"]) == (40, 40)
    fig = plain_figure(ff.path_figure(params, 5, background=image, minima=s.minima))
    minimum, path, step = fig.data
    np.testing.assert_array_equal(path.x, params[:, 0])
    assert path.line.color == theme.OPT_COLORS["adagrad"]
    np.testing.assert_array_equal(step.x, params[4:6, 0])
    np.testing.assert_array_equal(step.y, params[4:6, 1])
    assert step.line.color == theme.TERM_COLORS["update"]
    assert step.name == "step 5"  # step 5 goes from the 5th point to the 6th
    assert list(minimum.x) == [0.0]
    # the contour lines: an image below the traces, spanning exactly the axes
    (background,) = fig.layout.images
    assert (background.xref, background.yref, background.layer) == ("x", "y", "below")
    (x0, x1), (y0, y1) = bounds
    assert (background.x, background.y) == (x0, y1)
    assert (background.sizex, background.sizey) == pytest.approx((x1 - x0, y1 - y0))
    assert background.sizing == "stretch"
    assert tuple(fig.layout.xaxis.range) == pytest.approx((x0, x1))
    assert tuple(fig.layout.yaxis.range) == pytest.approx((y0, y1))


def test_path_figure_without_surface_fits_the_path(data):
    _, params = data
    fig = plain_figure(ff.path_figure(params, 1, minima=[(0.5, 0.5)], axis_titles=("a", "b")))
    assert not fig.layout.images
    assert fig.layout.xaxis.range is None and fig.layout.yaxis.range is None  # autorange
    assert fig.layout.xaxis.title.text == "a"


def test_view_bounds_hold_the_path():
    path = np.array([[-20.0, 0.0], [1.0, 5.0]])
    (x0, x1), (y0, y1) = ff.view_bounds(((-6.0, 6.0), (-3.0, 3.0)), path)
    assert x0 < -20 and x1 > 6 and y0 < -3 and y1 > 5


def test_view_bounds_are_shared_by_nearby_runs():
    # a path past the bounds is rounded outward: a slightly different run draws the same view
    bounds = ((-6.0, 6.0), (-3.0, 3.0))
    a = ff.view_bounds(bounds, np.array([[-8.31, 0.0], [1.0, 1.0]]))
    b = ff.view_bounds(bounds, np.array([[-8.37, 0.0], [1.0, 1.0]]))
    assert a == b
    assert a[0][0] < -8.37
    inside = ff.view_bounds(bounds, np.array([[-5.0, -2.0], [0.0, 0.0]]))
    assert inside == ((-6.6, 6.6), (-3.3, 3.3))  # inside the bounds: the bounds, 5% wider


@pytest.mark.parametrize(
    ("span", "step"), [(21.6, 2.0), (18.0, 2.0), (6.0, 0.5), (1.0, 0.1), (90.0, 5.0)]
)
def test_level_step_as_plotly_picks_it(span, step):
    # plotly.js: span / ncontours rounded up to 2, 5 or 10 times a power of ten
    assert ff.level_step(span, 18) == pytest.approx(step)


def test_contour_lines_dark_low_light_high():
    # plotly's "Greys" reversed, as the contour trace this replaces: low levels dark
    s = SURFACES["quadratic"]  # 0.1 x² + 2 y² on x in [-6, 6], y in [-3, 3]
    pixels = ff.contour_pixels(s.value, s.bounds, n=200)
    assert pixels.shape == (200, 200, 3) and pixels.dtype == np.uint8
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    column = pixels[:, 100, 0].astype(int)  # x = 0, y from 3 down to -3
    assert column[100] == 255  # at the minimum: below the first level
    assert column.min() >= round(255 * (1 - ff.OPACITY))  # at most the opacity of black
    # from the minimum up: one line per level (2, 4, ..., 16 at f = 2 y²), each lighter
    up = column[100::-1]
    darkest = [
        int(up[i])
        for i in range(1, len(up) - 1)
        if up[i] < 250 and up[i] <= up[i - 1] and up[i] < up[i + 1]
    ]
    assert len(darkest) == 8
    # (to a few grey levels: a line falls between pixels differently each time)
    assert all(b >= a - 5 for a, b in zip(darkest, darkest[1:], strict=False))
    assert darkest[0] < darkest[-1] - 50


def test_contour_log_levels_reach_the_valley():
    # Rosenbrock spans orders of magnitude: its levels are on a log scale, so lines run close
    # to the minimum at (1, 1) too (linear levels would all crowd where f is large)
    s = SURFACES["rosenbrock"]
    n = 150
    (x0, x1), (y0, y1) = s.bounds
    col = int((1.0 - x0) / (x1 - x0) * n)
    row = int((y1 - 1.0) / (y1 - y0) * n)

    def lines_near_minimum(log_levels):
        pixels = ff.contour_pixels(s.value, s.bounds, log_levels=log_levels, n=n)
        near = pixels[row - 10 : row + 10, col - 10 : col + 10, 0]
        return int((near < 250).sum())

    assert lines_near_minimum(True) > 0
    assert lines_near_minimum(False) == 0


def test_contour_image_white_where_f_undefined():
    def value(p):
        return np.where(p[..., 0] > 0, np.nan, (p**2).sum(-1))

    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    pixels = ff.contour_pixels(value, bounds, n=60)
    assert (pixels[:, 31:] == 255).all()  # x > 0: no lines
    assert (pixels[:, :29] < 250).any()
    flat = ff.contour_pixels(lambda p: np.zeros(p.shape[:-1]), bounds, n=20)
    assert (flat == 255).all()
    assert _png_size(ff.contour_image(value, bounds, n=60)["source"]) == (60, 60)


def test_unused_rate_is_kept_off_the_axis():
    # The rare feature has G = 0 (rate eta/eps = 1e10) until it first appears: the axis of the
    # effective rate fits the rates that acted, so the frequent feature's stays readable.
    traj, _ = fr.sparse_trajectory(30, seed=122, lr=1.0)
    terms = fr.step_terms(traj, eps=1e-10, eps_placement="outside")
    assert terms["eff_lr"].max() > 1e9
    fig = plain_figure(ff.term_series(terms, 7, fr.SPARSE_NAMES))
    lo, hi = fig.layout.yaxis3.range
    acting = terms["eff_lr"][terms["G"] > 0]
    assert 10**lo < acting.min() and acting.max() < 10**hi < 100
