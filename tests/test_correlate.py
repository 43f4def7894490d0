"""Correlate: one clock, one identity, one cause per skipped decision, with its evidence."""
from __future__ import annotations

import datetime as dt
import importlib
import re
import weakref
from pathlib import Path

import polars as pl
import pytest

import logcheck
from logcheck import load, verify
from logcheck.api import CORRELATION_COLUMNS, for_correlation, kept_lines, lines_needed
from logcheck.correlate import CODE_KINDS
from logcheck.correlate.identity import meal_prefixes
from logcheck.packs import Pack, load_pack
from logcheck.simulate import Scenario, simulate

from .conftest import SAMPLES, SEED, USER

ingest_module = importlib.import_module("logcheck.ingest")   # the package; `logcheck.ingest` is also a function
sources_module = importlib.import_module("logcheck.ingest.sources")

U2 = "4eb4c27c-9999-4aaa-8bbb-000000000002"


def causes(incident) -> dict[str, int]:
    d = incident.decisions.filter(pl.col("outcome") == "skipped")
    return {r["cause"]: r["len"] for r in d.group_by("cause").len().iter_rows(named=True)}


def test_seed_excerpt_skipped_22s_after_a_pong_is_registry_stale():
    incident = load([str(SEED)], users={"ios.log": "4eb4c27c"})
    (row,) = incident.decisions.iter_rows(named=True)
    assert (row["outcome"], row["cause"], row["uid"]) == ("skipped", "registry_stale", "4eb4c27c")
    assert row["evidence_file"].endswith("ios.log") and row["evidence_line"] == 3
    assert row["evidence_kind"] == "client.pong_received" and row["evidence_seconds"] == 22.0
    assert row["ts_server"] == dt.datetime(2025, 11, 8, 10, 7, 51)


def test_without_a_user_for_the_client_file_the_cause_is_no_client_evidence():
    incident = load([str(SEED)])
    assert causes(incident) == {"no_client_evidence": 1}
    assert any("ios.log: no user found" in w and "--user ios.log=ID" in w for w in incident.warnings)


