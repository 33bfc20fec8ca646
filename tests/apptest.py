"""Running a page under AppTest the way a browser loads it, opening and answering a lesson, and
the project's readability tool."""

import importlib.util
from pathlib import Path

from streamlit.testing.v1 import AppTest

from adagrad_app.lesson_ui import lesson_query
from adagrad_app.scenarios import BY_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def load(at: AppTest) -> AppTest:
    """Run ``at``'s page as a browser loads it, and return ``at``.

    A fresh load's first run sends the page's main view and a component that asks for a rerun
    once the browser has drawn the first chart (``ui.stop_if_first_view``); the rest of the page
    comes in that rerun. AppTest runs no JavaScript, so the rerun is asked for here.
    """
    at.run()
    if at.get("bidi_component"):
        at.run()
    return at


def open_lesson(key: str, **extra: str) -> AppTest:
    """Lesson ``key``'s link (its settings and ``lesson=key``, plus ``extra``), as a browser
    opens it."""
    sc = BY_KEY[key]
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(sc.page)
    for k, v in {**lesson_query(sc), **extra}.items():
        at.query_params[k] = v
    load(at)
    assert not at.exception
    return at


def answer(at: AppTest, key: str, choice: str) -> AppTest:
    """Pick ``choice`` in lesson ``key``'s question and press Check."""
    at.radio(key=f"_lesson_answer_{key}").set_value(choice).run()
    at.button(key=f"_lesson_check_{key}").click().run()
    if at.get("bidi_component"):  # a fresh load's first view: the rest comes in a rerun
        at.run()
    assert not at.exception
    return at


def prose_metrics():
    """The shared readability tool (../shared/tools/prose_metrics.py), so that tests count
    paragraphs, sentences and numbers exactly as the tool, the hook and the issue do."""
    path = ROOT.parent / "shared" / "tools" / "prose_metrics.py"
    assert path.exists(), f"missing {path}: the project's shared/ folder sits beside the repo"
    spec = importlib.util.spec_from_file_location("prose_metrics", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
