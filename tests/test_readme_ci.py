"""The README's quick start gives exactly two commands, and .ci/run runs its test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    return [b.strip() for b in re.findall(r"```[^\n]*\n(.*?)```", section.group(1), re.S)]


def test_quick_start_has_exactly_two_one_line_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    run_app, run_tests = commands
    assert "pip install -r requirements.txt" in run_app
    assert run_app.endswith("streamlit run app.py")
    assert "apt-get install -y chromium" in run_tests
    assert "requirements-dev.txt" in run_tests and "pytest" in run_tests


def test_ci_runs_the_readme_test_command_verbatim():
    run_tests = quick_start_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(line.startswith(run_tests) for line in ci_lines)
