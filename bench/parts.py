"""The parts of ``python -m bench``: each calls one of the bench scripts and returns figures.

A part is a function ``part(ctx) -> list[figure]``; a figure is a dict with ``name``, ``unit``,
``values`` (one per repeat: min/median/max are taken over them) and, where the project has one,
``target`` (``[op, value]``, op ``<=`` or ``>=``, judged on the median). ``ctx`` holds the
settings (``quick``, ``repeat``, ``full``) and what parts share: the plan runs (the plan part,
the floor, recording and the report build all read the same runs, made once). A part whose
feature has not landed returns :class:`NotAvailable` instead of made-up figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the scripts import each other by plain name

#: The plan's wall time in virtual time (issue 13), s.
PLAN_WALL_TARGET_S = 15.0
#: The plan's bench time, s (moonshot 600 s), and its ratio to the floor (issue 13).
BENCH_TARGET_S = 20 * 60.0
FLOOR_RATIO_TARGET = 1.5
#: Soak: growth after the warm-up that still counts as noise (bench/soak.py's default).
SOAK_RSS_NOISE_KB = 4096
#: The SCPI parser must stay well below one pyvisa-py round trip (~100 us, bench/scpi_speed.py).
PARSER_TARGET_US = 100.0


class NotAvailable(Exception):
    """The part's feature has not landed (or cannot run here): printed as such, no figure."""


@dataclass
class Context:
    quick: bool = False
    full: bool = False
    repeat: int = 3
    selected: set[str] = field(default_factory=set)
    shared: dict[str, Any] = field(default_factory=dict)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))


def fig(name: str, unit: str, values: list[float], target: tuple[str, float] | None = None,
        note: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "unit": unit, "values": [float(v) for v in values]}
    if target is not None:
        out["target"] = [target[0], float(target[1])]
    if note:
        out["note"] = note
    return out


# ---- the plan in virtual time, with and without recording ------------------------------------
def plan_runs(ctx: Context) -> dict[str, Any]:
    """``repeat`` pairs of whole-plan runs, taking turns: ``--no-records``, then recording into
    one SQLite store (the report part reads it). Made once, shared by the parts."""
    if "plan" in ctx.shared:
        return ctx.shared["plan"]
    from plan_speed import run_once

    url = f"sqlite:///{ctx.tmp / 'plan-records.sqlite'}"
    plain, recorded = [], []
    verdicts: dict[str, Any] = {}  # the last plain run's: bench time per test and group
    for _ in range(ctx.repeat):
        plain.append(run_once(["--no-records"], keep=verdicts))
        recorded.append(run_once(["--records", url]))
    ctx.shared["plan"] = {"plain": plain, "recorded": recorded, "url": url,
                          "verdicts": verdicts}
    return ctx.shared["plan"]


def part_plan(ctx: Context) -> list[dict[str, Any]]:
    runs = plan_runs(ctx)["plain"]
    walls = [r[0] for r in runs]
    benches = [r[1] for r in runs]
    summary = runs[-1][2]
    executed = summary["total"] - summary["NOT_RUN"]
    note = f"{executed} requirements executed, verdict {summary['verdict']}"
    return [fig("wall time", "s", walls, ("<=", PLAN_WALL_TARGET_S), note),
            fig("bench time", "s", benches),
            fig("bench / wall", "x", [b / w for w, b in zip(walls, benches, strict=True)])]


def part_floor(ctx: Context) -> list[dict[str, Any]]:
    import floor

    items = floor.items()
    total = floor.total(items)
    out = [fig("floor (catalogue and profile)", "s", [total])]
    if "plan" not in ctx.selected:
        return out
    from bench_time import per_group

    runs = plan_runs(ctx)
    benches = [r[1] for r in runs["plain"]]
    out += [fig("bench time", "s", benches, ("<=", BENCH_TARGET_S)),
            fig("bench time / floor", "x", [b / total for b in benches],
                ("<=", FLOOR_RATIO_TARGET))]
    groups = per_group(runs["verdicts"])
    by_floor = floor.by_group(items)
    ctx.shared["groups"] = {g: {"bench_s": groups.get(g, 0.0), "floor_s": by_floor.get(g, 0.0)}
                            for g in dict.fromkeys([*groups, *by_floor])}
    return out


