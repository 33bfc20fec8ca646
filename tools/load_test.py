"""Simulate a class: N students open the app at once and move a slider a few times.

Starts its own ``streamlit run app.py`` on a free loopback port and runs --sessions students
(30 by default), spread over the three pages and arriving evenly within --ramp seconds. Each
opens its page, then moves the page's first slider (the sidebar comes first) one step,
--moves times, --think seconds after each update, and stays connected until the whole class is
done, as an open tab does. Two kinds of student:

- protocol (all but --browser of them): tools/st_client.py does what a browser tab does on the
  wire (the page and its static files, unless --no-assets; the XSRF cookie; the websocket; the
  rerun request with the page and its query string; every widget's value on each rerun; cached
  charts by reference) but draws nothing. Times are the server's: open (from the first HTTP
  request) -> first plotly chart delta received / run finished; move -> first chart whose
  figure changed / run finished.
- browser (--browser K, 2 by default): real tabs in one headless Chromium (one context each),
  timed as a student sees it: navigation -> first chart drawn; arrow key -> a chart's drawn data
  changed (the slider's debounce, the rerun, the transfer and plotly's redraw). Thirty such tabs
  would measure the test machine's two CPUs drawing plotly, not the server; a few of them keep
  real rendering in the measure.

Reports median and p95 of each time, errors by kind (an exception or Streamlit warning element,
a timeout (--timeout per wait), a disconnect, a run without a chart, a move that redrew no chart,
a JavaScript error or a request leaving the machine in a browser: must all be 0, else exit 1,
as for a traceback in the server's log), the server's CPU time (in all, over its busiest 5 s)
and peak memory (VmHWM), and the CPU used by the clients themselves (they share the machine).

Where the class connects: by default its own ``streamlit run app.py``; with --replicas R,
``tools/serve_class.sh R`` (R replicas behind nginx with sticky sessions) on free loopback ports,
the students at the proxy; with --url, a server already running on this machine (loopback
addresses only; --server-pid names its processes for the CPU figures). --compare runs several
setups one after another in one run, each on fresh servers, and ends with a table of them:
``--compare 30x1,60x1,60x2`` is 30 students on 1 process, 60 on 1, 60 on 2 replicas behind
nginx. The server's CPU is the replicas' (summed); nginx's own is reported apart.

Bounded: at most --sessions (<= 100) students and --moves (<= 20) moves each, at most 4 setups
of at most 8 replicas, every wait has a timeout and each setup a --budget; the servers are
stopped by their own PIDs at the end. Every request goes to a loopback address.

    python tools/load_test.py --sessions 30             # 28 protocol students + 2 browsers
    python tools/load_test.py --sessions 30 --browser 0 --no-assets  # script runs only
    python tools/load_test.py --compare 30x1,60x1,60x2  # the README's table
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.harness import (  # noqa: E402
    CHART_SIGNATURE_JS,
    CHROMIUM_ARGS,
    RUN_COUNTER_JS,
    SETTLED_JS,
    Server,
    find_chromium,
)
from tools.class_server import ClassServer, nginx_installed  # noqa: E402
from tools.st_client import Session as ProtocolSession  # noqa: E402
from tools.st_client import SessionError, run_sync  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/trajectories", "/sparse-features", "/formula"]
MAX_SESSIONS = 100
MAX_MOVES = 20
MAX_SETUPS = 4
MAX_REPLICAS = 8
QUIET_MS = 500
# Poll in the page every few ms, not every animation frame: tabs each hashing every chart's
# data 60 times a second would load the machine more than the students do.
POLL_MS = 50
SAMPLE_S = 0.5
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# Before any page script: count finished script runs and note the time of each key press.
INIT_JS = (
    RUN_COUNTER_JS
    + """
