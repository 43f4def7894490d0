"""Evaluate: the pack's criteria on a correlated incident, then the verdict and impact figures."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import __version__
from ..api import Incident, in_window
from ..correlate.timelines import polling
from ..frames import in_one_piece, take
from ..ingest import InputSummary, with_messages
from ..ingest.sources import Texts
from ..packs import Pack
from .model import CheckResult, Evidence, Result, shown_message
from .rules import Context, judge_rule, measure_rule
from .tally import Tally, merge
from .verdict import decide

__all__ = ["evaluate", "Result", "CheckResult", "Evidence"]


def evaluate(incident: Incident | list[Incident], command: str | None = None, *, tables: bool = True) -> Result:
    """Judge every criterion, the discriminating evidence and the verdict.

    The result keeps the incident (``result.incident``: its tables, for the HTML report) unless
    ``tables`` is False. Then, given the incident handed over in a list (see ``frames.take``), its
    tables go once measured, before the decisions are judged (a fleet's are 0.6 GB)."""
    incident = take(incident)
    # liveness flags were computed on the whole history; only moments in the window are judged
    w = incident.window
    ctx = Context(incident.pack, in_window(incident.events, w), in_window(incident.decisions, w),
                  in_window(incident.meals, w), in_window(incident.pings, w), incident.clock, incident.server_times)
    measured = measure(ctx)
    del ctx
    facts = {"pack": incident.pack, "inputs": incident.inputs, "clock": incident.clock, "warnings": incident.warnings,
             "texts": incident.texts, "window": w}
    if not tables:
        incident = None
    return judge(measured, **facts, command=command, incident=incident)


@dataclass
class Measured:
    """What evaluation counts on a set of users; it merges across disjoint sets of users (see
    :mod:`.tally`): ``verify --stream`` evaluates its partitions of the users one by one."""

    criteria: list[Tally]
    discriminating: Tally
    decisions: pl.DataFrame             # ``DECISION_COLUMNS`` of each decision
    impact: dict[str, pl.DataFrame]     # see :func:`impact_parts`

    def kept(self) -> Measured:
        """What a merge needs of this: the rules' first rows, not all (see ``Tally.kept``)."""
        return Measured([t.kept() for t in self.criteria], self.discriminating.kept(), self.decisions, self.impact)


# what the JSON and the verdict read of a decision, of some 60 columns
DECISION_COLUMNS = ("ts_server", "file", "line", "uid", "outcome", "cause", "meal_id", "active", "active_by_allowance",
                    "evidence_file", "evidence_line", "evidence_kind", "evidence_seconds")


def measure(ctx: Context) -> Measured:
    """Every criterion and the discriminating check measured on ``ctx``'s users, with their decisions."""
    pack = ctx.pack
    return Measured([measure_rule(rule, ctx) for rule in pack.model.criteria], measure_rule(pack.model.discriminating, ctx),
                    # outcome and cause as categories: a fleet's million decisions are kept until judged;
                    # meal ids as text, so that their categories (every meal's) go with the tables
                    ctx.decisions.select(DECISION_COLUMNS).with_columns(pl.col("outcome", "cause").cast(pl.Categorical),
                                                                        pl.col("meal_id").cast(pl.String)),
                    impact_parts(ctx))


def merge_measured(parts: list[Measured]) -> Measured:
    """One measure of all the users ``parts`` measured apart; the first rows kept, not all."""
    first = parts[0]
    return Measured([merge([p.criteria[i] for p in parts]) for i in range(len(first.criteria))],
                    merge([p.discriminating for p in parts]),
                    pl.concat([p.decisions for p in parts], how="vertical_relaxed"),
                    {k: pl.concat([p.impact[k] for p in parts], how="vertical_relaxed") for k in first.impact})


def judge(measured: Measured, pack: Pack, inputs: list[InputSummary], clock: pl.DataFrame, warnings: list[str],
          texts: Texts, *, window: tuple = (None, None), command: str | None = None, incident: Incident | None = None
          ) -> Result:
    """The result: each check judged on what was measured, the verdict, and the run's facts.
    ``measured``'s decisions become the result's (``measured`` keeps none)."""
    criteria = [judge_rule(rule, t, pack) for rule, t in zip(pack.model.criteria, measured.criteria)]
    discriminating = judge_rule(pack.model.discriminating, measured.discriminating, pack)
    discriminating.id = discriminating.id or "discriminating"
    cited = _cited(criteria + [discriminating])
    if cited:
        _give_text(cited, texts.of(_keys(cited)))
    # the decisions' lines are read when shown or written, a slice at a time: a fleet's are
    # a million lines of text
    box, measured.decisions = [measured.decisions], measured.decisions.clear()     # handed over: sorted, not held twice
    rows, quoted = _decision_lines(box)
    verdict, reason, code = decide(pack, criteria, discriminating, rows)
    warnings = list(warnings) + _silent_vocabulary(pack, inputs)
    if any(c.allowance for c in criteria):
        leaning = ", ".join(c.id for c in criteria if c.allowance)
        warnings.append(f"{leaning}: judged with the timestamp-resolution allowance (times written to whole seconds)")
    return Result(
        verdict=verdict, reason=reason, exit_code=code, criteria=criteria, discriminating=discriminating,
        decision_rows=_decision_rows(rows), decision_lines=quoted,
        clock=[{k: r[k] for k in ("file", "stream", "offset_seconds", "samples", "spread_seconds", "uncertainty_seconds", "method", "zone_hours",
                                  "skew_seconds", "note")} for r in clock.iter_rows(named=True)],
        inputs=[{"path": s.path, "stream": s.stream, "format": s.format, "lines": s.lines, "events": s.events,
                 "context": s.context, "unrecognized": s.unrecognised, "skipped": s.damage.skipped}
                for s in inputs],
        impact=impact(measured.impact),
        warnings=warnings,
        pack={"name": pack.name, "version": pack.model.version, "path": str(pack.path), "sha256": pack.sha256,
              "parameters": pack.params, "overrides": pack.overrides},
        run={"logcheck_version": __version__, "command": command,
             "since": window[0].isoformat() if window[0] else None,
             "until": window[1].isoformat() if window[1] else None},
        incident=incident, texts=texts,
    )


def _silent_vocabulary(pack: Pack, inputs: list[InputSummary]) -> list[str]:
    """A renamed log message must not pass for a missing one: name kinds that matched nothing."""
    streams = {s.stream for s in inputs if not s.damage.skipped}
    seen = {k for s in inputs for k in s.kinds}
    out = []
    for stream, kinds in pack.model.vocabulary.items():
        if stream not in streams:
            continue
        out += [f"vocabulary {k} matched 0 lines" for k in kinds if k not in seen]
    return out


def _cited(checks: list[CheckResult]) -> list[Evidence]:
    """Every line the checks (and the checks within them) cite."""
    cited: list[Evidence] = []
    todo = list(checks)
    while todo:
        check = todo.pop()
        cited += check.evidence
        todo += check.checks
    return cited


def _keys(cited: list[Evidence]) -> pl.DataFrame:
    return pl.DataFrame({"file": [e.file for e in cited], "line": [e.line for e in cited]},
                        schema={"file": pl.String, "line": pl.UInt32}).unique()


def _give_text(cited: list[Evidence], lines: pl.DataFrame) -> None:
    """Give every cited line its text, as read again from its file (rules cite file:line only)."""
    text = {(r["file"], r["line"]): r for r in with_messages(lines.select("file", "line", "raw")).iter_rows(named=True)}
    for e in cited:
        r = text[(e.file, e.line)]
        e.text, e.message = r["raw"] or "", shown_message(r["component"], r["message"])


def _decision_lines(box: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The decisions handed over in ``box`` (see ``frames.take``) in time order (``_d``), and the
    lines their JSON quotes: each decision's own line, then its deciding evidence line, if any."""
    rows = in_one_piece(box, by=["ts_server", "file", "line"]).with_row_index("_d")

    def quoted(part: pl.DataFrame, file: str, line: str, role: pl.Expr, seconds: pl.Expr) -> pl.DataFrame:
        # files and roles as categories: a million file names are most of these rows otherwise (a
        # category is cast as it is: through text, a fleet's file names were made a million times)
        return part.select("_d", file=pl.col(file).cast(pl.Categorical), line=pl.col(line).cast(pl.UInt32),
                           role=role.cast(pl.Categorical), seconds_before=seconds.cast(pl.Float64))

    own = quoted(rows, "file", "line", pl.lit("decision"), pl.lit(None))
    cited = quoted(rows.filter(pl.col("evidence_file").is_not_null()), "evidence_file", "evidence_line",
                   pl.col("evidence_kind"), pl.col("evidence_seconds"))
    return rows, pl.concat([own, cited])


def _decision_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """Decisions in JSON shape but for their evidence lines and their time, still a datetime
    (see ``Result.decision_table_of``)."""
    return rows.select("_d", user="uid", time="ts_server", outcome="outcome", cause="cause", meal="meal_id",
                       active="active", allowance="active_by_allowance")


def impact_parts(ctx: Context) -> dict[str, pl.DataFrame]:
    """What the impact figures are worked out from, in rows that add up across users: decisions
    counted by outcome and cause, the meals a client saw, and each client file's polling."""
    d, meals = ctx.decisions, ctx.meals
    counts = d.group_by("outcome", "cause").len() if d.height else pl.DataFrame(
        schema={"outcome": pl.String, "cause": pl.String, "len": pl.UInt32})
    seen = ["latency_s", "first_seen_by_ws", "first_seen_by_poll"]
    seen = meals.filter(pl.col("latency_s").is_not_null()).select(seen) if meals.height else pl.DataFrame(
        schema={"latency_s": pl.Float64, "first_seen_by_ws": pl.Boolean, "first_seen_by_poll": pl.Boolean})
    polls = polling(ctx.events).filter(pl.col("minutes") > 0).select("polls", "minutes")
    return {"decisions": counts, "seen": seen, "polls": polls}


def impact(parts: dict[str, pl.DataFrame]) -> dict:
    """The seed's figures: real-time delivery rate, time to see a result, polls per user-minute."""
    counts, seen, polls = parts["decisions"], parts["seen"], parts["polls"]
    total = int(counts["len"].sum())
    sent = int(counts.filter(pl.col("outcome") == "sent")["len"].sum())

    def p50(frame: pl.DataFrame) -> float | None:
        return round(frame["latency_s"].median(), 3) if frame.height else None

    causes = counts.filter(pl.col("cause").is_not_null()).group_by("cause").agg(pl.col("len").sum()).sort("cause")
    return {
        "decisions": total,
        "notifications_sent": sent,
        "delivery_rate": round(sent / total, 4) if total else None,
        "result_latency_p50_s": p50(seen),
        "result_latency_ws_p50_s": p50(seen.filter(pl.col("first_seen_by_ws"))) if seen.height else None,
        "result_latency_poll_p50_s": p50(seen.filter(pl.col("first_seen_by_poll"))) if seen.height else None,
        "polls_per_user_minute": round(float(polls["polls"].sum() / polls["minutes"].sum()), 3) if polls.height else None,
        "skipped_by_cause": {r["cause"]: r["len"] for r in causes.iter_rows(named=True)},
    }
