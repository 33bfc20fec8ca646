"""Shared chart styling: log-axis ticks that a student reads correctly."""

import math

import numpy as np
import pytest

from adagrad_app.theme import log_ticks


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(0.3, 0.9), (0.05, 0.9), (1e-4, 3.0), (1e-12, 1e3), (2e-5, 4e-5), (150.0, 4000.0), (1, 10)],
)
def test_log_ticks_label_every_tick_with_its_whole_value(lo, hi):
    t = log_ticks(np.geomspace(lo, hi, 50))
    assert t["tickmode"] == "array" and len(t["tickvals"]) == len(t["ticktext"])
    for value, text in zip(t["tickvals"], t["ticktext"], strict=True):
        assert float(text) == pytest.approx(value, rel=1e-9)  # "2" only ever means 2
    shown = [v for v in t["tickvals"] if lo <= v <= hi]
    assert 2 <= len(shown) <= 12


def test_log_ticks_thin_out_over_many_decades():
    t = log_ticks([1e-14, 1e6])
    shown = [v for v in t["tickvals"] if 1e-14 <= v <= 1e6]
    assert 4 <= len(shown) <= 8
    assert all(math.log10(v) == round(math.log10(v)) for v in shown)  # powers of ten only
    assert "1e-12" in t["ticktext"] and "1" in t["ticktext"]


def test_log_ticks_ignore_what_a_log_axis_cannot_show():
    assert log_ticks([0.0, -1.0, np.nan, np.inf]) == {}
    assert log_ticks([]) == {}
    assert log_ticks([1.01, 1.02]) == {}  # a sliver of a decade: plotly's own ticks
    assert log_ticks([0.0, 0.1, 10.0, np.nan]) == log_ticks([0.1, 10.0])
