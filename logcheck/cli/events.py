"""``logcheck events``: the normalized events table, a per-input summary, or unrecognised lines."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import polars as pl

from ..errors import InputError, os_reason
from ..ingest import Ingested, ingest, none_kept
from ..render.tables import events_text, summary_text
from .common import (
    all_paths,
    forced_streams,
    input_options,
    progress_for,
    translate_errors,
)

# streamed out: a fleet's full table is several times its file (rows are spilled to disk as parsed)
_SINKS = {".parquet": "sink_parquet", ".csv": "sink_csv", ".jsonl": "sink_ndjson", ".ndjson": "sink_ndjson"}
_PIPED = {"csv": "sink_csv", "jsonl": "sink_ndjson"}      # --format, to standard output


@click.command()
@input_options
@click.option("--summary", is_flag=True, help="One row per input: stream, format, line accounting.")
@click.option("--unrecognised", "--unrecognized", "unrecognised", is_flag=True,
              help="List lines that are neither events nor context, with file:line.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the table (.parquet, .csv, .jsonl), streamed: rows go to $TMPDIR as parsed, not to memory.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table", show_default=True,
              help="Terminal output format.")
@click.option("--all", "show_all", is_flag=True, help="Include context and unrecognised lines, not only events.")
@translate_errors
def events(paths, pack, date, ios, backend, summary, unrecognised, output, fmt, show_all):
    """Read iOS and backend logs (files, folders, globs, - for stdin, .gz) into one events table."""
    lean = _lean(summary, unrecognised)
    if output and Path(output).suffix.lower() not in _SINKS:
        raise click.BadParameter(f"{output}: use a .parquet, .csv or .jsonl file name", param_hint="-o")
    sink = _SINKS[Path(output).suffix.lower()] if output else _PIPED.get(fmt)     # the whole table, streamed
    writes_file = bool(sink and output and not lean)
    with progress_for(quiet=False) as progress:
        result = ingest(all_paths(paths, ios, backend), pack, date=date, streams=forced_streams(ios, backend),
                        progress=progress, spill=bool(sink) and not lean, **lean)
        if writes_file:     # the run's last stage (standard output is written with no bar over it)
            progress.stage(f"writing {output}")
            _write(result, sink, output, show_all)
    if summary:
        click.echo(summary_text(result.inputs))
        return
    if unrecognised:
        rows = result.unrecognised()
        if rows.height:      # a fleet log can have a million: one string, not a Python loop
            click.echo(rows.select(pl.format("{}:{}: {}", "file", "line", "raw").str.join("\n")).item())
        click.echo(f"{rows.height} unrecognised line(s)", err=True)
        return
    if sink:
        if writes_file:
            rows = sum(s.lines if show_all else s.events for s in result.inputs)    # one row a line, or an event
            click.echo(f"wrote {rows} rows to {output}", err=True)
        else:
            _write(result, sink, None, show_all)
        return
    table = result.events if show_all else result.events.filter(pl.col("kind").is_not_null())
    click.echo(events_text(table))


def _write(result: Ingested, sink: str, output: str | None, show_all: bool) -> None:
    """The whole table (events only, unless ``show_all``) streamed by the ``sink`` writer to
    ``output``, or to standard output; the rows written to disk as parsed go after."""
    table = result.table() if show_all else result.table().filter(pl.col("kind").is_not_null())
    try:
        getattr(table, sink)(output or sys.stdout.buffer)
    except OSError as exc:
        if not output and os_reason(exc) == "Broken pipe":     # `| head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())    # no second error at exit
            return
        raise InputError(f"{output or 'standard output'}: cannot write: {os_reason(exc)}") from None
    finally:
        result.close()


def _lean(summary: bool, unrecognised: bool) -> dict:
    """What ``ingest`` need not keep for these outputs: a summary is counts only (no table), and
    the unrecognised lines are a few of a fleet's millions. Lines left out are still counted."""
    if summary:
        return {"columns": (), "keep": none_kept}
    if unrecognised:
        return {"columns": ("file", "line", "kind", "context", "raw"),
                "keep": lambda stream: pl.col("kind").is_null() & ~pl.col("context").fill_null(False)}
    return {}
