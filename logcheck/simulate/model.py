"""A model of the system behind BACKEND-WS-001, producing abstract log events and ground truth.

Clients connect, ping every 30 s and get pongs; the registry keeps LastSeen, refreshed on ping
only in the fixed build; meals are submitted, processed, and either pushed over the socket
(registry says connected) or skipped, leaving the client to poll every 5 s. Some users
background the app (the socket closes), some submit before their socket connects (a race).
Every decision's true cause is recorded as logcheck should find it from the logs written.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

START = dt.datetime(2025, 11, 8, 10, 0, 0)
STALE_AFTER = 60.0
ACTIVE_WINDOW = 60.0


@dataclass
class Scenario:
    bug: bool = True
    users: int = 3
    minutes: float = 20.0
    seed: int = 1
    client_logs: int | None = None      # users that have a client log (default: all)
    background: float = 0.0             # share of users who background the app mid-run
    race: float = 0.0                   # share of users whose first meal beats their socket
    meal_every: float = 4.0             # mean minutes between a user's meals
    server_logs_pings: bool = False     # some builds log "[Ping] Received from user"
    deploy_at: float | None = None      # minutes: the fix is deployed then (bug before, fixed after)
    start: dt.datetime = START

    def buggy(self, t: float) -> bool:
        """Whether the backend running at ``t`` (seconds) has the bug."""
        return self.bug and (self.deploy_at is None or t < self.deploy_at * 60.0)


@dataclass
class Event:
    t: float                 # seconds since start, server clock
    side: str                # ios | backend
    user: int
    component: str
    msg: str
    level: str = "info"
    continuation: str | None = None   # an indented line under this one (Backend timestamp)
    embeds_date: bool = False         # Swift prints `at <date>` in this message
    fields: dict = field(default_factory=dict)


@dataclass
class User:
    index: int
    id: str
    has_log: bool
    connect_at: float | None = None
    closed_at: float | None = None
    pings: list[float] = field(default_factory=list)   # server receipt times
    pongs: list[float] = field(default_factory=list)   # client receipt times


@dataclass
class Truth:
    decisions: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.decisions:
            key = d["cause"] or d["outcome"]
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def simulate_events(s: Scenario) -> tuple[list[Event], list[User], Truth]:
    rng = random.Random(s.seed)
    end = s.minutes * 60.0
    n_logs = s.users if s.client_logs is None else min(s.client_logs, s.users)
    users = [User(i, _uuid(rng), i < n_logs) for i in range(s.users)]
    events: list[Event] = []
    truth = Truth()
    for u in users:
        racing = rng.random() < s.race
        launch = rng.uniform(0, 40)
        u.connect_at = launch + (25.0 if racing else rng.uniform(1, 4))
        if rng.random() < s.background:
            u.closed_at = rng.uniform(end * 0.4, end * 0.7)
        _connection(events, u, s, rng, launch, end)
        first_meal = launch + 3.0 if racing else u.connect_at + rng.uniform(20, 120)
        meals = [first_meal]
        while True:
            nxt = meals[-1] + rng.expovariate(1.0 / (s.meal_every * 60.0))
            if nxt > end - 60:
                break
            meals.append(nxt)
        if u.closed_at is not None:
            meals = [m for m in meals if m < u.closed_at - 2] + [u.closed_at - 2.0]
        for m in meals:
            _meal(events, u, s, rng, m, truth, end)
    events.sort(key=lambda e: (e.t, e.side))
    return [e for e in events if e.t <= end], users, truth


_TIE_S = 1.5       # seconds between a decision and a close
_ALIGN_S = 4.0     # seconds between a decision and the connect that follows it


def _connection(events: list[Event], u: User, s: Scenario, rng: random.Random, launch: float, end: float) -> None:
    client = "MealLogWebSocketClient"
    if u.has_log:
        events.append(Event(launch, "ios", u.index, "NutritionViewModel", "Loading meals for today"))
        events.append(Event(u.connect_at - 0.4, "ios", u.index, client, "🔌 Attempting connection to wss://api.fitiq.app/ws/meal-logs"))
        events.append(Event(u.connect_at, "ios", u.index, client, "✅ WebSocket connected and subscribed to meal log events"))
        events.append(Event(u.connect_at + 0.01, "ios", u.index, client, f"✅ Connected - User ID: {u.id}"))
    events.append(Event(u.connect_at - 0.05, "backend", u.index, "WebSocket", f"User {u.id[:8]}... connected - added to registry"))
    stop = min(end, u.closed_at) if u.closed_at is not None else end
    t = u.connect_at + 30.0
    while t + 0.5 < stop:          # no ping whose pong would arrive on a closed socket
        if u.has_log:
            events.append(Event(t, "ios", u.index, client, "🏓 Sending application-level ping", embeds_date=True))
            events.append(Event(t + 0.02, "ios", u.index, client, "✅ Application ping sent successfully", embeds_date=True))
        if s.server_logs_pings:
            events.append(Event(t + 0.05, "backend", u.index, "Ping", f"Received from user {u.id}"))
        if not s.buggy(t):
            events.append(Event(t + 0.06, "backend", u.index, "WebSocket", f"Ping from user {u.id} - connection refreshed"))
            u.pings.append(t + 0.06)
        pong_server = t + 0.07
        rtt = rng.uniform(0.1, 0.4)
        if u.has_log:
            events.append(Event(t + rtt, "ios", u.index, client, "✅ Pong received", embeds_date=True,
                                continuation=f"   - Backend timestamp: {_iso(s.start, pong_server)}"))
            events.append(Event(t + rtt + 0.01, "ios", u.index, client, "✅ Connection is alive and healthy"))
        u.pongs.append(t + rtt)
        t += 30.0 + rng.uniform(0, 0.8)
    if u.closed_at is not None and u.closed_at < end:
        if u.has_log:
            events.append(Event(u.closed_at, "ios", u.index, client, "❌ WebSocket closed with code 1001: Going away"))
            events.append(Event(u.closed_at + 0.01, "ios", u.index, client, "✅ Disconnected", embeds_date=True))
        events.append(Event(u.closed_at + 0.2, "backend", u.index, "WebSocket", f"Disconnected: user={u.id}"))


def _iso(start: dt.datetime, t: float) -> str:
    return (start + dt.timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%SZ")


def _registry_connected(u: User, s: Scenario, t: float) -> bool:
    """The registry's answer: LastSeen is the connect, or (fixed build) the latest ping."""
    if t < u.connect_at or (u.closed_at is not None and t >= u.closed_at):
        return False
    last = max([u.connect_at] + [p for p in u.pings if p <= t])
    return t - last <= STALE_AFTER


