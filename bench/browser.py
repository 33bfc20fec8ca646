"""Real-browser timings: page load to first chart, and a slider move to the chart redrawn.

Two ``streamlit run`` servers run side by side, app.py and bench/minimal_page.py (one plotly
chart), driven by Debian's chromium through playwright. Times are taken inside the page with
``performance.now()``:

- load: from navigation start to the first ``.js-plotly-plot`` having drawn (``.main-svg`` and
  ``gd._fullData`` present); every load uses a fresh browser context (cold HTTP cache, new
  session), after one warm-up load per page that fills the server's caches;
- move: from the ``keydown`` of an arrow key on the first slider to the first animation frame
  in which some chart's data (``gd._fullData``: trace types, lengths and sampled values) differs
  from before the key press. That includes Streamlit's own slider debounce, the rerun, the
  websocket transfer and plotly's redraw: what a student waits for.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.harness import (
    CHART_SIGNATURE_JS,
    CHROMIUM_ARGS,
    FIRST_VIEW,
    RUN_COUNTER_JS,
    SETTLED_JS,
    Server,
    find_chromium,
)

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = Path(__file__).resolve().parent / "minimal_page.py"
TIMEOUT_MS = 30_000
QUIET_MS = 700


_FIRST_CHART_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return gd && gd._fullData && gd.querySelector('.main-svg') ? performance.now() : null;
}"""
# The whole page: a fresh load's first view is over (FIRST_VIEW), the run finished and every
# chart is drawn.
_WHOLE_PAGE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('__FIRST_VIEW__') && charts.length
    && charts.every((chart) => chart.querySelector('.main-svg')) ? performance.now() : null;
}""".replace("__FIRST_VIEW__", FIRST_VIEW)


def app_routes() -> list[tuple[str, str]]:
    """(page file, URL path) for each ``st.Page`` in app.py; the default page is at "/"."""
    routes = []
    for call in re.findall(r"st\.Page\((.*?)\)", (ROOT / "app.py").read_text(), re.S):
        file = re.search(r"[\"'](pages/[^\"']+\.py)[\"']", call)
        if not file:
            continue
        url = re.search(r"url_path\s*=\s*[\"']([^\"']*)[\"']", call)
        if re.search(r"default\s*=\s*True", call):
            path = ""
        else:
            path = url.group(1) if url else Path(file.group(1)).stem
        routes.append((file.group(1), "/" + path))
    return routes


@dataclass
class BrowserResult:
    baseline_load_ms: list[float] = field(default_factory=list)
    load_ms: dict[str, list[float]] = field(default_factory=dict)  # URL path -> loads
    whole_ms: dict[str, list[float]] = field(default_factory=dict)  # same, to the whole page
    move_ms: dict[str, list[float]] = field(default_factory=dict)  # URL path -> moves
    named_ms: dict[tuple, list[float]] = field(default_factory=dict)  # (path, slider) -> moves
    notes: dict[str, str] = field(default_factory=dict)  # URL path -> why nothing was measured


def _load(browser, url: str) -> tuple[float, float] | None:
    """Milliseconds from navigation start to the first chart drawn, and to the whole page
    drawn, in a fresh context."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        try:
            first = page.wait_for_function(_FIRST_CHART_JS, polling="raf", timeout=TIMEOUT_MS)
            whole = page.wait_for_function(_WHOLE_PAGE_JS, polling="raf", timeout=TIMEOUT_MS)
        except Exception:
            return None
        return float(first.json_value()), float(whole.json_value())
    finally:
        context.close()


def _settle(page, runs: int = 0) -> int:
    """Wait until the app has finished more than ``runs`` script runs, drawn every chart and
    started no new run for QUIET_MS (a page may rerun itself, e.g. after writing the URL);
    return the number of runs so far."""
    while True:
        page.wait_for_function(SETTLED_JS, arg=runs, timeout=TIMEOUT_MS)
        runs = page.evaluate("() => window.__runs")
        page.wait_for_timeout(QUIET_MS)
        if page.evaluate(SETTLED_JS, runs - 1) and page.evaluate("() => window.__runs") == runs:
            return runs


WATCH_JS = f"""() => {{
  const sig = ({CHART_SIGNATURE_JS}), before = sig();
  window.__changed = null;
  const look = () => {{
    const now = sig();
    if (now !== null && now !== before) window.__changed = performance.now();
    else requestAnimationFrame(look);
  }};
  requestAnimationFrame(look);
}}"""


