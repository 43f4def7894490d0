"""Was user U alive at time t? Flags for any set of (uid, t) points, by as-of joins.

For each point: the latest liveness evidence (alive kinds) at or before t, the latest end
(gone kinds), the latest and next connect; from these the pack's flags:
``active``, ``connected_before``, ``disconnected_before``, ``client_covered``, ``backend_covered``.
Comparisons against ``active_window`` allow for the resolution of both timestamps and the
clock estimate's uncertainty; ``active_by_allowance`` says when a point needed that allowance.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..align import next_timed, uncertainty
from ..frames import scatter_rows
from ..packs import Pack

_REF = ("ts_server", "file", "line", "kind", "ts_res")
FLAGS = ("active", "active_by_allowance", "connected_before", "disconnected_before", "client_covered", "backend_covered")
_DERIVED = ("since_alive_s", "since_connect_s", "client_file")
_PREFIXES = ("alive_", "gone_", "connect_", "next_")
# where each latest or next line is: what a table keeps only until it has chosen its evidence (:func:`cite`)
ROWS = tuple(f"{p}row" for p in _PREFIXES)
_ALLOWANCE = ("alive_ts_res", "alive_ts_unc")     # read by the flags, not answers


def _seconds(a: str, b: str) -> pl.Expr:
    return (pl.col(a) - pl.col(b)).dt.total_microseconds() / 1e6


def _ref(events: pl.DataFrame, kinds: tuple[str, ...], prefix: str, before: bool) -> pl.DataFrame:
    """Lines of ``kinds`` with a user and a time, keyed for as-of joins: user, time and row number
    only (a fleet has millions of registry refreshes; what a point needs of its line is looked up
    by row once joined). A line with an inherited time happened somewhere between that time and
    the next timed line of its file: it is known to be before a point only from that next line
    on (``before``), and after it from its own time."""
    wanted = pl.col("kind").is_in(list(kinds)) & pl.col("uid").is_not_null() & pl.col("ts_server").is_not_null()
    inherited = (pl.col("ts_quality") == "inherited") if before else pl.lit(False)
    # the few columns a join reads: 4 million registry refreshes in a fleet's 10M lines
    rows = events.lazy().with_row_index("_at").filter(wanted).select("_at", "uid", "ts_server", _inherited=inherited).collect()
    on = pl.col("ts_server")
    if rows["_inherited"].any():     # worked out on the files that have such lines (a fleet log has none)
        at = rows.filter("_inherited")["_at"]
        files = events.lazy().select("file", "line", "ts_server", "ts_quality").filter(
            pl.col("file").is_in(events["file"].gather(at).unique().implode()) & pl.col("ts_server").is_not_null())
        known = files.sort("file", "line").select("file", "line", _known=next_timed("ts_server")).collect()
        rows = rows.with_columns(events["file"].gather(rows["_at"]), events["line"].gather(rows["_at"]))
        rows = rows.join(known, on=["file", "line"], how="left")
        on = pl.coalesce("_known", "ts_server")
    return rows.select("uid", pl.col("_at").alias(f"{prefix}_row"), _on=on).sort("_on")


def cite(rows: pl.DataFrame, lines: pl.DataFrame, at: str, prefix: str) -> pl.DataFrame:
    """``rows`` with the file, line and kind of the line of ``lines`` (``Liveness.lines``) whose
    row is in column ``at`` (one of ``ROWS``, or chosen among them), named ``prefix`` + file,
    line, kind; ``at`` goes."""
    return rows.with_columns(lines[c].gather(rows[at]).alias(f"{prefix}{c}") for c in ("file", "line", "kind")).drop(at)


def backend_span(events: pl.DataFrame | pl.LazyFrame) -> tuple[Any, Any]:
    """The first and last backend time on the server clock (None, None without any)."""
    return events.lazy().filter(pl.col("stream") == "backend").select(
        pl.col("ts_server").min().alias("lo"), pl.col("ts_server").max().alias("hi")).collect().row(0)


def spans(events: pl.DataFrame) -> pl.DataFrame:
    """Time span of each client file on the server clock, with its user."""
    return (events.lazy().filter((pl.col("stream") == "ios") & pl.col("ts_server").is_not_null() & pl.col("uid").is_not_null())
            .group_by("file").agg(uid=pl.col("uid").first(), start=pl.col("ts_server").min(), end=pl.col("ts_server").max()).collect())


@dataclass
class Liveness:
    """Each user's liveness evidence, ends and connects, sorted for as-of joins, and the time the
    logs cover: built once per incident, asked about any set of points."""

    pack: Pack
    refs: list[tuple[str, str, pl.DataFrame]]       # (prefix, join strategy, table)
    lines: pl.DataFrame                             # what a point is told of its latest and next lines, by row
    clients: pl.DataFrame                           # spans of the client files
    backend: tuple[Any, Any]                        # first and last backend time
    clock: pl.DataFrame                             # each file's uncertainty (see ``align.uncertainty``)

    @classmethod
    def of(cls, events: pl.DataFrame, pack: Pack, clock: pl.DataFrame, backend: tuple[Any, Any] | None = None
           ) -> "Liveness":
        live = pack.model.liveness
        refs = [(prefix, strategy, _ref(events, kinds, prefix, strategy == "backward")) for kinds, prefix, strategy in (
            (live.alive, "alive", "backward"), (live.gone, "gone", "backward"),
            (live.connect, "connect", "backward"), (live.connect, "next", "forward"))]
        lo, hi = backend or backend_span(events)
        lines = events.select(pl.col(c).alias(c.replace("ts_server", "ts")) for c in _REF)     # columns shared, not copied
        return cls(pack, refs, lines, spans(events), (lo, hi), clock)

    def flags_at(self, points: pl.DataFrame, detail: bool = False) -> pl.DataFrame:
        """Add liveness columns and flags to ``points`` (needs ``uid``, ``ts_server``, ``ts_res``, ``file``):
        each latest and next line's time, and with ``detail`` its row (``ROWS``), for a caller that
        cites those lines to :func:`cite` the ones it chooses (the flags need the times only)."""
        window = self.pack.params.get("active_window", 60.0)
        # recompute, never reuse: the points may carry flags computed for other rows or times
        stale = [c for c in points.columns if c in FLAGS or c in _DERIVED or c.startswith(_PREFIXES)]
        pts = points.drop(stale)
        # the joins carry what they read, not the points' every column; the answers are put
        # back by position (a fleet asks about a million points)
        read = ("uid", "ts_server", "ts_res", "ts_unc")
        # the clock's uncertainty: the point's file's
        valid = pts.select("uid", "ts_server", "ts_res", ts_unc=uncertainty(self.clock)).with_row_index("_p").filter(
            pl.col("ts_server").is_not_null()).with_columns(_on=pl.col("ts_server")).sort("_on")
        keys = valid.select("_on", "uid")
        for prefix, strategy, ref in self.refs:
            # the join on the keys alone, its answer put beside (a join copies every column of its left side)
            at = keys.join_asof(ref, on="_on", by="uid", strategy=strategy, check_sortedness=False)[f"{prefix}_row"]
            valid = valid.with_columns(at)
            wanted = ["ts", "ts_res", "file"] if prefix == "alive" else ["ts"]     # the allowance: alive_ts_res, its file's unc
            valid = valid.with_columns(self.lines[c].gather(at).alias(f"{prefix}_{c}") for c in wanted)
        valid = valid.with_columns(alive_ts_unc=uncertainty(self.clock, "alive_file")).drop("alive_file")
        # (an uncertainty is 0 where the clock has none: see ``align.uncertainty``)
        allowance = pl.col("ts_res").fill_null(1.0) + pl.col("alive_ts_res").fill_null(1.0) + pl.col("ts_unc") + \
            pl.col("alive_ts_unc")
        since_alive = _seconds("ts_server", "alive_ts")
        not_ended = pl.col("gone_ts").is_null() | (pl.col("gone_ts") < pl.col("alive_ts"))
        valid = valid.with_columns(
            since_alive_s=since_alive,
            since_connect_s=_seconds("ts_server", "connect_ts"),
            active=(pl.col("alive_ts").is_not_null() & (since_alive <= window + allowance) & not_ended).fill_null(False),
            active_by_allowance=(pl.col("alive_ts").is_not_null() & (since_alive > window) & (since_alive <= window + allowance)
                                 & not_ended).fill_null(False),
            connected_before=pl.col("connect_ts").is_not_null(),
            disconnected_before=(pl.col("gone_ts").is_not_null() &
                                 (pl.col("alive_ts").is_null() | (pl.col("gone_ts") >= pl.col("alive_ts")))),
        )
        valid = self._coverage(valid)
        answers = [c for c in valid.columns if c not in (*read, "_p", "_on", *_ALLOWANCE, *([] if detail else ROWS))]
        box = [valid.select("_p", *answers)]
        del valid       # handed over: each answer's column goes once it is placed (a fleet asks about a million points)
        out = scatter_rows(pts, box, answers, index="_p")
        return out.with_columns([pl.col(f).fill_null(False) for f in FLAGS])

    def _coverage(self, points: pl.DataFrame) -> pl.DataFrame:
        slack = pl.duration(seconds=1)
        hits = (points.select("_p", "uid", "ts_server").join(self.clients, on="uid", how="inner")
                .filter((pl.col("ts_server") >= pl.col("start") - slack) & (pl.col("ts_server") <= pl.col("end") + slack))
                .group_by("_p").agg(client_file=pl.col("file").first()))
        lo, hi = self.backend
        covered = (pl.col("ts_server") >= lo) & (pl.col("ts_server") <= hi) if lo is not None else pl.lit(False)
        return points.join(hits, on="_p", how="left").with_columns(
            client_covered=pl.col("client_file").is_not_null(), backend_covered=covered.fill_null(False))
