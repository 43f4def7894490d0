"""``logcheck rules``: list, validate and explain rule packs."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..packs import list_packs, load_pack, resolve_pack_path, validate_pack
from ..render.explain import explain_pack
from .common import translate_errors


@click.group()
def rules() -> None:
    """Rule packs: what ships, whether a pack is sound, what it checks."""


@rules.command("list")
@translate_errors
def list_cmd():
    """List the shipped packs."""
    for name in list_packs():
        pack = load_pack(name)
        click.echo(f"{name}  v{pack.model.version}  {pack.model.title}  ({len(pack.model.criteria)} criteria)")


@rules.command()
@click.argument("packs", nargs=-1, required=True)
@translate_errors
def validate(packs):
    """Check pack files; print every problem with file:line:column. Exit 1 if any."""
    bad = 0
    for given in packs:
        path = resolve_pack_path(given)
        problems = validate_pack(Path(path))
        if problems:
            bad += 1
            for p in problems:
                click.echo(p)
        else:
            click.echo(f"{path}: ok")
    sys.exit(1 if bad else 0)


@rules.command()
@click.argument("pack", default="ws-registry")
@translate_errors
def explain(pack):
    """Explain a pack in words: parameters, vocabulary, causes, criteria, verdict."""
    click.echo(explain_pack(load_pack(pack)))
