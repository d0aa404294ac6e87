"""Faults that stop a unit at the station, each with a real ``rig eol`` subprocess against a
served emulated bench (``python -m rig.bench``: it outlives the station, so what the rig was
left in is asked on the bench's own control port afterwards, ``BENCH:SAFE?``):

* a unit taken off the fixture mid-test (``BENCH:FIXTURE:PULL`` right before the plug-in
  cycle): one message on the page and in the log, the attempt a rig error (never PASS, not
  counted), the measurements before it kept, the rig safe;
* Ctrl-C (SIGINT) while a unit is powered: the station stops (exit 130), the rig is safe, the
  attempt is recorded as interrupted (not PASS);
* the record store (PostgreSQL, through a TCP proxy the test pulls) going away mid-shift: the
  unit in test is not passed, its attempt is spooled (and its measurements are on disk), a scan
  while the store is away is refused with one message, and the spool is written once the store
  is back.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rig.records import RecordStore
from tests.safety.bench import ServedBench, serve_bench

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 300.0


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedBench]:
    served = serve_bench(tmp_path_factory.mktemp("bench"))
    yield served
    served.stop()


class StationProcess:
    """``rig eol`` reading a pty scanner, its output collected line by line."""

    def __init__(self, tmp: Path, bench: ServedBench, scanner_port: str, records: str,
                 *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
        env.update(bench.env)
        env["RIG_LOCK_DIR"] = str(tmp / "locks")
        self.reports = tmp / "rep"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rig.cli", "eol", "--scanner", scanner_port, "--records",
             records, "--emulate-units", "--reports-dir", str(self.reports), "--station", "s1",
             "--page-port", "0", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout),
                                        daemon=True)
        self._reader.start()
        self.wait_for("scan a unit's label")
        self.page = next(ln.split(": ", 1)[1].strip() for ln in self.lines
                         if ln.startswith("operator page: "))

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while what not in self.text:
            assert self.proc.poll() is None and time.monotonic() < deadline, self.text
            time.sleep(0.05)

    def state(self) -> dict:
        with urllib.request.urlopen(self.page.rstrip("/") + "/state", timeout=10) as reply:
            return json.loads(reply.read())

    def end(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._reader.join(timeout=5)


def energised(bench: ServedBench) -> bool:
    return "ac3 output on" in bench.unsafe_items()


def wait(predicate, what: str, station: StationProcess) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert station.proc.poll() is None and time.monotonic() < deadline, \
            f"not {what}:\n{station.text}"
        time.sleep(0.02)


def test_a_unit_taken_off_the_fixture_mid_test(tmp_path, bench, scanner):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    station = StationProcess(tmp_path, bench, scanner.port, url, "--plan-arg=-p",
                             "--plan-arg=tests.faults.inject", "--plan-arg=--rig-fault",
                             "--plan-arg=TM-02=pull:unit")
    scanner.scan("ZCS970101")
    station.wait_for("ZCS970101  ERROR")
    state = station.state()
    assert bench.safe() == (True, "1"), bench.unsafe_items()
    scanner.scan("quit")
    assert station.end() == 0, station.text
    text = station.text
    assert "taken off the fixture" in text and "stopped answering on its console" in text
    assert "ERROR rig.eol: unit ZCS970101: ERROR (rig_error)" in text  # the log
    assert state["verdict"] == "ERROR" and "taken off the fixture" in state["reason"], state
    assert state["counters"]["tested"] == 0 and state["counters"]["errors"] == 1
    with RecordStore(url) as store:
        (attempt,) = store.eol_attempts(serial="ZCS970101")
        measured = {m["requirement"] for m in store.measurements(attempt["run_id"])}
    assert (attempt["outcome"], attempt["disposition"]) == ("ERROR", "rig_error")
    assert "taken off the fixture" in attempt["reason"]
    assert {"ES-01", "ES-02", "ES-03", "CP-01", "PR-08", "ID-01"} <= measured  # kept


def test_ctrl_c_during_a_unit(tmp_path, bench, scanner):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    station = StationProcess(tmp_path, bench, scanner.port, url)
    scanner.scan("ZCS970201")
    wait(lambda: energised(bench), "powered", station)
    station.proc.send_signal(signal.SIGINT)
    assert station.end() == 130, station.text
    assert "interrupted; the rig was made safe" in station.text
    assert bench.safe() == (True, "1"), bench.unsafe_items()
    with RecordStore(url) as store:
        (attempt,) = store.eol_attempts(serial="ZCS970201")
        run = store.run(attempt["run_id"])
    assert (attempt["outcome"], attempt["disposition"]) == ("ERROR", "rig_error")
    assert "interrupted" in attempt["reason"] and run["status"] == "interrupted"


class Proxy:
    """A TCP forwarder to the database server: ``stop()`` is the store going away (the line's
    network or server), ``start()`` brings it back on the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        assert self.listener is not None
        self.listener.close()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.conns = []


def test_the_record_store_going_away_mid_shift(tmp_path, bench, scanner, postgres_url):
    url = sa.make_url(postgres_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    station = StationProcess(tmp_path, bench, scanner.port, through)
    try:
        scanner.scan("ZCS970301")  # the store is there: a normal unit
        station.wait_for("ZCS970301  PASS")
        scanner.scan("ZCS970302")
        wait(lambda: energised(bench), "powered", station)
        proxy.stop()  # the store goes away while the unit is tested
        station.wait_for("ZCS970302  ERROR")
        spooled = station.state()
        assert bench.safe() == (True, "1"), bench.unsafe_items()
        scanner.scan("ZCS970303")  # while it is away: not tested, one message
        station.wait_for("RIG ERROR")
        refused = station.state()
        proxy.start()
        scanner.scan("ZCS970302")  # back: the spool is written first, then the unit tested
        station.wait_for("ZCS970302  PASS")
        scanner.scan("quit")
        assert station.end() == 0, station.text
    finally:
        if station.proc.poll() is None:
            station.proc.kill()
        proxy.stop()
    text = station.text
    spool = station.reports / "s1" / "spool.jsonl"
    assert "ZCS970302: the record store is unreachable" in text and str(spool) in text
    assert "ZCS970302: the record store is unreachable" in spooled["message"], spooled
    assert spooled["verdict"] == "ERROR"
    assert "ZCS970303: not tested, the record store is unreachable" in refused["message"]
    assert "1 spooled attempt(s) written" in text
    assert not spool.exists()
    with RecordStore(postgres_url) as store:
        attempts = store.eol_attempts(serial="ZCS970302")
        assert not store.eol_attempts(serial="ZCS970303")
    assert [a["outcome"] for a in sorted(attempts, key=lambda a: a["started"])] == [
        "ERROR", "PASS"]
    first = min(attempts, key=lambda a: a["started"])
    assert "recorded late" in first["reason"] and first["disposition"] == "rig_error"
    # what was measured before the store went away is on disk, in the unit's folder
    verdicts = json.loads((station.reports / "s1" / "ZCS970302-1" / "verdicts.json")
                          .read_text())
    assert verdicts["requirements"]["ES-01"]["verdict"] == "PASS", verdicts["requirements"]
