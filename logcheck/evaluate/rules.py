"""Generic rule kinds. A criterion in a pack is one of these, keyed by its ``kind:``.

Window semantics, common to all kinds:
- times are on the server clock; a client pong is placed at its ``Backend timestamp``;
- window edges are inclusive, and widened by the resolution of both timestamps (1 s for whole
  seconds) and half the spread of the clock estimate; a case that needed the widening sets
  ``allowance`` on the result;
- an obligation whose window reaches past the end of the logs where its answer would appear is
  *pending*: neither met nor failed, and not counted;
- everything is matched per user (``uid``): an event of one user never answers another's;
- rates are counted per user over the span that user's logs of the event's stream cover.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import polars as pl

from ..align import uncertainty
from ..correlate.timelines import first_of_bursts, server_ts_of
from ..durations import format_duration
from ..frames import mapped
from ..packs import AllOf, AtLeast, FollowedBy, LongestRun, NoneOf, Pack, Rate, Select, StopsAfter
from .model import CheckResult, Evidence
from .tally import Rows, Tally


@dataclass
class Context:
    """The tables rules read: events with flags, decisions, meals, pings."""

    pack: Pack
    events: pl.DataFrame
    decisions: pl.DataFrame
    meals: pl.DataFrame
    pings: pl.DataFrame
    clock: pl.DataFrame             # each file's uncertainty widens windows (see ``align.uncertainty``)
    server_times: pl.DataFrame      # the server clock's reading some lines carry (``correlate.server_times``)
    # where the backend's logs end (server clock): worked out over every input when the users
    # are evaluated a partition at a time (``verify --stream``); None: from ``events``
    backend_end: Any = None


def _with_t(ctx: Context, rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``t``: the server clock's reading some lines carry (a pong's Backend
    timestamp, see ``correlate.server_times``), else the aligned line time; rows with neither go."""
    return rows.with_columns(t=server_ts_of(rows, ctx.server_times).fill_null(rows["ts_server"])).drop_nulls("t")


# what rules read of an event; with the ``where`` flags, all a selection of events carries (the
# events table is millions of rows wide with ids, times and flags: a selection copies only these)
_EVENT_FIELDS = ("file", "line", "kind", "stream", "uid", "ts_server", "ts_res")


def _select(ctx: Context, sel: Select, only: pl.Expr | None = None) -> pl.DataFrame:
    """Events of a kind with all ``where`` flags true, deduplicated bursts; ``only``: a further
    condition. (Rows of the decisions and meals tables: :func:`_table_rows`.)"""
    cond = _where(sel)
    fields = list(dict.fromkeys([*_EVENT_FIELDS, *(flag.removeprefix("not_") for flag in sel.where)]))
    rows = ctx.events.lazy().select(fields).filter(*cond, pl.col("uid").is_not_null(), *([only] if only is not None else []))
    return _dedupe_client(_with_t(ctx, rows.collect()))


def _where(sel: Select) -> list[pl.Expr]:
    """What a row of ``sel`` is: its kind, and each ``where`` flag true (``not_``: false)."""
    cond = [pl.col("kind") == sel.kind] if sel.kind else []
    return cond + [~pl.col(flag[4:]) if flag.startswith("not_") else pl.col(flag) for flag in sel.where]


def _table_rows(table: pl.DataFrame, *sels: Select) -> pl.DataFrame:
    """The rows of a table (decisions, meals) every one of ``sels`` selects, in the columns a
    citation reads (a fleet's 600,000 decisions have 40 columns)."""
    cond = [c for sel in sels for c in _where(sel)]
    wanted = [c for c in (*_TABLE_CITED, *_NOTED, "active_by_allowance") if c in table.columns]
    return table.lazy().filter(*cond).select(wanted).collect() if cond else table.select(wanted)


def _count(table: pl.DataFrame, sel: Select) -> int:
    cond = _where(sel)
    return table.lazy().filter(*cond).select(pl.len()).collect().item() if cond else table.height