document.addEventListener('keydown', () => { window.__keydown = performance.now(); }, true);
"""
)

# A slider is an <input type="range"> (or an ARIA slider in older Streamlit versions).
VALUE_AND_MAX_JS = """(e) => e.tagName === 'INPUT' ? [e.value, e.max]
  : [e.getAttribute('aria-valuenow'), e.getAttribute('aria-valuemax')]"""

SLIDER_LABEL_JS = """(e) => {
  const box = e.closest('[data-testid="stSlider"]');
  return box ? box.innerText.split('\\n')[0] : '';
}"""

FIRST_CHART_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return gd && gd._fullData && gd.querySelector('.main-svg') ? performance.now() : null;
}"""

CHANGED_JS = f"""(before) => {{
  const s = ({CHART_SIGNATURE_JS})();
  return s !== null && s !== before ? performance.now() : null;
}}"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def total_cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def peak_memory_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, in MB; None if /proc has no such field."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class CpuSampler(threading.Thread):
    """Samples processes' CPU time (summed) every SAMPLE_S, to find their busiest stretch."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: list[tuple[float, float]] = []  # (monotonic time, CPU seconds)
        self.halt = threading.Event()

    def run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), total_cpu_seconds(self.pids)))
            if self.halt.wait(SAMPLE_S):
                return

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def busiest(self, window_s: float = 5.0) -> float:
        """The highest CPU use over any window_s, in CPUs (1.0 = one CPU all the time; up to
        the number of processes sampled)."""
        best, j = 0.0, 0
        for t, c in self.samples:
            while self.samples[j][0] < t - window_s:
                j += 1
            if t - self.samples[j][0] >= window_s / 2:
                best = max(best, (c - self.samples[j][1]) / (t - self.samples[j][0]))
        return best

    def busy_s(self, threshold: float = 0.9) -> float:
        """Seconds during which the process used at least ``threshold`` of a CPU."""
        pairs = itertools.pairwise(self.samples)
        return sum(t1 - t0 for (t0, c0), (t1, c1) in pairs if c1 - c0 >= threshold * (t1 - t0))


@dataclass
class Student:
    index: int
    path: str
    kind: str  # "protocol" or "browser"
    delay_s: float = 0.0
    static_ms: float | None = None  # to the page's HTML and the files it names (protocol)
    open_ms: float | None = None  # to the first chart (browser: drawn)
    open_done_ms: float | None = None  # to the end of the run (protocol only)
    move_ms: list[float] = field(default_factory=list)  # to the updated chart
    move_done_ms: list[float] = field(default_factory=list)  # to the end of the run (protocol)
    slider: str | None = None
    replica: str | None = None  # the replica behind the proxy that served it (protocol)
    asset_files: int = 0  # static files fetched by a protocol student
    asset_bytes: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    done: asyncio.Event = field(default_factory=asyncio.Event)


def arrivals(n: int, browsers: int, ramp_s: float) -> list[Student]:
    """n students in order of arrival, evenly over ramp_s; the browsers spread among them; each
    kind goes round the pages."""
    where = {math.floor((j + 0.5) * n / browsers) for j in range(browsers)} if browsers else set()
    gap = ramp_s / max(n - 1, 1)
    count: Counter[str] = Counter()
    students = []
    for i in range(n):
        kind = "browser" if i in where else "protocol"
        students.append(Student(i, PAGES[count[kind] % len(PAGES)], kind, i * gap))
        count[kind] += 1
    return students


