"""``verify --stream``: the users judged a partition at a time, for inputs larger than memory.

Ingest writes every parsed line, in the columns correlation reads, to temporary files on disk
(``ingest(spill=True)``). What needs every input is worked out first, on narrow selections: the
clock (client lines, and each file's first time), id prefixes, which user each client file
belongs to, and the user and meal of the server lines that name none (linked in file order).
Then the users are split into partitions by the first 8 characters of their id (a full id and
its prefix share them). Each partition is read back from disk, aligned, correlated and measured
on its own, and let go; the measures merge (see ``evaluate.tally``) and are judged once.

In memory at once: one partition's lines, the lines that link meals (processing, completion and
decision lines, about a quarter of a fleet's events, in a few columns), the client logs, and the
decisions' JSON columns.
"""
from __future__ import annotations

import datetime as dt
import math

import polars as pl

from .align import apply_clock, estimate_clock, on_server_clock
from .api import CORRELATION_COLUMNS, correlated_lines, in_window, settled
from .correlate import correlate
from .correlate.identity import LINKED_KINDS, Known, meal_prefixes, resolve, user_prefixes
from .evaluate import Result, judge, measure, merge_measured
from .evaluate.rules import Context
from .frames import mapped
from .ingest import ingest, none_kept
from .packs import Pack
from .progress import SILENT, Progress

# lines of input per partition: a 10M-line fleet log is read back in 5 (each about 2 million
# lines' worth of events in memory, not 10)
PARTITION_LINES = 2_000_000


