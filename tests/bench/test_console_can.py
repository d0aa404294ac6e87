"""The charger's own links on the bench: the console pseudo-terminal and the virtual CAN bus.

The stand-in firmware checks the plumbing (bytes in both directions, time stamps); the real
firmware (``zapcharger:Firmware``) checks that the charger the plans talk to answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import can
import pytest
import serial

from tests.bench.conftest import STUB_CAN_ID, real_firmware_available


@pytest.fixture
def console(bench) -> Iterator[serial.Serial]:
    port = serial.Serial(bench.addresses()["console"], 115200, timeout=1)
    port.reset_input_buffer()
    yield port
    port.close()


@pytest.fixture
def bus(bench) -> Iterator[can.BusABC]:
    bus = can.Bus(interface="virtual", channel=bench.addresses()["can_channel"])
    yield bus
    bus.shutdown()


def drain(bus: can.BusABC) -> list[can.Message]:
    frames = []
    while (msg := bus.recv(timeout=0.05)) is not None:
        frames.append(msg)
    return frames


def reply_lines(port: serial.Serial, limit: int = 20) -> list[str]:
    """Lines of one console reply up to ``OK``/``ERR``, without unsolicited ``# `` events."""
    lines = []
    for _ in range(limit):
        raw = port.readline()
        assert raw.endswith(b"\r\n"), f"console timed out after {lines!r}: {raw!r}"
        line = raw.decode().removesuffix("\r\n")
        if line.startswith("# "):
            continue
        lines.append(line)
        if line == "OK" or line.startswith("ERR"):
            return lines
    raise AssertionError(f"no OK/ERR in {lines!r}")


# ---- with the stand-in firmware ------------------------------------------------------------

stub = pytest.mark.stub_firmware


@stub
def test_console_round_trip(bench, console):
    console.write(b"version\n")
    assert console.readline() == b"stub-firmware 0.0\r\n"
    assert console.readline() == b"OK\r\n"
    console.write(b"ver")  # a line split over two writes
    console.write(b"sion\nbogus\n")
    assert reply_lines(console) == ["stub-firmware 0.0", "OK"]
    assert console.readline() == b"ERR unknown\r\n"
    assert bench.bench.firmware.console_lines[-3:] == ["version", "version", "bogus"]


@stub
def test_can_status_frames_follow_virtual_time(links, bus):
    ctrl = links["ctrl"]
    links["ac1"].write("VOLT 230;OUTP ON")
    drain(bus)
    t0 = float(ctrl.query("BENCH:TIME?"))
    ctrl.write("BENCH:TIME:ADV 3")
    frames = drain(bus)
    assert [(f.arbitration_id, bytes(f.data)) for f in frames] == [(STUB_CAN_ID, b"A\x00")] * 3
    assert [round(f.timestamp - t0, 6) for f in frames] == [1.0, 2.0, 3.0]
    assert not any(f.is_extended_id for f in frames)
    links["ev"].write("SOUR:CP:STAT C")
    ctrl.write("BENCH:TIME:ADV 1")
    assert [bytes(f.data) for f in drain(bus)] == [b"C\x01"]


@stub
def test_can_frames_reach_the_firmware(bench, bus):
    received = threading.Event()
    bench.bench.listeners.append(
        lambda: (0x201, b"\x10\x00") in bench.bench.firmware.can_frames and received.set())
    bus.send(can.Message(arbitration_id=0x201, data=b"\x10\x00", is_extended_id=False))
    assert received.wait(2.0)


@stub
def test_no_frames_without_supply(links, bus):
    drain(bus)
    links["ctrl"].write("BENCH:TIME:ADV 5")
    assert drain(bus) == []


# ---- with the real firmware ----------------------------------------------------------------

real = pytest.mark.skipif(not real_firmware_available(), reason="zapcharger.Firmware not ready")


@real
def test_real_firmware_console_version(links, console):
    links["ac1"].write("VOLT 230;OUTP ON")
    console.reset_input_buffer()
    console.write(b"version\n")
    lines = reply_lines(console)
    assert len(lines) == 2 and lines[1] == "OK", lines
    assert lines[0].strip()
    console.write(b"no-such-command\n")
    assert reply_lines(console)[-1].startswith("ERR")


@real
def test_real_firmware_can_status_frames(links, bus):
    ctrl = links["ctrl"]
    links["ac1"].write("VOLT 230;OUTP ON")
    drain(bus)
    t0 = float(ctrl.query("BENCH:TIME?"))
    ctrl.write("BENCH:TIME:ADV 5")
    frames = drain(bus)
    status = [f for f in frames if f.arbitration_id & 0xFF0 == 0x100]
    assert len(status) >= 4, frames
    assert all(t0 < f.timestamp <= t0 + 5 + 1e-9 for f in status)
    assert not any(f.is_extended_id for f in status)
