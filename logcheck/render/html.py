"""The HTML report: the page model rendered by ``reports/report.html.j2`` with autoescape on."""
from __future__ import annotations

from pathlib import Path

import jinja2

from .. import __version__
from ..resources import data_dir
from .page import Page


def _env(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(data_dir("reports")), autoescape=autoescape,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(page: Page) -> str:
    """One self-contained page: CSS inline, charts as data URIs, nothing loaded from elsewhere."""
    css = (data_dir("reports") / "report.css").read_text(encoding="utf-8")
    return _env(True).get_template("report.html.j2").render(page=page, css=jinja2.utils.markupsafe.Markup(css),
                                                            version=__version__)


def write_html(page: Page, path: str | Path) -> None:
    Path(path).write_text(render_html(page), encoding="utf-8")


def render_compare_html(comparison) -> str:
    """The before/after page: both verdicts, then criteria and impact side by side."""
    from .page import VERDICT_STYLE

    css = (data_dir("reports") / "report.css").read_text(encoding="utf-8")
    return _env(True).get_template("compare.html.j2").render(c=comparison, css=jinja2.utils.markupsafe.Markup(css),
                                                             styles=VERDICT_STYLE, version=__version__)
