"""``verify --stream``: the users judged a partition at a time, for inputs larger than memory.

Ingest writes every parsed line, in the columns correlation reads, to temporary files on disk
(``ingest(spill=True)``). What needs every input is worked out first, on narrow selections: the
clock (client lines, and each file's first time), id prefixes, which user each client file
belongs to, and the user and meal of the server lines that name none (linked in file order).
Then the users are split into partitions by the first 8 characters of their id (a full id and
its prefix share them). Each partition is read back from disk, aligned, correlated and measured
on its own, and let go; the measures merge (see ``evaluate.tally``) and are judged once.

In memory at once: one partition's lines, the client logs, a span of the lines that link meals
(see :mod:`.stream_linking`: they too are linked a piece at a time, from disk), and what still
grows with the input: the decisions' JSON columns. Meal ids are text, not categories (see
``_CATEGORIES``). The README's Performance section has what each step holds, measured.
"""
from __future__ import annotations

import datetime as dt
import inspect
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from .align import apply_clock, estimate_clock, on_server_clock
from .api import CORRELATION_COLUMNS, in_window, kept_lines, load, settled
from .correlate import correlate
from .correlate.identity import Known, resolve, user_prefixes
from .correlate.linking import LINKED_KINDS
from .evaluate import Measured, Result, judge, measure, merge_measured
from .evaluate.rules import Context
from .frames import ahead, mapped, scatter_rows
from .ingest import LEAN_CATEGORIES, ingest, none_kept
from .ingest.spill import write_frame
from .packs import Pack
from .stream_linking import Linked, Linker

# meal ids stay text: polars keeps every category it has seen while any categorical data lives
# (here: all run long), and a fleet names more meals the longer it logs (0.1 GB after 10M lines)
_CATEGORIES = tuple(c for c in LEAN_CATEGORIES if c != "meal")
# lines of input per partition: a 10M-line fleet log and 100 client logs are read back in 6 (each about 2 million
# lines' worth of events in memory, not 10)
PARTITION_LINES = 2_000_000


def verify_stream(paths: list[str] | str, pack: str | Pack = "ws-registry", *, partitions: int | None = None,
                  command: str | None = None, **options: Any) -> Result:
    """:func:`logcheck.verify`'s result, the users evaluated ``partitions`` at a time (by default
    one partition per 2 million lines of input). ``options`` are :func:`logcheck.load`'s. The
    result has no ``incident`` (the tables the HTML report draws from are never whole)."""
    # load's signature is where the options are defined: bound to it, a misspelt one is a TypeError there too
    bound = inspect.signature(load).bind(paths, pack, **options)
    bound.apply_defaults()
    o = SimpleNamespace(**bound.arguments)
    pack, window = settled(pack, o.settings, o.since, o.until)
    progress, users = o.progress, o.users
    ingested = ingest(paths, pack, date=o.date, streams=o.streams, columns=CORRELATION_COLUMNS, categories=_CATEGORIES,
                      keep=none_kept, spill=True, progress=progress)
    try:
        inputs = ingested.inputs
        progress.stage("working out the clock and the ids", total=None)
        kept = kept_lines(pack, ingested.spans())
        whole, links = _whole(ahead(batch.filter(kept) for batch in ingested.batches()), ingested.table().filter(kept),
                              inputs, users, o.offsets, o.zones, window, ingested.spill.folder / "links")
        count = partitions or max(1, math.ceil(sum(s.lines for s in inputs) / PARTITION_LINES))
        progress.stage(f"writing the lines of {count} parts of the users", total=None)
        batches = ahead(batch.filter(kept) for batch in ingested.batches())
        folder = _write_parts(batches, whole, links, count, ingested.spill.folder / "parts")
        links.runs.remove()
        # parts with nobody in them are skipped; inputs without a line are still judged, once, on nothing
        parts = [w for w in (sorted(folder.glob(f"{p:04d}-*.parquet")) for p in range(count)) if w] or [[]]
        measured, warnings = [], []
        for p, written in enumerate(parts):
            progress.stage(f"correlating part {p + 1} of {len(parts)} of the users", total=None)
            lines = pl.concat([pl.read_parquet(f) for f in written]) if written else ingested.events.clear()
            for f in written:       # read once: the disk they take is let go part by part
                f.unlink()
            events = on_server_clock(lines, whole.clock)
            del lines
            c = correlate([events], pack, whole.clock, users, Known(meals=whole.meals, owners=whole.owners, linked=True),
                          backend_span=whole.span)
            del events
            warnings += c.warnings
            ctx = Context(pack, in_window(c.events, window), in_window(c.decisions, window), in_window(c.meals, window),
                          in_window(c.pings, window), whole.clock, c.server_times, backend_end=whole.end)
            measured.append(_decisions_to_disk(measure(ctx).kept(), ingested.spill.folder / f"decisions-{p:04d}.parquet"))
            del c, ctx
        # in the order one pass gives them: prefixes (by prefix), then meals, then client files
        warnings = [f"{s.path}: {w}" for s in inputs for w in s.warnings] + sorted(warnings) + whole.warnings
        progress.close()
        merged = merge_measured(measured)
        measured.clear()
        written = sorted(ingested.spill.folder.glob("decisions-*.parquet"))
        if written:     # read back for judging: the parts' lines and linking are gone from memory and disk
            merged.decisions = pl.read_parquet(written)
        return judge(merged, pack, inputs, whole.clock, warnings, ingested.texts, window=window, command=command)
    finally:
        ingested.close()


