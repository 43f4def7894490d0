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
from ..frames import mapped, scatter_rows


@dataclass
class Identity:
    """Resolved ids per event row, plus what could not be resolved."""

    events: pl.DataFrame               # ``uid`` and ``meal_id`` in place of the ids as written
    users: pl.DataFrame                # uid, prefix, files, events
    files: dict[str, str | None]       # client file -> uid
    warnings: list[str] = field(default_factory=list)


def resolve_prefixes(values: pl.DataFrame, column: str, prefix_col: str) -> tuple[pl.DataFrame, list[str]]:
    """Map each distinct prefix to its one full id; report prefixes with several."""
    full = values.select(pl.col(column).alias("full")).drop_nulls().unique().cast(pl.String)
    prefixes = values.filter(pl.col(column).is_null()).select(pl.col(prefix_col).alias("prefix")).drop_nulls().unique().cast(pl.String)
    if not prefixes.height:
        return pl.DataFrame(schema={"prefix": pl.String, "resolved": pl.String}), []
    cand = prefixes.with_columns(k=pl.col("prefix").str.slice(0, 8)).join(
        full.with_columns(k=pl.col("full").str.slice(0, 8)), on="k", how="left"
    ).filter(pl.col("full").is_null() | pl.col("full").str.starts_with(pl.col("prefix")))
    counts = cand.group_by("prefix").agg(n=pl.col("full").drop_nulls().n_unique(), full=pl.col("full").drop_nulls().first(),
                                         all=pl.col("full").drop_nulls().sort())
    warnings = [f"ambiguous {prefix_col.split('_')[0]} prefix {r['prefix']}...: matches {', '.join(r['all'])}"
                for r in counts.filter(pl.col("n") > 1).iter_rows(named=True)]
    resolved = counts.select("prefix", resolved=pl.when(pl.col("n") == 1).then(pl.col("full")).otherwise(pl.col("prefix")))
    return resolved, warnings


def resolve(events: pl.DataFrame, user_map: dict[str, str] | None = None) -> Identity:
    """Add ``uid`` (full id, or the prefix when it names nobody seen in full) and ``meal_id``."""
    warnings: list[str] = []
    users, w = resolve_prefixes(events, "user", "user_prefix")
    warnings += w
    written = events.select(pl.col("meal").drop_nulls().unique().cast(pl.String))     # ids may be categories
    meal_full = written.select(pl.col("meal").filter(pl.col("meal").str.len_chars() == 36).alias("meal"),
                               pl.lit(None, pl.String).alias("meal_prefix"))
    meal_pref = written.select(pl.lit(None, pl.String).alias("meal"),
                               pl.col("meal").filter(pl.col("meal").str.len_chars() < 36).alias("meal_prefix"))
    meals, w = resolve_prefixes(pl.concat([meal_full, meal_pref]), "meal", "meal_prefix")
    warnings += w
    # looked up on the rows that need it (most lines of a fleet name a full id, or nothing)
    rows = events.select("user", "user_prefix", "meal").with_row_index("_row")
    def looked_up(part: pl.DataFrame, col: str, table: pl.DataFrame, name: str) -> pl.DataFrame:
        return part.with_columns(pl.col(col).cast(pl.String)).select("_row", mapped(col, table.rename({"prefix": col}), "resolved", name))

    short = looked_up(rows.filter(pl.col("user").is_null() & pl.col("user_prefix").is_not_null()), "user_prefix", users, "_u")
    meal = looked_up(rows.filter(pl.col("meal").is_not_null()), "meal", meals, "_m")
    frame = scatter_rows(scatter_rows(events.with_row_index("_row"), short, ["_u"]), meal, ["_m"])
    same = frame["user"].dtype      # ids as written are categories (verify) or text: coalesce wants one type
    frame = frame.with_columns(pl.col("_u", "_m").cast(same)).with_columns(
        uid=pl.coalesce("user", "_u", "user_prefix"), meal_id=pl.coalesce("_m", "meal")).drop("_row", "_u", "_m")
    frame = _link_server_meals(frame)
    files, w = _client_users(frame, user_map or {})
    warnings += w
    owner = pl.DataFrame({"file": list(files), "_owner": list(files.values())}, schema={"file": pl.String, "_owner": pl.String})
    frame = frame.with_columns(mapped("file", owner, "_owner").cast(frame["uid"].dtype)).with_columns(
        uid=pl.when(pl.col("stream") == "ios").then(pl.col("_owner")).otherwise(pl.col("uid"))
    ).drop("_owner")
    summary = frame.filter(pl.col("uid").is_not_null() & pl.col("kind").is_not_null()).group_by("uid").agg(
        prefix=pl.col("uid").first().cast(pl.String).str.slice(0, 8), files=pl.col("file").unique().sort(), events=pl.len()
    ).sort("events", descending=True)
    # ids as written are resolved into uid and meal_id now: a fleet's rows need not carry both;
    # as categories, 4 bytes a row, not a 36-character string (20,000 users over 10M rows)
    frame = frame.drop("user", "user_prefix", "meal").with_columns(pl.col("uid", "meal_id").cast(pl.Categorical))
    return Identity(frame, summary, files, warnings)