async def protocol_student(
    base: str,
    s: Student,
    moves: int,
    think_s: float,
    timeout_s: float,
    release: asyncio.Event,
    assets: bool = True,
) -> None:
    await asyncio.sleep(s.delay_s)
    session = ProtocolSession(base, s.path, timeout_s, assets=assets)
    try:
        try:
            opened = await session.open()
            s.asset_files, s.asset_bytes = session.asset_files, session.asset_bytes
            s.static_ms = 1000 * session.static_s if session.static_s is not None else None
            s.open_ms, s.open_done_ms = 1000 * opened.chart_s, 1000 * opened.done_s
            for _ in range(moves):
                await asyncio.sleep(think_s)
                slider = session.first_slider()
                s.slider = slider.label if slider else None
                moved = await session.move(slider)
                s.move_ms.append(1000 * moved.chart_s)
                s.move_done_ms.append(1000 * moved.done_s)
        finally:
            s.replica = session.replica
            s.done.set()
        # An open tab until the class is done: the server keeps this session meanwhile.
        drain = asyncio.create_task(session.drain())
        waiting = asyncio.create_task(release.wait())
        await asyncio.wait({drain, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if drain.done():
            s.errors.append(("disconnect", f"{session.url}: closed while idle"))
        for task in (drain, waiting):
            task.cancel()
    except SessionError as err:
        s.errors.append((err.kind, err.detail))
    except Exception as err:  # a bug in the client: counted, never hidden
        s.errors.append(("client", f"{type(err).__name__}: {str(err)[:200]}"))
    finally:
        await session.close()


def _is_noise(text: str, url: str) -> bool:
    # Opened at /formula, Streamlit's frontend first probes /formula/_stcore/health, gets a
    # 404 and then finds the server at the root; Chromium logs each 404 as a console error.
    return "404" in text and "/_stcore/" in url


async def settle(page, runs: int, wait_ms: float) -> int:
    """Wait until more than ``runs`` script runs have finished, every chart is drawn and no new
    run started for QUIET_MS (a page may rerun itself after writing the URL)."""
    while True:
        await page.wait_for_function(SETTLED_JS, arg=runs, polling=5 * POLL_MS, timeout=wait_ms)
        runs = await page.evaluate("() => window.__runs")
        await page.wait_for_timeout(QUIET_MS)
        still = await page.evaluate(SETTLED_JS, runs - 1)
        if still and await page.evaluate("() => window.__runs") == runs:
            return runs


async def browser_student(
    browser, base: str, s: Student, moves: int, think_s: float, timeout_s: float, release
) -> None:
    await asyncio.sleep(s.delay_s)
    wait_ms = 1000 * timeout_s
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})

    def error(kind: str, detail: str) -> None:
        s.errors.append((kind, detail[:200]))

    try:
        await context.add_init_script(INIT_JS)
        page = await context.new_page()
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not _is_noise(m.text, m.location.get("url", ""))
                and error("browser console error", m.text)
            ),
        )
        page.on("pageerror", lambda e: error("browser page error", str(e)))
        page.on(
            "request",
            lambda r: (
                r.url.startswith(("http:", "https:", "ws:", "wss:"))
                and urlparse(r.url).hostname not in LOOPBACK
                and error("request left the machine", r.url)
            ),
        )
        try:
            await page.goto(base + s.path, wait_until="commit", timeout=wait_ms)
            handle = await page.wait_for_function(FIRST_CHART_JS, polling=POLL_MS, timeout=wait_ms)
            s.open_ms = float(await handle.json_value())
            runs = await settle(page, 0, wait_ms)
            slider = page.get_by_role("slider").first
            await slider.wait_for(timeout=wait_ms)
            s.slider = await slider.evaluate(SLIDER_LABEL_JS)
            for _ in range(moves):
                await page.wait_for_timeout(1000 * think_s)
                before = await page.evaluate(CHART_SIGNATURE_JS)
                value, top = await slider.evaluate(VALUE_AND_MAX_JS)
                await slider.focus()
                await slider.press("ArrowLeft" if value == top else "ArrowRight")  # one step
                handle = await page.wait_for_function(
                    CHANGED_JS, arg=before, polling=POLL_MS, timeout=wait_ms
                )
                keydown = await page.evaluate("() => window.__keydown")
                s.move_ms.append(float(await handle.json_value()) - keydown)
                runs = await settle(page, runs, wait_ms)
            boxes = page.locator('[data-testid="stException"]')
            for i in range(await boxes.count()):
                error("exception", f"{s.path}: {await boxes.nth(i).inner_text()}")
        finally:
            s.done.set()
        await release.wait()
    except Exception as err:  # a timeout or a crash in this session: counted, never hidden
        kind = "timeout" if type(err).__name__ == "TimeoutError" else "browser"
        error(kind, f"{s.path}: {type(err).__name__}: {str(err).splitlines()[0]}")
    finally:
        await context.close()


