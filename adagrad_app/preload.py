"""Every module of the app, imported once, one session at a time, before any page runs.

Sessions run their pages on threads of one process. Two sessions that open at once import the
app's modules on two threads, in different orders, and Python may then hand one of them a
module another is still running ("partially initialized module", seen for pandas and for
adagrad_core in tools/load_test.py). Importing this module runs :func:`preload`, and app.py and
every page import it before anything else of the app: on a freshly started server a deep link
runs its page file without app.py (until ui.ensure_router hands it over). The first session
imports everything while it holds this module's import lock; a session that opens meanwhile
waits for it there, holding no other, and later ones find it all done.
"""

from __future__ import annotations


def preload() -> None:
    """Import what the pages import (and so, with it, every module of the app). Run once, at
    this module's import: the import lock makes a second session wait for the first."""
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


preload()
