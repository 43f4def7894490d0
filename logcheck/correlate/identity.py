"""Identity: one id per user, and a user for every client file.

Prefixes (``4eb4c27c...``) resolve to the one full id seen anywhere that starts with them; a
prefix two full ids share is reported and left as written. A client file belongs to the user
of its ``Connected - User ID:`` line, else to the user whose meal ids it shares with the
backend, unless ``--user FILE=ID`` says otherwise. Ambiguities are reported, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import UsageError
from ..frames import mapped
from .linking import LINKED_KINDS, link, meal_owners


@dataclass
class Identity:
    """Resolved ids per event row, plus what could not be resolved."""

    events: pl.DataFrame               # ``uid`` and ``meal_id`` in place of the ids as written
    users: pl.DataFrame                # uid, prefix, files, events
    files: dict[str, str | None]       # client file -> uid
    warnings: list[str] = field(default_factory=list)


@dataclass
class Known:
    """What :func:`resolve`, run on some users only (``verify --stream``), is given rather than
    working it out from its rows: what was worked out once over every input. None: work it out."""

    users: pl.DataFrame | None = None                # user prefix -> full id (``prefix``, ``resolved``)
    meals: pl.DataFrame | None = None                # meal prefix -> full id
    owners: dict[str, str | None] | None = None      # client file -> its user
    linked: bool = False        # the server lines that name no user or meal already have theirs


def resolve_prefixes(full: pl.Series, prefixes: pl.Series, what: str) -> tuple[pl.DataFrame, list[str]]:
    """``prefix -> resolved`` for the distinct ``prefixes`` that start exactly one of the ``full``
    ids; a warning for each that starts several. Prefixes left out of the table stay as written.

    Only prefixes that share their first 8 characters with a full id are compared: a fleet's
    server names 600,000 meals by prefix, its 100 client logs a few thousand in full."""
    full = full.drop_nulls().unique().cast(pl.String).to_frame("full")
    prefixes = prefixes.drop_nulls().unique().cast(pl.String).to_frame("prefix")
    cand = prefixes.with_columns(k=pl.col("prefix").str.slice(0, 8)).join(
        full.with_columns(k=pl.col("full").str.slice(0, 8)), on="k", how="inner"
    ).filter(pl.col("full").str.starts_with(pl.col("prefix")))
    counts = cand.group_by("prefix").agg(n=pl.col("full").n_unique(), full=pl.col("full").first(),
                                         all=pl.col("full").unique().sort())
    warnings = [f"ambiguous {what} prefix {r['prefix']}...: matches {', '.join(r['all'])}"
                for r in counts.filter(pl.col("n") > 1).sort("prefix").iter_rows(named=True)]
    return counts.filter(pl.col("n") == 1).select("prefix", resolved="full"), warnings


def resolve(events: pl.DataFrame, user_map: dict[str, str] | None = None, known: Known | None = None) -> Identity:
    """Add ``uid`` (full id, or the prefix when it names nobody seen in full) and ``meal_id``.
    Warnings are about what was worked out here, not what ``known`` gave."""
    known = known or Known()
    users, warnings = (known.users, []) if known.users is not None else user_prefixes(events)
    meals, w = (known.meals, []) if known.meals is not None else meal_prefixes(events["meal"])
    warnings += w
    frame = with_ids(events, users, meals)
    if not known.linked:
        frame = _link_server_meals(frame)
    if known.owners is None:
        files, w = _client_users(frame, user_map or {})
        warnings += w
    else:
        files = known.owners
    # a client file's lines are its owner's (or nobody's), whatever ids they name
    owner = pl.DataFrame({"file": list(files), "resolved": list(files.values())}, schema={"file": pl.String, "resolved": pl.String})
    frame = frame.with_columns(uid=_put(frame, frame["uid"], pl.col("stream") == "ios", owner, "file"))
    # per (user, file) first: 20,000 users' lists of files from 10M rows cost more than their pairs
    pairs = frame.lazy().filter(pl.col("uid").is_not_null() & pl.col("kind").is_not_null()).group_by("uid", "file").len().collect()
    summary = pairs.group_by("uid").agg(
        prefix=pl.col("uid").first().cast(pl.String).str.slice(0, 8), files=pl.col("file").sort(), events=pl.col("len").sum()
    ).sort("events", "uid", descending=[True, False])
    # ids as written are resolved into uid and meal_id now: a fleet's rows need not carry both;
    # users as categories, 4 bytes a row, not a 36-character string (20,000 users over 10M rows)
    frame = frame.drop("user", "user_prefix", "meal").with_columns(pl.col("uid").cast(pl.Categorical))
    return Identity(frame, summary, files, warnings)


def with_ids(events: pl.DataFrame, users: pl.DataFrame, meals: pl.DataFrame) -> pl.DataFrame:
    """``events`` with ``uid`` and ``meal_id``: the ids as written, prefixes resolved by the
    ``users`` and ``meals`` tables (``prefix`` -> ``resolved``)."""
    user, prefix, meal = pl.col("user"), pl.col("user_prefix"), pl.col("meal")
    # ids as written are categories (verify) or text, meal ids in their own type (text with --stream)
    start = events.select(uid=pl.coalesce(user, prefix).cast(events["user"].dtype), meal_id=meal)
    return events.with_columns(
        uid=_put(events, start["uid"], user.is_null(), users.rename({"prefix": "user_prefix"}), "user_prefix"),
        meal_id=_put(events, start["meal_id"], meal.is_not_null(), meals.rename({"prefix": "meal"}), "meal"))


def user_prefixes(events: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``prefix -> resolved`` for the user ids written as prefixes (see :func:`resolve_prefixes`)."""
    prefix = pl.col("user_prefix").filter(pl.col("user").is_null())
    return resolve_prefixes(events["user"], events.select(prefix)["user_prefix"], "user")


