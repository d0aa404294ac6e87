"""Fixtures for the OCPP tests: a central system, a scripted charge point, a linked bench.

``ScriptedChargePoint`` is the ``ocpp`` package's own ChargePoint used as a websocket client (in
its own thread and event loop), so the central system is tested against an independent OCPP
implementation rather than against itself. Waits here are in wall time, with short timeouts:
frames cross the loopback in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from rig.bench.host import BenchHost
from rig.dut.ocpp import CentralSystem
from rig.instruments.registry import open_instrument
from tests.bench.conftest import Link

CP_ID = "ZCS000001"


class _Client(ChargePoint):
    """Answers the central system's commands like a compliant charge point would."""

    silent = False  # never answer (to test the central system's timeout)

    @on(Action.reset)
    async def on_reset(self, type: str, **_: Any) -> Any:
        if self.silent:
            await asyncio.sleep(3600)
        return call_result.Reset(status="Accepted")

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, **_: Any) -> Any:
        return call_result.SetChargingProfile(status="Accepted")


class ScriptedChargePoint:
    """A charge point a test drives step by step through a synchronous API."""

    def __init__(self, url: str, cp_id: str = CP_ID, subprotocol: str | None = "ocpp1.6"):
        self.url, self.cp_id, self.subprotocol = url, cp_id, subprotocol
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.ws: ClientConnection | None = None
        self.cp: _Client | None = None

    def start(self) -> ScriptedChargePoint:
        self.thread.start()
        self.run(self._open())
        return self

    async def _open(self) -> None:
        protocols = [self.subprotocol] if self.subprotocol else None
        self.ws = await connect(self.url, subprotocols=protocols, proxy=None)  # type: ignore[list-item]
        self.cp = _Client(self.cp_id, self.ws)
        self.loop.create_task(self._serve(self.cp))

    @staticmethod
    async def _serve(cp: _Client) -> None:
        with contextlib.suppress(ConnectionClosed):
            await cp.start()

    def run(self, coro: Any, timeout: float = 5.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, payload: Any) -> Any:
        """Send a CALL; return the central system's result."""
        assert self.cp is not None
        return self.run(self.cp.call(payload))

    def send_raw(self, text: str) -> None:
        assert self.ws is not None
        self.run(self.ws.send(text))

    def stop(self) -> None:
        if not self.loop.is_running():
            return
        if self.ws is not None:
            self.run(self.ws.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def central() -> Iterator[CentralSystem]:
    server = CentralSystem().start()
    yield server
    server.stop()


@pytest.fixture
def client(central: CentralSystem) -> Iterator[ScriptedChargePoint]:
    cp = ScriptedChargePoint(central.url(CP_ID)).start()
    assert central.wait_connected(CP_ID, timeout=2)
    yield cp
    cp.stop()


class LinkedBench:
    """A bench whose charger's OCPP client points at a central system, with its instruments."""

    def __init__(self, host: BenchHost, central: CentralSystem):
        self.host, self.central = host, central
        addresses = host.addresses()
        self.ctrl = Link(addresses["ctrl"], token=host.token)
        self.ev = Link(addresses["ev"])
        self.ac = open_instrument("ASTERION", addresses["ac3"], "ac")

    def advance(self, seconds: float) -> None:
        self.ctrl.query(f"BENCH:TIME:ADV {seconds:g};*OPC?")

    def power_on(self, boot_s: float = 5.0) -> None:
        """Supply on and bench time past the boot."""
        self.ac.configure(230.0, 50.0, 40.0)
        self.ac.output_on()
        self.advance(boot_s + 0.5)

    def plug_and_charge(self, load_a: float = 16.0) -> None:
        """32 A cable, vehicle in B, then C with its load on; bench time until charging."""
        for phase in (1, 2, 3):
            self.ev.write(f"SOUR:LOAD:CURR{phase} {load_a:g}")
        self.ev.write("OUTP:LOAD ON")
        self.ev.write("SOUR:PP:RES 220")
        self.ev.write("SOUR:CP:STAT B")
        self.advance(1.0)
        self.ev.write("SOUR:CP:STAT C")
        self.advance(2.0)

    def close(self) -> None:
        for closer in (self.ac.close, self.ctrl.close, self.ev.close):
            closer()


@pytest.fixture
def linked(central: CentralSystem) -> Iterator[LinkedBench]:
    """A fresh bench (5 s boot) connected to ``central`` as ``ZCS000001``, not powered yet."""
    host = BenchHost(overrides={"boot.time_s": 5.0}, ocpp_url=central.url(CP_ID)).start()
    bench = LinkedBench(host, central)
    try:
        assert central.wait_connected(CP_ID, timeout=3), host.ocpp.last_error
        assert central.wait_until(lambda: host.ocpp.connected, 3)  # the firmware knows it too
        yield bench
    finally:
        bench.close()
        host.stop()
