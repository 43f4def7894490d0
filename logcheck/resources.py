"""Where the shipped data (rule packs, formats, report templates) lives.

In a wheel it is package data under ``logcheck/_data``; in a checkout or an editable install it
is the repository's top-level ``rules/`` and ``reports/`` folders.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of shipped data called ``name`` ("rules" or "reports")."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"logcheck data folder {name!r} is missing from this installation")
