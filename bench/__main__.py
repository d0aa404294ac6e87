"""One benchmark command: every figure of the project side by side, with min/median/max over
repeats, each next to its target with pass/fail; also written as JSON under reports/bench/.

    python -m bench                   # the default parts, 3 repeats (a few minutes on 2 cores)
    python -m bench --quick           # a smoke run: 1 repeat, small counts
    python -m bench --full            # also the opt-in parts (places, C firmware, own project)
    python -m bench --parts query,parser --json /tmp/bench.json

The parts (``bench/parts.py``) call today's bench scripts, which still run alone. A part whose
feature has not landed prints "not available" with the reason, never a made-up figure. Every
figure's target is judged on its median. Exit status 1 if a figure misses its target or a
part failed (a benchmark that cannot run is not a pass), else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parts import PARTS, ROOT, Context, NotAvailable, machine, summarise


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(result: dict[str, Any]) -> list[str]:
    """The one table: part, figure, min/median/max, unit, target, pass."""
    rows = [("part", "figure", "min", "median", "max", "unit", "target", "")]
    for part in result["parts"]:
        if part["status"] != "ok":
            rows.append((part["name"], part["status"] + (f": {part['reason']}"
                                                         if part.get("reason") else ""),
                         "", "", "", "", "", ""))
            continue
        for i, f in enumerate(part["figures"]):
            target = f"{f['target'][0]} {_num(f['target'][1])}" if "target" in f else "-"
            verdict = "" if "pass" not in f else ("pass" if f["pass"] else "FAIL")
            rows.append((part["name"] if i == 0 else "", f["name"], _num(f["min"]),
                         _num(f["median"]), _num(f["max"]), f["unit"], target, verdict))
    widths = [max(len(r[k]) for r in rows if not (r[2] == "" and k == 1 and r is not rows[0]))
              for k in range(len(rows[0]))]
    lines = []
    for r in rows:
        if r[2] == "" and r is not rows[0]:  # a part without figures: one wide cell
            lines.append(f"{r[0]:<{widths[0]}}  {r[1]}")
            continue
        lines.append("  ".join(f"{c:<{w}}" if k < 2 or k == 5 else f"{c:>{w}}"
                               for k, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
    return lines


def groups_table(groups: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'group':6s} {'bench':>9s} {'floor':>9s}"]
    for g, v in groups.items():
        lines.append(f"{g:6s} {v['bench_s']:8.1f}s {v['floor_s']:8.1f}s")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: 1 repeat, small counts")
    ap.add_argument("--full", action="store_true", help="also the opt-in parts (minutes)")
    ap.add_argument("--repeat", type=int, default=None, help="repeats (default 3, --quick 1)")
    ap.add_argument("--parts", default=None,
                    help=f"comma-separated subset of: {', '.join(PARTS)}")
    ap.add_argument("--json", type=Path, default=None,
                    help="where the JSON goes (default reports/bench/bench-<time>.json and "
                    "reports/bench/latest.json)")
    args = ap.parse_args(argv)
    names = list(PARTS) if not args.parts else [p.strip() for p in args.parts.split(",")]
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; the parts are: {', '.join(PARTS)}")
    repeat = args.repeat or (1 if args.quick else 3)
    ctx = Context(quick=args.quick, full=args.full, repeat=repeat, selected=set(names))
    started = time.time()
    load_before = os.getloadavg()
    result: dict[str, Any] = {
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(), "settings": {"quick": args.quick, "full": args.full,
                                           "repeat": repeat, "parts": names},
        "load_average_before": [round(v, 2) for v in load_before], "parts": [],
    }
    ok = True
    try:
        for name in names:
            func, what, _ = PARTS[name]
            print(f"[bench] {name}: {what} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            entry: dict[str, Any] = {"name": name, "what": what}
            try:
                entry["figures"] = [summarise(f) for f in func(ctx)]
                entry["status"] = "ok"
                ok &= all(f.get("pass", True) for f in entry["figures"])
            except NotAvailable as exc:
                entry.update(status="not available", reason=str(exc))
            except Exception as exc:  # a part that breaks is reported, the others still run
                entry.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
                ok = False
            entry["wall_s"] = round(time.perf_counter() - t0, 2)
            result["parts"].append(entry)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    result["groups"] = ctx.shared.get("groups", {})
    result["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    result["wall_s"] = round(time.time() - started, 1)
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, commit "
          f"{m['commit']}; load average {load_before[0]:.1f} before, "
          f"{result['load_average_after'][0]:.1f} after; {result['wall_s']:.0f} s")
    for line in table(result):
        print(line)
    if result["groups"]:
        print("\nbench time per group (the last plain plan run) against the floor:")
        for line in groups_table(result["groups"]):
            print(line)
    paths = [args.json] if args.json else [
        ROOT / "reports" / "bench" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json",
        ROOT / "reports" / "bench" / "latest.json"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1))
    print(f"json: {', '.join(str(p) for p in paths)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
