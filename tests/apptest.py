"""Running a page under AppTest the way a browser loads it."""

from streamlit.testing.v1 import AppTest


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