def _link_server_meals(frame: pl.DataFrame) -> pl.DataFrame:
    """Give server completions and decisions the user and meal of the processing they follow.

    A completion without an id belongs to the latest ``Processing meal log`` of the same file;
    a completion with an id to that meal's processing; a decision without a user to the latest
    completion of the same file. Worked out on those lines only, then put back in one step.
    """
    decided = ["server.notify_sent", "server.notify_skipped"]
    kinds = ["server.meal_processing", "server.meal_completed", *decided]
    sub = frame.with_row_index("_row").filter(pl.col("kind").is_in(kinds)).select("_row", "file", "ts", "kind", "uid", "meal_id")
    if not sub.height:
        return frame
    proc = sub.filter(pl.col("kind") == "server.meal_processing").select(
        "file", "ts", p_meal=pl.col("meal_id"), p_uid=pl.col("uid")).drop_nulls("ts").sort("ts")
    by_meal = proc.drop_nulls("p_meal").unique("p_meal", keep="last").select(meal_id="p_meal", m_uid="p_uid")
    comp = sub.filter(pl.col("kind") == "server.meal_completed").drop_nulls("ts").sort("ts")
    comp = comp.join_asof(proc, on="ts", by="file", strategy="backward", check_sortedness=False).join(by_meal, on="meal_id", how="left")
    comp = comp.select("_row", c_meal=pl.coalesce("meal_id", "p_meal"), c_uid=pl.coalesce("uid", "m_uid", "p_uid"))
    sub = sub.join(comp, on="_row", how="left").with_columns(
        meal_id=pl.coalesce("meal_id", "c_meal"), uid=pl.coalesce("uid", "c_uid")).drop("c_meal", "c_uid")
    done = sub.filter(pl.col("kind") == "server.meal_completed").select(
        "file", "ts", d_meal=pl.col("meal_id"), d_uid=pl.col("uid")).drop_nulls("ts").sort("ts")
    dec = sub.filter(pl.col("kind").is_in(decided)).drop_nulls("ts").sort("ts")
    dec = dec.join_asof(done, on="ts", by="file", strategy="backward", check_sortedness=False).select(
        "_row", d_meal="d_meal", d_uid=pl.when(pl.col("uid").is_null()).then(pl.col("d_uid")))
    sub = sub.join(dec, on="_row", how="left").with_columns(
        meal_id=pl.coalesce("meal_id", "d_meal"), uid=pl.coalesce("uid", "d_uid")).drop("d_meal", "d_uid")
    # a completion nobody's processing line explains belongs to the decision that follows it
    after = sub.filter(pl.col("kind").is_in(decided) & pl.col("uid").is_not_null()
                       ).select("file", "ts", a_uid="uid").drop_nulls("ts").sort("ts")
    orphan = sub.filter((pl.col("kind") == "server.meal_completed") & pl.col("uid").is_null()).drop_nulls("ts").sort("ts")
    orphan = orphan.join_asof(after, on="ts", by="file", strategy="forward", tolerance="5s", check_sortedness=False)
    sub = sub.join(orphan.select("_row", "a_uid"), on="_row", how="left").with_columns(
        uid=pl.coalesce("uid", "a_uid")).drop("a_uid")
    linked = scatter_rows(frame.with_row_index("_row"), sub.select("_row", _uid="uid", _meal="meal_id"), ["_uid", "_meal"])
    return linked.with_columns(uid=pl.coalesce("uid", "_uid"), meal_id=pl.coalesce("meal_id", "_meal")).drop("_row", "_uid", "_meal")


def _client_users(frame: pl.DataFrame, user_map: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
    warnings = []
    client = frame.filter(pl.col("stream") == "ios")
    files = client["file"].unique(maintain_order=True).to_list()
    declared = client.filter(pl.col("kind") == "client.connected").drop_nulls("uid").group_by("file").agg(
        ids=pl.col("uid").unique().sort())
    declared = {r["file"]: r["ids"] for r in declared.iter_rows(named=True)}
    backend_meals = frame.filter(pl.col("kind") == "server.meal_processing").drop_nulls("meal_id").drop_nulls("uid")
    submitted = client.filter(pl.col("kind") == "client.meal_submitted").drop_nulls("meal_id").select("file", "meal_id")
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
