"""Every page runs under Streamlit's AppTest without an exception."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import load

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = ["home.py", "trajectories.py", "sparse-features.py", "formula.py"]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    # The first run in a process can take more than 3 s (Streamlit's default timeout).
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception

    load(at.switch_page(f"pages/{page}"))
    assert not at.exception


def test_switching_pages_does_not_carry_values_between_same_named_settings():
    # The menu opens a page without the old page's query string (AppTest keeps it: clear it).
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    load(at.switch_page("pages/trajectories.py"))
    at.slider(key="steps").set_value(900).run()
    at.query_params.clear()
    load(at.switch_page("pages/formula.py"))
    assert not at.exception
    assert at.slider(key="steps").value == 30  # the formula page's default, not 900 clamped
    at.query_params.clear()
    load(at.switch_page("pages/trajectories.py"))
    assert not at.exception
    assert at.slider(key="steps").value == 100


@pytest.mark.parametrize(
    "page, key, value",
    [
        ("trajectories.py", "steps", "20"),
        ("sparse-features.py", "batch", "16"),
        ("formula.py", "steps", "20"),
    ],
)
def test_share_box_sends_its_links_only_once_opened(page, key, value):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params[key] = value
    load(at.switch_page(f"pages/{page}"))
    assert not at.exception and not at.code
    at.session_state["share_open"] = True
    at.run()
    assert not at.exception
    view, locked = (parse_qs(urlsplit(c.value).query) for c in at.code)
    assert view[key] == [value] and "lock" not in view
    assert locked == {**view, "lock": ["1"]}


def _open(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(f"pages/{page}")
    for key, value in query.items():
        at.query_params[key] = value
    load(at)
    assert not at.exception
    return at


def _query(at: AppTest) -> dict:
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def test_a_bad_link_is_rewritten_to_what_the_page_shows():
    """A value out of range is clamped and the URL holds the clamped value; an unknown one
    falls back to the default, which the URL (non-defaults only) leaves out: either way the
    URL gives the view shown, and opening it again gives no note."""
    at = _open("sparse-features.py", features="99999")
    assert at.slider(key="features").value == 1000
    assert _query(at) == {"features": "1000"}
    assert "99999 is above the maximum; using 1000" in at.warning[0].value
    again = _open("sparse-features.py", **_query(at))
    assert not [w for w in again.warning if "using" in w.value]  # no link note (a 💥 may stay)

    at = _open("trajectories.py", surface="nonexistent", steps="20")
    assert at.selectbox(key="surface").value == "quadratic"
    assert _query(at) == {"steps": "20"}
    # with or without the page's option labels, the choices are listed and the default named
    assert "Surface: 'nonexistent' is not one of " in at.warning[0].value
    assert not _open("trajectories.py", **_query(at)).warning


def test_a_typed_surface_link_starts_where_that_surface_starts():
    # /formula?surface=rosenbrock used to keep the quadratic's start (-5, -2), off Rosenbrock's
    # plot; the start now defaults to the surface's own, so the link needs no x0 or y0.
    from adagrad_core.surfaces import SURFACES

    for page in ("formula.py", "trajectories.py"):
        at = _open(page, surface="rosenbrock")
        start = SURFACES["rosenbrock"].start
        assert (at.session_state["x0"], at.session_state["y0"]) == start
        assert "x0" not in at.query_params and "y0" not in at.query_params


def test_a_page_reads_no_setting_left_by_another_page():
    # The formula page's surface (saddle) used to choose the trajectories page's start: the
    # quadratic then started at the saddle's start.
    from adagrad_core.surfaces import SURFACES

    at = _open("formula.py", surface="saddle")
    assert at.session_state["surface"] == "saddle"
    at.query_params.clear()
    load(at.switch_page("pages/trajectories.py"))
    assert not at.exception
    assert at.session_state["surface"] == "quadratic"
    assert (at.session_state["x0"], at.session_state["y0"]) == SURFACES["quadratic"].start


# (page, charts in the full view); each page's first view has one chart: its main one
FULL_VIEW = {"trajectories.py": 5, "sparse-features.py": 5, "formula.py": 2}


@pytest.mark.parametrize("lock", [False, True])
@pytest.mark.parametrize("page", FULL_VIEW)
def test_a_fresh_load_sends_the_main_chart_then_the_rest(page, lock):
    """Charts that reach the browser before plotly.js has loaded are drawn in one go, so the
    first one shows only once the last is drawn: a fresh load sends the main chart alone, with a
    component that asks for the rest once the browser has drawn it (ui.stop_if_first_view)."""
    at = AppTest.from_file(APP, default_timeout=30)
    if lock:
        at.query_params["lock"] = "1"
    at.switch_page(f"pages/{page}").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    assert [e.type for e in at.sidebar.children.values()] == ["bidi_component"]  # no widgets
    main = at.get("plotly_chart")[0].proto.spec

    at.run()  # what the component's trigger does
    assert not at.exception
    assert len(at.get("plotly_chart")) == FULL_VIEW[page]
    assert at.get("plotly_chart")[0].proto.spec == main
    # the first view's component is gone; the instant lines' one is there (not on /sparse)
    instant = page in ("trajectories.py", "formula.py") and not lock
    assert [e.key for e in at.get("bidi_component")] == (["_instant_paths"] if instant else [])
    assert bool(at.slider) is not lock  # the sidebar's widgets, unless the view is locked

    at.switch_page("pages/home.py").run()
    load(at.switch_page(f"pages/{page}"))  # back in the same session: the whole page at once
    assert len(at.get("plotly_chart")) == FULL_VIEW[page]


def test_a_move_during_the_first_view_draws_the_whole_page():
    # A student who moves the step slider (drawn with the main chart) before the rest has
    # arrived gets the whole page in that run.
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page("pages/formula.py").run()
    assert len(at.get("plotly_chart")) == 1 and not at.number_input
    at.slider(key="t").set_value(3).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2 and at.number_input
    assert at.slider(key="t").value == 3
