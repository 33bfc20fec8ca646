"""Page settings as a schema: parsed from a URL query, validated, and written back.

Pure Python (no streamlit): every value a link can carry goes through :func:`parse`, which
clamps or replaces it and says what it did, so a hostile or stale link never reaches the core.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 200  # longest string a URL value may be


@dataclass(frozen=True)
class Param:
    """One setting. ``kind`` is one of float, int, bool, choice, multi, text."""

    key: str
    default: Any
    kind: str
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    label: str = ""

    def __post_init__(self):
        if self.kind not in ("float", "int", "bool", "choice", "multi", "text"):
            raise ValueError(f"unknown kind {self.kind!r}")

    def encode(self, value: Any) -> str | list[str]:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "multi":
            return ",".join(value)
        if self.kind == "float":
            return f"{value:.10g}"
        return str(value)

    def decode(self, raw: str) -> tuple[Any, str | None]:
        """(value, note): the value to use, and a note if the raw one was not usable as is."""
        name = self.label or self.key
        if len(raw) > MAX_TEXT:
            return self.default, f"{name}: value too long, using the default"
        if self.kind in ("float", "int"):
            try:
                v = float(raw)
            except ValueError:
                return self.default, f"{name}: {raw!r} is not a number, using {self.default}"
            if not math.isfinite(v):
                return self.default, f"{name}: {raw!r} is not finite, using {self.default}"
            if self.kind == "int":
                if v != int(v):
                    return self.default, f"{name}: {raw!r} is not a whole number, using default"
                v = int(v)
            if self.lo is not None and v < self.lo:
                return _num(self, self.lo), f"{name}: {raw} is below {self.lo:g}, using {self.lo:g}"
            if self.hi is not None and v > self.hi:
                return _num(self, self.hi), f"{name}: {raw} is above {self.hi:g}, using {self.hi:g}"
            return v, None
        if self.kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True, None
            if raw.lower() in ("0", "false", "no", "off"):
                return False, None
            return self.default, f"{name}: {raw[:20]!r} is not on/off, using the default"
        if self.kind == "choice":
            if raw in self.options:
                return raw, None
            return self.default, f"{name}: unknown choice {raw[:20]!r}, using {self.default!r}"
        if self.kind == "multi":
            items = [s for s in raw.split(",") if s]
            good = list(dict.fromkeys(s for s in items if s in self.options))
            bad = [s for s in items if s not in self.options]
            if not good:
                return list(self.default), f"{name}: nothing usable in the link, using the default"
            if bad:
                return good, f"{name}: ignored unknown {', '.join(repr(b[:20]) for b in bad[:3])}"
            return good, None
        return raw, None


def _num(p: Param, v: float) -> float | int:
    return int(v) if p.kind == "int" else float(v)


Schema = Sequence[Param]
RESERVED = ("lock",)  # flags every page understands


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
            notes.append(f"ignored unknown setting {key[:30]!r}")
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
