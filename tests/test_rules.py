"""Generic rule kinds on small realistic logs: the classic correlation bugs must not happen."""
from __future__ import annotations

import pytest

from logcheck import load
from logcheck.evaluate import evaluate

from .conftest import ROOT

A = "4eb4c27c-304d-4cca-8cc8-2b67a4c75d98"
B = "9b1f3c2e-7a44-4d0e-b1d2-5f8e9c0a1b2c"


def backend(*lines: str) -> str:
    """Go log lines with microseconds, so window edges are sharp."""
    return "\n".join(f"[{c}] 2025/11/08 {t} {m}" for t, c, m in (line.split(" ", 2) for line in lines)) + "\n"


def sc(folder, crit: str, **options):
    result = evaluate(load([str(folder)], **options))
    return next(c for c in result.criteria if c.id == crit)


def connected(user: str, at: str = "10:04:30.000000") -> str:
    return f"{at} WebSocket User {user} connected - added to registry"


@pytest.mark.parametrize("notify_at, status", [
    ("10:05:04.900000", "pass"),
    ("10:05:05.000000", "pass"),   # the edge is inclusive
    ("10:05:05.200000", "fail"),   # just outside the window is not counted
])
def test_followed_by_window_edges(write, notify_at, status):
    folder = write({"backend.log": backend(
        connected(A),
        f"10:04:50.000000 MealLogAI Processing meal log 556d0423... for user {A[:8]}...",
        "10:05:00.000000 MealLogAI Successfully completed processing meal log 556d0423...",
        f"{notify_at} MealLogAI User {A} is connected, sending notification",
        "10:09:00.000000 HTTP GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)",
    )})
    result = sc(folder, "SC2")
    assert result.status == status and result.cases == 1
    assert result.metrics["matched"] == (1 if status == "pass" else 0)


def test_followed_by_never_mixes_users(write):
    folder = write({"backend.log": backend(
        connected(A), connected(B, "10:04:31.000000"),
        f"10:05:00.000000 MealLogAI Processing meal log 556d0423... for user {A[:8]}...",
        "10:05:01.000000 MealLogAI Successfully completed processing meal log 556d0423...",
        f"10:05:02.000000 MealLogAI User {B} is connected, sending notification",
        "10:09:00.000000 HTTP GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)",
    )})
    result = sc(folder, "SC2")
    assert (result.status, result.metrics["matched"], result.cases) == ("fail", 0, 1)
    assert result.evidence[0].line == 4 and "no server.notify_sent for this user" in result.evidence[0].note


def test_followed_by_enforces_order(write):
    folder = write({"backend.log": backend(
        connected(A),
        f"10:04:59.000000 MealLogAI User {A} is connected, sending notification",
        f"10:05:00.000000 MealLogAI Processing meal log 556d0423... for user {A[:8]}...",
        "10:05:00.500000 MealLogAI Successfully completed processing meal log 556d0423...",
        "10:09:00.000000 HTTP GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)",
    )})
    result = sc(folder, "SC2")
    assert result.status == "fail" and result.metrics["matched"] == 0


def test_an_obligation_open_when_the_logs_end_is_pending_not_failed(write):
    folder = write({"backend.log": backend(
        connected(A),
        f"10:05:00.000000 MealLogAI Processing meal log 556d0423... for user {A[:8]}...",
        "10:05:01.000000 MealLogAI Successfully completed processing meal log 556d0423...",
    )})
    result = sc(folder, "SC2")
    assert result.status == "inconclusive" and result.metrics["pending"] == 1 and result.cases == 0
    assert "1 pending at the end of the logs" in result.reason


def test_a_skip_settles_the_obligation_as_failed_even_at_the_end(write):
    folder = write({"backend.log": backend(
        connected(A),
        f"10:05:00.000000 MealLogAI Processing meal log 556d0423... for user {A[:8]}...",
        "10:05:01.000000 MealLogAI Successfully completed processing meal log 556d0423...",
        f"10:05:01.000100 MealLogAI User {A[:8]}... not connected to WebSocket, skipping notification",
    )})
    result = sc(folder, "SC2")
    assert (result.status, result.metrics["pending"], result.cases) == ("fail", 0, 1)


