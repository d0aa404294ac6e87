"""``rig report`` and ``rig trend``: the compliance report and a requirement's values across runs.

Kept out of ``rig/cli.py`` so the command line itself stays a table of subcommands; both read
the record store only (``--records URL``, default ``$RIG_RECORDS_URL``, else
``reports/records.sqlite``) and write under ``reports/`` unless told otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any


def _store_url(url: str | None) -> tuple[str, str | None]:
    """(url, problem): a SQLite file that does not exist is a problem, not a new empty store."""
    import sqlalchemy as sa

    from rig.records import default_url

    url = url or os.environ.get("RIG_RECORDS_URL") or default_url()
    try:
        parsed = sa.make_url(url)
    except Exception:  # RecordStore names what is wrong with it
        return url, None
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(
            parsed.database).exists():
        return url, f"no records yet: {parsed.database} does not exist"
    return url, None


def reports_dir() -> Path:
    from rig.records.engine import repo_root

    return repo_root() / "reports"


def report(args: argparse.Namespace) -> int:
    """Write the HTML report of one run (and its PDF with ``--pdf``); print the path(s)."""
    from rig.records import RecordsError, RecordStore, RunNotFound
    from rig.report.html import build_report, default_path

    url, problem = _store_url(args.records)
    if problem:
        print(f"rig report: {problem}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with RecordStore(url) as store:
            run = store.run(args.run)
            html = build_report(store, run["id"], trend_runs=args.trend_runs)
    except (RecordsError, RunNotFound) as exc:
        print(f"rig report: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else default_path(run, reports_dir())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(out)
    print(f"report of run {run['id']} ({run['uuid']}) built in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not args.pdf:
        return 0
    from rig.report.pdf import PdfError, print_pdf

    try:
        print(print_pdf(out, out.with_suffix(".pdf")))
    except PdfError as exc:
        print(f"rig report: no PDF written: {exc} (the HTML report is written: {out})",
              file=sys.stderr)
        return 1
    return 0


def _png_paths(out: str | None, requirement: str, names: list[str]) -> dict[str, Path]:
    """Where each measurement name's plot goes: ``--out`` as given for one name, with the
    name added to the file stem for several; ``reports/trend-<id>[-<name>].png`` by default."""
    safe = {n: re.sub(r"[^A-Za-z0-9_.-]+", "_", n) for n in names}
    if out:
        base = Path(out)
        if len(names) == 1:
            return {names[0]: base}
        return {n: base.with_name(f"{base.stem}-{safe[n]}{base.suffix or '.png'}")
                for n in names}
    folder = reports_dir()
    if len(names) == 1:
        return {names[0]: folder / f"trend-{requirement}.png"}
    return {n: folder / f"trend-{requirement}-{safe[n]}.png" for n in names}


def trend(args: argparse.Namespace) -> int:
    """Print a requirement's values across runs (oldest first) and plot them."""
    from rig.records import RecordsError, RecordStore, safe_url
    from rig.report import trends

    url, problem = _store_url(args.records)
    if problem:
        print(f"rig trend: {problem}", file=sys.stderr)
        return 2
    rid = args.requirement
    try:
        with RecordStore(url) as store:
            plan = args.plan or trends.plan_of_latest(store, rid)
            runs = trends.history_runs(store, plan, limit=args.limit)
            points = trends.values(store, runs, rid, args.name)
    except RecordsError as exc:
        print(f"rig trend: {exc}", file=sys.stderr)
        return 2
    if not points:
        what = f"{rid} {args.name}" if args.name else rid
        print(f"rig trend: no measurement of {what} in {safe_url(url)}"
              + (f" (plan {plan!r})" if plan else ""), file=sys.stderr)
        return 1
    print(f"records: {safe_url(url)}")
    print(f"plan: {plan or '-'} (last {len(runs)} run(s), oldest first)")
    print(trends.format_table(points))
    return _plots(args, rid, points)


def _plots(args: argparse.Namespace, rid: str, points: list[dict[str, Any]]) -> int:
    from rig.report import trends

    grouped = trends.series(trends.worst_per_run(points))
    if not grouped:
        print("no numeric values: nothing to plot")
        return 0
    paths = _png_paths(args.out, rid, [name for _, name in grouped])
    for (_, name), series in grouped.items():
        several = any(p["points"] > 1 for p in series)
        title = f"{rid} {name}" + (" (worst test point per run)" if several else "")
        png = trends.trend_png(series, title, series[-1]["unit"] or "")
        if png is None:
            print("no plot written: plotting needs matplotlib and rig.report.plots",
                  file=sys.stderr)
            return 0
        path = paths[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        print(f"plot: {path}")
    return 0


def add_parsers(sub: Any) -> None:
    """The ``report`` and ``trend`` subcommands of ``rig``."""
    records_help = "the store (default $RIG_RECORDS_URL, else reports/records.sqlite)"
    rep = sub.add_parser(
        "report", help="the compliance test report of a run: one self-contained HTML file "
        "(and a PDF with --pdf) from the record store alone")
    rep.add_argument("run", nargs="?", default="latest",
                     help="run id, UUID or 'latest' (default; see `rig runs`)")
    rep.add_argument("--records", metavar="URL", help=records_help)
    rep.add_argument("--out", metavar="FILE",
                     help="the HTML file (default reports/report-<run uuid>.html)")
    rep.add_argument("--pdf", action="store_true",
                     help="also print it to PDF next to the HTML (needs Chromium)")
    rep.add_argument("--trend-runs", type=int, default=10, metavar="N",
                     help="runs of the same plan in the trend section (default 10; 0: none)")
    rep.set_defaults(func=report)

    tr = sub.add_parser(
        "trend", help="a requirement's measured values across runs, oldest first, as a table "
        "and a PNG plot")
    tr.add_argument("requirement", metavar="REQ-ID", help="e.g. TM-02")
    tr.add_argument("--name", help="one measurement name of the requirement (default: all)")
    tr.add_argument("--records", metavar="URL", help=records_help)
    tr.add_argument("--limit", type=int, default=50, metavar="N",
                    help="the last N runs of the plan (default 50)")
    tr.add_argument("--plan", help="the plan (default: that of the newest run measuring "
                    "REQ-ID)")
    tr.add_argument("--out", metavar="FILE.png",
                    help="the plot (default reports/trend-<REQ-ID>.png; with several "
                    "measurement names, the name is added to the file name)")
    tr.set_defaults(func=trend)


__all__ = ["add_parsers", "report", "trend"]
