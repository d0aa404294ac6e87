"""Fixtures for the emulated bench's own tests: a running bench, raw-socket and VISA links.

The ``bench`` fixture runs the real charger firmware (``zapcharger:Firmware``, the default of
the profile) when it can be imported. Tests marked ``stub_firmware`` run against
:class:`StubFirmware` instead, a tiny deterministic stand-in: they check instrument readings
that need a charger doing something (PWM, a closed contactor, a load drawing current, output
events in the trace) and must not depend on the real charger's boot time, timing or soft start.
"""

from __future__ import annotations

import math
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the bench imports the stand-in firmware by its module path
    sys.path.insert(0, str(ROOT))

from rig.bench.host import BenchHost  # noqa: E402

STUB_ENTRY = "tests.bench.conftest:StubFirmware"
#: Duty cycle the stand-in advertises: 53.33 % = 32 A (IEC 61851-1 Table A.8).
STUB_DUTY = 53.33
#: Period of the stand-in's CAN status frame, s, and its identifier.
STUB_CAN_PERIOD_S = 1.0
STUB_CAN_ID = 0x101


class StubFirmware:
    """A minimal, deterministic charger behind the HAL.

    Powered while L1 is above 100 V. CP at +12 V; once the vehicle reads B, C or D it starts a
    53.33 % PWM and locks the socket; in C or D (with PWM) it closes the contactor at once.
    LED: off unpowered, green idle, blue with PWM, green flashing while the contactor is closed.
    Console: ``version`` -> ``stub-firmware 0.0`` and ``OK``; other lines -> ``ERR unknown``.
    CAN: one status frame (id 0x101, data = [state letter, contactor]) every second while
    powered.
    """

    def __init__(self, hal, profile):  # type: ignore[no-untyped-def]
        self.hal = hal
        self.profile = profile
        self.line = ""
        self.console_lines: list[str] = []
        self.can_frames: list[tuple[int, bytes]] = []
        self.since_frame = 0.0

    def powered(self) -> bool:
        return self.hal.supply_v[0] > 100.0

    def tick(self, dt: float) -> None:
        hal = self.hal
        if not self.powered():
            hal.cp_mode, hal.cp_static_v = "static", 0.0
            hal.contactor = hal.lock = False
            hal.led_colour, hal.led_pattern = "off", "solid"
            self.since_frame = 0.0
            return
        hal.cp_static_v = 12.0
        vehicle = 1.5 <= hal.cp_high_v < 10.5  # B, C or D
        if vehicle and hal.cp_mode != "pwm":
            hal.cp_mode, hal.cp_duty_pct = "pwm", STUB_DUTY
        elif not vehicle and hal.cp_mode == "pwm":
            hal.cp_mode = "static"
        pwm = hal.cp_mode == "pwm"
        hal.lock = pwm
        hal.contactor = pwm and 1.5 <= hal.cp_high_v < 7.5
        if hal.contactor:
            hal.led_colour, hal.led_pattern = "green", "flash"
        else:
            hal.led_colour, hal.led_pattern = ("blue" if pwm else "green"), "solid"
        self.since_frame += dt
        while self.since_frame >= STUB_CAN_PERIOD_S - 1e-9:
            self.since_frame -= STUB_CAN_PERIOD_S
            letter = "C" if hal.contactor else ("B" if pwm else "A")
            hal.can_tx(STUB_CAN_ID, bytes([ord(letter), int(hal.contactor)]))

    def next_event_in(self) -> float:
        if not self.powered():
            return math.inf  # nothing pending until the supply returns (the HAL contract)
        return max(STUB_CAN_PERIOD_S - self.since_frame, 0.0)

    def console_input(self, text: str) -> None:
        self.line += text
        while "\n" in self.line:
            line, self.line = self.line.split("\n", 1)
            line = line.strip()
            self.console_lines.append(line)
            if line == "version":
                self.hal.console_tx("stub-firmware 0.0\r\nOK\r\n")
            elif line:
                self.hal.console_tx("ERR unknown\r\n")

    def can_receive(self, arbitration_id: int, data: bytes) -> None:
        self.can_frames.append((arbitration_id, data))

    def ocpp_receive(self, text: str) -> None:
        pass

    def ocpp_connected(self, connected: bool) -> None:
        pass


def real_firmware_available() -> bool:
    try:
        from zapcharger import Firmware  # noqa: F401
    except ImportError:
        return False
    return True


# ---- links ---------------------------------------------------------------------------------


def socket_address(resource: str) -> tuple[str, int]:
    """``TCPIP0::127.0.0.1::5025::SOCKET`` -> ("127.0.0.1", 5025)."""
    parts = resource.split("::")
    assert parts[0].startswith("TCPIP") and parts[-1] == "SOCKET", resource
    return parts[1], int(parts[2])


