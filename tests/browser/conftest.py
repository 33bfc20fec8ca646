"""Fixtures for browser tests: a running app, headless Chromium, and a fresh page per test.

- `app_url` (session): base URL of `streamlit run app.py` on a free local port.
- `browser` (session): Debian's chromium through the playwright sync API. Without chromium
  the browser tests are skipped, except under CI=true, where they fail.
- `desktop` (session): the worker's one 1400x1000 browser context.
- `page` (function): a new page (tab) in it, its cookies cleared; console errors and uncaught
  page errors are collected in `page.js_errors` for `assert_healthy`.
Helpers (wait_for_app, open_app, assert_healthy) are in tests/browser/harness.py.
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.browser.harness import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO_ROOT,
    SERVER_LOG,
    WAIT_MS,
    find_chromium,
    free_port,
    healthy,
)

HEALTH_TIMEOUT_S = 60
# Every expect() waits as long as the harness's waits: playwright's default of 5 s is not enough
# on a loaded 2-core machine, where a page's rerun can take tens of seconds (a CI run once saw
# 3 of a page's 5 charts after 5 s, with 3 test workers on 2 CPUs).
expect.set_options(timeout=WAIT_MS)

# Opened on a page URL such as /formula, Streamlit's frontend first looks for its server under
# that path (/formula/_stcore/health, /formula/_stcore/host-config), gets a 404, then finds it
# at the root. Chromium logs each 404 as a console error; they are harmless.
_BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _wait_until_healthy(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while not healthy(url):
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with code {server.returncode}; see {SERVER_LOG}")
        if time.monotonic() > deadline:
            pytest.fail(f"streamlit not healthy after {HEALTH_TIMEOUT_S} s; see {SERVER_LOG}")
        time.sleep(0.25)


@contextmanager
def serve_app(log_path: Path = SERVER_LOG, port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free local port (or `port`, e.g. to restart a server where
    it was); yields its base URL, stops it by PID."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    command += ["--browser.gatherUsageStats", "false"]
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(server, url)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    with serve_app() as url:
        yield url


@pytest.fixture
def fresh_app_url() -> Iterator[str]:
    """A server no session has opened yet (for first-visit behaviour such as deep links)."""
    with serve_app(ARTIFACTS / "streamlit-fresh-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        reason = "chromium not found (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: browser tests must run in CI")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _is_noise(message: ConsoleMessage) -> bool:
    return "404" in message.text and bool(_BASE_PATH_PROBE.search(message.location["url"]))


@pytest.fixture(scope="session")
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    """One desktop browser context for the worker's tests: its cache keeps Streamlit's and
    plotly's scripts (about 8 MB) parsed and compiled from one test to the next, as a
    student's browser does, instead of loading them anew for every test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


@pytest.fixture
def page(desktop: BrowserContext) -> Iterator[Page]:
    desktop.clear_cookies()  # each test a new student: no cookie of an earlier one
    page = desktop.new_page()
    page.js_errors = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not _is_noise(message):
            page.js_errors.append(f"console error: {message.text} ({message.location['url']})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.js_errors.append(f"page error: {error}"))
    yield page
    for other in desktop.pages:  # this one and any tab the test opened
        other.close()
