"""End-to-end benchmark: `logcheck verify` on a fleet log plus 100 client logs, next to rg, wc and lnav.

    python benchmarks/run.py --sizes 1M,10M --runs 5

For each size: a fleet backend log (benchmarks/generate.py) plus a simulated incident of 100 users
with client logs (logcheck simulate: its backend lines and its 100 client files). Tools run in
alternation; the table gives median seconds, lines/s, MB/s, peak RSS and the ratio to `rg -c`
with the pack's event alternation. The simulated users' decisions are checked against the
simulator's ground truth (no correctness regression at scale). The HTML report of the largest
size is timed (rendering alone, after verify) and weighed. `verify` on the simulated incident
alone (its backend log and 100 client logs, no fleet log) is timed too: the part of every run
that does not grow with the fleet log, so that the seconds per million fleet lines can be read
with and without it. `verify --stream` is timed too, for its peak memory across sizes.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ingest import ALTERNATION, print_table, run_alternating  # noqa: E402


def _count(text: str) -> int:
    return int(float(text.upper().replace("M", "e6").replace("K", "e3")))


def prepare(size: int, data: Path) -> tuple[Path, Path, dict]:
    """A folder with the fleet log, the simulated backend log and 100 client logs; its truth."""
    fleet = data / f"fleet-{size}.log"
    if not fleet.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--lines", str(size), "-o", str(fleet)], check=True)
    sim = data / "sim-100-users"
    if not (sim / "truth.json").exists():
        subprocess.run([_logcheck(), "simulate", "--bug", "--users", "100", "--minutes", "60", "--seed", "7",
                        "--background", "0.1", "--race", "0.1", "-o", str(sim)], check=True)
    run_dir = data / f"run-{size}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / fleet.name).symlink_to(fleet.resolve())     # resolved: the data folder may itself be a link
    for f in sim.glob("*.log"):
        (run_dir / f.name).symlink_to(f.resolve())
    return run_dir, fleet, json.loads((sim / "truth.json").read_text())


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _logcheck() -> str:
    return shutil.which("logcheck") or str(Path(sys.executable).parent / "logcheck")


def truth_check(run_dir: Path, truth: dict) -> str:
    out = subprocess.run([_logcheck(), "verify", str(run_dir), "--json", "-"], capture_output=True, text=True)
    result = json.loads(out.stdout)
    simulated = {d["user"] for d in truth["decisions"]}
    got: dict[str, int] = {}
    for d in result["decisions"]:
        if d["user"] in simulated:
            key = d["cause"] or d["outcome"]
            got[key] = got.get(key, 0) + 1
    return "ground truth matches" if dict(sorted(got.items())) == truth["counts"] else f"MISMATCH {got} vs {truth['counts']}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1M,10M", help="fleet log sizes in lines (1M,10M,30M)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    per_million, memory = {}, {}
    for size in [_count(s) for s in args.sizes.split(",")]:
        run_dir, fleet, truth = prepare(size, args.data)
        lines = _lines(fleet) + sum(_lines(f) for f in run_dir.glob("*.log") if f.name != fleet.name)
        mb = sum(f.resolve().stat().st_size for f in run_dir.glob("*.log")) / 1e6
        tools = {"logcheck verify (JSON)": [_logcheck(), "verify", str(run_dir), "--json", "/dev/null", "-q"],
                 "logcheck verify --stream": [_logcheck(), "verify", str(run_dir), "--stream", "--json", "/dev/null", "-q"],
                 "  same, client logs only": [_logcheck(), "verify", str(args.data / "sim-100-users"), "--json", "/dev/null",
                                             "-q"],
                 "wc -l": ["wc", "-l", str(fleet)]}
        if shutil.which("rg"):
            tools["rg -c (pack alternation)"] = ["rg", "-c", ALTERNATION, str(fleet)]
        if shutil.which("lnav"):
            tools["lnav (index only)"] = ["lnav", "-n", str(fleet)]
        times, rss = run_alternating(tools, args.runs)
        print(f"\n{size:,}-line fleet log + 100 client logs: {lines:,} lines, {mb:,.0f} MB, median of {args.runs}")
        sim = args.data / "sim-100-users"
        own = {"  same, client logs only": (sum(_lines(f) for f in sim.glob("*.log")),
                                            sum(f.stat().st_size for f in sim.glob("*.log")) / 1e6)}
        print_table(tools, times, rss, lines, mb, own)
        whole, fixed = statistics.median(times["logcheck verify (JSON)"]), statistics.median(times["  same, client logs only"])
        per_million[size] = (whole / (lines / 1e6), (whole - fixed) / (size / 1e6))
        memory[size] = (rss["logcheck verify (JSON)"], rss["logcheck verify --stream"])
        print(f"correctness: {truth_check(run_dir, truth)}")
        last = run_dir
    print("\nseconds per million lines: " + ", ".join(f"{s:,}: {v[0]:.2f}" for s, v in per_million.items()))
    print("seconds per million fleet lines, beyond the client logs alone: " +
          ", ".join(f"{s:,}: {v[1]:.2f}" for s, v in per_million.items()))
    print("peak RSS, verify / verify --stream: " + ", ".join(f"{s:,}: {a / 1e9:.2f} / {b / 1e9:.2f} GB"
                                                             for s, (a, b) in memory.items()))
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.html"
        # rendering alone: verify once in the child, then time the page model, charts and HTML
        code = ("import sys, time, logcheck; from logcheck.render.page import build_page; "
                "from logcheck.render.html import write_html; r = logcheck.verify([sys.argv[1]]); "
                "t = time.perf_counter(); write_html(build_page(r, r.incident), sys.argv[2]); print(time.perf_counter() - t)")
        seconds = float(subprocess.run([sys.executable, "-c", code, str(last), str(report)], capture_output=True, text=True,
                                       check=True).stdout.split()[-1])
        print(f"HTML report of the largest run: rendered in {seconds:.1f} s (after verify), {report.stat().st_size / 1e6:.2f} MB")

if __name__ == "__main__":
    main()
