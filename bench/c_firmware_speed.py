"""What a firmware behind the C ABI costs: the CP, TM and PP groups of the plan on our Python
firmware and on the C example (compiled now with the system compiler), same bench, same plan.

Prints per firmware the wall time and the CPU time of the pytest process (medians of --repeat
runs; CPU time is the figure to trust on a loaded machine), the bench time covered, and the
difference: the price of copying the HAL across the ctypes boundary on every tick (the C state
machine itself is cheaper than the Python one). Usage: python bench/c_firmware_speed.py
[--repeat N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zapcharger import cabi

ROOT = Path(__file__).resolve().parent.parent
MODULES = [f"testplans/iec61851/{m}" for m in
           ("test_control_pilot.py", "test_timing.py", "test_cable.py")]


def _child_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run_once(extra: list[str]) -> tuple[float, float, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        verdicts = Path(tmp) / "verdicts.json"
        cmd = [sys.executable, "-m", "pytest", *MODULES, "-q", "-p", "no:cacheprovider",
               "--no-records", "--reports-dir", tmp, "--verdicts", str(verdicts), *extra]
        t0, cpu0 = time.perf_counter(), _child_cpu()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
        if not verdicts.exists():
            sys.exit(f"the plan wrote no verdicts:\n{proc.stdout}\n{proc.stderr}")
        data = json.loads(verdicts.read_text())
    return wall, cpu, float(data["rig"].get("time", {}).get("waited_s", 0.0)), data["summary"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        lib = cabi.build_library([cabi.EXAMPLE], Path(tmp) / "libevse_example.so")
        build = time.perf_counter() - t0
        firmwares = {"zapcharger (Python)": [],
                     "evse_example (C)": ["--charger-set", f"firmware_entry=c:{lib}"]}
        results = {}
        for _ in range(args.repeat):  # interleaved, so a load change hits both alike
            for name, extra in firmwares.items():
                results.setdefault(name, []).append(run_once(extra))
    print(f"C example built in {build:.2f} s; plan: CP, TM and PP groups, {args.repeat} runs each")
    cpus = {}
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpus[name] = statistics.median(r[1] for r in runs)
        bench, summary = runs[-1][2], runs[-1][3]
        executed = summary["total"] - summary["NOT_RUN"]
        print(f"{name:22s} wall {wall:6.2f} s  cpu {cpus[name]:6.2f} s  bench {bench:7.1f} s  "
              f"executed {executed}  verdict {summary['verdict']}")
    py, c = cpus.values()
    print(f"CPU, C minus Python: {c - py:+.2f} s ({(c - py) / py * 100:+.0f} %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
