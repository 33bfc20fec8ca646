"""Simulate a class: N students open the app at once and move a slider a few times.

Starts its own ``streamlit run app.py`` on a free loopback port, opens N browser contexts (one
headless Chromium, playwright's async API; each context is a separate student with its own
session), spread across the three pages, and in each one moves the first slider ``--moves``
times. Reports:

- load: navigation start -> first chart drawn, per session;
- move: the arrow key on a slider -> some chart's drawn data changed (Streamlit's debounce,
  the rerun under load, the websocket transfer and plotly's redraw: what a student waits for),
  polled every POLL_MS;
- errors: a Streamlit exception box, a JavaScript error, a timeout, or a request that left the
  machine (must all be 0; the exit code is 1 otherwise);
- the server's peak memory (VmHWM of its process, from /proc/<pid>/status).

Bounded: at most --sessions (<= 100) contexts and --moves (<= 20) moves each, every wait has
a timeout and the whole run a --budget; the server is stopped by its own PID at the end.

    python tools/load_test.py --sessions 30
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.harness import CHART_SIGNATURE_JS, CHROMIUM_ARGS, Server, find_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/trajectories", "/sparse-features", "/formula"]
MAX_SESSIONS = 100
MAX_MOVES = 20
WAIT_MS = 300_000  # one wait under full load (30 sessions and their browsers on 2 cores)
QUIET_MS = 500
# Poll in the page every few ms, not every animation frame: 30 tabs each hashing every chart's
# data 60 times a second would load the machine more than the students do.
POLL_MS = 50
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# Before any page script: count finished script runs and note the time of each key press.
INIT_JS = """
window.__runs = 0;
new MutationObserver((records) => {
  for (const r of records) if (r.oldValue === 'running') window.__runs += 1;
}).observe(document, {attributes: true, subtree: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
document.addEventListener('keydown', () => { window.__keydown = performance.now(); }, true);
"""

# The app has finished more than `runs` script runs and drawn every chart.
SETTLED_JS = """(runs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && window.__runs > runs && app.dataset.testConnectionState === 'CONNECTED'
    && ['notRunning', 'compilationError'].includes(app.dataset.testScriptState)
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
      .every((chart) => chart.querySelector('.main-svg'));
}"""

# A slider is an <input type="range"> (or an ARIA slider in older Streamlit versions).
VALUE_AND_MAX_JS = """(e) => e.tagName === 'INPUT' ? [e.value, e.max]
  : [e.getAttribute('aria-valuenow'), e.getAttribute('aria-valuemax')]"""

FIRST_CHART_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return gd && gd._fullData && gd.querySelector('.main-svg') ? performance.now() : null;
}"""

CHANGED_JS = f"""(before) => {{
  const s = ({CHART_SIGNATURE_JS})();
  return s !== null && s !== before ? performance.now() : null;
}}"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, in MB; None if /proc has no such field."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@dataclass
class Session:
    index: int
    path: str
    load_ms: float | None = None
    move_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _is_noise(text: str, url: str) -> bool:
    # Opened at /formula, Streamlit's frontend first probes /formula/_stcore/health, gets a
    # 404 and then finds the server at the root; Chromium logs each 404 as a console error.
    return "404" in text and "/_stcore/" in url


async def settle(page, runs: int) -> int:
    """Wait until more than ``runs`` script runs have finished, every chart is drawn and no new
    run started for QUIET_MS (a page may rerun itself after writing the URL)."""
    while True:
        await page.wait_for_function(SETTLED_JS, arg=runs, polling=5 * POLL_MS, timeout=WAIT_MS)
        runs = await page.evaluate("() => window.__runs")
        await page.wait_for_timeout(QUIET_MS)
        still = await page.evaluate(SETTLED_JS, runs - 1)
        if still and await page.evaluate("() => window.__runs") == runs:
            return runs


async def student(browser, base: str, s: Session, moves: int, delay_s: float) -> None:
    await asyncio.sleep(delay_s)  # students arrive within a few seconds, not the same ms
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        await context.add_init_script(INIT_JS)
        page = await context.new_page()
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not _is_noise(m.text, m.location.get("url", ""))
                and s.errors.append(f"console error: {m.text[:200]}")
            ),
        )
        page.on("pageerror", lambda e: s.errors.append(f"page error: {str(e)[:200]}"))
        page.on(
            "request",
            lambda r: (
                r.url.startswith(("http:", "https:", "ws:", "wss:"))
                and urlparse(r.url).hostname not in LOOPBACK
                and s.errors.append(f"request left the machine: {r.url[:120]}")
            ),
        )
        await page.goto(base + s.path, wait_until="commit", timeout=WAIT_MS)
        handle = await page.wait_for_function(FIRST_CHART_JS, polling=POLL_MS, timeout=WAIT_MS)
        s.load_ms = float(await handle.json_value())
        runs = await settle(page, 0)
        slider = page.get_by_role("slider").first
        await slider.wait_for(timeout=WAIT_MS)
        for _ in range(moves):
            before = await page.evaluate(CHART_SIGNATURE_JS)
            value, top = await slider.evaluate(VALUE_AND_MAX_JS)
            await slider.focus()
            await slider.press("ArrowLeft" if value == top else "ArrowRight")  # one step, always
            handle = await page.wait_for_function(
                CHANGED_JS, arg=before, polling=POLL_MS, timeout=WAIT_MS
            )
            s.move_ms.append(
                float(await handle.json_value()) - await page.evaluate("() => window.__keydown")
            )
            runs = await settle(page, runs)
        boxes = page.locator('[data-testid="stException"]')
        for i in range(await boxes.count()):
            s.errors.append(f"Streamlit exception: {(await boxes.nth(i).inner_text())[:200]}")
    except Exception as err:  # a timeout or a crash in this session: counted, never hidden
        s.errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        await context.close()


async def simulate(
    base: str, sessions: list[Session], moves: int, budget_s: float, ramp_s: float
) -> None:
    from playwright.async_api import async_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("chromium not found (apt-get install -y chromium)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            gap = ramp_s / max(len(sessions) - 1, 1)
            tasks = [
                asyncio.create_task(student(browser, base, s, moves, i * gap))
                for i, s in enumerate(sessions)
            ]
            done, pending = await asyncio.wait(tasks, timeout=budget_s)
            for task in pending:
                task.cancel()
            for s, task in zip(sessions, tasks, strict=True):
                if task in pending:
                    s.errors.append(f"not finished within the budget of {budget_s:.0f} s")
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def report(
    sessions: list[Session], peak_mb: float | None, wall_s: float, cpu_s: float, args
) -> str:
    loads = [s.load_ms for s in sessions if s.load_ms is not None]
    lines = [
        f"{len(sessions)} sessions arriving over {args.ramp:g} s, {args.moves} slider moves each; "
        f"{wall_s:.0f} s wall time, server CPU {cpu_s:.0f} s"
    ]
    lines.append(
        f"machine: {os.cpu_count()} CPUs shared by the server, {len(sessions)} browser tabs and "
        f"anything else running; load average {os.getloadavg()[0]:.1f} at the end"
    )
    for path in PAGES:
        mine = [s for s in sessions if s.path == path]
        ms = [m for s in mine for m in s.move_ms]
        if ms:
            lines.append(
                f"  {path:<17} {len(mine):>3} sessions  move median {statistics.median(ms):6.0f} "
                f"ms  p95 {percentile(ms, 95):6.0f} ms"
            )
    moves_all = [m for s in sessions for m in s.move_ms]
    if loads:
        lines.append(
            f"load to first chart: median {statistics.median(loads):.0f} ms, "
            f"p95 {percentile(loads, 95):.0f} ms ({len(loads)} loads)"
        )
    if moves_all:
        lines.append(
            f"slider move to updated chart: median {statistics.median(moves_all):.0f} ms, "
            f"p95 {percentile(moves_all, 95):.0f} ms ({len(moves_all)} moves)"
        )
    errors = [f"session {s.index} {s.path}: {e}" for s in sessions for e in s.errors]
    lines.append(f"errors: {len(errors)}")
    lines += [f"  {e}" for e in errors[:20]]
    if peak_mb is not None:
        lines.append(f"server peak memory (VmHWM): {peak_mb:.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent students (<= 100)")
    parser.add_argument("--moves", type=int, default=3, help="slider moves each (<= 20)")
    parser.add_argument("--budget", type=float, default=1200, help="seconds for the whole run")
    parser.add_argument("--ramp", type=float, default=15, help="seconds over which they arrive")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be in [1, {MAX_SESSIONS}]")
    if not 1 <= args.moves <= MAX_MOVES:
        parser.error(f"--moves must be in [1, {MAX_MOVES}]")
    if not 10 <= args.budget <= 3600:
        parser.error("--budget must be in [10, 3600] seconds")
    if not 0 <= args.ramp <= 600:
        parser.error("--ramp must be in [0, 600] seconds")

    sessions = [Session(i, PAGES[i % len(PAGES)]) for i in range(args.sessions)]
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        server = Server(ROOT / "app.py", Path(tmp) / "streamlit.log")
        try:
            server.wait_healthy()
            start = time.monotonic()
            cpu0 = cpu_seconds(server.proc.pid)
            asyncio.run(simulate(server.url, sessions, args.moves, args.budget, args.ramp))
            wall = time.monotonic() - start
            cpu = cpu_seconds(server.proc.pid) - cpu0
            peak = peak_memory_mb(server.proc.pid)
            log = Path(server.log.name).read_text()
        finally:
            server.stop()
    print(report(sessions, peak, wall, cpu, args))
    if "Traceback" in log:
        print("the server logged a traceback:\n" + log[log.index("Traceback") :][:3000])
    return 1 if any(s.errors for s in sessions) or "Traceback" in log else 0


if __name__ == "__main__":
    sys.exit(main())
