"""Ingest: every input line into one typed events table.

``read_events(paths)`` is the whole stage; ``ingest(paths)`` also returns one summary per input
(stream, format, counts, damage) where ``lines == events + context + unrecognised`` always holds.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import polars as pl

from ..errors import UsageError
from ..frames import in_one_piece, mapped, owned_strings, take
from ..packs import FIELDS, Pack, load_pack
from ..progress import SILENT, Progress
from .classify import (
    STREAM_PROBE,
    attach,
    classify,
    detect_stream,
    pattern_ids_of,
    vocabulary_stream,
)
from .envelope import parse_envelopes
from .formats import Formats, load_formats
from .repair import repair_mask
from .sources import Damage, Reader, Texts, expand
from .spill import Spill, in_line_order
from .timestamps import anchor_date, anchor_dates, assign, assign_files, row_times

__all__ = ["Ingested", "InputSummary", "ingest", "read_events", "time_spans", "with_messages", "none_kept", "EVENT_COLUMNS"]

# the two columns of a handful of values are enums: a byte a row (a category takes four)
STREAMS = pl.Enum(["ios", "backend", "unknown"])
TS_QUALITIES = pl.Enum(["exact", "embedded", "inherited", "date_inferred", "none"])
EVENT_COLUMNS = {
    "ts": pl.Datetime("us"), "ts_written": pl.String, "ts_digits": pl.UInt8, "ts_quality": TS_QUALITIES, "zoned": pl.Boolean,
    "stream": STREAMS, "file": pl.String, "line": pl.UInt32, "envelope": pl.Categorical,
    "component": pl.String, "level": pl.Categorical, "kind": pl.String, "user": pl.String,
    "user_prefix": pl.String, "meal": pl.String, "server_ts": pl.Datetime("us"), "code": pl.String,
    "reason": pl.String, "attempt": pl.String, "method": pl.String, "path": pl.String,
    "status": pl.String, "message": pl.String, "raw": pl.String, "parent": pl.UInt32,
    "continuation": pl.Boolean, "context": pl.Boolean,
}


@dataclass
class InputSummary:
    """One input as ingest saw it."""

    path: str
    stream: str
    format: str
    lines: int = 0
    events: int = 0
    context: int = 0
    unrecognised: int = 0
    repaired_lines: int = 0
    kinds: dict[str, int] = field(default_factory=dict)     # events by kind, lines left out included
    damage: Damage = field(default_factory=Damage)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = self.damage
        return {
            "path": self.path, "stream": self.stream, "format": self.format, "lines": self.lines,
            "events": self.events, "context": self.context, "unrecognised": self.unrecognised,
            "repaired_lines": self.repaired_lines, "invalid_utf8": d.invalid_utf8, "nul_bytes": d.nul_bytes,
            "crlf_lines": d.crlf_lines, "bom": d.bom, "gzip": d.gzip, "truncated_last_line": d.truncated_last_line,
            "skipped": d.skipped, "warnings": list(self.warnings) + list(d.notes),
        }


@dataclass
class Ingested:
    """The events table and one summary per input."""

    events: pl.DataFrame
    inputs: list[InputSummary]
    texts: Texts        # any line's text by file and line, read again (for tables without ``raw``)
    spill: Spill | None = None      # rows written to disk as parsed (``ingest(spill=True)``)

    def table(self) -> pl.LazyFrame:
        """Every row, in input and line order: ``events`` and, with ``spill``, the rows written
        to disk, read back as a writer streams them out."""
        if self.spill is None:
            return self.events.lazy()
        return self.spill.table(self.events)

    def batches(self) -> Iterator[pl.DataFrame]:
        """:meth:`table`'s rows a piece at a time, each read when asked for (see ``Spill.batches``)."""
        pieces = iter([self.events]) if self.spill is None else self.spill.batches(self.events)
        first = next(pieces, None)
        yield self.events.clear() if first is None else first      # an empty table is one empty piece
        yield from pieces

    def spans(self) -> pl.DataFrame:
        """:func:`time_spans` of every row, from ``events`` alone: lines left out or written to
        disk never include a file's earliest or latest (see ``_leave_out``)."""
        return time_spans(self.events)

    def take_events(self) -> list[pl.DataFrame]:
        """The events table, handed over in a list (see ``frames.take``): this object
        no longer holds it."""
        box, self.events = [self.events], pl.DataFrame()
        return box

    def close(self) -> None:
        """Remove the spilled rows' files (they are also removed when this object is collected)."""
        if self.spill is not None:
            self.spill.close()

    def unrecognised(self) -> pl.DataFrame:
        """Lines neither events nor context: ``file``, ``line``, ``raw``."""
        return self.events.filter(pl.col("kind").is_null() & ~pl.col("context")).select("file", "line", "raw")


