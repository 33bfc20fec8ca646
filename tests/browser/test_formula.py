"""The formula page in Chromium: KaTeX renders in the term colours, the step control moves it."""

import re

import pytest
from playwright.sync_api import Page, expect

from adagrad_app import fig_formula, theme
from adagrad_app import formula_tex as ft
from adagrad_app import formula_view as V
from tests.browser.harness import ARTIFACTS, assert_healthy, assert_same_line, open_app, points_of


def _open(page: Page, url: str) -> None:
    """Open the page and wait for its formulas: KaTeX loads on its own, so a markdown element
    (the reading under the numbers) can be drawn before any formula is."""
    open_app(page, url)
    page.wait_for_function("() => document.querySelectorAll('.katex').length >= 5", timeout=60_000)


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _colors(page: Page, prop: str) -> set[str]:
    """Every computed `prop` (color, background-color) inside the rendered formulas."""
    return set(
        page.evaluate(
            """(prop) => [...document.querySelectorAll('.katex *')]
                   .map((el) => getComputedStyle(el)[prop])""",
            prop,
        )
    )


def _step_slider(page: Page):
    return page.locator('[data-testid="stSlider"]').filter(has_text="Step t").get_by_role("slider")


def _tables(page: Page) -> str:
    """The text of the formulas that hold this step's numbers (their rows start 'x:')."""
    texts = page.locator(".katex").all_inner_texts()
    return "\n".join(t for t in texts if "x:" in t)


def _reading(page: Page):
    return page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=re.compile(r"^Step \d+\.")
    )


def test_formula_renders_in_term_colours(page: Page, app_url: str):
    _open(page, f"{app_url}/formula?t=2")
    expect(_reading(page)).to_contain_text("Step 2.", timeout=60_000)  # the whole page is drawn
    assert_healthy(page)
    assert page.locator(".katex").count() >= 5
    expect(page.locator(".katex-error")).to_have_count(0)
    colors = _colors(page, "color")
    for key in ("theta", "g", "G", "lr", "eps", "eff_lr", "update"):
        assert _rgb(theme.TERM_COLORS[key]) in colors, key
    # values that changed since step 1 sit on a tint of their term's colour
    backgrounds = _colors(page, "backgroundColor")
    assert _rgb(ft.tint(theme.TERM_COLORS["G"])) in backgrounds
    expect(_reading(page)).to_contain_text("Step 2.")
    # the path chart's contour lines are a layout image below its traces, drawn by plotly.js
    path_chart = page.wait_for_function(  # plotly.js loads on its own: wait for the chart
        """() => {
            const gd = document.querySelector('.js-plotly-plot');
            if (!gd || !gd._fullData || !gd.querySelector('.main-svg')) return null;
            return {
                types: gd._fullData.map((t) => t.type),
                images: gd._fullLayout.images.map((im) => [im.source.slice(0, 22), im.layer]),
                drawn: gd.querySelectorAll('.layer-subplot .imagelayer image').length,
            };
        }""",
        timeout=60_000,
    ).json_value()
    assert path_chart == {
        "types": ["scatter"] * 3,
        "images": [["data:image/png;base64,", "below"]],
        "drawn": 1,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "formula-step2.png", full_page=True)


# The step marked on the path: its line and its points' centres, as drawn.
STEP_DRAWN_JS = """() => {
  for (const g of document.querySelectorAll('.st-key-PATH .scatterlayer .trace')) {
    const name = g.__data__ && g.__data__[0].trace.name;
    if (name && name.startsWith('STEP')) {
      const points = [...g.querySelectorAll('path.point')].map((p) => p.getAttribute('transform'));
      return {name, d: g.querySelector('path.js-line').getAttribute('d'), points};
    }
  }
  return null;
}""".replace("PATH", V.PATH_CHART).replace("STEP", fig_formula.STEP_TRACE)
# A key press on Step t and the step as drawn right after it, in the same task: nothing from
# the server can have arrived in between.
PRESS_AND_READ_JS = """(key) => {
  const input = document.querySelector('.st-key-t input[type="range"]');
  input.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
  return (DRAWN)();
}""".replace("DRAWN", STEP_DRAWN_JS)


def _centres(step: dict) -> list[tuple[float, float]]:
    return [tuple(map(float, t[len("translate(") : -1].split(","))) for t in step["points"]]


