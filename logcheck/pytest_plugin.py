"""pytest plugin: every folder with an ``expect.yaml`` is a test of logcheck's verdict on its logs.

Installed with logcheck (entry point ``pytest11``), so ``pytest sample_logs/`` works in any
repository. ``expect.yaml`` holds ``verdict``, optionally ``criteria`` ({SC1: pass, ...}),
``decisions`` ({registry_stale: 1, sent: 3}), ``pack``, and ``options`` for ``logcheck.verify``
(``users``, ``offsets``, ``zones``, ``settings``, ``date``, ``since``, ``until``).
"""
from __future__ import annotations

import datetime as dt

import pytest
import yaml


def pytest_collect_file(parent, file_path):
    if file_path.name == "expect.yaml":
        return ExpectFile.from_parent(parent, path=file_path)
    return None


class ExpectFile(pytest.File):
    def collect(self):
        yield ExpectItem.from_parent(self, name=self.path.parent.name)


class Mismatch(Exception):
    """What differs between the expectation and the run."""


class ExpectItem(pytest.Item):
    def runtest(self) -> None:
        from . import verify

        expect = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        if "verdict" not in expect:
            raise Mismatch(f"{self.path}: expect.yaml needs a `verdict`")
        options = dict(expect.get("options") or {})
        for key in ("since", "until"):
            if isinstance(options.get(key), str):
                options[key] = dt.datetime.fromisoformat(options[key].replace("Z", "+00:00"))
        if isinstance(options.get("date"), str):
            options["date"] = dt.date.fromisoformat(options["date"])
        result = verify([str(self.path.parent)], expect.get("pack", "ws-registry"), **options)
        problems = []
        if result.verdict != expect["verdict"]:
            problems.append(f"verdict: expected {expect['verdict']}, got {result.verdict} ({result.reason})")
        got = {c.id: c for c in result.criteria}
        for cid, status in (expect.get("criteria") or {}).items():
            c = got.get(cid)
            if c is None:
                problems.append(f"{cid}: no such criterion in the pack")
            elif c.status != status:
                lines = [f"    {e.file}:{e.line}: {e.text}" + (f"  ({e.note})" if e.note else "") for e in c.evidence[:5]]
                problems.append(f"{cid} {c.title}: expected {status}, got {c.status}: {c.summary}"
                                + (f" [{c.reason}]" if c.reason else "") + ("\n" + "\n".join(lines) if lines else ""))
        if "decisions" in expect:
            counts = result.decision_counts()
            if counts != (expect["decisions"] or {}):
                problems.append(f"decisions: expected {expect['decisions']}, got {dict(sorted(counts.items()))}")
        if problems:
            raise Mismatch("\n".join(problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, Mismatch):
            return f"{self.path.parent}:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"logcheck: {self.path.parent.name}"
