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
    """The events as a terminal table (as :func:`text_table` lays it out), built by polars: a
    large file's table is millions of rows."""
    cells = table.select(
        ts=pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S%.3f").fill_null("-"),
        where=pl.format("{}:{}", "file", "line"),
        kind=pl.coalesce(pl.col("kind").cast(pl.String), pl.when(pl.col("context")).then(pl.lit("context")).otherwise(pl.lit("?"))),
        user=pl.coalesce("user", "user_prefix", pl.lit("")),
        message=pl.col("message").fill_null(""),
    )
    header = pl.DataFrame({c: [c] for c in cells.columns})
    cells = pl.concat([header, cells])
    widths = cells.select(pl.all().str.len_chars().max()).row(0)
    padded = [pl.col(c).str.pad_end(w) for c, w in zip(cells.columns, widths)]
    return cells.select(pl.concat_str(padded, separator="  ").str.strip_chars_end().str.join("\n")).item()
