"""The bench control port over TCP: time, supply cut, environment, link faults, the charger."""

from __future__ import annotations

import json
import socket
import time

import pytest

from rig.bench.host import BenchHost
from tests.bench.conftest import STUB_ENTRY, Link


def test_identity_and_instrument_list(links, bench):
    ctrl = links["ctrl"]
    ctrl.send_raw(b"*IDN?\n")
    assert ctrl.read_raw() == b"evse-rig,Emulated bench control,0,1.0\n"
    listing = ctrl.query("BENCH:INST:LIST?").split(",")
    pairs = dict(zip(listing[0::2], listing[1::2], strict=True))
    # every SCPI server of the bench (the instruments grow: scope, load, ...)
    expected = {k: v for k, v in bench.addresses().items() if k in bench.servers}
    assert {"ac1", "ac3", "pa", "smu", "cs", "ev", "est", "ctrl"} <= set(expected)
    assert pairs == expected
    assert ctrl.query("BENCH:CONS?") == f'"{bench.console_path}"'
    assert ctrl.query("BENCH:CAN?") == f"virtual,{bench.can_channel}"


def test_addresses(bench):
    addresses = bench.addresses()
    scpi = sorted(bench.servers)  # every SCPI instrument of the bench (scope, load, ...)
    assert {"ac1", "ac3", "pa", "smu", "cs", "ev", "est", "ctrl"} <= set(scpi)
    assert set(addresses) == {*scpi, "console", "can_interface", "can_channel", "tags"}
    assert addresses["tags"].startswith("http://127.0.0.1:")  # the tag presenter's board
    ports = set()
    for key in scpi:
        prefix, host, port, suffix = addresses[key].split("::")
        assert (prefix, host, suffix) == ("TCPIP0", "127.0.0.1", "SOCKET")
        ports.add(int(port))
    assert len(ports) == len(scpi)
    assert addresses["console"].startswith("/dev/pts/")
    assert addresses["can_interface"] == "virtual"


def test_time_and_advance(links):
    ctrl = links["ctrl"]
    assert ctrl.query("BENCH:TIME:MODE?") == "VIRTUAL"
    t0 = float(ctrl.query("BENCH:TIME?"))
    ctrl.write("BENCH:TIME:ADV 1.25")
    ctrl.write("BENCH:TIME:ADV 250MS")
    assert float(ctrl.query("BENCH:TIME?")) == pytest.approx(t0 + 1.5, abs=1e-9)
    assert ctrl.query("BENCH:TIME?") == f"{t0 + 1.5:.6f}"
    ctrl.write("BENCH:TIME:ADV 0")
    assert float(ctrl.query("BENCH:TIME?")) == pytest.approx(t0 + 1.5, abs=1e-9)
    ctrl.write("BENCH:TIME:ADV -1")
    ctrl.write("BENCH:TIME:ADV")
    ctrl.write("BENCH:TIME:ADV soon")
    assert ctrl.errors() == [-222, -109, -104]
    assert int(ctrl.query("BENCH:TICK?")) > 0


def test_time_does_not_move_by_itself_in_virtual_mode(links):
    ctrl = links["ctrl"]
    t0 = ctrl.query("BENCH:TIME?")
    for _ in range(20):
        links["ac1"].query("*IDN?")
    assert ctrl.query("BENCH:TIME?") == t0


@pytest.mark.stub_firmware
def test_supply_cut(links):
    ctrl, ac1 = links["ctrl"], links["ac1"]
    ac1.write("VOLT 230;OUTP ON")
    ctrl.write("BENCH:SUPP:CUT 0.3")
    assert links["ev"].query("MEAS:CP:STAT?") == "E"  # charger without supply: CP at 0 V
    assert ac1.query("OUTP?") == "1"  # the source itself stays on; the bus is cut upstream
    ctrl.write("BENCH:TIME:ADV 0.2")
    assert links["ev"].query("MEAS:CP:STAT?") == "E"
    ctrl.write("BENCH:TIME:ADV 0.1")
    assert links["ev"].query("MEAS:CP:STAT?") == "A1"
    ctrl.write("BENCH:SUPP:CUT -1")
    assert ctrl.errors() == [-222]


def test_ambient_temperature(links, bench):
    ctrl = links["ctrl"]
    assert ctrl.query("BENCH:AMB?") == "25"
    ctrl.write("BENCH:AMB 40")
    assert ctrl.query("BENCH:AMB:TEMP?") == "40"
    assert bench.bench.hal.temperature_c == 40.0
    ctrl.write("BENCH:AMB 86")
    ctrl.write("BENCH:AMB -41")
    assert ctrl.errors() == [-222, -222]
    assert ctrl.query("BENCH:AMB?") == "40"


