"""What recording costs: per recorded measurement, and on the wall time of the whole plan.

1. The store alone, default settings (SQLite in WAL mode, synchronous=NORMAL, a temporary
   folder): N measurements, each after L SCPI transcript lines, each committed at once as the
   plugin does. Prints the median time per measurement (with its lines) and per log line.
2. The certification plan against the emulated bench, run alternately with ``--no-records``
   and with recording, side by side in one run (median and fastest of ``--repeat`` runs each:
   the fastest is the least disturbed by other load on the machine).

Usage: python bench/record_cost.py [--items N] [--lines L] [--repeat R] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from plan_speed import run_once  # bench/ is the script's folder

from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordStore


def per_measurement(url: str, items: int, lines: int) -> tuple[float, float]:
    """Median seconds per committed measurement with ``lines`` transcript lines before it,
    and the same without lines (so the per-line cost can be told apart)."""
    with RecordStore(url) as store:
        run = store.start_run(plan="bench")
        results = []
        for n_lines in (lines, 0):
            times = []
            for i in range(items):
                entries = [(time.time(), "ev", ">", f"MEAS:CP:DCYC? {i}.{k}")
                           for k in range(n_lines)]
                m = Measurement("TM-02", "open_time", 0.05 + i * 1e-6, "s",
                                Limit("s", None, 0.1), 8.2e-7, "simple", Verdict.PASS,
                                bench_time=float(i), test="bench::record_cost",
                                data={"i": i})
                t0 = time.perf_counter()
                store.add_transcript_lines(run, entries)
                store.add_measurement(run, m)
                times.append(time.perf_counter() - t0)
            results.append(statistics.median(times))
        store.finish_run(run)
    return results[0], results[1]


def plan_side_by_side(repeat: int, folder: Path) -> None:
    url = f"sqlite:///{folder / 'plan-records.sqlite'}"
    plain, recorded = [], []
    summary: dict = {}
    for _ in range(repeat):  # alternate, so machine load hits both alike
        plain.append(run_once(["--no-records"])[0])
        wall, _, summary = run_once(["--records", url])
        recorded.append(wall)
    with RecordStore(url) as store:
        run = store.run("latest")
        rows = (len(store.measurements(run["id"])), len(store.transcript(run["id"])),
                len(store.console_log(run["id"])))
    executed = summary["total"] - summary["NOT_RUN"]
    print(f"\nplan testplans/iec61851 ({executed} requirements, verdict {summary['verdict']}), "
          f"{repeat} runs each, alternating:")
    print(f"  {'':8s} {'--no-records':>12s}   {'recording':>10s}   {'difference':>10s}")
    for label, how in (("median", statistics.median), ("fastest", min)):
        p, r = how(plain), how(recorded)
        print(f"  {label:8s} {p:10.2f} s   {r:8.2f} s   {r - p:+8.2f} s "
              f"({(r - p) / p * 100:+.1f} %)")
    print(f"  runs: no-records {', '.join(f'{w:.2f}' for w in plain)}; "
          f"recording {', '.join(f'{w:.2f}' for w in recorded)}")
    print(f"  one recorded run holds {rows[0]} measurements, {rows[1]} SCPI transcript "
          f"lines, {rows[2]} console lines")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500, help="measurements to insert")
    parser.add_argument("--lines", type=int, default=300,
                        help="transcript lines buffered before each measurement (default 300: "
                        "the plan on the emulated bench exchanges ~330 per measurement)")
    parser.add_argument("--repeat", type=int, default=3, help="plan runs with and without")
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure a PostgreSQL store (e.g. $RIG_TEST_POSTGRES_URL)")
    parser.add_argument("--no-plan", action="store_true", help="only the store figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores = [("SQLite (WAL, synchronous=NORMAL)", f"sqlite:///{tmp}/records.sqlite")]
        if args.postgres:
            stores.append(("PostgreSQL", args.postgres))
        print(f"cost per recorded measurement (median of {args.items}, each committed):")
        for label, url in stores:
            with_lines, bare = per_measurement(url, args.items, args.lines)
            per_line = (with_lines - bare) / args.lines if args.lines else 0.0
            print(f"  {label:34s} {bare * 1e3:7.3f} ms alone, {with_lines * 1e3:7.3f} ms with "
                  f"{args.lines} transcript lines ({per_line * 1e6:.1f} us per line)")
        if not args.no_plan:
            plan_side_by_side(args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
