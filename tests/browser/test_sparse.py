"""The sparse-features page in Chromium: healthy, a control changes a chart and the URL, and the
URL, opened again, restores the same view."""

import re

from playwright.sync_api import expect

from tests.browser.harness import ARTIFACTS, assert_healthy, open_app, wait_for_app

# The last few y values of every trace of every chart, as decoded by plotly in the page.
CHART_DATA = """() => [...document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .js-plotly-plot'
)].map((gd) => gd._fullData.map((t) => Array.from(t.y || []).slice(-3)))"""


def test_control_changes_chart_and_url_and_the_url_restores_it(page, app_url):
    # On a server's very first session, a deep link shows Streamlit's "Page not found" dialog
    # (the router has not run yet) and logs it as a console error: open the root first.
    open_app(page, app_url)
    page.js_errors.clear()
    open_app(page, f"{app_url}/sparse-features")
    assert_healthy(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(5)
    expect(page.get_by_text("no single SGD rate", exact=False)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sparse-default.png")
    before = page.evaluate(CHART_DATA)
    assert all(len(traces) > 0 for traces in before)

    slider = page.get_by_role("slider", name="Batch size B")
    expect(slider).to_have_attribute("aria-valuetext", "1")
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]batch=2\b"))
    expect(page.get_by_text("A batch of 2 averages", exact=False).first).to_be_visible()
    wait_for_app(page)
    assert_healthy(page)
    after = page.evaluate(CHART_DATA)
    assert after[0] != before[0]  # the error curves of chart 1 are a new run
    charts.nth(0).screenshot(path=ARTIFACTS / "sparse-batch2-errors.png")

    url = page.url
    open_app(page, url)
    assert_healthy(page)
    expect(page.get_by_role("slider", name="Batch size B")).to_have_attribute("aria-valuetext", "2")
    assert page.evaluate(CHART_DATA) == after


def test_the_rare_lesson_asks_reveals_keeps_the_links_settings_and_leads_on(page, app_url):
    from adagrad_app.lesson_ui import CHECK
    from adagrad_app.scenarios import BY_KEY, next_lesson

    sc, nxt = BY_KEY["rare"], next_lesson("rare")
    open_app(page, app_url)
    page.js_errors.clear()
    open_app(page, f"{app_url}/sparse-features?lesson=rare&examples=2048")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(sc.question)).to_be_visible()
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(0)  # nothing of the run yet
    page.get_by_text(dict(sc.choices)["adagrad"], exact=True).click()
    page.get_by_role("button", name=CHECK).click()
    expect(main.get_by_text("Right: Adagrad's.")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(5)
    slider = page.get_by_role("slider", name="Examples")
    expect(slider).to_have_attribute("aria-valuetext", "2048")  # the link's value, kept
    page.screenshot(path=ARTIFACTS / "sparse-lesson-answered.png")
    assert_healthy(page)
    page.get_by_role("link", name=f"Next lesson → {nxt.title}").click()
    page.wait_for_url(f"**/sparse-features?*lesson={nxt.key}*", timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text(nxt.question)).to_be_visible()
    assert_healthy(page)


PLOT_AREA_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => {
  const s = gd._fullLayout._size;  // the axes' own box: no legend, no margins
  return {w: s.w, h: s.h};
})"""
SIDEWAYS_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  return [document.documentElement, document.body, main]
    .some((el) => el.scrollWidth > el.clientWidth + 1);
}"""


def test_on_a_phone_every_chart_keeps_most_of_the_width_and_nothing_scrolls_sideways(
    browser, app_url
):
    """Issue 20 at 390x844: each chart's plot area is at least 75% of the screen wide and
    200 px tall (stacked panels, legends under them), and no table or chart pushes the page
    sideways."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        open_app(page, app_url)
        open_app(page, f"{app_url}/sparse-features")
        expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(5)
        wait_for_app(page)
        areas = page.evaluate(PLOT_AREA_JS)
        assert len(areas) == 5
        main = areas[0]  # chart ①, the page's main chart
        assert main["w"] >= 0.75 * 390 and main["h"] >= 200, areas
        assert all(a["w"] >= 0.75 * 390 for a in areas), areas  # no side-by-side panels
        assert all(a["h"] >= 200 for a in areas), areas  # legends under the plots leave room
        assert not page.evaluate(SIDEWAYS_JS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "sparse-phone.png")
    finally:
        context.close()


# Per stacked chart: the bottom of each upper panel's x-axis title and the top of the title of
# the panel under it, on the screen.
TITLE_GAPS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter((gd) => gd.querySelectorAll('.g-x2title').length)
    .map((gd) => {
        const L = gd._fullLayout, top = gd.getBoundingClientRect().top;
        const ys = Object.keys(L).filter((k) => /^yaxis\\d*$/.test(k))
            .map((k) => L[k]).sort((a, b) => a._offset - b._offset);
        const xtitles = [...gd.querySelectorAll('[class^="g-x"][class$="title"] text')]
            .map((t) => t.getBoundingClientRect()).sort((a, b) => a.top - b.top);
        const notes = [...gd.querySelectorAll('.annotation')]
            .map((a) => a.getBoundingClientRect()).sort((a, b) => a.top - b.top);
        return ys.slice(1).map((y, i) => ({
            xtitleBottom: xtitles[i].bottom - top, titleTop: notes[i + 1].top - top,
            plotTop: y._offset}));
    })"""


def test_on_a_phone_a_lower_panels_title_is_clear_of_the_x_title_above(browser, app_url):
    """At 390x844, in the stacked charts (G and the rate, G against the count and the rate
    against p, the batch-size sweep) each lower panel's title is >= 12 px under the x-axis
    title of the panel above (they nearly touched) and above its own plot."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/sparse-features")
        expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(5)
        wait_for_app(page)
        charts = page.evaluate(TITLE_GAPS_JS)
        assert len(charts) == 3, charts
        for gaps in charts:
            for g in gaps:
                assert g["titleTop"] - g["xtitleBottom"] >= 12, charts
                assert g["titleTop"] < g["plotTop"], charts
    finally:
        context.close()
