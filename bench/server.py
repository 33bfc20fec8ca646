"""Server time and bytes per page, measured with Streamlit's AppTest (no browser).

For each page in app.py, with default settings (no query parameters):

- bytes: the plotly figure JSON of the default view, ``sum(len(el.proto.spec))`` over its
  ``plotly_chart`` elements (raw, before websocket compression);
- first run: a fresh load, its first view and the rerun the browser then asks for;
- rerun unchanged: ``at.run()`` with nothing changed (cache hits, widgets unchanged);
- rerun after a slider moves: the first slider on the page moved one more step each repeat, so
  every repeat is a value not seen before (a cache miss: a new computation).
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def app_pages() -> list[str]:
    """Page files named in app.py's ``st.Page("pages/...")`` calls, in order."""
    return re.findall(r"st\.Page\(\s*[\"'](pages/[^\"']+\.py)[\"']", APP.read_text())


@dataclass
class PageResult:
    page: str
    charts: int = 0
    spec_bytes: int = 0
    first_run_s: float = 0.0
    unchanged_s: list[float] = field(default_factory=list)
    slider: str | None = None  # label of the slider that was moved
    moved_s: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def unchanged(self) -> float | None:
        return statistics.median(self.unchanged_s) if self.unchanged_s else None

    @property
    def moved(self) -> float | None:
        return statistics.median(self.moved_s) if self.moved_s else None


def _timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def _next_values(slider, n: int) -> list:
    """``n`` successive one-step moves of ``slider`` from its value, staying in range."""
    value, lo, hi, step = slider.value, slider.min, slider.max, slider.step
    ranged = isinstance(value, (list, tuple))
    current = value[-1] if ranged else value
    direction = 1 if current + step <= hi else -1
    out = []
    for k in range(1, n + 1):
        v = current + direction * k * step
        v = min(max(v, lo), hi)
        v = int(v) if isinstance(current, int) and isinstance(step, int) else round(v, 12)
        out.append((*value[:-1], v) if ranged else v)
    return out


def measure_page(page: str, repeats: int) -> PageResult:
    from streamlit.testing.v1 import AppTest

    res = PageResult(page)
    try:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        at.switch_page(page)
        res.first_run_s = _timed_run(at)
        if at.get("bidi_component"):  # a fresh load's first view (ui.stop_if_first_view): the
            res.first_run_s += _timed_run(at)  # browser asks for the rest once it drew a chart
        charts = at.get("plotly_chart")
        res.charts = len(charts)
        res.spec_bytes = sum(len(el.proto.spec) for el in charts)
        for _ in range(repeats):
            res.unchanged_s.append(_timed_run(at))
        if len(at.slider):
            slider = at.slider[0]
            res.slider = slider.label or slider.key
            for value in _next_values(slider, repeats):
                at.slider[0].set_value(value)
                res.moved_s.append(_timed_run(at))
    except Exception as exc:  # a page bug is a finding to report, not a crash of the bench
        res.error = f"{type(exc).__name__}: {exc}"
    return res


def measure(repeats: int) -> list[PageResult]:
    from streamlit.testing.v1 import AppTest  # noqa: F401 (creates streamlit's loggers)

    # AppTest runs pages outside a server: its "missing ScriptRunContext" warnings are noise here
    # (a filter: streamlit resets its loggers' levels when it loads its config)
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    logger.addFilter(lambda record: "missing ScriptRunContext" not in record.getMessage())
    return [measure_page(p, repeats) for p in app_pages()]
