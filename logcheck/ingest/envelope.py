"""Split each line into its envelope (time, level, component) and its message, vectorised.

Formats are tried in priority order on the rows no earlier format took; a file's formats are
found on its first rows and tried first, so a homogeneous file costs one regex pass plus one
extraction (or, for formats that say how their words ``split``, one match and a cut at spaces).
JSON lines are read with polars' JSON path matcher. Rows from wrapper formats are
parsed once more on their message (a hosting wrapper around Go ``log`` lines).
"""
from __future__ import annotations

import polars as pl

from .formats import STANDARD, Formats, TextFormat

_PROBE_ROWS = 2000
# `[Component] msg` (Go) or `CamelCaseName: msg` (Swift print); plain words like
# "Connected:" are not components, so the colon form needs two capitals.
_COMPONENT = r"^(?:\[(?P<c1>[A-Za-z][\w.-]*)\]|(?P<c2>[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+):)\s?(?P<rest>(?s:.*))$"
_OUT = ("envelope", "date", "time", "zone", "stamp", "level", "component", "msg")


def parse_envelopes(frame: pl.DataFrame, formats: Formats, keep_extra: bool = False) -> pl.DataFrame:
    """Add envelope columns to a frame with a ``text`` column; the row order is kept."""
    frame = frame.with_row_index("_i")
    outer = _first_pass(frame, formats, keep_extra)
    inner_rows = outer.filter(pl.col("_inner"))
    if inner_rows.height:
        outer = pl.concat([outer.filter(~pl.col("_inner")), _reparse(inner_rows, formats)], how="diagonal_relaxed")
    out = outer.sort("_i")
    out = _split_component(out)
    drop = ["_i", "_inner"]
    return out.drop(drop) if keep_extra else out.select([c for c in frame.columns if c != "_i"] + list(_OUT))


def _first_pass(frame: pl.DataFrame, formats: Formats, keep_extra: bool) -> pl.DataFrame:
    parts = []
    rest = frame
    if rest.height and formats.json.keys:
        is_json = rest["text"].str.starts_with("{")
        if is_json.any():
            js = _json(rest.filter(is_json), formats)
            ok = js["msg"].is_not_null()
            parts.append(js.filter(ok))
            rest = pl.concat([rest.filter(~is_json), js.filter(~ok).select(rest.columns)]).sort("_i")
    for fmt in _order(rest, formats.text):
        if not rest.height:
            break
        # rows that can be its by a match alone, then captures on those only: rows of no format
        # (print lines, continuations) meet every format, and a failed match is cheap, a capture
        # not. Where its first rows are nearly all its (a homogeneous file), the match is skipped.
        regex = _matcher(fmt)
        first = rest["text"].head(_PROBE_ROWS).str.contains(regex).fill_null(False)
        can = None if first.mean() >= 0.9 else rest["text"].str.contains(regex).fill_null(False)
        if can is not None and not can.any():
            continue
        got = _extract(rest if can is None or can.all() else rest.filter(can), fmt, "text", keep_extra, matched=can is not None)
        hit = got["msg"].is_not_null()     # what it takes: as extracting on every row would tell
        parts.append(got.filter(hit))
        rest = rest.clear() if can is None else rest.filter(~can)
        if not hit.all():
            rest = pl.concat([rest, got.filter(~hit).select(rest.columns)]).sort("_i")
    parts.append(rest.with_columns(envelope=pl.lit("bare"), msg=pl.col("text"), _inner=pl.lit(False)))
    return pl.concat(parts, how="diagonal_relaxed")


def _order(frame: pl.DataFrame, text_formats: tuple[TextFormat, ...]) -> list[TextFormat]:
    """Formats seen on the first rows first (in priority order), then the others."""
    if frame.height <= _PROBE_ROWS:
        return list(text_formats)
    probe = frame["text"].head(_PROBE_ROWS)
    seen = [f for f in text_formats if probe.str.contains(f.regex).any()]
    return seen + [f for f in text_formats if f not in seen]


def _extract(rows: pl.DataFrame, fmt: TextFormat, column: str, keep_extra: bool, matched: bool = False) -> pl.DataFrame:
    """``fmt``'s groups of each row, null where it does not match; ``matched``: every row is known
    to match its regex up to the message (``_first_pass`` tried that regex already)."""
    groups = [g for g in fmt.groups if keep_extra or g in STANDARD]
    if fmt.split is not None:     # matched (up to the message, where it can), then cut at spaces: no captures
        ok = pl.lit(True) if matched else pl.col(column).str.contains(_matcher(fmt))
        got = rows.with_columns(_ok=ok, _g=pl.col(column).str.splitn(" ", len(fmt.split)))
        got = got.with_columns(_words(fmt.split, groups)).drop("_ok", "_g")
    else:
        got = _captured(rows, fmt, column, groups)
    return got.with_columns(envelope=pl.lit(fmt.name), _inner=pl.lit(fmt.inner))


def _captured(rows: pl.DataFrame, fmt: TextFormat, column: str, groups: list[str]) -> pl.DataFrame:
    """``groups`` captured by ``fmt``'s regex; the message, where the regex ends with it, sliced off."""
    head = _head(fmt.regex)
    if head is None:
        got = rows.with_columns(pl.col(column).str.extract_groups(fmt.regex).alias("_g"))
    else:   # the message is the rest of the line: captures stop at the envelope, the message is a slice
        got = rows.with_columns(pl.col(column).str.extract_groups(head).alias("_g"))
        rest = pl.col(column).str.slice(pl.col("_g").struct.field("_head").str.len_chars())
        got = got.with_columns(pl.col("_g").struct.with_fields(msg=pl.when(pl.col("_g").struct.field("_head").is_not_null()).then(rest)))
    return got.with_columns([pl.col("_g").struct.field(g).alias(g) for g in groups]).drop("_g")


