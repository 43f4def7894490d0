"""Ingest: realistic lines in, one events table out, every line accounted for."""
from __future__ import annotations

import datetime as dt
import gzip
import importlib
import io
import os
import resource

import polars as pl
import pytest

from logcheck import ingest, read_events
from logcheck.api import CORRELATION_COLUMNS, lines_needed
from logcheck.errors import InputError, UsageError
from logcheck.ingest.timestamps import time_of_day
from logcheck.packs import load_pack

from .conftest import SAMPLES, SEED, USER

ingest_module = importlib.import_module("logcheck.ingest")


def by_line(events: pl.DataFrame, name: str) -> dict[int, dict]:
    return {r["line"]: r for r in events.filter(pl.col("file").str.ends_with(name)).iter_rows(named=True)}


def test_seed_excerpt_as_given_is_repaired_classified_and_dated():
    result = ingest([str(SEED)])
    ios, back = by_line(result.events, "ios.log"), by_line(result.events, "backend.log")
    assert ios[1]["message"] == "🏓 Sending application-level ping"           # mojibake repaired
    assert ios[1]["raw"].startswith("10:07:29 - MealLogWebSocketClient: \uf8ffüèì")  # raw kept as read
    assert [ios[i]["kind"] for i in range(1, 6)] == [
        "client.ping_sent", "client.ping_sent", "client.pong_received", None, None]
    assert ios[3]["server_ts"] == dt.datetime(2025, 11, 8, 10, 7, 29)        # from the continuation line
    assert ios[4]["continuation"] and ios[4]["context"] and ios[4]["parent"] == 3
    assert back[2]["kind"] == "server.notify_skipped" and back[2]["user_prefix"] == "4eb4c27c" and back[2]["user"] is None
    assert back[1]["meal"] == "556d0423"
    # time-only lines: the iOS date comes from its Backend timestamp, the backend's from the other file
    assert ios[1]["ts"] == dt.datetime(2025, 11, 8, 10, 7, 29) and ios[1]["ts_quality"] == "date_inferred"
    assert back[2]["ts"] == dt.datetime(2025, 11, 8, 10, 7, 51) and not back[2]["zoned"]
    summary = {s.path.rsplit("/", 1)[-1]: s for s in result.inputs}
    assert (summary["ios.log"].lines, summary["ios.log"].events, summary["ios.log"].context) == (5, 3, 2)
    assert summary["ios.log"].repaired_lines == 4 and summary["backend.log"].stream == "backend"


def mac_paste(text: str) -> str:
    """What a paste through Mac tools does to UTF-8 (the seed's damage)."""
    return text.encode("utf-8").decode("mac_roman")


def test_damage_is_repaired_and_counted_and_no_line_is_lost(write):
    lines = [
        "\ufeff10:07:26 - MealLogWebSocketClient: " + mac_paste("✅ Connected - User ID: 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98"),
        "10:07:29 - MealLogWebSocketClient: " + mac_paste("✅ Pong received"),
        "10:07:29 - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T10:07:29Z",
        "10:07:35 - NutritionViewModel: some unrelated chatter",
        "10:07:40 - NutritionViewModel: " + mac_paste("🔄 Polling for updates (attempt 2)"),
        "10:07:45 - NutritionViewModel: " + mac_paste("🔄 Polling for updates (attempt 3)"),
    ]
    data = "\r\n".join(lines).encode("utf-8")
    data = data.replace(b"chatter", b"chat\xff\xfeter\x00")[:-4]        # bad bytes, a NUL, a cut last line
    folder = write({"ios.log": data})
    result = ingest([str(folder)])
    s = result.inputs[0]
    assert (s.lines, s.events, s.context, s.unrecognised) == (6, 4, 1, 1)
    assert s.lines == s.events + s.context + s.unrecognised
    d = s.damage
    assert (d.bom, d.crlf_lines, d.invalid_utf8, d.nul_bytes, d.truncated_last_line) == (True, 5, 2, 1, True)
    ev = by_line(result.events, "ios.log")
    assert ev[1]["kind"] == "client.connected" and ev[1]["user"] == USER and ev[1]["message"].startswith("✅")
    assert ev[4]["message"] == "some unrelated chat\ufffd\ufffdter"
    assert ev[6]["kind"] == "client.poll" and ev[6]["attempt"] is None  # the cut took "(attempt 3)" away
    assert ev[5]["attempt"] == "2" and ev[5]["message"] == "🔄 Polling for updates (attempt 2)"
    assert result.unrecognised().select("line").to_series().to_list() == [4]


