"""``logcheck simulate``: realistic logs of the incident at any scale, with their ground truth."""
from __future__ import annotations

import gzip
import json
import random
from dataclasses import asdict
from pathlib import Path

from .model import Scenario, Truth, simulate_events
from .writers import BACKEND_FORMATS, IOS_FORMATS, backend_lines, damage, ios_lines

__all__ = ["Scenario", "simulate", "write", "IOS_FORMATS", "BACKEND_FORMATS"]


def simulate(s: Scenario, ios_format: str = "time-only", backend_format: str = "go-log-prefix",
             skew: float = 0.0, tz_hours: float = 0.0, damaged: bool = False) -> tuple[dict[str, bytes], Truth]:
    """Files (name -> bytes) and the truth for a scenario."""
    events, users, truth = simulate_events(s)
    rng = random.Random(s.seed + 7)
    files: dict[str, bytes] = {}
    ids = {u.index: u.id for u in users}
    back = backend_lines([e for e in events if e.side == "backend"], backend_format, s.start, ids)
    files["backend.log"] = ("\n".join(back) + "\n").encode("utf-8")
    for u in users:
        if not u.has_log:
            continue
        lines = ios_lines([e for e in events if e.side == "ios" and e.user == u.index], ios_format, s.start, skew, tz_hours)
        name = f"ios-{u.id[:8]}.log"
        files[name] = damage(lines, rng) if damaged else ("\n".join(lines) + "\n").encode("utf-8")
    return files, truth


def write(out: Path, s: Scenario, gzip_backend: bool = False, **options) -> Truth:
    """Write a scenario's logs and ``truth.json`` into ``out``."""
    files, truth = simulate(s, **options)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if gzip_backend and name == "backend.log":
            (out / "backend.log.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (out / name).write_bytes(data)
    scenario = {k: (str(v) if k == "start" else v) for k, v in asdict(s).items()}
    (out / "truth.json").write_text(json.dumps({"scenario": scenario, "options": options, "counts": truth.counts(),
                                                "decisions": truth.decisions}, indent=2) + "\n")
    return truth