def test_rcd_sensor(links, bench):
    ctrl = links["ctrl"]
    links["smu"].write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 6e-3;:OUTP ON")
    assert ctrl.query("BENCH:RCD:SENS?") == "OK"
    assert bench.bench.hal.rcd_dc_ma == pytest.approx(6.0)
    ctrl.write("BENCH:RCD:SENS BROK")
    assert ctrl.query("BENCH:RCD:SENS?") == "BROKEN"
    assert bench.bench.hal.rcd_dc_ma == 0.0
    ctrl.write("BENCH:RCD:SENSOR OK")
    assert bench.bench.hal.rcd_dc_ma == pytest.approx(6.0)
    ctrl.write("BENCH:RCD:SENS MAYBE")
    assert ctrl.errors() == [-224]


def test_safe_state(links):
    ctrl = links["ctrl"]
    assert ctrl.query("BENCH:SAFE?") == "1"
    links["ac1"].write("VOLT 230;OUTP ON")
    links["ev"].write("SOUR:CP:STAT C;:OUTP:LOAD ON")
    links["smu"].write(":SOUR:FUNC CURR;:OUTP ON")
    assert ctrl.query("BENCH:SAFE?") == (
        '0,"ac1 output on; smu output on; ev in state C; ev load on"')
    links["ac1"].write("OUTP OFF")
    links["ev"].write("*RST")
    links["smu"].write(":OUTP OFF")
    assert ctrl.query("BENCH:SAFE?") == "1"


def test_link_fault_delay(links, bench):
    ctrl, ev = links["ctrl"], links["ev"]
    ctrl.write('BENCH:FAUL:LINK "ev",DEL,0.05')
    assert ctrl.query('BENCH:FAUL:LINK? "ev"') == "DELAY,0.05"
    assert bench.servers["ev"].fault.value == 0.05
    start = time.monotonic()
    assert ev.query("*IDN?") == "evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0"  # late, intact
    assert time.monotonic() - start >= 0.05
    ctrl.write('BENCH:FAUL:LINK "ev",NONE')
    assert ctrl.query('BENCH:FAUL:LINK? "ev"') == "NONE,0"


def test_link_fault_garble(links):
    ctrl, ac1 = links["ctrl"], links["ac1"]
    ctrl.write('BENCH:FAUL:LINK "ac1",GARB')
    assert ctrl.query('BENCH:FAUL:LINK? "ac1"') == "GARBLE,0"
    reply = ac1.query("*IDN?")
    assert reply != "Keysight Technologies,AC6801B,MY56001234,A.02.01"
    assert len(reply) == len("Keysight Technologies,AC6801B,MY56001234,A.02.01")
    assert all(33 <= ord(c) <= 126 for c in reply)
    ac1.sock.sendall(b"VOLT 12\n")  # commands still arrive
    ctrl.write('BENCH:FAUL:LINK "ac1",NONE')
    assert ac1.query("VOLT?") == "+1.20000E+01"


def test_link_fault_drop(links, bench):
    ctrl, pa = links["ctrl"], links["pa"]
    pa.query("*IDN?")
    ctrl.write('BENCH:FAUL:LINK "pa",DROP')
    assert pa.read_raw() == b""  # the open connection was closed
    with pytest.raises(ConnectionError):
        pa.query("*IDN?")
    again = Link(bench.addresses()["pa"])
    try:
        again.send_raw(b"*IDN?\n")
        assert again.read_raw() == b""  # new connections are cut on the first message
    finally:
        again.close()
    ctrl.write('BENCH:FAUL:LINK "pa",NONE')
    fresh = Link(bench.addresses()["pa"])
    try:
        assert fresh.query("*IDN?") == "YOKOGAWA,WT333E,C2QD12345,F1.03"
    finally:
        fresh.close()


def test_reboot_resets_settings_and_drops_the_link(links, bench):
    ctrl, ac1 = links["ctrl"], links["ac1"]
    ac1.write("VOLT 230;FREQ 60;OUTP ON;VOLT 999")  # one error in the queue
    ctrl.write('BENCH:FAUL:REB "ac1"')
    assert ac1.read_raw() == b""
    fresh = Link(bench.addresses()["ac1"])
    try:
        assert fresh.query("VOLT?;FREQ?;OUTP?") == "+0.00000E+00;+5.00000E+01;0"
        assert fresh.query("SYST:ERR?") == '+0,"No error"'
    finally:
        fresh.close()


