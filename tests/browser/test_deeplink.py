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


def test_share_box_link_reproduces_the_view(page, app_url):
    """The share box is sent only once opened (its code boxes load a large highlighter): a
    click opens it with both links, and its first link opens the same view."""
    open_app(page, f"{app_url}/formula?steps=20&lr=0.5")
    assert page.get_by_test_id("stCode").count() == 0
    page.get_by_test_id("stExpander").filter(has_text="Share this view").click()
    codes = page.get_by_test_id("stCode")
    expect(codes).to_have_count(2)
    link, locked = codes.nth(0).inner_text().strip(), codes.nth(1).inner_text().strip()
    assert link.startswith(f"{app_url}/formula?") and "steps=20" in link and "lr=0.5" in link
    assert locked == f"{link}&lock=1"
    assert_healthy(page)

    open_app(page, link)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.locator('input[aria-label="Steps"]')).to_have_value("20")
    expect(sidebar.locator('input[aria-label="Learning rate η"]')).to_have_value("0.500")
