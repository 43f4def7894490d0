"""verify --stream: the users judged a partition at a time give verify's result, to the byte."""
from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys

import polars as pl
import pytest

from logcheck import load, verify, verify_stream
from logcheck.simulate import Scenario, simulate

from .conftest import SAMPLES

stream_module = importlib.import_module("logcheck.stream")
INCIDENT = SAMPLES / "incident-2025-11-08"


def _same(a, b) -> None:
    x, y = a.to_json(), b.to_json()
    assert x.pop("run") == y.pop("run")
    assert x == y


@pytest.fixture
def small_chunks(monkeypatch):
    # files of more than 60 lines are read in chunks and their lines spilled to disk, as a fleet log's are;
    # server meal lines linked a minute at a time (the fewest a span holds), meals a few at a time
    monkeypatch.setattr(importlib.import_module("logcheck.ingest"), "CHUNK_LINES", 60)
    monkeypatch.setattr(importlib.import_module("logcheck.stream_linking"), "ROWS", 1)


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_each_sample_streamed_in_parts_is_verified_alike(sample, small_chunks):
    folder = [str(SAMPLES / sample)]
    _same(verify(folder), verify_stream(folder, partitions=3))


@pytest.fixture
def fleet(tmp_path):
    """Twelve users, eight with a client log: skewed and zoned client clocks, backgrounding, meals
    racing their socket, the backend's meal lines naming users by prefix or not at all."""
    s = Scenario(bug=True, users=12, minutes=18, seed=11, background=0.3, race=0.3, client_logs=8, deploy_at=9)
    files, _ = simulate(s, ios_format="xcode", backend_format="go-log-prefix", skew=37.5, tz_hours=1.0, damaged=True)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("parts", [1, 2, 5])
def test_a_fleet_streamed_in_parts_is_verified_alike(fleet, small_chunks, parts):
    _same(verify([str(fleet)]), verify_stream([str(fleet)], partitions=parts))


def test_a_window_and_given_offsets_are_kept_when_streamed(fleet, small_chunks):
    client = sorted(p.name for p in fleet.glob("ios-*.log"))
    options = dict(since=dt.datetime(2025, 11, 8, 10, 4), until=dt.datetime(2025, 11, 8, 10, 14),
                   offsets={client[0]: "3637.5"}, settings={"stable_for": "5m"})
    whole = verify([str(fleet)], **options)
    assert whole.run["since"] and whole.clock[[c["file"] for c in whole.clock].index(str(fleet / client[0]))]["method"] == "override"
    _same(whole, verify_stream([str(fleet)], partitions=4, **options))


def test_each_part_correlates_its_own_users_only(fleet, small_chunks, monkeypatch):
    seen: list[set[str]] = []
    real = stream_module.correlate

    def spy(events, *args, **kwargs):
        c = real(events, *args, **kwargs)
        seen.append(set(c.events["uid"].drop_nulls().cast(pl.String)))
        return c

    monkeypatch.setattr(stream_module, "correlate", spy)
    verify_stream([str(fleet)], partitions=4)
    everyone = set(load([str(fleet)]).events["uid"].drop_nulls().cast(pl.String))
    assert len(seen) == 4 and set().union(*seen) == everyone
    assert sum(len(s) for s in seen) == len(everyone)          # no user in two parts
    assert max(len(s) for s in seen) < len(everyone)           # nor all in one


def test_the_cli_streams_with_the_same_json_and_exit_code(run, tmp_path):
    code, out, _ = run("verify", INCIDENT, "--json", "-")
    streamed, out_s, _ = run("verify", INCIDENT, "--stream", "--json", "-", "--html", tmp_path / "r.html")
    x, y = json.loads(out), json.loads(out_s)
    assert code == streamed == 1 and x["verdict"] == "bug_present"
    x.pop("run"), y.pop("run")
    assert x == y
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "bug_present" in page and "Not drawn: this run used <code>--stream</code>" in page


# a ping of the race sample's second user, at 10:MM:40
PING = "2025/11/08 10:{:02d}:40 [WebSocket] Ping from user 5e2f0c1d-77b4-4a43-9d2e-0c6f1b9a3e21 - connection refreshed\n"