def client(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def test_race_socket_connects_after_the_decision_is_not_yet_connected(write):
    folder = write({
        "ios.log": client([
            "10:07:10 - NutritionViewModel: Loading meals for 2025-11-08",
            "10:07:12 - SaveMealLogUseCase: ✅ Meal log submitted - ID: 556d0423-e064-47b1-bff4-b7c51f189b6a",
            "10:07:31 - MealLogWebSocketClient: 🔌 Attempting connection to wss://api.fitiq.app/ws/meal-logs",
            f"10:07:32 - MealLogWebSocketClient: ✅ Connected - User ID: {USER}",
        ]),
        "backend.log": client([
            "[MealLogAI] 2025/11/08 10:07:12 Processing meal log 556d0423... for user 4eb4c27c...",
            "[MealLogAI] 2025/11/08 10:07:20 Successfully completed processing meal log 556d0423...",
            "[MealLogAI] 2025/11/08 10:07:20 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
            "[WebSocket] 2025/11/08 10:07:32 User 4eb4c27c... connected - added to registry",
        ]),
    })
    incident = load([str(folder)])
    (row,) = incident.decisions.iter_rows(named=True)
    assert row["uid"] == USER and row["cause"] == "not_yet_connected" and row["meal_id"] == "556d0423-e064-47b1-bff4-b7c51f189b6a"
    assert row["evidence_kind"] in ("client.connected", "server.connected") and row["evidence_seconds"] == -12.0


def test_backgrounded_app_is_client_disconnected(write):
    folder = write({
        "ios.log": client([
            f"10:05:00 - MealLogWebSocketClient: ✅ Connected - User ID: {USER}",
            "10:05:30 - MealLogWebSocketClient: ✅ Pong received",
            "10:05:30 - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T10:05:30Z",
            "10:05:41 - SaveMealLogUseCase: ✅ Meal log submitted - ID: 556d0423-e064-47b1-bff4-b7c51f189b6a",
            "10:05:43 - MealLogWebSocketClient: ❌ WebSocket closed with code 1001: Going away",
        ]),
        "backend.log": client([
            "[WebSocket] 2025/11/08 10:05:00 User 4eb4c27c... connected - added to registry",
            "[MealLogAI] 2025/11/08 10:05:41 Processing meal log 556d0423... for user 4eb4c27c...",
            "[WebSocket] 2025/11/08 10:05:43 Disconnected: user=4eb4c27c-304d-4cca-8cc8-2b67a4c75d98",
            "[MealLogAI] 2025/11/08 10:05:52 Successfully completed processing meal log 556d0423...",
            "[MealLogAI] 2025/11/08 10:05:52 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
        ]),
    })
    (row,) = load([str(folder)]).decisions.iter_rows(named=True)
    assert row["cause"] == "client_disconnected" and not row["active"]
    # the client's close and the server's disconnect share a second: either is the evidence
    assert row["evidence_kind"] in ("client.closed", "server.disconnected") and row["evidence_seconds"] == 9.0


def test_fleet_without_client_logs_is_no_client_evidence_unless_server_liveness(write):
    users = [f"{i:08x}-1111-4222-8333-{i:012x}" for i in range(1, 6)]
    lines = []
    for i, u in enumerate(users):
        lines.append(f"[WebSocket] 2025/11/08 10:00:0{i} User {u[:8]}... connected - added to registry")
    lines.append(f"[Ping] 2025/11/08 10:04:30 Received from user {users[0]}")   # server-side liveness for user 1
    for i, u in enumerate(users):
        lines.append(f"[MealLogAI] 2025/11/08 10:05:0{i} Processing meal log {i:08x}... for user {u[:8]}...")
        lines.append(f"[MealLogAI] 2025/11/08 10:05:1{i} Successfully completed processing meal log {i:08x}...")
        lines.append(f"[MealLogAI] 2025/11/08 10:05:1{i} ❌ User {u[:8]}... not connected to WebSocket, skipping notification")
    incident = load([str(write({"fleet.log": client(lines)}))])
    by_user = {r["uid"]: r["cause"] for r in incident.decisions.iter_rows(named=True)}
    # only user 1 is ever written in full; the others stay known by their prefix
    assert by_user == {users[0]: "registry_stale", **{u[:8]: "no_client_evidence" for u in users[1:]}}


def _verify_counts(files: dict[str, bytes], truth, folder) -> dict[str, int]:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    incident = load([str(folder)])
    got = {}
    for r in incident.decisions.iter_rows(named=True):
        key = r["cause"] or r["outcome"]
        got[key] = got.get(key, 0) + 1
    assert dict(sorted(got.items())) == truth.counts()
    return incident


@pytest.mark.parametrize("fmt, skew, tz, expect_offset", [
    ("time-only", 433.0, 0.0, 433.0),          # a device 7 min 13 s fast
    ("time-only", 1.5, -8.0, -28798.5),        # local time in UTC-8, 1.5 s fast
    ("logshow-compact", 1.5, -8.0, -28798.5),  # zoneless log show compact in UTC-8
    ("logshow", 433.0, -8.0, 433.0),           # zoned lines: only the skew remains
])
def test_clock_offsets_line_up_within_two_seconds(tmp_path, fmt, skew, tz, expect_offset):
    s = Scenario(bug=True, users=2, minutes=12, seed=3)
    files, truth = simulate(s, ios_format=fmt, skew=skew, tz_hours=tz)
    incident = _verify_counts(files, truth, tmp_path)
    clock = incident.clock.filter(pl.col("stream") == "ios")
    assert clock["method"].to_list() == ["measured", "measured"]
    assert all(abs(o - expect_offset) <= 2.0 for o in clock["offset_seconds"])
    assert all(n >= 20 for n in clock["samples"])
    if tz:
        assert set(clock["zone_hours"]) == ({-8.0} if fmt != "logshow" else {0.0})


def test_meal_prefixes_resolve_to_the_one_full_id_wherever_it_is_written():
    a, b = "3f2a9c1b-0000-4000-8000-00000000000a", "3f2a9c1b-1111-4000-8000-00000000000b"
    c = "7d00e1f2-2222-4000-8000-00000000000c"
    server = pl.Series(["3f2a9c1b", "7d00e1f2", "7d00e1f2", "7d00", "7d00e1f2-22", "7d00e1f3", "0badc0de", None])
    client = pl.Series([a, b, c, None])

    def rows(table):
        return sorted(table.iter_rows())
    # --stream passes its series apart; verify one of categories: the same table, the same warning
    both = pl.concat([client, server])
    for given in ([server, client], [both.cast(pl.Categorical)], [both.cast(pl.Categorical(pl.Categories("meal")))]):
        table, warnings = meal_prefixes(*given)
        # a prefix under 8 characters, or naming no full id, stays as written
        assert rows(table) == [("7d00e1f2", c), ("7d00e1f2-22", c)]
        assert warnings == [f"ambiguous meal prefix 3f2a9c1b...: matches {a}, {b}"]


def test_offset_override_and_assumed_alignment(tmp_path):
    files, truth = simulate(Scenario(bug=True, users=1, minutes=6, seed=2), skew=40.0)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    ios = next(n for n in files if n.startswith("ios-"))
    measured = load([str(tmp_path)]).clock.filter(pl.col("file").str.ends_with(ios)).row(0, named=True)
    assert measured["method"] == "measured" and abs(measured["offset_seconds"] - 40.0) <= 1.0
    override = load([str(tmp_path)], offsets={ios: "12.5"}).clock.filter(pl.col("file").str.ends_with(ios)).row(0, named=True)
    assert (override["method"], override["offset_seconds"]) == ("override", 12.5)


def test_colliding_prefixes_are_reported_not_guessed(write):
    folder = write({"backend.log": client([
        f"[WebSocket] 2025/11/08 10:00:00 WebSocket connected: user={USER}",
        f"[WebSocket] 2025/11/08 10:00:05 WebSocket connected: user={U2}",
        "[MealLogAI] 2025/11/08 10:03:00 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
        "[MealLogAI] 2025/11/08 10:03:05 ❌ User 4eb4c27c-304d-... not connected to WebSocket, skipping notification",
    ])})
    incident = load([str(folder)])
    assert f"ambiguous user prefix 4eb4c27c...: matches {USER}, {U2}" in incident.warnings
    uids = incident.decisions["uid"].to_list()
    assert uids == ["4eb4c27c", USER]   # the longer prefix names one user; the short one stays as written


def test_meals_link_submission_processing_decision_and_receipt():
    incident = load([str(SEED.parent / "incident-2025-11-08")])
    meal = incident.meals.filter(pl.col("meal_id") == "556d0423-e064-47b1-bff4-b7c51f189b6a").row(0, named=True)
    assert meal["uid"] == USER and meal["decision"] == "skipped" and meal["active_at_completion"]
    assert meal["submitted_ts"] == dt.datetime(2025, 11, 8, 10, 7, 13) and meal["submitted_line"] == 15
    assert meal["seen_kind"] == "client.meal_completed_poll" and meal["latency_s"] == 2.0


def test_tables_convert_to_pandas():
    incident = load([str(SEED)], users={"ios.log": "4eb4c27c"})
    frame = incident.decisions.to_pandas()
    assert list(frame["cause"]) == ["registry_stale"] and len(incident.events.to_pandas()) == 7


def test_code_kinds_name_every_kind_the_code_reads():
    # for_correlation leaves out backend lines of kinds nobody reads: a kind the code names must be listed
    source = "".join(p.read_text() for p in Path(logcheck.__file__).parent.rglob("*.py"))
    named = set(re.findall(r'"((?:client|server)\.[a-z_]+)"', source))
    assert named and named <= CODE_KINDS


@pytest.mark.parametrize("sample", ["incident-2025-11-08", "fleet-json", "deploy-midway", "backgrounded"])
def test_leaving_out_unread_backend_lines_changes_no_result(sample, monkeypatch):
    kept = verify([str(SAMPLES / sample)])
    monkeypatch.setattr(Pack, "read_kinds", lambda self: set(self.kinds()))    # keep every line
    everything = verify([str(SAMPLES / sample)])
    assert everything.incident.events.height > kept.incident.events.height or sample != "fleet-json"
    assert everything.json_text() == kept.json_text()


@pytest.mark.parametrize("sample", ["fleet-json", "incident-2025-11-08", "deploy-midway"])
def test_large_files_in_chunks_give_the_same_result(sample, monkeypatch):
    # files of CHUNK_LINES or more are parsed in chunks, which leave out lines correlation never
    # reads; tiny chunks force that path on every file, at odd boundaries
    whole = verify([str(SAMPLES / sample)])
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 37)
    chunked = verify([str(SAMPLES / sample)])
    assert chunked.json_text() == whole.json_text()
    monkeypatch.setattr(sources_module, "BLOCK_BYTES", 700)      # and read in blocks of a few lines
    blocked = verify([str(SAMPLES / sample)])
    assert len(blocked.incident.texts._readers[blocked.inputs[0]["path"]].blocks) > 1
    assert blocked.json_text() == whole.json_text()
    pack = whole.incident.pack
    every = ingest_module.ingest([str(SAMPLES / sample)], pack, columns=CORRELATION_COLUMNS)
    needed = ingest_module.ingest([str(SAMPLES / sample)], pack, columns=CORRELATION_COLUMNS, keep=lines_needed(pack))
    assert [s.as_dict() for s in needed.inputs] == [s.as_dict() for s in every.inputs]   # left out, still counted
    assert needed.events.height < every.events.height or sample == "incident-2025-11-08"   # its lines all count


