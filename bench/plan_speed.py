"""How fast the certification plan runs against the emulated bench in virtual time.

Prints the wall time of a whole `pytest testplans/iec61851` run (what a CI job pays), the bench
time the plan covered (what the same plan costs on a real bench: boot, timings, ramps) and
their ratio. Usage: python bench/plan_speed.py [--repeat N] [pytest args...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(extra: list[str], keep: dict | None = None) -> tuple[float, float, dict]:
    """One plan run: wall time, bench time, the summary (``keep`` gets the verdicts file)."""
    with tempfile.TemporaryDirectory() as tmp:
        verdicts = Path(tmp) / "verdicts.json"
        cmd = [sys.executable, "-m", "pytest", "testplans/iec61851", "-q", "-p",
               "no:cacheprovider", "--reports-dir", tmp, "--verdicts", str(verdicts), *extra]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if not verdicts.exists():
            sys.exit(f"the plan wrote no verdicts:\n{proc.stdout}\n{proc.stderr}")
        data = json.loads(verdicts.read_text())
    if keep is not None:
        keep.update(data)
    bench = float(data["rig"].get("time", {}).get("waited_s", 0.0))
    return wall, bench, data["summary"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args, extra = parser.parse_known_args()
    walls, benches = [], []
    summary: dict = {}
    for _ in range(args.repeat):
        wall, bench, summary = run_once(extra)
        walls.append(wall)
        benches.append(bench)
    wall = statistics.median(walls)
    bench = statistics.median(benches)
    executed = summary["total"] - summary["NOT_RUN"]
    print(f"plan: testplans/iec61851  requirements executed: {executed}  "
          f"verdict: {summary['verdict']}")
    print(f"wall time (median of {args.repeat}): {wall:8.2f} s   "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"bench time covered:          {bench:8.1f} s")
    print(f"bench/wall ratio:            {bench / wall:8.1f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