def _decisions_to_disk(measured: Measured, path: Path) -> Measured:
    """``measured`` without its decisions, written to ``path`` (a fleet's parts' decisions,
    held until judged, rose to 3 GB at 260 million lines)."""
    if measured.decisions.height:
        write_frame(measured.decisions, path, "decisions to disk", parquet=True)
    measured.decisions = measured.decisions.clear()
    return measured


@dataclass
class _Whole:
    """What needs every input, worked out once before the parts."""

    clock: pl.DataFrame
    span: tuple                         # the first and last backend time (server clock)
    end: dt.datetime | None             # the last backend time in the window
    ids: pl.DataFrame                   # every user id and prefix as written
    meals: pl.DataFrame                 # meal prefix -> full id, of prefixes lines not linked name (see _whole)
    owners: dict[str, str | None]       # client file -> its user
    warnings: list[str]                 # of meals and client files


def _whole(batches: Iterator[pl.DataFrame], facts: pl.LazyFrame, inputs: list, users: dict[str, str] | None,
           offsets: dict[str, str] | None, zones: dict[str, str] | None, window: tuple, folder: Path
           ) -> tuple[_Whole, Linked]:
    """Worked out from the lines correlation reads: ``batches`` of them, in the order the parts
    will be written in, or ``facts``, the same lines as one query (for the window's end).
    A chunk at a time: polars queries run side by side (collect_all) held 0.4 GB more at 10M.
    Also the linked server lines' users and meals, in that order (see :mod:`.stream_linking`,
    which keeps them in ``folder``)."""
    client, unlinked, files, bounds, ids = [], [], [], [], None
    linker = Linker(folder)
    backend = (pl.col("stream") == "backend") & pl.col("ts").is_not_null()
    for batch in batches:
        client.append(batch.filter(pl.col("stream") == "ios"))
        linker.add(batch.filter(_LINKING).select(_LINK_COLUMNS))
        named = batch.select("user", "user_prefix").unique()
        # as it goes: every batch names most of a fleet's users again
        ids = named if ids is None else pl.concat([ids, named]).unique()
        unlinked.append(batch.filter(~_LINKING).select("meal").drop_nulls().unique())
        files.append(batch.group_by("file").agg(stream=pl.col("stream").first(), ts=pl.col("ts").min(),
                                                zoned=pl.col("zoned").all()))
        bounds.append(batch.filter(backend).group_by("file", "zoned").agg(lo=pl.col("ts").min(), hi=pl.col("ts").max()))
    client = pl.concat(client)
    unlinked = pl.concat(unlinked)["meal"].unique()
    files = pl.concat(files).group_by("file").agg(pl.col("stream").first(), pl.col("ts").min(), pl.col("zoned").all())
    bounds = pl.concat(bounds).group_by("file", "zoned").agg(pl.col("lo").min(), pl.col("hi").max())
    clock = estimate_clock(_clock_rows(files, client, [s.path for s in inputs]), offsets, zones)
    span, end = _backend_times(facts, bounds, clock, window)
    user_table, _ = user_prefixes(ids)     # each part warns of its own
    submitted = client.filter(pl.col("kind") == "client.meal_submitted")["meal"]
    links = linker.finish(user_table, unlinked, submitted)
    # the parts need the prefixes of the lines not linked only: linked lines carry their full ids (0.1 GB at 30M)
    meal_table = pl.concat(links.meals) if links.meals else pl.DataFrame(schema={"prefix": pl.String, "resolved": pl.String})
    # which user each client file is: from its lines and the processing of the meals it submitted
    owned = resolve(pl.concat([client.select(_LINK_COLUMNS), *(p.select(_LINK_COLUMNS) for p in links.processing)]),
                    users, Known(users=user_table, meals=meal_table, linked=True))
    return _Whole(clock, span, end, ids, meal_table, owned.files, links.warnings + owned.warnings), links