def _words(split: tuple[tuple[str, str, str], ...], groups: list[str]) -> list[pl.Expr]:
    """The ``groups`` of a line cut at spaces (``_g``) where its format's regex matched (``_ok``)."""
    out = []
    for i, (opening, name, closing) in enumerate(split):
        word = pl.col("_g").struct.field(f"field_{i}")
        word = word.str.strip_prefix(opening) if opening else word
        word = word.str.strip_suffix(closing) if closing else word
        if name in groups:
            out.append(pl.when(pl.col("_ok")).then(word).alias(name))
    return out


_TAIL = "(?P<msg>.*)$"


def _matcher(fmt: TextFormat) -> str:
    """What tells that a line is ``fmt``'s: its regex up to the message (a match need not scan
    the message), or all of it."""
    return _head(fmt.regex) or fmt.regex


def _head(regex: str) -> str | None:
    """``regex`` without its final ``(?P<msg>.*)$``, the rest in a group ``_head``; None when it
    does not end so. Capturing costs by the characters scanned, and a message is most of a line."""
    body = regex.rstrip()
    if not (body.startswith("(?x)^") and body.endswith(_TAIL)):
        return None
    return "(?x)^(?P<_head>" + body[len("(?x)^"):-len(_TAIL)] + "\n)"


def _json(rows: pl.DataFrame, formats: Formats) -> pl.DataFrame:
    keys = formats.json.keys
    text = pl.col("text")

    def first(field: str) -> pl.Expr:
        paths = [text.str.json_path_match(f"$['{k}']") for k in keys.get(field, ())]
        return pl.coalesce(paths) if paths else pl.lit(None, pl.String)

    inner = [text.str.json_path_match(f"$['{k}']").is_not_null() for k in keys.get("inner", ())]
    return rows.with_columns(
        envelope=pl.lit("json"),
        msg=first("msg").str.strip_chars_end("\r\n"),
        stamp=first("time"),
        level=first("level"),
        component=first("component"),
        user=first("user"),
        _inner=pl.any_horizontal(inner) if inner else pl.lit(False),
    )


def _reparse(rows: pl.DataFrame, formats: Formats) -> pl.DataFrame:
    """Parse a wrapper's message again; the wrapper's time stays when it has one."""
    inner_rows = rows.select("_i", text=pl.col("msg"))
    inner = _first_pass(inner_rows, _without_json(formats), keep_extra=False).filter(pl.col("envelope") != "bare")
    if not inner.height:
        return rows.with_columns(_inner=pl.lit(False))
    inner = inner.select(
        "_i",
        pl.col("envelope").alias("_env"),
        *[pl.col(c).alias(f"_{c}") for c in ("date", "time", "zone", "level", "component", "msg") if c in inner.columns],
    )
    merged = rows.join(inner, on="_i", how="left")
    has_inner = pl.col("_env").is_not_null()
    outer_has_time = _opt(merged, "time").is_not_null() | _opt(merged, "stamp").is_not_null()
    take_inner_time = has_inner & ~outer_has_time
    cols = {
        "envelope": pl.when(has_inner).then(pl.col("envelope") + "+" + pl.col("_env")).otherwise(pl.col("envelope")),
        "msg": pl.when(has_inner).then(pl.col("_msg")).otherwise(pl.col("msg")),
        "component": pl.coalesce(_opt(merged, "_component"), _opt(merged, "component")),
        "level": pl.coalesce(_opt(merged, "level"), _opt(merged, "_level")),
    }
    for c in ("date", "time", "zone"):
        cols[c] = pl.when(take_inner_time).then(_opt(merged, f"_{c}")).otherwise(_opt(merged, c))
    merged = merged.with_columns(**cols)
    return merged.drop([c for c in inner.columns if c != "_i"])   # only the inner parse's own columns


def _opt(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def _without_json(formats: Formats) -> Formats:
    return Formats(formats.text, type(formats.json)({}, ()), formats.context, formats.source)


def _split_component(frame: pl.DataFrame) -> pl.DataFrame:
    """Take a leading ``[Component]`` or ``Component:`` off the message into ``component``."""
    for c in ("component", "level", "date", "time", "zone", "stamp"):
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c))
    # only messages that can start with a component are searched (most Go lines already have one)
    maybe = pl.col("msg").str.starts_with("[") | pl.col("msg").str.contains(r"^[A-Z][a-z0-9]+[A-Z]")
    mask = frame.select(maybe.fill_null(False)).to_series()
    if not mask.any():
        return frame
    sub = frame.filter(mask)
    g = pl.col("msg").str.extract_groups(_COMPONENT)
    sub = sub.with_columns(_g=g)
    found = pl.col("_g").struct.field("rest").is_not_null()
    sub = sub.with_columns(
        component=pl.coalesce(pl.col("_g").struct.field("c1"), pl.col("_g").struct.field("c2"), pl.col("component")),
        msg=pl.when(found).then(pl.col("_g").struct.field("rest")).otherwise(pl.col("msg")),
    ).drop("_g")
    return pl.concat([frame.filter(~mask), sub]).sort("_i")