def time_spans(events: pl.DataFrame) -> pl.DataFrame:
    """Each file's first and last time: ``file`` (text), ``lo``, ``hi``, by file name."""
    # lazily: the eager group-by put every column of a fleet's table in one piece first (0.36 GB);
    # sorted: a group-by gives its groups in any order (two calls on one table could differ)
    spans = events.lazy().group_by("file").agg(lo=pl.col("ts").min(), hi=pl.col("ts").max())
    return spans.with_columns(pl.col("file").cast(pl.String)).sort("file").collect()


def read_events(paths: list[str] | str, pack: str | Pack = "ws-registry", **options) -> pl.DataFrame:
    """Read logs into one events table (see ``EVENT_COLUMNS``); options as for :func:`ingest`."""
    return ingest(paths, pack, **options).events


def ingest(
    paths: list[str] | str,
    pack: str | Pack = "ws-registry",
    *,
    date: dt.date | None = None,
    streams: dict[str, str] | None = None,
    columns: tuple[str, ...] | None = None,
    categories: tuple[str, ...] | None = None,
    keep: Callable[[str], pl.Expr] | None = None,
    spill: bool = False,
    progress: Progress = SILENT,
) -> Ingested:
    """Read every input into events.

    Args:
        paths: files, directories, globs, or ``-`` for stdin.
        pack: the rule pack whose vocabulary classifies messages.
        date: the date of time-only lines (``--date``); otherwise inferred.
        streams: ``{path: "ios" | "backend"}`` to force a file's stream.
        columns: only these of ``EVENT_COLUMNS``, for callers that read a few: a fleet's full
            table is several times the size of its file.
        categories: with ``columns``, those held as categories (by default ``LEAN_CATEGORIES``):
            polars keeps every value it has seen of them while any categorical data lives.
        keep: ``keep(stream)`` says which lines the caller needs (over ``kind`` and ``user``); the
            others are left out (in a large file's chunks where every line has its own date and
            time, as they are parsed; elsewhere once the whole-file steps are done), but for each
            file's earliest and latest lines (``Ingested.spans``). They are still counted in the
            summary. With ``spill``, those of the chunks are written out, the others kept.
        spill: write such lines, finished, to temporary files as they are parsed instead of
            keeping them (a table larger than memory); ``Ingested.table()`` has them all.
        progress: where to report lines parsed (see ``logcheck.progress``).
    """
    if isinstance(paths, str):
        paths = [paths]
    # a forced stream becomes a value of the ``stream`` enum: anything else is the caller's mistake
    for path, forced in (streams or {}).items():
        if forced not in ("ios", "backend"):
            raise UsageError(f"streams: {path}: {forced!r} is not a stream (ios or backend)")
    pack = pack if isinstance(pack, Pack) else load_pack(pack)
    formats = load_formats()
    spilled = Spill() if spill else None
    if spill and keep is None:
        keep = none_kept                    # every line that can be written out is
    try:
        categories = LEAN_CATEGORIES if categories is None else categories
        types = None if columns is None else {c: category(c) if c in categories else t
                                              for c, t in EVENT_COLUMNS.items() if c in columns}
        return _read(paths, pack, formats, date, streams, types, keep, spilled, progress)
    except BaseException:
        if spilled is not None:     # what was written is of no use to anyone
            spilled.close()
        raise


