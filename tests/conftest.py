from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from logcheck.cli import cli

# CI runs the same examples every time; local runs keep exploring new ones
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
SEED = ROOT / "sample_logs" / "seed-excerpt"
USER = "4eb4c27c-304d-4cca-8cc8-2b67a4c75d98"


@pytest.fixture
def run():
    """Run the CLI; return (exit code, stdout, stderr)."""

    def _run(*args: str, input: str | bytes | None = None):
        result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return _run


@pytest.fixture
def write(tmp_path):
    """Write files into a fresh folder: write({"ios.log": "...", ...}) -> folder."""

    def _write(files: dict[str, str | bytes], folder: str = "logs") -> Path:
        out = tmp_path / folder
        out.mkdir(exist_ok=True)
        for name, data in files.items():
            path = out / name
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        return out

    return _write


def verify_json(run, *args) -> tuple[int, dict]:
    code, out, _ = run("verify", *args, "--json", "-")
    return code, json.loads(out)


pytest_plugins = ["pytester"]