def test_injected_error(links):
    ctrl = links["ctrl"]
    ctrl.write('BENCH:FAUL:ERR "ac3",-310')
    ctrl.write('BENCH:FAUL:ERR "ac3",0')  # no error: nothing to queue
    ctrl.write('BENCH:FAUL:ERR "ac3",123')
    ac3 = links["ac3"]
    assert ac3.query("SYST:ERR?") == '-310,"System error; injected by the bench"'
    assert ac3.query("SYST:ERR?") == '123,"Device-specific error; injected by the bench"'
    assert ac3.query("SYST:ERR?") == '0,"No error"'
    assert ac3.query("*ESR?") == str(0x08)
    ctrl.write('BENCH:FAUL:ERR "ac3",-1000')
    assert ctrl.errors() == [-222]


@pytest.mark.parametrize(
    ("command", "code"),
    [('BENCH:FAUL:LINK "xx",NONE', -224), ('BENCH:FAUL:LINK "ctrl",DROP', -224),
     ('BENCH:FAUL:LINK "ev",BREAK', -224), ('BENCH:FAUL:LINK "ev"', -109),
     ('BENCH:FAUL:LINK "ev",DEL,601', -222), ('BENCH:FAUL:LINK "ev",DEL,1,2', -108),
     ('BENCH:FAUL:REB "ctrl"', -224), ("BENCH:FOO", -113)],
)
def test_errors(links, command, code):
    ctrl = links["ctrl"]
    ctrl.write(command)
    assert ctrl.errors() == [code]


def test_unknown_instrument_message_lists_the_instruments(links):
    ctrl = links["ctrl"]
    ctrl.write('BENCH:FAUL:LINK "xx",NONE')
    reply = ctrl.query("SYST:ERR?")
    assert reply.startswith(
        '-224,"Illegal parameter value; no instrument \'xx\' (have ac1, ac3, pa, smu, cs, ev, '
        'est, ')
    assert reply.endswith('ctrl)"')


@pytest.mark.stub_firmware
def test_charger_set_unknown_key(links, bench):
    ctrl = links["ctrl"]
    ctrl.write('BENCH:CHAR:SET "timing.no_such_key=1"')
    code, message = ctrl.error()
    assert code == -224
    assert "timing.no_such_key" in message
    assert json.loads(ctrl.query("BENCH:CHAR:OVER?")) == {"firmware_entry": STUB_ENTRY}


def test_charger_set_bad_value_and_syntax(links):
    ctrl = links["ctrl"]
    ctrl.write('BENCH:CHAR:SET "timing.close_after_c_s=-1"')
    code, message = ctrl.error()
    assert code == -224 and "timing.close_after_c_s" in message
    ctrl.write('BENCH:CHAR:SET "timing.close_after_c_s"')
    code, message = ctrl.error()
    assert code == -224 and "KEY=VALUE" in message


@pytest.mark.stub_firmware
def test_charger_set_and_validate(links, bench):
    ctrl = links["ctrl"]
    firmware = bench.bench.firmware
    ctrl.write('BENCH:CHAR:VAL "rcd.dc_trip_ma=7"')
    assert ctrl.errors() == []
    assert bench.bench.firmware is firmware  # validating does not reload
    ctrl.write('BENCH:CHAR:VAL "rcd.dc_trip_mA=7"')
    assert ctrl.errors() == [-224]
    ctrl.write('BENCH:CHAR:SET "rcd.dc_trip_ma=7","timing.close_after_c_s=0.7"')
    assert ctrl.errors() == []
    assert json.loads(ctrl.query("BENCH:CHAR:OVER?")) == {
        "firmware_entry": STUB_ENTRY, "rcd.dc_trip_ma": 7, "timing.close_after_c_s": 0.7}
    assert bench.bench.firmware is not firmware  # a power cycle of the charger
    assert bench.bench.profile.rcd.dc_trip_ma == 7.0
    assert ctrl.query("BENCH:CHAR:STAT?") == "{}"  # the stand-in has no status()


