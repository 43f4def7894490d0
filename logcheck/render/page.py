"""The report's page model: plain data built from a verify result. Templates only render it."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..durations import format_duration
from ..evaluate.model import Result, shown_message
from ..ingest.repair import repair_text

EXCERPTS = 8             # key decisions shown as aligned excerpts
EXCERPT_BEFORE_S = 45.0  # how much of each stream to show before a decision
EXCERPT_AFTER_S = 10.0
DECISION_ROWS = 200

VERDICT_STYLE = {"bug_present": "bad", "criteria_failed": "bad", "fix_verified": "good", "inconclusive": "unknown"}


@dataclass
class Line:
    """A log line as cited: where it is, when (server clock), and its text."""

    where: str
    time: str
    text: str
    note: str = ""
    side: str = ""
    raw: str = ""            # the line as read, when ``text`` is its repaired form


@dataclass
class Criterion:
    id: str
    title: str
    status: str
    summary: str
    cases: int
    reason: str | None
    allowance: bool
    evidence: list[Line]
    more: int
    checks: list["Criterion"] = field(default_factory=list)


@dataclass
class Excerpt:
    """One decision with both streams around it, side by side on the server clock."""

    title: str
    headline: str           # "pong 10:07:29 -> skipped 10:07:51: 22 s, user active"
    cause: str
    rows: list[Line]        # side = "client" | "server"; the decision row has note "decision"


@dataclass
class Chart:
    title: str
    data_uri: str
    alt: str


@dataclass
class Page:
    title: str
    verdict: str
    verdict_style: str
    reason: str
    criteria: list[Criterion]
    discriminating: Criterion
    excerpts: list[Excerpt]
    decisions: list[dict]
    decisions_more: int
    decision_counts: dict[str, int]
    impact: list[tuple[str, str]]
    charts: list[Chart]
    users_not_charted: int
    inputs: list[dict]
    clock: list[dict]
    warnings: list[str]
    repro: list[tuple[str, str]]
    generated: str
    streamed: bool = False      # verify --stream: no excerpts or timelines (drawn from tables never whole)


def _short(path: str) -> str:
    return Path(path).name if path else ""


def _where(file: str, line: int) -> str:
    return f"{_short(file)}:{line}"


def _time(value: str | None) -> str:
    return value.replace("T", " ").removesuffix("Z")[:23] if value else ""


def _cited(e) -> Line:
    """Evidence as a reviewer reads it: the parsed message (or the repaired line), the line as read on hover."""
    text = e.message or repair_text(e.text)
    return Line(_where(e.file, e.line), _time(e.time), text, e.note or "", raw=e.text if text != e.text else "")


def _criterion(c) -> Criterion:
    return Criterion(
        c.id, c.title, c.status, c.summary, c.cases, c.reason, c.allowance,
        [_cited(e) for e in c.evidence], c.evidence_more, [_criterion(x) for x in c.checks],
    )


def _sha256(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        return "-"
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _excerpts(result: Result, incident) -> list[Excerpt]:
    """Skipped decisions first (the bug's own first), then a sent one, each with its context."""
    order = {"registry_stale": 0, "not_yet_connected": 1, "client_disconnected": 2, "no_client_evidence": 3, None: 4}
    rank = pl.col("cause").replace_strict(order, default=5, return_dtype=pl.Int8).fill_null(order[None])
    chosen = result.decisions_of(result.decision_rows.sort(rank, pl.col("time")).head(EXCERPTS))
    # the chosen users' events, in the columns an excerpt shows: not a copy of a fleet's whole table
    events = incident.events.lazy().filter(
        pl.col("kind").is_not_null() & pl.col("ts_server").is_not_null() & pl.col("uid").is_in([d["user"] for d in chosen])
    ).select("uid", "ts_server", "file", "line", "stream").collect()
    times = [dt.datetime.fromisoformat(d["time"].removesuffix("Z")) for d in chosen]
    windows = [events.filter(
        (pl.col("uid") == d["user"]) &
        pl.col("ts_server").is_between(t - dt.timedelta(seconds=EXCERPT_BEFORE_S), t + dt.timedelta(seconds=EXCERPT_AFTER_S))
    ).sort("ts_server", "file", "line").head(60).with_columns(_x=pl.lit(i, pl.UInt32)) for i, (d, t) in enumerate(zip(chosen, times))]
    lines: list[list[dict]] = [[] for _ in chosen]
    if windows:     # their text in one read of each file, not one per excerpt
        for r in incident.lines(pl.concat(windows)).iter_rows(named=True):
            lines[r["_x"]].append(r)
    out = []
    for d, t, window in zip(chosen, times, lines):
        decision = d["evidence"][0]
        rows = [Line(_where(r["file"], r["line"]), r["ts_server"].isoformat(sep=" ", timespec="milliseconds")[11:],
                     shown_message(r["component"], r["message"]) or "",
                     "decision" if (r["file"], r["line"]) == (decision["file"], decision["line"]) else "",
                     "client" if r["stream"] == "ios" else "server", r["raw"])
                for r in window]
        if len(d["evidence"]) > 1:
            ev = d["evidence"][1]
            for row in rows:
                if row.where == _where(ev["file"], ev["line"]):
                    row.note = "evidence"
            seconds = ev.get("seconds_before") or 0.0
            what = ev["role"].split(".")[-1].replace("_received", "").replace("_", " ")
            state = "user active" if d["active"] else "user not active"
            ev_time = (t - dt.timedelta(seconds=seconds)).strftime("%H:%M:%S")
            if seconds >= 0:
                headline = f"{what} {ev_time} -> {d['outcome']} {t:%H:%M:%S}: {format_duration(seconds)}, {state}"
            else:
                headline = f"{d['outcome']} {t:%H:%M:%S} -> {what} {ev_time}: {format_duration(-seconds)} later, {state}"
        else:
            headline = f"{d['outcome']} at {_where(decision['file'], decision['line'])}: no liveness evidence for this user"
        title = f"{_time(d['time'])} · user {(d['user'] or '?')[:13]} · {d['outcome']}" + (f" · {d['cause']}" if d["cause"] else "")
        out.append(Excerpt(title, headline, d["cause"] or "sent", rows))
    return out


def _impact(result: Result) -> list[tuple[str, str]]:
    i = result.impact

    def num(v, unit="", pct=False):
        if v is None:
            return "-"
        return f"{v:.0%}" if pct else f"{v:g}{unit}"

    return [
        ("Real-time delivery rate (notifications sent / decisions)", num(i["delivery_rate"], pct=True)),
        ("Decisions", f"{i['decisions']} ({i['notifications_sent']} sent)"),
        ("Time to see a result, median", num(i["result_latency_p50_s"], " s")),
        ("  by WebSocket", num(i["result_latency_ws_p50_s"], " s")),
        ("  by polling", num(i["result_latency_poll_p50_s"], " s")),
        ("Polling requests per user per minute", num(i["polls_per_user_minute"])),
    ]


def build_page(result: Result, incident, charts: bool = True) -> Page:
    """The page model for one verify run."""
    from .charts import impact_chart, user_charts

    table = result.decision_rows
    decisions = result.decisions_of(table.head(DECISION_ROWS))
    figures, rest = ([], 0)
    streamed = incident is None     # verify --stream: the correlated tables were never whole
    if charts and not streamed:
        figures, rest = user_charts(incident, result)
        chart = impact_chart(incident)
        if chart:
            figures.append(chart)
    params = ", ".join(f"{k}={format_duration(v)}" for k, v in result.pack["parameters"].items())
    repro = [("logcheck", result.run["logcheck_version"]), ("pack", f"{result.pack['name']} v{result.pack['version']}"),
             ("pack sha256", result.pack["sha256"]), ("parameters", params),
             ("command", result.run.get("command") or "(library call)")]
    if result.run.get("since") or result.run.get("until"):
        repro.append(("window", f"{result.run.get('since') or '…'} to {result.run.get('until') or '…'}"))
    repro += [(f"input {_short(i['path'])}", _sha256(i["path"])) for i in result.inputs]
    clock = [dict(c, file=_short(c["file"])) for c in result.clock]
    inputs = [dict(i, name=_short(i["path"])) for i in result.inputs]
    return Page(
        title=f"logcheck: {result.pack['name']} - {result.verdict}",
        verdict=result.verdict, verdict_style=VERDICT_STYLE[result.verdict], reason=result.reason,
        criteria=[_criterion(c) for c in result.criteria], discriminating=_criterion(result.discriminating),
        excerpts=[] if streamed else _excerpts(result, incident),
        decisions=[dict(d, where=_where(d["evidence"][0]["file"], d["evidence"][0]["line"]),
                        why=(f"{d['evidence'][1]['role']} {d['evidence'][1]['seconds_before']:.1f} s before at "
                             f"{_where(d['evidence'][1]['file'], d['evidence'][1]['line'])}") if len(d["evidence"]) > 1 else "",
                        when=_time(d["time"]))
                   for d in decisions],
        decisions_more=max(0, table.height - DECISION_ROWS), decision_counts=result.decision_counts(),
        impact=_impact(result), charts=figures, users_not_charted=rest, inputs=inputs, clock=clock,
        warnings=result.warnings, repro=repro, streamed=streamed,
        generated=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
