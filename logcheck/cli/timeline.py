"""``logcheck timeline``: both streams merged on the server clock, client | server."""
from __future__ import annotations

import click

from .. import load
from ..durations import parse_duration
from ..errors import UsageError
from ..render.timeline import timeline_text
from .common import (
    align_options,
    all_paths,
    forced_streams,
    input_options,
    progress_for,
    translate_errors,
)


@click.command()
@input_options
@align_options
@click.option("--show", "who", metavar="USER", help="Only this user (full id or prefix). `--user ID` works too.")
@click.option("--around", metavar="TIME", help="Centre on TIME (10:07:51 or 2025-11-08T10:07:51Z), server clock.")
@click.option("--window", default="60s", show_default=True, help="With --around: how far either side.")
@click.option("--width", default=60, show_default=True, help="Width of each message column.")
@translate_errors
def timeline(paths, pack, date, ios, backend, offset, tz, user_map, who, around, window, width):
    """Print client and server lines side by side in time order, with the gaps that matter."""
    # `--user ID` (no '=') selects a user here; `--user FILE=ID` still assigns a client file
    bare = user_map.pop("", None)
    who = who or bare
    try:
        span = parse_duration(window)
    except ValueError as exc:
        raise UsageError(f"--window: {exc}") from None
    with progress_for(quiet=False) as progress:
        incident = load(all_paths(paths, ios, backend), pack, date=date, streams=forced_streams(ios, backend),
                        offsets=offset, zones=tz, users=user_map, progress=progress)
    click.echo(timeline_text(incident, user=who, around=around, window_s=span, width=width))
