"""Faults a class meets: the server restarts mid-lesson, and a student has two tabs open.

In both cases the page's state lives in its URL, so it comes back from there.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import serve_app
from tests.browser.harness import ARTIFACTS, assert_healthy, free_port, open_app, wait_for_app

APP = '[data-testid="stApp"]'
# While the server is down the page keeps asking for it: refused connections are expected.
OUTAGE_NOISE = re.compile(
    r"ERR_CONNECTION_REFUSED|WebSocket|Failed to fetch|Failed to load"
    r"|reaching server endpoint|server is not responding"
)


QUERY = "?preset=two_groups&batch=32&seed=7&p_rare=0.02"


@contextmanager
def restarted_server(page: Page) -> Iterator[str]:
    """Open /sparse-features with QUERY, stop the server, start a new one on the same port and
    wait until the page has reconnected to it; yields the page's URL before the restart."""
    port = free_port()
    with serve_app(ARTIFACTS / "streamlit-faults-1.log", port=port) as url:
        open_app(page, url)  # the router first, as a teacher's link would on a fresh server
        page.js_errors.clear()
        open_app(page, f"{url}/sparse-features{QUERY}")
        assert_healthy(page)
        expect(page.get_by_text("A batch of 32 averages", exact=False).first).to_be_visible()
        before_url = page.url

    # The server is gone: the page notices and keeps trying.
    page.wait_for_selector(f'{APP}:not([data-test-connection-state="CONNECTED"])', timeout=30_000)
    page.screenshot(path=ARTIFACTS / "faults-server-down.png")

    with serve_app(ARTIFACTS / "streamlit-faults-2.log", port=port):
        wait_for_app(page, timeout_ms=60_000)  # reconnected to the new server
        outage = [e for e in page.js_errors if OUTAGE_NOISE.search(e)]
        assert outage == page.js_errors, f"unexpected errors: {set(page.js_errors) - set(outage)}"
        page.js_errors.clear()
        yield before_url


def test_server_restart_mid_session_restores_the_view_from_the_url(page: Page):
    with restarted_server(page) as before_url:
        assert page.url == before_url
        expect(page.get_by_text("A batch of 32 averages", exact=False).first).to_be_visible()
        batch = page.get_by_role("slider", name="Batch size B")
        expect(batch).to_have_attribute("aria-valuetext", "32")
        rare = page.get_by_role("slider", name="p of rare features")  # two_groups only
        expect(rare).to_have_attribute("aria-valuetext", "0.020")
        page.screenshot(path=ARTIFACTS / "faults-server-back.png")
        assert_healthy(page)
        # A reload starts a session on the new server from the URL alone: the same view.
        page.reload()
        wait_for_app(page)
        expect(page.get_by_text("A batch of 32 averages", exact=False).first).to_be_visible()
        expect(page.get_by_role("slider", name="Batch size B")).to_have_attribute(
            "aria-valuetext", "32"
        )
        # ... and the page is live.
        _move_batch_to_64(page)
        assert_healthy(page)


def _move_batch_to_64(page: Page) -> None:
    batch = page.get_by_role("slider", name="Batch size B")
    batch.focus()
    page.keyboard.press("ArrowRight")
    expect(batch).to_have_attribute("aria-valuetext", "64")
    expect(page).to_have_url(re.compile(r"[?&]batch=64\b"))
    expect(page.get_by_text("A batch of 64 averages", exact=False).first).to_be_visible()
    wait_for_app(page)


def test_first_move_after_a_server_restart_is_kept(page: Page):
    """Without a reload: the page reconnects, the student moves a slider at once."""
    with restarted_server(page):
        page.screenshot(path=ARTIFACTS / "faults-first-move.png")
        _move_batch_to_64(page)


def _watch(tab: Page) -> Page:
    tab.js_errors = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "/_stcore/" not in message.location.get("url", ""):
            tab.js_errors.append(f"console error: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: tab.js_errors.append(f"page error: {error}"))
    return tab


def test_two_tabs_of_one_student_keep_their_own_views(page: Page, app_url: str):
    open_app(page, app_url)
    page.js_errors.clear()
    # Same browser context: same cookies, like two tabs of one student.
    tab_a, tab_b = page, _watch(page.context.new_page())
    open_app(tab_a, f"{app_url}/trajectories?surface=rosenbrock&steps=200")
    open_app(tab_b, f"{app_url}/trajectories?surface=himmelblau&steps=50")
    for tab in (tab_a, tab_b):
        assert_healthy(tab)
    expect(tab_a.get_by_text("Rosenbrock (banana valley).")).to_be_visible()
    expect(tab_b.get_by_text("Himmelblau (four minima).")).to_be_visible()
    expect(tab_a.get_by_role("slider", name="Steps")).to_have_attribute("aria-valuetext", "200")
    expect(tab_b.get_by_role("slider", name="Steps")).to_have_attribute("aria-valuetext", "50")

    # A moves its steps slider; B's session, URL and view are untouched.
    steps = tab_a.get_by_role("slider", name="Steps")
    steps.focus()
    tab_a.keyboard.press("ArrowRight")
    expect(tab_a).to_have_url(re.compile(r"[?&]steps=210\b"))
    wait_for_app(tab_a)
    tab_b.bring_to_front()
    wait_for_app(tab_b)
    assert re.search(r"[?&]steps=50\b", tab_b.url) and "himmelblau" in tab_b.url
    expect(tab_b.get_by_role("slider", name="Steps")).to_have_attribute("aria-valuetext", "50")
    expect(tab_b.get_by_text("Himmelblau (four minima).")).to_be_visible()

    # Reloading either tab gives back its own view, from its own URL.
    for tab, surface, n in (
        (tab_a, "Rosenbrock (banana valley).", "210"),
        (tab_b, "Himmelblau (four minima).", "50"),
    ):
        tab.reload()
        wait_for_app(tab)
        expect(tab.get_by_text(surface)).to_be_visible()
        expect(tab.get_by_role("slider", name="Steps")).to_have_attribute("aria-valuetext", n)
        assert_healthy(tab)
    tab_b.close()
