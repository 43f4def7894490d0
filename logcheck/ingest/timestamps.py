"""Give every line a time, saying how it was known (``ts_quality``), vectorised per file.

- ``exact``: the envelope wrote a date and a time (zoned or not);
- ``embedded``: a line without envelope time (Xcode ``print``) carries ``at 2025-11-08 10:07:29 +0000``;
- ``date_inferred``: a time-only line (``10:07:29 - ...``) took its date from ``--date``, from a
  dated value in the same file (an embedded date, a ``Backend timestamp``) or from another file,
  rolling over midnight where the clock jumps back by more than six hours;
- ``inherited``: a line with no time took the previous line's;
- ``none``: nothing earlier to inherit from.
``ts`` is UTC where the line said its zone (``zoned``); otherwise it is the time as written, for
the alignment step to place.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from ..frames import scatter_rows

_ISO = r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\s?(Z|[+-]\d{2}:?\d{2})?$"
_EMBEDDED = r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-]\d{4})"
_ROLLOVER_S = 6 * 3600
# an envelope's time of day: HH:MM:SS with an optional fraction (ASCII digits only); format
# samples are checked against it, and a line's time is read only when it has it
TIME_SHAPE = r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?"
_US = "us"


def _zone(z: pl.Expr) -> pl.Expr:
    return z.str.replace("^Z$", "+0000").str.replace(":", "")


def _datetime(date: pl.Expr, time: pl.Expr, zone: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(naive UTC or as-written datetime, zoned flag) from date/time/zone strings."""
    base = date.str.replace_all("/", "-", literal=True) + " " + time.str.replace(",", ".", literal=True)
    zoned = (base + _zone(zone)).str.to_datetime("%Y-%m-%d %H:%M:%S%.f%z", strict=False, time_unit=_US)
    value = pl.when(zone.is_not_null()).then(zoned.dt.replace_time_zone(None)).otherwise(_naive(date, time))
    return value, zone.is_not_null()


def _naive(date: pl.Expr, time: pl.Expr) -> pl.Expr:
    """Date and time of day parsed apart and combined: twice as fast as one strptime of both."""
    day = pl.coalesce(date.str.to_date("%Y-%m-%d", strict=False), date.str.to_date("%Y/%m/%d", strict=False))
    return day.dt.combine(time_of_day(time), time_unit=_US)


def fraction_digits(time: pl.Expr) -> pl.Expr:
    """How many digits of a second an envelope's ``HH:MM:SS[.,fraction]`` (:data:`TIME_SHAPE`)
    wrote, from its length; null for whole seconds."""
    length = time.str.len_bytes().cast(pl.Int64)
    return pl.when(length > 9).then(length - 9)


def time_of_day(time: pl.Expr) -> pl.Expr:
    """An envelope's ``HH:MM:SS[.,fraction]`` (:data:`TIME_SHAPE`) as a time; null when a field is
    out of range or the text is not of that shape. strptime reads the first eight characters (it
    would also take a sign or blanks before a field: the shape rules them out); the fraction is
    read as an integer from its fixed place (strptime's ``%.f`` costs four times as much, and
    this runs on every line of a fleet)."""
    whole = time.str.slice(0, 8).str.to_time("%H:%M:%S", strict=False).cast(pl.Int64)    # nanoseconds
    digits = fraction_digits(time).fill_null(0).clip(0, 9)      # nanoseconds at most
    nanos = whole + time.str.slice(9, 9).cast(pl.Int64, strict=False).fill_null(0) * pl.lit(10).pow(9 - digits)
    # the shape a custom format's time group may still miss (its samples are checked, not its lines);
    # a leap second (:60) is the next minute's first, as strptime reads it, but not past midnight
    shaped = time.str.contains(f"^(?:{TIME_SHAPE})$")
    return pl.when(shaped & (nanos < 86_400 * 1_000_000_000)).then(nanos).cast(pl.Time)


def parse_iso(text: pl.Expr) -> pl.Expr:
    """Naive UTC datetime from an ISO-8601 string with a zone (``Backend timestamp``)."""
    g = text.str.extract_groups(_ISO)
    value, _ = _datetime(g.struct.field("1"), g.struct.field("2"), g.struct.field("3").fill_null("Z"))
    return value


