"""`logcheck verify` and `logcheck rules`: verdicts, exit codes, the JSON contract, pack errors."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import weakref

import polars as pl
import pytest

import logcheck
from logcheck import verify
from logcheck.ingest.sources import Reader

from .conftest import SAMPLES, SEED, verify_json


@pytest.mark.parametrize("sample, verdict, code", [
    ("incident-2025-11-08", "bug_present", 1),
    ("after-fix", "fix_verified", 0),
    ("race", "inconclusive", 3),
])
def test_verdicts_and_exit_codes(run, sample, verdict, code):
    got, result = verify_json(run, SAMPLES / sample)
    assert (got, result["verdict"], result["exit_code"]) == (code, verdict, code)


def test_criteria_failed_when_a_refresh_is_missing_but_nothing_is_stale(run, tmp_path):
    folder = tmp_path / "after-fix"
    shutil.copytree(SAMPLES / "after-fix", folder)
    backend = folder / "backend.log"
    lines = backend.read_text().splitlines(keepends=True)
    dropped = next(i for i, line in enumerate(lines) if "connection refreshed" in line)
    backend.write_text("".join(lines[:dropped] + lines[dropped + 1:]))
    code, result = verify_json(run, folder)
    assert (code, result["verdict"]) == (1, "criteria_failed")
    sc1 = result["criteria"][0]
    assert sc1["status"] == "fail" and sc1["metrics"]["matched"] == sc1["metrics"]["cases"] - 1
    assert result["reason"].startswith("No registry_stale decision, but SC1 failed (refresh ratio 83/84 pings")


def test_json_result_has_the_contract_keys(run):
    code, r = verify_json(run, SEED, "--user", "ios.log=4eb4c27c")
    assert code == 1
    assert {"verdict", "reason", "criteria", "decisions", "clock", "inputs", "impact"} <= set(r)
    assert [c["id"] for c in r["criteria"]] == ["SC1", "SC2", "SC3", "SC4", "SC5", "SC6"]
    for c in r["criteria"]:
        assert {"id", "title", "status", "metrics", "evidence"} <= set(c)
        assert c["status"] in ("pass", "fail", "inconclusive")
        assert c["status"] != "inconclusive" or c["reason"]
        assert all({"file", "line", "text"} <= set(e) for e in c["evidence"])
    (d,) = r["decisions"]
    assert (d["user"], d["time"], d["outcome"], d["cause"]) == ("4eb4c27c", "2025-11-08T10:07:51Z", "skipped", "registry_stale")
    assert [(e["line"], e["role"]) for e in d["evidence"]] == [(2, "decision"), (3, "client.pong_received")]
    assert d["evidence"][1]["text"] == "10:07:29 - MealLogWebSocketClient: ‚úÖ Pong received"
    assert {"file", "offset_seconds", "samples", "spread_seconds", "method"} <= set(r["clock"][0])
    assert {"path", "stream", "format", "lines", "events", "unrecognized"} <= set(r["inputs"][0])
    assert {"delivery_rate", "result_latency_p50_s", "polls_per_user_minute"} <= set(r["impact"])
    assert r["impact"]["delivery_rate"] == 0.0


def test_since_and_until_split_a_deploy(run):
    before, r1 = verify_json(run, SAMPLES / "deploy-midway", "--until", "2025-11-08T10:12:00Z")
    after, r2 = verify_json(run, SAMPLES / "deploy-midway", "--since", "2025-11-08T10:12:30Z")
    assert (before, r1["verdict"]) == (1, "bug_present")
    assert r2["impact"]["skipped_by_cause"] == {} and r2["verdict"] == "fix_verified" and after == 0


def test_set_overrides_a_parameter_and_bad_settings_are_usage_errors(run):
    code, r = verify_json(run, SAMPLES / "race", "--set", "stable_for=4m")   # the race log spans 5.5 min
    assert r["pack"]["parameters"]["stable_for"] == 240.0 and code == 0 and r["verdict"] == "fix_verified"
    code, r = verify_json(run, SAMPLES / "race", "--set", "stable_for=5m")   # 4.6 min, unbroken at the end
    assert (code, r["verdict"], r["criteria"][5]["status"]) == (3, "inconclusive", "inconclusive")
    code, _, err = run("verify", SAMPLES / "race", "--set", "stable_for=forever")
    assert code == 2 and err == "Error: --set stable_for=forever: 'forever' is not a duration (write 30s, 15m, 1h or 250ms)\n"
    code, _, err = run("verify", SAMPLES / "race", "--set", "nope=1s")
    assert code == 2 and "--set nope: the pack ws-registry has no parameter 'nope'" in err
    code, _, err = run("verify", SAMPLES / "race", "--offset", "missing.log=3")
    assert code == 2 and err == "Error: --offset missing.log=3: missing.log matches no input\n"


def test_quiet_prints_nothing_and_keeps_the_exit_code(run):
    code, out, err = run("verify", SAMPLES / "incident-2025-11-08", "--quiet")
    assert (code, out, err) == (1, "", "")


BROKEN = """\
pack: broken
title: A pack with mistakes
parameters:
  window: {value: soon}
