"""Finished rows written to disk as they are parsed, for tables larger than memory.

A chunk of a large file in which every line has its own date and time, and none continues
another, needs nothing from the rest of the file once parsed (see ``_leave_out``): its rows are
finished there and then and written to a temporary Arrow file. The few lines kept back (a
chunk's first and last lines, and whole chunks that do not qualify) are finished with the file.
``table`` merges both back by line number, lazily, so a writer can stream the whole table out.
"""
from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

from ..errors import InputError, os_reason


def write_frame(frame: pl.DataFrame, path: Path, what: str, *, parquet: bool = False, compression: str = "uncompressed",
                record_batch_size: int | None = None) -> None:
    """``frame`` to a temporary file ``path`` (Arrow, or parquet); a full disk is an input error
    naming the folder and ``what`` could not be written."""
    try:
        if parquet:
            frame.write_parquet(path, compression=compression, statistics=False)
        else:
            frame.write_ipc(path, compression=compression, record_batch_size=record_batch_size)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot write {what} ({os_reason(exc)}); set TMPDIR to a folder with room") from None


class Spill:
    """Temporary Arrow files of finished rows, per input; removed by :meth:`close`."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="logcheck-")
        self._parts: dict[int, list[Path]] = {}     # by input position (a path may be given twice)
        self._held: list[tuple[int, int]] = []      # (input position, rows kept back), in table order
        self._lock = threading.Lock()               # chunks finish on worker threads

    @property
    def folder(self) -> Path:
        """The temporary folder (removed by :meth:`close`): others may write there too."""
        return Path(self._dir.name)

    def writer(self, key: int) -> Callable[[int, pl.DataFrame], None]:
        """``write(chunk_index, rows)`` for the input at position ``key``: ``rows`` are finished table rows."""
        folder = self.folder
        self._parts[key] = []

        def write(index: int, rows: pl.DataFrame) -> None:
            if not rows.height:
                return
            path = folder / f"{key:05d}-{index:06d}.arrow"
            write_frame(rows, path, "rows to disk as they are parsed", compression="lz4")
            with self._lock:
                self._parts[key].append(path)
        return write

    def held(self, key: int, rows: int) -> None:
        """The next ``rows`` rows of the table of kept-back rows are those of input ``key``."""
        self._held.append((key, rows))

    def table(self, held: pl.DataFrame) -> pl.LazyFrame:
        """All rows, input by input (each in line order): the ``held`` rows merged with those written."""
        parts, start = [], 0
        for key, rows in self._held:
            part = held.slice(start, rows).lazy()
            start += rows
            written = sorted(self._parts.get(key, []))     # chunk order, whatever order they finished in
            if written:
                part = pl.concat([pl.scan_ipc(p) for p in written]).merge_sorted(part, key="line")
            parts.append(part)
        return pl.concat(parts) if parts else held.lazy()

    def batches(self, held: pl.DataFrame) -> Iterator[pl.DataFrame]:
        """All rows, in :meth:`table`'s order, a written chunk at a time (with the held rows that
        fall among its lines): one chunk in memory, whatever the consumer's pace."""
        start = 0
        for key, rows in self._held:
            kept = held.slice(start, rows)
            start += rows
            yield from in_line_order(kept, (pl.read_ipc(path) for path in sorted(self._parts.get(key, []))))

    def close(self) -> None:
        self._dir.cleanup()


def in_line_order(held: pl.DataFrame, pieces: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """One file's rows in line order, a piece at a time: ``pieces`` (finished chunks, in chunk
    order) with the ``held`` rows (kept back for the whole-file steps, in line order) that fall
    among their lines. Each piece is copied only where held rows go into it. A piece may lack
    columns the held rows have (null in all its rows)."""
    for part in pieces:
        if not part.height:
            continue
        cut = held["line"].search_sorted(part["line"].max())     # held rows before this piece's last line
        before, held = held.slice(0, cut), held.slice(cut)
        yield pl.concat([before, part], how="diagonal_relaxed").sort("line") if before.height else part
    if held.height:
        yield held