async def simulate(base: str, students: list[Student], args) -> None:
    """Run every student against the server at ``base``; results land in the students."""
    release = asyncio.Event()
    common = (args.moves, args.think, args.timeout, release)
    tasks = [
        asyncio.create_task(protocol_student(base, s, *common, assets=not args.no_assets))
        for s in students
        if s.kind == "protocol"
    ]
    browsers = [s for s in students if s.kind == "browser"]
    pw = browser = None
    try:
        if browsers:
            from playwright.async_api import async_playwright

            pw = await async_playwright().start()
            browser = await pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
            tasks += [
                asyncio.create_task(browser_student(browser, base, s, *common)) for s in browsers
            ]
        everyone = asyncio.gather(*(s.done.wait() for s in students))
        try:
            await asyncio.wait_for(everyone, args.budget)
        except TimeoutError:
            for s in students:
                if not s.done.is_set():
                    s.errors.append(("timeout", f"unfinished after --budget {args.budget:g} s"))
        release.set()
        done, pending = await asyncio.wait(tasks, timeout=60)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        if browser is not None:
            await browser.close()
        if pw is not None:
            await pw.stop()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<26} {0:>4}"
    return (
        f"  {name:<26} {len(values):>4}  median {statistics.median(values):6.0f} ms  "
        f"p95 {percentile(values, 95):6.0f} ms  max {max(values):6.0f} ms"
    )


@dataclass
class Measures:
    wall_s: float
    server_cpu_s: float  # the Streamlit processes, summed
    server_peak_mb: float | None  # the largest of them
    server_busiest: float  # CPUs over the busiest 5 s
    server_busy_s: float  # seconds at >= 90 % of a CPU
    client_cpu_s: float  # this process: the protocol clients and playwright's side
    browser_cpu_s: float  # child processes reaped: playwright's driver and Chromium
    load_before: float
    load_after: float
    replica_cpu_s: list[float] = field(default_factory=list)  # each replica's, with a proxy
    proxy_cpu_s: float | None = None  # nginx, master and workers


@dataclass
class Setup:
    """Where a class connects: ``replicas`` processes (behind nginx if more than one or
    ``proxy``), or a server already running at ``url``."""

    sessions: int
    replicas: int = 1
    proxy: bool = False
    url: str | None = None
    server_pids: list[int] = field(default_factory=list)  # with url: whose CPU to count

    @property
    def name(self) -> str:
        if self.url:
            return f"{self.sessions} students at {self.url}"
        if self.replicas == 1 and not self.proxy:
            return f"{self.sessions} students, 1 process"
        return f"{self.sessions} students, {self.replicas} replicas behind nginx"


def parse_setups(text: str) -> list[Setup]:
    """``30x1,60x1,60x2``: students x replicas (x1 one process alone; x1p one behind nginx)."""
    setups = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d+)x(\d+)(p?)\s*", item)
        if not match:
            raise ValueError(f"{item!r} is not SESSIONSxREPLICAS (e.g. 60x2)")
        setups.append(Setup(int(match[1]), int(match[2]), proxy=bool(match[3])))
    return setups


