"""One check for every figure builder's plain dict (what ``ui.PlainFigure`` sends as built).

:func:`plain_figure` returns the dict as a validated ``go.Figure`` for the tests to read, after
checking what plotly.py's validation alone would let through but plotly.js would not read.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go


def plain_figure(spec: dict) -> go.Figure:
    """A builder's plain dict, validated by plotly: a misspelt property or value fails here."""
    assert isinstance(spec, dict) and {"data", "layout"} <= set(spec) <= {
        "data",
        "layout",
        "frames",
    }
    # plotly.js knows no template names: the template must go out resolved
    assert isinstance(spec["layout"]["template"], dict)
    # sent as built: plain JSON types only, no NaN (plotly.js reads null)
    json.dumps(spec, allow_nan=False)
    _check_colorscales(spec)
    fig = go.Figure(spec)
    _check_keys(spec, fig.to_dict())
    return fig


def _check_colorscales(node) -> None:
    """Every colorscale is a name or [[fraction, colour], ...]: plotly.py turns a bare list of
    colours into pairs when it validates, plotly.js does not (it falls back to its default)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "colorscale" and isinstance(value, list):
                assert all(len(pair) == 2 and 0 <= pair[0] <= 1 for pair in value), value
            _check_colorscales(value)
    elif isinstance(node, list):
        for item in node:
            _check_colorscales(item)


def _check_keys(raw, valid, path: str = "figure") -> None:
    """Every key of the raw dict is one plotly.py keeps as it is: a key in its underscore
    shorthand (``xaxis_title`` for ``xaxis: {title: ...}``) passes validation by being
    rewritten, but plotly.js would not read it."""
    if isinstance(raw, dict):
        assert isinstance(valid, dict), path
        for key, value in raw.items():
            assert key in valid, f"{path}.{key}"
            _check_keys(value, valid[key], f"{path}.{key}")
    elif isinstance(raw, list) and raw and isinstance(raw[0], dict):
        assert isinstance(valid, (list, tuple)) and len(valid) == len(raw), path
        for i, (r, v) in enumerate(zip(raw, valid, strict=True)):
            _check_keys(r, v, f"{path}[{i}]")
