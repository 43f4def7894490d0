"""Before vs after: two verify runs side by side (two folders, or one log split at a moment)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .evaluate.model import Result


@dataclass
class Comparison:
    before: Result
    after: Result
    labels: tuple[str, str] = ("before", "after")

    @property
    def exit_code(self) -> int:
        """The after side's verdict decides: did the change fix it?"""
        return self.after.exit_code

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, before, after) for criteria, impact figures and skipped decisions by cause."""
        out = [("verdict", self.before.verdict, self.after.verdict)]
        after = {c.id: c for c in self.after.criteria}
        for c in self.before.criteria:
            a = after.get(c.id)
            out.append((f"{c.id} {c.title}", f"{c.status}: {c.summary}", f"{a.status}: {a.summary}" if a else "-"))
        b, a = self.before.impact, self.after.impact
        for key, label, fmt in (("delivery_rate", "real-time delivery rate", "{:.0%}"),
                                ("result_latency_p50_s", "time to see a result, median", "{:g} s"),
                                ("result_latency_ws_p50_s", "  by WebSocket", "{:g} s"),
                                ("result_latency_poll_p50_s", "  by polling", "{:g} s"),
                                ("polls_per_user_minute", "polls per user per minute", "{:g}"),
                                ("decisions", "decisions", "{}"), ("notifications_sent", "notifications sent", "{}")):
            out.append((label, _fmt(b.get(key), fmt), _fmt(a.get(key), fmt)))
        causes = sorted(set(b["skipped_by_cause"]) | set(a["skipped_by_cause"]))
        for cause in causes:
            out.append((f"skipped: {cause}", str(b["skipped_by_cause"].get(cause, 0)), str(a["skipped_by_cause"].get(cause, 0))))
        return out

    def to_json(self) -> dict:
        return {"labels": list(self.labels), "before": self.before.to_json(), "after": self.after.to_json(),
                "rows": [{"what": w, "before": b, "after": a} for w, b, a in self.rows()], "exit_code": self.exit_code}


def _fmt(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def compare(before: list[str], after: list[str], pack: str = "ws-registry", **options) -> Comparison:
    """Verify two sets of logs with the same pack and options."""
    from . import verify

    return Comparison(verify(before, pack, **options), verify(after, pack, **options))


def compare_split(paths: list[str], split_at: dt.datetime, pack: str = "ws-registry", **options) -> Comparison:
    """Verify one set of logs before and after a moment (a deploy); history before it still counts."""
    from . import verify

    label = split_at.isoformat()
    return Comparison(verify(paths, pack, until=split_at, **options), verify(paths, pack, since=split_at, **options),
                      (f"before {label}", f"after {label}"))