def test_xcode_console_mixing_print_and_timestamped_lines(write):
    folder = write({"xcode.txt": "\n".join([
        "2025-11-08 10:07:26.481922+0000 FitIQ[812:2a4f1c] MealLogWebSocketClient: ✅ Connected - User ID: 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98",
        "MealLogWebSocketClient: ✅ Pong received at 2025-11-08 10:07:29 +0000",
        "   - Backend timestamp: 2025-11-08T10:07:29Z",
        "MealLogWebSocketClient: 📩 Message type: meal_log.completed",
        "GetMealLogsUseCase: ✅ Meal completed!",
    ]) + "\n"})
    ev = by_line(read_events([str(folder)]), "xcode.txt")
    assert [ev[i]["ts_quality"] for i in range(1, 6)] == ["exact", "embedded", "inherited", "inherited", "inherited"]
    assert ev[2]["ts"] == dt.datetime(2025, 11, 8, 10, 7, 29) and ev[2]["zoned"]
    assert ev[4]["ts"] == ev[2]["ts"] and ev[4]["kind"] == "client.meal_completed_ws"
    assert ev[5]["kind"] == "client.meal_completed_poll" and ev[1]["stream"] == "ios"


def test_time_only_lines_roll_over_midnight_and_take_date_option(write):
    folder = write({"backend.log": "\n".join([
        "23:59:31 - [WebSocket] User 4eb4c27c... connected - added to registry",
        "23:59:59 - [MealLogAI] Processing meal log 556d0423... for user 4eb4c27c...",
        "00:00:12 - [MealLogAI] Successfully completed processing meal log 556d0423...",
        "00:00:12 - [MealLogAI] ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
    ]) + "\n"})
    result = ingest([str(folder)])
    assert result.events["ts"].is_null().all()
    assert result.inputs[0].warnings == ["time-only lines and no date anywhere: give --date YYYY-MM-DD"]
    ts = read_events([str(folder)], date=dt.date(2025, 11, 7))["ts"].to_list()
    assert ts == [dt.datetime(2025, 11, 7, 23, 59, 31), dt.datetime(2025, 11, 7, 23, 59, 59),
                  dt.datetime(2025, 11, 8, 0, 0, 12), dt.datetime(2025, 11, 8, 0, 0, 12)]


