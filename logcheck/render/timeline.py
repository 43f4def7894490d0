"""The merged timeline as text: time on the server clock, client column, server column, notes."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ..errors import UsageError

_CAP = 5000
_SHORT = {"client.pong_received": "pong", "client.connected": "connect", "server.connected": "connect",
          "server.registry_refreshed": "refresh", "server.ping_received": "ping", "client.closed": "close",
          "server.disconnected": "disconnect"}


def _around(text: str, events: pl.DataFrame) -> dt.datetime:
    value = text.strip().replace("Z", "+00:00")
    try:
        if len(value) <= 12 and ":" in value:
            day = events["ts_server"].drop_nulls().min()
            if day is None:
                raise UsageError("--around: the logs have no times")
            return dt.datetime.combine(day.date(), dt.time.fromisoformat(value))
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--around: {text!r} is not a time (write 10:07:51 or 2025-11-08T10:07:51Z)") from None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _cell(file: str, line: int, message: str, width: int) -> str:
    text = f"{Path(file).name}:{line} {message.strip()}"
    return text if len(text) <= width else text[: width - 1] + "…"


def timeline_text(incident, user: str | None = None, around: str | None = None, window_s: float = 60.0,
                  width: int = 60) -> str:
    """Client and server events side by side in server-clock order; decisions carry their cause."""
    ev = incident.events.filter(pl.col("kind").is_not_null() & pl.col("ts_server").is_not_null())
    if user:
        ev = ev.filter(pl.col("uid").cast(pl.String).str.starts_with(user.lower()))
        if not ev.height:
            raise UsageError(f"--user {user}: no events for that user")
    if around:
        centre = _around(around, ev)
        half = dt.timedelta(seconds=window_s)
        ev = ev.filter(pl.col("ts_server").is_between(centre - half, centre + half))
    notes = incident.decisions.select(
        "file", "line", note=pl.when(pl.col("outcome") == "sent").then(pl.lit("sent"))
        .otherwise(pl.col("cause")) + pl.when(pl.col("evidence_file").is_not_null()).then(
            pl.format(", {} s since last {} ({}:{})", pl.col("evidence_seconds").round(1),
                      pl.col("evidence_kind").cast(pl.String).replace(_SHORT),
                      pl.col("evidence_file").cast(pl.String).str.split("/").list.last(),
                      pl.col("evidence_line"))).otherwise(pl.lit("")))
    ev = ev.join(notes, on=["file", "line"], how="left").sort("ts_server", "stream", "file", "line")
    rows = [f"{'time (server clock)':23}  {'client':{width}}  | server"]
    for r in incident.lines(ev.head(_CAP)).iter_rows(named=True):
        cell = _cell(r["file"], r["line"], r["message"], width)
        left, right = (cell, "") if r["stream"] == "ios" else ("", cell)
        line = f"{r['ts_server'].isoformat(sep=' ', timespec='milliseconds')}  {left:{width}}  | {right}"
        if r["note"]:
            line += f"   << {r['note']}"
        rows.append(line.rstrip())
    if ev.height > _CAP:
        rows.append(f"... {ev.height - _CAP} more events: narrow with --user or --around")
    if ev.height == 0:
        rows.append("(no events in this selection)")
    return "\n".join(rows)
