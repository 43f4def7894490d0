"""The fast classifier agrees with the plain definition, and literals are truly required."""
from __future__ import annotations

import importlib

import polars as pl
import pytest

from logcheck.ingest import ingest
from logcheck.ingest.classify import kinds
from logcheck.ingest.literals import id_groups, required_literal
from logcheck.packs import ID, load_pack

from .conftest import SAMPLES


def reference_kinds(frame: pl.DataFrame, pack, stream: str) -> pl.Series:
    """The definition: try every pattern on every row, in order; the first match wins."""
    expr = pl.lit(None, pl.String)
    for kind, regex, component in reversed(pack.patterns(stream)):
        cond = pl.col("msg").str.contains(regex)
        if component:
            cond = cond & (pl.col("component").str.to_lowercase() == component.lower())
        expr = pl.when(cond.fill_null(False)).then(pl.lit(kind)).otherwise(expr)
    return frame.select(expr.alias("kind"))["kind"]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("stream", ["ios", "backend"])
def test_fast_kinds_equal_the_definition_on_every_sample_line(sample, stream):
    pack = load_pack()
    frame = ingest([str(SAMPLES / sample)]).events.select(msg="message", component="component")
    assert kinds(frame, pack, stream).to_list() == reference_kinds(frame, pack, stream).to_list()


@pytest.mark.parametrize("pattern, literal", [
    ("(?i)ping from user (?P<user>x) - connection refreshed", " - connection refreshed"),
    ("(?i)connecting to wss?://", "connecting to ws"),
    ("(?i)is connected,? (?:- )?sending notification", "sending notification"),
    ("(?i)message type: meal_log\\.completed", "message type: meal_log.completed"),
    ("(?i)polling for updates(?: \\(attempt (?P<attempt>\\d+)\\))?", "polling for updates"),
    ("(?i)(?P<method>GET|POST) (?P<path>/\\S*)", None),
    ("(?i)foo|barbaz", None),
])
def test_required_literal(pattern, literal):
    assert required_literal(pattern) == literal


@pytest.mark.parametrize("pattern, groups", [
    ("user (?P<user>{id}) not connected", (("user",), ())),
    ("processing meal log (?P<meal>{id}) for user (?P<user>{id})", (("meal", "user"), ())),
    ("disconnected: user=(?P<user>{id})", (("user",), ())),
    ("^(?P<user>{id}) connected", (("user",), ())),
    ("completed (?P<meal>{id})(?: for user (?P<user>{id}))?", (("meal",), ("user",))),
    ("log (?:x (?P<meal>{id})) for (?P<user>{id})", (("meal", "user"), ())),
    ("(?P<user>{id}) connected", None),                        # no start, no character before it
    ("meal log\\.(?P<meal>{id})", None),                       # a dot may end an id prefix
    ("meal log 1(?P<meal>{id})", None),                         # so may a digit
    ("user (?P<user>{id})?", None),
    ("sent|user (?P<user>{id})", None),
    ("log (?:x (?P<meal>{id})|y)", None),                       # the other branch fills nothing
    ("log(?: (?P<meal>{id}))+", None),
    ("user (?:(?P<user>{id}))", None),                          # what comes before it is not in its group
    ("users?(?P<user>{id})", None),
    ("user (?P<user>[0-9a-f]+)", None),                         # not an id
    ("websocket closed with code (?P<code>\\d+)", None),
])
def test_id_groups_only_where_the_ids_are_every_id_shaped_piece(pattern, groups):
    assert id_groups("(?i)" + pattern.replace("{id}", ID)) == groups