def meal_prefixes(*meals: pl.Series) -> tuple[pl.DataFrame, list[str]]:
    """``prefix -> resolved`` for the meal ids written as prefixes, of the ids the ``meals`` series
    name (several: ``verify --stream`` does not concatenate its millions). Only the ids that can
    resolve are made distinct: the full ones, and the prefixes that share 8 characters with one
    (a fleet names millions of meals by prefix: all of them made distinct was ``--stream``'s 0.95 GB
    peak at 30M lines)."""
    # ids may be categories (verify's meal ids have categories of their own, which `== pl.Categorical`
    # does not match): few distinct values, made distinct before they become text
    written = [(m.drop_nulls().unique() if isinstance(m.dtype, pl.Categorical) else m.drop_nulls()).cast(pl.String)
               for m in meals]
    full = pl.concat([m.filter(m.str.len_chars() == 36) for m in written]).unique()
    keys = full.str.slice(0, 8).unique().implode()
    prefixes = pl.concat([m.filter((m.str.len_chars() < 36) & m.str.slice(0, 8).is_in(keys)) for m in written])
    return resolve_prefixes(full, prefixes, "meal")


def _put(frame: pl.DataFrame, base: pl.Series, rows: pl.Expr, table: pl.DataFrame, key: str) -> pl.Series:
    """``base`` with ``table``'s ``resolved`` value on the rows of ``frame`` where ``rows`` holds and
    ``key`` is in the table: looked up on those rows only (a few of millions), put back by position."""
    if not table.height:
        return base
    found = (frame.lazy().with_row_index("_put_row").filter(rows).select("_put_row", pl.col(key).cast(pl.String))
             .filter(pl.col(key).is_in(table[key].implode()))
             .select("_put_row", mapped(key, table, "resolved").cast(base.dtype)).collect())
    return base.scatter(found["_put_row"], found["resolved"]) if found.height else base


def _link_server_meals(frame: pl.DataFrame) -> pl.DataFrame:
    """Give server completions and decisions the user and meal of the lines they follow (see
    :mod:`.linking`): worked out on those lines only, then put back in one step (a fleet's are
    millions of rows; numbering every row first made a copy of all of them)."""
    mine = frame.select(pl.col("kind").is_in(LINKED_KINDS) & pl.col("ts").is_not_null()).to_series()
    if not mine.any():
        return frame
    rows = frame.select("file", "ts", "kind", "uid", "meal_id").filter(mine).with_columns(_row=mine.arg_true())
    put, _ = link(rows, meal_owners(rows))
    del rows
    # two columns rewritten, not five built over every row
    return frame.with_columns(uid=frame["uid"].scatter(put["_row"], put["uid"]),
                              meal_id=frame["meal_id"].scatter(put["_row"], put["meal_id"]))


def _client_users(frame: pl.DataFrame, user_map: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
    warnings = []
    frame = frame.select("stream", "file", "kind", "uid", "meal_id")    # not every column of 10M rows through each filter
    client = frame.filter(pl.col("stream") == "ios")
    files = client["file"].unique(maintain_order=True).to_list()
    declared = client.filter(pl.col("kind") == "client.connected").drop_nulls("uid").group_by("file").agg(
        ids=pl.col("uid").unique().sort())
    declared = {r["file"]: r["ids"] for r in declared.iter_rows(named=True)}
    submitted = client.filter(pl.col("kind") == "client.meal_submitted").drop_nulls("meal_id").select("file", "meal_id")
    # the processing of those meals only: a fleet's server processes millions
    backend_meals = frame.filter((pl.col("kind") == "server.meal_processing") & pl.col("meal_id").is_in(
        submitted["meal_id"].implode())).drop_nulls("uid")
    shared = submitted.join(backend_meals.select("meal_id", "uid"), on="meal_id").group_by("file").agg(
        ids=pl.col("uid").unique().sort())
    shared = {r["file"]: r["ids"] for r in shared.iter_rows(named=True)}
    given = {}
    for key, uid in user_map.items():
        hits = [f for f in files if f == key or Path(f).name == key or Path(f).resolve() == Path(key).resolve()]
        if len(hits) != 1:
            raise UsageError(f"--user {key}={uid}: {key} is not one client input")
        given[hits[0]] = uid.lower()
    owners: dict[str, str | None] = {}
    for f in files:
        if f in given:
            owners[f] = given[f]
            continue
        for source, ids in (("Connected - User ID", declared.get(f)), ("shared meal ids", shared.get(f))):
            if ids and len(ids) == 1:
                owners[f] = ids[0]
                break
            if ids:
                warnings.append(f"{f}: {source} name {len(ids)} users ({', '.join(ids)}); give --user {Path(f).name}=ID")
                owners[f] = None
                break
        else:
            owners[f] = None
            warnings.append(f"{f}: no user found (no 'Connected - User ID' line, no meal shared with the backend); "
                            f"give --user {Path(f).name}=ID")
    return owners, warnings
