"""Give each message its event kind and fields, with the pack's vocabulary, vectorised.

A stream's patterns are tried in the pack's order; the first kind that matches wins. Fields come
from the named groups of the patterns of the kind that matched, extracted only on its rows.
Indented lines are continuations: context for the event above them, and the carriers of
``attach`` values such as the pong's ``Backend timestamp``.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from ..frames import scatter_rows
from ..packs import FIELDS, ID, Pack
from .formats import Formats
from .literals import id_groups, required_literal
from .timestamps import parse_iso

_STREAM_HINT = {"go-log": "backend", "go-log-prefix": "backend", "journald-short-iso": "backend", "fly": "backend",
                "aws-logs-tail": "backend", "loki": "backend", "logfmt": "backend",
                "logshow": "ios", "logshow-compact": "ios", "xcode-nslog": "ios"}
STREAM_PROBE = 5000      # lines that tell a file's stream, unless their vocabularies tie
_ID_TOKEN = "(?i)" + ID


def detect_stream(frame: pl.DataFrame, pack: Pack) -> str:
    """``ios`` or ``backend`` by which vocabulary recognises more of the file's messages."""
    for probe in (frame.head(STREAM_PROBE), frame):
        told = vocabulary_stream(probe, pack)
        if told is not None:
            return told
        if probe.height == frame.height:
            break
    hints = frame["envelope"].head(STREAM_PROBE).str.split("+").list.last().replace_strict(_STREAM_HINT, default=None)
    top = hints.drop_nulls().mode()
    if len(top) == 1:
        return top[0]
    # Go loggers write `[Component]`, Swift prints `TypeName: `
    text = frame["text"].head(STREAM_PROBE)
    go = int(text.str.contains(r"\[[A-Za-z][\w.-]*\] ").sum())
    swift = int(text.str.contains(r"\b[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+: ").sum())
    return "backend" if go > swift else "ios" if swift > go else "unknown"


def vocabulary_stream(frame: pl.DataFrame, pack: Pack) -> str | None:
    """The stream whose vocabulary recognises more of ``frame``'s messages; None on a tie."""
    counts = {s: int(kinds(frame, pack, s).is_not_null().sum()) for s in ("ios", "backend")}
    return None if counts["ios"] == counts["backend"] else max(counts, key=counts.get)


def kinds(frame: pl.DataFrame, pack: Pack, stream: str) -> pl.Series:
    """The kind of every row (see :func:`pattern_ids`)."""
    names = {i: kind for i, (kind, _, _) in enumerate(pack.patterns(stream))}
    return pattern_ids(frame, pack, stream).replace_strict(names, default=None, return_dtype=pl.String).alias("kind")


def pattern_ids(frame: pl.DataFrame, pack: Pack, stream: str) -> pl.Series:
    """Index of the first pattern of ``pack.patterns(stream)`` matching each row (null: none),
    worked out once per distinct message (see :func:`distinct_messages`)."""
    return pattern_ids_of(frame, pack, (stream,))[stream]


def pattern_ids_of(frame: pl.DataFrame, pack: Pack, streams: tuple[str, ...]) -> dict[str, pl.Series]:
    """:func:`pattern_ids` for each of ``streams``, the distinct messages found once for all."""
    keys, at = distinct_messages(frame)
    return {stream: _pattern_ids(keys, pack, stream).gather(at) for stream in streams}


