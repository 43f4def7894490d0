"""``verify --stream``'s linking of server meal lines (see ``correlate.linking``), a piece at a
time: no table of all of them is held (at 260 million lines that table was 6 GB).

The lines that link (processing, completion and decision lines) are written to disk as they are
read, by minute and by meal (:class:`Runs`). Then:

1. the meals, a range of them at a time (by their ids' first 8 characters, which a prefix shares
   with its full id): prefixes resolved, and each completion's meal owner (``meal_owners``);
2. the lines, a span of minutes at a time in time order: linked given the tail of the ones before
   and the first 5 s of the ones after (all a completion's forward link may read);
3. each line's user and meal written by its number, read back in that order (:class:`Linked`).

It gives what linking every line at once gives: ``tests/test_stream.py`` checks it on spans of
one minute.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .correlate.identity import meal_prefixes, with_ids
from .correlate.linking import FOLLOWS, PROCESSING, link, meal_owners
from .ingest.spill import write_frame

# rows of lines held at once at each step (written, read back, linked): about 0.1 GB
ROWS = 1_000_000
# meal ids are spread over this many ranges by their first 8 characters (as evenly as a hash does)
SLOTS = 256
_EPOCH = dt.datetime(1970, 1, 1)
_NO_TIME = -(2 ** 62)       # the minute of lines without a time: linked to nothing, first
_MINUTE = ((pl.col("ts") - _EPOCH).dt.total_minutes()).fill_null(_NO_TIME)
_RESOLVED = pl.DataFrame(schema={"prefix": pl.String, "resolved": pl.String})     # no prefix to resolve


@dataclass
class Runs:
    """Rows written to disk a piece at a time, each piece sorted by an integer column ``key``:
    read back a range of keys at a time, from every piece (each piece's rows in that range are
    one slice of its file)."""

    folder: Path
    key: str
    index: list[pl.DataFrame] = field(default_factory=list)     # per piece: key, start, len
    schema: pl.Schema | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True)

    def write(self, frame: pl.DataFrame) -> None:
        self.schema = frame.schema      # (what an empty read has)
        if not frame.height:
            return
        frame = frame.sort(self.key, maintain_order=True)
        # in batches, so that a slice of the file is read alone (see :meth:`read`)
        write_frame(frame, self.folder / f"{len(self.index):06d}.arrow", "lines to disk", record_batch_size=65_536)
        counts = frame.group_by(self.key, maintain_order=True).len()
        self.index.append(counts.with_columns(start=pl.col("len").cum_sum() - pl.col("len")))

    def remove(self) -> None:
        """Let the files go (at 260 million lines, each kind of run is 0.2-2.7 GB of disk)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.index = []

    def counts(self) -> pl.DataFrame:
        """``key`` and ``len``: how many rows each key has, in key order."""
        if not self.index:
            return pl.DataFrame(schema={self.key: pl.Int64, "len": pl.UInt32})
        return pl.concat(self.index).group_by(self.key).agg(pl.col("len").sum()).sort(self.key)

    def read(self, lo: int, hi: int) -> pl.DataFrame:
        """The rows whose key is from ``lo`` to ``hi``, piece by piece, each in written order."""
        slices = []
        for piece, index in enumerate(self.index):
            mine = index.filter(pl.col(self.key).is_between(lo, hi))
            if mine.height:
                start, end = mine["start"].min(), (mine["start"] + mine["len"]).max()
                slices.append(pl.scan_ipc(self.folder / f"{piece:06d}.arrow").slice(start, end - start))
        return pl.concat(slices).collect() if slices else pl.DataFrame(schema=self.schema)


