"""The ε lesson end to end in chromium: the link asks first, the answer reveals the run and the
verdict, and "Next lesson →" opens the next lesson's page."""

from playwright.sync_api import Page, expect

from adagrad_app.lesson_ui import CHECK
from adagrad_app.scenarios import BY_KEY, next_lesson
from tests.browser.harness import RUN_COUNTER_JS, assert_healthy, wait_for_app


def test_the_epsilon_lesson_asks_reveals_and_leads_on(page: Page, app_url: str):
    sc, nxt = BY_KEY["epsilon"], next_lesson("epsilon")
    page.add_init_script(RUN_COUNTER_JS)
    page.goto(f"{app_url}/formula?eps=1&t=1&lesson=epsilon")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(sc.question)).to_be_visible()
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(1)  # where the run starts
    expect(main.get_by_text("One step, with its numbers")).to_have_count(0)  # no step yet
    page.get_by_text(dict(sc.choices)["smaller_g"], exact=True).click()
    page.get_by_role("button", name=CHECK).click()
    expect(main.get_by_text("Right:")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(2)  # the path and the terms
    expect(main.get_by_text("One step, with its numbers")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_label("Start x")).to_have_value("-5.00")  # the controls as they were
    assert_healthy(page)
    page.get_by_role("link", name=f"Next lesson → {nxt.title}").click()
    page.wait_for_url(f"**/trajectories?*lesson={nxt.key}*", timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text(nxt.question)).to_be_visible()
    assert_healthy(page)
