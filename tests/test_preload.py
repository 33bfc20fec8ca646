"""adagrad_app.preload: sessions that open at once get every module whole."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh interpreter: eight threads start at once, as eight sessions opening a link together.
SCRIPT = """
import pkgutil, sys, threading
import adagrad_app
from adagrad_app.preload import preload
errors, start = [], threading.Barrier(8)
def session():
    start.wait()
    try:
        preload()
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=session) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
missing = [m.name for m in pkgutil.iter_modules(adagrad_app.__path__)
           if f"adagrad_app.{m.name}" not in sys.modules]
print(errors, missing, "pandas" in sys.modules)
"""


def test_sessions_opening_at_once_each_get_every_module_whole():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] [] True"