def _read(paths: list[str], pack: Pack, formats: Formats, date: dt.date | None, streams: dict[str, str] | None,
          columns: dict[str, pl.DataType] | None, keep: Callable[[str], pl.Expr] | None, spilled: Spill | None,
          progress: Progress) -> Ingested:
    """:func:`ingest`'s work, once its options are settled (``columns``: each wanted column's type)."""
    parsed: list[tuple[Reader, pl.DataFrame, InputSummary]] = []
    blocks: dict[int, Iterator[pl.DataFrame]] = {}
    for i, source in enumerate(expand(paths, streams)):
        progress.stage(f"reading {source.name}")
        reader = Reader(source)
        blocks[i] = iter(reader)
        first = next(blocks[i], _EMPTY)       # a large file is read on, a block at a time, as it is parsed
        summary = InputSummary(source.name, source.stream or "unknown", "-", damage=reader.damage)
        if reader.damage.skipped:
            summary.warnings.append(f"{reader.damage.skipped} file skipped")
        parsed.append((reader, first, summary))
    # small files parsed together, as one batch, beside the large ones, which go block by block, in chunks on
    # all cores (the batch alone would leave a core idle); the large files' progress is the one shown
    read = [i for i, (_, _, s) in enumerate(parsed) if not s.damage.skipped]
    small = [i for i in read if parsed[i][0].complete and parsed[i][1].height < CHUNK_LINES]
    large = sorted(set(read) - set(small))
    left_out: dict[int, pl.DataFrame] = {}
    ready: dict[int, list[pl.DataFrame]] = {}      # a large file's rows finished chunk by chunk
    with ThreadPoolExecutor(max_workers=1) as aside:
        batched = aside.submit(_parse_small, [(i, parsed[i][1], parsed[i][0].source.stream) for i in small], pack,
                               formats, columns, SILENT if large else progress)
        for i in large:
            reader, frame, summary = parsed[i]
            progress.stage(f"parsing {reader.name}", total=reader.estimated_lines(frame))
            writer = spilled.writer(i) if spilled else None
            frame, summary.stream, summary.repaired_lines, left_out[i], ready[i] = _parse(
                itertools.chain([frame], blocks[i]), pack, formats, reader.source.stream, columns, keep, progress,
                writer, _finisher(pack, date, summary.path, columns))
            parsed[i] = (reader, frame, summary)
        batch, done = batched.result()
    for i in done:
        reader, _, summary = parsed[i]
        summary.stream, summary.repaired_lines = done[i]
        parsed[i] = (reader, _EMPTY, summary)      # its rows are in the batch
    texts = Texts([r for r, _, _ in parsed])

    progress.stage("dating lines", total=None)
    batch_anchors = anchor_dates(batch, "_src") if done else {}
    anchors = [batch_anchors.get(i) if i in done else anchor_date(f) for i, (_, f, s) in enumerate(parsed)
               if not s.damage.skipped]
    fallback = next((a for a in anchors if a is not None), None)
    finished, batch_warnings, batch_counts = _finish_batch(batch, {i: parsed[i][2] for i in done}, date, fallback, columns)
    del batch
    tables = []
    for i, (_, frame, summary) in enumerate(parsed):
        if summary.damage.skipped:
            continue
        parsed[i] = (parsed[i][0], _EMPTY, summary)     # its rows go as its table is made
        if i in done:
            table, warning, counts = finished.pop(i), batch_warnings.get(i), batch_counts.pop(i)
        else:
            frame, warning = assign(frame, date, fallback)
            counts = _tally([frame] + ([left_out[i]] if i in left_out else []))
            table = _finish(frame, summary.path, summary.stream, columns)
        if keep is not None and spilled is None:
            table = _wanted(table, keep(summary.stream))
        if ready.get(i):     # the rows held back merged in: a copy of the chunks they fall in only
            table = pl.concat(list(in_line_order(table, _handed(ready[i]))), how="diagonal_relaxed",
                              rechunk=False).select(table.columns)
        if warning:
            summary.warnings.append(warning)
        _summarise(summary, counts)
        tables.append(table)
        if spilled is not None:
            spilled.held(i, table.height)
        del frame, table    # the list holds the table alone: the last file's must not outlive it (below)
    # in a list that is its only holder: the chunks' pieces are let go as the table is put in one piece
    box = [pl.concat(tables, how="vertical") if tables else _finish(pl.DataFrame(), "", "", columns)]
    del tables
    return Ingested(in_one_piece(box), [s for _, _, s in parsed], texts, spilled)


