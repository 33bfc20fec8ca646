"""ui.py touches two private Streamlit internals; each has a fallback that keeps every page
working should a release move them (requirements.txt caps streamlit at the tested range)."""

import streamlit.runtime.pages_manager as pm

from adagrad_app import ui


def test_ensure_router_does_nothing_when_the_private_flag_is_gone(monkeypatch):
    class Moved:  # a PagesManager without uses_pages_directory
        pass

    monkeypatch.setattr(pm, "PagesManager", Moved)
    assert ui.ensure_router() is None  # no AttributeError, no rerun


def test_ensure_router_reads_the_flag_where_it_is(monkeypatch):
    class Current:
        uses_pages_directory = False

    monkeypatch.setattr(pm, "PagesManager", Current)
    assert ui.ensure_router() is None and Current.uses_pages_directory is False


def test_the_tested_streamlit_is_inside_the_pinned_range():
    import re
    from pathlib import Path

    import streamlit

    req = (Path(__file__).resolve().parents[1] / "requirements.txt").read_text()
    lo, hi = re.search(r"streamlit>=([\d.]+),<([\d.]+)", req).groups()
    version = tuple(int(x) for x in streamlit.__version__.split(".")[:2])
    assert (
        tuple(int(x) for x in lo.split("."))[:2] <= version < tuple(int(x) for x in hi.split("."))
    )