def report(students: list[Student], m: Measures, args, setup: Setup | None = None) -> str:
    protocol = [s for s in students if s.kind == "protocol"]
    browsers = [s for s in students if s.kind == "browser"]
    lines = [f"== {setup.name}"] if setup else []
    lines += [
        f"{len(students)} sessions ({len(protocol)} protocol, {len(browsers)} browser) over "
        f"{', '.join(PAGES)}, arriving within {args.ramp:g} s; {args.moves} slider moves each, "
        f"{args.think:g} s after each update",
        f"machine: {os.cpu_count()} CPUs; load average {m.load_before:.1f} before, "
        f"{m.load_after:.1f} after; wall time {m.wall_s:.0f} s",
        f"server: CPU {m.server_cpu_s:.1f} s in {m.wall_s:.0f} s, {m.server_busiest:.0%} of a CPU "
        f"over the busiest 5 s, >= 90 % of a CPU for {m.server_busy_s:.0f} s; "
        + (f"peak memory (VmHWM) {m.server_peak_mb:.0f} MB" if m.server_peak_mb else "no VmHWM"),
        *(
            [
                "replicas: CPU "
                + " / ".join(f"{c:.1f}" for c in m.replica_cpu_s)
                + f" s; students per replica (protocol): {per_replica(protocol)}; "
                + f"nginx: CPU {m.proxy_cpu_s or 0:.1f} s"
            ]
            if m.replica_cpu_s
            else []
        ),
        f"clients: CPU {m.client_cpu_s:.1f} s (this process)"
        + (f", {max(m.browser_cpu_s, 0):.1f} s (Chromium and its driver)" if browsers else ""),
    ]
    if protocol:
        files, mb = sum(s.asset_files for s in protocol), sum(s.asset_bytes for s in protocol) / 1e6
        lines.append(
            "protocol sessions (the server's times: request -> message received); static files: "
            + (f"{files / len(protocol):.0f} a visit, {mb:.0f} MB in all" if files else "none")
        )
        for name, values in [
            ("open -> HTML + named files", [s.static_ms for s in protocol if s.static_ms]),
            ("open -> first chart", [s.open_ms for s in protocol if s.open_ms is not None]),
            ("open -> run finished", [s.open_done_ms for s in protocol if s.open_done_ms]),
            ("move -> updated chart", [v for s in protocol for v in s.move_ms]),
            ("move -> run finished", [v for s in protocol for v in s.move_done_ms]),
        ]:
            if values or "HTML" not in name:
                lines.append(_row(name, values))
        for path in PAGES:
            mine = [s for s in protocol if s.path == path]
            opens = [s.open_ms for s in mine if s.open_ms is not None]
            moved = [v for s in mine for v in s.move_ms]
            if mine and opens and moved:
                lines.append(
                    f"    {path:<17} {len(mine):>2} sessions: open median "
                    f"{statistics.median(opens):5.0f} ms, move median "
                    f"{statistics.median(moved):5.0f} ms p95 {percentile(moved, 95):5.0f} ms"
                )
    if browsers:
        lines.append("browser sessions (drawn: navigation -> first chart; key -> chart redrawn):")
        lines.append(_row("open -> first chart drawn", [s.open_ms for s in browsers if s.open_ms]))
        lines.append(_row("move -> chart redrawn", [v for s in browsers for v in s.move_ms]))
    moved = {f"{s.path} {s.slider!r} ({s.kind})" for s in students if s.slider}
    lines.append(f"sliders moved: {', '.join(sorted(moved)) or 'none'}")
    errors = [(kind, f"session {s.index} {s.path} ({s.kind}): {detail}") for s in students
              for kind, detail in s.errors]  # fmt: skip
    kinds = Counter(kind for kind, _ in errors)
    lines.append(
        f"errors: {len(errors)}"
        + (" (" + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + ")" if errors else "")
    )
    lines += [f"  {kind}: {detail}" for kind, detail in errors[:20]]
    return "\n".join(lines)


def per_replica(protocol: list[Student]) -> str:
    counts = Counter(s.replica or "?" for s in protocol)
    return ", ".join(f"{replica} {n}" for replica, n in sorted(counts.items())) or "none"


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) / 1000:.1f} / {percentile(values, 95) / 1000:.1f} s"


