"""Benchmark: the app's performance budgets, measured side by side in one run (issue #7).

    python bench/bench.py            # full run, a few minutes
    python bench/bench.py --quick    # tiny sizes, < 60 s: what CI runs to keep this working
    python bench/bench.py --strict   # exit 1 if any budget fails

Sections (each prints its table as it finishes; a Markdown summary for the README comes last):

1. core vs torch.optim vs a bare numpy loop (bench/loops.py): the same trajectories, checked to
   agree, timed; budgets torch/core >= 5x (torch evaluating the gradient formula in torch ops;
   the ratio with torch fed numpy gradients is printed beside it), core/bare <= 1.5x (an aim);
2. server time and bytes per page under AppTest (bench/server.py): rerun unchanged <= 150 ms,
   rerun after a slider moves <= 300 ms, plotly JSON of the default view <= 600 KB;
3. sparse simulation at the core (bench/sparse_sim.py): default view <= 100 ms, 1000 features
   x 20 000 examples <= 2 s;
4. real browser (bench/browser.py): slider move to chart redrawn <= 250 ms (median; the
   trajectories learning-rate and Steps sliders <= 150 ms), page load to first chart <= 1.3x
   that of bench/minimal_page.py.

Timings are wall-clock ``time.perf_counter`` (in the browser ``performance.now``). Loop and
sparse timings take the minimum over repeats, the figure least disturbed by other processes on
a shared machine (the median is printed beside it); server and browser timings take the median.
torch runs on one thread (``torch.set_num_threads(1)``): with 64 x 2 parameters threads only add
overhead, and numpy runs these small element-wise operations on one thread too.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the repo's packages, not bench/*.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import numpy as np  # noqa: E402

from bench import browser, loops, server, sparse_sim  # noqa: E402

KB = 1000
BUDGET_TORCH_RATIO = 5.0
BUDGET_BARE_RATIO = 1.5
BUDGET_RERUN_MS = 150
BUDGET_MOVED_MS = 300
BUDGET_SPEC_KB = 600
BUDGET_BROWSER_MOVE_MS = 250  # issue 20: every slider on every page
BUDGET_INSTANT_MS = 150  # issue 20: the trajectories paths, redrawn in the browser
# The sliders whose moves redraw a chart's lines in the browser (adagrad_app/instant.py): the
# trajectories paths, and the step marked on the formula page's path.
INSTANT_SLIDERS = (
    ("/trajectories", "Adagrad lr"),
    ("/trajectories", "Steps"),
    ("/formula", "Step t"),
)
BUDGET_LOAD_RATIO = 1.3
BUDGET_SPARSE_DEFAULT_MS = 100  # issue 20
BUDGET_SPARSE_LARGE_S = 2.0
AGREE = 1e-9  # core vs torch, relative, over the first loops.EARLY_STEPS steps
# Slider moves also timed on these views, for comparison (no budget): the sparse page without
# its batch-size sweep, where nothing runs between charts ① and ② and they are redrawn together.
PROBES = ("/sparse-features?sweep=false",)


@dataclass
class Row:
    section: str
    measure: str
    figure: str
    budget: str = ""
    status: str = "info"  # PASS, FAIL, info, skip, ERROR


def check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"


def print_rows(rows: list[Row]) -> None:
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("measure", "figure", "budget")]
    for r in rows:
        cells = (r.measure, r.figure, r.budget)
        print("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)), r.status)
    sys.stdout.flush()


# --- 1. loops ----------------------------------------------------------------------------------


def loop_rows(results: list[loops.LoopResult], n_starts: int, steps: int) -> list[Row]:
    sec = f"Core vs torch.optim, {n_starts} starts x {steps} steps on Rosenbrock"
    rows = []
    for r in results:
        core = r.best("core")
        times = f"core {ms(core)} (median {ms(r.median('core'))})"
        if "torch" in r.times:
            times += f", torch {ms(r.best('torch'))} (fed numpy gradients {ms(r.best('torch_np'))})"
        times += f", bare {ms(r.best('bare'))}; the gradients alone {ms(r.best('grad'))}"
        rows.append(Row(sec, f"{r.name}: time", times))
        if "torch" in r.times:
            ratio = r.best("torch") / core
            rows.append(
                Row(
                    sec,
                    f"{r.name}: torch / core",
                    f"{ratio:.1f}x",
                    f">= {BUDGET_TORCH_RATIO:g}x",
                    check(ratio >= BUDGET_TORCH_RATIO),
                )
            )
            ratio_np = r.best("torch_np") / core
            rows.append(Row(sec, f"{r.name}: torch fed numpy gradients / core", f"{ratio_np:.1f}x"))
            early, full = r.diff_early["torch"], r.diff["torch"]
            rows.append(
                Row(
                    sec,
                    f"{r.name}: core vs torch, max rel. diff",
                    f"{early:.0e} (first {loops.EARLY_STEPS} steps), {full:.0e} (all)",
                    f"<= {AGREE:g} early",
                    check(early <= AGREE),
                )
            )
        ratio = core / r.best("bare")
        rows.append(
            Row(
                sec,
                f"{r.name}: core / bare numpy",
                f"{ratio:.2f}x",
                f"<= {BUDGET_BARE_RATIO:g}x",
                check(ratio <= BUDGET_BARE_RATIO),
            )
        )
        if r.diff["bare"] != 0:
            rows.append(Row(sec, f"{r.name}: core vs bare, max rel. diff", f"{r.diff['bare']:.0e}"))
    return rows


# --- 2. server ---------------------------------------------------------------------------------


def server_rows(results: list[server.PageResult]) -> list[Row]:
    sec = "Server time and bytes per page (AppTest, default settings)"
    config = server.ROOT / ".streamlit" / "config.toml"
    on = config.exists() and tomllib.loads(config.read_text()).get("server", {}).get(
        "enableWebsocketCompression", False
    )
    rows = [
        Row(
            sec,
            "websocket compression (.streamlit/config.toml)",
            "on" if on else "off",
            "on",
            check(on is True),
        )
    ]
    for r in results:
        page = r.page
        if r.error:
            rows.append(Row(sec, f"{page}: runs", r.error[:80], "no exception", "ERROR"))
            continue
        if r.charts:
            kb = r.spec_bytes / KB
            rows.append(
                Row(
                    sec,
                    f"{page}: plotly JSON ({r.charts} charts)",
                    f"{kb:.0f} KB",
                    f"<= {BUDGET_SPEC_KB} KB",
                    check(kb <= BUDGET_SPEC_KB),
                )
            )
        else:
            rows.append(Row(sec, f"{page}: plotly JSON", "no chart", "", "n/a"))
        rows.append(Row(sec, f"{page}: first run (cold cache)", ms(r.first_run_s)))
        rows.append(
            Row(
                sec,
                f"{page}: rerun, nothing changed",
                ms(r.unchanged),
                f"<= {BUDGET_RERUN_MS} ms",
                check(r.unchanged * 1e3 <= BUDGET_RERUN_MS),
            )
        )
        if r.moved is None:
            rows.append(Row(sec, f"{page}: rerun, slider moved", "no slider", "", "n/a"))
        else:
            rows.append(
                Row(
                    sec,
                    f"{page}: rerun, slider '{r.slider}' moved",
                    ms(r.moved),
                    f"<= {BUDGET_MOVED_MS} ms",
                    check(r.moved * 1e3 <= BUDGET_MOVED_MS),
                )
            )
    return rows


# --- 3. sparse ---------------------------------------------------------------------------------


def sparse_rows(results: list[sparse_sim.SparseResult]) -> list[Row]:
    sec = "Sparse simulation (adagrad_core.sparse)"
    rows = []
    budgets = [BUDGET_SPARSE_DEFAULT_MS / 1e3, BUDGET_SPARSE_LARGE_S]
    for r, budget in zip(results, budgets, strict=True):
        parts = ", ".join(f"{p} {ms(r.best(p))}" for p in r.parts if p != "total")
        total = r.best("total")
        rows.append(
            Row(sec, r.label, f"{ms(total)} ({parts})", f"<= {ms(budget)}", check(total <= budget))
        )
    return rows


# --- 4. browser --------------------------------------------------------------------------------


def browser_rows(res: browser.BrowserResult) -> list[Row]:
    sec = "Browser (chromium, playwright)"
    base = browser.median(res.baseline_load_ms)
    rows = [Row(sec, "minimal one-chart page: load to first chart", f"{base:.0f} ms")]
    for _, path in browser.app_routes():
        if path in res.load_ms:
            load = browser.median(res.load_ms[path])
            ratio = load / base
            rows.append(
                Row(
                    sec,
                    f"{path}: load to first chart",
                    f"{load:.0f} ms = {ratio:.2f}x minimal",
                    f"<= {BUDGET_LOAD_RATIO:g}x",
                    check(ratio <= BUDGET_LOAD_RATIO),
                )
            )
        if path in res.whole_ms:  # for comparison, no budget: the rest comes after the first
            rows.append(
                Row(
                    sec,
                    f"{path}: load to every chart drawn",
                    f"{browser.median(res.whole_ms[path]):.0f} ms",
                )
            )
        if path in res.move_ms:
            moves = res.move_ms[path]
            med = browser.median(moves)
            rows.append(
                Row(
                    sec,
                    f"{path}: slider move to chart redrawn",
                    f"{med:.0f} ms (median of {len(moves)})",
                    f"<= {BUDGET_BROWSER_MOVE_MS} ms",
                    check(med <= BUDGET_BROWSER_MOVE_MS),
                )
            )
        if path in res.notes:
            rows.append(Row(sec, f"{path}", res.notes[path], "", "n/a"))
    for (path, name), moves in res.named_ms.items():
        if moves:
            med = browser.median(moves)
            rows.append(
                Row(
                    sec,
                    f"{path}: '{name}' slider move to lines redrawn",
                    f"{med:.0f} ms (median of {len(moves)})",
                    f"<= {BUDGET_INSTANT_MS} ms",
                    check(med <= BUDGET_INSTANT_MS),
                )
            )
        elif f"{path} {name}" in res.notes:
            rows.append(Row(sec, f"{path} '{name}'", res.notes[f"{path} {name}"], "", "n/a"))
    for url in PROBES:  # for comparison, no budget
        if url in res.move_ms:
            moves = res.move_ms[url]
            rows.append(
                Row(
                    sec,
                    f"{url}: slider move to chart redrawn",
                    f"{browser.median(moves):.0f} ms (median of {len(moves)})",
                )
            )
        elif url in res.notes:
            rows.append(Row(sec, url, res.notes[url], "", "n/a"))
    return rows


# --- the run -----------------------------------------------------------------------------------


def environment() -> str:
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for mod in ("torch", "streamlit", "plotly"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"no {mod}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}; " + ", ".join(versions)


def markdown(rows: list[Row], command: str, env: str, date: str) -> str:
    lines = [
        f"Measured with `{command}` on {date} ({env}).",
        "",
        "| Section | Measure | Result | Budget | |",
        "|---|---|---|---|---|",
    ]
    previous = None
    for r in rows:
        section = "" if r.section == previous else r.section
        previous = r.section
        cells = [section, r.measure, r.figure, r.budget, r.status]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats (< 60 s)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any budget fails")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser section")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    command = "python bench/bench.py" + "".join(
        f" {a}" for a in ("--quick", "--no-browser") if getattr(args, a[2:].replace("-", "_"))
    )
    date = datetime.date.today().isoformat()
    env = environment()
    print(f"{command}  ({env})\n")
    rows: list[Row] = []

    def section(title: str, new: list[Row]) -> None:
        print(f"{title}  [{time.perf_counter() - started:.0f} s]")
        print_rows(new)
        print()
        rows.extend(new)

    n_starts, steps, repeats = (8, 50, 2) if args.quick else (64, 500, 7)
    if loops.torch is None:
        print("torch is not installed (a dev-only dependency): core vs torch.optim skipped.\n")
    results = loops.compare(list(loops.HPARAMS), n_starts, steps, repeats)
    section("1. Core vs torch.optim vs bare numpy", loop_rows(results, n_starts, steps))

    server_results = server.measure(1 if args.quick else 5)
    section("2. Server (AppTest)", server_rows(server_results))

    if sparse_sim.available():
        section(
            "3. Sparse simulation",
            sparse_rows(sparse_sim.measure(1 if args.quick else 3, args.quick)),
        )
    else:
        print("3. Sparse simulation: adagrad_core/sparse.py not found, skipped.\n")

    elapsed = time.perf_counter() - started
    if args.no_browser:
        print("4. Browser: skipped (--no-browser).\n")
    elif browser.find_chromium() is None:
        print("4. Browser: chromium not found (apt-get install -y chromium), skipped.\n")
    elif args.quick and elapsed > 30:
        print(f"4. Browser: skipped in --quick, {elapsed:.0f} s already spent.\n")
    else:
        with_slider = {r.page for r in server_results if r.slider}
        if args.quick:  # one page with a chart and a slider, if any, to exercise the code
            pages = [r.page for r in server_results if r.charts and r.slider][:1]
            res = browser.measure(1, 1, max(5.0, 40 - elapsed), pages, with_slider)
        else:
            # Loads and moves vary by ±30% on a 2-core machine: take enough for a stable median.
            res = browser.measure(
                loads=8, moves=9, with_slider=with_slider, probes=PROBES, named=INSTANT_SLIDERS
            )
        section("4. Browser", browser_rows(res))

    failed = [r for r in rows if r.status in ("FAIL", "ERROR")]
    print(
        f"{len(failed)} of {sum(r.status in ('PASS', 'FAIL', 'ERROR') for r in rows)} budgets "
        f"failed; {time.perf_counter() - started:.0f} s in all.\n"
    )
    print("Markdown for README's Benchmarks section:\n")
    print(markdown(rows, command, env, date))
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
