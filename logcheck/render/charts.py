"""Figures for the report, as PNG data URIs (matplotlib, Agg backend, no fonts fetched)."""
from __future__ import annotations

import base64
import io

import polars as pl

CHART_USERS = 6
CAUSE_COLOURS = {"registry_stale": "#c62828", "client_disconnected": "#6d4c41", "not_yet_connected": "#ef6c00",
                 "no_client_evidence": "#757575", "sent": "#2e7d32"}


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def user_charts(incident, result, limit: int = CHART_USERS) -> tuple[list, int]:
    """One lane chart per user, users with the most decisions first; and how many were left out."""
    from .page import Chart

    d = incident.decisions
    if not d.height:
        return [], 0
    ranked = d.group_by("uid").agg(n=pl.len(), stale=(pl.col("cause") == "registry_stale").sum()).drop_nulls("uid")
    ranked = ranked.sort(["stale", "n", "uid"], descending=[True, True, False])
    users = ranked["uid"].head(limit).to_list()
    charts = [Chart(f"User {u[:13]}", _user_chart(incident, u), f"timeline of user {u}") for u in users]
    return charts, max(0, ranked.height - limit)


def _user_chart(incident, uid: str) -> str:
    plt = _plt()
    ev = incident.events.filter((pl.col("uid") == uid) & pl.col("kind").is_not_null() & pl.col("ts_server").is_not_null())
    fig, ax = plt.subplots(figsize=(10, 1.9))
    lanes = {"client": 1.0, "server": 0.0}

    def plot(kinds: list[str], lane: str, marker: str, colour: str, label: str, size: float = 28) -> None:
        rows = ev.filter(pl.col("kind").is_in(kinds))
        if rows.height:
            ax.scatter(rows["ts_server"].to_list(), [lanes[lane]] * rows.height, marker=marker, s=size, c=colour, label=label,
                       linewidths=1)

    for s in incident.sessions.filter(pl.col("uid") == uid).iter_rows(named=True):
        ax.plot([s["start"], s["end"]], [1.0, 1.0], color="#90caf9", linewidth=8, solid_capstyle="butt", zorder=0)
    plot(["client.pong_received"], "client", "|", "#1565c0", "pong")
    plot(["client.poll"], "client", ".", "#ef6c00", "poll", 18)
    plot(["client.meal_completed_ws"], "client", "^", "#2e7d32", "result by WebSocket", 40)
    plot(["client.meal_completed_poll"], "client", "v", "#ef6c00", "result by polling", 40)
    plot(["server.connected"], "server", ">", "#1565c0", "connect")
    plot(["server.registry_refreshed", "server.ping_received"], "server", "|", "#9e9e9e", "refresh / ping")
    plot(["server.meal_completed"], "server", "o", "#fbc02d", "meal completed", 22)
    dec = incident.decisions.filter(pl.col("uid") == uid)
    for cause, colour in CAUSE_COLOURS.items():
        rows = dec.filter((pl.col("cause") == cause) if cause != "sent" else (pl.col("outcome") == "sent"))
        if rows.height:
            ax.scatter(rows["ts_server"].to_list(), [-0.25] * rows.height, marker="X" if cause != "sent" else "o", s=55,
                       c=colour, label=cause.replace("_", " "))
    ax.set_yticks([1.0, 0.0, -0.25], ["client", "server", "decisions"])
    ax.set_ylim(-0.6, 1.4)
    ax.grid(axis="x", color="#eeeeee")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def impact_chart(incident):
    """Decisions by cause, and time to see a result by channel."""
    from .page import Chart

    plt = _plt()
    d = incident.decisions
    meals = incident.meals
    if not d.height and not meals.height:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 2.6))
    counts = d.with_columns(key=pl.coalesce(pl.col("cause"), pl.col("outcome"))).group_by("key").len().sort("key") if d.height else None
    if counts is not None and counts.height:
        keys = counts["key"].to_list()
        left.barh([k.replace("_", " ") for k in keys], counts["len"].to_list(),
                  color=[CAUSE_COLOURS.get(k, "#757575") for k in keys])
        left.set_title("decisions by outcome and cause", fontsize=9)
    seen = meals.filter(pl.col("latency_s").is_not_null()) if meals.height else meals
    if seen.height:
        ws = seen.filter(pl.col("first_seen_by_ws"))["latency_s"].to_list()
        poll = seen.filter(pl.col("first_seen_by_poll"))["latency_s"].to_list()
        right.hist([ws, poll], bins=12, label=["WebSocket", "polling"], color=["#2e7d32", "#ef6c00"], stacked=True)
        right.legend(fontsize=8, frameon=False)
    right.set_title("time from processing complete to the client seeing it (s)", fontsize=9)
    for ax in (left, right):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return Chart("Impact", _png(fig), "decisions by cause and result latency by channel")
