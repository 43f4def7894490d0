"""Durations as packs write them: ``30s``, ``15m``, ``1.5h``, ``250ms``, and sums of them and of
parameter names (``ping_interval + ping_jitter``, ``-refresh_tolerance``)."""
from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_LITERAL = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)$")
_TERM = re.compile(r"\s*([+-]?)\s*([A-Za-z_][\w]*|\d+(?:\.\d+)?\s*(?:ms|min|s|m|h))\s*")


def parse_duration(text: str | int | float) -> float:
    """Seconds in a literal duration; raise ValueError for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = _LITERAL.match(str(text).strip())
    if not m:
        raise ValueError(f"{text!r} is not a duration (write 30s, 15m, 1h or 250ms)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def evaluate(expr: str | int | float, params: dict[str, float]) -> float:
    """Seconds in ``expr``, a sum of durations and parameter names."""
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return float(expr)
    text = str(expr).strip()
    pos, total = 0, 0.0
    if not text:
        raise ValueError("empty duration")
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"{text!r} is not a duration: cannot read {text[pos:].strip()!r} "
                             "(write 30s, 15m, a parameter name, or a sum of them)")
        sign = -1.0 if m.group(1) == "-" else 1.0
        term = m.group(2)
        if term in params:
            total += sign * params[term]
        elif term[0].isdigit():
            total += sign * parse_duration(term)
        else:
            raise ValueError(f"unknown parameter {term!r} in {text!r}")
        pos = m.end()
    return total


def format_duration(seconds: float) -> str:
    """Short human form: ``22 s``, ``15 min``, ``1.5 h``."""
    s = abs(seconds)
    if s >= 3600:
        return f"{seconds / 3600:g} h"
    if s >= 120:
        return f"{seconds / 60:.4g} min"
    return f"{seconds:.3g} s"
