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
    p.add_argument("--max-units", type=int, default=0, help="stop after this many scans "
                   "(0: until quit or Ctrl-C)")
    p.add_argument("--reports-dir", type=Path, default=None)
    p.set_defaults(func=run)


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
                           emulate_units=args.emulate_units)
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
    try:
        with Station(config, listeners) as station:
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
    return 0
