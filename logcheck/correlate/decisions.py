"""Every "not connected" decision gets one cause and the evidence line that decides it.

Causes come from the pack: an ordered list of flag sets; the first whose flags all hold wins.
The deciding line is the latest liveness (``registry_stale``), the next connect
(``not_yet_connected``), the latest end or else the latest liveness (``client_disconnected``),
and the latest liveness, if any, for ``no_client_evidence``.
"""
from __future__ import annotations

import polars as pl

from ..packs import Pack
from .liveness import ROWS, cite

MEAL_DONE = "server.meal_completed"


def cause_expr(pack: Pack) -> pl.Expr:
    """The pack's causes as one expression over the flag columns."""
    expr = None
    for cause in pack.model.causes:
        cond = pl.lit(True)
        for flag in cause.when:
            name = flag.removeprefix("not_")
            term = pl.col(name) if name == flag else ~pl.col(name)
            cond = cond & term
        expr = pl.when(cond).then(pl.lit(cause.name)) if expr is None else expr.when(cond).then(pl.lit(cause.name))
    return expr.otherwise(None) if expr is not None else pl.lit(None, pl.String)


def decisions(flagged: pl.DataFrame, pack: Pack, lines: pl.DataFrame) -> pl.DataFrame:
    """One row per decision: user, time, outcome, cause, the flags and the deciding evidence.

    ``flagged``: events with :meth:`Liveness.flags_at` columns and their ``detail``, the decisions
    among them; ``lines``: ``Liveness.lines``, where the deciding lines are looked up."""
    kinds = pack.model.liveness.decisions
    rows = flagged.filter(pl.col("kind").is_in(list(kinds.values())))
    stale_after = pack.params.get("stale_after", 60.0)
    rows = rows.with_columns(
        outcome=pl.when(pl.col("kind") == kinds["sent"]).then(pl.lit("sent")).otherwise(pl.lit("skipped")))
    rows = rows.with_columns(cause=pl.when(pl.col("outcome") == "skipped").then(cause_expr(pack)))
    pick = {
        "alive": pl.col("cause").is_in(["registry_stale", "no_client_evidence"]) | (pl.col("outcome") == "sent") |
                 (pl.col("cause").eq("client_disconnected") & pl.col("gone_ts").is_null()),
        "next": pl.col("cause") == "not_yet_connected",
        "gone": pl.col("cause").eq("client_disconnected") & pl.col("gone_ts").is_not_null(),
    }

    def chosen(field: str) -> pl.Expr:
        expr = pl.when(pick["next"]).then(pl.col(f"next_{field}")).when(pick["gone"]).then(pl.col(f"gone_{field}"))
        return expr.when(pick["alive"]).then(pl.col(f"alive_{field}"))

    rows = cite(rows.with_columns(_evidence=chosen("row")), lines, "_evidence", "evidence_").with_columns(evidence_ts=chosen("ts"))
    rows = rows.with_columns(
        evidence_seconds=(pl.col("ts_server") - pl.col("evidence_ts")).dt.total_microseconds() / 1e6,
        outcome_sent=pl.col("outcome") == "sent",
        outcome_skipped=pl.col("outcome") == "skipped",
        since_connect_over_stale_after=(pl.col("since_connect_s") > stale_after + pl.col("ts_res").fill_null(1.0)).fill_null(False),
    )
    causes = sorted({c.name for c in pack.model.causes})
    rows = rows.with_columns([(pl.col("cause") == c).fill_null(False).alias(f"cause_{c}") for c in causes])
    return rows.drop(ROWS).sort("ts_server", "file", "line")     # 600,000 decisions in a 10M-line fleet


def meals(events: pl.DataFrame, flagged: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """One row per server completion: was its user active, and how did the client first see it.

    ``flagged``: events with :meth:`Liveness.flags_at` columns, the completions among them."""
    done = flagged.drop(ROWS).filter((pl.col("kind") == MEAL_DONE) & pl.col("uid").is_not_null())
    # in time order once; what the joins add is joined on the few columns they match on and put
    # beside (600,000 completions in a 10M-line fleet: each join of the whole table was a copy)
    done = done.rename({"active": "active_at_completion"}).sort("ts_server", maintain_order=True)
    seen = (events.lazy().filter(pl.col("kind").is_in(["client.meal_completed_ws", "client.meal_completed_poll"])
                                 & pl.col("uid").is_not_null() & pl.col("ts_server").is_not_null())
            .select("uid", seen_ts="ts_server", seen_kind="kind", seen_file="file", seen_line="line")
            .with_columns(_on=pl.col("seen_ts")).sort("_on").collect())
    first_seen = done.select("uid", _on=pl.col("ts_server") - pl.duration(seconds=1)).join_asof(
        seen, on="_on", by="uid", strategy="forward", tolerance="10m", check_sortedness=False).drop("uid", "_on")
    outcome = decided.filter(pl.col("meal_id").is_not_null()).group_by("meal_id").agg(decision=pl.col("outcome").first())
    # the client's submission of the same meal (full id on the client, prefix or full id on the server)
    submitted = (events.lazy().filter((pl.col("kind") == "client.meal_submitted") & pl.col("meal_id").is_not_null())
                 .group_by("meal_id").agg(submitted_ts=pl.col("ts_server").min(), submitted_file=pl.col("file").first(),
                                          submitted_line=pl.col("line").first()).collect())
    meal = done.select("meal_id")
    by_meal = [meal.join(table, on="meal_id", how="left", maintain_order="left").drop("meal_id") if done.height
               else table.clear().drop("meal_id") for table in (outcome, submitted)]
    done = pl.concat([done, first_seen, *by_meal], how="horizontal")
    return done.with_columns(
        first_seen_by_poll=(pl.col("seen_kind") == "client.meal_completed_poll").fill_null(False),
        first_seen_by_ws=(pl.col("seen_kind") == "client.meal_completed_ws").fill_null(False),
        # a receipt a fraction of a second "before" the completion is clock uncertainty: count it as 0
        latency_s=((pl.col("seen_ts") - pl.col("ts_server")).dt.total_microseconds() / 1e6).clip(lower_bound=0.0),
    )