def test_small_files_dated_together_are_each_dated_as_alone(write):
    # a fleet's client logs are dated in one batch: each file still rolls over its own midnight,
    # takes its own anchor, inherits only its own times, and one without a date takes the first
    # dated file's (in input order), exactly as when read file by file
    folder = write({
        "a-ios.log": "\n".join([
            "23:59:58 - MealLogWebSocketClient: 📤 Sending application-level ping",
            "23:59:59 - MealLogWebSocketClient: ✅ Pong received",
            "  Backend timestamp: 2025-11-07T23:59:59.250Z",
            "00:00:29 - MealLogWebSocketClient: 📤 Sending application-level ping",
            "Polling: refreshing meals",
        ]) + "\n",
        "b-ios.log": "\n".join([
            "Polling: refreshing meals",
            "10:07:29 - MealLogWebSocketClient: ✅ Pong received",
            "  Backend timestamp: 2025-11-09T10:07:29.120Z",
            "10:07:59 - MealLogWebSocketClient: 📤 Sending application-level ping",
        ]) + "\n",
        "c-ios.log": "02:00:00 - MealLogWebSocketClient: 📤 Sending application-level ping\n",
        "d-backend.log": "\n".join([
            "[WebSocket] 2025/11/08 10:07:29.412803 Ping from user 4eb4c27c... - connection refreshed",
            '{"time":"2025-11-08T10:07:51Z","level":"INFO","msg":"User 4eb4c27c... IS connected - sending notification"}',
            "[MealLogAI] 2025/11/08 10:07:51 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
            "goroutine 17 [running]:",
        ]) + "\n",
    })
    together = ingest([str(folder)])
    # and counted as alone: lines, events by kind, context, unrecognised, format
    for summary in together.inputs:
        assert {**ingest([summary.path]).inputs[0].as_dict(), "warnings": []} == {**summary.as_dict(), "warnings": []}
    assert [s.format for s in together.inputs] == ["time-only", "time-only", "time-only", "go-log-prefix (+json)"]
    alone = {name: read_events([str(folder / name)], date=date)
             for name, date in (("a-ios.log", None), ("b-ios.log", None), ("c-ios.log", dt.date(2025, 11, 7)))}
    for name, events in alone.items():
        mine = together.events.filter(pl.col("file").str.ends_with(name))
        assert mine.drop("file").equals(events.drop("file")), name
    a, b, c = (by_line(together.events, n) for n in ("a-ios.log", "b-ios.log", "c-ios.log"))
    assert [a[n]["ts"] for n in (1, 2, 4)] == [dt.datetime(2025, 11, 7, 23, 59, 58), dt.datetime(2025, 11, 7, 23, 59, 59),
                                               dt.datetime(2025, 11, 8, 0, 0, 29)]
    assert a[5]["ts_quality"] == "inherited" and a[5]["ts"] == a[4]["ts"]
    assert b[1]["ts_quality"] == "none" and b[2]["ts"] == dt.datetime(2025, 11, 9, 10, 7, 29)
    assert c[1]["ts"] == dt.datetime(2025, 11, 7, 2, 0) and c[1]["ts_quality"] == "date_inferred"
    assert all(not s.warnings for s in together.inputs)
    undated = write({"x.log": "10:00:00 - MealLogWebSocketClient: ✅ Pong received\n",
                     "y.log": "10:00:30 - MealLogWebSocketClient: ✅ Pong received\n"}, "undated")
    assert [s.warnings for s in ingest([str(undated)]).inputs] == [["time-only lines and no date anywhere: give --date YYYY-MM-DD"]] * 2


@pytest.mark.parametrize("line, kind, fields", [
    ("[WebSocket] 2025/11/08 10:07:29 Ping from user 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98 - connection refreshed",
     "server.registry_refreshed", {"user": USER}),
    ("[ConnectionManager] 2025/11/08 10:07:29 Updated LastSeen for user 4eb4c27c...", "server.registry_refreshed",
     {"user_prefix": "4eb4c27c"}),
    ("[Ping] 2025/11/08 10:07:29 Received from user 4eb4c27c...", "server.ping_received", {"user_prefix": "4eb4c27c"}),
    ("[WebSocket] 2025/11/08 10:07:29 WebSocket connected: user=4eb4c27c-304d-...", "server.connected",
     {"user_prefix": "4eb4c27c-304d"}),
    ("[MealLogAI] 2025/11/08 10:07:51 User 4eb4c27c... IS connected - sending notification", "server.notify_sent",
     {"user_prefix": "4eb4c27c"}),
    ("[MealLogAI] 2025/11/08 10:07:51 User 4eb4c27c… not connected (LastSeen: 10:06:26, 85s ago)",
     "server.notify_skipped", {"user_prefix": "4eb4c27c"}),
    ("[WebSocket] 2025/11/08 10:09:00 Read error for user 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98: websocket: close 1006",
     "server.disconnected", {"user": USER}),
    ("[HTTP] 2025/11/08 10:07:40 GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)", "server.http",
     {"method": "GET", "path": "/api/v1/meal-logs?date=2025-11-08", "status": "200"}),
])
def test_backend_vocabulary_and_fields(write, line, kind, fields):
    folder = write({"server.log": line + "\n"})
    row = read_events([str(folder)]).row(0, named=True)
    assert row["kind"] == kind and row["stream"] == "backend"
    assert {k: row[k] for k in fields} == fields


