"""Plain-text tables for the terminal."""
from __future__ import annotations

from typing import Iterable, Sequence

import polars as pl


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; ``right`` holds the indexes of numeric columns."""
    names = [f"c{i}" for i in range(len(header))]
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    return frame_table(pl.DataFrame(cells, schema={n: pl.String for n in names}, orient="row"), header, right)


def frame_table(cells: pl.DataFrame, header: Sequence[str] | None = None, right: Sequence[int] = ()) -> str:
    """A frame of text cells laid out by polars, as :func:`text_table` says (a large file's
    events are millions of rows); ``header`` defaults to the column names."""
    head = pl.DataFrame([[str(h) for h in (header or cells.columns)]], schema=cells.schema, orient="row")
    cells = pl.concat([head, cells])
    widths = cells.select(pl.all().str.len_chars().max()).row(0)
    padded = [pl.col(c).str.pad_start(w) if i in right else pl.col(c).str.pad_end(w)
              for i, (c, w) in enumerate(zip(cells.columns, widths))]
    return cells.select(pl.concat_str(padded, separator="  ").str.strip_chars_end().str.join("\n")).item()


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
    """The events as a terminal table."""
    return frame_table(table.select(
        ts=pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S%.3f").fill_null("-"),
        where=pl.format("{}:{}", "file", "line"),
        kind=pl.coalesce(pl.col("kind").cast(pl.String), pl.when(pl.col("context")).then(pl.lit("context")).otherwise(pl.lit("?"))),
        user=pl.coalesce("user", "user_prefix", pl.lit("")),
        message=pl.col("message").fill_null(""),
    ))
