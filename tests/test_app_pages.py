"""Every page runs under Streamlit's AppTest without an exception."""

from pathlib import Path

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