@pytest.mark.parametrize("message, kind, fields", [
    ("❌ WebSocket closed with code 1001: Going away", "client.closed", {"code": "1001", "reason": "Going away"}),
    ("⚠️ Ping failed at 2025-11-08 10:09:00 +0000: The network connection was lost", "client.ping_failed", {}),
    ("❌ Ping timeout - no pong received", "client.ping_failed", {}),
    ("WebSocket connected, stopping polling", "client.polling_stopped", {}),
    ("🔄 Starting polling (interval: 5.0s)", "client.polling_started", {}),
    ("✅ Meal log uploaded successfully - Backend ID: 556d0423-e064-47b1-bff4-b7c51f189b6a", "client.meal_submitted",
     {"meal": "556d0423-e064-47b1-bff4-b7c51f189b6a"}),
    ("📩 Message type: pong", "client.pong_received", {}),
    ("✅ Connected successfully at 2025-11-08 10:07:26 +0000", "client.connected", {}),
])
def test_client_vocabulary_is_case_and_emoji_independent(write, message, kind, fields):
    folder = write({"ios.log": f"10:07:26 - MealLogWebSocketClient: {message.upper()}\n"
                               f"10:07:27 - MealLogWebSocketClient: ✅ Connected - User ID: {USER}\n"})
    row = read_events([str(folder)], date=dt.date(2025, 11, 8)).row(0, named=True)
    assert row["kind"] == kind
    assert {k: (row[k] or "").lower() for k in fields} == {k: v.lower() for k, v in fields.items()}


def test_gzip_empty_and_binary_inputs(write):
    text = "[MealLogAI] 2025/11/08 10:07:51 Successfully completed processing meal log 556d0423...\n"
    folder = write({"a.log.gz": gzip.compress(text.encode()), "empty.log": b"", "core.bin": bytes(range(256)) * 40})
    result = ingest([str(folder)])
    by = {s.path.rsplit("/", 1)[-1]: s for s in result.inputs}
    assert by["a.log.gz"].damage.gzip and by["a.log.gz"].events == 1
    assert by["empty.log"].damage.skipped == "empty" and by["empty.log"].lines == 0
    assert by["core.bin"].damage.skipped == "binary"
    assert result.events.height == 1


def test_cited_lines_are_read_again_from_gzip_stdin_and_plain_files(write, monkeypatch):
    # correlation keeps file:line; the text comes back from the source, however it was read
    text = (SEED / "backend.log").read_bytes()
    folder = write({"a.log.gz": gzip.compress(text), "b.log": text})
    monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": io.BytesIO(text)})())
    monkeypatch.setattr(importlib.import_module("logcheck.ingest.sources"), "BLOCK_BYTES", 64)   # several blocks each
    result = ingest([str(folder), "-"])
    back = result.texts.of(result.events.select("file", "line").reverse())
    assert back["raw"].to_list() == result.events["raw"].reverse().to_list()
    assert set(back["file"]) == {str(folder / "a.log.gz"), str(folder / "b.log"), "<stdin>"}


def test_a_folder_of_many_small_files_is_never_all_open(write):
    # a large file stays open while it is parsed block by block; a small one is closed once read
    folder = write({f"ios-{i:03}.log": "10:07:29 - MealLogWebSocketClient: ✅ Pong received\n" for i in range(300)})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 100, hard))
    try:
        result = ingest([str(folder)])
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(result.inputs) == 300 and all(s.lines == s.events == 1 for s in result.inputs)


def test_a_file_rewritten_after_reading_is_named_not_misquoted(write):
    folder = write({"backend.log": (SEED / "backend.log").read_bytes()})
    result = ingest([str(folder)])
    (folder / "backend.log").write_text("[MealLogAI] 2025/11/08 10:07:51 rotated\n")
    with pytest.raises(InputError, match=r"backend.log: changed since it was read \(rotated or rewritten\); run again"):
        result.texts.of(result.events.select("file", "line"))


