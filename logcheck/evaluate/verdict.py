"""The verdict, as the pack spec fixes it.

``bug_present`` (exit 1) when any decision has the pack's bug cause; else ``criteria_failed``
(exit 1) when a criterion fails; else ``fix_verified`` (exit 0) when every listed criterion passes
and the discriminating evidence exists; else ``inconclusive`` (exit 3), naming what is missing.
"""
from __future__ import annotations

import polars as pl

from ..packs import Pack
from .model import CheckResult

EXIT = {"fix_verified": 0, "bug_present": 1, "criteria_failed": 1, "inconclusive": 3}


def decide(pack: Pack, criteria: list[CheckResult], discriminating: CheckResult,
           decisions: pl.DataFrame) -> tuple[str, str, int]:
    cause = pack.model.verdict.bug_cause
    bug = decisions.filter(pl.col("cause") == cause) if decisions.height else decisions
    if bug.height:
        gaps = bug["evidence_seconds"].drop_nulls()
        span = f" {gaps.min():.0f}-{gaps.max():.0f} s earlier" if gaps.len() and gaps.min() != gaps.max() else \
            (f" {gaps.min():.0f} s earlier" if gaps.len() else "")
        users = bug["uid"].n_unique()
        return ("bug_present",
                f"Registry bug present: {bug.height} notification(s) skipped for {users} user(s) whose app showed "
                f"liveness{span} ({cause}).", EXIT["bug_present"])
    listed = [c for c in criteria if c.id in pack.model.verdict.all_pass]
    failed = [c for c in listed if c.status == "fail"]
    if failed:
        return ("criteria_failed", "No registry_stale decision, but " +
                "; ".join(f"{c.id} failed ({c.summary})" for c in failed) + ".", EXIT["criteria_failed"])
    if all(c.status == "pass" for c in listed) and discriminating.status == "pass":
        return ("fix_verified", f"Fix verified: all of {', '.join(c.id for c in listed)} pass, and "
                f"{discriminating.metrics.get('count', 0)} notification(s) reached active users at moments a stale "
                "registry would have skipped.", EXIT["fix_verified"])
    missing = [f"{c.id}: {c.reason}" for c in listed if c.status == "inconclusive"]
    if discriminating.status != "pass":
        missing.append(f"discriminating evidence: {discriminating.reason}")
    return "inconclusive", "Not enough evidence: " + "; ".join(missing) + ".", EXIT["inconclusive"]
