"""The README's quick start and .ci/run agree on the test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_APP = "python -m pip install -r requirements.txt && streamlit run app.py"
RUN_TESTS = (
    "apt-get install -y chromium && python -m pip install -r requirements-dev.txt"
    " && python -m pytest -q"
)


def fenced_blocks(markdown: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```[^\n]*\n(.*?)```", markdown, re.S)]


def test_readme_has_exactly_the_two_quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    assert fenced_blocks(readme) == [RUN_APP, RUN_TESTS]


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(line.startswith(RUN_TESTS) for line in ci_lines)
