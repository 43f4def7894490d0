"""The ``logcheck`` command: a thin layer over the library.

Each command parses its options, makes one library call and formats the result. Library errors
become one-line messages here (exit 2); nothing below this package imports click.
"""
from __future__ import annotations

import os
import sys

import click

from .. import __version__
from .compare import compare
from .events import events
from .rules import rules
from .simulate import simulate
from .timeline import timeline
from .verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logcheck")
def cli() -> None:
    """Is this bug really there, and did the fix really work? Answers from iOS and backend logs."""


cli.add_command(events)
cli.add_command(compare)
cli.add_command(timeline)
cli.add_command(verify)
cli.add_command(rules)
cli.add_command(simulate)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except Exception as exc:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("LOGCHECK_DEBUG"):
            raise
        print(f"logcheck: internal error: {type(exc).__name__}: {exc} (set LOGCHECK_DEBUG=1 for the traceback)",
              file=sys.stderr)
        sys.exit(2)
