"""Undo the Mac Roman round trip that pasted logs suffer (``✅`` -> ``‚úÖ``).

UTF-8 bytes read as Mac Roman and written back as UTF-8 turn each multi-byte character into a
run of Mac Roman letters: a lead byte (0xC2..0xF4) and continuation bytes (0x80..0xBF).
Only lines containing such a run are repaired, run by run, so a genuine ``é`` elsewhere in the
line survives; a run that does not decode back to UTF-8 is left as it is.
"""
from __future__ import annotations

import re

import polars as pl


def _mac_roman(lo: int, hi: int) -> str:
    return "".join(bytes([b]).decode("mac_roman") for b in range(lo, hi + 1))


_LEAD = _mac_roman(0xC2, 0xF4)
_CONT = _mac_roman(0x80, 0xBF)
# Polars' (Rust) regex and Python's re share this syntax.
DAMAGED = f"[{re.escape(_LEAD)}][{re.escape(_CONT)}]+"
_RUN = re.compile(DAMAGED)


def repair_text(line: str) -> str:
    """Repair every Mac Roman mojibake run in ``line``."""
    return _RUN.sub(_repair_run, line)


def _repair_run(match: re.Match) -> str:
    run = match.group(0)
    try:
        return run.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run


def repair_mask(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Return ``text`` with damaged lines repaired, and which lines were damaged.

    The scan is vectorised and looks only at lines with a non-ASCII character (a damaged run is
    nothing else); the Python repair runs only on lines that contain a damaged run.
    """
    wide = (text.str.len_bytes() != text.str.len_chars()).fill_null(False)
    rows = wide.arg_true()
    hit = text.gather(rows).str.contains(DAMAGED).fill_null(False)
    damaged = pl.repeat(False, len(text), dtype=pl.Boolean, eager=True)
    if not hit.any():
        return text, damaged
    damaged = damaged.scatter(rows.filter(hit), True)
    fixed = text.filter(damaged).map_elements(repair_text, return_dtype=pl.String)
    return text.scatter(damaged.arg_true(), fixed), damaged