def part_recording(ctx: Context) -> list[dict[str, Any]]:
    from record_cost import per_measurement

    items = 50 if ctx.quick else 200
    alone, with_lines = [], []
    for i in range(ctx.repeat):
        url = f"sqlite:///{ctx.tmp / f'store-{i}.sqlite'}"
        lines, bare = per_measurement(url, items, 300)
        alone.append(bare * 1e3)
        with_lines.append(lines * 1e3)
    out = [fig("a measurement, committed (SQLite)", "ms", alone),
           fig("... with 300 transcript lines", "ms", with_lines)]
    if "plan" in ctx.selected:
        runs = plan_runs(ctx)
        pairs = list(zip(runs["plain"], runs["recorded"], strict=True))
        out.append(fig("whole plan: recording minus --no-records", "s",
                       [r[0] - p[0] for p, r in pairs]))
        out.append(fig("whole plan: recording overhead", "%",
                       [(r[0] - p[0]) / p[0] * 100 for p, r in pairs]))
    return out


def part_report(ctx: Context) -> list[dict[str, Any]]:
    from rig.records import RecordStore
    from rig.report.html import build_report

    if "plan" not in ctx.selected:
        raise NotAvailable("needs the plan part's recorded runs (--parts plan,report)")
    url = plan_runs(ctx)["url"]
    times, size = [], 0
    with RecordStore(url) as store:
        for _ in range(min(ctx.repeat, 2)):  # a build takes seconds to a minute
            t0 = time.perf_counter()
            html = build_report(store, "latest")
            times.append(time.perf_counter() - t0)
            size = len(html.encode())
    return [fig("compliance report of the latest run", "s", times,
                note=f"{size / 1e6:.1f} MB, with trends over {ctx.repeat} recorded runs")]


# ---- instruments -------------------------------------------------------------------------------
def part_query(ctx: Context) -> list[dict[str, Any]]:
    import query_cost

    count, rounds = (50, 2) if ctx.quick else (300, max(3, ctx.repeat))
    return query_cost.figures(count, rounds)


def part_parser(ctx: Context) -> list[dict[str, Any]]:
    import scpi_speed

    repeat = 100 if ctx.quick else 1000
    slowest_model = []
    for _ in range(1 if ctx.quick else ctx.repeat):
        models = scpi_speed.measure(repeat)
        slowest_model.append(max(m["median_us"] for m in models.values()))
    return [fig("SCPI parser: median command, slowest model", "us", slowest_model,
                ("<=", PARSER_TARGET_US), "in-process, no socket (bench/scpi_speed.py)")]


def part_can(ctx: Context) -> list[dict[str, Any]]:
    """``bench/can_codec.py`` as it prints (a process per repeat: its DBC read is per process)."""
    frames = "300" if ctx.quick else "1000"
    values: dict[str, list[float]] = {}
    for _ in range(ctx.repeat):
        proc = subprocess.run([sys.executable, str(HERE / "can_codec.py"), "--frames", frames,
                               "--rounds", "3"], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"bench/can_codec.py failed:\n{proc.stdout}\n{proc.stderr}")
        for line in proc.stdout.splitlines():
            if line.endswith("us/frame"):
                name, number = line[:-len("us/frame")].rstrip().rsplit(None, 1)
                values.setdefault(name.strip(), []).append(float(number))
            elif line.startswith("read and check the DBC file:"):
                values.setdefault("read the DBC file (once per process), ms", []).append(
                    float(line.split(":", 1)[1].split()[0]))
    if not values:
        raise RuntimeError("bench/can_codec.py printed no figures")
    return [fig(name.removesuffix(", ms"), "ms" if name.endswith(", ms") else "us", v)
            for name, v in values.items()]