def _finish_batch(batch: pl.DataFrame, summaries: dict[int, InputSummary], date: dt.date | None,
                  fallback: dt.date | None, columns: dict[str, pl.DataType] | None
                  ) -> tuple[dict[int, pl.DataFrame], dict[int, str], dict[int, pl.DataFrame]]:
    """The small files' batch (see :func:`_parse_small`) dated, counted and finished in one go,
    then told apart: each file's table, date warning and tally, by its ``_src``."""
    if not summaries:
        return {}, {}, {}
    batch, warnings = assign_files(batch, date, fallback)
    counts = _tally([batch], by=("_src",)).partition_by("_src", as_dict=True, include_key=False)
    files = pl.DataFrame({"_src": list(summaries), "file": [s.path for s in summaries.values()],
                          "stream": [s.stream for s in summaries.values()]}, schema_overrides={"_src": pl.UInt32})
    batch = _finish(batch, mapped("_src", files, "file"), mapped("_src", files, "stream"), columns, keep=("_src",))
    parts = batch.partition_by("_src", as_dict=True, include_key=False, maintain_order=True)
    return {i: table for (i,), table in parts.items()}, warnings, {i: tally for (i,), tally in counts.items()}


def _finisher(pack: Pack, date: dt.date | None, name: str, columns: dict[str, pl.DataType] | None
              ) -> Callable[[pl.DataFrame, str], pl.DataFrame]:
    """Finish lines that ``_leave_out`` did not hold as the whole-file steps would have: they
    continue nothing and have their own date and time, so these steps need nothing beyond them."""
    def finish(rows: pl.DataFrame, stream: str) -> pl.DataFrame:
        dated, _ = assign(attach(rows, pack), date, None)
        return _finish(dated, name, stream, columns)
    return finish


CHUNK_LINES = 400_000
# with ``columns``, by default: few values over millions of rows, 4 bytes a row rather than a
# string each (a 10M-line fleet names 20,000 users)
LEAN_CATEGORIES = ("file", "kind", "user", "user_prefix", "meal")
# meal ids in categories of their own: polars keeps the global categories' values while any
# categorical data lives, but lets these go with the last column using them (a 10M-line fleet
# names 1.2 million meal ids: 0.15 GB of values)
MEAL_IDS = pl.Categorical(pl.Categories("meal"))


def category(column: str) -> pl.DataType:
    """The categorical type ``column`` is held as (see ``LEAN_CATEGORIES``)."""
    return MEAL_IDS if column == "meal" else pl.Categorical()


_EMPTY = pl.DataFrame(schema={"line": pl.UInt32, "raw": pl.String})


def none_kept(stream: str) -> pl.Expr:
    """For ``ingest(keep=...)``: no line is needed beyond its counts (a summary), or beyond what
    is written out (``spill``)."""
    return pl.lit(False)


class _Chunk(NamedTuple):
    """What a chunk's parsing gives back (see :func:`_parse`)."""

    held: pl.DataFrame              # its lines kept back for the whole-file steps
    repaired: int                   # lines whose text was repaired
    tally: pl.DataFrame             # the counts of the others (see :func:`_tally`)
    ready: pl.DataFrame | None      # those of the others ``keep`` wants, finished


