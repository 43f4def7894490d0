"""Rule packs, formats and report templates ship inside the wheel and load from it."""
from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_carries_the_packs_and_reads_them(tmp_path):
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = out.glob("logcheck-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "logcheck/_data/rules/ws-registry.yaml" in names and "logcheck/_data/rules/formats.yaml" in names
    # install the wheel into a folder of its own and import logcheck from there, not the checkout
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import logcheck, logcheck.resources as r, logcheck.packs as p; "
            "print(logcheck.__file__); print(r.data_dir('rules')); print(p.load_pack('ws-registry').name); "
            "from logcheck.ingest.formats import load_formats; print(len(load_formats().text))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": ""},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    module, data, name, formats = done.stdout.split("\n")[:4]
    assert module.startswith(str(target)) and data == str(target / "logcheck" / "_data" / "rules")
    assert name == "ws-registry" and int(formats) >= 12
