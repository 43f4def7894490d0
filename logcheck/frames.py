"""Frame operations for big tables: two that avoid joins (a left join copies every column of a
10M-row table; these build only the new columns), one that lets text go, a filter that is
never two tables at once, and a read-ahead for frames made one after another."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import polars as pl

T = TypeVar("T")
_END = object()


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


def take(given: pl.DataFrame | list[pl.DataFrame]) -> pl.DataFrame:
    """A frame given as is, or handed over in a one-item list (``Ingested.take_events``), which
    this empties: Python keeps an argument alive for the whole call, so only a list lets the
    callee be the last to hold a fleet's table and let it go."""
    return given.pop() if isinstance(given, list) else given


def filter_handed_over(box: list[pl.DataFrame], keep: pl.Expr) -> pl.DataFrame:
    """``box[0].filter(keep)``, the frame taken out of ``box``: a column at a time, each of the
    frame's columns let go once filtered. A plain filter holds the whole table twice, and most
    rows of a fleet's table stay. Only as lean as the caller's hand-over: a frame still referred
    to elsewhere stays in memory, as with a plain filter."""
    frame = take(box)
    mask = frame.select(keep.fill_null(False)).to_series()
    out = []
    for name in frame.columns:
        out.append(frame.get_column(name).filter(mask))
        frame = frame.drop(name)
    return pl.DataFrame(out)


def ahead(items: Iterable[T]) -> Iterator[T]:
    """``items`` in order, each next one made on a second thread while the caller works on this
    one (polars releases the GIL: both run at once). Two items in memory at most, if the caller
    lets each go before taking the next."""
    it = iter(items)
    with ThreadPoolExecutor(max_workers=1) as pool:
        coming = pool.submit(next, it, _END)
        while (item := coming.result()) is not _END:
            coming = pool.submit(next, it, _END)
            yield item
            del item
