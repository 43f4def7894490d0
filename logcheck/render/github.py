"""GitHub Actions workflow commands: the verdict and up to ten annotations at log file:line."""
from __future__ import annotations

from ..evaluate.model import Result

MAX_ANNOTATIONS = 10


def _escape(text: str, prop: bool = False) -> str:
    # workflow-command escaping (`%`, CR, LF; and `:` `,` inside properties)
    out = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


def github_annotations(result: Result) -> str:
    level = {"fix_verified": "notice", "inconclusive": "warning"}.get(result.verdict, "error")
    lines = [f"::{level} title={_escape('logcheck ' + result.verdict, True)}::{_escape(result.reason)}"]
    cited = [(c, e) for c in result.criteria if c.status == "fail" for e in c.evidence]
    for c, e in cited[:MAX_ANNOTATIONS - 1]:
        lines.append(f"::error file={_escape(e.file, True)},line={e.line},title={_escape(c.id + ' ' + c.title, True)}::"
                     f"{_escape(c.summary + (': ' + e.note if e.note else ''))}")
    return "\n".join(lines)