@pytest.mark.parametrize("chatter", [0, 30])
def test_a_large_files_stream_is_told_by_its_first_lines_or_else_by_its_first_chunk(write, monkeypatch, chatter):
    # a file parsed in chunks: its first lines tell its stream; where they name nothing either
    # vocabulary knows, the whole first chunk does
    lines = ["10:07:35 - NutritionViewModel: some unrelated chatter"] * chatter + \
        ["10:07:29 - MealLogWebSocketClient: ✅ Pong received", "10:07:40 - NutritionViewModel: 🔄 Polling for updates (attempt 2)"] * 60
    folder = write({"app.log": "\n".join(lines) + "\n"})
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 100)
    monkeypatch.setattr(ingest_module, "STREAM_PROBE", 10)
    monkeypatch.setattr(importlib.import_module("logcheck.ingest.classify"), "STREAM_PROBE", 10)
    s = ingest([str(folder)]).inputs[0]
    assert (s.stream, s.events, s.kinds["client.pong_received"]) == ("ios", 120, 60)


def test_forced_stream_wins_over_content(write):
    folder = write({"odd.log": "10:07:26 - [HTTP] POST /api/v1/meal-logs/natural - 201\n"})
    path = str(folder / "odd.log")
    assert ingest([path]).inputs[0].stream == "backend"
    assert ingest([path], streams={path: "ios"}).events.row(0, named=True)["kind"] == "client.meal_submitted"


def test_a_forced_stream_must_be_one_the_table_can_hold(write):
    path = str(write({"odd.log": "10:07:26 - [HTTP] POST /api/v1/meal-logs/natural - 201\n"}) / "odd.log")
    with pytest.raises(UsageError) as caught:
        ingest([path], streams={path: "android"})
    assert str(caught.value) == f"streams: {path}: 'android' is not a stream (ios or backend)"


@pytest.mark.parametrize("sample", ["incident-2025-11-08", "seed-excerpt", "fleet-json", "backgrounded"])
def test_a_few_columns_are_the_same_values_as_the_full_table(sample):
    # verify asks ingest for the columns it reads; chunks drop the rest early, values must not change
    full = ingest([str(SAMPLES / sample)])
    lean = ingest([str(SAMPLES / sample)], columns=CORRELATION_COLUMNS)
    assert lean.events.columns == list(CORRELATION_COLUMNS)
    assert lean.events.schema["file"] == lean.events.schema["kind"] == pl.Categorical
    # the columns of a handful of values take a byte a row, in both tables
    assert all(t[c].to_physical().dtype == pl.UInt8 for t in (lean.events, full.events) for c in ("stream", "ts_quality"))
    same = lean.events.with_columns(pl.col("file", "kind").cast(pl.String))
    assert same.equals(full.events.select(CORRELATION_COLUMNS))
    assert [s.as_dict() for s in lean.inputs] == [s.as_dict() for s in full.inputs]
    assert full.events["server_ts"].is_not_null().any() or sample in ("fleet-json",)


def fleet_lines(n: int = 120) -> list[str]:
    """A fleet log: HTTP access lines, pings, decisions, and now and then an indented continuation,
    some right at a chunk's start, whose event may sit in a chunk that left lines out."""
    lines = []
    for i in range(n):
        t = f"2025/11/08 10:{i // 60:02d}:{i % 60:02d}.{i:06d}"
        user = f"{i % 7:08x}-2c83-4bad-8bad-07374db7d79d"
        lines.append(f"[HTTP] {t} GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)")
        lines.append(f"[WebSocket] {t} Ping from user {user} - connection refreshed")
        if i % 9 == 4:
            lines.append(f"    Backend timestamp: 2025-11-08T10:{i // 60:02d}:{i % 60:02d}Z")
        if i % 5 == 0:
            lines.append(f"[MealLogAI] {t} ❌ User {user[:8]}... not connected to WebSocket, skipping notification")
        if i % 11 == 3:     # a kind no rule reads, naming a user by prefix: kept
            lines.append(f"[WebSocket] {t} Removing stale connection for user {user[:8]}...")
        lines.append(f"[DB] {t} pool stats: open=12 idle=9 wait=0")
    return lines


def test_lines_left_out_of_chunks_change_no_kept_line(write, monkeypatch):
    folder = write({"backend.log": "\n".join(fleet_lines()) + "\n"})
    pack = load_pack("ws-registry")
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 23)
    every = ingest([str(folder)], pack)
    needed = ingest([str(folder)], pack, keep=lines_needed(pack))
    assert [s.as_dict() for s in needed.inputs] == [s.as_dict() for s in every.inputs]
    assert 0 < needed.events.height < every.events.height
    kept = every.events.join(needed.events.select("line"), on="line", how="semi")
    assert needed.events.equals(kept)
    assert needed.events["server_ts"].drop_nulls().len() == every.events["server_ts"].drop_nulls().len() > 0
    assert (needed.events["kind"] == "server.registry_removed").sum() == 11


