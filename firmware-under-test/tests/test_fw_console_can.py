"""Console line protocol and CAN frames."""

from __future__ import annotations

import struct

import pytest
from fwharness import Rig
from zapcharger import canbus

A = pytest.approx


def test_version_serial_help(rig: Rig) -> None:
    assert rig.reply("version") == ["ZapCharger Pro 2.14.0", "OK"]
    assert rig.reply("serial") == ["ZCS000001", "OK"]
    lines = rig.reply("help")
    assert lines[-1] == "OK" and any(x.startswith("limit") for x in lines)


def test_unknown_command_and_crlf(rig: Rig) -> None:
    before = len(rig.console)
    rig.fw.console_input("frobnicate now\r\n")
    assert "".join(rig.console[before:]) == "ERR 1 unknown command 'frobnicate'\r\n"
    before = len(rig.console)
    rig.fw.console_input("\r\n")  # empty line: no reply
    assert rig.console[before:] == []


def test_partial_lines_are_assembled(rig: Rig) -> None:
    before = len(rig.console)
    rig.fw.console_input("ser")
    assert rig.console[before:] == []
    rig.fw.console_input("ial\nversion\n")
    assert "".join(rig.console[before:]) == "ZCS000001\r\nOK\r\nZapCharger Pro 2.14.0\r\nOK\r\n"


