"""Helpers for browser tests: find Chromium, wait for a Streamlit run, check a page is healthy.

Import them in tests/browser/test_*.py with
    from tests.browser.harness import assert_healthy, open_app, wait_for_app
The fixtures (app_url, browser, page) are in tests/browser/conftest.py.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

from adagrad_app.ui import FIRST_VIEW_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# The test server writes here; with showErrorDetails = "none" the browser shows only a
# redacted message, and the full traceback is in this log.
SERVER_LOG = ARTIFACTS / "streamlit-server.log"

# Flags measured to work for Debian's chromium on these machines (see shared/STYLE.md).
# Without the background-networking ones, Chromium keeps trying to reach the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WAIT_MS = 60_000  # generous: a loaded 2-core machine can take tens of seconds per rerun

_APP = '[data-testid="stApp"]'


# Before any page script: count finished script runs (every time stApp's
# data-test-script-state leaves "running") in window.__runs.
RUN_COUNTER_JS = """
window.__runs = 0;
new MutationObserver((records) => {
  for (const r of records) if (r.oldValue === 'running') window.__runs += 1;
}).observe(document, {
  attributes: true, subtree: true, attributeOldValue: true,
  attributeFilter: ['data-test-script-state'],
});
"""

# On a fresh load a page first sends its main view with this component, which asks for the
# rest once the browser has drawn the first chart (adagrad_app/ui.py: stop_if_first_view).
FIRST_VIEW = f".st-key-{FIRST_VIEW_KEY}"
# The app has finished more than `runs` script runs (RUN_COUNTER_JS), is past a fresh load's
# first view and has drawn every chart.
SETTLED_JS = """(runs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && window.__runs > runs && app.dataset.testConnectionState === 'CONNECTED'
    && ['notRunning', 'compilationError'].includes(app.dataset.testScriptState)
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('__FIRST_VIEW__')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
      .every((chart) => chart.querySelector('.main-svg'));
}""".replace("__FIRST_VIEW__", FIRST_VIEW)

# A fingerprint of the data of every chart drawn so far; null while none is.
CHART_SIGNATURE_JS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
    .filter((gd) => gd._fullData && gd.querySelector('.main-svg'));
  if (!plots.length) return null;
  const isList = (a) => Array.isArray(a) || ArrayBuffer.isView(a);
  const sample = (a) => {
    if (!isList(a)) return String(a);
    const n = a.length, out = [n];
    const k = Math.max(1, Math.floor(n / 64));
    for (let i = 0; i < n; i += k) {
      const v = a[i];
      out.push(isList(v) ? sample(v) : v);
    }
    out.push(n ? a[n - 1] : null);
    return out.join(',');
  };
  // The lines as drawn too: a path redrawn in the browser before its data arrives counts.
  const lines = (gd) => [...gd.querySelectorAll('.scatterlayer path.js-line')]
    .map((p) => { const d = p.getAttribute('d') || ''; return d.length + ':' + d.slice(-40); })
    .join(',');
  return plots.map((gd) => gd._fullData.map((t) =>
    [t.type, sample(t.x), sample(t.y), sample(t.z), sample(t.marker && t.marker.color)].join('|')
  ).join(';') + '#' + ((gd._transitionData && gd._transitionData._frames) || []).length
    + '#' + lines(gd)
  ).join('\\n');
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    """Does the Streamlit server at ``url`` answer its health check?"""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Server:
    """``streamlit run <script>`` on a free loopback port, stopped by its own PID."""

    def __init__(self, script: Path, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "streamlit", "run", str(script)]
        command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
        command += ["--server.port", str(self.port), "--browser.gatherUsageStats", "false"]
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not healthy(self.url):
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {timeout_s} s: {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def find_chromium() -> str | None:
    """Path of Debian's chromium binary, or None if it is not installed."""
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    return shutil.which("chromium")


def wait_for_app(page: Page, timeout_ms: int = WAIT_MS) -> None:
    """Wait until Streamlit has connected, finished running the script and drawn its charts.

    Right after a widget interaction the rerun may not have started yet, so this can return
    before it; after an interaction, prefer waiting for the expected result itself
    (playwright's `expect(locator).to_have_text(...)` and friends).
    """
    _wait_for_run(page, timeout_ms)
    # After a fresh load's first view the rest follows in a rerun; once its first elements have
    # replaced the component, that rerun may still be going: wait for it in any case.
    page.wait_for_selector(FIRST_VIEW, state="detached", timeout=timeout_ms)
    _wait_for_run(page, timeout_ms)


def _wait_for_run(page: Page, timeout_ms: int) -> None:
    page.wait_for_selector(f'{_APP}[data-test-connection-state="CONNECTED"]', timeout=timeout_ms)
    page.wait_for_selector(
        f'{_APP}:is([data-test-script-state="notRunning"], '
        '[data-test-script-state="compilationError"])',
        timeout=timeout_ms,
    )
    # The "Running..." indicator in the top-right corner.
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)
    # Plotly draws after the script has finished: wait until every chart has its SVG.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every((chart) => chart.querySelector('.main-svg'))""",
        timeout=timeout_ms,
    )


def open_app(page: Page, url: str) -> None:
    """Go to `url` (e.g. f"{app_url}/formula") and wait for the app to finish running."""
    page.goto(url)
    wait_for_app(page)


def assert_healthy(page: Page) -> None:
    """Fail if the page shows a Streamlit exception or the browser logged a JS error."""
    exceptions = page.locator('[data-testid="stException"]')
    shown = [
        exceptions.nth(i).inner_text()
        for i in range(exceptions.count())
        if exceptions.nth(i).is_visible()
    ]
    assert not shown, f"Streamlit exception on {page.url}: {shown} (traceback in {SERVER_LOG})"
    assert not page.js_errors, f"JavaScript errors on {page.url}: {page.js_errors}"


def points_of(d: str) -> list[tuple[float, float]]:
    """The points of an SVG line's ``d`` as written by plotly and by adagrad_app/instant.py."""
    return [tuple(map(float, p.split(","))) for p in d[1:].split("L")] if d else []


def assert_same_line(preview: str, drawn: str) -> None:
    """Plotly drops the points of a line that add nothing at its resolution; the preview draws
    them all. So the drawn line's points are the preview's, in order, less some, with the same
    ends (to the 0.01 px both are written at)."""
    ours, theirs = points_of(preview), points_of(drawn)
    assert ours and theirs
    ends = zip(ours[0] + ours[-1], theirs[0] + theirs[-1], strict=True)
    assert max(abs(a - b) for a, b in ends) < 0.011
    i = 0
    for x, y in theirs:
        while i < len(ours) and max(abs(ours[i][0] - x), abs(ours[i][1] - y)) >= 0.011:
            i += 1
        assert i < len(ours), (x, y)
