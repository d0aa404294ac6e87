"""What the CP, TM and PP groups cost on a bench from common instruments, next to the EV emulator.

On ``rigs/lab-composite.yaml`` every state change that shows on the pilot is one triggered
acquisition whose record is read back over SCPI (ASCii, 5 000 to 20 000 points), and every look
at the vehicle side is one chained query of the scope; on ``rigs/emulator.yaml`` the EV
emulator keeps the trace itself. This runs the three groups once on each rig and prints wall
time, CPU time of the run, bench time and the verdicts.

    .venv/bin/python bench/composite_speed.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("test_control_pilot.py", "test_timing.py", "test_cable.py")


def run(rig: str) -> tuple[float, float, dict]:  # type: ignore[type-arg]
    """(wall s, CPU s of the child, verdicts) of one run of the three groups on ``rig``."""
    with tempfile.TemporaryDirectory(prefix="composite-speed-") as tmp:
        verdicts = Path(tmp) / "verdicts.json"
        cmd = [sys.executable, "-m", "pytest", *(f"testplans/iec61851/{m}" for m in MODULES),
               "-q", "-p", "no:cacheprovider", "--no-records", "--lg-env", rig,
               "--verdicts", str(verdicts), "--reports-dir", str(Path(tmp) / "reports")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, json.loads(verdicts.read_text())


def main() -> None:
    print(f"{'rig':<28} {'wall s':>8} {'CPU s':>8} {'bench s':>9}  verdicts")
    for rig in ("rigs/emulator.yaml", "rigs/lab-composite.yaml"):
        wall, cpu, data = run(rig)
        counts: dict[str, int] = {}
        for result in data["requirements"].values():
            counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "NOT_RUN")
        bench_s = data.get("rig", {}).get("time", {}).get("waited_s", float("nan"))
        print(f"{rig:<28} {wall:8.1f} {cpu:8.1f} {bench_s:9.1f}  {shown}")


if __name__ == "__main__":
    main()