@pytest.mark.parametrize("sample", ["fleet-json", "incident-2025-11-08"])
def test_ingest_keeps_the_lines_correlation_reads_and_hands_them_over(sample, monkeypatch):
    # ingest(keep=lines_needed) leaves out what correlation does not read, in chunks and after the
    # whole-file steps alike: what kept_lines says, told over the whole table; load hands it over
    pack = load_pack("ws-registry")
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 29)
    every = ingest_module.ingest([str(SAMPLES / sample)], pack, columns=CORRELATION_COLUMNS)
    ingested = ingest_module.ingest([str(SAMPLES / sample)], pack, columns=CORRELATION_COLUMNS, keep=lines_needed(pack))
    events = ingested.events
    assert events.equals(every.events.filter(kept_lines(pack, every.spans())))
    assert ingested.spans().equals(every.spans())
    assert 0 < events.height < every.events.height
    # in one piece, though made of chunks: polars copies a table of pieces whole in any select
    assert set(events.n_chunks("all")) == {1}
    given = for_correlation(events)
    original = weakref.ref(events)
    del events
    box = ingested.take_events()
    handed = for_correlation(box)
    assert handed.schema == given.schema and handed.equals(given)
    assert box == [] and ingested.events.is_empty() and original() is None    # nothing holds the table any more


