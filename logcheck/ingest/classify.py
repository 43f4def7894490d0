"""Give each message its event kind and fields, with the pack's vocabulary, vectorised.

A stream's patterns are tried in the pack's order; the first kind that matches wins. Fields come
from the named groups of the patterns of the kind that matched, extracted only on its rows.
Indented lines are continuations: context for the event above them, and the carriers of
``attach`` values such as the pong's ``Backend timestamp``.
"""
from __future__ import annotations

import polars as pl

from ..packs import FIELDS, Pack
from .formats import Formats

_STREAM_HINT = {"go-log": "backend", "go-log-prefix": "backend", "journald-short-iso": "backend", "fly": "backend",
                "aws-logs-tail": "backend", "loki": "backend", "logfmt": "backend",
                "logshow": "ios", "logshow-compact": "ios", "xcode-nslog": "ios"}
_PROBE = 5000


def detect_stream(frame: pl.DataFrame, pack: Pack) -> str:
    """``ios`` or ``backend`` by which vocabulary recognises more of the file's messages."""
    for probe in (frame.head(_PROBE), frame):
        counts = {s: probe.select(_kind_expr(pack, s).is_not_null().sum()).item() for s in ("ios", "backend")}
        if counts["ios"] != counts["backend"]:
            return max(counts, key=counts.get)
        if probe.height == frame.height:
            break
    hints = frame["envelope"].head(_PROBE).str.split("+").list.last().replace_strict(_STREAM_HINT, default=None)
    top = hints.drop_nulls().mode()
    if len(top) == 1:
        return top[0]
    # Go loggers write `[Component]`, Swift prints `TypeName: `
    text = frame["text"].head(_PROBE)
    go = int(text.str.contains(r"\[[A-Za-z][\w.-]*\] ").sum())
    swift = int(text.str.contains(r"\b[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+: ").sum())
    return "backend" if go > swift else "ios" if swift > go else "unknown"


def _kind_expr(pack: Pack, stream: str) -> pl.Expr:
    expr = None
    for kind, regex, component in pack.patterns(stream):
        cond = pl.col("msg").str.contains(regex)
        if component:
            cond = cond & (pl.col("component").str.to_lowercase() == component.lower())
        expr = pl.when(cond).then(pl.lit(kind)) if expr is None else expr.when(cond).then(pl.lit(kind))
    return expr.otherwise(pl.lit(None, pl.String)) if expr is not None else pl.lit(None, pl.String)


def classify(frame: pl.DataFrame, pack: Pack, stream: str, formats: Formats) -> pl.DataFrame:
    """Add ``kind``, ``continuation``, ``context`` and the field columns to a parsed frame."""
    continuation = pl.col("msg").str.contains(r"^\s+\S") & (pl.col("line") > 1)
    frame = frame.with_columns(continuation=continuation.fill_null(False))
    kind = _kind_expr(pack, stream) if stream in ("ios", "backend") else pl.lit(None, pl.String)
    frame = frame.with_columns(kind=pl.when(pl.col("continuation")).then(None).otherwise(kind))
    frame = _fields(frame, pack, stream)
    known = pl.any_horizontal([pl.col("text").str.contains(c) for c in formats.context] +
                              [pl.col("msg").str.contains("(?i)" + c) for c in pack.model.context])
    frame = frame.with_columns(context=pl.col("kind").is_null() & (pl.col("continuation") | known.fill_null(False)))
    return _attach(frame, pack)


def _fields(frame: pl.DataFrame, pack: Pack, stream: str) -> pl.DataFrame:
    frame = frame.with_row_index("_r")
    parts = []
    by_kind: dict[str, list[str]] = {}
    for kind, regex, _ in pack.patterns(stream):
        if "(?P<" in regex:
            by_kind.setdefault(kind, []).append(regex)
    for kind, regexes in by_kind.items():
        rows = frame.filter(pl.col("kind") == kind).select("_r", "msg")
        if not rows.height:
            continue
        cols = {}
        for regex in regexes:
            g = pl.col("msg").str.extract_groups(regex)
            for name in FIELDS:
                if f"(?P<{name}>" in regex:
                    cols.setdefault(name, []).append(g.struct.field(name))
        parts.append(rows.select("_r", *[pl.coalesce(v).alias(k) for k, v in cols.items()]))
    fields = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame(schema={"_r": pl.UInt32})
    for name in FIELDS:
        if name not in fields.columns:
            fields = fields.with_columns(pl.lit(None, pl.String).alias(name))
    json_user = frame["user"] if "user" in frame.columns else None
    frame = frame.drop([c for c in FIELDS if c in frame.columns]).join(fields.select("_r", *FIELDS), on="_r", how="left")
    if json_user is not None:
        frame = frame.with_columns(user=pl.coalesce(pl.col("user"), json_user.alias("_ju")))
    return frame.drop("_r")


def _attach(frame: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Continuation lines carry values (``Backend timestamp``) up to their event."""
    # The event a continuation belongs to is the nearest earlier non-continuation line.
    frame = frame.with_columns(
        parent=pl.when(~pl.col("continuation")).then(pl.col("line")).otherwise(None).forward_fill()
    )
    for name, pattern in pack.model.attach.items():
        value = pl.col("msg").str.extract("(?i)" + pattern, 1)
        carried = frame.filter(pl.col("continuation")).select(pl.col("parent"), value.alias(name)).drop_nulls(name)
        carried = carried.unique("parent", keep="first")
        frame = frame.join(carried.rename({"parent": "line"}), on="line", how="left")
    return frame