def summary(results: list[tuple[Setup, list[Student], Measures]]) -> str:
    """One Markdown table, a row per setup (the README's)."""
    lines = [
        "| setup | open -> first chart, median / p95 | move -> updated chart, median / p95 "
        "| browser tabs: open / move, median | errors | server CPU (busiest 5 s) |",
        "|---|---|---|---|---|---|",
    ]
    for setup, students, m in results:
        protocol = [s for s in students if s.kind == "protocol"]
        browsers = [s for s in students if s.kind == "browser"]
        opens = [s.open_ms for s in protocol if s.open_ms is not None]
        moves = [v for s in protocol for v in s.move_ms]
        b_open = [s.open_ms for s in browsers if s.open_ms is not None]
        b_move = [v for s in browsers for v in s.move_ms]
        tabs = (
            f"{statistics.median(b_open) / 1000:.1f} / {statistics.median(b_move) / 1000:.1f} s"
            if b_open and b_move
            else "-"
        )
        cpu = f"{m.server_cpu_s:.0f} s in {m.wall_s:.0f} s ({m.server_busiest:.0%} of a CPU)"
        if m.replica_cpu_s:
            cpu += f"; per replica {' / '.join(f'{c:.0f}' for c in m.replica_cpu_s)} s"
            cpu += f"; nginx {m.proxy_cpu_s or 0:.1f} s"
        errors = sum(len(s.errors) for s in students)
        lines.append(
            f"| {setup.name} | {_cell(opens)} | {_cell(moves)} | {tabs} | {errors} | {cpu} |"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def serving(setup: Setup, tmp: Path):
    """Start what ``setup`` names; yield (url, Streamlit PIDs, nginx PIDs, log files)."""
    if setup.url:
        yield setup.url, setup.server_pids, [], []
    elif setup.replicas == 1 and not setup.proxy:
        server = Server(ROOT / "app.py", tmp / "streamlit.log")
        try:
            server.wait_healthy()
            yield server.url, [server.proc.pid], [], [Path(server.log.name)]
        finally:
            server.stop()
    else:
        with ClassServer(setup.replicas, tmp) as server:
            logs = [tmp / f"replica-{i + 1}.log" for i in range(setup.replicas)]
            yield server.url, server.replica_pids, server.proxy_pids(), logs


def run_setup(setup: Setup, args) -> tuple[list[Student], Measures, str]:
    """One class against one setup: the students (with their times), the measures, the logs."""
    students = arrivals(setup.sessions, min(args.browser, setup.sessions), args.ramp)
    with (
        tempfile.TemporaryDirectory(prefix="load-test-") as tmp,
        serving(setup, Path(tmp)) as (url, pids, proxy_pids, logs),
    ):
        load_before = os.getloadavg()[0]
        start, mine0 = time.monotonic(), os.times()
        cpu0 = [cpu_seconds(pid) for pid in pids]
        proxy0 = total_cpu_seconds(proxy_pids)
        sampler = CpuSampler(pids)
        sampler.start()
        try:
            run_sync(simulate(url, students, args))
        finally:
            sampler.stop()
        mine = os.times()
        per_process = [cpu_seconds(pid) - c for pid, c in zip(pids, cpu0, strict=True)]
        peaks = [p for p in map(peak_memory_mb, pids) if p is not None]
        measures = Measures(
            wall_s=time.monotonic() - start,
            server_cpu_s=sum(per_process),
            server_peak_mb=max(peaks, default=None),
            server_busiest=sampler.busiest(),
            server_busy_s=sampler.busy_s(),
            client_cpu_s=mine.user + mine.system - mine0.user - mine0.system,
            browser_cpu_s=mine.children_user
            + mine.children_system
            - mine0.children_user
            - mine0.children_system,
            load_before=load_before,
            load_after=os.getloadavg()[0],
            replica_cpu_s=per_process if proxy_pids else [],
            proxy_cpu_s=total_cpu_seconds(proxy_pids) - proxy0 if proxy_pids else None,
        )
        log = "".join(path.read_text() for path in logs if path.exists())
    return students, measures, log


def is_loopback_url(url: str) -> bool:
    parts = urlparse(url)
    return parts.scheme == "http" and parts.hostname in LOOPBACK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="students, in all (<= 100)")
    parser.add_argument(
        "--browser", type=int, default=2, help="of them, real Chromium tabs (0: none)"
    )
    parser.add_argument("--moves", type=int, default=3, help="slider moves each (<= 20)")
    parser.add_argument("--ramp", type=float, default=15, help="seconds over which they arrive")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between moves")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for one wait")
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    parser.add_argument(
        "--no-assets", action="store_true", help="protocol students fetch no static files"
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="Streamlit processes; more than 1: behind nginx (tools/serve_class.sh)",
    )
    parser.add_argument(
        "--url", help="a server already running on this machine (http://127.0.0.1:PORT)"
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="with --url: a server process whose CPU to count (repeat for each replica)",
    )
    parser.add_argument(
        "--compare",
        help="setups run one after another, SESSIONSxREPLICAS, e.g. 30x1,60x1,60x2 "
        "(replaces --sessions and --replicas)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be in [1, {MAX_SESSIONS}]")
    if args.compare:
        if args.url:
            parser.error("--compare starts its own servers: no --url")
        try:
            setups = parse_setups(args.compare)
        except ValueError as err:
            parser.error(f"--compare: {err}")
        if not 1 <= len(setups) <= MAX_SETUPS:
            parser.error(f"--compare takes 1 to {MAX_SETUPS} setups")
    elif args.url:
        if not is_loopback_url(args.url):
            parser.error("--url must be http:// on a loopback address (127.0.0.1, localhost)")
        if args.replicas != 1:
            parser.error("--url and --replicas: the server at --url is already running")
        setups = [Setup(args.sessions, url=args.url.rstrip("/"), server_pids=args.server_pid)]
    else:
        setups = [Setup(args.sessions, args.replicas)]
    for setup in setups:
        if not 1 <= setup.sessions <= MAX_SESSIONS:
            parser.error(f"sessions must be in [1, {MAX_SESSIONS}]")
        if not 1 <= setup.replicas <= MAX_REPLICAS:
            parser.error(f"replicas must be in [1, {MAX_REPLICAS}]")
    if any(setup.replicas > 1 or setup.proxy for setup in setups) and not nginx_installed():
        parser.error("more than one replica needs nginx (apt-get install -y nginx)")
    if not 0 <= args.browser <= min(setup.sessions for setup in setups):
        parser.error("--browser must be in [0, --sessions]")
    if args.browser and find_chromium() is None:
        parser.error("chromium not found (apt-get install -y chromium), or pass --browser 0")
    if not 1 <= args.moves <= MAX_MOVES:
        parser.error(f"--moves must be in [1, {MAX_MOVES}]")
    if not 0 <= args.ramp <= 600:
        parser.error("--ramp must be in [0, 600] seconds")
    if not 0 <= args.think <= 60:
        parser.error("--think must be in [0, 60] seconds")
    if not 1 <= args.timeout <= 600:
        parser.error("--timeout must be in [1, 600] seconds")
    if not 10 <= args.budget <= 3600:
        parser.error("--budget must be in [10, 3600] seconds")

    results, failed = [], False
    for setup in setups:
        students, measures, log = run_setup(setup, args)
        results.append((setup, students, measures))
        print(report(students, measures, args, setup if args.compare else None), flush=True)
        if "Traceback" in log:
            print("the server logged a traceback:\n" + log[log.index("Traceback") :][:3000])
        failed |= any(s.errors for s in students) or "Traceback" in log
        if args.compare:
            print(flush=True)
    if args.compare:
        print(f"machine: {os.cpu_count()} CPUs")
        print(summary(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
