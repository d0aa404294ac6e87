"""A charger whose links misbehave: garbled or silent console, bad CAN frames, malformed OCPP.

The bench breaks the links between the firmware and the rig (``BENCH:FAULT:CONSOLE|CAN|OCPP``);
the rig's clients must keep going where they can (skip and count what they cannot parse) and
fail with a clear ChargerLinkError where they cannot (a console that does not answer).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import can
import pytest
import serial

from rig.bench.host import BenchHost, noise_line
from rig.dut.can import ChargerCan
from rig.dut.console import ChargerConsole, ConsoleCommandError, garbled
from rig.dut.ocpp import CentralSystem
from rig.errors import ChargerLinkError
from rig.instruments.registry import open_instrument

CP_ID = "ZCS000001"


@pytest.fixture(scope="module")
def central() -> Iterator[CentralSystem]:
    server = CentralSystem().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def host(central: CentralSystem) -> Iterator[BenchHost]:
    """A bench whose charger boots in 5 s, its OCPP client pointed at ``central``, powered."""
    bench = BenchHost(overrides={"boot.time_s": 5.0}, ocpp_url=central.url(CP_ID)).start()
    ac = open_instrument("ASTERION", bench.addresses()["ac3"], "ac")
    try:
        assert central.wait_connected(CP_ID, timeout=5), bench.ocpp.last_error
        ac.configure(230.0)
        ac.output_on()
        yield bench
    finally:
        ac.make_safe()
        ac.close()
        bench.stop()


@pytest.fixture(scope="module")
def booted(host: BenchHost, ctrl: Any, central: CentralSystem) -> BenchHost:
    ctrl.query("BENCH:TIME:ADV 6;*OPC?")
    assert central.wait_for("StatusNotification", timeout=5)
    return host


@pytest.fixture
def console(booted: BenchHost) -> Iterator[ChargerConsole]:
    port = serial.Serial(booted.addresses()["console"], 115200, timeout=0.1)
    port.reset_input_buffer()

    def read(timeout: float) -> bytes:
        port.timeout = timeout
        return port.read(port.in_waiting or 1)

    yield ChargerConsole(port.write, read, timeout_s=0.5)
    port.close()


@pytest.fixture
def charger_can(booted: BenchHost) -> Iterator[ChargerCan]:
    handle = ChargerCan(can.Bus(interface="virtual", channel=booted.addresses()["can_channel"]))
    yield handle
    handle.close()


def advance(ctrl: Any, seconds: float) -> None:
    ctrl.query(f"BENCH:TIME:ADV {seconds:g};*OPC?")


# ---- the control port ----------------------------------------------------------------------------


def test_link_fault_commands_of_the_control_port(ctrl, bench_do, booted):
    for command, mode in [("CONS", "GARBLE"), ("CAN", "BADLEN"), ("OCPP", "MALFORMED")]:
        bench_do(f"BENCH:FAUL:{command} {mode[:4]}")  # short forms
        assert ctrl.query(f"BENCH:FAUL:{command}?") == mode
        bench_do(f"BENCH:FAUL:{command} NONE")
        assert ctrl.query(f"BENCH:FAUL:{command}?") == "NONE"
    ctrl.write("BENCH:FAUL:CONS LOUD")
    assert ctrl.query("SYST:ERR?").startswith("-224,")
    ctrl.write("BENCH:FAUL:CAN")
    assert ctrl.query("SYST:ERR?").startswith("-109,")


# ---- console -------------------------------------------------------------------------------------


def test_noise_lines_are_not_text_the_charger_would_write():
    for n in range(1, 50):
        line = noise_line(n)
        assert line.endswith(b"\r\n") and b"\n" not in line[:-1]
        assert garbled(line[:-2].decode("utf-8", "replace"))
    for line in ("ZapCharger Pro 2.14.0", "state=C2 cp=C pwm=53.3", "OK", "ERR 1 unknown", ""):
        assert not garbled(line)


def test_a_garbled_console_is_skipped_counted_and_logged(console, bench_do):
    bench_do("BENCH:FAULT:CONSOLE GARBLE")  # a noise line before each line; every 4th corrupted
    assert console.version() == "ZapCharger Pro 2.14.0"  # lines 1, 2: only noise around them
    assert console.garbled == 2
    assert console.log.garbled == [
        line for _, direction, line in console.log.lines if direction == "<" and garbled(line)
    ]
    with pytest.raises(ChargerLinkError) as info:
        console.serial()  # line 4, its OK, arrives corrupted: the reply never ends
    assert str(info.value) == (
        "console: no complete reply to 'serial' within 0.5 s "
        "(lines so far: ['ZCS000001']; 3 garbled line(s) skipped)"
    )
    assert console.garbled == 5
    assert console.status()["state"] == "A1"  # lines 5, 6: the console goes on
    bench_do("BENCH:FAULT:CONSOLE NONE")
    assert console.serial() == "ZCS000001"


def test_a_corrupted_data_line_is_an_error_not_a_wrong_value(console, bench_do):
    bench_do("BENCH:FAULT:CONSOLE GARBLE")
    console.version()  # lines 1, 2
    with pytest.raises(ConsoleCommandError):
        console.command("no-such-command")  # line 3: ERR
    with pytest.raises(ChargerLinkError) as info:
        console.status()  # line 4, its data line, corrupted; line 5: OK
    assert str(info.value) == (
        "console: 'status' answered [], expected one line (3 garbled line(s) skipped)")
    bench_do("BENCH:FAULT:CONSOLE NONE")


def test_a_mute_console_is_an_error_naming_the_command_and_the_timeout(console, bench_do):
    assert console.serial() == "ZCS000001"
    bench_do("BENCH:FAULT:CONSOLE MUTE")
    start = time.monotonic()
    with pytest.raises(ChargerLinkError) as info:
        console.status()
    assert time.monotonic() - start < 1.0
    assert str(info.value) == (
        "console: no reply to 'status' within 0.5 s (the console is silent)")
    bench_do("BENCH:FAULT:CONSOLE NONE")
    assert console.serial() == "ZCS000001"  # nothing stale answers the next command


# ---- CAN -----------------------------------------------------------------------------------------


def test_can_frames_with_a_wrong_length_are_ignored_and_counted(charger_can, ctrl, bench_do):
    bench_do("BENCH:FAULT:CAN BADLEN")
    advance(ctrl, 3)
    status = charger_can.status(timeout_s=1)
    assert status.state == "A1"
    assert charger_can.bad_frames >= 3
    assert "frame 0x101: 3 bytes, 8 expected" in charger_can.bad
    assert len(charger_can.log) > charger_can.bad_frames  # every frame is kept in the log


def test_can_frames_of_unknown_ids_are_ignored_and_counted(charger_can, ctrl, bench_do):
    bench_do("BENCH:FAULT:CAN UNKNOWN")
    advance(ctrl, 3)
    assert charger_can.status(timeout_s=1).state == "A1"
    assert "frame 0x7E5: unknown id" in charger_can.bad


def test_frames_of_another_node_are_ignored_without_blame(booted):
    channel = booted.addresses()["can_channel"]
    other = can.Bus(interface="virtual", channel=channel)
    mine = ChargerCan(can.Bus(interface="virtual", channel=channel))
    try:
        other.send(can.Message(arbitration_id=0x102, data=bytes(8), is_extended_id=False))
        other.send(can.Message(arbitration_id=0x101, data=b"\x01", is_extended_id=False))
        other.send(can.Message(arbitration_id=0x1234, data=bytes(8), is_extended_id=True))
        time.sleep(0.05)
        assert mine.receive(0.1) == []
        assert mine.bad == ["frame 0x101: 1 bytes, 8 expected", "frame 0x1234: not a standard "
                            "data frame"]
        with pytest.raises(ChargerLinkError, match=r"no valid frame 0x101 \(Status\) within 0.2 s "
                           r"\(2 bad frames ignored so far\)"):
            mine.latest(0x100, timeout_s=0.2)
    finally:
        other.shutdown()
        mine.close()


# ---- OCPP ----------------------------------------------------------------------------------------


def test_malformed_ocpp_frames_are_violations_and_the_link_goes_on(
    booted, ctrl, central, bench_do
):
    mark = central.mark()
    before = len(central.violations)
    bench_do("BENCH:FAULT:OCPP MALFORMED")
    central.trigger(CP_ID, "StatusNotification")  # the charger sends, and junk after it
    assert central.wait_until(lambda: len(central.violations) >= before + 1, 3)
    central.trigger(CP_ID, "Heartbeat")
    assert central.wait_until(lambda: len(central.violations) >= before + 2, 3)
    bench_do("BENCH:FAULT:OCPP NONE")
    found = [error for _, error in central.violations[before:]]
    assert any(error.startswith("malformed frame") for error in found), found
    assert central.is_connected(CP_ID)
    assert central.trigger(CP_ID, "Heartbeat") == "Accepted"  # still talking
    assert central.wait_for("Heartbeat", since=mark, timeout=3) is not None
