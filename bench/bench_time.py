"""Where the certification plan's bench time goes: per requirement group, next to its floor.

Bench time is what the plan costs a real rig (boots, soft starts, watches, integrations); on
the emulated bench it passes in virtual time. The plugin keeps each test's share in the
verdicts file (``rig.time.tests``: setup, call and teardown; ``rig.time.start_s``: the first
test's set-up, i.e. the session's power-on and boot; ``rig.time.shared``: a precondition
several tests share, such as the supply interruption, and the test that paid it), so the split
is exact, not guessed from measurement timestamps. Each test counts for the group of its first
requirement id; the start and the shared preconditions are rows of their own.

    .venv/bin/python bench/bench_time.py                        # run the plan once, print
    .venv/bin/python bench/bench_time.py --verdicts reports/latest/verdicts.json
    .venv/bin/python bench/bench_time.py --verdicts before.json --verdicts after.json \\
        --plot docs/img/bench-time-per-group.png                # before/after, and the plot

The floor per group comes from ``bench/floor.py`` (catalogue and profile data).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import floor as floor_mod  # noqa: E402  (bench/ is the script's folder)

#: The groups in the order the table and the plot show them.
ORDER = ["start", "shared", "CP", "TM", "PP", "RC", "SS", "MT", "SU", "PR", "other"]


def run_plan(extra: list[str] | None = None) -> tuple[dict[str, Any], float]:
    """The whole plan once against the emulated bench: its verdicts file and the wall time."""
    with tempfile.TemporaryDirectory(prefix="bench-time-") as tmp:
        verdicts = Path(tmp) / "verdicts.json"
        cmd = [sys.executable, "-m", "pytest", "testplans/iec61851", "-q", "-p",
               "no:cacheprovider", "--no-records", "--reports-dir", tmp, "--verdicts",
               str(verdicts), *(extra or [])]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if not verdicts.exists():
            raise RuntimeError(f"the plan wrote no verdicts:\n{proc.stdout[-3000:]}\n"
                               f"{proc.stderr[-3000:]}")
        return json.loads(verdicts.read_text()), wall


def test_groups(verdicts: dict[str, Any]) -> dict[str, str]:
    """Test node id -> the group of its first requirement id (catalogue order)."""
    out: dict[str, str] = {}
    for rid, result in verdicts.get("requirements", {}).items():
        for test in result.get("tests", []):
            out.setdefault(test, rid.split("-")[0])
    return out


def per_group(verdicts: dict[str, Any]) -> dict[str, float]:
    """Bench time per group (s), the session's start apart; sums to the run's bench time."""
    times = verdicts.get("rig", {}).get("time", {})
    tests: dict[str, float] = times.get("tests", {})
    if not tests:
        raise ValueError("the verdicts file has no bench time per test (rig.time.tests): "
                         "a run of an older rig")
    start = float(times.get("start_s") or 0.0)
    groups = test_groups(verdicts)
    out = {"start": start}
    paid = {}  # a precondition several tests share: counted apart from the test that paid it
    for entry in times.get("shared", {}).values():
        paid[entry["test"]] = paid.get(entry["test"], 0.0) + float(entry["bench_s"])
    if paid:
        out["shared"] = sum(paid.values())
    first = True
    for node, spent in tests.items():
        group = groups.get(node, "other")
        share = float(spent) - (start if first else 0.0) - paid.get(node, 0.0)
        first = False
        out[group] = out.get(group, 0.0) + share
    return {g: round(out[g], 3) for g in ORDER + sorted(set(out) - set(ORDER)) if g in out}


def bench_total(verdicts: dict[str, Any]) -> float:
    return float(verdicts.get("rig", {}).get("time", {}).get("waited_s", 0.0))


def table(runs: list[tuple[str, dict[str, float]]], floor: dict[str, float]) -> list[str]:
    """Rows: group, bench time of each run, the floor."""
    groups = [g for g in ORDER if any(g in r for _, r in runs) or g in floor]
    head = f"{'group':6s}" + "".join(f"{label:>12s}" for label, _ in runs) + f"{'floor':>10s}"
    lines = [head]
    for g in groups:
        cells = "".join(f"{r.get(g, 0.0):11.1f}s" for _, r in runs)
        lines.append(f"{g:6s}{cells}{floor.get(g, 0.0):9.1f}s")
    totals = "".join(f"{sum(r.values()):11.1f}s" for _, r in runs)
    lines.append(f"{'total':6s}{totals}{sum(floor.values()):9.1f}s")
    return lines


def plot(runs: list[tuple[str, dict[str, float]]], floor: dict[str, float], path: Path,
         note: str = "") -> None:
    """Horizontal bars per group: each run's bench time and the floor (minutes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in ORDER if any(g in r for _, r in runs) or g in floor]
    series = [*runs, ("floor", floor)]
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    for k, (label, values) in enumerate(series):
        ys = [i + k * height for i in range(len(groups))]
        total = sum(values.values()) / 60
        ax.barh(ys, [values.get(g, 0.0) / 60 for g in groups], height=height,
                label=f"{label} ({total:.1f} min)", hatch="//" if label == "floor" else None,
                color=None if label != "floor" else "white", edgecolor="black", linewidth=0.5)
    ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(groups))], groups)
    ax.invert_yaxis()
    ax.set_xlabel("bench time (min)")
    ax.set_title("Where the certification plan's bench time goes, per requirement group")
    ax.legend(loc="lower right", fontsize=8)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="grey")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verdicts", type=Path, action="append", default=[],
                    help="a run's verdicts.json (repeat for before/after); default: run the plan")
    ap.add_argument("--label", action="append", default=[], help="a label per --verdicts")
    ap.add_argument("--plot", type=Path, help="write a PNG of the groups (matplotlib)")
    args = ap.parse_args(argv)
    runs: list[tuple[str, dict[str, float]]] = []
    if args.verdicts:
        for i, path in enumerate(args.verdicts):
            label = args.label[i] if i < len(args.label) else path.parent.name or path.stem
            runs.append((label, per_group(json.loads(path.read_text()))))
    else:
        verdicts, wall = run_plan()
        runs.append(("this run", per_group(verdicts)))
        print(f"plan: {wall:.1f} s wall, {bench_total(verdicts):.1f} s bench time, verdict "
              f"{verdicts['summary']['verdict']}; load average {os.getloadavg()[0]:.1f}")
    floor = floor_mod.by_group(floor_mod.items())
    for line in table(runs, floor):
        print(line)
    if args.plot:
        plot(runs, floor, args.plot)
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
