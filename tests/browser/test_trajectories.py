"""The trajectories page in a real browser: frames, playback, URL round trip, click to start."""

from playwright.sync_api import Page

from tests.browser.harness import (
    ARTIFACTS,
    WAIT_MS,
    assert_healthy,
    assert_same_line,
    open_app,
    points_of,
    wait_for_app,
)

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


# The drawn SVG line of a trace of the race chart, by the trace's name.
PATH_D_JS = """(name) => {
  for (const g of document.querySelectorAll('.st-key-chart .scatterlayer .trace')) {
    const cd = g.__data__;
    if (cd && cd[0] && cd[0].trace.name === name) {
      return g.querySelector('path.js-line').getAttribute('d');
    }
  }
  return null;
}"""
# A key press on a slider, and the path as drawn right after it, in the same task: nothing
# from the server can have arrived in between.
PRESS_AND_READ_JS = """([label, keys, name]) => {
  const input = [...document.querySelectorAll('input[type="range"]')]
    .find((e) => e.getAttribute('aria-label') === label);
  for (const key of keys.split(' ')) {
    input.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
  }
  return (PATH_D)(name);
}""".replace("PATH_D", PATH_D_JS)


def _wait_for_previews(page: Page) -> None:
    page.locator('input[aria-label="Adagrad lr"]').wait_for(timeout=WAIT_MS)
    page.wait_for_function("() => !!(window.__instantPaths && window.__instantPaths.data)")


def _drawn_after_round_trip(page: Page, url_part: str, *, gone: bool = False) -> str:
    """The Adagrad path as drawn once the run for ``url_part`` (in the URL, or ``gone`` from it:
    a default value is not written) has been drawn."""
    page.wait_for_url(lambda url: (url_part in url) != gone, timeout=WAIT_MS)
    wait_for_app(page)
    return page.evaluate(PATH_D_JS, "Adagrad path")


def test_a_rate_or_steps_slider_redraws_paths_at_once_as_the_round_trip_then_does(page, app_url):
    """Issue 20: a move of a learning-rate slider redraws that racer's path in the browser, in
    the key press's own task; the round trip then draws exactly the same line. Moved back,
    the chart's own path comes back at once too (adagrad_app/instant.py)."""
    open_app(page, f"{app_url}/trajectories")
    _wait_for_previews(page)
    drawn = page.evaluate(PATH_D_JS, "Adagrad path")
    args = ["Adagrad lr", "ArrowRight", "Adagrad path"]
    at_once = page.evaluate(PRESS_AND_READ_JS, args)  # 1.5 -> 2
    assert at_once and at_once != drawn
    assert_same_line(at_once, _drawn_after_round_trip(page, "lr_adagrad=2"))
    page.wait_for_function(
        "() => window.__instantPaths.data.here.lr_adagrad === 26", timeout=WAIT_MS
    )
    back = page.evaluate(PRESS_AND_READ_JS, ["Adagrad lr", "ArrowLeft", "Adagrad path"])
    assert_same_line(back, drawn)
    assert _drawn_after_round_trip(page, "lr_adagrad=", gone=True) == drawn
    # The Steps slider: every path ten steps longer at once, then the same from the server.
    page.wait_for_function(
        "() => window.__instantPaths.data.here.lr_adagrad === 25", timeout=WAIT_MS
    )
    at_once = page.evaluate(PRESS_AND_READ_JS, ["Steps", "ArrowRight", "Adagrad path"])
    assert len(points_of(at_once)) == 111
    assert_same_line(at_once, _drawn_after_round_trip(page, "steps=110"))
    # There and back in one task, before any reply: the chart's own line comes back as drawn.
    page.wait_for_function("() => window.__instantPaths.data.steps.value === 110")
    drawn = page.evaluate(PATH_D_JS, "Adagrad path")
    args = ["Adagrad lr", "ArrowRight ArrowLeft", "Adagrad path"]
    assert page.evaluate(PRESS_AND_READ_JS, args) == drawn
    assert_healthy(page)
    # On another page (the same document) the paths are dropped: nothing is left to swap.
    page.locator('[data-testid="stSidebarNav"] a', has_text="The formula").click()
    page.wait_for_function("() => window.__instantPaths.data === null", timeout=WAIT_MS)


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


