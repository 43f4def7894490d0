"""Generate a fleet backend log in Go `log` format: N lines, 20,000 users, the pack's vocabulary.

    python benchmarks/generate.py --lines 10_000_000 -o benchmarks/data/fleet-10M.log
    python benchmarks/generate.py --lines 260_000_000 --hours 26 -o big.log   # larger than memory: an hour at a time

Built column-wise with polars (a few seconds for 10M lines). The mix follows a fixed backend
under load: registry refreshes on ping, polling GETs, connects and disconnects, meals
processed, completed and decided, and some chatter that no pack entry knows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import polars as pl

# (component, template, share); {u} full user id, {p} its 8-hex prefix, {m} a meal prefix
MIX = [
    ("WebSocket", "Ping from user {u} - connection refreshed", 0.38),
    ("HTTP", "GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)", 0.24),
    ("WebSocket", "User {p}... connected - added to registry", 0.06),
    ("WebSocket", "Disconnected: user={u}", 0.04),
    ("HTTP", "POST /api/v1/meal-logs/natural - 201 (12.4ms)", 0.04),
    ("MealLogAI", "Processing meal log {m}... for user {p}...", 0.06),
    ("MealLogAI", "Successfully completed processing meal log {m}...", 0.06),
    ("MealLogAI", "User {p}... IS connected - sending notification", 0.045),
    ("MealLogAI", "❌ User {p}... not connected to WebSocket, skipping notification", 0.015),
    ("DB", "pool stats: open=12 idle=9 wait=0", 0.05),
    ("Auth", "token refreshed for session", 0.02),
]


START = dt.datetime(2025, 11, 8, 10, 0, 0)


def generate(lines: int, users: int, seed: int, start: dt.datetime = START) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    shares = np.array([m[2] for m in MIX])
    kind = rng.choice(len(MIX), size=lines, p=shares / shares.sum())
    user = rng.integers(0, users, size=lines)
    meal = rng.integers(0, 16**8, size=lines)
    # one hour of traffic, in order, with microsecond stamps
    offsets = np.sort(rng.uniform(0, 3600, size=lines))
    ids = pl.Series([f"{i:08x}-{(i * 7919) % 65536:04x}-4{i % 4096:03x}-8{i % 4096:03x}-{i * 2654435761 % 16**12:012x}"
                     for i in range(users)])
    frame = pl.DataFrame({"k": kind, "u": user, "m": meal, "t": offsets})
    base = pl.lit(start)
    frame = frame.with_columns(
        ts=(base + pl.duration(microseconds=(pl.col("t") * 1e6).cast(pl.Int64))).dt.strftime("%Y/%m/%d %H:%M:%S%.6f"),
        uid=ids.gather(pl.Series(user)).alias("uid"),
        meal=pl.col("m").map_batches(lambda s: s.cast(pl.String)),
    )
    frame = frame.with_columns(meal=pl.format("{}", pl.col("m")).str.zfill(8).str.slice(0, 8))
    texts = []
    for i, (comp, template, _) in enumerate(MIX):
        parts = template.replace("{u}", "\x00u\x00").replace("{p}", "\x00p\x00").replace("{m}", "\x00m\x00").split("\x00")
        exprs = [pl.lit(f"[{comp}] "), pl.col("ts"), pl.lit(" ")]
        for part in parts:
            exprs.append({"u": pl.col("uid"), "p": pl.col("uid").str.slice(0, 8), "m": pl.col("meal")}.get(part, pl.lit(part)))
        texts.append((pl.col("k") == i, pl.concat_str(exprs)))
    expr = pl.when(texts[0][0]).then(texts[0][1])
    for cond, text in texts[1:]:
        expr = expr.when(cond).then(text)
    return frame.select(line=expr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=int, default=1, help="hours of traffic, each built and written on its own")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args()
    if args.hours < 1:
        ap.error(f"--hours must be at least 1, not {args.hours}")
    start = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "wb") as out:
        for h in range(args.hours):
            lines = args.lines // args.hours + (args.lines % args.hours if h == args.hours - 1 else 0)
            frame = generate(lines, args.users, args.seed + h, START + dt.timedelta(hours=h))
            frame.write_csv(out, include_header=False, quote_style="never")
    size = args.output.stat().st_size
    print(f"wrote {args.output}: {args.lines:,} lines, {size / 1e6:.0f} MB in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