_LINK_COLUMNS = ("file", "line", "ts", "stream", "kind", "user", "user_prefix", "meal")
_LINKING = pl.col("kind").is_in(LINKED_KINDS) & (pl.col("stream") != "ios")


def _clock_rows(files: pl.DataFrame, client: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """What :func:`estimate_clock` reads of the events: the client lines, and for every file one
    line with its first time, its stream and whether all its lines are zoned (``files``), in
    input order."""
    rank = pl.DataFrame({"file": order, "_at": range(len(order))}).unique("file", keep="first")
    files = files.with_columns(mapped("file", rank, "_at")).sort("_at").drop("_at")
    return pl.concat([files.with_columns(server_ts=pl.lit(None, pl.Datetime("us"))),
                      client.select(files.columns + ["server_ts"])], how="vertical_relaxed")


def _backend_times(facts: pl.LazyFrame, bounds: pl.DataFrame, clock: pl.DataFrame, window: tuple
                   ) -> tuple[tuple, dt.datetime | None]:
    """The first and last backend time on the server clock, and the last in the window (where
    obligations become pending); ``bounds``: each backend file's first and last time as written,
    for its zoned and its zoneless lines."""
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
    backend = facts.filter((pl.col("stream") == "backend") & pl.col("ts").is_not_null())
    end = backend.join(shift.lazy(), on=["file", "zoned"]).filter(*inside).select(t.max()).collect(engine="streaming").item()
    return (lo, hi), end


def _write_parts(batches: Iterator[pl.DataFrame], whole: _Whole, links: Linked, count: int, folder: Path) -> Path:
    """Each part's lines to its own files in ``folder``, in their order, a batch of lines at a time.

    Lines get the user and meal that linking gave them (as if written: a part's correlation must
    not link them anew, see ``Known.linked``), then their part: by the first 8 characters of their
    user's id (client lines: their file's owner's). ``links`` gives the linked lines in the
    batches' order, so each batch takes the next of them by position, not by a join (a join
    keeping order holds the whole table; so does polars' partitioned sink, a buffer per part; and
    its streamed batches pile up when they come faster than they are written)."""
    folder.mkdir()
    full = pl.col("_uid").is_in(whole.ids["user"].drop_nulls().unique().cast(pl.Categorical).implode())
    named = pl.col("user").is_not_null() | pl.col("user_prefix").is_not_null()
    given = [pl.when(~named & full).then(pl.col("_uid")).otherwise(pl.col("user")).alias("user"),
             pl.when(~named & ~full).then(pl.col("_uid")).otherwise(pl.col("user_prefix")).alias("user_prefix"),
             pl.coalesce(pl.col("_meal"), pl.col("meal")).alias("meal")]
    owners = whole.owners
    table = pl.DataFrame({"file": list(owners), "owner": list(owners.values())}, schema={"file": pl.String, "owner": pl.String})
    key = pl.when(pl.col("stream") == "ios").then(mapped("file", table, "owner")).otherwise(
        pl.coalesce(pl.col("user"), pl.col("user_prefix")).cast(pl.String))
    for k, batch in enumerate(batches):
        at = batch.select(_LINKING.arg_true()).to_series()
        mine = links.take(at.len()).with_columns(_row=at)
        if not mine["line"].equals(batch["line"].gather(at)):       # the two reads of the lines disagree
            raise RuntimeError("verify --stream: the linked lines are not in the order of the lines read back")
        batch = scatter_rows(batch, mine, ["_uid", "_meal"]).with_columns(given).drop("_uid", "_meal")
        batch = batch.with_columns(_part=(key.str.slice(0, 8).hash() % count).fill_null(0))
        for (p,), piece in batch.partition_by("_part", as_dict=True, include_key=False).items():
            # parquet: a file holds the ids it uses (an Arrow file, every id seen so far)
            write_frame(piece, folder / f"{p:04d}-{k:06d}.parquet", "lines to disk", parquet=True)
    return folder