def verify_stream(
    paths: list[str] | str,
    pack: str | Pack = "ws-registry",
    *,
    partitions: int | None = None,
    command: str | None = None,
    date: dt.date | None = None,
    streams: dict[str, str] | None = None,
    offsets: dict[str, str] | None = None,
    zones: dict[str, str] | None = None,
    users: dict[str, str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    settings: dict[str, str] | None = None,
    progress: Progress = SILENT,
) -> Result:
    """:func:`logcheck.verify`'s result, the users evaluated ``partitions`` at a time (by default
    one partition per 2 million lines of input). Options as for :func:`logcheck.load`. The
    result has no ``incident`` (the tables the HTML report draws from are never whole)."""
    pack, window = settled(pack, settings, since, until)
    ingested = ingest(paths, pack, date=date, streams=streams, columns=CORRELATION_COLUMNS, keep=none_kept, spill=True,
                      progress=progress)
    try:
        inputs, texts = ingested.inputs, ingested.texts
        progress.stage("working out the clock and the ids", total=None)
        facts = _for_correlation(ingested.table(), pack)
        client = facts.filter(pl.col("stream") == "ios").collect()
        clock = estimate_clock(_clock_rows(facts, client, [s.path for s in inputs]), offsets, zones)
        span, end = _backend_times(facts, clock, window)
        ids = facts.select("user", "user_prefix").unique().collect()
        user_table, _ = user_prefixes(ids)     # each partition warns of its own
        meal_table, meal_warnings = meal_prefixes(facts.select("meal").unique().collect()["meal"])
        linked = resolve(pl.concat([client.select(_LINK_COLUMNS), facts.filter(
            pl.col("kind").is_in(LINKED_KINDS) & (pl.col("stream") != "ios")).select(_LINK_COLUMNS).collect()]), users,
            Known(users=user_table, meals=meal_table))
        del client
        count = partitions or max(1, math.ceil(sum(s.lines for s in inputs) / PARTITION_LINES))
        rows = _partitioned(facts, linked.events, ids, linked.files, count)
        measured, warnings = [], []
        for p in range(count):
            progress.stage(f"correlating part {p + 1} of {count} of the users", total=None)
            events = on_server_clock(rows.filter(pl.col("_part") == p).drop("_part").collect(), clock)
            c = correlate([events], pack, users, Known(meals=meal_table, owners=linked.files, linked=True), backend_span=span)
            del events
            warnings += c.warnings
            ctx = Context(pack, in_window(c.events, window), in_window(c.decisions, window), in_window(c.meals, window),
                          in_window(c.pings, window), backend_end=end)
            measured.append(measure(ctx).kept())
            del c, ctx
        # in the order one pass gives them: prefixes (by prefix), then meals, then client files
        warnings = [f"{s.path}: {w}" for s in inputs for w in s.warnings] + sorted(warnings) + meal_warnings + linked.warnings
        progress.close()
        return judge(merge_measured(measured), pack, inputs, clock, warnings, texts, window=window, command=command)
    finally:
        ingested.close()


_LINK_COLUMNS = ("file", "line", "ts", "stream", "kind", "user", "user_prefix", "meal")


def _for_correlation(table: pl.LazyFrame, pack: Pack) -> pl.LazyFrame:
    """The lines :func:`logcheck.api.for_correlation` keeps, selected lazily from the lines on disk."""
    ts = pl.col("ts")
    edges = table.group_by("file").agg(_lo=ts.min(), _hi=ts.max()).collect()
    edge = ((ts == pl.col("_lo")) | (ts == pl.col("_hi"))).fill_null(False)
    return table.join(edges.lazy(), on="file", how="left", maintain_order="left").filter(
        correlated_lines(pack) | edge).drop("_lo", "_hi")


def _clock_rows(facts: pl.LazyFrame, client: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """What :func:`estimate_clock` reads of the events: the client lines, and for every file one
    line with its first time, its stream and whether all its lines are zoned (in input order)."""
    files = facts.group_by("file").agg(stream=pl.col("stream").first(), ts=pl.col("ts").min(),
                                       zoned=pl.col("zoned").all()).collect()
    rank = pl.DataFrame({"file": order, "_at": range(len(order))}).unique("file", keep="first")
    files = files.with_columns(mapped("file", rank, "_at")).sort("_at").drop("_at")
    return pl.concat([files.with_columns(server_ts=pl.lit(None, pl.Datetime("us"))),
                      client.select(files.columns + ["server_ts"])], how="vertical_relaxed")


def _backend_times(facts: pl.LazyFrame, clock: pl.DataFrame, window: tuple) -> tuple[tuple, dt.datetime | None]:
    """The first and last backend time on the server clock, and the last in the window (where
    obligations become pending)."""
    backend = facts.filter((pl.col("stream") == "backend") & pl.col("ts").is_not_null())
    bounds = backend.group_by("file", "zoned").agg(lo=pl.col("ts").min(), hi=pl.col("ts").max()).collect()
    if not bounds.height:
        return (None, None), None
    # a file's zoned (or zoneless) lines all move by one shift: the clock's, worked out on one of them
    probe = apply_clock(bounds.select("file", "zoned", ts="lo", ts_digits=pl.lit(None, pl.UInt8), ts_quality=pl.lit("exact"),
                                      server_ts=pl.lit(None, pl.Datetime("us"))), clock)
    shift = bounds.select("file", "zoned", _shift=probe["ts"] - probe["ts_server"])
    lo, hi = (bounds["lo"] - shift["_shift"]).min(), (bounds["hi"] - shift["_shift"]).max()
    if window == (None, None):
        return (lo, hi), hi
    since, until = window
    t = pl.col("ts") - pl.col("_shift")
    inside = [t >= since] if since else []
    inside += [t < until] if until else []
    end = backend.join(shift.lazy(), on=["file", "zoned"]).filter(*inside).select(t.max()).collect().item()
    return (lo, hi), end


def _partitioned(facts: pl.LazyFrame, linked: pl.DataFrame, ids: pl.DataFrame, owners: dict[str, str | None],
                 count: int) -> pl.LazyFrame:
    """``facts`` with the user and meal that linking gave the server lines that name none (as if
    written: a partition's correlation must not link them anew, see ``Known.linked``), and ``_part``, each line's
    partition: by the first 8 characters of its user's id (client lines: their file's owner)."""
    links = linked.filter(pl.col("kind").is_in(LINKED_KINDS)).select(
        "file", "line", _uid=pl.col("uid").cast(pl.String), _meal=pl.col("meal_id").cast(pl.String))
    full = pl.col("_uid").is_in(ids["user"].drop_nulls().cast(pl.String).unique().implode())
    named = pl.col("user").is_not_null() | pl.col("user_prefix").is_not_null()
    text = {c: pl.col(c).cast(pl.String) for c in ("user", "user_prefix", "meal")}
    rows = facts.join(links.lazy(), on=["file", "line"], how="left", maintain_order="left").with_columns(
        user=pl.when(~named & full).then(pl.col("_uid")).otherwise(text["user"]).cast(pl.Categorical),
        user_prefix=pl.when(~named & ~full).then(pl.col("_uid")).otherwise(text["user_prefix"]).cast(pl.Categorical),
        meal=pl.coalesce(pl.col("_meal"), text["meal"]).cast(pl.Categorical),
    ).drop("_uid", "_meal")
    table = pl.DataFrame({"file": list(owners), "owner": list(owners.values())}, schema={"file": pl.String, "owner": pl.String})
    key = pl.when(pl.col("stream") == "ios").then(mapped("file", table, "owner")).otherwise(
        pl.coalesce(pl.col("user"), pl.col("user_prefix")).cast(pl.String))
    return rows.with_columns(_part=(key.str.slice(0, 8).hash() % count).fill_null(0))
