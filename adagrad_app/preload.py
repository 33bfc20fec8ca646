"""Every module of the app, imported once, one session at a time, before any page runs.

Sessions run their pages on threads of one process. Two sessions that open at once import the
app's modules on two threads, in different orders, and Python may then hand one of them a
module another is still running ("partially initialized module", seen for pandas and for
adagrad_core in tools/load_test.py). app.py calls :func:`preload` first: the first session
imports everything under a lock, and every later one finds it all done.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

_LOCK = threading.Lock()
_done = False


def preload() -> None:
    global _done
    if _done:
        return
    with _LOCK:
        if _done:
            return
        importlib.import_module("pandas")  # plotly only peeks at it in sys.modules
        importlib.import_module("adagrad_core")
        package = importlib.import_module("adagrad_app")
        for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
            importlib.import_module(f"adagrad_app.{module}")
        _done = True
