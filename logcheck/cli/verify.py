"""``logcheck verify``: the verdict, with the exit code the pack spec fixes (0/1/3; 2 for usage)."""
from __future__ import annotations

import datetime as dt
import json
import shlex
import sys

import click

from .. import verify as run_verify
from ..render.terminal import summary
from .common import _pairs, align_options, all_paths, forced_streams, input_options, translate_errors


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
@click.option("--since", callback=_instant, metavar="TIME", help="Ignore lines before TIME (server clock, UTC).")
@click.option("--until", callback=_instant, metavar="TIME", help="Ignore lines from TIME on.")
@output_options
@translate_errors
def verify(paths, pack, date, ios, backend, offset, tz, user_map, settings, since, until, json_out, quiet, verbose):
    """Is the bug there, and did the fix work? Exit 0 fix_verified, 1 bug_present or
    criteria_failed, 3 inconclusive, 2 usage or unreadable input."""
    result = run_verify(
        all_paths(paths, ios, backend), pack, date=date, streams=forced_streams(ios, backend), offsets=offset,
        zones=tz, users=user_map, since=since, until=until, settings=settings,
        command=shlex.join(["logcheck", *sys.argv[1:]]),
    )
    if json_out:
        text = json.dumps(result.to_json(), indent=2, default=str)
        if json_out == "-":
            click.echo(text)
        else:
            with open(json_out, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
    if not quiet and json_out != "-":
        click.echo(summary(result, verbose))
    sys.exit(result.exit_code)