def test_incident_events_get_their_text_back_from_the_files():
    incident = load([str(SEED)], users={"ios.log": USER})
    assert "message" not in incident.events.columns and "raw" not in incident.events.columns
    rows = incident.lines(incident.events.filter(pl.col("kind") == "client.pong_received"))
    assert rows["raw"].to_list()[0] == "10:07:29 - MealLogWebSocketClient: ‚úÖ Pong received"   # as read
    assert rows["message"].to_list()[0] == "✅ Pong received"        # repaired, component taken off
    assert rows["component"].to_list()[0] == "MealLogWebSocketClient"


def test_a_kind_seen_only_on_lines_left_out_is_not_called_silent(write, monkeypatch):
    # one HTTP access line, mid-chunk: correlation leaves it out, but it was seen and counted
    lines = [f"[WebSocket] 2025/11/08 10:00:{i:02d}.000000 Ping from user 0000000{i % 3}-2c83-4bad-8bad-07374db7d79d"
             " - connection refreshed" for i in range(40)]
    lines[11] = "[HTTP] 2025/11/08 10:00:11.000000 GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)"
    folder = write({"backend.log": "\n".join(lines) + "\n"})
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 23)
    result = verify([str(folder)])
    assert "server.http" not in result.incident.events["kind"].cast(pl.String).to_list()    # left out
    assert result.incident.inputs[0].kinds["server.http"] == 1
    assert "vocabulary server.http matched 0 lines" not in result.warnings
    assert "vocabulary server.notify_sent matched 0 lines" in result.warnings