def test_time_resolution_is_the_fraction_as_written(write):
    # alignment widens comparisons by how finely each side wrote its time: digits per envelope
    folder = write({"server.log": "\n".join([
        f"[WebSocket] 2025/11/08 10:07:51 Ping from user {USER} - connection refreshed",
        f"[WebSocket] 2025/11/08 10:07:51.123456 Ping from user {USER} - connection refreshed",
        "2025-11-08T10:07:51.123000+00:00 ecs/meals-api/5f1c2d [MealLogAI] 2025/11/08 10:07:51 User 4eb4c27c... not connected",
        "2025-11-08T10:07:51,25+0000 api-1 mealsvc[812]: [MealLogAI] 2025/11/08 10:07:51 Processing meal log 556d0423... for user 4eb4c27c...",
        '{"time":"2025-11-08T10:07:52.123Z","level":"INFO","msg":"User not connected, skipping notification"}',
        '{"level":"info","ts":1762596472.5,"logger":"WebSocket","msg":"Ping from user 4eb4c27c... - connection refreshed"}',
    ]) + "\n"})
    ev = read_events([str(folder)])
    assert ev["ts_digits"].to_list() == [None, 6, 6, 2, 3, None]     # an epoch number has no written fraction
    assert ev["ts_quality"].to_list() == ["exact"] * 6


def test_time_of_day_reads_what_strptime_reads():
    # envelope times are read as integers from fixed places (formats.TIME_SHAPE): the same times
    # as strptime, fractions of any length, commas, and null for what is out of range
    written = ["10:07:51", "10:07:51.123456", "10:07:51,25", "23:59:59.999", "00:00:00.000000001",
               "09:05:07.1234567891", "12:00:60.5", "23:59:60", "24:00:00", "12:60:00", "12:00:61", "ab:cd:ef", None]
    frame = pl.DataFrame({"t": written})
    strptime = frame.select(pl.col("t").str.replace(",", ".", literal=True).str.to_time("%H:%M:%S%.f", strict=False))
    assert frame.select(time_of_day(pl.col("t"))).to_series().to_list() == strptime.to_series().to_list()
    assert frame.select(time_of_day(pl.col("t"))).to_series()[1] == dt.time(10, 7, 51, 123456)
    # a custom format's time group may miss the shape: no time, as strptime (one- or two-digit
    # hours aside, which the shape rules out), not a misread one
    misshapen = pl.DataFrame({"t": ["12-00-00", "12:00:00.abc", "12:00:00x5", "12:00:00.", "12:00:00 ", "12:0a:00",
                                    "-1:00:00", "+1:00:00", " 1:00:00", "10:07:29.-5",
                                    "\t1:00:00", "01: 0:00", "01:00: 0", "１2:00:00", "10:07:29.+5"]})
    assert misshapen.select(time_of_day(pl.col("t"))).to_series().null_count() == misshapen.height


def test_each_files_time_span_is_known_without_reading_left_out_rows_back(write, monkeypatch):
    # `verify --stream` keeps each file's first and last timed lines, found among the lines a chunk
    # keeps back. Zoned times are not in written order: the latest line is written 11:00Z, while
    # one written 12:30+02:00 (10:30Z) looks later; the earliest sits mid-chunk
    lines = [f"2025-11-08T09:{i // 60:02d}:{i % 60:02d}Z [WebSocket] Ping from user {i % 5:08x}-2c83-4bad-8bad-07374db7d79d - "
             "connection refreshed" for i in range(40)]
    lines[17] = "2025-11-08T12:30:00+02:00 [WebSocket] Ping from user 00000001-2c83-4bad-8bad-07374db7d79d - connection refreshed"
    lines[18] = "2025-11-08T11:00:00Z [HTTP] GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)"
    lines[25] = "2025-11-08T08:00:00Z [HTTP] GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)"
    folder = write({"backend.log": "\n".join(lines) + "\n", "ios.log": (SEED / "ios.log").read_bytes()})
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 10)
    every = ingest([str(folder)])
    spilled = ingest([str(folder)], columns=CORRELATION_COLUMNS, keep=lambda stream: pl.lit(False), spill=True)
    try:
        spans = spilled.spans().sort("file")
        assert spans.equals(every.spans().sort("file"))
        backend = spans.filter(pl.col("file").str.ends_with("backend.log")).row(0, named=True)
        assert (backend["lo"], backend["hi"]) == (dt.datetime(2025, 11, 8, 8, 0), dt.datetime(2025, 11, 8, 11, 0))
        assert spilled.events.height < 20 and len(spilled.spill._parts[0]) == 4    # the rest written out
    finally:
        spilled.close()


