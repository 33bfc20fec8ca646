"""The trajectories page in a real browser: frames, playback, URL round trip, click to start."""

from playwright.sync_api import Page

from tests.browser.harness import ARTIFACTS, WAIT_MS, assert_healthy, open_app

# The race chart is the first plotly chart on the page.
FRAMES_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    return gd && gd._transitionData && gd._transitionData._frames
        ? gd._transitionData._frames.length : 0;
}"""


def wait_for_frames(page: Page, n: int) -> None:
    page.wait_for_function(f"() => ({FRAMES_JS})() === {n}", timeout=WAIT_MS)


def steps_slider(page: Page):
    return page.locator('[data-testid="stSidebar"]').get_by_role("slider", name="Steps")


def test_chart_renders_with_frames_and_plays(page, app_url):
    open_app(page, f"{app_url}/trajectories")
    wait_for_frames(page, 101)  # 100 steps and the start
    info = page.evaluate(
        """() => {
        const gd = document.querySelector('.js-plotly-plot');
        const frame = gd._transitionData._frames[0];
        return {
            traces: frame.traces.length,
            images: gd._fullLayout.images.length,
            hasContourTrace: gd._fullData.some((t) => t.type === 'contour'),
            steps: gd._fullLayout.sliders[0].steps.map((s) => s.label),
        };
    }"""
    )
    # 101 frames for ▶ Play; the scrub slider stops at round steps, the last one included
    labels = [str(k) for k in range(0, 101, 10)]
    assert info == {"traces": 5, "images": 1, "hasContourTrace": False, "steps": labels}

    page.locator(".updatemenu-button").first.click()  # ▶ Play: runs in the browser
    page.wait_for_function(  # the slider follows the animation past step 30
        "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active > 3",
        timeout=WAIT_MS,
    )
    # the contour background survives playback
    assert page.locator(".js-plotly-plot").first.locator(".imagelayer image").count() == 1
    page.locator(".updatemenu-button").nth(2).click()  # ❚❚ Pause
    active = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
    before = page.evaluate(active)
    page.wait_for_timeout(500)  # the animation has stopped, and its rejection (below) is in
    assert page.evaluate(active) == before
    # plotly.js rejects the interrupted animation's promise with `undefined` on purpose
    # (plotly/plotly.js#2438); the updatemenu does not catch it, so the page logs exactly this.
    page.js_errors[:] = [e for e in page.js_errors if e != "page error: undefined"]
    assert_healthy(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "trajectories-playing.png")


def test_a_control_changes_chart_and_url_and_the_url_restores_it(page, app_url):
    open_app(page, f"{app_url}/trajectories")
    wait_for_frames(page, 101)
    slider = steps_slider(page)
    assert slider.get_attribute("aria-valuetext") == "100"
    slider.focus()
    slider.press("ArrowRight")  # steps: 100 -> 110
    page.wait_for_url("**steps=110**", timeout=WAIT_MS)
    wait_for_frames(page, 111)
    assert_healthy(page)

    other = page.context.new_page()
    other.js_errors = []
    open_app(other, page.url)
    wait_for_frames(other, 111)
    assert steps_slider(other).get_attribute("aria-valuetext") == "110"
    assert "steps=110" in other.url
    assert_healthy(other)


def test_click_on_the_chart_sets_the_start(page, app_url):
    open_app(page, f"{app_url}/trajectories")
    wait_for_frames(page, 101)
    plot = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
    box = plot.bounding_box()
    # the right half, slightly above the middle: x > 0 and y > 0 on the quadratic
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.3 * box["height"])
    page.wait_for_url("**x0=**", timeout=WAIT_MS)
    start = page.evaluate(
        """() => {
        const gd = document.querySelector('.js-plotly-plot');
        const s = gd._fullData.find((t) => t.name === 'start');
        return [s.x[0], s.y[0]];
    }"""
    )
    page.wait_for_function(
        """() => {
        const gd = document.querySelector('.js-plotly-plot');
        const s = gd._fullData.find((t) => t.name === 'start');
        return s.x[0] > 0 && s.y[0] > 0;
    }""",
        timeout=WAIT_MS,
    )
    assert start is not None
    assert_healthy(page)
    page.screenshot(path=ARTIFACTS / "trajectories-clicked.png")


def test_3d_toggle_redraws_its_chart_and_the_url(page, app_url):
    open_app(page, f"{app_url}/trajectories")
    wait_for_frames(page, 101)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length === 5",
        timeout=WAIT_MS,
    )
    page.get_by_text("Show the surface in 3-D").click()
    page.wait_for_url("**view3d=1**", timeout=WAIT_MS)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length === 6",
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".some((gd) => gd._fullData && gd._fullData.some((t) => t.type === 'surface'))",
        timeout=WAIT_MS,
    )
    assert charts.count() == 6
    wait_for_frames(page, 101)  # the race chart is untouched
    assert_healthy(page)


# The main chart's plot area: the axes themselves, without legend, colour bar or margins.
PLOT_AREA_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const s = gd._fullLayout._size;
    return {width: r.width, height: r.height, plotW: s.w, plotH: s.h,
            chartW: gd.getBoundingClientRect().width,
            scrollW: document.documentElement.scrollWidth,
            viewW: window.innerWidth};
}"""


def phone_page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
        device_scale_factor=2,
    )  # fmt: skip
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(f"page error: {error}"))
    return context, page


def test_on_a_phone_the_plot_fills_the_screen_and_plays_by_touch(browser, app_url):
    """At 390x844 the race chart's axes are at least 75% of the screen wide and 200 px tall
    (legend and colour bar outside them), nothing scrolls sideways, and play, pause and the
    step slider answer taps."""
    context, page = phone_page(browser)
    try:
        open_app(page, f"{app_url}/trajectories")
        wait_for_frames(page, 101)
        area = page.evaluate(PLOT_AREA_JS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "trajectories-phone.png")
        assert area["width"] >= 0.75 * 390, area
        assert area["height"] >= 200, area
        assert area["scrollW"] <= area["viewW"], area  # nothing scrolls sideways

        chart = page.locator(".js-plotly-plot").first
        chart.scroll_into_view_if_needed()
        active = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
        chart.locator(".updatemenu-button").first.tap()  # ▶ Play
        page.wait_for_function(f"() => ({active})() > 3", timeout=WAIT_MS)
        chart.locator(".updatemenu-button").nth(2).tap()  # ❚❚ Pause
        page.wait_for_timeout(300)
        paused = page.evaluate(active)
        page.wait_for_timeout(500)
        assert page.evaluate(active) == paused
        # a tap on the step slider's rail moves it to the step under the finger
        rail = chart.locator(".slider-rail-rect").first.bounding_box()
        page.touchscreen.tap(rail["x"] + 0.9 * rail["width"], rail["y"] + rail["height"] / 2)
        page.wait_for_function(f"() => ({active})() >= 8", timeout=WAIT_MS)
        page.js_errors[:] = [e for e in page.js_errors if e != "page error: undefined"]
        assert_healthy(page)
    finally:
        context.close()