def test_longest_run_breaks_on_close_and_needs_the_duration(write):
    lines = [f"10:{m:02d}:{s:02d} - MealLogWebSocketClient: ✅ Pong received" for m in range(0, 17) for s in (0, 30)]
    lines.insert(0, f"10:00:00 - MealLogWebSocketClient: ✅ Connected - User ID: {A}")
    lines.insert(1, "10:00:00 - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T10:00:00Z")
    folder = write({"ios.log": "\n".join(lines) + "\n"})
    result = sc(folder, "SC6")
    assert result.status == "pass" and result.metrics["longest_s"] == 16 * 60 + 30
    lines.insert(20, "10:09:05 - MealLogWebSocketClient: ❌ WebSocket closed with code 1006: Abnormal closure")
    folder = write({"ios.log": "\n".join(lines) + "\n"}, folder="closed")
    result = sc(folder, "SC6")
    # 10:00:00..10:09:00, then the close; the 7-min run after it was unbroken when the log ended
    assert result.status == "inconclusive" and result.metrics["longest_s"] == 9 * 60
    assert result.reason.startswith("a session of 7 min was still unbroken when its log ended")
    lines.append("10:16:40 - MealLogWebSocketClient: ⚠️ Ping failed at 2025-11-08 10:16:40 +0000: The network connection was lost")
    folder = write({"ios.log": "\n".join(lines) + "\n"}, folder="both-broken")
    result = sc(folder, "SC6")
    assert result.status == "fail" and result.metrics["longest_s"] == 9 * 60
    assert [e.line for e in result.evidence if e.note == "breaks a run"] == [21, len(lines)]


def test_stops_after_counts_polls_after_a_websocket_delivery_unless_a_new_meal(write):
    folder = write({"ios.log": "\n".join([
        f"10:00:00 - MealLogWebSocketClient: ✅ Connected - User ID: {A}",
        "10:00:30 - MealLogWebSocketClient: 📩 Message type: meal_log.completed",
        "10:00:33 - NutritionViewModel: 🔄 Polling for updates (attempt 4)",   # within 5 s: fine
        "10:00:45 - NutritionViewModel: 🔄 Polling for updates (attempt 5)",   # 15 s after: a violation
        "10:01:00 - SaveMealLogUseCase: ✅ Meal log submitted - ID: 556d0423-e064-47b1-bff4-b7c51f189b6a",
        "10:01:10 - NutritionViewModel: 🔄 Polling for updates (attempt 1)",   # a new meal: fine
    ]) + "\n"})
    result = sc(folder, "SC4", date=__import__("datetime").date(2025, 11, 8))
    check = result.checks[1]
    assert (check.status, check.metrics["violations"], check.cases) == ("fail", 1, 3)
    assert [e.line for e in check.evidence] == [4]


RATE_PACK_TAIL = """
  - id: R1
    title: Polling stays below 6 per minute
    kind: rate
    each: {kind: client.poll}
    per: 1m
    max: 6
    measure: polls per user-minute
"""


def test_rate_per_user_per_minute(write, tmp_path):
    pack = tmp_path / "with-rate.yaml"
    base = (ROOT / "rules" / "ws-registry.yaml").read_text()
    pack.write_text(base.replace("\n# A notify_sent to an active user", RATE_PACK_TAIL + "\n# A notify_sent to an active user"))
    polls = [f"10:00:{s:02d} - NutritionViewModel: 🔄 Polling for updates (attempt {i})" for i, s in enumerate(range(0, 60, 5))]
    calm = [f"10:0{m}:00 - NutritionViewModel: 🔄 Polling for updates (attempt {m})" for m in range(0, 4)]
    folder = write({
        "ios-a.log": "\n".join([f"10:00:00 - MealLogWebSocketClient: ✅ Connected - User ID: {A}"] + polls[1:]) + "\n",
        "ios-b.log": "\n".join([f"10:00:00 - MealLogWebSocketClient: ✅ Connected - User ID: {B}"] + calm[1:]) + "\n",
    })
    result = evaluate(load([str(folder)], pack=str(pack), date=__import__("datetime").date(2025, 11, 8)))
    r1 = next(c for c in result.criteria if c.id == "R1")
    assert (r1.status, r1.cases, r1.metrics["violations"]) == ("fail", 2, 1)
    assert r1.evidence[0].note.startswith(f"user {A}: 12 per 60 s (11 in 55 s)")
