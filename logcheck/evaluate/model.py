"""Plain result objects: what each check found, and the run's verdict. JSON comes from here."""
from __future__ import annotations

import codecs
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, TextIO

import polars as pl

from ..frames import ahead

EVIDENCE_CAP = 20
_JSON_ROWS = 20_000
_TEXT_ROWS = 100_000    # decisions whose lines are read at once when JSON is written (10M: 0.2 GB above the tables)


def _writer(out: TextIO) -> Callable[[str | pl.Series], None]:
    """Writes text, or a polars text value (a series of one), to ``out``: into a UTF-8 file's
    buffer as the bytes polars holds. As a Python string, one emoji makes every character 2 or 4
    bytes, and the file encodes them all again (10M fleet lines: 1.9 of the JSON's 4.6 s)."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is None or not encoding or codecs.lookup(encoding).name != "utf-8":
        return lambda text: out.write(text if isinstance(text, str) else text.item())
    out.flush()     # what was written as text goes first

    def write(text: str | pl.Series) -> None:
        buffer.write(text.encode() if isinstance(text, str) else text.cast(pl.Binary).item())
    return write


def shown_message(component: str | None, message: str | None) -> str | None:
    """A parsed line as people read it: ``Component: message``."""
    if message is None:
        return None
    return (f"{component}: " if component else "") + message.strip()


@dataclass
class Evidence:
    """One log line cited as evidence."""

    file: str
    line: int
    text: str
    time: str | None = None   # ISO-8601 on the server clock
    note: str | None = None   # why this line matters ("no registry refresh within ±2 s")
    message: str | None = None  # the parsed (and repaired) message, for readers; ``text`` is the line as read


@dataclass
class CheckResult:
    id: str
    title: str
    status: str                     # pass | fail | inconclusive
    summary: str                    # measured value next to its threshold
    cases: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    evidence_more: int = 0          # cases beyond the cap
    reason: str | None = None       # for inconclusive: what evidence is missing
    allowance: bool = False         # the result leaned on timestamp resolution / clock spread
    checks: list["CheckResult"] = field(default_factory=list)

    def cite(self, rows: list[Evidence]) -> None:
        self.evidence = rows[:EVIDENCE_CAP]
        self.evidence_more = max(0, len(rows) - EVIDENCE_CAP)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["evidence"] = [{k: v for k, v in e.items() if v is not None} for e in d["evidence"]]
        if not self.checks:
            d.pop("checks")
        return d


@dataclass
class Result:
    verdict: str
    reason: str
    exit_code: int
    criteria: list[CheckResult]
    discriminating: CheckResult
    decision_rows: pl.DataFrame     # one row per decision in time order, numbered ``_d``: JSON shape without evidence, time a datetime
    decision_lines: pl.DataFrame    # ``_d``, file, line, role, seconds_before: each decision's line, then its deciding one
    clock: list[dict]
    inputs: list[dict]
    impact: dict[str, Any]
    warnings: list[str]
    pack: dict[str, Any]
    run: dict[str, Any]
    texts: Any = field(repr=False, compare=False)      # reads a line's text again (``ingest.Texts``)
    incident: Any = field(default=None, repr=False, compare=False)   # for reports; not in the JSON

    @cached_property
    def decisions(self) -> list[dict]:
        """Decisions as dicts: user, time, outcome, cause, meal, active, allowance, evidence[]."""
        return self.decisions_of(self.decision_rows)

    @property
    def decision_table(self) -> pl.DataFrame:
        """One row per decision, in JSON shape (see ``decisions``), its lines' text read from the
        logs: a fleet's is hundreds of MB (:meth:`decision_table_of` some rows reads only theirs)."""
        return self.decision_table_of(self.decision_rows)

    def decision_table_of(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` of ``decision_rows`` (any selection, in any order) in JSON shape: with their
        ``evidence``, each decision's own line and then its deciding one, text read again."""
        # file and role stay categories: polars writes them as text (as text, 1M names made at 10M)
        lines = self.texts.of(self.decision_lines.filter(pl.col("_d").is_in(rows["_d"].implode())))
        # each decision's evidence list, built long then grouped (concat_list of structs is 80x
        # slower); the order within a group is the lines' order: its own line first
        evidence = lines.group_by("_d", maintain_order=True).agg(
            evidence=pl.struct("file", "line", pl.col("raw").alias("text"), "role", "seconds_before"))
        # the time as text here, for these rows only (for a fleet's every decision: 0.6 GB at 260M lines)
        ts = pl.col("time")
        written = pl.when(ts.dt.microsecond() == 0).then(ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ")).otherwise(   # as isoformat()
            ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
        return rows.with_columns(time=written).join(evidence, on="_d", how="left", maintain_order="left").drop("_d")

    def decisions_of(self, rows: pl.DataFrame) -> list[dict]:
        """``rows`` of ``decision_rows`` as dicts, like ``decisions`` (their lines' text read for them only)."""
        out = self.decision_table_of(rows).to_dicts()
        for d in out:   # the decision line itself has no `seconds_before`
            d["evidence"] = [{k: v for k, v in e.items() if v is not None or k != "seconds_before"} for e in d["evidence"]]
        return out

    def decision_counts(self) -> dict[str, int]:
        """Decisions by cause, ``sent`` for the sent ones, sorted by name."""
        if not self.decision_rows.height:
            return {}
        counts = self.decision_rows.group_by(key=pl.col("cause").fill_null("sent")).len().sort("key")
        return dict(zip(counts["key"].to_list(), counts["len"].to_list()))

    def to_json(self) -> dict:
        """The JSON result; keys from the pack spec, plus ``exit_code``, ``pack``, ``run``."""
        return self._json(self.decisions)

    def json_text(self) -> str:
        """:meth:`to_json` as indented text, decisions one per line (see :meth:`write_json`)."""
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """Write :meth:`to_json` as indented text, decisions one per line. Decisions are written by
        polars: a dict per decision costs seconds at fleet scale, and the text is written in
        pieces, not joined into one string of hundreds of megabytes."""
        marker = json.dumps("\u0000decisions\u0000")
        head, tail = json.dumps(self._json(json.loads(marker)), indent=2, default=str).split(marker, 1)
        out.write(head)
        rows = self.decision_rows
        if rows.height:
            out.write("[\n    ")
            # in slices, their lines read a slice at a time: a fleet's decisions are 100s of MB of
            # text; a source read whole to find a line (gzip, stdin) is read once for all
            files = self.decision_lines["file"].unique().cast(pl.String).to_list()
            step = _TEXT_ROWS if self.texts.by_position(files) else rows.height
            write = _writer(out)
            for k, table in enumerate(self._tables_ahead(rows, step)):
                for at in range(0, table.height, _JSON_ROWS):
                    # as in ``decisions``: no `seconds_before` on the decision line (text values are escaped: exact)
                    part = table.slice(at, _JSON_ROWS).select(pl.struct(pl.all()).struct.json_encode().str.replace(
                        '"role":"decision","seconds_before":null}', '"role":"decision"}', literal=True))
                    if k or at:
                        write(",\n    ")
                    write(part.to_series().str.join(",\n    "))     # not joined to the separator: 100s of MB
                del table       # before the next slice is taken: two slices at most, not three
            out.write("\n  ]")
        else:
            out.write("[]")
        out.write(tail)

    def _tables_ahead(self, rows: pl.DataFrame, step: int) -> Iterator[pl.DataFrame]:
        """:meth:`decision_table_of` each slice of ``step`` rows, in order, the next slice's lines
        read while the caller encodes this one (see ``frames.ahead``)."""
        return ahead(self.decision_table_of(rows.slice(start, step)) for start in range(0, rows.height, step))

    def _json(self, decisions: Any) -> dict:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "criteria": [c.as_dict() for c in self.criteria],
            "discriminating": self.discriminating.as_dict(),
            "decisions": decisions,
            "clock": self.clock,
            "inputs": self.inputs,
            "impact": self.impact,
            "warnings": self.warnings,
            "pack": self.pack,
            "run": self.run,
        }
