"""A Markdown summary fit for ``$GITHUB_STEP_SUMMARY``: verdict, criteria table, top evidence."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

from ..evaluate.model import Result
from ..resources import data_dir

LIMIT = 1 << 20   # GitHub rejects step summaries over 1 MiB
ICONS = {"fix_verified": "✅", "bug_present": "❌", "criteria_failed": "❌", "inconclusive": "⚠️"}


def _md(text: str) -> str:
    """Log text is data: no HTML, no links, no emphasis."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", str(text))


def render_markdown(result: Result, top: int = 10) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(data_dir("reports")), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(
        md=_md,
        cell=lambda s: _md(s).replace("\n", " "),
        fence=lambda s: str(s).replace("```", "ʼʼʼ"),
        short=lambda p: Path(p).name,
    )
    causes = result.decision_counts()
    failing = [c for c in result.criteria if c.status == "fail" and c.evidence]
    text = env.get_template("summary.md.j2").render(r=result, pack=result.pack["name"], icon=ICONS[result.verdict],
                                                    causes=causes, failing=failing, top=top)
    if len(text.encode()) > LIMIT:
        text = text.encode()[: LIMIT - 200].decode("utf-8", "ignore") + "\n\n… (cut at 1 MiB)\n"
    return text


def write_markdown(result: Result, path: str | Path, append: bool = False) -> None:
    with open(path, "a" if append else "w", encoding="utf-8") as fh:
        fh.write(render_markdown(result))
