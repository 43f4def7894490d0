"""``logcheck compare``: before vs after, as terminal, HTML and JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..compare import compare as run_compare
from ..compare import compare_split
from ..render.html import render_compare_html
from ..render.tables import text_table
from .common import align_options, progress_for, translate_errors
from .verify import _instant


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--split-at", callback=_instant, metavar="TIME", help="One set of logs, split at TIME (a deploy).")
@click.option("--pack", default="ws-registry", show_default=True)
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Date of time-only lines.")
@align_options
@click.option("--json", "json_out", metavar="FILE|-", help="Write both results and the comparison as JSON.")
@click.option("--html", "html_out", metavar="FILE", help="Write the before/after page.")
@translate_errors
def compare(paths, split_at, pack, date_text, offset, tz, user_map, json_out, html_out):
    """Compare BEFORE AFTER (two folders), or LOGS --split-at TIME. Exit code: the after side's verdict."""
    import datetime as dt

    date = dt.date.fromisoformat(date_text) if date_text else None
    if not split_at and len(paths) != 2:
        raise click.UsageError("give two folders (BEFORE AFTER), or logs and --split-at TIME")
    with progress_for(quiet=json_out == "-") as progress:
        options = dict(date=date, offsets=offset, zones=tz, users=user_map, progress=progress)
        if split_at:
            result = compare_split(list(paths), split_at, pack, **options)
        else:
            result = run_compare([paths[0]], [paths[1]], pack, **options)
    if json_out:
        text = json.dumps(result.to_json(), indent=2, default=str)
        click.echo(text) if json_out == "-" else Path(json_out).write_text(text + "\n", encoding="utf-8")
    if html_out:
        Path(html_out).write_text(render_compare_html(result), encoding="utf-8")
    if json_out != "-":
        click.echo(text_table(("", *result.labels), result.rows()))
    sys.exit(result.exit_code)
