"""Page settings as a schema: parsed from a URL query, validated, and written back.

Pure Python (no streamlit): every value a link can carry goes through :func:`parse`, which
clamps or replaces it and says what it did, so a hostile or stale link never reaches the core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adagrad_core.racers import snap

MAX_TEXT = 200  # longest string a URL value may be
WIDGETS = (
    "slider",
    "select_slider",
    "number",
    "radio",
    "select",
    "multiselect",
    "toggle",
    "segmented",  # st.segmented_control, one option always chosen
    "text",  # st.text_input
)


@dataclass(frozen=True)
class Param:
    """One setting. ``kind`` is one of float, int, bool, choice, multi, text.

    ``label`` is the setting's name as its widget shows it, and ``option_labels`` the words the
    widget shows for its options (its ``format_func``): the notes on a link's values use them.
    For a text setting, ``hi`` is the most characters its box takes.
    """

    key: str
    default: Any
    kind: str
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    label: str = ""
    option_labels: Mapping[str, str] | None = field(default=None, hash=False)
    # How the setting is drawn (ui.widgets), declared here once with its URL form:
    widget: str = ""  # one of WIDGETS: slider, select_slider, number, radio, select, ...
    step: float | None = None
    fmt: str | None = None  # the slider's number format, e.g. "%.3f" (a select_slider's too)
    grid: tuple = ()  # the values a select_slider offers (else its options); a link's number
    # snaps to the nearest, on a log scale if ``log``
    log: bool = False
    help: str = ""
    section: str = ""  # a sidebar header drawn before the first setting of each section
    show_if: Callable[[Mapping[str, Any]], bool] | None = field(
        default=None, hash=False, compare=False
    )  # drawn only when this holds for the current values (its value is kept meanwhile)
    row: str = ""  # consecutive settings with the same row are drawn side by side
    on_change: Callable[[], None] | None = field(
        default=None, hash=False, compare=False
    )  # the widget's callback (e.g. a new surface resets the start)

    def __post_init__(self):
        if self.kind not in ("float", "int", "bool", "choice", "multi", "text"):
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.widget not in ("", *WIDGETS):
            raise ValueError(f"unknown widget {self.widget!r}")

    def encode(self, value: Any) -> str | list[str]:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "multi":
            return ",".join(value)
        if self.kind == "float":
            return f"{value:.10g}"
        return str(value)

    def show(self, value: Any) -> str:
        """``value`` in the words the page shows (an option's label, on/off, 0.001)."""
        if self.kind == "bool":
            return "on" if value else "off"
        if self.kind in ("float", "int"):
            return f"{value:g}"
        if self.kind == "text":
            return _quoted(value)
        if self.kind == "multi":
            return ", ".join(self._label(v) for v in value) or "none"
        return self._label(value)

    def _label(self, option: str) -> str:
        return (self.option_labels or {}).get(option, option)

    def choices(self) -> str:
        """The options' labels, as many as fit in a short line."""
        out = ""
        for label in map(self._label, self.options):
            if out and len(out) + len(label) > CHOICES_WIDTH:
                return out + " / …"
            out = f"{out} / {label}" if out else label
        return out

    def decode(self, raw: str) -> tuple[Any, str | None]:
        """(value, note): the value to use, and a note if the raw one was not usable as is."""
        name = self.label or self.key
        using = f"using {self.show(self.default)}"
        if len(raw) > MAX_TEXT:
            return self.default, f"{name}: the link's value is too long; {using}"
        if self.kind in ("float", "int"):
            try:
                v = float(raw)
            except ValueError:
                return self.default, f"{name}: {_quoted(raw)} is not a number; {using}"
            if not math.isfinite(v):
                return self.default, f"{name}: {_quoted(raw)} is not a finite number; {using}"
            if self.kind == "int":
                if v != int(v):
                    return self.default, f"{name}: {_quoted(raw)} is not a whole number; {using}"
                v = int(v)
            given = raw.strip() if len(raw) <= QUOTE_CHARS else f"{v:g}"
            if self.lo is not None and v < self.lo:
                lo = _num(self, self.lo)
                return lo, f"{name}: {given} is below the minimum; using {lo:g}"
            if self.hi is not None and v > self.hi:
                hi = _num(self, self.hi)
                return hi, f"{name}: {given} is above the maximum; using {hi:g}"
            if self.grid and v not in self.grid:
                near = _nearest(self.grid, v, self.log)
                return near, f"{name}: {given} is not on the slider; using {near:g}"
            return v, None
        if self.kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True, None
            if raw.lower() in ("0", "false", "no", "off"):
                return False, None
            return self.default, f"{name}: {_quoted(raw)} is not on or off; {using}"
        if self.kind == "choice":
            if raw in self.options:
                return raw, None
            return self.default, f"{name}: {_quoted(raw)} is not one of {self.choices()}; {using}"
        if self.kind == "multi":
            items = [s for s in raw.split(",") if s]
            good = list(dict.fromkeys(s for s in items if s in self.options))
            bad = [s for s in items if s not in self.options]
            if not good:
                return list(self.default), (
                    f"{name}: nothing in {_quoted(raw)} is one of {self.choices()}; {using}"
                )
            if bad:
                ignored = ", ".join(_quoted(b) for b in bad[:3]) + (", …" if len(bad) > 3 else "")
                return good, f"{name}: ignored {ignored}, not one of {self.choices()}"
            return good, None
        return raw, None


QUOTE_CHARS = 20  # longest part of a link's value that a note repeats
CHOICES_WIDTH = 80  # roughly how many characters of option labels a note lists


def _quoted(raw: str) -> str:
    """A value from the link, quoted (repr escapes control characters) and cut short."""
    return repr(raw[:QUOTE_CHARS]) + ("…" if len(raw) > QUOTE_CHARS else "")


def _nearest(grid: Sequence[float], v: float, log: bool) -> float:
    """The grid value nearest to ``v``; on a log scale, the nearest in ratio (grid > 0)."""
    if log:
        return snap(v, grid)
    return min(grid, key=lambda g: abs(g - v))


def _num(p: Param, v: float) -> float | int:
    return int(v) if p.kind == "int" else float(v)


Schema = Sequence[Param]
RESERVED = ("lock", "lesson", "reveal")  # flags every page understands (kept in the URL)


def defaults(schema: Schema) -> dict[str, Any]:
    return {p.key: (list(p.default) if p.kind == "multi" else p.default) for p in schema}


def parse(schema: Schema, query: Mapping[str, str | Sequence[str]]) -> tuple[dict, list[str]]:
    """Values for every setting from a query mapping, and notes on anything changed."""
    by_key = {p.key: p for p in schema}
    values, notes = defaults(schema), []
    for key, raw in query.items():
        raw = raw if isinstance(raw, str) else (raw[-1] if len(raw) else "")
        if key in RESERVED:
            continue
        if key not in by_key:
            notes.append(f"{key[:30]!r} is not a setting of this page; ignored")
            continue
        value, note = by_key[key].decode(raw)
        values[key] = value
        if note:
            notes.append(note)
    return values, notes


def encode(schema: Schema, values: Mapping[str, Any]) -> dict[str, str]:
    """The query for ``values``: only settings that differ from their default."""
    out = {}
    for p in schema:
        v = values.get(p.key, p.default)
        default = list(p.default) if p.kind == "multi" else p.default
        if v != default:
            out[p.key] = p.encode(v)
    return out