def test_server_lines_without_ids_take_them_by_meal_file_and_time(write):
    """Completions and decisions that name no meal or user take them from the lines they follow,
    in their own file only; ties in time go to the later line (whole-second logs tie often)."""
    u1, u2, u3 = (f"{d * 8}-aaaa-4bbb-8ccc-00000000000{d}" for d in "123")
    meal_a, meal_b, meal_c = (f"{d * 8}-0000-4000-8000-00000000000{i}" for i, d in enumerate("abc", 1))
    connected = [f"[WebSocket] 2025/11/08 10:04:0{i} User {u} connected - added to registry" for i, u in enumerate((u1, u2, u3))]
    folder = write({
        "api-1.log": "\n".join(connected + [
            f"[MealLogAI] 2025/11/08 10:05:00 Processing meal log {meal_a[:8]}... for user {u1[:8]}...",
            f"[MealLogAI] 2025/11/08 10:05:00 Processing meal log {meal_b[:8]}... for user {u2[:8]}...",
            f"[MealLogAI] 2025/11/08 10:05:03 Successfully completed processing meal log {meal_a[:8]}...",   # by its meal: u1
            f"[MealLogAI] 2025/11/08 10:05:03 ❌ User {u1[:8]}... not connected to WebSocket, skipping notification",
            "[MealLogAI] 2025/11/08 10:05:06 Successfully completed processing",      # the later of the tied processings: u2
            "[MealLogAI] 2025/11/08 10:05:06 ✅ User is connected - sending notification",
        ]) + "\n",
        "api-2.log": "\n".join([
            "[MealLogAI] 2025/11/08 10:05:05 Successfully completed processing",      # no processing here: the next decision's
            f"[MealLogAI] 2025/11/08 10:05:07 ❌ User {u3} not connected to WebSocket, skipping notification",
            f"[MealLogAI] 2025/11/08 10:05:20 Successfully completed processing meal log {meal_c}",  # nobody's: no decision within 5 s
            f"[MealLogAI] 2025/11/08 10:05:30 ❌ User {u1[:8]}... not connected to WebSocket, skipping notification",
        ]) + "\n",
        # an earlier processing of the same meal, for someone else: a completion naming a meal takes its last processing
        "api-3.log": f"[MealLogAI] 2025/11/08 10:04:50 Processing meal log {meal_a[:8]}... for user {u3[:8]}...\n",
    })
    incident = load([str(folder)])
    got = {(Path(r["file"]).name, r["line"]): (r["uid"], r["meal_id"]) for r in incident.decisions.iter_rows(named=True)}
    # meals named by prefix only stay prefixes (no line names them in full)
    assert got == {("api-1.log", 7): (u1, meal_a[:8]), ("api-1.log", 9): (u2, meal_b[:8]),
                   ("api-2.log", 2): (u3, None), ("api-2.log", 4): (u1, meal_c)}
    completions = incident.events.filter(pl.col("kind") == "server.meal_completed").sort("file", "line")
    assert completions.select(pl.col("uid").cast(pl.String), "meal_id").rows() == [
        (u1, meal_a[:8]), (u2, meal_b[:8]), (u3, None), (None, meal_c)]