def distinct_messages(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Each distinct ``msg`` and ``component`` once, and each row's position among them.

    A kind and its fields depend on these two only, and a fleet's lines are a few messages times
    its users (with the time cut off, a quarter of a chunk's lines are distinct): the regexes run
    on the distinct ones and their answers are handed to every row."""
    groups = frame.select("msg", "component").with_row_index("_r").group_by("msg", "component").agg("_r")
    pairs = groups.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_k"), "_r").explode("_r")
    # each row's key put at its place (a sort of the pairs by row did the same, slower)
    at = pl.Series("_k", np.zeros(frame.height, np.uint32)).scatter(pairs["_r"], pairs["_k"])
    return groups.drop("_r"), at


def _pattern_ids(frame: pl.DataFrame, pack: Pack, stream: str) -> pl.Series:
    """:func:`pattern_ids` on every row of ``frame``.

    One Aho-Corasick pass finds each pattern's required literal; a pattern's regex then runs only
    on the rows that contain its literal (patterns without one run on every row, and a pattern
    that is nothing but its literal needs no regex at all).
    """
    patterns = [(kind, regex, comp, required_literal(regex)) for kind, regex, comp in pack.patterns(stream)]
    n = frame.height
    if not patterns or not n:
        return pl.Series("pid", [None] * n, dtype=pl.Int32)
    msg = frame["msg"].fill_null("")
    literals = sorted({p[3] for p in patterns if p[3]})
    rows_by_literal: dict[str, np.ndarray] = {}
    if literals:
        found = pl.DataFrame({"row": pl.int_range(n, eager=True, dtype=pl.UInt32),
                              "lit": msg.str.extract_many(literals, ascii_case_insensitive=True, overlapping=True)})
        found = found.explode("lit").drop_nulls("lit").with_columns(pl.col("lit").str.to_lowercase())
        rows_by_literal = {key[0]: group["row"].to_numpy() for key, group in found.group_by("lit")}
    none = len(patterns)
    pid = np.full(n, none, dtype=np.int32)                  # len(patterns) means "no kind"
    for i, (kind, regex, comp, literal) in enumerate(patterns):
        rows = np.arange(n) if literal is None else rows_by_literal.get(literal)
        if rows is None or not len(rows):
            continue
        rows = rows[pid[rows] == none]                      # an earlier pattern took these: first match wins
        if literal is None or comp or not _is_plain(regex, literal):
            sub = frame.select("msg", "component")[rows]
            ok = sub["msg"].str.contains(regex).fill_null(False)
            if comp:
                ok = ok & (sub["component"].str.to_lowercase() == comp.lower()).fill_null(False)
            rows = rows[ok.to_numpy()]
        pid[rows] = i
    return pl.Series("pid", pid).set(pl.Series(pid == none), None)


def _is_plain(regex: str, literal: str) -> bool:
    """A pattern that is only its literal: the literal search already decided it."""
    return regex.removeprefix("(?i)").lower() == literal


def classify(frame: pl.DataFrame, pack: Pack, stream: str, formats: Formats, pid: pl.Series | None = None,
             fields: tuple[str, ...] = FIELDS) -> pl.DataFrame:
    """Add ``kind``, ``continuation``, ``context`` and the field columns to a parsed frame.

    ``pid`` is the rows' :func:`pattern_ids` when the caller has them already; ``fields`` are the
    named groups worth extracting (the others stay null: extraction is the costly part). Both
    are worked out once per distinct message (:func:`distinct_messages`).
    """
    indented = pl.col("msg").str.starts_with(" ") | pl.col("msg").str.starts_with("\t")
    continuation = indented & (pl.col("msg").str.strip_chars() != "") & (pl.col("line") > 1)
    # stripping every message to find the blank ones only where some are indented (a fleet's are not)
    any_indented = frame.select(indented.any()).item()
    frame = frame.with_columns(continuation=continuation.fill_null(False) if any_indented else pl.lit(False))
    known = stream in ("ios", "backend")
    keys, at = distinct_messages(frame)
    if pid is not None:     # a function of the message: any of its rows tells
        keys = keys.with_columns(_pid=pl.Series("_pid", [None] * keys.height, pl.Int32).scatter(at, pid))
    else:
        keys = keys.with_columns(_pid=_pattern_ids(keys, pack, stream) if known else pl.lit(None, pl.Int32))
    names = {i: kind for i, (kind, _, _) in enumerate(pack.patterns(stream))} if known else {}
    # a continuation is no event, whatever it says
    frame = frame.with_columns(_pid=pl.when(pl.col("continuation")).then(None).otherwise(keys["_pid"].gather(at)))
    frame = frame.with_columns(kind=pl.col("_pid").replace_strict(names, default=None, return_dtype=pl.String))
    json_user = frame["user"] if "user" in frame.columns else None   # JSON envelopes name the user themselves
    found = _fields(keys, pack, stream, fields)
    if json_user is None:       # ids shaped once per distinct message too
        found = _identities(found)
    event = pl.col("_pid").is_not_null()
    frame = frame.drop([c for c in found.columns if c in frame.columns]).with_columns(
        pl.when(event).then(found[name].gather(at)).alias(name) if found[name].null_count() < found.height
        else pl.lit(None, pl.String).alias(name) for name in found.columns)
    if json_user is not None:
        frame = _identities(frame.with_columns(user=pl.coalesce(pl.col("user"), json_user)))
    return _context(frame.drop("_pid"), pack, formats)


def _identities(frame: pl.DataFrame) -> pl.DataFrame:
    """``user``, ``user_prefix`` and ``meal`` as correlation compares them (row by row: on the
    distinct messages, or on lines whose JSON envelope names the user)."""
    # lowercased once, then read by each expression (each would lowercase its own copy)
    frame = frame.with_columns(pl.col("user", "meal").str.to_lowercase())

    def shape(col: str) -> tuple[pl.Expr, pl.Expr]:
        # the pack's {id} already fixed the shape: a full id is 36 characters, a prefix ends in ...
        v = pl.col(col)
        return v.str.len_bytes() == 36, v.str.strip_suffix("...").str.strip_suffix("…").str.strip_chars_end("-")

    (user_full, user_prefix), (meal_full, meal_prefix) = shape("user"), shape("meal")
    user, meal = pl.col("user"), pl.col("meal")
    return frame.with_columns(user=pl.when(user_full).then(user),
                              user_prefix=pl.when(user_full).then(user.str.slice(0, 8)).otherwise(user_prefix),
                              meal=pl.when(meal_full).then(meal).otherwise(meal_prefix))


def _context(frame: pl.DataFrame, pack: Pack, formats: Formats) -> pl.DataFrame:
    """Continuations, tool headers and known chatter are context; looked for only on rows no kind took."""
    # one alternation per column: a regex pass over the rows, not one per pattern
    patterns = [pl.col(col).str.contains("|".join(f"(?:{c})" for c in found)) for col, found in
                (("text", formats.context), ("msg", [f"(?i:{c})" for c in pack.model.context])) if found]
    frame = frame.with_row_index("_row")
    rest = frame.filter(pl.col("kind").is_null() & ~pl.col("continuation")).select("_row", "text", "msg")
    hits = rest.filter(pl.any_horizontal(patterns).fill_null(False)).select("_row", _known=pl.lit(True)) if patterns \
        else rest.clear().select("_row", _known=pl.lit(True))
    frame = scatter_rows(frame, hits, ["_known"])
    return frame.with_columns(
        context=pl.col("kind").is_null() & (pl.col("continuation") | pl.col("_known").fill_null(False))
    ).drop("_row", "_known")


def _fields(keys: pl.DataFrame, pack: Pack, stream: str, wanted: tuple[str, ...] = FIELDS) -> pl.DataFrame:
    """The named groups of the pattern that classified each message (``_pid``): one column per
    field, a row per row of ``keys``; extracted on that pattern's messages only."""
    keys = keys.with_row_index("_row")
    parts = []
    for i, (_, regex, _) in enumerate(pack.patterns(stream) if stream in ("ios", "backend") else []):
        names = [name for name in FIELDS if f"(?P<{name}>" in regex and name in wanted]
        if not names:
            continue
        rows = keys.filter(pl.col("_pid") == i).select("_row", "msg")
        ids = id_groups(regex)
        if ids is not None and rows.height:
            # ids without captures (a third of the time) where the message holds no other id-shaped text
            needed, _ = ids
            rows = rows.with_columns(_ids=pl.col("msg").str.extract_all(_ID_TOKEN))
            fits = (pl.col("_ids").list.len() == len(needed)).fill_null(False)    # every row one way or the other
            parts.append(rows.filter(fits).select("_row", *[
                (pl.col("_ids").list.get(needed.index(n)) if n in needed else pl.lit(None, pl.String)).alias(n) for n in names]))
            rows = rows.filter(~fits).drop("_ids")
        if rows.height:
            g = pl.col("msg").str.extract_groups(regex)
            parts.append(rows.select("_row", *[g.struct.field(name).alias(name) for name in names]))
    fields = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame(schema={"_row": pl.UInt32})
    fields = fields.with_columns([pl.lit(None, pl.String).alias(n) for n in FIELDS if n not in fields.columns])
    return keys.select("_row").join(fields.select("_row", *FIELDS), on="_row", how="left", maintain_order="left").drop("_row")


def attach(frame: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Continuation lines carry values (``Backend timestamp``) up to their event (whole file, or
    a batch of files told apart by ``_src``, each in line order: a file's first line never
    continues anything, so nothing carries across files)."""
    # The event a continuation belongs to is the nearest earlier non-continuation line.
    frame = frame.with_columns(
        parent=pl.when(~pl.col("continuation")).then(pl.col("line")).otherwise(None).forward_fill()
    )
    names = list(pack.model.attach) if frame["continuation"].any() else []   # a fleet log mostly has none
    src = [c for c in ("_src",) if c in frame.columns]
    rows = frame.select(*src, "line", _row=pl.int_range(pl.len(), dtype=pl.UInt32)) if names else None
    for name in names:
        value = pl.col("msg").str.extract("(?i)" + pack.model.attach[name], 1)
        carried = frame.filter(pl.col("continuation")).select(*src, pl.col("parent"), value.alias(name)).drop_nulls(name)
        # lines may have been left out (ingest's keep): find the parent's row by its line number
        carried = carried.unique([*src, "parent"], keep="first").join(
            rows, left_on=[*src, "parent"], right_on=[*src, "line"]).select("_row", name)
        frame = scatter_rows(frame, carried, [name])
        if name.endswith("_ts"):
            frame = frame.with_columns(parse_iso(pl.col(name)).alias(name))
    if "server_ts" not in frame.columns:
        frame = frame.with_columns(server_ts=pl.lit(None, pl.Datetime("us")))
    return frame