vocabulary:
  backend:
    server.thing: ['(unclosed']
liveness: {alive: [server.thing], gone: [], connect: [], decisions: {sent: server.thing, skipped: server.nothing}}
causes: []
criteria:
  - id: X1
    kind: eventually
  - id: X2
    kind: followed_by
    each: {kind: server.thing}
    by: {kind: server.other}
    window: [0s, 5 parsecs]
discriminating: {kind: at_least, table: decisions, each: {}}
verdict: {bug_cause: x, all_pass: [X1]}
context: ['alive (ping', 'pong)|(still']
"""


def test_rules_validate_lists_every_problem_with_its_location(run, tmp_path):
    pack = tmp_path / "broken.yaml"
    pack.write_text(BROKEN)
    code, out, _ = run("rules", "validate", pack)
    assert code == 1
    lines = out.splitlines()
    assert f"{pack}:4:19: parameters.window.value: Value error, 'soon' is not a duration (write 30s, 15m, 1h or 250ms)" in lines
    assert f"{pack}:11:5: criteria: unknown rule kind; use one of 'followed_by', 'none', 'at_least', 'stops_after', 'longest_run', 'rate', 'all_of'" in lines
    code, out, err = run("verify", SEED, "--pack", pack)
    assert code == 2 and err.startswith("Error: ") and f"{pack}:4:19" in err


def test_rules_validate_reference_errors(run, tmp_path):
    fixed = BROKEN.replace("window: {value: soon}", "window: {value: 5s}").replace("kind: eventually", "kind: at_least\n    table: decisions\n    each: {}")
    pack = tmp_path / "refs.yaml"
    pack.write_text(fixed)
    code, out, _ = run("rules", "validate", pack)
    lines = out.splitlines()
    assert code == 1
    assert f"{pack}:7:20: bad regex for server.thing: unclosed group" in lines
    assert f"{pack}:18:16: unknown event kind 'server.other'" in lines
    assert (f"{pack}:19:18: '5 parsecs' is not a duration: cannot read '5 parsecs' "
            "(write 30s, 15m, a parameter name, or a sum of them)") in lines
    assert f"{pack}:8:99: unknown event kind 'server.nothing'" in lines
    # each context pattern on its own: run as one alternation, these two would make a valid regex
    assert f"{pack}:22:11: bad regex: unclosed group" in lines
    assert f"{pack}:22:26: bad regex: unopened group" in lines


def test_rules_list_and_explain(run):
    code, out, _ = run("rules", "list")
    assert code == 0 and out.startswith("ws-registry  v1  WebSocket connection registry")
    code, out, _ = run("rules", "explain", "ws-registry")
    assert code == 0 and "SC6 Connection stable for 15+ minutes" in out and "stable_for = 15 min" in out


@pytest.mark.parametrize("slice_rows", [1, 20_000])
def test_json_text_is_the_json_result_with_decisions_one_per_line(monkeypatch, tmp_path, slice_rows):
    # the CLI writes decisions from polars, a slice at a time; it must say exactly what the Python result says
    monkeypatch.setattr("logcheck.evaluate.model._JSON_ROWS", slice_rows)
    result = verify([str(SAMPLES / "incident-2025-11-08")])
    text = result.json_text()
    assert json.loads(text) == result.to_json()
    # into a UTF-8 file, decisions go to its buffer as bytes, between text written before and after them
    with open(tmp_path / "out.json", "w", encoding="utf-8") as fh:
        fh.write("\u274c ")
        result.write_json(fh)
        fh.write("\n")
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == "\u274c " + text + "\n"
    assert "\u201a\u00f9\u00e5 User" in text       # the decision line as read: its emoji damaged (Mac Roman)
    decisions = [ln for ln in text.splitlines() if ln.startswith('    {"user":')]
    assert len(decisions) == len(result.decisions) == 2
    assert {d["outcome"] for d in result.decisions} == {"sent", "skipped"}
    assert all("seconds_before" not in d["evidence"][0] for d in result.decisions)
    assert result.decision_counts() == dict(sorted(
        {k: sum(1 for d in result.decisions if (d["cause"] or "sent") == k) for k in
         {d["cause"] or "sent" for d in result.decisions}}.items()))


@pytest.mark.parametrize("sample", ["deploy-midway", "fleet-json"])
def test_decisions_lines_are_read_a_slice_at_a_time_with_the_same_json(monkeypatch, sample):
    # a fleet's decision lines are read when written, some at a time; a gzip file (read whole to
    # find a line) only once. 38 decisions of three plain files; 214 of a gzip file.
    reads = []
    real = Reader.lines_at
    monkeypatch.setattr(Reader, "lines_at", lambda self, lines, **kw: reads.append(self.name) or real(self, lines, **kw))
    result = verify([str(SAMPLES / sample)])
    whole = result.json_text()
    reads.clear()
    monkeypatch.setattr("logcheck.evaluate.model._TEXT_ROWS", 7)
    assert result.json_text() == whole
    backend = [r for r in reads if "backend" in r]
    n = len(result.decision_rows)
    assert len(backend) == (1 if sample == "fleet-json" else -(-n // 7))
    first = json.loads(whole)["decisions"]
    assert first[0]["evidence"][0]["text"].strip() and "seconds_before" not in first[0]["evidence"][0]
    # any selection, in any order, is those rows of the whole table, lines and all
    picked = result.decision_rows.reverse().head(5)
    assert result.decision_table_of(picked).to_dicts() == result.decision_table.reverse().head(5).to_dicts()


def test_without_tables_they_go_once_measured_and_the_result_is_the_same(monkeypatch):
    # `verify --json` keeps no tables (only the HTML report draws from them): they go before the
    # decisions are judged (the events table: 0.3 GB of a 10M-line fleet's 0.6); and meal ids leave
    # no categories behind in what is kept
    kept = verify([str(SAMPLES / "deploy-midway")])
    assert kept.incident is not None
    assert kept.incident.events["meal_id"].dtype == pl.Categorical(pl.Categories("meal"))
    assert kept.decision_rows["meal"].dtype == pl.String and kept.decision_rows["meal"].drop_nulls().len() > 0

    evaluation = sys.modules["logcheck.evaluate"]
    real_load, real_judge = logcheck.load, evaluation.judge
    made, alive = [], []

    def load(*args, **kwargs):
        incident = real_load(*args, **kwargs)
        made.append(weakref.ref(incident.events))
        return incident
    monkeypatch.setattr(logcheck, "load", load)
    monkeypatch.setattr(evaluation, "judge", lambda *a, **k: alive.append(made[0]() is not None) or real_judge(*a, **k))
    lean = verify([str(SAMPLES / "deploy-midway")], tables=False)
    assert alive == [False] and lean.incident is None
    assert lean.json_text() == kept.json_text()


def test_timeline_puts_client_and_server_side_by_side_with_the_cause(run):
    code, out, _ = run("timeline", SEED, "--user", "ios.log=4eb4c27c", "--show", "4eb4c27c")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].startswith("time (server clock)")
    pong = next(r for r in rows if "ios.log:3" in r)
    assert "Pong received" in pong and pong.index("ios.log:3") < pong.index("|")     # client column
    decision = next(r for r in rows if "backend.log:2" in r)
    assert decision.index("|") < decision.index("backend.log:2")                      # server column
    assert decision.endswith("<< registry_stale, 22.0 s since last pong (ios.log:3)")
    assert [r[:19] for r in rows[1:]] == sorted(r[:19] for r in rows[1:])             # server-clock order


def test_timeline_around_a_moment_and_for_an_unknown_user(run):
    code, out, _ = run("timeline", SAMPLES / "incident-2025-11-08", "--around", "10:07:51", "--window", "5s")
    assert code == 0 and "<< registry_stale, 22.0 s since last pong (ios-4eb4c27c.log:21)" in out
    assert all("10:07:4" in r or "10:07:5" in r for r in out.splitlines()[1:])
    code, _, err = run("timeline", SEED, "--show", "deadbeef")
    assert code == 2 and "--user deadbeef: no events for that user" in err


@pytest.mark.parametrize("code, given, ours", [
    ("import logcheck", None, True),                        # the CLI's case: polars loads with logcheck
    ("import logcheck", "narenas:1", False),                # the user's own setting, and only it
    ("import logcheck", "dirty_decay_ms:500,muzzy_decay_ms:1000", True),    # polars', from a parent process
    ("import polars; import logcheck", None, False),        # too late to matter: left alone
])
@pytest.mark.skipif(sys.platform != "linux", reason="set on Linux only")
def test_polars_allocator_gives_freed_memory_back_unless_told_otherwise(code, given, ours):
    from logcheck.allocators import ALLOCATOR

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given:
        env["_RJEM_MALLOC_CONF"] = given
    done = subprocess.run([sys.executable, "-c", f"{code}; import os; print(os.environ['_RJEM_MALLOC_CONF'])"],
                          env=env, capture_output=True, text=True, check=True)
    # polars puts its own defaults first and what it finds after them (jemalloc: the last one wins)
    conf = done.stdout.strip()
    assert conf.endswith(ALLOCATOR) == ours
    assert conf.endswith(ALLOCATOR if ours else given or "muzzy_decay_ms:1000")     # polars' own: nothing after it


_ARENAS = """
import ctypes, re, tempfile, threading
{imports}
def work():
    kept = [bytes(4096) for _ in range(100)]     # above Python's small-object sizes: glibc's malloc
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile() as f:
    out = ctypes.c_void_p(libc.fopen(f.name.encode(), b"w"))
    libc.malloc_info(0, out)
    libc.fclose(out)
    print(len(re.findall("<heap nr=", open(f.name).read())))
"""


@pytest.mark.parametrize("imports, one", [
    ("import logcheck", True),                   # the CLI's case: before polars' threads allocate
    ("import polars; import logcheck", False),   # polars' threads made theirs: glibc's limit is fixed by then
])
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_glibc_keeps_one_arena_for_all_threads(imports, one):
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", _ARENAS.format(imports=imports)], env=env, capture_output=True,
                          text=True, check=True)
    assert (int(done.stdout) == 1) == one
