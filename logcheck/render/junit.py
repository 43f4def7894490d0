"""JUnit XML for CI: one testcase per criterion; failures carry readable evidence in their body."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..evaluate.model import CheckResult, Result


def _evidence_text(c: CheckResult) -> str:
    lines = [c.summary]
    lines += [f"{e.file}:{e.line}: {e.text}" + (f"  ({e.note})" if e.note else "") for e in c.evidence]
    if c.evidence_more:
        lines.append(f"... and {c.evidence_more} more")
    return "\n".join(lines)


def render_junit(result: Result) -> str:
    """``classname`` is the pack, ``name`` is "SC1 title"; inconclusive is skipped with its reason."""
    pack = result.pack["name"]
    cases = result.criteria + [result.discriminating]
    suite = ET.Element("testsuite", name=f"logcheck {pack}", tests=str(len(cases)),
                       failures=str(sum(c.status == "fail" for c in cases)),
                       skipped=str(sum(c.status == "inconclusive" for c in cases)), errors="0")
    props = ET.SubElement(suite, "properties")
    for key, value in (("verdict", result.verdict), ("reason", result.reason), ("exit_code", str(result.exit_code)),
                       ("pack_sha256", result.pack["sha256"]), ("logcheck_version", result.run["logcheck_version"])):
        ET.SubElement(props, "property", name=key, value=value)
    for c in cases:
        case = ET.SubElement(suite, "testcase", classname=pack, name=f"{c.id} {c.title}")
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", message=c.summary, type="criterion_failed")
            failure.text = _evidence_text(c)
        elif c.status == "inconclusive":
            ET.SubElement(case, "skipped", message=f"inconclusive: {c.reason or c.summary}")
        else:
            ET.SubElement(case, "system-out").text = c.summary
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_junit(result: Result, path: str | Path) -> None:
    Path(path).write_text(render_junit(result), encoding="utf-8")
