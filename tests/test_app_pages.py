"""Every page runs under Streamlit's AppTest without an exception."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = ["home.py", "trajectories.py", "sparse-features.py", "formula.py"]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    # The first run in a process can take more than 3 s (Streamlit's default timeout).
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception

    at.switch_page(f"pages/{page}")
    at.run()
    assert not at.exception


def test_switching_pages_does_not_carry_values_between_same_named_settings():
    # The menu opens a page without the old page's query string (AppTest keeps it: clear it).
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.switch_page("pages/trajectories.py").run()
    at.slider(key="steps").set_value(900).run()
    at.query_params.clear()
    at.switch_page("pages/formula.py").run()
    assert not at.exception
    assert at.slider(key="steps").value == 30  # the formula page's default, not 900 clamped
    at.query_params.clear()
    at.switch_page("pages/trajectories.py").run()
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
    at.switch_page(f"pages/{page}").run()
    assert not at.exception and not at.code
    at.session_state["share_open"] = True
    at.run()
    assert not at.exception
    view, locked = (parse_qs(urlsplit(c.value).query) for c in at.code)
    assert view[key] == [value] and "lock" not in view
    assert locked == {**view, "lock": ["1"]}
