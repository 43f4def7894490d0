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
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ..errors import InputError, os_reason


class Spill:
    """Temporary Arrow files of finished rows, per input; removed by :meth:`close`."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="logcheck-")
        self._parts: dict[str, list[Path]] = {}
        self._lock = threading.Lock()       # chunks finish on worker threads

    def writer(self, name: str, finish: Callable[[pl.DataFrame, str], pl.DataFrame]) -> Callable[[int, pl.DataFrame, str], None]:
        """``write(chunk_index, rows, stream)`` for input ``name``: ``finish(rows, stream)`` makes
        them table rows."""
        folder = Path(self._dir.name)
        key = f"{len(self._parts):05d}"
        self._parts[name] = []

        def write(index: int, rows: pl.DataFrame, stream: str) -> None:
            if not rows.height:
                return
            path = folder / f"{key}-{index:06d}.arrow"
            try:
                finish(rows, stream).write_ipc(path, compression="lz4")
            except OSError as exc:
                raise InputError(f"{folder}: cannot write rows to disk as they are parsed ({os_reason(exc)}); "
                                 "set TMPDIR to a folder with room") from None
            with self._lock:
                self._parts[name].append(path)
        return write

    def table(self, held: pl.DataFrame, names: list[str]) -> pl.LazyFrame:
        """All rows of the inputs ``names`` (in that order, each in line order): the ``held``
        rows merged with those written."""
        parts = []
        for name in names:
            rows = held.lazy().filter(pl.col("file") == name)
            written = sorted(self._parts.get(name, []))     # chunk order, whatever order they finished in
            if written:
                rows = pl.concat([pl.scan_ipc(p) for p in written]).merge_sorted(rows, key="line")
            parts.append(rows)
        return pl.concat(parts) if parts else held.lazy()

    def close(self) -> None:
        self._dir.cleanup()
