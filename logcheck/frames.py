"""Two frame operations that avoid joins on the big events table.

A left join copies every column of a 10M-row table; these build only the new columns.
"""
from __future__ import annotations

import polars as pl


def mapped(key: str, table: pl.DataFrame, value: str, name: str | None = None) -> pl.Expr:
    """``key``'s value looked up in a small ``table`` (``key`` -> ``value``); null where absent."""
    keys = table[key]
    return pl.col(key).replace_strict(keys, table[value], default=None, return_dtype=table[value].dtype).alias(name or value)


def scatter_rows(frame: pl.DataFrame, rows: pl.DataFrame, columns: list[str], index: str = "_row") -> pl.DataFrame:
    """Set ``columns`` from ``rows`` at the positions in ``rows[index]`` (row numbers of ``frame``); null elsewhere."""
    positions = rows[index]
    new = []
    for name in columns:
        base = pl.repeat(None, frame.height, dtype=rows[name].dtype, eager=True).alias(name)
        new.append(base.scatter(positions, rows[name]) if len(positions) else base)
    return frame.with_columns(new)
