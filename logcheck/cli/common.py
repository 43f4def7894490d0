"""Options shared by several commands, spelled the same everywhere, and error translation."""
from __future__ import annotations

import datetime as dt
import functools
import sys
import threading
import time
from typing import Callable

import click

from ..errors import LogcheckError
from ..progress import Progress


class Failure(click.ClickException):
    """A library error shown as one line; exit 2 (usage errors and unreadable input)."""

    exit_code = 2


def translate_errors(func: Callable) -> Callable:
    """Turn library errors into one-line CLI errors instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except LogcheckError as exc:
            raise Failure(str(exc)) from None

    return wrapper


def _date(ctx, param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


def _pairs(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep and param.name == "user_map" and ctx.info_name == "timeline":
            out[""] = value  # timeline --user ID: the user to show
            continue
        if not sep or not key or not rest:
            raise click.BadParameter(f"{value!r}: write NAME=VALUE")
        out[key] = rest
    return out


def input_options(func: Callable) -> Callable:
    """Paths plus the options that say how to read them."""
    decorators = [
        click.argument("paths", nargs=-1, required=True),
        click.option("--pack", default="ws-registry", show_default=True, metavar="NAME|PATH",
                     help="Rule pack name or YAML file."),
        click.option("--date", callback=_date, metavar="YYYY-MM-DD", help="Date of time-only lines."),
        click.option("--ios", multiple=True, metavar="PATH", help="Treat this file as the iOS stream."),
        click.option("--backend", multiple=True, metavar="PATH", help="Treat this file as the backend stream."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


def align_options(func: Callable) -> Callable:
    """How to put files on one clock and one identity."""
    decorators = [
        click.option("--offset", multiple=True, callback=_pairs, metavar="FILE=SECONDS",
                     help="Client clock minus server clock for FILE, overriding the estimate."),
        click.option("--tz", multiple=True, callback=_pairs, metavar="FILE=ZONE",
                     help="Time zone of FILE's zoneless times when no pong measures it."),
        click.option("--user", "user_map", multiple=True, callback=_pairs, metavar="FILE=ID",
                     help="The user a client FILE belongs to."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


def forced_streams(ios: tuple[str, ...], backend: tuple[str, ...]) -> dict[str, str]:
    return {**{p: "ios" for p in ios}, **{p: "backend" for p in backend}}


def all_paths(paths: tuple[str, ...], ios: tuple[str, ...], backend: tuple[str, ...]) -> list[str]:
    """Inputs plus forced files not already named."""
    out = list(paths)
    out += [p for p in (*ios, *backend) if p not in out]
    return out


class TerminalProgress(Progress):
    """One tqdm bar per run on stderr: lines done, the stage as its label; shown once the run
    has taken ``DELAY`` seconds, on terminals only."""

    DELAY = 2.0

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def stage(self, name: str, total: int | None = None, unit: str = "lines") -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        with self.lock:
            if self.bar is None:
                self.bar = tqdm(total=0, unit=" lines", unit_scale=True, delay=self.DELAY, leave=False, file=sys.stderr)
                # tqdm draws on updates only: a stage with none (correlating) is shown when the delay is over
                self.timer = threading.Timer(self.DELAY, self._show)
                self.timer.daemon = True
                self.timer.start()
            self.bar.set_description(name, refresh=False)
            # a file's lines are estimated from its first block: past the estimate, tqdm would drop the percentage
            self.bar.total = max(self.bar.total, self.bar.n) + (total or 0)
            # tqdm's delay holds back updates only: a refresh before it would flash a bar on a short run
            if time.time() >= self.bar.start_t + self.bar.delay:
                self._draw()

    def _show(self) -> None:
        with self.lock:
            if self.bar is not None:
                self._draw()

    def _draw(self) -> None:
        self.bar.refresh()
        # what tqdm reads to know the bar is on the screen, and to clear it when closed
        self.bar.last_print_t = time.time()

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            with self.lock:
                self.bar.update(n)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            if self.bar is not None:
                self.bar.close()
                self.bar = None


def progress_for(quiet: bool) -> TerminalProgress:
    return TerminalProgress(enabled=not quiet and sys.stderr.isatty())
