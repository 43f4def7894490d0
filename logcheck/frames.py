"""Frame operations for big tables: two that avoid joins (a left join copies every column of a
10M-row table; these build only the new columns), one that lets text go, a hand-over that lets a
callee be a table's last holder, a copy into one piece that is never two tables at once, and a
read-ahead for frames made one after another."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import polars as pl

T = TypeVar("T")
_END = object()


def mapped(key: str, table: pl.DataFrame, value: str, name: str | None = None, on: str | None = None) -> pl.Expr:
    """``key``'s value looked up in a small ``table`` (``key`` -> ``value``); null where absent.
    ``on``: the frame's column holding the key, where it is not named ``key``."""
    keys = table[key]
    return pl.col(on or key).replace_strict(keys, table[value], default=None, return_dtype=table[value].dtype).alias(name or value)


def scatter_rows(frame: pl.DataFrame, rows: pl.DataFrame | list[pl.DataFrame], columns: list[str], index: str = "_row"
                 ) -> pl.DataFrame:
    """Set ``columns`` from ``rows`` at the positions in ``rows[index]`` (row numbers of ``frame``);
    null elsewhere. ``rows`` handed over in a list (see :func:`take`) lets each column go once placed."""
    rows = take(rows)
    positions = rows[index]
    new = []
    for name in columns:
        base = pl.repeat(None, frame.height, dtype=rows[name].dtype, eager=True).alias(name)
        new.append(base.scatter(positions, rows[name]) if len(positions) else base)
        rows = rows.drop(name)
    return frame.with_columns(new)


def owned_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its text columns in buffers of their own. A filtered or extracted polars
    string points into its parent's buffers: a few lines kept from a block of a file would hold
    the whole block in memory. Concatenation writes new strings."""
    return frame.with_columns(pl.col(pl.String) + "")


def copied(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in buffers of its own. A slice shares its parent's: the first 200 rows of a
    sorted table kept every row of it (each ``verify --stream`` part's: 1.5 GB at 260M lines)."""
    return owned_strings(frame.select(pl.all().gather(pl.int_range(0, pl.len()))))


def take(given: pl.DataFrame | list[pl.DataFrame]) -> pl.DataFrame:
    """A frame given as is, or handed over in a one-item list (``Ingested.take_events``), which
    this empties: Python keeps an argument alive for the whole call, so only a list lets the
    callee be the last to hold a fleet's table and let it go."""
    return given.pop() if isinstance(given, list) else given


def in_one_piece(box: list[pl.DataFrame], by: list[str] | None = None) -> pl.DataFrame:
    """The frame handed over in ``box`` (see :func:`take`) with each column in one piece, made a
    column at a time, each old one let go once copied. polars copies a frame of many pieces
    whole in any ``select`` (0.33 GB for a 10M-line fleet's table of chunks), and sorts one whole
    (a 260M-line fleet's 15 million decisions held twice: 4.3 GB). ``by``: sorted by these
    columns too, the order worked out on them alone."""
    frame = take(box)
    order = frame.select(pl.arg_sort_by(by)).to_series() if by else None
    out = []
    for name in frame.columns:
        column = frame.get_column(name)
        out.append(column.rechunk() if order is None else column.gather(order))
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
