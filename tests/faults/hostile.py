"""A pytest plugin for the framework's own tests: a colleague's script on every instrument.

Not part of any plan: a test of the framework loads it into a plan run it starts
(``pytest testplans/iec61851 -p tests.faults.hostile --hostile-period 0.5``). Once the rig is
open, a thread connects to every instrument the rig holds (its own TCP connections, exactly
like another program on the lab PC) and, every period of wall time, sends each one a write
that would spoil the run: ``SOUR:CP:STAT A`` to the EV emulator (the case that produced three
FAIL verdicts blamed on the charger), ``BENCH:SUPP:CUT 1`` to the bench control port, ``*RST``
to every other instrument. It never reads a reply, as a careless script would not. Once the
run's OCPP central system is up, it also tries to connect as the charger's charge point id
every period.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Generator
from typing import Any

import pytest
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect

from fixtures.ocpp import CSMS_KEY
from fixtures.plugin import RIG_KEY
from rig.dut.ocpp import SUBPROTOCOL

HOSTILE_KEY = pytest.StashKey["Hostile"]()
#: What the colleague's script sends, per rig role (``*RST`` to the others).
WRITES = {"ev": "SOUR:CP:STAT A", "bench": "BENCH:SUPP:CUT 1"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig-hostile", "a hostile second client (the framework's tests only)")
    group.addoption("--hostile-period", type=float, default=0.5, metavar="S",
                    help="wall seconds between two rounds of foreign writes")


class Hostile:
    """The other client: one TCP connection per instrument, a write on each every period."""

    def __init__(self, resources: dict[str, str], period_s: float, config: pytest.Config):
        self.period_s = period_s
        self.config = config
        self.ocpp_tries = 0
        self.socks: dict[str, socket.socket] = {}
        for role, resource in resources.items():
            _, host, port, _ = resource.split("::")
            self.socks[role] = socket.create_connection((host, int(port)), timeout=2)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hostile-client", daemon=True)

    def start(self) -> Hostile:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            for role, sock in self.socks.items():
                with contextlib.suppress(OSError):
                    sock.sendall((WRITES.get(role, "*RST") + "\n").encode("ascii"))
                    self.sent += 1
            csms = self.config.stash.get(CSMS_KEY, None)
            if csms is not None:
                self.ocpp_tries += 1
                with contextlib.suppress(OSError, InvalidHandshake, TimeoutError), \
                        connect(csms.url, subprotocols=[SUBPROTOCOL], open_timeout=3) as ws:
                    ws.close()  # it got in: the central system let it take over

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.socks.values():
            sock.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    config = item.config
    session = config.stash.get(RIG_KEY, None)
    if session is not None and HOSTILE_KEY not in config.stash:
        held = {**session.instruments, **({"bench": session.control} if session.control else {})}
        resources = {role: inst.resource for role, inst in held.items()}
        config.stash[HOSTILE_KEY] = Hostile(
            resources, config.getoption("hostile_period"), config).start()
    return (yield)


def pytest_unconfigure(config: pytest.Config) -> None:
    hostile = config.stash.get(HOSTILE_KEY, None)
    if hostile is not None:
        hostile.stop()
        print(f"hostile client: {hostile.sent} foreign writes sent, "
              f"{hostile.ocpp_tries} OCPP connections tried")