def _race_and(folder, name: str, backend: str):
    """The race sample in ``folder``, and one more backend log."""
    for sample in ("backend.log", "ios-b8a1abcd.log"):
        (folder / sample).write_bytes((SAMPLES / "race" / sample).read_bytes())
    (folder / name).write_text(backend, encoding="utf-8")
    return folder


@pytest.fixture
def two_instances(tmp_path):
    """The race sample, and a second backend instance's log that starts mid-flight."""
    return _race_and(tmp_path, "backend-2.log",
        "2025/11/08 10:02:10 [MealLogAI] Successfully completed processing meal log 9c1e77aa...\n"
        "2025/11/08 10:02:10 [MealLogAI] ❌ User 5e2f0c1d... not connected to WebSocket, skipping notification\n"
        "2025/11/08 10:02:14 [MealLogAI] IS connected - sending notification\n"
        + PING.format(2) +
        "2025/11/08 10:03:05 [MealLogAI] Processing meal log 71aa2b3c... for user 5e2f0c1d...\n"
        "2025/11/08 10:03:10 [MealLogAI] Successfully completed processing meal log 71aa2b3c...\n"
        "2025/11/08 10:03:13 [MealLogAI] User 5e2f0c1d... IS connected - sending notification\n"
        + "".join(PING.format(m) for m in range(3, 6)))


def test_server_lines_linked_once_over_all_inputs_are_not_linked_again(two_instances, small_chunks):
    # a completion whose processing line is in no log gets the user of the skip that follows it,
    # and the bare "sending" line the completion's meal; a part linked anew would pass that user
    # on to the bare line too
    whole = verify([str(two_instances)])
    bare = [d for d in whole.decisions if d["evidence"][0]["line"] == 3 and d["evidence"][0]["file"].endswith("backend-2.log")]
    assert [(d["user"], d["meal"], d["outcome"]) for d in bare] == [(None, "9c1e77aa", "sent")]
    for parts in (1, 2):
        _same(whole, verify_stream([str(two_instances)], partitions=parts))


@pytest.fixture
def across_minutes(tmp_path):
    """The race sample, and a backend log whose meal lines link to lines a minute before or after."""
    return _race_and(tmp_path, "backend-3.log",
        PING.format(5) +
        "2025/11/08 10:05:58 [MealLogAI] Successfully completed processing meal log 8b7c6a5d...\n"
        "2025/11/08 10:06:01 [MealLogAI] ❌ User 5e2f0c1d... not connected to WebSocket, skipping notification\n"
        + PING.format(6) +
        "2025/11/08 10:06:50 [MealLogAI] Processing meal log 4d2e6f10... for user 5e2f0c1d...\n"
        "2025/11/08 10:07:02 [MealLogAI] Successfully completed processing (calories: 52, protein: 0.3g)\n"
        + PING.format(7) +
        "2025/11/08 10:08:03 [MealLogAI] IS connected - sending notification\n")


def test_meal_lines_linked_across_minutes_when_streamed_a_minute_at_a_time(across_minutes, small_chunks):
    # --stream links a span of minutes at a time (here one): what the lines before a span leave
    # (the last processing and completion) and the seconds after it (the skip that gives the
    # completion at 10:05:58 its user, active then: SC2 counts it) are read as when all are linked at once
    whole = verify([str(across_minutes)])
    meals = whole.incident.meals.filter(pl.col("file").cast(pl.String).str.ends_with("backend-3.log"))
    user = "5e2f0c1d-77b4-4a43-9d2e-0c6f1b9a3e21"
    assert meals.select("line", pl.col("uid", "meal_id").cast(pl.String)).rows() == [(2, user, "8b7c6a5d"), (6, user, "4d2e6f10")]
    decided = [(d["evidence"][0]["line"], d["user"], d["meal"], d["outcome"]) for d in whole.decisions
               if d["evidence"][0]["file"].endswith("backend-3.log")]
    assert decided == [(3, user, "8b7c6a5d", "skipped"), (8, user, "4d2e6f10", "sent")]
    for parts in (1, 2):
        _same(whole, verify_stream([str(across_minutes)], partitions=parts))


