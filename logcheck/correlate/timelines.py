"""Per-user client timelines: ping/pong pairs with round trips, sessions, polling runs."""
from __future__ import annotations

import polars as pl

from ..packs import Pack

BURST_S = 0.5


def first_of_bursts(rows: pl.DataFrame, on: str = "ts_server", by: list[str] | None = None) -> pl.DataFrame:
    """One row per burst: builds log one ping (or pong, or delivery) as two lines at once.

    Lines less than ``BURST_S`` after the previous line of the same group are the same burst.
    """
    by = by or ["file"]
    rows = rows.sort(*by, on)
    prev = pl.col(on).shift(1).over(by)
    return rows.filter(prev.is_null() | ((pl.col(on) - prev).dt.total_microseconds() >= BURST_S * 1e6))


def server_times(events: pl.DataFrame) -> pl.DataFrame:
    """``file``, ``line`` and ``server_ts`` of the lines that carry the server clock's reading (a
    pong's ``Backend timestamp``): a few client lines, kept apart from the events table, where
    the column would be 8 bytes of nothing on every one of a fleet's millions of rows."""
    return events.lazy().filter(pl.col("server_ts").is_not_null()).select("file", "line", "server_ts").collect()


def server_ts_of(rows: pl.DataFrame, server_times: pl.DataFrame) -> pl.Series:
    """Each of ``rows``' (``file``, ``line``) server time from ``server_times``, null where it
    carries none. Looked up on the rows of the files that carry one (client logs) and put in
    place: a join of every row copies a fleet's selection whole (millions of backend rows)."""
    out = pl.repeat(None, rows.height, dtype=server_times.schema["server_ts"], eager=True).alias("server_ts")
    if not server_times.height or not rows.height:
        return out
    at = rows.select(pl.col("file").is_in(server_times["file"].unique().implode()).arg_true()).to_series()
    found = rows[at].select("file", "line").join(server_times, on=["file", "line"], how="left", maintain_order="left")
    return out.scatter(at, found["server_ts"])


def pings(events: pl.DataFrame, pack: Pack, server_times: pl.DataFrame) -> pl.DataFrame:
    """Client pings with their pong (within ``pong_timeout``) and round-trip time; a pong's
    server time (``backend_ts``) from ``server_times`` (see ``correlate.server_times``)."""
    timeout = pack.params.get("pong_timeout", 2.0)
    base = events.filter(pl.col("ts_server").is_not_null() & (pl.col("stream") == "ios"))
    sent = first_of_bursts(base.filter(pl.col("kind") == "client.ping_sent")).select("file", "uid", "line", "ts_server", "ts_res")
    pong = first_of_bursts(base.filter(pl.col("kind") == "client.pong_received")).select(
        "file", "line", pong_ts="ts_server")
    pong = pong.select("file", "pong_ts", pong_line="line", backend_ts=server_ts_of(pong, server_times))
    sent = sent.with_columns(_on=pl.col("ts_server")).sort("_on")
    pong = pong.with_columns(_on=pl.col("pong_ts")).sort("_on")
    out = sent.join_asof(pong, on="_on", by="file", strategy="forward",
                         tolerance=f"{int((timeout + 1) * 1e6)}us", check_sortedness=False).drop("_on")
    return out.with_columns(rtt_s=(pl.col("pong_ts") - pl.col("ts_server")).dt.total_microseconds() / 1e6).sort("file", "ts_server")


def sessions(events: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Client sessions: from a connect to a close, or to the file's last sign of life."""
    live = pack.model.liveness
    client = events.filter((pl.col("stream") == "ios") & pl.col("ts_server").is_not_null() & pl.col("kind").is_not_null())
    client = client.sort("file", "line").with_columns(
        _closed=pl.col("kind").is_in(list(live.gone)).cast(pl.Int32).cum_sum().over("file"))
    # a segment runs from one close to the next; its session starts at its first connect
    seg = client.with_columns(_seg=pl.col("_closed") - pl.col("kind").is_in(list(live.gone)).cast(pl.Int32))
    grouped = seg.group_by("file", "_seg").agg(
        uid=pl.col("uid").first(),
        start=pl.col("ts_server").filter(pl.col("kind") == "client.connected").min(),
        start_line=pl.col("line").filter(pl.col("kind") == "client.connected").min(),
        end=pl.col("ts_server").max(),
        end_line=pl.col("line").max(),
        end_kind=pl.col("kind").last(),
        pongs=(pl.col("kind") == "client.pong_received").sum(),
    ).filter(pl.col("start").is_not_null())
    return grouped.with_columns(
        ended=pl.when(pl.col("end_kind").is_in(list(live.gone))).then(pl.lit("closed")).otherwise(pl.lit("log ends")),
        duration_s=(pl.col("end") - pl.col("start")).dt.total_microseconds() / 1e6,
    ).drop("_seg").sort("file", "start")


def polling(events: pl.DataFrame) -> pl.DataFrame:
    """Per client file: polls, the span they cover, and polls per minute of client log."""
    client = events.filter((pl.col("stream") == "ios") & pl.col("ts_server").is_not_null())
    return client.group_by("file").agg(
        uid=pl.col("uid").first(),
        polls=(pl.col("kind") == "client.poll").sum(),
        minutes=(pl.col("ts_server").max() - pl.col("ts_server").min()).dt.total_microseconds() / 6e7,
    ).with_columns(polls_per_minute=pl.when(pl.col("minutes") > 0).then(pl.col("polls") / pl.col("minutes"))).sort("file")