class Link:
    """A raw-socket connection to one instrument: newline-terminated messages, exact bytes."""

    #: How long a reply may take. It bounds a wait for an event (the reply line), it is no
    #: speed limit: a BENCH:TIME:ADV of an hour of virtual time replies when the bench has
    #: computed that hour, seconds later with both CPUs busy (2 s timed out under load).
    TIMEOUT_S = 30.0

    def __init__(self, resource: str, timeout: float = TIMEOUT_S, token: str | None = None):
        self.resource = resource
        self.sock = socket.create_connection(socket_address(resource), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")
        if token is not None:  # the control port: show it the bench's token first
            assert self.query(f'BENCH:AUTH? "{token}"') == "1"

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_raw(self) -> bytes:
        """One reply line with its terminator, exactly as the instrument sent it."""
        return self.rfile.readline()

    def write(self, message: str, sync: bool = True) -> None:
        """Send one message; with ``sync``, wait until the instrument has executed it.

        Each instrument runs in its own server thread: without the ``*OPC?`` round trip a
        command on one link could still be pending while the next one on another link runs.
        """
        self.sock.sendall(message.encode("ascii") + b"\n")
        if sync:
            assert self.query("*OPC?") == "1"

    def query(self, message: str) -> str:
        self.sock.sendall(message.encode("ascii") + b"\n")
        line = self.rfile.readline()
        if not line:
            raise ConnectionError(f"{self.resource}: connection closed")
        assert line.endswith(b"\n"), line
        return line[:-1].decode("latin-1")

    def number(self, message: str) -> float:
        text = self.query(message)
        value = float(text)
        return math.inf if value >= 9.9e37 else value

    def error(self, query: str = "SYST:ERR?") -> tuple[int, str]:
        code, _, text = self.query(query).partition(",")
        return int(code.split(" ")[-1]), text.strip('"')  # after a header, if there is one

    def errors(self, query: str = "SYST:ERR?") -> list[int]:
        """Drain the error queue; return the codes (empty when there was no error)."""
        codes = []
        for _ in range(64):
            code, _ = self.error(query)
            if code == 0:
                return codes
            codes.append(code)
        raise AssertionError("error queue does not drain")

    def close(self) -> None:
        for closer in (self.rfile.close, self.sock.close):
            try:
                closer()
            except OSError:
                pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stub_firmware: run against the deterministic stand-in charger firmware")


def reset_bench(host: BenchHost, overrides: dict) -> None:
    """Return a shared bench to its start-up state without restarting its threads."""
    bench = host.bench
    with bench.lock:
        if host.overrides != overrides:
            host.apply_profile(overrides)
        for server in host.servers.values():
            server.fault.mode, server.fault.value = "NONE", 0.0
        for src in bench.sources.values():
            src.watchdog_on, src.watchdog_tripped, src.watchdog_delay_s = False, False, 5.0
        bench.ev.watchdog_tripped, bench.ev.watchdog_delay_s = False, 5.0
        bench.ev.load_a = [0.0, 0.0, 0.0]
        bench.cut_until = None
        bench.ambient_c = 25.0
        bench.rcd_sensor_ok = True
        bench.listeners.clear()
        if host.tag_board is not None:  # every tag off the reader, no arm jammed
            host.tag_board.stuck.clear()
            host.tag_board.slots[:] = [False] * len(host.tag_board.slots)
            bench.tag_uid = None
        for server in host.servers.values():
            device = server.device
            device.power_on()
        bench.changed()
        bench.trace.clear()


STUB_OVERRIDES = {"firmware_entry": STUB_ENTRY}


@pytest.fixture(scope="session")
def stub_host() -> Iterator[BenchHost]:
    """One virtual-clock bench with the stand-in firmware, shared by the tests that need it."""
    host = BenchHost(overrides=STUB_OVERRIDES).start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def real_host() -> Iterator[BenchHost]:
    """One virtual-clock bench with the real charger firmware (skips the test if none yet)."""
    if not real_firmware_available():
        pytest.skip("zapcharger.Firmware cannot be imported yet")
    host = BenchHost().start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> Iterator[BenchHost]:
    """A shared bench reset to its start-up state: the real firmware unless the test is
    marked ``stub_firmware`` (or the real firmware cannot be imported yet)."""
    if request.node.get_closest_marker("stub_firmware") or not real_firmware_available():
        host, overrides = request.getfixturevalue("stub_host"), STUB_OVERRIDES
    else:
        host, overrides = request.getfixturevalue("real_host"), {}
    reset_bench(host, overrides)
    yield host
    reset_bench(host, overrides)


@pytest.fixture
def links(bench: BenchHost) -> Iterator[dict[str, Link]]:
    """Raw-socket links to every instrument of ``bench``, opened on first use."""
    opened: dict[str, Link] = {}
    addresses = bench.addresses()

    class Links(dict):
        def __missing__(self, key: str) -> Link:
            link = Link(addresses[key], token=bench.token if key == "ctrl" else None)
            opened[key] = link
            self[key] = link
            return link

    yield Links()
    for link in opened.values():
        link.close()


@pytest.fixture(scope="session")
def visa_rm():  # type: ignore[no-untyped-def]
    import pyvisa

    rm = pyvisa.ResourceManager("@py")
    yield rm
    rm.close()


@pytest.fixture
def visa(bench: BenchHost, visa_rm):  # type: ignore[no-untyped-def]
    """Open a pyvisa ``@py`` session to an instrument of ``bench`` by key."""
    opened = []
    addresses = bench.addresses()

    def open_(key: str):  # type: ignore[no-untyped-def]
        inst = visa_rm.open_resource(
            addresses[key], read_termination="\n", write_termination="\n",
            timeout=int(Link.TIMEOUT_S * 1000),  # a bound on the reply, as for Link
        )
        if key == "ctrl":
            assert inst.query(f'BENCH:AUTH? "{bench.token}"') == "1"
        opened.append(inst)
        return inst

    yield open_
    for inst in opened:
        inst.close()