# ---- long runs ---------------------------------------------------------------------------------
def part_soak(ctx: Context) -> list[dict[str, Any]]:
    import soak

    cycles, warmup = (30, 10) if ctx.quick else (200, 50)
    saved = dict(os.environ)  # the soak points LG_BENCH_* at its own bench, gone afterwards
    try:
        out = soak.run(soak.parse(["--cycles", str(cycles), "--warmup", str(warmup)]),
                       say=lambda text: None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    growth = out["growth"]
    note = f"{cycles} charge cycles after {warmup} of warm-up, {out['bench_s']:.0f} s bench"
    return [fig("charge cycle", "ms", [out["ms_per_cycle"]], note=note),
            fig("open files, growth", "fds", [growth["fds"]], ("<=", 0)),
            fig("threads, growth", "threads", [max(growth["threads"], growth["py_threads"])],
                ("<=", 0)),
            fig("memory, growth", "KiB", [growth["rss_kb"]], ("<=", SOAK_RSS_NOISE_KB))]


def part_eol(ctx: Context) -> list[dict[str, Any]]:
    import eol_line

    units = 200 if ctx.full else (3 if ctx.quick else 8)
    rows = eol_line.defect_rows(eol_line.ROWS)
    picked = eol_line.units_random(units, 2026, 0.25 if not ctx.full else 0.10, rows)
    with tempfile.TemporaryDirectory(prefix="bench-eol-") as tmp:
        out = eol_line.run(picked, f"sqlite:///{tmp}/records.sqlite", Path(tmp) / "reports",
                           "bench")
    benches = [r["bench_s"] for r in out["rows"] if r["bench_s"] is not None]
    right = sum(1 for r in out["rows"] if r["ok"])
    return [fig("bench time per unit", "s", benches, ("<=", eol_line.TARGET_S)),
            fig("throughput", "units/h", [len(out["rows"]) / out["wall_s"] * 3600]),
            fig("units judged right", "%", [right / len(out["rows"]) * 100], (">=", 100),
                f"{units} units, seeded; good ones PASS, defective ones FAIL their row")]


def part_places(ctx: Context) -> list[dict[str, Any]]:
    if not ctx.full:
        raise NotAvailable("opt-in (--full): starts a labgrid coordinator and a bench per "
                           "place, minutes on 2 cores")
    import scale

    folder = ctx.tmp / "scale"
    names = ["rig-1", "rig-2"]
    lab = scale.LocalLab(folder, names).start()
    try:
        one, verdicts1 = scale.run_plans(lab, names[:1], folder / "x1", None)
        two, verdicts2 = scale.run_plans(lab, names, folder / "x2", None)
        latency = scale.latency(lab, names[0], 10)
    finally:
        lab.stop()
    note = f"verdicts {', '.join(verdicts1 + verdicts2)}"
    return [fig("plan on 1 place", "s", [one], note=note),
            fig("plan on 2 places at once", "s", [two]),
            fig("2 places / 1 place", "x", [two / one]),
            fig("coordinator acquire", "ms", [v * 1e3 for v in latency["acquire"]])]


def part_c_firmware(ctx: Context) -> list[dict[str, Any]]:
    if not ctx.full:
        raise NotAvailable("opt-in (--full): builds the C example and runs three groups on "
                           "both firmwares")
    import c_firmware_speed
    from zapcharger import cabi

    lib = cabi.build_library([cabi.EXAMPLE], ctx.tmp / "libevse_example.so")
    py, c = [], []
    for _ in range(ctx.repeat):
        py.append(c_firmware_speed.run_once([])[1])
        c.append(c_firmware_speed.run_once(["--charger-set", f"firmware_entry=c:{lib}"])[1])
    return [fig("CP, TM, PP groups, Python firmware (CPU)", "s", py),
            fig("CP, TM, PP groups, C example (CPU)", "s", c)]


def part_outside(ctx: Context) -> list[dict[str, Any]]:
    if not ctx.full:
        raise NotAvailable("opt-in (--full): builds both wheels and a fresh venv")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / "outside_project.py")], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    setup = [float(line.split()[-2]) for line in proc.stdout.splitlines()
             if line.startswith("set-up")]
    if proc.returncode != 0 or not setup:
        raise RuntimeError(f"bench/outside_project.py failed:\n{proc.stdout}\n{proc.stderr}")
    return [fig("own project: set-up from the wheels", "s", setup, ("<=", 60.0)),
            fig("own project: set-up, plan and report", "s", [wall])]


