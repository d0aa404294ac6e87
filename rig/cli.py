"""``rig``: the project's one command line. It wraps nothing pytest already does well.

Plans run with plain pytest (``pytest testplans/iec61851``). ``rig`` adds what is not a test:
serving the emulated bench to other processes (``rig bench serve``), the record store's runs
(``rig runs``), checking a rig before a run (``rig doctor``), the rig locks (``rig lock``), the
compliance report of a run (``rig report``), a requirement across runs (``rig trend``), two
runs compared for CI (``rig compare``), the charger builds of the nightly matrix (``rig
build``), a lab of labgrid places on this host (``rig lab serve``) and the production
end-of-line station (``rig eol``, ``rig.eol``) with its line statistics (``rig line``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _bench_serve(args: argparse.Namespace) -> int:
    from zapcharger.profile import ProfileError, parse_override

    from rig.bench.bench import BenchError
    from rig.bench.host import BenchHost
    from rig.bench.process import write_env_file

    try:
        overrides = dict(parse_override(item) for item in args.set)
        host = BenchHost(
            profile_path=args.profile,
            overrides=overrides,
            clock=args.clock,
            can_interface=args.can_interface,
            can_channel=args.can_channel,
            ocpp_url=args.ocpp_url,
            relay_board=args.relay_board,
        ).start()
    except ProfileError as exc:
        print(f"rig bench serve: {exc}", file=sys.stderr)
        return 2
    except BenchError as exc:  # the firmware the profile names cannot be loaded or started
        print(f"rig bench serve: cannot start the bench: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"rig bench serve: cannot start the bench: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())  # host.stop() below: ends within a second
    addresses = host.addresses()
    environment = host.environment()
    if args.addresses:
        Path(args.addresses).write_text(json.dumps(addresses, indent=2) + "\n")
    if args.env_file:
        write_env_file(args.env_file, environment)
    if args.print_env:
        for key, value in environment.items():
            print(f"export {key}={shlex.quote(value)}")
    else:
        print(f"emulated bench running ({args.clock} clock); Ctrl-C stops it")
        for key, value in addresses.items():
            print(f"  {key:14s} {value}")
        print("use it from another shell: start this with --env-file FILE, `source FILE`, then "
              "pytest testplans/iec61851 --lg-env rigs/emulator.yaml")
    sys.stdout.flush()
    try:
        stop.wait()
    finally:
        host.stop()
    # Everything is closed: end now. The interpreter's own teardown of the modules the bench
    # imported took half a second on a busy machine, and SIGTERM must end it within one.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _runs(args: argparse.Namespace) -> int:
    from rig.records.listing import RecordsError, list_runs

    try:
        print(list_runs(args.records or os.environ.get("RIG_RECORDS_URL"), args.limit))
    except RecordsError as exc:
        print(f"rig runs: {exc}", file=sys.stderr)
        return 2
    return 0


def _lock(args: argparse.Namespace) -> int:
    from rig.errors import RigError
    from rig.locks import clear_lock, clear_stale, format_locks, list_locks, lock_dir

    directory = lock_dir()
    if args.lock_command == "list":
        print(format_locks(list_locks(directory), directory))
        return 0
    if args.stale == bool(args.key):
        print("rig lock clear: give a KEY (see `rig lock list`) or --stale", file=sys.stderr)
        return 2
    try:
        lines = clear_stale(directory) if args.stale else [
            clear_lock(args.key, directory, force=args.force)]
    except RigError as exc:
        print(f"rig lock clear: {exc}", file=sys.stderr)
        return 1
    for line in lines or ["no stale locks"]:
        print(line)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from rig.doctor import run_doctor

    return run_doctor(args.lg_env, power=args.power)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rig", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="the built-in emulated bench")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    serve = bench_sub.add_parser(
        "serve", help="run the emulated bench as a standalone process and print its addresses"
    )
    serve.add_argument("--clock", choices=("virtual", "realtime"), default="realtime",
                       help="realtime: 1:1 with the wall clock (default, for external clients); "
                       "virtual: time moves only on BENCH:TIME:ADV")
    serve.add_argument("--profile", metavar="FILE", help="charger profile merged over the default")
    serve.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                       help="override one charger profile key (repeatable)")
    serve.add_argument("--can-interface", default="udp_multicast",
                       help="python-can interface the charger's CAN uses (default udp_multicast, "
                       "which crosses processes; 'virtual' works inside one process only)")
    serve.add_argument("--can-channel", default=None,
                       help="CAN channel; for udp_multicast '<IPv4 group>:<port>' (default: a "
                       "private group and port of its own, so benches never hear each other; "
                       "a group without a port is python-can's shared port 43113)")
    serve.add_argument("--ocpp-url", metavar="URL",
                       help="the charger's OCPP central system, e.g. ws://127.0.0.1:9000/ZCS000001 "
                       "(or later: BENCH:OCPP:URL on the control port)")
    serve.add_argument("--relay-board", action="store_true",
                       help="also serve the Modbus TCP relay board of a bench built from common "
                       "instruments (LG_BENCH_RELAY; rigs/lab-composite.yaml)")
    serve.add_argument("--addresses", metavar="FILE", help="also write the addresses as JSON")
    serve.add_argument("--env-file", metavar="FILE",
                       help="also write `export LG_BENCH_...` lines for rigs/emulator.yaml")
    serve.add_argument("--print-env", action="store_true",
                       help="print only the `export LG_BENCH_...` lines")
    serve.set_defaults(func=_bench_serve)

    runs = sub.add_parser("runs", help="the runs in the record store, newest first")
    runs.add_argument("--records", metavar="URL",
                      help="the store (default $RIG_RECORDS_URL, else reports/records.sqlite)")
    runs.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    runs.set_defaults(func=_runs)

    lock = sub.add_parser(
        "lock", help="exclusive use of rigs: who holds what ($RIG_LOCK_DIR, default "
        "~/.cache/evse-rig/locks)")
    lock_sub = lock.add_subparsers(dest="lock_command", required=True)
    lock_sub.add_parser("list", help="every lock file: key, held or stale, and its holder")
    clear = lock_sub.add_parser(
        "clear", help="remove a lock file; a crashed run's lock blocks nobody (the kernel "
        "released it), this only tidies up")
    clear.add_argument("key", nargs="?", help="the key (or file name) `rig lock list` shows")
    clear.add_argument("--stale", action="store_true",
                       help="remove every lock whose holder process is gone")
    clear.add_argument("--force", action="store_true",
                       help="remove KEY even though a live process holds it")
    lock.set_defaults(func=_lock)

    doctor = sub.add_parser(
        "doctor", help="check a rig before a run: instruments, identities, errors, calibration, "
        "the charger's console and CAN; prints what is wrong and how to fix it")
    doctor.add_argument("--lg-env", metavar="FILE", default=None,
                        help="the rig file (default ./rigs/emulator.yaml, else the built-in "
                        "bench's; its in-process bench is started for the check)")
    doctor.add_argument("--power", action="store_true",
                        help="switch the charger on through the AC source to check its console "
                        "and CAN (watchdogs armed; the rig is made safe again after)")
    doctor.set_defaults(func=_doctor)

    from rig.report.commands import add_parsers as add_report_parsers

    add_report_parsers(sub)  # rig report, rig trend
    from rig.compare import add_parser as add_compare_parser

    add_compare_parser(sub)  # rig compare
    from rig.builds import add_parser as add_build_parser

    add_build_parser(sub)  # rig build list|args|check
    from rig.labgrid.lab import add_parser as add_lab_parser

    add_lab_parser(sub)  # rig lab serve
    from rig.eol.cli import add_line_parser
    from rig.eol.cli import add_parser as add_eol_parser

    add_eol_parser(sub)  # rig eol
    add_line_parser(sub)  # rig line yield|cpk
    return parser


def commands() -> list[str]:
    """Every sub-command (``bench serve``, ``lock list``, ...), for help and the door's tests."""
    out: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out.append(" ".join(prefix))
        for action in subs:
            for name, child in action.choices.items():
                walk(child, [*prefix, name])

    walk(build_parser(), [])
    return out


def main(argv: list[str] | None = None) -> int:
    """Bad input (argparse's own checks, then ``rig.door``) is exit 2 with one message naming
    the option, file, key or variable; nothing is started before it is through."""
    from rig.door import check_command
    from rig.errors import ConfigError

    args = build_parser().parse_args(argv)
    func: Any = args.func
    try:
        check_command(args)
        return int(func(args) or 0)
    except ConfigError as exc:
        name = " ".join(n for n in (args.command, getattr(args, "bench_command", None),
                                    getattr(args, "lock_command", None),
                                    getattr(args, "build_command", None),
                                    getattr(args, "lab_command", None),
                                    getattr(args, "line_command", None)) if n)
        print(f"rig {name}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
