"""``logcheck verify``: the verdict, with the exit code the pack spec fixes (0/1/3; 2 for usage)."""
from __future__ import annotations

import datetime as dt
import functools
import os
import shlex
import sys

import click

from .. import verify as run_verify
from .. import verify_stream
from ..render.github import github_annotations
from ..render.html import write_html
from ..render.junit import write_junit
from ..render.markdown import write_markdown
from ..render.page import build_page
from ..render.terminal import summary
from .common import (
    _pairs,
    align_options,
    all_paths,
    forced_streams,
    input_options,
    progress_for,
    translate_errors,
)


def _instant(ctx, param, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r}: write 2025-11-08T10:31:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def output_options(func):
    """Where results go; shared by verify and the report-writing commands."""
    decorators = [
        click.option("--json", "json_out", metavar="FILE|-", help="Write the JSON result ('-' for stdout)."),
        click.option("--html", "html_out", metavar="FILE", help="Write the self-contained HTML report."),
        click.option("--junit", "junit_out", metavar="FILE", help="Write JUnit XML (one testcase per criterion)."),
        click.option("--markdown", "markdown_out", metavar="FILE", help="Write a Markdown summary."),
        click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
                     help="github: workflow annotations, and the summary to $GITHUB_STEP_SUMMARY when set."),
        click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit code speaks."),
        click.option("--verbose", "-v", is_flag=True, help="List every decision, sent ones too."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


@click.command()
@input_options
@align_options
@click.option("--set", "settings", multiple=True, callback=_pairs, metavar="NAME=VALUE",
              help="Override a pack parameter (stable_for=20m).")
@click.option("--since", callback=_instant, metavar="TIME",
              help="Judge only moments from TIME on (server clock, UTC); earlier lines still count as history.")
@click.option("--until", callback=_instant, metavar="TIME", help="Judge only moments before TIME.")
@click.option("--stream", is_flag=True,
              help="For inputs larger than memory: lines go to temporary files (TMPDIR) and users are judged a part at "
                   "a time. Same result; slower, and the HTML report has no excerpts or timelines.")
@output_options
@translate_errors
def verify(paths, pack, date, ios, backend, offset, tz, user_map, settings, since, until, stream, json_out, html_out,
           junit_out, markdown_out, fmt, quiet, verbose):
    """Is the bug there, and did the fix work? Exit 0 fix_verified, 1 bug_present or
    criteria_failed, 3 inconclusive, 2 usage or unreadable input."""
    with progress_for(quiet or json_out == "-") as progress:
        # the correlated tables are kept for the HTML report only (a fleet's are 0.6 GB)
        run = verify_stream if stream else functools.partial(run_verify, tables=bool(html_out))
        result = run(
            all_paths(paths, ios, backend), pack, date=date, streams=forced_streams(ios, backend), offsets=offset,
            zones=tz, users=user_map, since=since, until=until, settings=settings,
            command=shlex.join(["logcheck", *sys.argv[1:]]), progress=progress,
        )
    write_reports(result, html_out, junit_out, markdown_out)
    # nothing below reads the tables (a fleet's are 0.6 GB): let them go before the JSON is written
    result.incident = None
    if json_out == "-":
        out = sys.stdout
        result.write_json(out)
        out.write("\n")
    elif json_out:
        with open(json_out, "w", encoding="utf-8") as fh:
            result.write_json(fh)
            fh.write("\n")
    if fmt == "github":
        click.echo(github_annotations(result))
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            write_markdown(result, os.environ["GITHUB_STEP_SUMMARY"], append=True)
    elif not quiet and json_out != "-":
        click.echo(summary(result, verbose))
    sys.exit(result.exit_code)


def write_reports(result, html_out: str | None, junit_out: str | None, markdown_out: str | None) -> None:
    """The report files asked for; each is optional."""
    if html_out:
        write_html(build_page(result, result.incident), html_out)
    if junit_out:
        write_junit(result, junit_out)
    if markdown_out:
        write_markdown(result, markdown_out)
