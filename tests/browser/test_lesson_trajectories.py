"""The plateau lesson end to end in chromium: the link asks first over the bare surface, the
answer draws the paths and the verdict, and "Next lesson →" opens the next lesson on this same
page with that lesson's own settings (not the plateau's, which the browser still shows)."""

from playwright.sync_api import Page, expect

from adagrad_app.lesson_ui import CHECK
from adagrad_app.scenarios import BY_KEY, next_lesson
from tests.browser.harness import ARTIFACTS, assert_healthy, open_app, wait_for_app

# The names of the traces plotly drew in the first chart on the page (the race chart).
TRACES_JS = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    return gd && gd._fullData ? gd._fullData.map((t) => t.name) : null;
}"""


def test_the_plateau_lesson_asks_reveals_and_leads_on(page: Page, app_url: str):
    sc, nxt = BY_KEY["plateau"], next_lesson("plateau")
    assert nxt.page == sc.page  # the next lesson is on this page, with other settings
    open_app(page, app_url)  # (a server's first deep link meets Streamlit's "page not found")
    page.js_errors.clear()
    open_app(
        page, f"{app_url}/trajectories?surface=plateau&opts=sgd,momentum,adagrad&lesson=plateau"
    )
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(sc.question)).to_be_visible()
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(1)  # the surface alone
    assert sorted(page.evaluate(TRACES_JS)) == ["click", "colour bar", "minimum", "start"]
    expect(main.get_by_test_id("stTable")).to_have_count(0)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("slider", name="Steps")).to_be_visible()  # the settings stay
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "trajectories-lesson-question.png")

    main.get_by_role("radiogroup").get_by_text(dict(sc.choices)["adagrad"], exact=True).click()
    page.get_by_role("button", name=CHECK).click()
    expect(main.get_by_text("Right:")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(main.get_by_text("Try it yourself:")).to_be_visible()
    names = page.evaluate(TRACES_JS)
    assert {"SGD path", "Momentum path", "Adagrad path"} <= set(names)  # the run, revealed
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(5)
    page.screenshot(path=ARTIFACTS / "trajectories-lesson-answered.png")
    assert_healthy(page)

    page.get_by_role("link", name=f"Next lesson → {nxt.title}").click()
    page.wait_for_url(f"**/trajectories?*surface=rosenbrock*lesson={nxt.key}*", timeout=60_000)
    wait_for_app(page)
    expect(main.get_by_text(nxt.question)).to_be_visible()
    expect(main.get_by_text("Rosenbrock (banana valley).", exact=False)).to_be_visible()
    expect(sidebar.get_by_role("slider", name="Steps")).to_have_attribute("aria-valuetext", "1000")
    assert sorted(page.evaluate(TRACES_JS)) == ["click", "colour bar", "minimum", "start"]
    assert_healthy(page)
