"""adagrad_app.preload: sessions that open at once get every module whole.

On a freshly started server, a deep link (/sparse-features) runs the page file alone, without
app.py, until the router takes over (ui.ensure_router). So each page imports the preload before
anything else of the app, as app.py does.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]

# A fresh interpreter: threads start at once, as sessions opening deep links together, each
# running the imports at the top of one page file (two threads a page), as Streamlit runs it.
SCRIPT = """
import ast, pkgutil, sys, threading
from pathlib import Path
pages = sorted(Path("pages").glob("*.py")) * 2
blocks = []
for page in pages:
    tree = ast.parse(page.read_text())
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    blocks.append(compile(ast.Module(imports, []), str(page), "exec"))
errors, start = [], threading.Barrier(len(blocks))
def session(code):
    start.wait()
    try:
        exec(code, {"__name__": "__page__"})
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=session, args=(code,)) for code in blocks]
for t in threads: t.start()
for t in threads: t.join()
import adagrad_app
missing = [m.name for m in pkgutil.iter_modules(adagrad_app.__path__)
           if f"adagrad_app.{m.name}" not in sys.modules]
print(errors, missing, "pandas" in sys.modules)
"""


def test_sessions_opening_deep_links_at_once_each_get_every_module_whole():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] [] True"


def _app_imports(path: Path) -> list[str]:
    """The modules of the app that ``path`` imports at its top, in order."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{a.name}" for a in node.names]
    return [n for n in names if n.startswith(("adagrad_app", "adagrad_core"))]


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: p.name)
def test_every_entry_point_imports_the_preload_before_anything_else_of_the_app(path):
    first = _app_imports(path)[0]
    assert first.startswith("adagrad_app.preload"), first


def test_the_preload_reaches_every_module_of_the_app():
    out = subprocess.run(
        [sys.executable, "-c", "import adagrad_app.preload, pkgutil, sys, adagrad_app; "
         "print([m.name for m in pkgutil.iter_modules(adagrad_app.__path__) "
         "if 'adagrad_app.' + m.name not in sys.modules], 'pandas' in sys.modules)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] True"