def test_step_slider_moves_the_step_at_once_then_the_numbers_follow(page: Page, app_url: str):
    """Issue 20: a key press on Step t moves the step marked on the path in the browser, in the
    key press's own task; the round trip then draws the same step (adagrad_app/instant.py)."""
    _open(page, f"{app_url}/formula?steps=40&t=7")
    page.wait_for_function("() => !!(window.__instantPaths && window.__instantPaths.data)")
    drawn = page.evaluate(STEP_DRAWN_JS)
    assert drawn["name"] == "step 7" and len(drawn["points"]) == 2
    at_once = page.evaluate(PRESS_AND_READ_JS, "ArrowRight")
    assert at_once["name"] == "step 7"  # still the chart of step 7: nothing came back yet
    assert at_once["d"] != drawn["d"]
    # its first point is where step 7 ended
    assert points_of(at_once["d"])[0] == pytest.approx(points_of(drawn["d"])[-1], abs=0.011)
    expect(page).to_have_url(re.compile(r"[?&]t=8(&|$)"))
    expect(_reading(page)).to_contain_text("Step 8.")
    page.wait_for_function(f"() => ({STEP_DRAWN_JS})().name === 'step 8'")
    after = page.evaluate(STEP_DRAWN_JS)
    assert_same_line(at_once["d"], after["d"])
    for ours, theirs in zip(_centres(at_once), _centres(after), strict=True):
        assert ours == pytest.approx(theirs, abs=0.011)
    assert_healthy(page)


def test_step_slider_changes_values_and_url(page: Page, app_url: str):
    _open(page, f"{app_url}/formula?t=0")  # an old link: its t = 0 was the first update
    before = _tables(page)
    assert "x:" in before
    expect(_reading(page)).to_contain_text("Step 1.")  # counted from 1, as on Trajectories
    expect(page.get_by_test_id("stAlert")).to_have_count(0)  # no note on the old link
    slider = _step_slider(page)
    slider.focus()
    slider.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]t=2(&|$)"))
    expect(_reading(page)).to_contain_text("Step 2.")
    after = _tables(page)
    assert after != before
    assert "▲" not in before  # glyphs aside: KaTeX draws the arrows as text
    assert_healthy(page)


def test_eps_switch_changes_rendered_denominator(page: Page, app_url: str):
    _open(page, f"{app_url}/formula?eps=1&t=1")
    before = _tables(page)
    page.get_by_role("radio", name=re.compile("inside")).click()
    expect(page).to_have_url(re.compile(r"eps_at=inside"))
    expect(
        page.locator('[data-testid="stCaptionContainer"]').filter(
            has_text="inside the root, as in d2l"
        )
    ).to_have_count(1)
    page.wait_for_function(
        "(old) => [...document.querySelectorAll('.katex')].map((k) => k.innerText)"
        ".filter((t) => t.includes('x:')).join('\\n') !== old",
        arg=before,
    )
    assert_healthy(page)


def test_play_walks_to_the_end_and_stops(page: Page, app_url: str):
    open_app(page, f"{app_url}/formula?steps=4")
    toggle = page.get_by_role("switch", name=re.compile("Play"))
    toggle.click(force=True)
    expect(_reading(page)).to_contain_text("Step 4.")
    expect(page).to_have_url(re.compile(r"[?&]t=4(&|$)"))
    expect(toggle).not_to_be_checked()
    expect(page).not_to_have_url(re.compile(r"play=1"))
    assert_healthy(page)


def test_locked_view_has_formula_and_no_controls(page: Page, app_url: str):
    _open(page, f"{app_url}/formula?lock=1&t=3")
    assert page.locator(".katex").count() >= 5
    expect(page.get_by_role("slider")).to_have_count(0)
    expect(_reading(page)).to_contain_text("Step 3.")
    assert_healthy(page)


