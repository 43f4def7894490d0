"""Align: put every line on the server's clock.

Each client ``Pong received`` with its ``Backend timestamp`` is one sample of
``device_time - server_time`` (bounded by the round trip). A client file's offset is the median
of its samples; the whole-hour part is reported as a time zone, the rest as skew, with the
sample count, spread (interquartile range) and uncertainty (half the spread plus half a second
for each side written to whole seconds): every tolerance on client times widens by it. ``--offset FILE=SECONDS`` overrides the estimate;
without samples the offset is *assumed*: zero, or the zone given with ``--tz FILE=ZONE``.
Backend files are the reference clock; their zoneless times are taken as UTC unless ``--tz``
says otherwise, and the clock table says so.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from .errors import UsageError
from .frames import mapped

CLOCK_SCHEMA = {
    "file": pl.String, "stream": pl.String, "offset_seconds": pl.Float64, "samples": pl.UInt32,
    "spread_seconds": pl.Float64, "uncertainty_seconds": pl.Float64, "method": pl.String, "zone_hours": pl.Float64,
    "skew_seconds": pl.Float64, "note": pl.String,
}


def estimate_clock(events: pl.DataFrame, offsets: dict[str, str] | None = None,
                   zones: dict[str, str] | None = None) -> pl.DataFrame:
    """One row per file: its offset to the server clock and how it was found."""
    offsets = _by_file(events, offsets or {}, "--offset")
    zones = _by_file(events, zones or {}, "--tz")
    pongs = events.filter(pl.col("stream").eq("ios") & pl.col("server_ts").is_not_null() & pl.col("ts").is_not_null())
    samples = pongs.group_by("file").agg(
        offset=((pl.col("ts") - pl.col("server_ts")).dt.total_microseconds() / 1e6).median(),
        q25=((pl.col("ts") - pl.col("server_ts")).dt.total_microseconds() / 1e6).quantile(0.25),
        q75=((pl.col("ts") - pl.col("server_ts")).dt.total_microseconds() / 1e6).quantile(0.75),
        n=pl.len(),
        zoned=pl.col("zoned").all(),
        # whole-second stamps on either side make each sample uncertain by up to a second
        res=(pl.col("ts").dt.microsecond() == 0).all().cast(pl.Float64) + (pl.col("server_ts").dt.microsecond() == 0).all().cast(pl.Float64),
    )
    measured = {r["file"]: r for r in samples.iter_rows(named=True)}
    files = events.group_by("file", maintain_order=True).agg(
        stream=pl.col("stream").first(), first=pl.col("ts").min(), zoned=pl.col("zoned").all())
    rows = []
    for f in files.iter_rows(named=True):
        name, stream = f["file"], f["stream"]
        row = {"file": name, "stream": stream, "samples": 0, "spread_seconds": None, "uncertainty_seconds": 0.0, "note": None}
        if name in offsets:
            row.update(offset_seconds=_seconds(offsets[name]), method="override")
        elif stream == "ios" and name in measured:
            m = measured[name]
            spread = round(m["q75"] - m["q25"], 6)
            row.update(offset_seconds=round(m["offset"], 6), samples=m["n"], spread_seconds=spread, method="measured",
                       uncertainty_seconds=round(spread / 2 + m["res"] / 2, 6))
        elif name in zones:
            row.update(offset_seconds=_zone_offset(zones[name], f["first"]), method="assumed",
                       note=f"zone {zones[name]} given with --tz")
        elif stream == "ios":
            row.update(offset_seconds=0.0, method="assumed",
                       note="no pong with a Backend timestamp: alignment assumed, not measured")
        else:
            row.update(offset_seconds=0.0, method="reference",
                       note=None if f["zoned"] else "zoneless times taken as UTC")
        zone = round(row["offset_seconds"] / 3600)
        row.update(zone_hours=float(zone), skew_seconds=round(row["offset_seconds"] - zone * 3600, 6))
        rows.append(row)
    return pl.DataFrame(rows, schema=CLOCK_SCHEMA)


def apply_clock(events: pl.DataFrame, clock: pl.DataFrame) -> pl.DataFrame:
    """Add ``ts_server`` (the line's time on the server clock) and ``ts_res`` (its resolution, s).

    A zoned line in a client file whose offset was measured on zoneless lines only moves by
    the skew: its zone is already accounted for.
    """
    measured_zoneless = events.filter(pl.col("server_ts").is_not_null()).group_by("file").agg(
        _sample_zoned=pl.col("zoned").all())
    frame = events.with_columns(mapped("file", clock, "offset_seconds"), mapped("file", clock, "skew_seconds"),
                                mapped("file", measured_zoneless, "_sample_zoned"))
    shift = (
        pl.when(pl.col("zoned") & pl.col("_sample_zoned").not_().fill_null(False)).then(pl.col("skew_seconds"))
        .otherwise(pl.col("offset_seconds")).fill_null(0.0)
    )
    fraction = pl.col("ts_digits")
    written = pl.when(fraction.is_null()).then(1.0).otherwise(pl.lit(10.0).pow(-fraction.cast(pl.Float64)))
    # an inherited time is an interval: from the line it came from to the next timed line
    # (to the end of that line's own interval)
    inherited = pl.col("ts_quality") == "inherited"
    gap = (next_timed("ts") - pl.col("ts")).dt.total_microseconds() / 1e6 + next_timed("_written")
    frame = frame.with_columns(_written=written)
    return frame.with_columns(
        ts_server=pl.col("ts") - pl.duration(microseconds=(shift * 1e6).round().cast(pl.Int64)),
        ts_res=pl.when(inherited).then(pl.max_horizontal(gap.fill_null(1.0), pl.lit(1.0))).otherwise(pl.col("_written")),
    ).drop("offset_seconds", "skew_seconds", "_sample_zoned", "_written")


def on_server_clock(events: pl.DataFrame, clock: pl.DataFrame) -> pl.DataFrame:
    """:func:`apply_clock`; the columns only the clock reads go (a byte and a bit a row). A
    line's clock uncertainty is its file's: :func:`uncertainty`, where it is read."""
    return apply_clock(events, clock).drop("ts_digits", "zoned")


def uncertainty(clock: pl.DataFrame, file: str = "file") -> pl.Expr:
    """The clock uncertainty (seconds) of the file named in column ``file``, 0 where the clock has
    none. Looked up on the rows that read it: a float on every event is 53 MB at 10M lines."""
    return mapped("file", clock, "uncertainty_seconds", "ts_unc", on=file).fill_null(0.0)


def next_timed(column: str) -> pl.Expr:
    """``column`` of the next line of the same file with a time of its own (over a frame in file
    and line order): where a line with an inherited time is known to have happened by."""
    return pl.when(pl.col("ts_quality") != "inherited").then(pl.col(column)).backward_fill().shift(-1).over("file")


def _by_file(events: pl.DataFrame, given: dict[str, str], flag: str) -> dict[str, str]:
    """Match ``FILE=...`` keys to input files by path, resolved path or file name."""
    names = events["file"].unique().to_list()
    out = {}
    for key, value in given.items():
        hits = [n for n in names if n == key or Path(n).resolve() == Path(key).resolve() or Path(n).name == key]
        if len(hits) != 1:
            what = "matches no input" if not hits else f"matches {len(hits)} inputs"
            raise UsageError(f"{flag} {key}={value}: {key} {what}")
        out[hits[0]] = value
    return out


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"--offset: {value!r} is not a number of seconds") from None


def _zone_offset(zone: str, when: dt.datetime | None) -> float:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: unknown time zone {zone!r} (use a name such as America/Los_Angeles)") from None
    local = (when or dt.datetime(2000, 1, 1)).replace(tzinfo=tz)
    return local.utcoffset().total_seconds()