def _moves(browser, url: str, n: int, name: str | None = None) -> tuple[list[float], str | None]:
    """Milliseconds from an arrow key on the first slider (or the one named ``name``) to some
    chart's drawn data changing (the key event's own timestamp to the animation frame that
    sees the change)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.add_init_script(RUN_COUNTER_JS)
        page = context.new_page()
        page.goto(url)
        runs = _settle(page)
        sliders = page.get_by_role("slider", name=name) if name else page.get_by_role("slider")
        try:  # a deep link can first finish a run that draws nothing: give the page time
            sliders.first.wait_for(timeout=TIMEOUT_MS)
        except Exception:
            return [], "no slider appeared"
        runs = _settle(page, runs - 1)
        try:
            page.wait_for_function(CHART_SIGNATURE_JS, timeout=TIMEOUT_MS)
        except Exception:
            return [], "no chart"
        slider = sliders.first
        page.evaluate(
            "() => document.addEventListener('keydown', (e) => "
            "{ window.__keydown = e.timeStamp; }, true)"
        )
        out = []
        for _ in range(n):
            # An in-page watcher, started before the key press, notes the first animation frame
            # that sees the chart's data or drawn lines changed (nothing waits on this process).
            # Right and left in turn, so as not to drift to an end; at an end, away from it.
            # (The slider shows its new value 0.1-0.2 s after the key: it cannot be read back.)
            at = slider.evaluate("(e) => [e.value, e.min, e.max].map(Number)")
            right = at[0] < at[2] and (len(out) % 2 == 0 or at[0] == at[1])
            page.evaluate(WATCH_JS)
            slider.focus()
            slider.press("ArrowRight" if right else "ArrowLeft")
            try:
                page.wait_for_function("() => window.__changed != null", timeout=TIMEOUT_MS)
            except Exception:
                return out, "chart data did not change after a slider move"
            out.append(page.evaluate("() => window.__changed - window.__keydown"))
            runs = _settle(page, runs)
        return out, None
    finally:
        context.close()


def measure(
    loads: int,
    moves: int,
    budget_s: float | None = None,
    only: list[str] | None = None,
    with_slider: set[str] | None = None,
    probes: Sequence[str] = (),
    named: Sequence[tuple[str, str]] = (),
) -> BrowserResult:
    """Serve app.py and the minimal page, then time loads (interleaved) and slider moves.
    ``only``: page files to visit (default: every page in app.py); ``with_slider``: the page
    files that have a slider (default: look on every page); ``probes``: more app URLs (a path
    and query) whose slider moves are timed too, to compare with a page's default view. With
    ``budget_s``, whatever would start after that many seconds is skipped (and noted)."""
    deadline = time.monotonic() + (budget_s if budget_s is not None else 1e9)
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("chromium not found (apt-get install -y chromium)")
    res = BrowserResult()
    routes = [(f, path) for f, path in app_routes() if only is None or f in only]
    with tempfile.TemporaryDirectory(prefix="bench-streamlit-") as tmp:
        servers = [
            Server(ROOT / "app.py", Path(tmp) / "app.log"),
            Server(MINIMAL, Path(tmp) / "minimal.log"),
        ]
        try:
            for s in servers:
                s.wait_healthy()
            app, minimal = servers
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    targets = [(None, minimal.url + "/")]
                    targets += [(path, app.url + path) for _, path in routes]
                    for _, url in targets:  # warm-up: imports, caches
                        if time.monotonic() < deadline:
                            _load(browser, url)
                    for _ in range(loads):
                        for path, url in targets:
                            if time.monotonic() > deadline and path is not None:
                                res.notes.setdefault(path, "skipped: out of time")
                                continue
                            ms = _load(browser, url)
                            if path is None:
                                res.baseline_load_ms.append(ms and ms[0])
                            elif ms is None:
                                res.notes[path] = "no chart"
                            else:
                                res.load_ms.setdefault(path, []).append(ms[0])
                                res.whole_ms.setdefault(path, []).append(ms[1])
                    for file, path in routes:
                        if with_slider is not None and file not in with_slider:
                            res.notes.setdefault(path, "no slider")
                        elif time.monotonic() > deadline:
                            res.notes.setdefault(path, "slider move skipped: out of time")
                        elif moves:
                            ms_list, note = _moves(browser, app.url + path, moves)
                            if ms_list:
                                res.move_ms[path] = ms_list
                            if note and path not in res.notes:
                                res.notes[path] = note
                    # named sliders by (page path, label); probes: a view's first slider
                    for url, name in [*named, *((url, None) for url in probes)]:
                        if moves and time.monotonic() < deadline:
                            ms_list, note = _moves(browser, app.url + url, moves, name)
                            if name is not None:
                                res.named_ms[(url, name)] = ms_list
                            elif ms_list:
                                res.move_ms[url] = ms_list
                            if note:
                                res.notes[f"{url} {name}" if name else url] = note
                finally:
                    browser.close()
        finally:
            for s in servers:
                s.stop()
    if None in res.baseline_load_ms:
        raise RuntimeError("the minimal page drew no chart")
    return res


def median(values: list[float]) -> float:
    return statistics.median(values)