def test_meal_lines_without_a_time_are_kept_but_not_linked_when_streamed(tmp_path, small_chunks):
    # --stream links its lines a span of minutes at a time: lines with no time belong to none,
    # and are read back with their ids as written (prefixes resolved), not dropped
    folder = _race_and(tmp_path, "backend-3.log",
        "[MealLogAI] Processing meal log 4d2e6f10... for user 5e2f0c1d...\n"
        "[MealLogAI] Successfully completed processing meal log 4d2e6f10...\n"
        "[MealLogAI] User 5e2f0c1d... IS connected - sending notification\n")
    events = load([str(folder)]).events.filter(pl.col("file").cast(pl.String).str.ends_with("backend-3.log"))
    assert events.select(pl.col("kind").cast(pl.String), pl.col("ts_server").is_null(), pl.col("uid").cast(pl.String)).rows() == [
        ("server.meal_processing", True, "5e2f0c1d"), ("server.meal_completed", True, None), ("server.notify_sent", True, "5e2f0c1d")]
    _same(verify([str(folder)]), verify_stream([str(folder)], partitions=2))


def test_obligations_pending_at_the_end_of_the_window_stay_pending(two_instances, small_chunks):
    # --until a second after a completion: its notification, 3 s later, is after the window
    until = dt.datetime(2025, 11, 8, 10, 3, 11)
    whole = verify([str(two_instances)], until=until)
    assert whole.criteria[1].id == "SC2" and whole.criteria[1].metrics["pending"] == 1
    _same(whole, verify_stream([str(two_instances)], partitions=2, until=until))


@pytest.mark.parametrize("names", [["backend.log"], ["ios-b8a1abcd.log"], []])
def test_one_stream_alone_or_no_line_at_all_is_verified_alike(tmp_path, small_chunks, names):
    (tmp_path / "empty.log").write_bytes(b"")
    for name in names:
        (tmp_path / name).write_bytes((SAMPLES / "race" / name).read_bytes())
    whole = verify([str(tmp_path)])
    assert whole.verdict == "inconclusive"
    _same(whole, verify_stream([str(tmp_path)], partitions=3))


def test_meal_ids_are_not_kept_by_polars_for_the_rest_of_the_run(tmp_path, small_chunks):
    # polars keeps every category value it has seen for as long as it runs, and a fleet names more
    # meals the longer its logs: --stream holds them as text. Users stay categories (a fleet's are few)
    s = Scenario(bug=True, users=4, minutes=8, seed=90210, client_logs=2)    # ids no other test sees
    files, _ = simulate(s, ios_format="xcode", backend_format="go-log-prefix")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    alive = pl.Series(["x"], dtype=pl.Categorical)     # polars drops its categories once no data uses them
    decisions = verify_stream([str(tmp_path)], partitions=2).decisions
    meals, users = {d["meal"] for d in decisions} - {None}, {d["user"] for d in decisions}
    seen = pl.Categories()      # the global categories, as `alive` keeps them
    assert meals and not any(m in seen for m in meals)
    assert users and all(u in seen for u in users) and alive.len()


_KEPT = """
import gc, os, time
import logcheck     # first: its allocator setting gives freed memory back within 50 ms
import polars as pl
from logcheck.evaluate.tally import Rows, Tally

def rss():
    gc.collect(); time.sleep(0.3)
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

n = 4_000_000
frame = pl.DataFrame({{"ts": pl.int_range(0, n, eager=True).shuffle(seed=1), "file": ["backend-" + str(i % 7) + ".log" for i in range(n)]}})
before = rss()
kept = Tally(rows={{"first": Rows(frame, ("ts",), limit=200)}}).kept()
del frame
print(kept.rows["first"].frame["ts"].to_list() == list(range(200)), (before - rss()) // 2**20)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads its RSS from /proc")
def test_a_parts_first_rows_do_not_keep_the_table_they_were_sorted_from():
    # each --stream part keeps its tallies' first rows until all are judged: a slice of the part's
    # sorted table would keep all of it (1.5 GB over a 260M-line fleet's parts)
    done = subprocess.run([sys.executable, "-c", _KEPT.format()], capture_output=True, text=True, check=True)
    first, freed_mb = done.stdout.split()
    assert first == "True" and int(freed_mb) > 50      # the table (about 100 MB) went with ``del``