def _users_of(rows: pl.DataFrame) -> pl.Expr:
    """Events of the users in ``rows``: all a per-user match can reach."""
    return pl.col("uid").is_in(rows["uid"].unique().implode())


def _dedupe_client(rows: pl.DataFrame) -> pl.DataFrame:
    """iOS builds log one ping or pong as two lines at once: count it once (backend rows stay)."""
    client = rows.filter(pl.col("stream") == "ios")
    return pl.concat([rows.filter(pl.col("stream") != "ios"), first_of_bursts(client, "t", ["file", "kind"])])


def _res(col: str = "ts_res") -> pl.Expr:
    return pl.col(col).fill_null(1.0)


def _cite(rows: pl.DataFrame, note: Callable[[dict], str | None] | None = None, limit: int = 200) -> list[Evidence]:
    """Evidence lines by file:line; ``evaluate`` reads their text once for all checks."""
    out = []
    for r in rows.head(limit).iter_rows(named=True):
        t = r.get("t") or r.get("ts_server")
        out.append(Evidence(r["file"], int(r["line"]), "", t.isoformat() + "Z" if t else None, note(r) if note else None))
    return out


def _fmt_pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def _need(text: str) -> float:
    text = str(text).strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _end_of(ctx: Context, kind: str) -> pl.DataFrame:
    """Where the logs that would hold ``kind`` end: per user for client kinds, global otherwise."""
    stream = "ios" if kind.startswith("client.") else "backend"
    rows = ctx.events.lazy().filter((pl.col("stream") == stream) & pl.col("ts_server").is_not_null())
    if stream == "ios":
        return rows.group_by("uid").agg(_end=pl.col("ts_server").max()).collect()
    if ctx.backend_end is not None:
        return pl.DataFrame({"_end": [ctx.backend_end]}, schema={"_end": pl.Datetime("us")})
    return rows.select(_end=pl.col("ts_server").max()).collect()


_CITED = ("t", "file", "line")          # the order evidence is cited in: by time, ties by place
_TABLE_CITED = ("ts_server", "file", "line")
_NOTED = ("cause", "evidence_file", "evidence_line", "evidence_kind", "evidence_seconds", "seen_kind", "seen_file",
          "seen_line")     # what :func:`_table_note` reads


