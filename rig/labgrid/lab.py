"""A whole lab on one host: a labgrid coordinator, emulated benches, one exporter per bench and
one place per bench. ``rig lab serve`` runs it for people; the test suite and
``bench/scale.py`` start it themselves.

Everything is a real process: ``labgrid-coordinator`` on 127.0.0.1 (a free port, in its own
working directory, where it writes its state files ``places.yaml`` and ``resources.yaml``),
``python -m rig.bench`` per bench (virtual clock, CAN on a private channel) and
``python -m rig.labgrid.exporter`` per bench, exporting ``rigs/places/exporter-emulator.yaml``
as the group ``<place>``; the place ``<place>`` matches ``<exporter>/<place>/*/*``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.bench.process import start_bench_process
from rig.errors import RigError

ROOT = Path(__file__).resolve().parents[2]
EXPORTER_CONFIG = ROOT / "rigs" / "places" / "exporter-emulator.yaml"
PLACE_RIG = ROOT / "rigs" / "place.yaml"
#: How long a coordinator or an exporter may take to come up, s.
START_TIMEOUT_S = 60.0


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def tool(name: str) -> str:
    """A console script of this venv (labgrid-coordinator), else from the PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise RigError(f"{name} not found (pip install labgrid)")
    return found


@dataclass
class Place:
    name: str
    exporter: str
    bench: subprocess.Popen[str]
    exporter_proc: subprocess.Popen[str]
    bench_env: dict[str, str]


@dataclass
class LocalLab:
    folder: Path
    place_names: list[str]
    host: str = "127.0.0.1"
    bench_args: tuple[str, ...] = ()
    address: str = ""
    coordinator: subprocess.Popen[str] | None = None
    places: dict[str, Place] = field(default_factory=dict)
    _files: list[Any] = field(default_factory=list)

    def client_env(self, place: str) -> dict[str, str]:
        """What a plan run needs to use ``place`` with ``--lg-env rigs/place.yaml``."""
        return {"LG_COORDINATOR": self.address, "LG_PLACE": place}

    # ---- life cycle ------------------------------------------------------------------------
    def start(self) -> LocalLab:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._start_coordinator()
            for name in self.place_names:
                self._start_place(name)
            self._create_places()
        except BaseException:
            self.stop()
            raise
        return self

    def _log(self, name: str) -> Any:
        handle = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed in stop())
        self._files.append(handle)
        return handle

    def _start_coordinator(self) -> None:
        port = free_tcp_port(self.host)
        self.address = f"{self.host}:{port}"
        # its state files (places.yaml, resources.yaml) land in its working directory, and a
        # coordinator reads them back when it starts: a fresh directory, or yesterday's places
        # and exporters' resources come back
        workdir = self.folder / "coordinator"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        self.coordinator = subprocess.Popen(
            [tool("labgrid-coordinator"), "--listen", self.address], cwd=workdir,
            stdout=self._log("coordinator"), stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection((self.host, port), 0.5):
                return
            if self.coordinator.poll() is not None or time.monotonic() > deadline:
                raise RigError(f"labgrid-coordinator did not start on {self.address}: "
                               f"{(self.folder / 'coordinator.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def _start_place(self, name: str) -> None:
        bench, bench_env = start_bench_process(self.folder / f"bench-{name}.env",
                                               *self.bench_args, cwd=ROOT)
        exporter = f"exporter-{name}"
        env = {**os.environ, **bench_env, "RIG_PLACE": name}
        proc = subprocess.Popen(
            [sys.executable, "-m", "rig.labgrid.exporter", "--coordinator", self.address,
             "--name", exporter, "--hostname", self.host, str(EXPORTER_CONFIG)],
            cwd=ROOT, env=env, stdout=self._log(exporter), stderr=subprocess.STDOUT, text=True)
        self.places[name] = Place(name, exporter, bench, proc, bench_env)

    def _create_places(self) -> None:
        from rig.labgrid.places import Coordinator

        coord = Coordinator(self.address)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            for place in self.places.values():
                while not coord.session.resources.get(place.exporter, {}).get(place.name):
                    if place.exporter_proc.poll() is not None or time.monotonic() > deadline:
                        log = (self.folder / f"{place.exporter}.log").read_text()[-3000:]
                        raise RigError(f"exporter {place.exporter} did not export {place.name}:"
                                       f"\n{log}")
                    time.sleep(0.1)
                    coord.sync()
                coord.create_place(place.name, [f"{place.exporter}/{place.name}/*/*"],
                                   {"bench": "emulated", "name": place.name})
        finally:
            coord.close()

    def stop(self) -> None:
        procs = [p for place in self.places.values() for p in (place.exporter_proc, place.bench)]
        procs += [self.coordinator] if self.coordinator is not None else []
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self.places.clear()
        self.coordinator = None
        for handle in self._files:
            handle.close()
        self._files.clear()


def add_parser(sub: Any) -> None:
    lab = sub.add_parser("lab", help="a whole lab on this host: labgrid coordinator, emulated "
                         "benches, their exporters and places")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    serve = lab_sub.add_parser("serve", help="start it and print how to run plans on the places "
                               "(Ctrl-C stops everything)")
    serve.add_argument("--places", nargs="+", default=["rig-a", "rig-b"], metavar="NAME",
                       help="one emulated bench and place per name (default rig-a rig-b)")
    serve.add_argument("--dir", default=None, metavar="DIR",
                       help="where logs, bench env files and the coordinator's state go "
                       "(default: a new temporary directory)")
    lab.set_defaults(func=serve_lab)


def serve_lab(args: Any) -> int:
    import signal
    import tempfile
    import threading

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="rig-lab-"))
    lab = LocalLab(folder, list(args.places))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        lab.start()
    except RigError as exc:
        print(f"rig lab serve: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"labgrid coordinator on {lab.address} (state and logs in {folder})")
        for name, place in lab.places.items():
            print(f"  place {name}: exporter {place.exporter}, bench pid {place.bench.pid}")
        print("run the plan on a place (one shell per place, all at once if you like):")
        for name in lab.places:
            print(f"  LG_COORDINATOR={lab.address} LG_PLACE={name} .venv/bin/pytest "
                  f"testplans/iec61851 --lg-env rigs/place.yaml --reports-dir reports/{name}")
        print(f"look at them: .venv/bin/labgrid-client -x {lab.address} places   (Ctrl-C stops "
              "the lab)")
        sys.stdout.flush()
        stop.wait()
    finally:
        lab.stop()
    return 0
