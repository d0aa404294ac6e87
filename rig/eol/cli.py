"""``rig eol``: run an end-of-line station until the shift ends.

    rig eol --keyboard --emulate-units              # the emulated bench; type serials
    rig eol --scanner /dev/ttyACM0 --printer tcp:192.168.10.40:9100 --lg-env rigs/line-1.yaml

Each line from the scanner (or the keyboard) is one of: a serial (``ZCS`` + 6 digits: the unit
on the fixture is tested), ``override <SUPERVISOR> <SERIAL>`` (a refused unit is let in once,
recorded), or ``quit``. Anything else is a bad scan: one message, nothing recorded.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from rig.eol.scanner import BadScan, KeyboardScanner, SerialScanner
from rig.eol.station import DEFAULT_RIG, Station, StationConfig, UnitResult
from rig.errors import RigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("eol", help="run a production end-of-line station (scan, test, record, "
                       "label)")
    p.add_argument("--lg-env", type=Path, default=DEFAULT_RIG, help="the rig file (default "
                   "rigs/emulator.yaml: the emulated bench, started by the station)")
    p.add_argument("--station", default=None, help="station name (default: the host name)")
    p.add_argument("--fixture", default="1", help="fixture (test socket) of the station")
    p.add_argument("--operator", default=None, help="operator name (default: the login)")
    p.add_argument("--records", default=None, help="record store URL (default "
                   "$RIG_RECORDS_URL, else reports/records.sqlite)")
    p.add_argument("--retests", type=int, default=1, help="a failing unit may be tested "
                   "again this many times, then it goes to repair (default 1)")
    p.add_argument("--printer", default=None, help="label printer: file:PATH or "
                   "tcp:HOST:PORT (raw ZPL, usually port 9100)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--scanner", default=None, help="barcode scanner's serial port")
    source.add_argument("--keyboard", action="store_true", help="serials typed (default)")
    p.add_argument("--emulate-units", action="store_true", help="emulated bench only: a "
                   "scanned serial places a unit with that serial on the bench")
    p.add_argument("--defect", action="append", default=[], metavar="SERIAL:KEY=VALUE",
                   help="emulated bench only: the unit SERIAL carries this profile defect")
    p.add_argument("--no-factory-jumper", dest="factory_jumper", action="store_false",
                   help="the fixture does not fit the factory jumper: units boot as in the "
                   "field (2-3 min each; emulated bench: placed units boot without it)")
    p.add_argument("--max-units", type=int, default=0, help="stop after this many scans "
                   "(0: until quit or Ctrl-C)")
    p.add_argument("--reports-dir", type=Path, default=None)
    p.add_argument("--plan-arg", action="append", default=[], metavar="ARG",
                   help="one more pytest argument for every unit's plan run (repeatable)")
    p.add_argument("--page-port", type=int, default=None, metavar="PORT",
                   help="serve the operator page on http://127.0.0.1:PORT/ (0: any free port)")
    p.set_defaults(func=run)


def calibration(rig_file: Path) -> list[dict[str, Any]]:
    """The calibration state of every instrument of the rig file, for the page."""
    import datetime as dt

    from rig.calibration import calibration_state
    from rig.labgrid import ScpiInstrument
    from rig.labgrid.loader import load_rig

    try:
        _, target = load_rig(rig_file)
    except Exception as exc:  # the page must not stop the station
        return [{"role": "rig file", "model": str(rig_file), "due": None,
                 "state": f"cannot read: {exc}"}]
    today = dt.date.today()
    out = []
    for res in target.resources:
        if isinstance(res, ScpiInstrument):
            state = calibration_state(res, today)
            out.append({"role": state.role, "model": state.model,
                        "due": state.due.isoformat() if state.due else None,
                        "state": state.state})
    return out


def _defects(items: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in items:
        serial, _, setting = item.partition(":")
        key, eq, value = setting.partition("=")
        if not (serial and key and eq):
            raise SystemExit(f"rig eol: --defect {item!r}: SERIAL:KEY=VALUE expected")
        out.setdefault(serial, {})[key] = value
    return out


def describe(result: UnitResult) -> str:
    head = f"{result.serial}  {result.outcome}"
    if result.outcome == "FAIL":
        head += f" ({result.disposition})"
    tail = [f"attempt {result.attempt}"] if result.attempt else []
    if result.bench_s is not None:
        tail.append(f"bench {result.bench_s:.1f} s")
    tail.append(f"wall {result.wall_s:.1f} s")
    lines = [f"{head}  [{', '.join(tail)}]"]
    lines += [f"    {a['requirement']}: {a['what']} -> {a['todo']}" for a in result.advice]
    if result.reason:
        lines.append(f"    {result.reason}")
    if result.label and not result.label.get("printed", True):
        lines.append(f"    LABEL NOT PRINTED: {result.label.get('error')}")
    return "\n".join(lines)


def run(args: argparse.Namespace, listeners: list[Any] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = StationConfig(fixture=args.fixture, rig_file=args.lg_env, records_url=args.records,
                           retests=args.retests, printer=args.printer,
                           emulate_units=args.emulate_units, plan_args=list(args.plan_arg),
                           factory_jumper=args.factory_jumper)
    if args.station:
        config.station = args.station
    if args.operator:
        config.operator = args.operator
    if args.reports_dir:
        config.reports_dir = args.reports_dir
    defects = _defects(args.defect)
    try:
        scanner: Any = SerialScanner(args.scanner) if args.scanner else KeyboardScanner()
    except Exception as exc:
        print(f"rig eol: cannot open the scanner {args.scanner}: {exc}", file=sys.stderr)
        return 2
    scans = 0
    page = None
    listeners = list(listeners or [])
    try:
        with Station(config, listeners) as station:
            if args.page_port is not None:
                from rig.eol.page import OperatorPage

                page = OperatorPage(config.station, config.fixture, config.operator,
                                    calibration(config.rig_file),
                                    station.store.url).start(args.page_port)
                station.listeners.append(page.on_event)
                print(f"operator page: {page.url}", flush=True)
            print(f"station {config.station}, fixture {config.fixture}, operator "
                  f"{config.operator}: scan a unit's label", flush=True)
            for line in scanner.lines():
                words = line.strip().split()
                if words == ["quit"]:
                    break
                scans += 1
                override = None
                if len(words) == 3 and words[0] == "override":
                    override, line = words[1], words[2]
                try:
                    result = station.test_unit(line, override_by=override,
                                               defects=defects.get(line.strip()))
                    print(describe(result), flush=True)
                except BadScan as exc:
                    print(f"BAD SCAN: {exc}", flush=True)
                except RigError as exc:
                    print(f"RIG ERROR (the unit was not judged): {exc}", flush=True)
                if args.max_units and scans >= args.max_units:
                    break
            print(f"shift: {station.counters}", flush=True)
    except RigError as exc:
        print(f"rig eol: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rig eol: interrupted; the rig was made safe", file=sys.stderr)
        return 130
    finally:
        scanner.close()
        if page is not None:
            page.stop()
    return 0


# ---- rig line yield | cpk -------------------------------------------------------------------
def add_line_parser(sub: Any) -> None:
    p = sub.add_parser("line", help="production line statistics from the record store: "
                       "yield, failures by requirement and hour, Cp/Cpk")
    line_sub = p.add_subparsers(dest="line_command", required=True)
    for name, help_text in (("yield", "first-pass and final yield, failures by requirement "
                             "and by hour"),
                            ("cpk", "Cp and Cpk of the key measurements, with histograms")):
        q = line_sub.add_parser(name, help=help_text)
        q.add_argument("--records", default=None, help="record store URL")
        q.add_argument("--station", default=None, help="one station only")
        q.add_argument("--hours", type=float, default=None, help="the last N hours only")
        if name == "cpk":
            q.add_argument("--plots", type=Path, default=None,
                           help="write a histogram against the limits per measurement here")
        q.set_defaults(func=run_line)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def run_line(args: argparse.Namespace) -> int:
    import time

    from rig.eol import stats
    from rig.records import RecordStore

    since = time.time() - args.hours * 3600 if args.hours else None
    try:
        store = RecordStore(args.records)
    except RigError as exc:
        print(f"rig line: {exc}", file=sys.stderr)
        return 2
    with store:
        if args.line_command == "yield":
            y = stats.yields(store, since, args.station)
            print(f"records: {store.display_url}")
            print(f"units judged: {y['units']} ({y['judged']} judged attempts, {y['refused']} "
                  f"refused, {y['rig_errors']} rig errors)")
            print(f"first-pass yield: {_pct(y['first_pass_yield'])} ({y['first_pass']}/"
                  f"{y['units']})   final yield: {_pct(y['final_yield'])} ({y['final_pass']}/"
                  f"{y['units']})")
            print("failures by requirement:")
            for rid, n in y["failures_by_requirement"].items():
                print(f"  {rid:7s} {n}")
            print("failures by hour:")
            for hour, n in y["failures_by_hour"].items():
                print(f"  {hour}  {n}")
            return 0
        print(f"records: {store.display_url}; Cpk shown from n >= {stats.MIN_SAMPLES} "
              "(Cp = (USL - LSL) / 6s, Cpk = min(USL - mean, mean - LSL) / 3s)")
        print(f"{'measurement':24s} {'n':>5s} {'mean':>12s} {'s':>10s} {'LSL':>8s} "
              f"{'USL':>8s} {'Cp':>6s} {'Cpk':>6s}  unit")
        for rid, name in stats.KEY_MEASUREMENTS:
            values, limits = stats.samples(store, rid, name, since, args.station)
            cap = stats.capability(values, limits["low"], limits["high"])

            def f(x: float | None, spec: str = ".4g") -> str:
                return "-" if x is None else format(x, spec)

            print(f"{rid + ' ' + name:24s} {cap['n']:5d} {f(cap['mean']):>12s} "
                  f"{f(cap['s']):>10s} {f(limits['low']):>8s} {f(limits['high']):>8s} "
                  f"{f(cap['cp'], '.2f'):>6s} {f(cap['cpk'], '.2f'):>6s}  "
                  f"{limits['unit'] or ''} {cap['why']}")
            if args.plots and values:
                args.plots.mkdir(parents=True, exist_ok=True)
                (args.plots / f"{rid}-{name}.png").write_bytes(
                    stats.histogram(values, limits, f"{rid} {name} (n = {len(values)})"))
    return 0