def test_ids_read_without_captures_are_the_groups_values(write, monkeypatch):
    # ids are read as the message's id-shaped pieces where they are as many as the pattern's
    # groups, else by the pattern's captures; either way, what the captures would give
    alice, meal = "4eb4c27c-304d-4cca-8cc8-2b67a4c75d98", "556d0423-6f1e-4b0a-9c43-5a1d2e3f4a5b"
    messages = [
        f"Processing meal log {meal} for user {alice.upper()}",
        "Processing meal log 556d0423... for user 4eb4c27c\u2026",
        "Processing meal log 556d0423-6f... for user 4eb4c27c-30...",
        "Processing meal log 556d0423... for user 4eb4c27c... (retry of 9f1c2d3e...)",   # a third id
        f"request 12345678... Processing meal log {meal} for user 4eb4c27c...",              # one before
        f"Ping from user {alice} - connection refreshed",
        f"Ping from user {alice}abc - connection refreshed",
        f"Disconnected: user={alice}",
        f"Disconnected: user=4EB4C27C...{alice}",
        "User 4eb4c27c... not connected to WebSocket, skipping notification for deadbeef...",
        "Successfully completed processing meal log 556d0423... for user 4eb4c27c...",
        "Successfully completed processing meal log 556d0423...",
        "Successfully completed processing meal log 556d0423... (retry of 9f1c2d3e...)",
    ]
    text = "".join(f"[MealLogAI] 2025/11/08 10:08:{i:02d} {m}\n" for i, m in enumerate(messages))
    read = ingest([str(write({"server.log": text}))]).events.sort("line")
    monkeypatch.setattr(importlib.import_module("logcheck.ingest.classify"), "id_groups", lambda *a: None)  # captures only
    captured = ingest([str(write({"server.log": text}, "again"))]).events.sort("line")
    columns = ["kind", "user", "user_prefix", "meal"]
    assert read.select(columns).to_dicts() == captured.select(columns).to_dicts()
    assert read["kind"].null_count() == 0
    assert read["meal"].to_list()[:5] == [meal, "556d0423", "556d0423-6f", "556d0423", meal]
    assert read["user_prefix"].to_list()[:5] == ["4eb4c27c", "4eb4c27c", "4eb4c27c-30", "4eb4c27c", "4eb4c27c"]
    assert read["user"].to_list()[5:8] == [alice, None, alice]     # "abc" after it: no id this pattern reads
    assert read["user_prefix"].to_list()[-3:] == ["4eb4c27c", None, None]
    assert read["meal"].to_list()[-3:] == ["556d0423"] * 3


def test_each_distinct_message_is_classified_once_and_every_row_gets_its_own_answer(write):
    # kinds and fields are worked out per distinct message and component, then handed to every
    # row: repeated lines, a continuation repeating an event's text, and one message under two
    # components must each get what the line would get alone
    refreshed = "Ping from user {} - connection refreshed"
    alice, bob = "4eb4c27c-304d-4cca-8cc8-2b67a4c75d98", "9f1c2d3e-1111-4222-8333-444455556666"
    lines = [
        f"[WebSocket] 2025/11/08 10:07:29 {refreshed.format(alice)}",
        f"[WebSocket] 2025/11/08 10:07:29 {refreshed.format(bob)}",
        f"[WebSocket] 2025/11/08 10:07:59 {refreshed.format(alice)}",
        f"    {refreshed.format(alice)}",
        "[MealLogAI] 2025/11/08 10:08:00 User 4eb4c27c... not connected to WebSocket, skipping notification",
        "[Ping] 2025/11/08 10:08:01 Received from user 9f1c2d3e...",
        "[Pong] 2025/11/08 10:08:01 Received from user 9f1c2d3e...",
        "[MealLogAI] 2025/11/08 10:08:30 User 4eb4c27c... not connected to WebSocket, skipping notification",
        "[MealLogAI] 2025/11/08 10:08:31 Processing meal log 556d0423-6f1e-4b0a-9c43-5a1d2e3f4a5b for user 9F1C2D3E...",
    ]
    together = ingest([str(write({"server.log": "\n".join(lines) + "\n"}))]).events.sort("line")
    columns = ["kind", "user", "user_prefix", "meal", "context"]
    for i, line in enumerate(lines, start=1):
        row = together.row(i - 1, named=True)
        if line.startswith(" "):       # a continuation: context of the line above, never an event
            assert row["kind"] is None and row["context"] and row["user"] is None, line
            continue
        alone = ingest([str(write({f"line{i}.log": line + "\n"}, f"alone{i}"))]).events.row(0, named=True)
        assert {c: row[c] for c in columns} == {c: alone[c] for c in columns}, line
    assert together["kind"].to_list()[4:7] == ["server.notify_skipped", "server.ping_received", None]
    assert together["user"].to_list()[:3] == [alice, bob, alice]