def _stamp(stamp: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """JSON time values: ISO strings, epoch seconds (zap) or epoch microseconds (journald)."""
    g = stamp.str.extract_groups(_ISO)
    iso, zoned = _datetime(g.struct.field("1"), g.struct.field("2"), g.struct.field("3"))
    number = stamp.str.extract(r"^(\d+(?:\.\d+)?)$", 1).cast(pl.Float64, strict=False)
    micros = pl.when(number > 1e14).then(number).otherwise(number * 1e6).cast(pl.Int64)
    epoch = pl.from_epoch(micros, time_unit="us")
    return pl.coalesce(iso, epoch), pl.when(iso.is_not_null()).then(zoned).otherwise(number.is_not_null())


def anchor_date(frame: pl.DataFrame) -> dt.date | None:
    """The first date a file writes anywhere (envelope, JSON, embedded, Backend timestamp)."""
    dated = frame.select(_dated().drop_nulls().first()).item()
    return dated.date() if dated is not None else None


def anchor_dates(frame: pl.DataFrame, by: str) -> dict[int, dt.date]:
    """:func:`anchor_date` of each file of a batch told apart by ``by`` (files that write none left out)."""
    dated = frame.lazy().select(by, _a=_dated()).drop_nulls("_a")
    firsts = dated.group_by(by, maintain_order=True).first().collect()
    return {r[by]: r["_a"].date() for r in firsts.iter_rows(named=True)}


def _dated() -> pl.Expr:
    return pl.coalesce("_env", "_embedded", "server_ts")


def row_times(frame: pl.DataFrame, written: bool = True) -> pl.DataFrame:
    """Everything each line says of its own time; row by row, so it runs on chunks in parallel.

    Adds ``_env`` (the envelope's date and time, or the JSON stamp), ``_env_zoned``, ``_embedded``,
    ``_sec`` (the time of a time-only line), ``ts_digits`` and, with ``written``, ``ts_written``
    (a string per line: only for callers that keep it); drops the envelope's date/time/zone/stamp
    strings. (``server_ts`` comes later, from continuation lines.)
    """
    env, env_zoned = _datetime(pl.col("date"), pl.col("time"), pl.col("zone"))
    stamp, stamp_zoned = _stamp(pl.col("stamp"))
    time_only = pl.col("time").is_not_null() & pl.col("date").is_null()
    has = frame.select(stamp=pl.col("stamp").is_not_null().any(), time_only=time_only.any(),
                       zone=pl.col("zone").is_not_null().any()).row(0, named=True)
    if not has["zone"]:       # most files write no zone: skip the zoned parse entirely
        env, env_zoned = _naive(pl.col("date"), pl.col("time")), pl.lit(False)
    frame = frame.with_columns(
        _env=pl.when(time_only).then(None).otherwise(pl.coalesce(env, stamp) if has["stamp"] else env),
        _env_zoned=pl.when(pl.col("stamp").is_not_null()).then(stamp_zoned).otherwise(env_zoned),
        _sec=pl.when(time_only).then(time_of_day(pl.col("time")))
        if has["time_only"] else pl.lit(None, pl.Time),
    )
    frame = _embedded_dates(frame)
    # what a line without an envelope time wrote of it: its JSON stamp, else its embedded date
    embedded = frame.select(pl.col("_embedded").is_not_null().any()).item()
    timeless = pl.coalesce(pl.col("stamp"), pl.when(pl.col("_embedded").is_not_null()).then(
        pl.col("msg").str.extract(_EMBEDDED, 0))) if embedded else pl.col("stamp")
    if written:
        frame = frame.with_columns(ts_written=pl.coalesce(
            pl.col("stamp"),
            pl.concat_str([pl.col("date"), pl.col("time")], separator=" ") + pl.col("zone").fill_null(""),
            pl.col("time"),
            timeless,
        ))
    # how finely the line wrote its time (alignment allows for it); null: whole seconds.
    # An envelope's time is HH:MM:SS[.fff] (TIME_SHAPE): its length tells; others are searched.
    digits = fraction_digits(pl.col("time")).cast(pl.UInt8)
    if frame.select((pl.col("time").is_null() & (pl.col("stamp").is_not_null() | pl.col("_embedded").is_not_null())).any()).item():
        found = timeless.str.extract(r":\d{2}[.,](\d+)", 1).str.len_chars().cast(pl.UInt8)
        digits = pl.when(pl.col("time").is_not_null()).then(digits).otherwise(found)
    return frame.with_columns(ts_digits=digits).drop("date", "time", "zone", "stamp")


def assign(frame: pl.DataFrame, date: dt.date | None, fallback: dt.date | None) -> tuple[pl.DataFrame, str | None]:
    """Add ``ts``, ``ts_quality`` and ``zoned`` to one file's frame (after :func:`row_times`).

    Returns the frame and a warning when time-only lines found no date at all.
    """
    frame, warnings = assign_files(frame, date, fallback)
    return frame, warnings.get(0)


def assign_files(frame: pl.DataFrame, date: dt.date | None, fallback: dt.date | None
                 ) -> tuple[pl.DataFrame, dict[int, str]]:
    """:func:`assign` for a batch of files told apart by ``_src`` (each in line order), each as if
    alone: a fleet's hundred client logs in one pass each step, not a hundred. Without ``_src``,
    one file. Returns the frame and the warnings by ``_src`` (0 for the one file)."""
    by = "_src" if "_src" in frame.columns else None
    warnings: dict[int, str] = {}
    if frame.select(pl.col("_sec").is_not_null().any()).item():
        frame, warnings = _infer_dates(frame, by, date, fallback)
    else:
        frame = frame.with_columns(_inferred=pl.lit(None, pl.Datetime(_US)))

    def per_file(e: pl.Expr) -> pl.Expr:
        return e.over(by) if by else e

    ts = pl.coalesce(pl.col("_env"), pl.col("_inferred"), pl.col("_embedded"))
    quality = (
        pl.when(pl.col("_env").is_not_null()).then(pl.lit("exact"))
        .when(pl.col("_inferred").is_not_null()).then(pl.lit("date_inferred"))
        .when(pl.col("_embedded").is_not_null()).then(pl.lit("embedded"))
    )
    zoned = (
        pl.when(pl.col("_env").is_not_null()).then(pl.col("_env_zoned"))
        .when(pl.col("_inferred").is_not_null()).then(pl.lit(False))
        .when(pl.col("_embedded").is_not_null()).then(pl.lit(True))
    )
    frame = frame.with_columns(ts=ts, ts_quality=quality, zoned=zoned)
    known = pl.col("ts").is_not_null()
    frame = frame.with_columns(
        ts_quality=pl.when(known).then(pl.col("ts_quality"))
        .when(per_file(pl.col("ts").forward_fill()).is_not_null()).then(pl.lit("inherited"))
        .otherwise(pl.lit("none")),
        ts=per_file(pl.col("ts").forward_fill()),
        zoned=per_file(pl.col("zoned").forward_fill()).fill_null(False),
    )
    return frame.drop("_env", "_env_zoned", "_embedded", "_sec", "_inferred"), warnings


def _embedded_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """``at 2025-11-08 10:07:29 +0000`` in messages, looked for only where the envelope wrote no date."""
    undated = frame["_env"].is_null()
    rows = frame.select("msg").with_row_index("_row").filter(undated)     # most lines have a date: search the rest
    rows = rows.filter(pl.col("msg").str.contains(r"\d{4}-\d{2}-\d{2} \d{2}:").fill_null(False))
    if not rows.height:
        return frame.with_columns(_embedded=pl.lit(None, pl.Datetime(_US)))
    emb = pl.col("msg").str.extract_groups(_EMBEDDED)
    value, _ = _datetime(emb.struct.field("1"), emb.struct.field("2"), emb.struct.field("3"))
    return scatter_rows(frame, rows.select("_row", _embedded=value), ["_embedded"])


def _infer_dates(frame: pl.DataFrame, by: str | None, date: dt.date | None, fallback: dt.date | None
                 ) -> tuple[pl.DataFrame, dict[int, str]]:
    """Dates of time-only lines, per file (``by``; without it, one file, 0): a day is added where
    the clock jumps back. The time-only lines are worked out apart and their dates put back by row."""
    file = pl.col(by) if by else pl.lit(0, pl.UInt32)
    timed = frame.with_row_index("_row").filter(pl.col("_sec").is_not_null()).select(
        "_row", _f=file, _s=pl.col("_sec").cast(pl.Duration(_US)),     # time of day since midnight
        _a=pl.coalesce("_embedded", "server_ts"))
    back = (pl.col("_s").diff() < pl.duration(seconds=-_ROLLOVER_S)).fill_null(False).cast(pl.Int32)
    timed = timed.with_columns(_day=back.cum_sum().over("_f"))    # (the diff too is per file)
    bases = dict.fromkeys(timed["_f"].unique(maintain_order=True).to_list(), date if date else fallback)
    if date is None:    # a file's own first dated value wins over another file's
        for row in timed.drop_nulls("_a").group_by("_f", maintain_order=True).first().iter_rows(named=True):
            naive = dt.datetime.combine(row["_a"].date(), dt.time()) + row["_s"]
            shift = round((naive - row["_a"]).total_seconds() / 86400)  # nearest day to the anchor
            bases[row["_f"]] = row["_a"].date() - dt.timedelta(days=row["_day"] + shift)
    warnings = {f: "time-only lines and no date anywhere: give --date YYYY-MM-DD" for f, b in bases.items() if b is None}
    midnight = pl.col("_f").replace_strict({f: dt.datetime.combine(b, dt.time()) for f, b in bases.items() if b},
                                           default=None, return_dtype=pl.Datetime(_US))
    timed = timed.select("_row", _inferred=midnight + pl.col("_s") + pl.duration(days=pl.col("_day")))
    return scatter_rows(frame, timed, ["_inferred"]), warnings
