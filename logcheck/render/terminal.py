"""The terminal summary of a verify run: verdict, criteria, decisions, impact, clock, warnings."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ..evaluate.model import Result
from .tables import text_table

_DECISION_ROWS = 15


def _short(path: str) -> str:
    return Path(path).name


def _num(value, fmt: str = "{:g}", none: str = "-") -> str:
    return none if value is None else fmt.format(value)


def summary(result: Result, verbose: bool = False) -> str:
    out = [f"verdict: {result.verdict} (exit {result.exit_code})", result.reason, ""]
    rows = [(c.id, c.status, c.summary + (f"  [{c.reason}]" if c.reason else "")) for c in result.criteria]
    d = result.discriminating
    rows.append(("disc.", d.status, d.summary + (f"  [{d.reason}]" if d.reason else "")))
    out += [text_table(("criterion", "status", "measured"), rows), ""]
    table = result.decision_rows
    skipped = int((table["outcome"] == "skipped").sum()) if table.height else 0
    causes = result.impact.get("skipped_by_cause", {})
    out.append(f"decisions: {table.height} ({table.height - skipped} sent, {skipped} skipped"
               + (": " + ", ".join(f"{k} {v}" for k, v in causes.items()) if causes else "") + ")")
    shown = table if verbose else table.filter(pl.col("outcome") == "skipped").head(_DECISION_ROWS)
    for x in result.decisions_of(shown):
        dec = x["evidence"][0]
        line = f"  {x['time']}  {(x['user'] or '?')[:13]:13}  {x['outcome']:7}  {x['cause'] or '-':19}  {_short(dec['file'])}:{dec['line']}"
        if len(x["evidence"]) > 1:
            ev = x["evidence"][1]
            line += f"  <- {ev['role']} {ev['seconds_before']:.1f} s before at {_short(ev['file'])}:{ev['line']}"
        out.append(line)
    if skipped > _DECISION_ROWS and not verbose:
        out.append(f"  ... {skipped - _DECISION_ROWS} more (see --json)")
    imp = result.impact
    out += ["", "impact: delivery rate " + _num(imp["delivery_rate"], "{:.0%}")
            + ", result latency p50 " + _num(imp["result_latency_p50_s"], "{:g} s")
            + " (WebSocket " + _num(imp["result_latency_ws_p50_s"], "{:g} s") + ", polling "
            + _num(imp["result_latency_poll_p50_s"], "{:g} s") + ")"
            + ", polls per user-minute " + _num(imp["polls_per_user_minute"], "{:g}")]
    clock = [c for c in result.clock if c["stream"] == "ios"] if result.clock and "stream" in result.clock[0] else result.clock
    for c in clock:
        spread = f", spread {c['spread_seconds']:g} s" if c["spread_seconds"] is not None else ""
        out.append(f"clock: {_short(c['file'])} offset {c['offset_seconds']:+g} s ({c['method']}, "
                   f"{c['samples']} sample(s){spread})" + (f" - {c['note']}" if c["note"] else ""))
    if result.warnings:
        silent = [w.split()[1] for w in result.warnings if w.startswith("vocabulary ") and w.endswith(" matched 0 lines")]
        others = [w for w in result.warnings if not (w.startswith("vocabulary ") and w.endswith(" matched 0 lines"))]
        out += ["", f"warnings ({len(result.warnings)}):"] + [f"  {w}" for w in others]
        if silent:
            out.append(f"  vocabulary that matched 0 lines ({len(silent)}): {', '.join(silent)}")
    return "\n".join(out)
