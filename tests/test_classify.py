"""The fast classifier agrees with the plain definition, and literals are truly required."""
from __future__ import annotations

import polars as pl
import pytest

from logcheck.ingest import ingest
from logcheck.ingest.classify import kinds
from logcheck.ingest.literals import required_literal
from logcheck.packs import load_pack

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