def _meal(events: list[Event], u: User, s: Scenario, rng: random.Random, at: float, truth: Truth, end: float) -> None:
    meal = _uuid(rng)
    processed = at + rng.uniform(3, 20)
    # Keep the truth decidable from the logs: whole-second stamps cannot order a decision and a
    # close this near (logcheck counts a close in the decision's second as before it), and a
    # client clock aligned from skewed pongs is known to a second or two, so a decision just
    # before the socket connects could read as just after.
    if u.closed_at is not None and abs(processed - u.closed_at) < _TIE_S:
        processed = u.closed_at + _TIE_S
    if u.connect_at is not None and 0 <= u.connect_at - processed < _ALIGN_S:
        processed = max(at + 1.0, u.connect_at - _ALIGN_S)
    if abs(processed - (u.connect_at + STALE_AFTER)) < 3:
        processed += 6.0  # keep clear of the stale boundary, where whole-second logs cannot tell
    if processed > end - 1:
        return
    if u.has_log:
        events.append(Event(at, "ios", u.index, "SaveMealLogUseCase", f"✅ Meal log submitted - ID: {meal}"))
        events.append(Event(at + 0.05, "ios", u.index, "NutritionViewModel", "Starting polling after meal submission"))
    events.append(Event(at + 0.1, "backend", u.index, "HTTP", "POST /api/v1/meal-logs/natural - 201 (12.4ms)"))
    events.append(Event(at + 0.3, "backend", u.index, "MealLogAI", f"Processing meal log {meal[:8]}... for user {u.id[:8]}..."))
    events.append(Event(processed, "backend", u.index, "MealLogAI", f"Successfully completed processing meal log {meal[:8]}..."))
    decided = processed + 0.01
    connected = _registry_connected(u, s, decided)
    alive = u.connect_at is not None and u.connect_at <= decided and (u.closed_at is None or decided < u.closed_at)
    sent = connected
    if sent:
        events.append(Event(decided, "backend", u.index, "MealLogAI", f"User {u.id[:8]}... IS connected - sending notification"))
    else:
        events.append(Event(decided, "backend", u.index, "MealLogAI",
                            f"❌ User {u.id[:8]}... not connected to WebSocket, skipping notification"))
    truth.decisions.append({"user": u.id, "time": _iso(s.start, decided), "meal": meal,
                            "outcome": "sent" if sent else "skipped",
                            "cause": None if sent else _cause(u, s, decided, alive)})
    polling_until = None
    if sent and u.has_log:
        got = decided + rng.uniform(0.1, 0.4)
        events.append(Event(got, "ios", u.index, client_name(), "📩 Message type: meal_log.completed"))
        events.append(Event(got + 0.01, "ios", u.index, client_name(), f"✅ Meal log completed: {meal}"))
        events.append(Event(got + 0.02, "ios", u.index, "NutritionViewModel", "WebSocket working, stopping polling"))
        polling_until = got
    elif u.has_log:
        polling_until = None  # the next poll after the result is ready sees it
    if not u.has_log:
        return
    attempt, t = 1, at + 5.0
    while t < end:
        if u.closed_at is not None and t >= u.closed_at:
            return
        if polling_until is not None and t >= polling_until:
            return
        events.append(Event(t, "ios", u.index, "NutritionViewModel", f"🔄 Polling for updates (attempt {attempt})"))
        events.append(Event(t + 0.05, "backend", u.index, "HTTP", "GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)"))
        if t >= processed + 0.5 and not sent:
            events.append(Event(t + 0.1, "ios", u.index, "GetMealLogsUseCase", "✅ Meal completed!"))
            events.append(Event(t + 0.11, "ios", u.index, "NutritionViewModel", "No processing meals, stopping polling"))
            return
        attempt, t = attempt + 1, t + 5.0


def client_name() -> str:
    return "MealLogWebSocketClient"


def _cause(u: User, s: Scenario, t: float, alive: bool) -> str:
    """The cause logcheck can prove from the logs this model writes."""
    if alive:
        recent_client = u.has_log and (t - u.connect_at <= ACTIVE_WINDOW or any(t - ACTIVE_WINDOW <= p <= t for p in u.pongs))
        connected_recently = t - u.connect_at <= ACTIVE_WINDOW
        server_live = connected_recently or (s.server_logs_pings and any(t - ACTIVE_WINDOW <= p <= t for p in u.pongs))
        return "registry_stale" if (recent_client or server_live) else "no_client_evidence"
    if u.connect_at is not None and t < u.connect_at:
        return "not_yet_connected" if u.has_log else "no_client_evidence"
    return "client_disconnected"
