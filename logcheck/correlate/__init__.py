"""Correlate: one identity per user, and the facts the criteria are judged on.

Input: aligned events (``ts_server``). Output: events with ``uid`` and liveness flags, and the
derived tables (decisions with causes, meals, sessions, pings, polling).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..packs import Pack
from .decisions import decisions, meals
from .identity import resolve
from .liveness import flags_at
from .timelines import pings, polling, sessions


@dataclass
class Correlated:
    events: pl.DataFrame
    users: pl.DataFrame
    decisions: pl.DataFrame
    meals: pl.DataFrame
    sessions: pl.DataFrame
    pings: pl.DataFrame
    polling: pl.DataFrame
    client_users: dict[str, str | None]
    warnings: list[str] = field(default_factory=list)


def correlate(events: pl.DataFrame, pack: Pack, user_map: dict[str, str] | None = None) -> Correlated:
    """Resolve identities, flag every event's user liveness, and build the derived tables."""
    ident = resolve(events, user_map)
    ev = ident.events
    flagged = flags_at(ev.filter(pl.col("kind").is_not_null()), ev, pack)
    keep = ["active", "active_by_allowance", "client_covered", "backend_covered", "since_alive_s"]
    ev = ev.with_row_index("_row")
    ev_flags = flags_at_index(ev, flagged, keep)
    decided = decisions(ev_flags, pack)
    return Correlated(
        events=ev_flags,
        users=ident.users,
        decisions=decided,
        meals=meals(ev_flags, decided, pack),
        sessions=sessions(ev_flags, pack),
        pings=pings(ev_flags, pack),
        polling=polling(ev_flags),
        client_users=ident.files,
        warnings=ident.warnings,
    )


def flags_at_index(ev: pl.DataFrame, flagged: pl.DataFrame, keep: list[str]) -> pl.DataFrame:
    """Put flags computed on event rows back on the full table (non-events get False/null)."""
    flagged = flagged.select("file", "line", *keep)
    out = ev.join(flagged, on=["file", "line"], how="left").sort("_row").drop("_row")
    return out.with_columns([pl.col(c).fill_null(False) for c in keep if c != "since_alive_s"])