# The rotation lesson's chart (the one with two panel titles): each panel's drawn size and
# where its title is on the screen.
ROTATION_JS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find((g) => g._fullLayout && g._fullLayout.xaxis2 && g._fullLayout.yaxis2
              && g.querySelectorAll('.annotation').length === 2);
    const L = gd._fullLayout;
    const box = (el) => { const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
    return {
        panels: [['xaxis', 'yaxis'], ['xaxis2', 'yaxis2']].map(([x, y]) =>
            ({w: L[x]._length, h: L[y]._length, top: L[y]._offset})),
        titles: [...gd.querySelectorAll('.annotation')].map(box),
        scrollW: document.documentElement.scrollWidth, viewW: window.innerWidth,
    };
}"""


def test_on_a_phone_the_rotation_panels_are_stacked_full_width_under_their_titles(browser, app_url):
    """At 390x844 the rotation lesson's two panels are one above the other, each >= 280 px
    wide (side by side they were 128 px), and their titles are on the screen, apart."""
    context, page = phone_page(browser)
    try:
        open_app(page, f"{app_url}/trajectories")
        m = page.evaluate(ROTATION_JS)
        (a, b), (ta, tb) = m["panels"], m["titles"]
        assert a["w"] >= 280 and b["w"] >= 280, m
        assert a["top"] + a["h"] < b["top"], m  # stacked
        assert a["h"] >= 0.45 * a["w"] and b["h"] >= 0.95 * b["w"], m  # to scale, 2:1 and 1:1
        for t in (ta, tb):
            assert t["left"] >= 0 and t["right"] <= 390, m  # whole titles, on the screen
        assert ta["bottom"] <= tb["top"], m
        assert m["scrollW"] <= m["viewW"], m
        assert_healthy(page)
    finally:
        context.close()


# The linked charts (gap, effective rate, accumulator): plot area, x-axis title and key boxes.
LINKED_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter((gd) => gd._fullLayout && gd._fullLayout.hovermode === 'x unified')
    .map((gd) => {
        const r = (el) => el.getBoundingClientRect();
        const chart = r(gd), plot = r(gd.querySelector('.nsewdrag'));
        const key = gd.querySelector('.annotation');
        return {title: gd._fullLayout.title.text, plotW: plot.width, plotH: plot.height,
                plotBottom: plot.bottom, xtitleBottom: r(gd.querySelector('.g-xtitle')).bottom,
                chartLeft: chart.left, chartRight: chart.right,
                key: key && {text: key.textContent, top: r(key).top, left: r(key).left,
                             right: r(key).right}};
    })"""


def test_on_a_phone_each_linked_chart_names_its_racers_under_its_plot(browser, app_url):
    """At 390x844 the gap, effective-rate and accumulator charts each name their racers in a
    key under the x-axis title, inside the chart (the main chart's legend is screens away;
    before, the gap chart named only tuned SGD and the accumulator chart nothing), and each
    plot keeps >= 220 px of height."""
    context, page = phone_page(browser)
    try:
        open_app(page, f"{app_url}/trajectories")
        charts = page.evaluate(LINKED_JS)
        assert len(charts) == 3, charts
        for c in charts:
            assert c["key"], c
            assert c["key"]["top"] >= c["xtitleBottom"] - 1, c
            assert c["chartLeft"] <= c["key"]["left"] and c["key"]["right"] <= c["chartRight"], c
            assert c["plotH"] >= 220 and c["plotW"] >= 0.6 * 390, c
        gap, rate, acc = (c["key"]["text"] for c in charts)
        for name in ("SGD", "Momentum", "Adagrad", "RMSprop", "Adam"):
            assert name in gap and name in rate, (gap, rate)
        assert "SGD, best lr" in gap and "Adagrad if g stayed" in rate
        assert all(name in acc for name in ("Adagrad G", "RMSprop v", "Adam v")), acc
        assert_healthy(page)
    finally:
        context.close()
