"""What a rule measured, in parts that add up when the users are split.

A rule is measured (:class:`Tally`) and then judged. ``verify --stream`` measures each partition
of the users on its own, merges the tallies, and judges once: every part of a tally is a sum, a
largest value, the first rows in some order, or values kept whole for quantiles (few: the
latencies of client users' deliveries).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..frames import copied


@dataclass
class Rows:
    """The first ``limit`` rows in ``by`` order: what a check may cite."""

    frame: pl.DataFrame
    by: tuple[str, ...]
    descending: bool | list[bool] = False
    limit: int = 200

    def top(self) -> pl.DataFrame:
        if not self.frame.height:
            return self.frame
        return self.frame.sort(list(self.by), descending=self.descending, nulls_last=True).head(self.limit)


@dataclass
class Tally:
    counts: dict[str, float] = field(default_factory=dict)          # summed
    highs: dict[str, float | None] = field(default_factory=dict)    # the largest (None: none seen)
    rows: dict[str, Rows] = field(default_factory=dict)             # the first rows by an order
    values: dict[str, pl.Series] = field(default_factory=dict)      # all of them
    parts: list["Tally"] = field(default_factory=list)              # the checks of an all_of

    def kept(self) -> "Tally":
        """This tally holding only what a merge can use (the first rows, not all: copied, not a
        slice of all)."""
        rows = {k: Rows(copied(r.top()), r.by, r.descending, r.limit) for k, r in self.rows.items()}
        return Tally(dict(self.counts), dict(self.highs), rows, dict(self.values), [p.kept() for p in self.parts])


def merge(tallies: list[Tally]) -> Tally:
    """One tally for all the users the ``tallies`` measured apart (disjoint sets of users)."""
    first = tallies[0]
    out = Tally()
    for key in first.counts:
        out.counts[key] = sum(t.counts[key] for t in tallies)
    for key in first.highs:
        seen = [t.highs[key] for t in tallies if t.highs[key] is not None]
        out.highs[key] = max(seen) if seen else None
    for key, r in first.rows.items():
        frames = [t.rows[key].frame for t in tallies if t.rows[key].frame.height]
        frame = pl.concat(frames, how="vertical_relaxed") if frames else r.frame
        out.rows[key] = Rows(Rows(frame, r.by, r.descending, r.limit).top(), r.by, r.descending, r.limit)
    for key in first.values:
        out.values[key] = pl.concat([t.values[key] for t in tallies])
    out.parts = [merge([t.parts[i] for t in tallies]) for i in range(len(first.parts))]
    return out
