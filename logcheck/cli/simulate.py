"""``logcheck simulate``: write realistic incident logs and their ground truth."""
from __future__ import annotations

from pathlib import Path

import click

from ..simulate import BACKEND_FORMATS, IOS_FORMATS, Scenario, write


@click.command()
@click.option("--bug/--fixed", default=True, help="Backend build: with the registry bug, or with the fix.")
@click.option("--users", default=3, show_default=True, type=click.IntRange(1))
@click.option("--minutes", default=20.0, show_default=True, type=click.FloatRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--client-logs", type=click.IntRange(0), help="How many users have a client log (default: all).")
@click.option("--background", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of users who background the app.")
@click.option("--race", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of users whose first meal is decided before their socket connects.")
@click.option("--deploy-at", type=click.FloatRange(0), metavar="MINUTES",
              help="Deploy the fix this many minutes in: the bug before, the fix after.")
@click.option("--ios-format", type=click.Choice(IOS_FORMATS), default="time-only", show_default=True)
@click.option("--backend-format", type=click.Choice(BACKEND_FORMATS), default="go-log-prefix", show_default=True)
@click.option("--skew", default=0.0, show_default=True, help="Device clock minus server clock, seconds.")
@click.option("--tz", "tz_hours", default=0.0, show_default=True, help="Device time zone, hours from UTC.")
@click.option("--damage", is_flag=True, help="Damage client logs as a Mac paste does (mojibake, CRLF, NUL, cut end).")
@click.option("--gzip", "gzip_backend", is_flag=True, help="Write backend.log.gz.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
def simulate(bug, users, minutes, seed, client_logs, background, race, deploy_at, ios_format, backend_format, skew, tz_hours,
             damage, gzip_backend, output):
    """Simulate the system (pinging clients, the registry, meals, polling) and write its logs."""
    scenario = Scenario(bug=bug, users=users, minutes=minutes, seed=seed, client_logs=client_logs,
                        background=background, race=race, deploy_at=deploy_at)
    truth = write(Path(output), scenario, gzip_backend=gzip_backend, ios_format=ios_format,
                  backend_format=backend_format, skew=skew, tz_hours=tz_hours, damaged=damage)
    counts = ", ".join(f"{k} {v}" for k, v in truth.counts().items()) or "no decisions"
    click.echo(f"wrote {output}: {len(truth.decisions)} decisions ({counts})")
