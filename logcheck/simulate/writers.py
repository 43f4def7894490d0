"""Render abstract events as log text in the envelopes logcheck reads, and damage it on request."""
from __future__ import annotations

import datetime as dt
import json
import random

from .model import Event

IOS_FORMATS = ("time-only", "xcode", "logshow", "logshow-compact", "ndjson")
BACKEND_FORMATS = ("go-log-prefix", "go-log", "time-only", "json", "fly", "kubectl", "journald", "docker", "logfmt")


def _ts(start: dt.datetime, t: float) -> dt.datetime:
    return start + dt.timedelta(seconds=t)


def _zone(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    minutes = int(round(abs(hours) * 60))
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def ios_lines(events: list[Event], fmt: str, start: dt.datetime, skew: float, tz_hours: float) -> list[str]:
    """One user's client log. ``skew``: device clock error (s); ``tz_hours``: the device's zone."""
    out: list[str] = []
    if fmt == "logshow":
        out += ['Filtering the log data using "subsystem == \\"com.fitiq.app\\""',
                "Timestamp                       Thread     Type        Activity             PID    TTL  "]
    if fmt == "logshow-compact":
        out += ["Timestamp               Ty Process[PID:TID]"]
    for e in events:
        device = _ts(start, e.t + skew)                      # what the device clock says, in UTC
        local = device + dt.timedelta(hours=tz_hours)        # as printed in its zone
        msg = e.msg + (f" at {device:%Y-%m-%d %H:%M:%S} +0000" if e.embeds_date and fmt != "time-only" else "")
        body = f"{e.component}: {msg}"
        if fmt == "time-only":
            out.append(f"{local:%H:%M:%S} - {body}")
            if e.continuation:
                out.append(f"{local:%H:%M:%S} - {e.component}: {e.continuation}")
            continue
        if fmt == "xcode":
            # print() lines carry no time; os_log lines (launch, connect, close, polls) carry a zoned
            # timestamp, so a session's log is dated from its first line
            if any(w in e.msg for w in ("Loading meals", "Connect", "closed", "Polling for updates")):
                out.append(f"{local:%Y-%m-%d %H:%M:%S.%f}{_zone(tz_hours)} FitIQ[812:2a4f1c] {body}")
            else:
                out.append(body)
        elif fmt == "logshow":
            out.append(f"{local:%Y-%m-%d %H:%M:%S.%f}{_zone(tz_hours)} 0x2a4f1c   Default     0x0                  812    0    "
                       f"FitIQ: [com.fitiq.app:websocket] {body}")
        elif fmt == "logshow-compact":
            out.append(f"{local:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" Df FitIQ[812:2a4f1c] [com.fitiq.app:websocket] {body}")
        elif fmt == "ndjson":
            out.append(json.dumps({"timestamp": f"{local:%Y-%m-%d %H:%M:%S.%f}{_zone(tz_hours)}", "messageType": "Default",
                                   "subsystem": "com.fitiq.app", "category": "websocket", "processID": 812,
                                   "eventMessage": body}, ensure_ascii=False))
        else:
            raise ValueError(f"unknown iOS format {fmt!r}; use one of {', '.join(IOS_FORMATS)}")
        if e.continuation:
            if fmt == "ndjson":
                out.append(json.dumps({"timestamp": f"{local:%Y-%m-%d %H:%M:%S.%f}{_zone(tz_hours)}", "messageType": "Default",
                                       "subsystem": "com.fitiq.app", "eventMessage": e.continuation}, ensure_ascii=False))
            else:
                out.append(e.continuation)
    return out


def backend_lines(events: list[Event], fmt: str, start: dt.datetime, users: dict[int, str]) -> list[str]:
    """The backend log (server clock, UTC)."""
    out: list[str] = []
    for e in events:
        t = _ts(start, e.t)
        go = f"{t:%Y/%m/%d %H:%M:%S}"
        if fmt == "go-log-prefix":
            out.append(f"[{e.component}] {go} {e.msg}")
        elif fmt == "go-log":
            out.append(f"{go} [{e.component}] {e.msg}")
        elif fmt == "time-only":
            out.append(f"{t:%H:%M:%S} - [{e.component}] {e.msg}")
        elif fmt == "json":
            out.append(json.dumps({"time": f"{t:%Y-%m-%dT%H:%M:%S.%f}Z", "level": "INFO", "component": e.component,
                                   "msg": e.msg, "user_id": users[e.user]}, ensure_ascii=False))
        elif fmt == "fly":
            out.append(f"{t:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + f"Z app[3d8d9e6b] iad [info] [{e.component}] {go} {e.msg}")
        elif fmt == "kubectl":
            out.append(f"{t:%Y-%m-%dT%H:%M:%S.%f}000Z [{e.component}] {go} {e.msg}")
        elif fmt == "journald":
            out.append(f"{t:%Y-%m-%dT%H:%M:%S}+0000 api-1 mealsvc[812]: [{e.component}] {go} {e.msg}")
        elif fmt == "docker":
            out.append(json.dumps({"log": f"[{e.component}] {go} {e.msg}\n", "stream": "stderr",
                                   "time": f"{t:%Y-%m-%dT%H:%M:%S.%f}000Z"}, ensure_ascii=False))
        elif fmt == "logfmt":
            text = f"[{e.component}] {e.msg}".replace('"', '\\"')
            out.append(f'time="{t:%Y-%m-%dT%H:%M:%S}Z" level=info msg="{text}" user={users[e.user][:8]}')
        else:
            raise ValueError(f"unknown backend format {fmt!r}; use one of {', '.join(BACKEND_FORMATS)}")
    return out


def damage(lines: list[str], rng: random.Random) -> bytes:
    """Pasted-through-a-Mac damage: Mac Roman mojibake on emoji lines, CRLF, a NUL, a bad byte,
    and a truncated last line. Every line stays countable."""
    out = []
    for line in lines:
        raw = line.encode("utf-8")
        if any(ord(c) > 0x2000 for c in line) and rng.random() < 0.6:
            raw = raw.decode("mac_roman").encode("utf-8")
        out.append(raw)
    if len(out) > 4:
        i = rng.randrange(1, len(out) - 1)
        out[i] = out[i] + b"\x00"
        j = rng.randrange(1, len(out) - 1)
        out[j] = out[j] + b" \xff\xfe"
    data = b"\r\n".join(out)
    return data[: max(0, len(data) - 7)]  # cut mid-line, no final newline