def test_status_line_while_charging(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    assert rig.reply("status") == [
        "state=C2 cp=C pwm=53.3 current=32.0 contactor=1 lock=1 led=blue/flash rcd=ok "
        "error=none", "OK"]


def test_status_line_booting() -> None:
    r = Rig(boot=False)
    assert r.reply("status") == [
        "state=BOOT cp=F pwm=off current=0.0 contactor=0 lock=0 led=yellow/flash rcd=ok "
        "error=none", "OK"]
    assert r.reply("rfid 04A1B2C3D4") == ["ERR 3 not ready"]


def test_errors_command(rig: Rig) -> None:
    assert rig.reply("errors") == ["none", "OK"]
    rig.diode = False
    rig.plug(pp_ohm=None)
    rig.advance(1.0)
    assert rig.reply("errors") == ["E5 PpInvalid", "OK"]
    rig.set_ev("D")
    assert rig.reply("errors") == ["E5 PpInvalid", "E8 VentilationRequired", "OK"]


def test_limit_command(rig: Rig) -> None:
    assert rig.reply("limit") == ["limit=none", "OK"]
    assert rig.reply("limit 16") == ["OK"]
    assert rig.reply("limit") == ["limit=16.0", "OK"]
    assert rig.reply("limit abc") == ["ERR 2 bad current 'abc'"]
    assert rig.reply("limit -1") == ["ERR 2 current out of range '-1'"]
    assert rig.reply("limit none") == ["OK"]
    assert rig.reply("limit") == ["limit=none", "OK"]


def test_limit_command_reaches_duty_after_update_delay(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    t = rig.t
    rig.console_cmd("limit 10")
    rig.advance(1.0)
    assert rig.values("pwm", after=t) == [(A(t + 0.5, abs=1e-9), A(10 / 0.6))]


def test_event_lines_are_unsolicited(rig: Rig) -> None:
    rig.charge()
    text = "".join(rig.console)
    for line in ("# state B1", "# state B2", "# state C2", "# rcd selftest pass", "# lock 1",
                 "# contactor 1"):
        assert line + "\r\n" in text


def test_meter_line_format(rig: Rig) -> None:
    rig.hal.meter_i_a = (16.0, 16.0, 16.0)
    rig.hal.meter_v_v = (230.0, 230.0, 230.0)
    rig.hal.meter_p_w = (3680.0, 3680.0, 3680.0)
    rig.hal.meter_e_wh = (4115.0, 4115.0, 4115.0)
    rig.settle()
    assert rig.reply("meter") == [
        "v=230.0,230.0,230.0 i=16.00,16.00,16.00 p=3680.0,3680.0,3680.0 e_wh=12345", "OK"]


def _frames(rig: Rig, ident: int, after: float = 0.0) -> list[tuple[float, bytes]]:
    return [(t, d) for t, i, d in rig.can if i == ident and t >= after - 1e-12]


def test_identity_and_version_at_ready_and_on_request(rig: Rig) -> None:
    ident = _frames(rig, 0x121)
    assert len(ident) == 1 and ident[0][0] == A(150.0)
    data = ident[0][1]
    assert data[:3] == b"ZCS" and struct.unpack_from("<I", data, 3)[0] == 1 and data[7] == 2
    assert _frames(rig, 0x131)[0][1] == bytes([2, 14, 0, 0, 0, 0, 0, 0])
    rig.fw.can_receive(0x211, b"")
    assert len(_frames(rig, 0x121)) == 2 and len(_frames(rig, 0x131)) == 2


@pytest.mark.parametrize("serial,prefix,number", [("ABC123456", b"ABC", 123456),
                                                  ("X-1", b"X-1", 0xFFFFFFFF),
                                                  ("ZC", b"ZC\0", 0xFFFFFFFF)])
def test_identity_serial_forms(serial: str, prefix: bytes, number: int) -> None:
    data = canbus.encode_identity(serial, "3.1.4")
    assert data[:3] == prefix and struct.unpack_from("<I", data, 3)[0] == number
    assert data[7] == 3 and len(data) == 8


def test_status_frame_content_while_charging(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    data = _frames(rig, 0x101)[-1][1]
    state, flags, current, duty, err, led = struct.unpack("<BBHHBB", data)
    assert state == 0xC2
    assert flags == canbus.FLAG_CONTACTOR | canbus.FLAG_LOCK | canbus.FLAG_PWM
    assert current == 320 and duty == 533 and err == 0
    assert led == (2 << 1) | 1  # blue, flashing


def test_status_frame_periodic_and_on_change(rig: Rig) -> None:
    t0 = rig.t
    rig.advance(3.0)
    periodic = _frames(rig, 0x101, after=t0 + 1e-6)
    assert [t for t, _ in periodic] == [A(t0 + 1), A(t0 + 2), A(t0 + 3)]
    t = rig.plug()
    changed = _frames(rig, 0x101, after=t)
    assert changed and changed[-1][0] == A(t) and changed[-1][1][0] == 0xB1


def test_status_frame_fault_and_rcd_bits(rig: Rig) -> None:
    rig.charge()
    rig.set(dc_ma=60.0)
    rig.advance(1.0)
    data = _frames(rig, 0x101)[-1][1]
    state, flags, current, duty, err, led = struct.unpack("<BBHHBB", data)
    assert state == 0xC1 and flags & canbus.FLAG_RCD and flags & canbus.FLAG_FAULT
    assert duty == 1000 and current == 0 and err == 1 and led == 4 << 1


def test_meter_frame(rig: Rig) -> None:
    rig.hal.meter_i_a = (16.0, 0.0, 0.0)
    rig.hal.meter_v_v = (231.5, 0.0, 0.0)
    rig.hal.meter_e_wh = (1234.0, 0.0, 0.0)
    rig.settle()
    rig.advance(1.0)
    energy, i, v = struct.unpack("<IHH", _frames(rig, 0x111)[-1][1])
    assert (energy, i, v) == (1234, 1600, 2315)


def test_can_limit_frame(rig: Rig) -> None:
    rig.fw.can_receive(0x201, struct.pack("<H", 130))
    assert rig.reply("limit") == ["limit=13.0", "OK"]
    rig.fw.can_receive(0x201, struct.pack("<H", 0xFFFF))
    assert rig.reply("limit") == ["limit=none", "OK"]


def test_bad_can_frames_are_counted_and_ignored(rig: Rig) -> None:
    rig.fw.can_receive(0x201, b"\x01")  # wrong length
    rig.fw.can_receive(0x202, struct.pack("<H", 50))  # another node's id
    rig.fw.can_receive(0x7FF, b"")
    assert rig.status["can"]["ignored"] == 3
    assert rig.reply("limit") == ["limit=none", "OK"]


def test_node_id_moves_every_frame() -> None:
    r = Rig({"can.node_id": 5})
    assert {i for _, i, _ in r.can} == {0x105, 0x115, 0x125, 0x135}
    r.fw.can_receive(0x205, struct.pack("<H", 100))
    assert r.status["limits"]["installation"] == A(10.0)