def measure_followed_by(rule: FollowedBy, ctx: Context) -> Tally:
    lo, hi = (ctx.pack.seconds(w) for w in rule.window)
    each = _select(ctx, Select(kind=rule.each.kind, where=rule.each.where))
    if rule.each.otherwise:
        has = each.select("uid").unique()
        other = _select(ctx, Select(kind=rule.each.otherwise, where=rule.each.where)).join(has, on="uid", how="anti")
        each = pl.concat([each, other], how="diagonal_relaxed")
    # only the users with cases: a fleet's millions of registry refreshes, for its 100 client users
    by = _select(ctx, rule.by, only=_users_of(each)).select("uid", _bt="t", _bres=_res(), _bunc=uncertainty(ctx.clock))
    # B's time is an interval [t, t + resolution]: look for the first B whose interval ends
    # at or after the window's (widened) start
    # the columns read from here on (the join copies every column of its sides: a fleet's
    # completions are 600,000 rows)
    each = each.select("uid", *_CITED, "ts_res", ts_unc=uncertainty(ctx.clock))
    each = each.with_columns(_from=pl.col("t") + pl.duration(microseconds=((lo - _res() - pl.col("ts_unc")) * 1e6).cast(pl.Int64)))
    by = by.with_columns(_from=pl.col("_bt") + pl.duration(microseconds=((pl.col("_bres") + pl.col("_bunc")) * 1e6).cast(pl.Int64)))
    matched = each.sort("_from").join_asof(by.sort("_from"), on="_from", by="uid", strategy="forward",
                                           check_sortedness=False)
    del each, by
    delta = (pl.col("_bt") - pl.col("t")).dt.total_microseconds() / 1e6
    allow = _res() + pl.col("_bres").fill_null(1.0) + pl.col("ts_unc") + pl.col("_bunc").fill_null(0.0)
    matched = matched.with_columns(
        _delta=delta,
        _ok=(pl.col("_bt").is_not_null() & (delta <= hi + allow) & (delta >= lo - allow)).fill_null(False),
        _strict=(pl.col("_bt").is_not_null() & (delta <= hi) & (delta >= lo)).fill_null(False),
        _deadline=pl.col("t") + pl.duration(microseconds=((hi + allow) * 1e6).cast(pl.Int64)),
    )
    ends = _end_of(ctx, rule.by.kind)
    # looked up, not joined: a join would copy the cases whole
    end = mapped("uid", ends, "_end") if "uid" in ends.columns else pl.lit(ends["_end"][0], pl.Datetime("us")).alias("_end")
    matched = matched.with_columns(end)
    matched = matched.with_columns(_settled=_answered_instead(ctx, rule, matched, hi))
    matched = matched.with_columns(_pending=~pl.col("_ok") & ~pl.col("_settled") &
                                   (pl.col("_end").is_null() | (pl.col("_deadline") > pl.col("_end"))))
    # the columns read from here on, rows chosen after (a filter copies every column it is given)
    judged = matched.lazy().select(*_CITED, "_delta", "_ok", "_strict", "ts_res", "_bres", "_pending").filter(
        ~pl.col("_pending")).collect()
    pending = matched.height - judged.height
    del matched
    bad = judged.filter(~pl.col("_ok")).select(_CITED)
    tally = Tally(
        counts={"cases": judged.height, "matched": int(judged["_ok"].sum()), "pending": pending,
                "bad": bad.height, "allowance": judged.filter(pl.col("_ok") & ~pl.col("_strict")).height},
        rows={"bad": Rows(bad, _CITED), "first": Rows(judged.select(*_CITED, "_delta"), _CITED, limit=5)})
    if rule.latency:
        precise = judged.filter(pl.col("_ok") & (_res() <= 1.0) & (pl.col("_bres") <= 1.0))
        tally.values["latency"] = precise["_delta"].clip(lower_bound=0.0)   # below 0 is clock uncertainty
    return tally


def judge_followed_by(rule: FollowedBy, tally: Tally, pack: Pack) -> CheckResult:
    lo, hi = (pack.seconds(w) for w in rule.window)
    counts = tally.counts
    n, ok, pending = int(counts["cases"]), int(counts["matched"]), int(counts["pending"])
    result = CheckResult(rule.id, rule.title, "inconclusive", "")
    kinds = " or ".join(k for k in (rule.each.kind, rule.each.otherwise) if k)
    need = _need(rule.need)
    window = (f"within ±{format_duration(hi)}" if lo == -hi else
              f"within {format_duration(lo)}..{format_duration(hi)}" if lo else f"within {format_duration(hi)}")
    result.cases = n
    result.metrics = {"cases": n, "matched": ok, "pending": pending, "ratio": ok / n if n else None,
                      "need": need, "window_s": [lo, hi]}
    lat = tally.values.get("latency")
    if lat is not None and lat.len():
        result.metrics.update(latency_p50_s=round(lat.quantile(0.5), 3), latency_p95_s=round(lat.quantile(0.95), 3),
                              latency_max_s=round(lat.max(), 3), latency_cases=lat.len())
    if not n:
        result.reason = f"no {kinds} to judge" + (f" ({pending} pending at the end of the logs)" if pending else "") + \
            (f" where {', '.join(rule.each.where)}" if rule.each.where else "")
        result.summary = f"{rule.measure}: no cases"
        return result
    result.status = "pass" if ok / n >= need else "fail"
    result.allowance = bool(counts["allowance"])
    result.summary = f"{rule.measure} {ok}/{n} {rule.unit}, need {_fmt_pct(need)}"
    if "latency_p50_s" in result.metrics:
        result.summary += f" (p50 {result.metrics['latency_p50_s']} s, p95 {result.metrics['latency_p95_s']} s)"
    result.cite(_cite(tally.rows["bad"].top(), lambda r: f"no {rule.by.kind} for this user {window}"))
    result.evidence_more = max(result.evidence_more, int(counts["bad"]) - len(result.evidence))
    if result.status == "pass":
        result.cite(_cite(tally.rows["first"].top(), lambda r: f"{rule.by.kind} after {r['_delta']:+.1f} s"))
        result.evidence_more = 0
    return result