def test_realtime_clock():
    host = BenchHost(overrides={"firmware_entry": STUB_ENTRY}, clock="realtime").start()
    try:
        ctrl = Link(host.addresses()["ctrl"], token=host.token)
        try:
            assert ctrl.query("BENCH:TIME:MODE?") == "REALTIME"
            ctrl.write("BENCH:TIME:ADV 1")
            assert ctrl.query("SYST:ERR?") == (
                '-221,"Settings conflict; BENCH:TIME:ADV needs the virtual clock"')
            time.sleep(0.3)  # the one wall-clock check: the clock runs by itself
            assert 0.2 <= float(ctrl.query("BENCH:TIME?")) <= 1.0
        finally:
            ctrl.close()
    finally:
        host.stop()


def test_server_survives_garbage_and_partial_lines(links):
    ac1 = links["ac1"]
    ac1.send_raw(b"\n\r\n   \n")  # empty lines: no reply, no error
    ac1.send_raw(b"VO")
    ac1.send_raw(b"LT 12\nVOLT?\n")  # a message split over two packets
    assert ac1.read_raw() == b"+1.20000E+01\n"
    ac1.send_raw(b"\xff\xfe\x00garbage\n")
    assert ac1.errors() == [-102]
    ac1.send_raw(b"VOLT 1;VOLT?\nVOLT 2;VOLT?\n")  # two messages in one packet
    assert ac1.read_raw() == b"+1.00000E+00\n"
    assert ac1.read_raw() == b"+2.00000E+00\n"


def test_many_clients(bench):
    socks = [socket.create_connection(("127.0.0.1", int(bench.addresses()["ev"].split("::")[2])),
                                      timeout=2) for _ in range(5)]
    try:
        for s in socks:
            s.sendall(b"*IDN?\n")
        for s in socks:
            assert s.makefile("rb").readline() == b"evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0\n"
    finally:
        for s in socks:
            s.close()


@pytest.mark.stub_firmware
def test_charger_set_with_a_firmware_that_does_not_load_changes_nothing(links, bench):
    ctrl, ev = links["ctrl"], links["ev"]
    firmware = bench.bench.firmware
    ctrl.write('BENCH:CHAR:SET "firmware_entry=no_such_module:Firmware"')
    code, message = ctrl.error()
    assert code == -224 and "no_such_module" in message
    ctrl.write('BENCH:CHAR:VAL "firmware_entry=rig:NoSuchClass"')
    assert ctrl.errors() == [-224]
    assert json.loads(ctrl.query("BENCH:CHAR:OVER?")) == {"firmware_entry": STUB_ENTRY}
    assert bench.bench.firmware is firmware
    links["ac1"].write("VOLT 230;OUTP ON")
    ev.write("SOUR:CP:STAT B")
    assert ev.query("MEAS:CP:STAT?") == "B2"  # the charger still runs behind its HAL


@pytest.mark.stub_firmware
def test_charger_set_with_an_option_the_firmware_refuses_changes_nothing(links, bench):
    """firmware_options pass the profile unchecked; the firmware refuses a bad one (here our
    own, which takes none) and the control port says which key, before anything changes."""
    ctrl = links["ctrl"]
    firmware = bench.bench.firmware
    ctrl.write('BENCH:CHAR:SET "firmware_entry=zapcharger:Firmware","firmware_options.pwm_hz=9"')
    code, message = ctrl.error()
    assert code == -224
    assert "key 'firmware_options.pwm_hz'" in message and "profile keys" in message
    ctrl.write('BENCH:CHAR:VAL "firmware_entry=zapcharger:Firmware","firmware_options.x=1"')
    code, message = ctrl.error()
    assert code == -224 and "firmware_options.x" in message
    assert json.loads(ctrl.query("BENCH:CHAR:OVER?")) == {"firmware_entry": STUB_ENTRY}
    assert bench.bench.firmware is firmware


@pytest.mark.stub_firmware
def test_a_firmware_breaking_the_next_event_contract_stops_the_bench(bench):
    """next_event_in() must be a float >= 0 (math.inf: nothing pending); None, NaN or a
    negative time is refused with the contract's words, not taken as 'no deadline'."""
    from rig.bench.bench import BenchError

    fw = bench.bench.firmware
    try:
        for bad in (None, float("nan"), -1.0):
            fw.next_event_in = lambda bad=bad: bad
            with pytest.raises(BenchError, match=r"next_event_in\(\) returned .*a float >= 0"):
                bench.bench.advance(0.5)
        fw.next_event_in = lambda: float("inf")
        before = bench.bench.ticks
        bench.bench.advance(2.5)
        assert bench.bench.ticks - before == 3  # inf: the bench still ticks once a second
    finally:
        del fw.next_event_in
