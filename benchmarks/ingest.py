"""Time `logcheck events` on a fleet log next to `rg -c` and `wc -l` of the same file.

    python benchmarks/generate.py --lines 10_000_000 -o benchmarks/data/fleet-10M.log
    python benchmarks/ingest.py benchmarks/data/fleet-10M.log --runs 3

Times ``--summary`` (counts only) and ``-o events.parquet`` (the whole table, streamed out).
Prints, per tool: median seconds, lines/s, MB/s, peak RSS, ratio to `rg -c` with the pack's
event alternation. Runs alternate between tools so cache and load affect them alike.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# six event kinds of the ws-registry pack, as one case-insensitive alternation (what a grep user writes)
ALTERNATION = ("(?i)connection refreshed|not connected|is connected|processing meal log|"
               "successfully completed processing|connected - added to registry")


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one run of ``cmd`` in a fresh child (any exit code)."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]) * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    logcheck = shutil.which("logcheck") or str(Path(sys.executable).parent / "logcheck")
    out = Path(tempfile.mkdtemp(prefix="logcheck-bench-")) / "events.parquet"
    tools = {"logcheck events --summary": [logcheck, "events", str(args.log), "--summary"],
             "logcheck events -o parquet": [logcheck, "events", str(args.log), "-o", str(out)],
             "wc -l": ["wc", "-l", str(args.log)]}
    if shutil.which("rg"):
        tools["rg -c (pack alternation)"] = ["rg", "-c", ALTERNATION, str(args.log)]
    size = args.log.stat().st_size
    lines = int(subprocess.run(["wc", "-l", str(args.log)], capture_output=True, text=True).stdout.split()[0])
    try:
        times, rss = run_alternating(tools, args.runs)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    print(f"{args.log}: {lines:,} lines, {size / 1e6:,.0f} MB, {args.runs} runs, {os.cpu_count()} cores")
    print_table(tools, times, rss, lines, size / 1e6)


def run_alternating(tools: dict[str, list[str]], runs: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each tool ``runs`` times, in alternation; a non-zero exit (a verdict) is still timed."""
    times: dict[str, list[float]] = {k: [] for k in tools}
    rss: dict[str, int] = {k: 0 for k in tools}
    for _ in range(runs):
        for name, cmd in tools.items():
            seconds, peak = measure(cmd)
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
    return times, rss


def print_table(tools, times, rss, lines: int, mb: float, own: dict[str, tuple[int, float]] | None = None) -> None:
    """tool, median seconds, lines/s, MB/s, peak RSS, ratio to rg; ``own``: the lines and MB of
    the tools that read other inputs."""
    rg = statistics.median(times["rg -c (pack alternation)"]) if "rg -c (pack alternation)" in times else None
    print(f"{'tool':28} {'median s':>9} {'lines/s':>12} {'MB/s':>8} {'peak RSS MB':>12} {'x rg':>6}")
    for name in tools:
        med = statistics.median(times[name])
        ratio = f"{med / rg:6.1f}" if rg else "     -"
        n, size = (own or {}).get(name, (lines, mb))
        print(f"{name:28} {med:9.2f} {n / med:12,.0f} {size / med:8.1f} {rss[name] / 1e6:12,.0f} {ratio}")

if __name__ == "__main__":
    main()