def _answered_instead(ctx: Context, rule: FollowedBy, cases: pl.DataFrame, hi: float) -> pl.Series:
    """True where an ``instead`` event for the same user falls in the window: a definite no."""
    if rule.instead is None or not cases.height:
        return pl.Series([False] * cases.height, dtype=pl.Boolean)
    other = _select(ctx, rule.instead, only=_users_of(cases)).select("uid", _it="t").with_columns(_on=pl.col("_it")).sort("_on")
    probe = cases.select("uid", "t", "_from").with_row_index("_k").with_columns(_on=pl.col("_from")).sort("_on")
    hit = probe.join_asof(other, on="_on", by="uid", strategy="forward", check_sortedness=False).sort("_k")
    return ((hit["_it"] - hit["t"]).dt.total_microseconds() / 1e6 <= hi + 1.0).fill_null(False)


def measure_none_of(rule: NoneOf, ctx: Context) -> Tally:
    table = ctx.decisions if rule.table == "decisions" else ctx.meals
    bad = _table_rows(table, rule.each, rule.bad)
    leaning = int(bad["active_by_allowance"].sum()) if "active_by_allowance" in bad.columns else 0
    return Tally(counts={"cases": _count(table, rule.each), "violations": bad.height, "allowance": leaning},
                 rows={"bad": Rows(bad, _TABLE_CITED)})


def judge_none_of(rule: NoneOf, tally: Tally, pack: Pack) -> CheckResult:
    n, bad = int(tally.counts["cases"]), int(tally.counts["violations"])
    result = CheckResult(rule.id, rule.title, "inconclusive", "", cases=n, metrics={"cases": n, "violations": bad})
    if not n:
        result.reason = f"no {rule.unit or rule.table}"
        result.summary = f"{rule.measure}: no cases"
        return result
    result.status = "fail" if bad else "pass"
    result.summary = f"{rule.measure} {bad} of {n} {rule.unit}, need 0"
    result.allowance = bool(tally.counts["allowance"])
    result.cite(_cite(tally.rows["bad"].top(), _table_note))
    return result


def _table_note(r: dict) -> str | None:
    """Why a decision or meal row is cited: its cause, its deciding evidence, how it was seen."""
    note = []
    if r.get("cause"):
        note.append(r["cause"])
    if r.get("evidence_file") and r.get("evidence_seconds") is not None:
        note.append(f"{r['evidence_kind']} {r['evidence_seconds']:.1f} s earlier at {r['evidence_file']}:{r['evidence_line']}")
    if r.get("seen_kind"):
        note.append(f"first seen by {r['seen_kind']} at {r['seen_file']}:{r['seen_line']}")
    return "; ".join(note) or None


def measure_at_least(rule: AtLeast, ctx: Context) -> Tally:
    rows = _table_rows(ctx.decisions if rule.table == "decisions" else ctx.meals, rule.each)
    return Tally(counts={"count": rows.height}, rows={"found": Rows(rows, _TABLE_CITED)})


def judge_at_least(rule: AtLeast, tally: Tally, pack: Pack) -> CheckResult:
    count = int(tally.counts["count"])
    result = CheckResult(rule.id or "discriminating", rule.title or rule.measure, "pass" if count >= rule.need else "inconclusive",
                         f"{rule.measure}: {count}, need {rule.need}", cases=count, metrics={"count": count, "need": rule.need})
    if result.status != "pass":
        result.reason = f"found {count}, need {rule.need}"
    result.cite(_cite(tally.rows["found"].top(), _table_note))
    return result


