"""Correlate: one identity per user, and the facts the criteria are judged on.

Input: aligned events (``ts_server``). Output: events with ``uid`` and liveness flags, and the
derived tables (decisions with causes, meals, sessions, pings).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..frames import scatter_rows, take
from ..packs import Pack, all_rules, selectors
from .decisions import MEAL_DONE, decisions, meals
from .identity import Known, resolve
from .liveness import Liveness
from .timelines import pings, server_times, sessions

# Kinds this package's code names itself (beyond those the pack's rules name); a test keeps it whole.
CODE_KINDS = frozenset({
    "client.closed", "client.connected", "client.meal_completed_poll", "client.meal_completed_ws",
    "client.meal_submitted", "client.ping_sent", "client.poll", "client.pong_received", "server.connected",
    "server.disconnected", "server.meal_completed", "server.meal_processing", "server.notify_sent",
    "server.notify_skipped", "server.ping_received", "server.registry_refreshed",
})


@dataclass(kw_only=True)
class Correlated:
    """Events with identities and liveness flags, and the tables derived from them."""

    events: pl.DataFrame
    users: pl.DataFrame
    decisions: pl.DataFrame
    meals: pl.DataFrame
    sessions: pl.DataFrame
    pings: pl.DataFrame
    server_times: pl.DataFrame            # see :func:`server_times`
    client_users: dict[str, str | None]   # client file -> its user (None when it could not be told)
    warnings: list[str] = field(default_factory=list)


def correlate(events: pl.DataFrame | list[pl.DataFrame], pack: Pack, clock: pl.DataFrame,
              user_map: dict[str, str] | None = None, known: Known | None = None,
              backend_span: tuple[Any, Any] | None = None) -> Correlated:
    """Resolve identities, flag the user liveness of the events rules look at, build the derived tables.

    Given the events in a list (handed over, see ``frames.take``), the ids as written go once
    resolved: three columns of a fleet's millions of rows. ``clock`` is ``align.estimate_clock``'s:
    its files' uncertainty widens the liveness windows. On some users only (``verify --stream``),
    ``known`` and ``backend_span`` (the first and last backend time on the server clock) are what
    was worked out over every input."""
    ev = take(events)
    carried = server_times(ev)
    ev = ev.drop("server_ts")       # let go before resolving, not after (53 MB at 10M)
    ident = resolve(ev, user_map, known)
    del ev
    # the line's time as written was read by the linking of meals; from here on the server clock's
    # (ts_server) is the time: 8 bytes a row less over a fleet's millions of events
    ev = ident.events.drop("ts")
    users, files, warnings = ident.users, ident.files, ident.warnings
    del ident       # its table still held ``ts`` (53 MB at 10M) until the end
    live = Liveness.of(ev, pack, clock, backend_span)
    # liveness flags are costly: only for the kinds the pack's rules select with `where:`, the
    # decisions and the completions, in one pass of as-of joins (they overlap: a fleet's
    # notifications are both flagged and decided)
    flagged = set(flagged_kinds(pack))
    asked = flagged | set(pack.model.liveness.decisions.values()) | {MEAL_DONE}
    # flagged on the columns the flags read; each table takes its rows' other columns after
    # each point knows its row, numbered in the query (row numbers on every event: 26 MB at 10M)
    asking = ev.lazy().with_row_index("_row").select("_row", "kind", "uid", "ts_server", "ts_res", "file")
    points = live.flags_at(asking.filter(pl.col("kind").is_in(sorted(asked))).collect(), detail=True)
    lines = live.lines
    del live    # its as-of tables (a fleet's 4 million registry refreshes) are done with
    # the flags rules read of an event (how long since its user's liveness is the decisions' to say:
    # on a fleet's every event it would be 50 MB nobody reads)
    keep = ["active", "active_by_allowance", "client_covered", "backend_covered"]
    # (columns chosen before rows: a filter copies every column it is given)
    ev_flags = flags_at_index(ev, points.select("_row", "kind", *keep).filter(pl.col("kind").is_in(sorted(flagged))), keep)
    decided = decisions(_with_events(ev, points.filter(pl.col("kind").is_in(list(pack.model.liveness.decisions.values())))),
                        pack, lines)
    done = _with_events(ev, points.filter(pl.col("kind") == MEAL_DONE))
    del points
    return Correlated(
        events=ev_flags,
        users=users,
        decisions=decided,
        meals=meals(ev_flags, done, decided),
        sessions=sessions(ev_flags, pack),
        pings=pings(ev_flags, pack, carried),
        server_times=carried,
        client_users=files,
        warnings=warnings,
    )


def flagged_kinds(pack: Pack) -> set[str]:
    """Event kinds that some rule selects with `where:` flags (criteria and discriminating check)."""
    return {kind for rule in all_rules(pack.model) for _, sel in selectors(rule) if sel.where
            for kind in (sel.kind, sel.otherwise) if kind}


def _with_events(ev: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Flagged ``rows`` (``_row`` and the flags) with all their event columns, first and in the
    events table's order, as if the whole rows had been flagged."""
    answers = rows.drop("_row", *(c for c in rows.columns if c in ev.columns))
    return pl.concat([ev.select(pl.all().gather(rows["_row"])), answers], how="horizontal")


def flags_at_index(ev: pl.DataFrame, flagged: pl.DataFrame, keep: list[str]) -> pl.DataFrame:
    """Put flags computed on some rows back on the full table (other rows get False)."""
    out = scatter_rows(ev, flagged.select("_row", *keep), keep)
    return out.with_columns([pl.col(c).fill_null(False) for c in keep])
