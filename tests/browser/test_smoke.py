"""Every page opens in a real browser, without errors; screenshots go to artifacts/."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import ARTIFACTS, FIRST_VIEW, assert_healthy, open_app, wait_for_app

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


# The state of the page in the first animation frame in which its first chart is drawn.
_AT_FIRST_CHART_JS = """(selector) => {
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  if (!charts.length || !charts[0].querySelector('.main-svg')) return null;
  return {
    charts: charts.length,
    sliders: document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSlider"]').length,
    waiting: !!document.querySelector(selector),
  };
}"""


@pytest.mark.parametrize(
    "name, charts", [("trajectories", 5), ("sparse-features", 5), ("formula", 2)]
)
def test_a_fresh_load_draws_the_main_chart_first_then_the_rest(page, app_url, name, charts):
    """Charts that reach the browser before plotly.js has loaded are drawn in one go, the first
    one only as the last is done. So a fresh load draws the main chart alone, and the page's
    component (ui.stop_if_first_view) then asks for the rest, with no click from the student."""
    page.goto(app_url + PAGES[name][0], wait_until="commit")
    first = page.wait_for_function(_AT_FIRST_CHART_JS, arg=FIRST_VIEW, polling="raf")
    assert first.json_value() == {"charts": 1, "sliders": 0, "waiting": True}

    wait_for_app(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == charts
    # the sidebar's widgets come with the rest (their code may still be loading)
    expect(page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').first).to_be_visible()
    assert page.locator(FIRST_VIEW).count() == 0
    assert_healthy(page)