def _parse(blocks: Iterator[pl.DataFrame], pack: Pack, formats: Formats, forced: str | None,
           columns: dict[str, pl.DataType] | None = None, keep: Callable[[str], pl.Expr] | None = None,
           progress: Progress = SILENT, spill: Callable[[int, pl.DataFrame], None] | None = None,
           finish: Callable[[pl.DataFrame, str], pl.DataFrame] | None = None,
           ) -> tuple[pl.DataFrame, str, int, pl.DataFrame, list[pl.DataFrame]]:
    """Repair, envelopes and classification of a file's blocks, in chunks of lines on a thread
    pool while the next block is read; also the counts (see :func:`_tally`) of the lines that
    did not stay for the whole-file steps, and those of them ``keep`` wants, finished.

    polars releases the GIL, so chunks run on all cores; steps that need the whole file
    (continuation parents here, dates later) run after the chunks are joined, on the lines kept
    back for them. Only a few chunks are in flight at once: a large file is never all in memory
    as text. With ``keep``, lines that need no whole-file step are made table rows in their chunk
    (``finish(rows, stream)``): those ``keep`` wants are returned, in chunk order, the others go
    to ``spill`` (by chunk number, see ``logcheck.ingest.spill``) or are only counted.
    """
    stream = forced
    # where nothing of the chunks is kept (counts, or lines written out), a chunk more than cores:
    # a chunk holds the GIL between polars calls, and another fills that time (6 % faster at 10M).
    # Where rows are kept, memory is the limit: a chunk in flight is 0.1 GB beside the rows kept
    # (a 10M-line verify: 0.06 GB less at its peak, 5 % slower)
    workers = (os.cpu_count() or 1) + (1 if keep is none_kept else 0)
    carried = list(pack.model.attach)

    def envelopes(chunk: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        parsed, damaged = _envelopes(chunk, formats)
        return parsed, int(damaged.sum())

    def job(chunk: pl.DataFrame, done: tuple[pl.DataFrame, int] | None, index: int) -> _Chunk:
        part, fixed = done or envelopes(chunk)
        box = [part]        # handed over: the envelope's time strings go once the times are read
        del part, done
        out = _classified(box, pack, stream, formats, columns=columns)
        progress.advance(out.height)
        if keep is None:
            return _Chunk(out, fixed, _tally([out.clear()]), None)
        held, wanted, gone = _leave_out(out, keep(stream))
        if spill is not None and gone.height:
            spill(index, finish(gone, stream))
        # what is kept must not hold the chunk's text; nor the columns continuations carry values
        # into (``server_ts``), null in these rows: made once, when the file's rows are merged
        ready = owned_strings(finish(wanted, stream).drop(carried, strict=False)) if wanted.height else None
        return _Chunk(owned_strings(held), fixed, _tally([gone, wanted]), ready)

    parts, pending, numbers = [], deque(), itertools.count()     # chunks in file order, by number
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for block in blocks:
            for start in range(0, max(block.height, 1), CHUNK_LINES):
                chunk, done = block.slice(start, CHUNK_LINES), None
                if stream is None:      # its first lines tell the stream (all of the first chunk if they tie)
                    stream = vocabulary_stream(envelopes(chunk.head(STREAM_PROBE))[0], pack)
                if stream is None:
                    done = envelopes(chunk)
                    stream = detect_stream(done[0], pack)
                pending.append(pool.submit(job, chunk, done, next(numbers)))
            while len(pending) >= workers:     # the next block is read while these run; no chunk waits for a worker
                parts.append(pending.popleft().result())
        parts += [f.result() for f in pending]
    joined = pl.concat([p.held for p in parts], how="diagonal_relaxed")
    ready = [p.ready for p in parts if p.ready is not None]
    return attach(joined, pack), stream, sum(p.repaired for p in parts), _tally([p.tally for p in parts]), ready


def _leave_out(chunk: pl.DataFrame, keep: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(held, wanted, gone) lines of a chunk: ``held`` stay for the whole-file steps, the others
    need none, and ``keep`` wants ``wanted``. Lines need no whole-file step only where every line
    has its own date and time and none continues another, so that no such step (inheritance,
    date inference, continuation parents) can reach them; even there the first and last lines
    are held (a file's anchor date; what a continuation or a timeless line in the next chunk goes
    back to), and the earliest and latest (the time the file covers)."""
    env = chunk["_env"]
    if env.null_count() or chunk["continuation"].any():
        return chunk, chunk.clear(), chunk.clear()
    ends = (pl.int_range(pl.len()) == 0) | (pl.int_range(pl.len()) == pl.len() - 1)   # what the next chunk inherits
    edge = (pl.col("_env") == env.min()) | (pl.col("_env") == env.max()) | ends
    marks = chunk.select(edge=edge, keep=keep.fill_null(False))
    edge, wanted = marks["edge"], ~marks["edge"] & marks["keep"]
    return chunk.filter(edge), chunk.filter(wanted), chunk.filter(~edge & ~wanted)


def _wanted(table: pl.DataFrame, keep: pl.Expr) -> pl.DataFrame:
    """The rows of a file's table that ``keep`` wants, once no whole-file step needs the others,
    and its earliest and latest (what :meth:`Ingested.spans` reads)."""
    if not table.width:
        return table
    if "ts" in table.columns:
        keep = keep | (pl.col("ts") == pl.col("ts").min()) | (pl.col("ts") == pl.col("ts").max())
    return table.filter(keep.fill_null(False))


def _handed(items: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """``items`` in order, each taken out of the list as it goes (let go once its taker is done with it)."""
    items.reverse()
    while items:
        yield items.pop()


def _tally(frames: list[pl.DataFrame], by: tuple[str, ...] = ()) -> pl.DataFrame:
    """Lines and context lines per envelope and kind (and ``by``: a batch's files), summed over
    ``frames`` (tallies or parsed lines): the summary's accounting, which lines left out by
    ``keep`` still enter."""
    keys = [*by, "envelope", "kind"]
    parts = [f if "lines" in f.columns else f.group_by(keys).agg(   # on categories; text once grouped
        lines=pl.len().cast(pl.Int64), context=pl.col("context").fill_null(False).sum().cast(pl.Int64),
    ).with_columns(pl.col("envelope", "kind").cast(pl.String)) for f in frames]
    return pl.concat(parts).group_by(keys).sum()


def _summarise(summary: InputSummary, tally: pl.DataFrame) -> None:
    """Fill a summary's counts and format from its :func:`_tally` (a few rows: envelopes times kinds)."""
    counts = tally.select("envelope", "kind", "lines", "context").rows()
    kinds: dict[str, int] = {}
    by_envelope: dict[str, int] = {}
    for envelope, kind, lines, _ in counts:
        if kind is not None:
            kinds[kind] = kinds.get(kind, 0) + lines
        if envelope not in (None, "bare"):
            by_envelope[envelope] = by_envelope.get(envelope, 0) + lines
    summary.lines, summary.context = sum(c[2] for c in counts), sum(c[3] for c in counts)
    summary.kinds = dict(sorted(kinds.items()))
    summary.events = sum(kinds.values())
    summary.unrecognised = summary.lines - summary.events - summary.context
    # the envelope of most lines, and up to two others seen
    names = [e for e, _ in sorted(by_envelope.items(), key=lambda item: (-item[1], item[0]))]
    summary.format = "bare" if not names else names[0] if len(names) == 1 else f"{names[0]} (+{', '.join(names[1:3])})"


def _classified(frame: pl.DataFrame | list[pl.DataFrame], pack: Pack, stream: str, formats: Formats,
                pid: pl.Series | None = None, columns: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Kinds, fields, context and each line's own time; the repaired text is no longer needed.
    ``frame`` may be handed over (see ``frames.take``).

    With ``columns``, what no later step reads goes now, chunk by chunk: the message stays only
    on continuation lines (``attach`` reads it there)."""
    fields = FIELDS if columns is None else tuple(f for f in FIELDS if f in columns)
    written = columns is None or "ts_written" in columns
    # the times first: the envelope's date and time strings go before classifying's own work
    frame = classify(row_times(take(frame), written), pack, stream, formats, pid=pid, fields=fields).drop("text")
    if columns is None:
        return frame
    unread = [c for c in ("level", "component", "method", "path", "status", "raw", "code", "reason", "attempt")
              if c not in columns]
    msg = pl.col("msg") if "message" in columns else pl.when(pl.col("continuation")).then(pl.col("msg"))
    ids = [pl.col(c).cast(columns[c]) for c in ("user", "user_prefix", "meal") if isinstance(columns.get(c), pl.Categorical)]
    return frame.drop(unread).with_columns(*ids, msg=msg, kind=pl.col("kind").cast(pl.Categorical),
                                           envelope=pl.col("envelope").cast(pl.Categorical))


def _envelopes(frame: pl.DataFrame, formats: Formats) -> tuple[pl.DataFrame, pl.Series]:
    """Repair damaged text, then split envelopes; also which lines were repaired."""
    raw = frame["raw"]
    text, damaged = repair_mask(raw.str.replace_all("\r", "", literal=True) if raw.str.contains("\r", literal=True).any() else raw)
    return parse_envelopes(frame.with_columns(text=text), formats), damaged


def _parse_small(items: list[tuple[int, pl.DataFrame, str | None]], pack: Pack, formats: Formats,
                 columns: dict[str, pl.DataType] | None = None, progress: Progress = SILENT
                 ) -> tuple[pl.DataFrame, dict[int, tuple[str, int]]]:
    """Many small files (a fleet's client logs) parsed as one frame, told apart by ``_src`` (their
    ``items`` key): the same result as file by file, without paying each polars step once per
    file. Each file's stream is the vocabulary that recognises more of its lines (both run once
    over the batch). Also each file's stream and repaired line count."""
    if not items:
        return pl.DataFrame(schema={"_src": pl.UInt32, "line": pl.UInt32}), {}
    progress.stage(f"parsing {len(items)} small file(s)", total=sum(f.height for _, f, _ in items))
    batch = pl.concat([f.with_columns(_src=pl.lit(i, pl.UInt32)) for i, f, _ in items])
    env, damaged = _envelopes(batch, formats)
    repaired = batch.select("_src", d=damaged).group_by("_src").agg(pl.col("d").sum())
    repaired = dict(zip(repaired["_src"].to_list(), repaired["d"].to_list()))
    env = env.with_columns(**{f"_{s}": pid for s, pid in pattern_ids_of(env, pack, ("ios", "backend")).items()})
    counts = env.group_by("_src").agg(ios=pl.col("_ios").is_not_null().sum(), backend=pl.col("_backend").is_not_null().sum())
    forced = {i: s for i, _, s in items}
    stream_of = {}
    for r in counts.iter_rows(named=True):
        i = r["_src"]
        stream_of[i] = forced[i] or ("ios" if r["ios"] > r["backend"] else "backend" if r["backend"] > r["ios"]
                                     else detect_stream(env.filter(pl.col("_src") == i), pack))
    env = env.with_columns(_stream=pl.col("_src").replace_strict(stream_of, return_dtype=pl.String))
    parts = []
    for stream in sorted(set(stream_of.values())):
        part = env.filter(pl.col("_stream") == stream)
        pid = part[f"_{stream}"] if stream in ("ios", "backend") else None
        parts.append(_classified(part.drop("_ios", "_backend", "_stream"), pack, stream, formats, pid, columns))
    progress.advance(batch.height)
    joined = attach(pl.concat(parts, how="diagonal_relaxed").sort("_src", "line"), pack)   # once for the batch
    return joined, {i: (stream_of[i], int(repaired.get(i, 0))) for i in stream_of}


def with_messages(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``component`` and ``message`` parsed again from ``raw``, for tables that
    carry the line as read only (``Incident.lines``, ``Texts.of``); a no-op where they are there."""
    if "message" in rows.columns:
        return rows
    if not rows.height:
        return rows.with_columns(component=pl.lit(None, pl.String), message=pl.lit(None, pl.String))
    parsed, _ = _envelopes(rows.select("raw"), load_formats())     # raw was read without NUL bytes
    return rows.with_columns(component=parsed["component"], message=parsed["msg"])


def _finish(frame: pl.DataFrame, name: str | pl.Expr, stream: str | pl.Expr, columns: dict[str, pl.DataType] | None = None,
            keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """The table's rows, in its columns and types: ``name`` and ``stream`` are a file's (or, as
    expressions, a batch's per row); ``keep``: columns kept beside them (a batch's ``_src``)."""
    wanted = EVENT_COLUMNS if columns is None else columns
    if not frame.width:
        return pl.DataFrame(schema=wanted)
    frame = frame.with_columns(file=name if isinstance(name, pl.Expr) else pl.lit(name),
                               stream=stream if isinstance(stream, pl.Expr) else pl.lit(stream),
                               message=pl.col("msg"), context=pl.col("context").fill_null(False))
    frame = frame.with_columns([pl.lit(None, t).alias(c) for c, t in wanted.items() if c not in frame.columns])
    return frame.select(*keep, *[pl.col(c).cast(t) for c, t in wanted.items()])
