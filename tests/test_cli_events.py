"""`logcheck events`: exit codes, exact messages, every output form."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from logcheck import ingest
from logcheck.ingest.spill import Spill
from logcheck.progress import Progress
from logcheck.render.tables import summary_text

from .conftest import SAMPLES, SEED


def test_missing_path_is_a_usage_error_naming_it(run):
    code, out, err = run("events", "nope/incident")
    assert code == 2 and out == "" and err == "Error: nope/incident: no such file or directory\n"


def test_an_empty_folder_is_a_usage_error(run, tmp_path):
    (tmp_path / "incident").mkdir()
    (tmp_path / "incident" / "expect.yaml").write_text("verdict: bug_present\n")
    code, out, err = run("verify", tmp_path / "incident")
    assert code == 2 and out == "" and err == f"Error: {tmp_path / 'incident'}: no log files in this folder\n"


def test_bad_date_option(run):
    code, _, err = run("events", str(SEED), "--date", "11/08/2025")
    assert code == 2 and "Invalid value for '--date': '11/08/2025' is not a date; write YYYY-MM-DD" in err


def test_summary_accounts_for_every_line(run):
    code, out, _ = run("events", str(SEED), "--summary")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:7] == ["path", "stream", "format", "lines", "events", "context", "unrecognised"]
    backend = next(r for r in rows if r[0].endswith("backend.log"))
    ios = next(r for r in rows if r[0].endswith("ios.log"))
    assert backend[1:7] == ["backend", "time-only", "2", "2", "0", "0"]
    assert ios[1:7] == ["ios", "time-only", "5", "3", "2", "0"]
    assert rows[-1][:5] == ["total", "7", "5", "2", "0"]


def test_output_files_by_suffix(run, tmp_path):
    for suffix, reader in ((".parquet", pl.read_parquet), (".csv", pl.read_csv), (".jsonl", pl.read_ndjson)):
        target = tmp_path / f"events{suffix}"
        code, _, err = run("events", str(SEED), "-o", str(target))
        assert code == 0 and err == f"wrote 5 rows to {target}\n"
        frame = reader(target)
        assert frame.height == 5 and set(frame["kind"]) == {"client.ping_sent", "client.pong_received",
                                                            "server.meal_completed", "server.notify_skipped"}
    code, _, err = run("events", str(SEED), "-o", str(tmp_path / "events.xlsx"))
    assert code == 2 and "use a .parquet, .csv or .jsonl file name" in err


def test_stdin_and_unrecognised_listing(run):
    text = ("[MealLogAI] 2025/11/08 10:07:51 Successfully completed processing meal log 556d0423...\n"
            "[DB] 2025/11/08 10:07:51 slow query: 812ms\n")
    code, out, err = run("events", "-", "--unrecognised", input=text)
    assert code == 0 and out == "<stdin>:2: [DB] 2025/11/08 10:07:51 slow query: 812ms\n"
    assert err == "1 unrecognised line(s)\n"
    code, out, _ = run("events", "-", "--format", "jsonl", input=text)
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["file"], r["line"], r["kind"]) for r in rows] == [("<stdin>", 1, "server.meal_completed")]


def test_version_and_help(run):
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("logcheck, version ")
    code, out, _ = run("--help")
    assert code == 0 and all(c in out for c in ("events", "verify", "timeline", "rules", "simulate"))


def test_summary_and_unrecognised_say_what_the_whole_table_says(run, monkeypatch):
    # both read lean (no table for a summary; only unrecognised lines kept), in chunks that leave
    # lines out: the same counts and the same lines as from the full events table
    monkeypatch.setattr(importlib.import_module("logcheck.ingest"), "CHUNK_LINES", 60)
    fleet = SAMPLES / "fleet-json"
    full = ingest([str(fleet)])
    _, summary, _ = run("events", str(fleet), "--summary")
    assert summary == summary_text(full.inputs) + "\n"
    _, listed, err = run("events", str(fleet), "--unrecognised")
    rows = full.unrecognised()
    assert listed.splitlines() == [f"{r['file']}:{r['line']}: {r['raw']}" for r in rows.iter_rows(named=True)]
    assert rows.height > 1 and err.endswith(f"{rows.height} unrecognised line(s)\n")


def test_output_files_are_streamed_out_with_the_same_rows(run, monkeypatch, tmp_path):
    # -o spills finished rows to disk as the file is parsed and streams them out (so does
    # --format to standard output): they must say what the in-memory table says, in every format
    monkeypatch.setattr(importlib.import_module("logcheck.ingest"), "CHUNK_LINES", 60)    # 984 lines: 17 chunks
    spills = tmp_path / "spills"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))
    written = []
    monkeypatch.setattr(Spill, "close", lambda self: written.append(sum(map(len, self._parts.values()))) or self._dir.cleanup())
    fleet = SAMPLES / "fleet-json"
    full = ingest([str(fleet)]).events
    events = full.filter(pl.col("kind").is_not_null())
    for suffix, flag, table in ((".parquet", "--all", full), (".csv", "--all", full), (".jsonl", None, events)):
        target = tmp_path / f"events{suffix}"
        code, _, err = run("events", str(fleet), "-o", str(target), *([flag] if flag else []))
        assert code == 0 and err == f"wrote {table.height} rows to {target}\n"
        if suffix == ".parquet":
            assert pl.read_parquet(target).equals(table)
        else:
            writer = "write_csv" if suffix == ".csv" else "write_ndjson"
            assert target.read_text(encoding="utf-8") == getattr(table, writer)()
    code, out, _ = run("events", str(fleet), "--format", "csv")      # to standard output
    assert code == 0 and out == events.write_csv()
    assert len(written) == 4 and min(written) > 10 and list(spills.iterdir()) == []     # spilled, then removed


def test_an_output_or_spill_that_cannot_be_written_is_one_line(run, monkeypatch, tmp_path):
    code, out, err = run("events", str(SEED), "-o", str(tmp_path / "gone" / "events.parquet"))
    assert code == 2 and err == f"Error: {tmp_path / 'gone' / 'events.parquet'}: cannot write: No such file or directory\n"
    # the temporary folder fills up (or vanishes) while a large file is spilled
    monkeypatch.setattr(importlib.import_module("logcheck.ingest"), "CHUNK_LINES", 60)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(pl.DataFrame, "write_ipc", lambda self, path, **kw: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    code, out, err = run("events", str(SAMPLES / "fleet-json"), "-o", str(tmp_path / "events.parquet"))
    assert code == 2 and err.startswith(f"Error: {tmp_path}/logcheck-") and err.endswith(
        ": cannot write rows to disk as they are parsed (No space left on device); set TMPDIR to a folder with room\n")
    assert [p.name for p in tmp_path.iterdir()] == []      # nothing left behind


def test_a_reader_that_stops_early_ends_the_output_quietly():
    # `logcheck events ... --format jsonl | head -1`: no error, no traceback, when head has its line
    # (the table is far more than a pipe holds, so logcheck is still writing when head leaves)
    cli = Path(sys.executable).parent / "logcheck"
    done = subprocess.run(f"set -o pipefail; '{cli}' events '{SAMPLES / 'fleet-json'}' --all --format jsonl | head -1",
                          shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["file"].endswith("backend.log.gz")


class Marking(Progress):
    """A progress bar that leaves marks on stderr: stages and closing, in order."""

    def stage(self, name, total=None, unit="lines"):
        sys.stderr.write(f"[{name}]")

    def close(self):
        sys.stderr.write("[closed]")


def test_the_progress_bar_is_gone_before_anything_is_printed(run, tmp_path, monkeypatch):
    # on a terminal a bar left up shares its line with the next message ("...lines/s]wrote 63 rows")
    monkeypatch.setattr(importlib.import_module("logcheck.cli.events"), "progress_for", lambda quiet: Marking())
    target = tmp_path / "events.parquet"
    code, _, err = run("events", SAMPLES / "incident-2025-11-08", "-o", target)
    assert code == 0 and err.index(f"[writing {target}]") < err.index("[closed]") < err.index("wrote ")
    code, out, err = run("events", SAMPLES / "incident-2025-11-08", "--summary")
    assert code == 0 and err.endswith("[closed]") and out.startswith("path")
    code, _, err = run("events", "nope/incident")      # an error's message too
    assert code == 2 and err.startswith("[closed]Error: nope/incident: no such file")
    monkeypatch.setattr(importlib.import_module("logcheck.cli.verify"), "progress_for", lambda quiet: Marking())
    code, _, err = run("verify", "nope/incident")
    assert code == 2 and err.startswith("[closed]Error: nope/incident: no such file")


def test_timeline_and_compare_show_progress_and_close_it(run, monkeypatch):
    # they read whole fleets too (compare twice): the same bar, closed before their output
    for command in ("timeline", "compare"):
        monkeypatch.setattr(importlib.import_module(f"logcheck.cli.{command}"), "progress_for", lambda quiet: Marking())
    code, out, err = run("timeline", SEED, "--user", "ios.log=4eb4c27c", "--show", "4eb4c27c")
    assert code == 0 and "[reading " in err and err.endswith("[closed]") and "4eb4c27c" in out
    code, out, err = run("compare", SAMPLES / "incident-2025-11-08", SAMPLES / "after-fix")
    assert err.count("[aligning and correlating]") == 2 and err.endswith("[closed]") and "verdict" in out