# The main chart's plot area (the axes' drag rectangle: no legend, colour bar or margin), and
# whatever is wider than the screen: the document, the main column, a formula or a table.
PHONE_JS = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const main = document.querySelector('[data-testid="stMain"]');
    const wide = [...main.querySelectorAll('.katex-display, [data-testid="stTable"]')]
        .filter((el) => el.scrollWidth > el.clientWidth + 2)  // KaTeX's own 2 px of rounding
        .map((el) => el.innerText.slice(0, 40));
    const doc = document.documentElement;
    return {w: area.width, h: area.height, view: window.innerWidth, wide,
            sideways: doc.scrollWidth > doc.clientWidth || main.scrollWidth > main.clientWidth};
}"""


# The terms chart's panels (each one's drag rectangle) and the top of its legend.
SERIES_JS = """() => {
    const gd = document.querySelector('.st-key-series .js-plotly-plot');
    const box = (el) => el.getBoundingClientRect();
    return {
        panels: [...gd.querySelectorAll('.nsewdrag')].map(box)
            .map((b) => ({x: b.x, y: b.y, w: b.width, h: b.height})),
        legend: box(gd.querySelector('.legend')).y,
    };
}"""


def test_on_a_phone_the_path_fills_the_width_and_the_step_slider_answers_taps(browser, app_url):
    """Issue 20 at 390x844: the path chart's axes are at least 75% of the screen wide and
    200 px tall (legend under them), no formula or table is cut off on the right, nothing
    scrolls sideways, each panel of the terms chart is a row of its own almost as wide, and a
    tap on the step slider's track moves the step there."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(f"page error: {error}"))
    try:
        for query in ("", "?run_on=sparse&t=9"):  # the sparse run's names are the longest
            _open(page, f"{app_url}/formula{query}")
            expect(_reading(page)).to_contain_text("Step ", timeout=60_000)
            m = page.evaluate(PHONE_JS)
            assert m["w"] >= 0.75 * m["view"] and m["h"] >= 200, m
            assert not m["wide"] and not m["sideways"], m
            # the terms chart: one row per term, each the chart's width (five side by side
            # were 48 px wide each), one under the other, the legend under them all
            rows = page.evaluate(SERIES_JS)
            assert len(rows["panels"]) == 5, rows
            for upper, lower in zip(rows["panels"], rows["panels"][1:], strict=False):
                assert lower["y"] >= upper["y"] + upper["h"], rows
            for panel in rows["panels"]:
                assert panel["w"] >= 0.7 * m["view"] and panel["h"] >= 90, rows
            assert rows["legend"] >= rows["panels"][-1]["y"] + rows["panels"][-1]["h"], rows
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "formula-phone.png")

        # a tap on the step slider's track moves the step to the point under the finger
        step = page.locator('[data-testid="stSlider"]').filter(has_text="Step t")
        track = step.locator('[role="group"] > div').first
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        page.touchscreen.tap(box["x"] + 0.95 * box["width"], box["y"] + box["height"] / 2)
        expect(page).to_have_url(re.compile(r"[?&]t=29(&|$)"))
        expect(_reading(page)).to_contain_text("Step 29.")
        page.get_by_role("switch", name=re.compile("Play")).tap(force=True)  # ▶ Play by touch
        expect(_reading(page)).to_contain_text("Step 30.")
        assert_healthy(page)
    finally:
        context.close()


# Every formula of the step: its drawn width against its block's, and its font size.
KATEX_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] .katex-display')]
    .map((el) => ({scroll: el.scrollWidth, client: el.clientWidth,
                   px: parseFloat(getComputedStyle(el.querySelector('.katex')).fontSize),
                   text: el.innerText.slice(0, 30)}))"""


def test_at_a_later_step_every_formula_fits_its_column_on_a_phone_and_a_desktop(browser, app_url):
    """At step 20 the update row's numbers (1.73 × 10⁻⁵ and the like) made the formulas
    434-475 px wide in a 358 px column at 390 px, and 606 px in 578 at 1280: cut off, scrolled
    sideways. Their font now follows the column: each fits, still >= 10 px on the phone."""
    for width, height, least_px in ((390, 844, 10), (1280, 900, 15)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.js_errors = []
        try:
            _open(page, f"{app_url}/formula?t=20")
            expect(_reading(page)).to_contain_text("Step 20", timeout=60_000)
            formulas = page.evaluate(KATEX_JS)
            assert len(formulas) >= 4, formulas
            for f in formulas:
                assert f["client"] > 0 and f["scroll"] <= f["client"] + 2, (width, f)
                assert f["px"] >= least_px, (width, f)
            assert_healthy(page)
        finally:
            context.close()