def part_installation(ctx: Context) -> list[dict[str, Any]]:
    """The installation day (``bench/installation_day.py --json``): 100 stations on 63 A for a
    day with ``--full`` (judged against its targets: under 60 s of wall time, under 1 GiB);
    20 stations for 6 hours by default, 10 for an hour with ``--quick``."""
    script = HERE / "installation_day.py"
    if not script.exists():
        raise NotAvailable("the installation day has not landed")
    size = (["--stations", "100", "--day-s", "86400"] if ctx.full else
            ["--stations", "10", "--day-s", "3600"] if ctx.quick else
            ["--stations", "20", "--day-s", "21600"])
    runs = []
    for _ in range(1 if not ctx.full else ctx.repeat):
        proc = subprocess.run([sys.executable, str(script), *size, "--json"], cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"bench/installation_day.py failed:\n{proc.stdout}\n"
                               f"{proc.stderr}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    note = f"{size[1]} stations, {float(size[3]) / 3600:g} h of bench time"
    out = [fig("wall time", "s", [r["wall_s"] for r in runs],
               ("<=", 60.0) if ctx.full else None, note),
           fig("CPU time", "s", [r["cpu_s"] for r in runs]),
           fig("peak memory", "MiB", [r["peak_mib"] for r in runs],
               ("<=", 1024.0) if ctx.full else None),
           fig("fuse violations", "count", [r["fuse_violations"] for r in runs], ("<=", 0))]
    if all(r.get("fairness_mean") is not None for r in runs):
        out.append(fig("fairness (Jain), mean", "", [r["fairness_mean"] for r in runs]))
    return out


def part_composite(ctx: Context) -> list[dict[str, Any]]:
    if not ctx.full:
        raise NotAvailable("opt-in (--full): the CP, TM and PP groups on the EV emulator and "
                           "on the bench from common instruments, minutes")
    import composite_speed

    out = []
    for rig in ("rigs/emulator.yaml", "rigs/lab-composite.yaml"):
        wall, cpu, _ = composite_speed.run(rig)
        name = Path(rig).stem
        out += [fig(f"{name}: CP, TM, PP wall", "s", [wall]),
                fig(f"{name}: CPU", "s", [cpu])]
    return out


#: name -> (function, what it is, in the default run?)
PARTS: dict[str, tuple[Any, str, bool]] = {
    "plan": (part_plan, "the plan in virtual time", True),
    "floor": (part_floor, "bench time against its floor", True),
    "query": (part_query, "per exchange: driver stack vs pyvisa-py vs raw socket", True),
    "parser": (part_parser, "SCPI parser per command", True),
    "can": (part_can, "CAN frames through the DBC file (cantools)", True),
    "recording": (part_recording, "cost of recording", True),
    "report": (part_report, "compliance report build", True),
    "soak": (part_soak, "soak: charge cycles, growth", True),
    "eol": (part_eol, "EOL station, a few units (--full: 200)", True),
    "places": (part_places, "places in parallel (--full)", True),
    "c-firmware": (part_c_firmware, "C firmware behind the HAL (--full)", True),
    "outside": (part_outside, "own project from the wheels (--full)", True),
    "composite": (part_composite, "bench from common instruments (--full)", True),
    "installation": (part_installation, "the installation day (--full: 100 stations, a day)",
                     True),
}


def summarise(figure: dict[str, Any]) -> dict[str, Any]:
    """min/median/max and pass/fail (on the median) of a figure."""
    values = figure["values"]
    out = dict(figure, min=min(values), median=statistics.median(values), max=max(values),
               repeats=len(values))
    target = figure.get("target")
    if target is not None:
        op, limit = target
        out["pass"] = out["median"] <= limit if op == "<=" else out["median"] >= limit
    return out


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(),
            "python": platform.python_version(), "system": platform.platform(terse=True),
            "commit": commit}
