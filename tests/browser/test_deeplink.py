"""A teacher's link to a page, opened first on a freshly started server, shows the real app."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import assert_healthy, open_app


@pytest.mark.parametrize("path", ["trajectories", "sparse-features", "formula"])
def test_deep_link_on_fresh_server_gets_the_router(page, fresh_app_url, path):
    open_app(page, f"{fresh_app_url}/{path}")
    nav = page.get_by_test_id("stSidebarNav")
    # The router's menu (titles from app.py), not Streamlit's legacy menu of pages/ file names.
    expect(nav.get_by_text("Start here")).to_be_visible()
    expect(nav.get_by_text("The formula")).to_be_visible()
    assert nav.get_by_text("app", exact=True).count() == 0
    assert page.title() == "Adagrad, explained"
    assert_healthy(page)
