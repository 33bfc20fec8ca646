"""Exports in a real browser: every download button gives a valid file, the chart's modebar
camera gives a PNG, and a typed f(x, y) redraws the trajectories chart and goes into the URL."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.harness import ARTIFACTS, WAIT_MS, assert_healthy, open_app, wait_for_app

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def download(page: Page, button) -> tuple[str, bytes]:
    """Click ``button`` and return the downloaded file's suggested name and bytes."""
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    d = info.value
    path = d.path()
    assert path is not None, d.failure()
    return d.suggested_filename, Path(path).read_bytes()


def check_csv(data: bytes, first: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert rows and next(iter(rows[0])) == first
    return rows


def check_html(data: bytes) -> str:
    text = data.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in text
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.IGNORECASE)  # plotly.js inlined
    return text


def png_from_modebar(page: Page, chart) -> tuple[str, bytes]:
    """Hover ``chart`` (a .js-plotly-plot) so its modebar shows, then click the camera."""
    chart.hover()
    camera = chart.get_by_role("button", name=re.compile(r"^Download plot as a? ?PNG$"))
    expect(camera).to_be_visible(timeout=WAIT_MS)
    return download(page, camera)


def button(page: Page, label: str):
    return page.get_by_role("button", name=label)


def test_trajectories_downloads(page, app_url):
    open_app(page, f"{app_url}/trajectories?steps=60")
    name, data = download(page, button(page, "📄 Data (CSV)"))
    assert name == "trajectories.csv"
    rows = check_csv(data, "optimizer")
    assert {r["optimizer"] for r in rows} == {"sgd", "momentum", "adagrad", "rmsprop", "adam"}
    assert len(rows) == 5 * 61

    name, data = download(page, button(page, "🌐 Chart (HTML)"))
    assert name == "trajectories.html"
    assert "Trajectories on Ill-conditioned quadratic" in check_html(data)

    name, data = download(page, button(page, "🔥 PyTorch (.py)"))
    assert name == "reproduce_trajectories.py"
    assert b"torch.optim.Adagrad" in data and b"STEPS = 60" in data

    name, data = png_from_modebar(page, page.locator(".js-plotly-plot").first)
    assert name == "trajectories.png" and data.startswith(PNG_MAGIC) and len(data) > 10_000
    assert_healthy(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator('[data-testid="stExpander"]', has_text="Reproduce this run").click()
    page.get_by_text("📷 PNG").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "trajectories-exports.png")


def test_sparse_downloads(page, app_url):
    open_app(page, f"{app_url}/sparse-features?examples=1024")
    name, data = download(page, button(page, "📄 Data (CSV)"))
    assert name == "sparse-features.csv"
    rows = check_csv(data, "step")
    assert {"w_sgd", "w_adagrad", "G_adagrad"} <= set(rows[0])
    assert {int(r["feature"]) for r in rows} == set(range(100))

    name, data = download(page, button(page, "🌐 Charts (HTML)"))
    assert name == "sparse-features.html"
    assert check_html(data).count("Plotly.newPlot") == 5

    name, data = png_from_modebar(page, page.locator(".js-plotly-plot").first)
    assert name == "sparse-errors.png" and data.startswith(PNG_MAGIC)
    assert_healthy(page)
    page.get_by_text("📷 PNG").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "sparse-exports.png")


def test_locked_view_downloads_still_work(page, app_url):
    open_app(page, f"{app_url}/trajectories?lock=1&steps=20")
    expect(page.get_by_role("slider")).to_have_count(0)
    _, data = download(page, button(page, "📄 Data (CSV)"))
    assert len(check_csv(data, "optimizer")) == 5 * 21
    assert_healthy(page)


IMAGE_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const images = gd && gd._fullLayout && gd._fullLayout.images;
    return images && images.length ? images[0].source : null;
}"""


def contour_after(page: Page, *old: str | None) -> str:
    """The race chart's contour image, once it is drawn and differs from every ``old`` one."""
    page.wait_for_function(
        f"(old) => {{ const s = ({IMAGE_JS})(); return s !== null && !old.includes(s); }}",
        arg=list(old),
        timeout=WAIT_MS,
    )
    return page.evaluate(IMAGE_JS)


def test_a_typed_expression_redraws_the_chart_and_goes_into_the_url(page, app_url):
    open_app(page, f"{app_url}/trajectories")
    before = contour_after(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Custom f(x, y)…").click()
    page.wait_for_url("**surface=custom**", timeout=WAIT_MS)
    box = sidebar.get_by_role("textbox", name="f(x, y)", exact=True)
    expect(box).to_have_value("x**2 + 10*sin(y)", timeout=WAIT_MS)
    default_custom = contour_after(page, before)  # the contour is the typed surface's

    box.fill("(x - 1)**2 + 5*cos(x*y)")
    box.press("Enter")
    page.wait_for_url(re.compile(r"expr=%28x"), timeout=WAIT_MS)
    shown = page.get_by_text("f(x, y) = (x - 1)**2 + 5*cos(x*y)", exact=True).first
    expect(shown).to_be_visible(timeout=WAIT_MS)
    contour_after(page, before, default_custom)
    wait_for_app(page)
    assert_healthy(page)
    page.screenshot(path=ARTIFACTS / "trajectories-custom.png")

    box.fill("__import__('os')")
    box.press("Enter")
    expect(page.get_by_text("This f(x, y) cannot be used")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function(f"(b) => ({IMAGE_JS})() === b", arg=before, timeout=WAIT_MS)
    wait_for_app(page)  # the default surface, drawn again
    assert_healthy(page)
    page.screenshot(path=ARTIFACTS / "trajectories-custom-refused.png")
