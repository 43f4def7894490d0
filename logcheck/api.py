"""The library's front door: ``load`` (ingest, align, correlate) and ``verify`` (+ evaluate)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .align import apply_clock, estimate_clock
from .correlate import Correlated, correlate
from .errors import UsageError
from .frames import mapped
from .ingest import InputSummary, ingest
from .packs import Pack, load_pack
from .progress import SILENT, Progress


@dataclass(kw_only=True)
class Incident(Correlated):
    """Both streams on one clock and one identity: the correlated tables plus the pack, the inputs
    and the clock. Every table is a polars frame (``incident.decisions.to_pandas()`` for pandas)."""

    pack: Pack
    inputs: list[InputSummary]
    clock: pl.DataFrame
    window: tuple[dt.datetime | None, dt.datetime | None] = (None, None)


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
    if isinstance(pack, Pack):
        if settings:
            pack = load_pack(pack.path, settings)
    else:
        pack = load_pack(pack, settings)
    if since and until and since >= until:
        raise UsageError("--since must be earlier than --until")
    ingested = ingest(paths, pack, date=date, streams=streams, progress=progress)
    progress.stage("aligning and correlating")
    clock = estimate_clock(ingested.events, offsets, zones)
    events = apply_clock(ingested.events, clock)
    events = events.with_columns(mapped("file", clock, "uncertainty_seconds", "ts_unc").fill_null(0.0))
    warnings = [f"{s.path}: {w}" for s in ingested.inputs for w in s.warnings]
    c = correlate(events, pack, users)
    warnings += c.warnings
    window = (_naive(since) if since else None, _naive(until) if until else None)
    progress.close()
    return Incident(**{**vars(c), "warnings": warnings}, pack=pack, inputs=ingested.inputs, clock=clock, window=window)


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