def measure_stops_after(rule: StopsAfter, ctx: Context) -> Tally:
    grace = ctx.pack.seconds(rule.grace)
    each = _select(ctx, rule.each)
    after = _select(ctx, rule.after).select("uid", _at="t", _at_res=_res()).with_columns(_on=pl.col("_at")).sort("_on")
    rows = each.with_columns(_on=pl.col("t")).sort("_on").join_asof(after, on="_on", by="uid", check_sortedness=False)
    if rule.unless:
        unless = _select(ctx, rule.unless).select("uid", _un="t").with_columns(_on=pl.col("_un")).sort("_on")
        rows = rows.join_asof(unless, on="_on", by="uid", check_sortedness=False)
    else:
        rows = rows.with_columns(_un=pl.lit(None, pl.Datetime("us")))
    late = (pl.col("t") - pl.col("_at")).dt.total_microseconds() / 1e6
    bad = rows.filter(pl.col("_at").is_not_null() & (late > grace + _res() + pl.col("_at_res")) &
                      (pl.col("_un").is_null() | (pl.col("_un") < pl.col("_at"))))
    return Tally(counts={"each": each.height, "after": after.height, "cases": rows.filter(pl.col("_at").is_not_null()).height,
                         "violations": bad.height},
                 rows={"bad": Rows(bad.select(*_CITED, _late=late), _CITED)})


def judge_stops_after(rule: StopsAfter, tally: Tally, pack: Pack) -> CheckResult:
    counts = tally.counts
    result = CheckResult(rule.id, rule.title, "inconclusive", "", cases=int(counts["each"]))
    if not counts["after"]:
        result.reason = f"no {rule.after.kind} to measure from"
        result.summary = f"{rule.measure}: no {rule.after.kind}"
        return result
    judged, bad = int(counts["cases"]), int(counts["violations"])
    result.cases = judged
    result.metrics = {"cases": judged, "violations": bad, "grace_s": pack.seconds(rule.grace)}
    result.status = "fail" if bad else "pass"
    result.summary = f"{rule.measure} {bad} of {judged} {rule.unit}, need 0"
    result.cite(_cite(tally.rows["bad"].top(), lambda r: f"{r['_late']:.1f} s after {rule.after.kind}"))
    return result


def measure_longest_run(rule: LongestRun, ctx: Context) -> Tally:
    gap = ctx.pack.seconds(rule.max_gap)
    beats = _select(ctx, rule.each).select("file", "line", "t", "ts_res", _beat=pl.lit(True))
    breaks = _select(ctx, Select(), only=pl.col("kind").is_in(list(rule.breaks)) & (pl.col("stream") == "ios"))
    breaks = breaks.select("file", "line", "t", "ts_res", _beat=pl.lit(False))
    if rule.answer is not None and ctx.pings.height:
        unanswered = ctx.pings.filter(pl.col("pong_ts").is_null())
        breaks = pl.concat([breaks, unanswered.select("file", "line", t="ts_server", ts_res="ts_res", _beat=pl.lit(False))],
                           how="vertical_relaxed")
    client = ctx.events.lazy().filter((pl.col("stream") == "ios") & pl.col("ts_server").is_not_null())
    span = client.group_by("file").agg(s=(pl.col("ts_server").max() - pl.col("ts_server").min()).dt.total_microseconds() / 1e6).collect()
    rows = pl.concat([beats, breaks], how="vertical_relaxed").sort("file", "t", "line")
    prev_t = pl.col("t").shift(1).over("file")
    step = ((pl.col("t") - prev_t).dt.total_microseconds() / 1e6)
    new_run = ~pl.col("_beat") | prev_t.is_null() | (step > gap + 2 * _res()) | ~pl.col("_beat").shift(1).over("file").fill_null(True)
    rows = rows.with_columns(_run=new_run.cast(pl.Int32).cum_sum().over("file"))
    # a run is open when nothing broke it before its log ended: it may have gone on
    rows = rows.with_columns(_open=(~pl.col("_beat")).cast(pl.Int32).reverse().cum_sum().reverse().over("file") == 0)
    runs = rows.filter(pl.col("_beat")).group_by("file", "_run").agg(
        start=pl.col("t").min(), end=pl.col("t").max(), first_line=pl.col("line").min(), last_line=pl.col("line").max(),
        beats=pl.len(), open=pl.col("_open").all(),
    ).with_columns(duration_s=(pl.col("end") - pl.col("start")).dt.total_microseconds() / 1e6)
    return Tally(
        counts={"runs": runs.height},
        highs={"longest_span": span["s"].max() if span.height else None,
               "longest_open": runs.filter(pl.col("open"))["duration_s"].max() if runs.height else None},
        # ties: the same run every time
        rows={"best": Rows(runs.select("file", "first_line", "last_line", "start", "end", "beats", "duration_s"),
                           ("duration_s", "file", "first_line"), [True, False, False], limit=1),
              "breaks": Rows(breaks.select(_CITED), _CITED)})


