"""The library's front door: ``load`` (ingest, align, correlate) and ``verify`` (+ evaluate)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .align import estimate_clock, on_server_clock
from .correlate import CODE_KINDS, Correlated, correlate
from .errors import UsageError
from .frames import mapped, take
from .ingest import LEAN_CATEGORIES, InputSummary, category, ingest, with_messages
from .ingest.sources import Texts
from .packs import Pack, load_pack
from .progress import SILENT, Progress


@dataclass(kw_only=True)
class Incident(Correlated):
    """Both streams on one clock and one identity: the correlated tables plus the pack, the inputs
    and the clock. Every table is a polars frame (``incident.decisions.to_pandas()`` for pandas)."""

    pack: Pack
    inputs: list[InputSummary]
    clock: pl.DataFrame
    texts: Texts
    window: tuple[dt.datetime | None, dt.datetime | None] = (None, None)

    def lines(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` (any table with ``file`` and ``line``) with their text: ``raw`` as read from
        the file again, and ``component`` and ``message`` parsed from it. The tables carry
        file:line only: a fleet's text is most of its size, and little of it is ever shown."""
        return with_messages(self.texts.of(rows))


def load(
    paths: list[str] | str,
    pack: str | Pack = "ws-registry",
    *,
    date: dt.date | None = None,
    streams: dict[str, str] | None = None,
    offsets: dict[str, str] | None = None,
    zones: dict[str, str] | None = None,
    users: dict[str, str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    settings: dict[str, str] | None = None,
    progress: Progress = SILENT,
) -> Incident:
    """Ingest, align and correlate logs.

    Args:
        paths: files, folders, globs or ``-``.
        pack: pack name or path; ``settings`` override its parameters (``{"stable_for": "20m"}``).
        date: date of time-only lines. streams: ``{path: "ios"|"backend"}``.
        offsets: ``{file: seconds}`` client clock minus server clock. zones: ``{file: "Europe/Paris"}``.
        users: ``{client file: user id}``. since/until: judge only moments in this window (server
            clock, UTC); earlier lines still count as history (a connect before a deploy).
    """
    pack, window = settled(pack, settings, since, until)
    ingested = ingest(paths, pack, date=date, streams=streams, columns=CORRELATION_COLUMNS, keep=lines_needed(pack),
                      progress=progress)
    progress.stage("aligning and correlating")
    events, inputs, texts = for_correlation(ingested.take_events()), ingested.inputs, ingested.texts
    del ingested
    clock = estimate_clock(events, offsets, zones)
    box = [on_server_clock(events, clock)]
    del events
    warnings = [f"{s.path}: {w}" for s in inputs for w in s.warnings]
    c = correlate(box, pack, clock, users)
    warnings += c.warnings
    progress.close()
    return Incident(**{**vars(c), "warnings": warnings}, pack=pack, inputs=inputs, clock=clock, texts=texts,
                    window=window)


# What align, correlate, evaluate and the reports read. No text: a cited line is read again from
# its file (`Incident.lines`), so the table holds no copy of millions of lines.
CORRELATION_COLUMNS = ("ts", "ts_digits", "ts_quality", "zoned", "stream", "file", "line", "kind", "user",
                       "user_prefix", "meal", "server_ts")


def for_correlation(events: pl.DataFrame | list[pl.DataFrame]) -> pl.DataFrame:
    """The ingested table in the columns correlation reads, files, kinds and ids as categories.
    Given in a list (``Ingested.take_events``), the table is let go here: only the columns kept
    stay in memory.

    Its rows are those :func:`lines_needed` wants, as ``ingest(keep=...)`` leaves them: client
    events; backend events of kinds the pack or the correlation code reads, or that name a user
    (a fleet's HTTP access lines are neither, and a third of its lines); and each file's earliest
    and latest lines, which bound the time it covers.
    """
    table = take(events).select(CORRELATION_COLUMNS)
    return table.with_columns(pl.col(c).cast(category(c)) for c in LEAN_CATEGORIES if c in CORRELATION_COLUMNS)


def kept_lines(pack: Pack, spans: pl.DataFrame) -> pl.Expr:
    """The lines correlation reads, told line by line, and each file's earliest and latest
    (``spans``: see ``ingest.time_spans``): what ``ingest(keep=lines_needed(pack))`` keeps."""
    ts = pl.col("ts")
    edge = (ts == mapped("file", spans, "lo")) | (ts == mapped("file", spans, "hi"))
    read = pl.col("kind").is_not_null() & ((pl.col("stream") == "ios") | _backend_lines_read(pack))
    return read | edge.fill_null(False)


def lines_needed(pack: Pack) -> Callable[[str], pl.Expr]:
    """For ``ingest(keep=...)``: the lines correlation reads, as a chunk of a file of that
    stream can tell (ingest keeps each file's earliest and latest lines too)."""
    event = pl.col("kind").is_not_null()
    backend = event & _backend_lines_read(pack)     # built once, asked for every chunk
    return lambda stream: event if stream == "ios" else backend


def _backend_lines_read(pack: Pack) -> pl.Expr:
    read = sorted(pack.read_kinds() | CODE_KINDS)
    # on the categories as they are: a cast to text first costs 0.35 s on a fleet's 6.5M rows
    return pl.col("kind").is_in(read) | pl.col("user").is_not_null() | pl.col("user_prefix").is_not_null()


def settled(pack: str | Pack, settings: dict[str, str] | None, since: dt.datetime | None, until: dt.datetime | None
            ) -> tuple[Pack, tuple[dt.datetime | None, dt.datetime | None]]:
    """The pack with ``settings`` applied, and the window (since, until) as naive UTC."""
    if isinstance(pack, Pack):
        if settings:
            pack = load_pack(pack.path, settings)
    else:
        pack = load_pack(pack, settings)
    if since and until and since >= until:
        raise UsageError("--since must be earlier than --until")
    return pack, (_naive(since) if since else None, _naive(until) if until else None)


def in_window(frame: pl.DataFrame, window: tuple[dt.datetime | None, dt.datetime | None],
              column: str = "ts_server") -> pl.DataFrame:
    """Rows whose time falls in [since, until); the whole frame when no window is set."""
    since, until = window
    if since:
        frame = frame.filter(pl.col(column) >= since)
    if until:
        frame = frame.filter(pl.col(column) < until)
    return frame


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