def test_a_client_clock_measured_with_spread_widens_the_liveness_window(write):
    # pongs 0 s and 2 s off the server: the offset is 1 s, uncertain by 1 s, plus 1 s for whole seconds
    pongs = [("10:05:30", "10:05:30"), ("10:06:00", "10:06:00"), ("10:06:30", "10:06:28"), ("10:07:00", "10:06:58")]
    folder = write({
        "ios.log": client([f"10:05:00 - MealLogWebSocketClient: ✅ Connected - User ID: {USER}"] + [
            line for at, server in pongs for line in (
                f"{at} - MealLogWebSocketClient: ✅ Pong received",
                f"{at} - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T{server}Z")]),
        "backend.log": client([
            "[WebSocket] 2025/11/08 10:05:00 User 4eb4c27c... connected - added to registry",
            "[MealLogAI] 2025/11/08 10:07:55 Processing meal log 556d0423... for user 4eb4c27c...",
            "[MealLogAI] 2025/11/08 10:08:02 Successfully completed processing meal log 556d0423...",
            "[MealLogAI] 2025/11/08 10:08:02 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
        ]),
    })
    incident = load([str(folder)])
    clock = {r["file"].rsplit("/", 1)[-1]: r for r in incident.clock.iter_rows(named=True)}
    assert (clock["ios.log"]["offset_seconds"], clock["ios.log"]["uncertainty_seconds"]) == (1.0, 2.0)
    (row,) = incident.decisions.iter_rows(named=True)
    # the last pong is at 10:06:59 on the server clock, 63 s before: past the 60 s window and the
    # 2 s of whole-second stamps, within the 2 s more of the clock's uncertainty
    assert row["since_alive_s"] == 63.0
    assert (row["active"], row["active_by_allowance"], row["cause"]) == (True, True, "registry_stale")


def test_a_pong_stands_for_a_ping_at_its_backend_timestamp(write):
    # a backend that logs no pings: SC1 places each pong at the server time it carries. The last
    # pong's is 6 s before its time on the client (the clock is measured at 0 s, from the others):
    # at the client's time, its refresh would be 6 s away, outside the 2 s tolerance
    pongs = [("10:05:30", "10:05:30"), ("10:06:00", "10:06:00"), ("10:06:30", "10:06:30"), ("10:07:00", "10:07:00"),
             ("10:07:30", "10:07:24")]
    folder = write({
        "ios.log": client([f"10:05:00 - MealLogWebSocketClient: ✅ Connected - User ID: {USER}"] + [
            line for at, server in pongs for line in (
                f"{at} - MealLogWebSocketClient: Sending application-level ping",
                f"{at} - MealLogWebSocketClient: ✅ Pong received",
                f"{at} - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T{server}Z")]),
        "backend.log": client(["[WebSocket] 2025/11/08 10:05:00 User 4eb4c27c... connected - added to registry"] + [
            f"[WebSocket] 2025/11/08 {server} User {USER} - connection refreshed" for _, server in pongs] + [
            "[HTTP] 2025/11/08 10:08:00 GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)"]),
    })
    result = verify([str(folder)])
    incident = result.incident
    assert incident.clock.filter(pl.col("file").str.ends_with("ios.log"))["offset_seconds"].item() == 0.0
    # kept apart from the events table, on the pong lines (the continuations carry them up)
    assert "server_ts" not in incident.events.columns
    assert incident.server_times.select(pl.col("line"), pl.col("server_ts").dt.strftime("%H:%M:%S")).rows() == [
        (3, "10:05:30"), (6, "10:06:00"), (9, "10:06:30"), (12, "10:07:00"), (15, "10:07:24")]
    assert incident.pings.select("pong_line", pl.col("backend_ts").dt.strftime("%H:%M:%S")).rows()[-2:] == [
        (12, "10:07:00"), (15, "10:07:24")]
    sc1 = next(c for c in result.criteria if c.id == "SC1")
    assert (sc1.status, sc1.metrics["cases"], sc1.metrics["matched"]) == ("pass", 5, 5)
