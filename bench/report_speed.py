"""How long the compliance report of a full plan run takes to build (and to print to PDF).

1. Runs the whole certification plan ``--runs`` times against the emulated bench into a fresh
   SQLite store (a compliant charger, then slowly drifting TM-02 contactor times), and keeps
   each run's plots as artefacts the way the allure plugin does (``plots_for`` per test), so
   the report has what a nightly run gives it. ``--records URL`` reads an existing store
   instead.
2. Builds the report of the latest run ``--repeat`` times: with the trend section (one trend
   plot per numeric measurement over the runs), and without it (``--trend-runs 0``). Prints
   the median and fastest wall time, and the size.
3. With Chromium present, prints it to PDF once and prints that time and the page count.

Usage: python bench/report_speed.py [--runs N] [--repeat R] [--records URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from plan_speed import run_once  # bench/ is the script's folder

from rig.records import RecordStore
from rig.report.html import build_report
from rig.report.pdf import PdfError, find_chromium, print_pdf


def keep_plots(store: RecordStore, run: int) -> int:
    """Store the plots of each test as artefacts (what the allure plugin stores)."""
    from rig.report.plots import plots_for

    by_test: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in store.measurements(run):
        by_test.setdefault((m["test"], m["requirement"].split("-")[0]), []).append(m)
    count = 0
    for (test, group), measured in by_test.items():
        for name, png in plots_for(group, measured):
            store.add_artefact(run, name, png, "image/png",
                               requirement=measured[0]["requirement"], test=test)
            count += 1
    return count


def fill(url: str, runs: int) -> None:
    for i in range(runs):
        drift = f"timing.open_after_b_s={0.05 + 0.01 * i:.2f}"
        wall, _, summary = run_once(["--records", url, "--charger-set", drift])
        with RecordStore(url) as store:
            plots = keep_plots(store, store.run("latest")["id"])
        print(f"plan run {i + 1}/{runs}: {wall:.1f} s, {summary.get('verdict')}, "
              f"{plots} plots kept ({drift})")


def timed(store: RecordStore, repeat: int, trend_runs: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        html = build_report(store, "latest", trend_runs=trend_runs)
        times.append(time.perf_counter() - t0)
        size = len(html.encode())
    return times, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="full plan runs to record (3)")
    parser.add_argument("--repeat", type=int, default=3, help="report builds timed (3)")
    parser.add_argument("--records", metavar="URL", help="an existing store (no plan runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="report-speed-") as folder:
        url = args.records or f"sqlite:///{Path(folder) / 'records.sqlite'}"
        if not args.records:
            fill(url, args.runs)
        with RecordStore(url) as store:
            run = store.run("latest")
            measurements = len(store.measurements(run["id"]))
            images = len(store.artefacts(run["id"], content=False))
            print(f"report of run {run['id']}: {measurements} measurements, {images} "
                  f"artefacts, {len(store.runs(limit=1000))} run(s) in the store")
            for label, trend_runs in (("with trends", 10), ("without trends", 0)):
                times, size = timed(store, args.repeat, trend_runs)
                print(f"  {label:15s} median {statistics.median(times):.2f} s, fastest "
                      f"{min(times):.2f} s ({args.repeat} builds), {size / 1e6:.1f} MB")
            html = Path(folder) / "report.html"
            html.write_text(build_report(store, "latest"), encoding="utf-8")
        if find_chromium() is None:
            print("  PDF: no Chromium found, not timed")
            return 0
        t0 = time.perf_counter()
        try:
            pdf = print_pdf(html, html.with_suffix(".pdf"))
        except PdfError as exc:
            print(f"  PDF: {exc}")
            return 1
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
        print(f"  PDF (Chromium) {time.perf_counter() - t0:.2f} s, {pages} pages, "
              f"{pdf.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
