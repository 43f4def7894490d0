"""Server meal lines that name no user or meal get those of the lines they follow.

A completion without a meal id belongs to the latest ``Processing meal log`` of the same file; a
completion with one to its meal's last processing, in any file; a decision without a user to the
latest completion of the same file; a completion no processing explains, to the first decision
with a user that follows it within 5 s in the same file. "Latest" is by the time as written, file
order among equal times.

:func:`link` links a run of lines given what came before them (:class:`Tail`): ``verify`` links
all of a run's lines at once, ``verify --stream`` a span of time at a time. The meal owners
(:func:`meal_owners`) are the one thing that needs every line: they are worked out apart.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

LINKED_KINDS = ("server.meal_processing", "server.meal_completed", "server.notify_sent", "server.notify_skipped")
PROCESSING, COMPLETION = LINKED_KINDS[:2]
DECISIONS = LINKED_KINDS[2:]
# how long after a completion the decision that explains it may come
FOLLOWS = dt.timedelta(seconds=5)


@dataclass
class Tail:
    """Of the lines linked so far, what later lines' linking reads: each file's last processing
    (``file``, ``ts``, ``p_meal``, ``p_uid``) and last completion as linked (``d_meal``, ``d_uid``)."""

    proc: pl.DataFrame
    done: pl.DataFrame


def meal_owners(rows: pl.DataFrame) -> pl.DataFrame:
    """``_row`` and ``m_uid`` of the completions among ``rows`` that name a meal: the user of that
    meal's last processing among ``rows`` (by time, then row). ``rows``: ``_row``, ``ts``, ``kind``,
    ``uid``, ``meal_id``, with a time."""
    last = (rows.filter((pl.col("kind") == PROCESSING) & pl.col("meal_id").is_not_null()).sort("ts", "_row")
            .unique("meal_id", keep="last").select("meal_id", m_uid="uid"))
    done = rows.filter((pl.col("kind") == COMPLETION) & pl.col("meal_id").is_not_null()).select("_row", "meal_id")
    return done.join(last, on="meal_id").select("_row", "m_uid")


def link(rows: pl.DataFrame, owners: pl.DataFrame, tail: Tail | None = None, until: dt.datetime | None = None
         ) -> tuple[pl.DataFrame, Tail]:
    """``_row``, ``uid`` and ``meal_id`` of the completions and decisions among ``rows`` (``_row``,
    ``file``, ``ts``, ``kind``, ``uid``, ``meal_id``, of the linked kinds, with a time; rows number
    the lines in file order), as linked; ``owners``: :func:`meal_owners`' of the completions.

    ``tail``: what the lines before ``rows`` leave (all earlier in time). The tail returned is of
    the lines before ``until`` (the rest are read only for what follows: their own links are
    made again with the lines after them)."""
    rows = rows.sort("ts", "_row")
    kind = pl.col("kind")
    proc = rows.filter(kind == PROCESSING).select("file", "ts", p_meal="meal_id", p_uid="uid")
    comp = rows.filter(kind == COMPLETION).join(owners, on="_row", how="left", maintain_order="left").join_asof(
        _after(tail and tail.proc, proc), on="ts", by="file", strategy="backward", check_sortedness=False).select(
        "_row", "file", "ts", meal_id=pl.coalesce("meal_id", "p_meal"), uid=pl.coalesce("uid", "m_uid", "p_uid"))
    done = comp.select("file", "ts", d_meal="meal_id", d_uid="uid")
    dec = rows.filter(kind.is_in(DECISIONS)).join_asof(
        _after(tail and tail.done, done), on="ts", by="file", strategy="backward", check_sortedness=False).select(
        "_row", "file", "ts", meal_id=pl.coalesce("meal_id", "d_meal"), uid=pl.coalesce("uid", "d_uid"))
    after = dec.filter(pl.col("uid").is_not_null()).select("file", "ts", a_uid="uid")
    comp = comp.join_asof(after, on="ts", by="file", strategy="forward", tolerance=FOLLOWS, check_sortedness=False).select(
        "_row", "meal_id", uid=pl.coalesce("uid", "a_uid"))
    put = pl.concat([comp, dec.select(comp.columns)])
    return put, Tail(_last(tail and tail.proc, proc, until), _last(tail and tail.done, done, until))


def _after(tail: pl.DataFrame | None, rows: pl.DataFrame) -> pl.DataFrame:
    return rows if tail is None else pl.concat([tail, rows])


def _last(tail: pl.DataFrame | None, rows: pl.DataFrame, until: dt.datetime | None) -> pl.DataFrame:
    """Each file's last row of ``tail`` then ``rows`` before ``until``, in time order (as-of
    joins read them before later rows)."""
    rows = _after(tail, rows if until is None else rows.filter(pl.col("ts") < until))
    return rows.group_by("file").last().sort("ts")