def spans(counts: pl.DataFrame, key: str, rows: int) -> list[tuple[int, int]]:
    """Ranges of consecutive keys with about ``rows`` rows each (a key's rows are never split):
    keys go to the range their first row's position falls in."""
    start = pl.col("len").cast(pl.Int64).cum_sum() - pl.col("len")
    ranges = counts.group_by(start // rows, maintain_order=True).agg(lo=pl.col(key).min(), hi=pl.col(key).max())
    return list(ranges.select("lo", "hi").iter_rows())


def _slot(meal: pl.Expr) -> pl.Expr:
    return (meal.str.slice(0, 8).hash() % SLOTS).cast(pl.Int64)


class Linker:
    """Takes the lines that link as they are read (:meth:`add`), then links them (:meth:`finish`)."""

    def __init__(self, folder: Path) -> None:
        self.lines = Runs(folder / "lines", "_minute")      # every line that links, by minute
        self.meals = Runs(folder / "meals", "_slot")        # those that name a meal, by meal
        self.folder, self.pending, self.count = folder, [], 0

    def add(self, lines: pl.DataFrame) -> None:
        """The next lines that link (``file``, ``line``, ``ts``, ``stream``, ``kind``, ``user``,
        ``user_prefix``, ``meal``), in the order the parts' writer will read them."""
        self.pending.append(lines.with_columns(_row=pl.int_range(self.count, self.count + lines.height, dtype=pl.Int64),
                                               _minute=_MINUTE))
        self.count += lines.height
        if sum(p.height for p in self.pending) >= ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            lines = pl.concat(self.pending)
            self.pending = []
            self.meals.write(lines.filter(pl.col("meal").is_not_null()).with_columns(_slot=_slot(pl.col("meal"))))
            self.lines.write(lines)

    def finish(self, users: pl.DataFrame, unlinked: pl.Series, submitted: pl.Series) -> Linked:
        """Link the lines taken. ``users``: user prefix -> full id; ``unlinked``: the meal ids of
        the other lines (resolved with these); ``submitted``: the meal ids client logs submitted
        (their processing lines are kept: see :attr:`Linked.processing`)."""
        self._flush()
        fixes = Runs(self.folder / "fixes", "_minute")
        linked = Linked(Runs(self.folder / "linked", "_chunk"))
        candidates = unlinked.to_frame("meal").with_columns(_slot=_slot(pl.col("meal")))
        keys = submitted.drop_nulls().str.slice(0, 8).unique().implode()
        counts = pl.concat([self.meals.counts(), candidates.group_by("_slot").len()], how="vertical_relaxed")
        for lo, hi in spans(counts.group_by("_slot").agg(pl.col("len").sum()).sort("_slot"), "_slot", ROWS):
            mine = self.meals.read(lo, hi)
            named = candidates.filter(pl.col("_slot").is_between(lo, hi))["meal"]
            table, warnings = meal_prefixes(mine["meal"], named)
            linked.warnings += warnings
            linked.meals.append(table.filter(pl.col("prefix").is_in(named.implode())))
            if not mine.height:
                continue
            mine = with_ids(mine, users, table)
            linked.processing.append(mine.filter((pl.col("kind") == PROCESSING) & pl.col("meal_id").str.slice(0, 8).is_in(keys))
                                     .with_columns(meal=pl.col("meal_id")).drop("uid", "meal_id", "_row", "_minute", "_slot"))
            owners = meal_owners(mine.filter(pl.col("ts").is_not_null()))
            fixes.write(mine.join(owners, on="_row", how="left").filter(
                pl.col("m_uid").is_not_null() | (pl.col("meal_id") != pl.col("meal"))).select("_row", "_minute", "meal_id", "m_uid"))
        self.meals.remove()
        self._link(users, fixes, linked.runs)
        self.lines.remove()
        fixes.remove()
        linked.count = self.count
        linked.warnings.sort()
        return linked

    def _link(self, users: pl.DataFrame, fixes: Runs, out: Runs) -> None:
        """Step 2: the lines linked a span of minutes at a time, in time order. Lines without a
        time are linked to nothing: only their ids are resolved."""
        undated = _fixed(self.lines.read(_NO_TIME, _NO_TIME), fixes.read(_NO_TIME, _NO_TIME), users)
        out.write(_chunked(undated.select("_row", "line", _uid="uid", _meal="meal_id")))
        tail = None
        for lo, hi in spans(self.lines.counts().filter(pl.col("_minute") != _NO_TIME), "_minute", ROWS):
            lines = _fixed(self.lines.read(lo, hi), fixes.read(lo, hi), users)
            until = _EPOCH + dt.timedelta(minutes=hi + 1)
            # the first seconds after the span: the decisions its last completions may be linked to
            head = self.lines.read(hi + 1, hi + 1).filter(pl.col("ts") < until + FOLLOWS)
            rows = pl.concat([lines, _fixed(head, fixes.read(hi + 1, hi + 1), users)], how="vertical_relaxed")
            put, tail = link(rows.select("_row", "file", "ts", "kind", "uid", "meal_id"),
                             rows.select("_row", "m_uid").drop_nulls(), tail, until)
            lines = lines.join(put, on="_row", how="left", suffix="_linked").select(
                "_row", "line", _uid=pl.coalesce("uid_linked", "uid"), _meal=pl.coalesce("meal_id_linked", "meal_id"))
            out.write(_chunked(lines))


def _fixed(lines: pl.DataFrame, fixes: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """``lines`` with ``uid``, ``meal_id`` (resolved: step 1's) and ``m_uid`` (their meal's owner)."""
    lines = with_ids(lines, users, _RESOLVED)       # meal prefixes: resolved in step 1, given in ``fixes``
    if not fixes.height:
        return lines.with_columns(m_uid=pl.lit(None, lines["uid"].dtype))
    lines = lines.join(fixes.drop("_minute"), on="_row", how="left", maintain_order="left", suffix="_fixed")
    return lines.with_columns(meal_id=pl.coalesce("meal_id_fixed", "meal_id")).drop("meal_id_fixed")


def _chunked(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.with_columns(_chunk=pl.col("_row") // ROWS)


@dataclass
class Linked:
    """The linked lines' users and meals, by number; and what step 1 found on the way."""

    runs: Runs
    meals: list[pl.DataFrame] = field(default_factory=list)        # meal prefix -> full id, of prefixes other lines name
    processing: list[pl.DataFrame] = field(default_factory=list)   # processing lines of meals client logs submitted
    warnings: list[str] = field(default_factory=list)              # of meal prefixes
    count: int = 0                                                  # lines linked
    _have: pl.DataFrame | None = None
    _next: int = 0                                                  # the next chunk to read

    def take(self, count: int) -> pl.DataFrame:
        """The next ``count`` lines' ``line``, ``_uid`` and ``_meal``, in number order."""
        if self._have is None:
            self._have = pl.DataFrame(schema={"line": pl.UInt32, "_uid": pl.Categorical, "_meal": pl.String})
        while self._have.height < count:
            if self._next * ROWS >= self.count:
                raise RuntimeError("verify --stream: more lines read back than were linked")
            chunk = self.runs.read(self._next, self._next).sort("_row").drop("_chunk", "_row")
            self._next += 1
            self._have = pl.concat([self._have, chunk], how="vertical_relaxed")
        out, self._have = self._have.head(count), self._have.slice(count)
        return out
