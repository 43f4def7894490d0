"""Progress is reported by stage, and silent unless stderr is a terminal."""
from __future__ import annotations

import importlib
import time

from logcheck import ingest
from logcheck.cli.common import TerminalProgress
from logcheck.progress import Progress

from .conftest import SAMPLES


class Recorder(Progress):
    def __init__(self):
        self.stages, self.done = [], {}

    def stage(self, name, total=None, unit="lines"):
        self.stages.append((name, total, unit))
        self.done[name] = 0

    def advance(self, n=1):
        self.done[self.stages[-1][0]] += n


def test_stages_and_counts_are_reported():
    rec = Recorder()
    result = ingest([str(SAMPLES / "incident-2025-11-08")], progress=rec)
    names = [s[0] for s in rec.stages]
    assert names[0].startswith("reading ") and names[-1] == "dating lines"
    parsed = {n: rec.done[n] for n in names if n.startswith("parsing ")}
    assert sum(parsed.values()) == sum(s.lines for s in result.inputs)


def test_cli_is_silent_on_stderr_when_not_a_terminal(run):
    code, _, err = run("events", SAMPLES / "incident-2025-11-08", "--summary")
    assert code == 0 and err == ""


def test_small_files_parsed_beside_a_large_one_leave_its_count_alone(monkeypatch):
    # the client logs are parsed as one batch while the fleet log goes chunk by chunk: the bar
    # shown is the large file's, and it counts that file's lines only
    monkeypatch.setattr(importlib.import_module("logcheck.ingest"), "CHUNK_LINES", 300)
    rec = Recorder()
    result = ingest([str(SAMPLES / "fleet-json")], progress=rec)
    large = [s for s in result.inputs if s.lines >= 300]
    assert large and len(large) < len(result.inputs)
    parsed = {n: rec.done[n] for n, _, _ in rec.stages if n.startswith("parsing ")}
    assert parsed == {f"parsing {s.path}": s.lines for s in large}


def test_the_terminal_bar_shows_only_once_a_run_passes_two_seconds(capsys):
    # a short run draws nothing (stage changes included); a long one shows its stage and count
    bar = TerminalProgress(enabled=True)
    bar.stage("reading backend.log")
    bar.stage("parsing backend.log", total=1000)
    bar.advance(400)
    assert "backend.log" not in capsys.readouterr().err
    bar.bar.start_t -= 3            # as if begun 3 s ago
    bar.advance(800)                # more lines than the file's estimate
    bar.stage("dating lines")
    shown = capsys.readouterr().err
    assert "dating lines: 100%" in shown and "1.20k/1.20k" in shown
    bar.close()


def test_a_stage_without_updates_is_shown_when_the_delay_is_over(capsys, monkeypatch):
    # correlating reports no lines: the bar still appears once the run has taken the delay
    monkeypatch.setattr(TerminalProgress, "DELAY", 0.05)
    bar = TerminalProgress(enabled=True)
    bar.stage("aligning and correlating")
    assert "correlating" not in capsys.readouterr().err
    time.sleep(0.3)
    assert "aligning and correlating" in capsys.readouterr().err
    bar.close()     # and is wiped when the run ends: the verdict is not printed after it on its line
    wiped = capsys.readouterr().err
    assert wiped.endswith("\r") and wiped.strip() == ""
