"""Plain-text tables for the terminal."""
from __future__ import annotations

from typing import Iterable, Sequence

import polars as pl


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; ``right`` holds the indexes of numeric columns."""
    cells = [[str(h) for h in header]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def summary_text(inputs) -> str:
    rows = []
    for s in inputs:
        d = s.as_dict()
        notes = []
        for key, label in (("invalid_utf8", "invalid UTF-8"), ("nul_bytes", "NUL"), ("crlf_lines", "CRLF"),
                           ("repaired_lines", "repaired")):
            if d[key]:
                notes.append(f"{d[key]} {label}")
        for key, label in (("bom", "BOM"), ("gzip", "gzip"), ("truncated_last_line", "truncated last line")):
            if d[key]:
                notes.append(label)
        notes += d["warnings"]
        rows.append((s.path, s.stream, s.format, s.lines, s.events, s.context, s.unrecognised, "; ".join(notes)))
    total = ("total", "", "", *(sum(r[i] for r in rows) for i in range(3, 7)), "")
    return text_table(("path", "stream", "format", "lines", "events", "context", "unrecognised", "notes"),
                      rows + [total], right=(3, 4, 5, 6))


def events_text(table: pl.DataFrame) -> str:
    rows = (
        (r["ts"].isoformat(sep=" ", timespec="milliseconds") if r["ts"] else "-", f"{r['file']}:{r['line']}",
         r["kind"] or ("context" if r["context"] else "?"), r["user"] or r["user_prefix"] or "", r["message"])
        for r in table.iter_rows(named=True)
    )
    return text_table(("ts", "where", "kind", "user", "message"), rows)