def judge_longest_run(rule: LongestRun, tally: Tally, pack: Pack) -> CheckResult:
    need = pack.seconds(rule.need_duration)
    longest_span, open_longest = tally.highs["longest_span"], tally.highs["longest_open"]
    result = CheckResult(rule.id, rule.title, "inconclusive", "")
    top = tally.rows["best"].top()
    best = top.row(0, named=True) if top.height else None
    longest = best["duration_s"] if best else 0.0
    result.metrics = {"longest_s": longest, "need_s": need, "runs": int(tally.counts["runs"]), "longest_log_span_s": longest_span,
                      "longest_open_s": open_longest}
    result.cases = int(tally.counts["runs"])
    if best and longest >= need - 2.0:
        result.status = "pass"
        result.allowance = longest < need
    elif longest_span is None or longest_span < need:
        result.reason = ("no client log" if longest_span is None else
                         f"the longest client log spans {format_duration(longest_span)}, less than {format_duration(need)}")
        result.summary = f"{rule.measure} {format_duration(longest)}, need {format_duration(need)}"
        return result
    elif open_longest is not None:
        result.reason = (f"a session of {format_duration(open_longest)} was still unbroken when its log ended; "
                         f"none reached {format_duration(need)} within the logs")
    else:
        result.status = "fail"
    result.summary = f"{rule.measure} {format_duration(longest)}, need {format_duration(need)}"
    if best:
        result.cite([Evidence(best["file"], best["first_line"], "", best["start"].isoformat() + "Z", "run starts"),
                     Evidence(best["file"], best["last_line"], "", best["end"].isoformat() + "Z",
                              f"run ends after {format_duration(longest)} ({best['beats']} pongs)")])
    if result.status == "fail":
        result.cite(result.evidence + _cite(tally.rows["breaks"].top(), lambda r: "breaks a run"))
    return result


def measure_rate(rule: Rate, ctx: Context) -> Tally:
    """Count of A per user per ``per``, over the span that user's logs of A's stream cover."""
    per = ctx.pack.seconds(rule.per)
    span = (ctx.events.lazy().filter((pl.col("stream") == _rate_stream(rule)) & pl.col("uid").is_not_null() &
                                     pl.col("ts_server").is_not_null())
            .group_by("uid").agg(_s=(pl.col("ts_server").max() - pl.col("ts_server").min()).dt.total_microseconds() / 1e6,
                                 file=pl.col("file").first(), line=pl.col("line").first()).collect())
    counts = _select(ctx, rule.each).group_by("uid").agg(_n=pl.len())
    keys = span.filter(pl.col("_s") > 0).join(counts, on="uid", how="left").with_columns(
        _rate=pl.col("_n").fill_null(0) / (pl.col("_s") / per))
    too_high = pl.col("_rate") > rule.max if rule.max is not None else pl.lit(False)
    too_low = pl.col("_rate") < rule.min if rule.min is not None else pl.lit(False)
    bad = keys.filter(too_high | too_low).select("uid", "file", "line", "_rate", "_n", "_s")
    return Tally(counts={"users": keys.height, "violations": bad.height, "rate_sum": keys["_rate"].sum()},
                 highs={"max_rate": keys["_rate"].max() if keys.height else None},
                 rows={"bad": Rows(bad, ("_rate", "uid"), [True, False])})