def test_lines_read_again_are_as_read_and_count_no_damage_twice(write, monkeypatch):
    # the JSON and the report read quoted lines again, block by block: the same text, repaired
    # nowhere, and the damage of the first reading is not counted again
    data = "\r\n".join(fleet_lines(60)).encode().replace(b"connection", b"conn\xff\xfeection\x00", 7)
    folder = write({"backend.log": b"\xef\xbb\xbf" + data[:-3]})
    monkeypatch.setattr(importlib.import_module("logcheck.ingest.sources"), "BLOCK_BYTES", 500)
    result = ingest([str(folder)])
    before = result.inputs[0].as_dict()
    assert (before["bom"], before["invalid_utf8"], before["nul_bytes"], before["truncated_last_line"]) == (True, 14, 7, True)
    back = result.texts.of(result.events.select("file", "line").reverse())
    assert back["raw"].to_list() == result.events["raw"].reverse().to_list()
    assert back["raw"].str.contains("\ufffd").sum() == 7 and not back["raw"].str.contains("\x00|\r|\ufeff").any()
    assert result.inputs[0].as_dict() == before


def test_rows_spilled_to_disk_as_parsed_are_the_whole_table(write, monkeypatch):
    # `events -o` writes a fleet's table without holding it: chunks whose lines all carry their own
    # date and time are finished and written as parsed; the rest (a stretch of time-only lines
    # that need the file's date, continuations across chunks) are finished with the file
    lines = fleet_lines(150)
    lines[200:200] = ["10:01:07 - [MealLogAI] Processing meal log 556d0423... for user 4eb4c27c...",
                      "no time at all on this line", "    Backend timestamp: 2025-11-08T10:01:07Z"]
    text = "\n".join(lines) + "\n"
    folder = write({"backend.log": text, "backend-copy.log.gz": gzip.compress(text.encode()),
                    "ios.log": (SEED / "ios.log").read_bytes()})
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 23)
    paths = [str(folder), str(folder / "backend.log")]      # one file given twice is two inputs of one name
    every = ingest(paths)
    spilled = ingest(paths, spill=True)
    written = [p for parts in spilled.spill._parts.values() for p in parts]
    try:
        assert len(spilled.inputs) == 4 and len({s.path for s in spilled.inputs}) == 3
        assert every.events.height - spilled.events.height > 100 and len(written) > 4    # all three, in pieces
        assert spilled.table().collect().equals(every.events)
        assert [s.as_dict() for s in spilled.inputs] == [s.as_dict() for s in every.inputs]
    finally:
        spilled.close()
    assert not any(p.exists() for p in written)


def test_time_spans_come_in_one_order_whatever_the_group_by_gives():
    # a group-by gives its groups in any order: a comparison of two spans tables failed now and then
    from logcheck.ingest import time_spans

    names = [f"ios-{i}.log" for i in range(5)]
    events = pl.DataFrame({"file": names * 3, "ts": [dt.datetime(2025, 11, 8, 10, i) for i in range(15)]},
                          schema_overrides={"file": pl.Categorical})
    seen = {tuple(time_spans(events)["file"]) for _ in range(1000)}
    assert seen == {tuple(names)}
    assert time_spans(events).row(0) == ("ios-0.log", dt.datetime(2025, 11, 8, 10, 0), dt.datetime(2025, 11, 8, 10, 10))
