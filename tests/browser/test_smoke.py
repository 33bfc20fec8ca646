"""Every page opens in a real browser, without errors; screenshots go to artifacts/."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import ARTIFACTS, assert_healthy, open_app

# (URL path, title of the page in the navigation, as in app.py)
PAGES = {
    "home": ("/", "Start here"),
    "trajectories": ("/trajectories", "Trajectories"),
    "sparse-features": ("/sparse-features", "Sparse features"),
    "formula": ("/formula", "The formula"),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_opens(page, app_url, name):
    path, nav_title = PAGES[name]
    open_app(page, app_url + path)

    assert_healthy(page)
    expect(page).to_have_title("Adagrad, explained")
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_contain_text(nav_title)
    expect(page.locator("h1").first).not_to_be_empty()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")
