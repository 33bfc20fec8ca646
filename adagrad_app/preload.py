"""Every module of the app, imported once, one session at a time, before any page runs.

Sessions run their pages on threads of one process. Two sessions that open at once import the
app's modules on two threads, in different orders, and Python may then hand one of them a
module another is still running ("partially initialized module", seen for pandas and for
adagrad_core in tools/load_test.py). app.py calls :func:`preload` first: the first session
imports everything under a lock, and every later one finds it all done.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_done = False


def preload() -> None:
    """Import what the pages import (and so, with it, every module of the app), once."""
    global _done
    if _done:
        return
    with _LOCK:
        if _done:
            return
        # What pages/*.py import; tests/test_preload.py checks that it reaches every module.
        import pandas  # noqa: F401 (plotly only peeks at it in sys.modules)

        import adagrad_core  # noqa: F401
        from adagrad_app import (  # noqa: F401
            claims_formula,
            claims_frequency,
            claims_lessons_trajectories,
            claims_paths,
            claims_sparse,
            claims_step,
            claims_trajectories,
            exports,
            fig_common,
            fig_sparse,
            formula_tex,
            formula_view,
            instant,
            lesson_ui,
            scenarios,
            sparse_view,
            texts,
            trajectories_settings,
            trajectories_view,
            ui,
        )

        _done = True
