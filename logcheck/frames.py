"""Frame operations for big tables: two that avoid joins (a left join copies every column of a
10M-row table; these build only the new columns), and one that lets text go."""
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


def owned_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its text columns in buffers of their own. A filtered or extracted polars
    string points into its parent's buffers: a few lines kept from a block of a file would hold
    the whole block in memory. Concatenation writes new strings."""
    return frame.with_columns(pl.col(pl.String) + "")