def _rate_stream(rule: Rate) -> str:
    return "ios" if (rule.each.kind or "").startswith("client.") else "backend"


def judge_rate(rule: Rate, tally: Tally, pack: Pack) -> CheckResult:
    per = pack.seconds(rule.per)
    users, bad, highest = int(tally.counts["users"]), int(tally.counts["violations"]), tally.highs["max_rate"]
    result = CheckResult(rule.id, rule.title, "inconclusive", "", cases=users)
    if not users:
        result.reason = f"no user with a {_rate_stream(rule)} log spanning any time"
        result.summary = f"{rule.measure}: no cases"
        return result
    bound = " and ".join(x for x in (f"at most {rule.max:g}" if rule.max is not None else "",
                                     f"at least {rule.min:g}" if rule.min is not None else "") if x)
    unit = f"per {format_duration(per)}"
    result.metrics = {"users": users, "violations": bad, "max_rate": round(highest, 3),
                      "mean_rate": round(tally.counts["rate_sum"] / users, 3)}
    result.status = "fail" if bad else "pass"
    result.summary = f"{rule.measure}: {bad} of {users} users outside {bound} {unit} (highest {highest:.3g})"
    result.cite(_cite(tally.rows["bad"].top().with_columns(t=pl.lit(None)),
                      lambda r: f"user {r['uid']}: {r['_rate']:.3g} {unit} ({r['_n'] or 0} in {format_duration(r['_s'])})"))
    return result


def measure_all_of(rule: AllOf, ctx: Context) -> Tally:
    return Tally(parts=[measure_rule(c, ctx) for c in rule.checks])


def judge_all_of(rule: AllOf, tally: Tally, pack: Pack) -> CheckResult:
    parts = [judge_rule(c, t, pack) for c, t in zip(rule.checks, tally.parts)]
    statuses = [p.status for p in parts]
    status = "fail" if "fail" in statuses else "inconclusive" if "inconclusive" in statuses else "pass"
    result = CheckResult(rule.id, rule.title, status, "; ".join(p.summary for p in parts), checks=parts,
                         cases=sum(p.cases for p in parts), allowance=any(p.allowance for p in parts))
    result.metrics = {f"check{i + 1}": p.metrics for i, p in enumerate(parts)}
    reasons = [p.reason for p in parts if p.status == "inconclusive" and p.reason]
    result.reason = "; ".join(reasons) if status == "inconclusive" else None
    result.cite([e for p in parts for e in p.evidence])
    result.evidence_more = sum(p.evidence_more for p in parts)
    return result


KINDS: dict[type, tuple[Callable[..., Tally], Callable[..., CheckResult]]] = {
    FollowedBy: (measure_followed_by, judge_followed_by), NoneOf: (measure_none_of, judge_none_of),
    AtLeast: (measure_at_least, judge_at_least), StopsAfter: (measure_stops_after, judge_stops_after),
    LongestRun: (measure_longest_run, judge_longest_run), Rate: (measure_rate, judge_rate), AllOf: (measure_all_of, judge_all_of),
}


def measure_rule(rule, ctx: Context) -> Tally:
    """What a rule of any kind counts on the users of ``ctx`` (see :mod:`.tally`)."""
    return KINDS[type(rule)][0](rule, ctx)


def judge_rule(rule, tally: Tally, pack: Pack) -> CheckResult:
    """A rule's status, figures and evidence from what was measured."""
    return KINDS[type(rule)][1](rule, tally, pack)


def evaluate_rule(rule, ctx: Context) -> CheckResult:
    """Evaluate one rule of any kind."""
    return judge_rule(rule, measure_rule(rule, ctx), ctx.pack)
