"""The AC sources over TCP: Keysight AC6801B (1-phase) and AMETEK Asterion (3-phase)."""

from __future__ import annotations

import threading

import pytest

KEYSIGHT_IDN = "Keysight Technologies,AC6801B,MY56001234,A.02.01"
ASTERION_IDN = "AMETEK Programmable Power,AST3003,1742A00315,3.1.4"


def test_ac6801b_exact_bytes(links):
    ac1 = links["ac1"]
    ac1.send_raw(b"*IDN?\n")
    assert ac1.read_raw() == (KEYSIGHT_IDN + "\n").encode()
    ac1.send_raw(b"VOLT 230\n")
    ac1.send_raw(b"VOLT?\n")
    assert ac1.read_raw() == b"+2.30000E+02\n"
    ac1.send_raw(b"SYST:ERR?\r\n")  # a CR before the LF is tolerated
    assert ac1.read_raw() == b'+0,"No error"\n'
    ac1.send_raw(b"FREQ 50;FREQ?;VOLT?\n")
    assert ac1.read_raw() == b"+5.00000E+01;+2.30000E+02\n"


def test_ac6801b_settings_and_replies(links):
    ac1 = links["ac1"]
    ac1.write("*RST")
    assert ac1.query("VOLT?;FREQ?;OUTP?") == "+0.00000E+00;+5.00000E+01;0"
    ac1.write("SOUR:VOLT:LEV:IMM:AMPL 115.5;:SOUR:FREQ:CW 60")
    assert ac1.query("volt?;freq?") == "+1.15500E+02;+6.00000E+01"
    ac1.write("CURR 40;CURR:PROT:STAT ON")
    assert ac1.query("CURR?;CURR:PROT:STAT?") == "+4.00000E+01;1"
    ac1.write("VOLT MAX")
    assert ac1.query("VOLT?") == "+3.10000E+02"
    ac1.write("VOLT -0")
    assert ac1.query("VOLT?") == "+0.00000E+00"
    ac1.write("*RST")
    assert ac1.query("CURR:PROT:STAT?;VOLT?") == "0;+0.00000E+00"
    assert ac1.errors() == []


@pytest.mark.parametrize(
    ("command", "code"),
    [("VOLT 311", -222), ("VOLT -1", -222), ("FREQ 39", -222), ("FREQ 1KHZ", -222),
     ("CURR 61", -222), ("VOLT 5A", -131), ("VOLT abc", -104), ("VOLT", -109),
     ("VOLT 230,1", -108), ("OUTP MAYBE", -224), ("VOLTS 230", -113), ("PHAS 120", -113),
     ("OUTP:DROP 0.1", -113), ("INST:NSEL 2", -113)],
)
def test_ac6801b_errors(links, command, code):
    ac1 = links["ac1"]
    ac1.write("VOLT 100")
    ac1.write(command)
    assert ac1.errors() == [code]
    assert ac1.query("VOLT?") == "+1.00000E+02"  # nothing changed


def test_ac6801b_error_message_format(links):
    ac1 = links["ac1"]
    ac1.write("VOLT 400")
    assert ac1.query("SYST:ERR?") == '-222,"Data out of range; VOLT: 400 outside 0 ... 310"'
    ac1.write("FOO")
    assert ac1.query("SYST:ERR?") == "-113,\"Undefined header; 'FOO'\""
    assert ac1.query("SYST:ERR?") == '+0,"No error"'


def test_ac6801b_output_and_measurements(links):
    ac1 = links["ac1"]
    ac1.write("VOLT 230;FREQ 50")
    assert ac1.query("MEAS:VOLT:AC?") == "+0.00000E+00"  # output off
    assert ac1.query("MEAS:FREQ?") == "+0.00000E+00"
    ac1.write("OUTP ON")
    assert ac1.query("OUTP?") == "1"
    assert ac1.query("MEAS:VOLT:AC?;:FETC:VOLT:AC?;:MEAS:FREQ?") == (
        "+2.30000E+02;+2.30000E+02;+5.00000E+01")
    # the charger's electronics draw 40 mA from L1 while powered, at unity power factor
    assert ac1.number("MEAS:CURR:AC?") == pytest.approx(0.04)
    assert ac1.number("MEAS:POW:AC?") == pytest.approx(230 * 0.04)
    ac1.write("OUTP OFF")
    assert ac1.query("OUTP?;MEAS:VOLT:AC?") == "0;+0.00000E+00"
    assert ac1.errors() == []


@pytest.mark.stub_firmware
def test_ac6801b_measures_the_vehicle_load(links):
    ac1, ev = links["ac1"], links["ev"]
    ac1.write("VOLT 230;OUTP ON")
    ev.write("SOUR:LOAD:LAG 0;:SOUR:LOAD:CURR1 16;:OUTP:LOAD ON;:SOUR:CP:STAT C")
    links["ctrl"].write("BENCH:TIME:ADV 1")
    assert ac1.number("MEAS:CURR:AC?") == pytest.approx(16.04)
    assert ac1.number("MEAS:POW:AC?") == pytest.approx(230 * 16.04)
    assert ac1.number("MEAS:POW:AC:PFAC?") == pytest.approx(1.0)


def test_two_sources_are_never_both_on(links, bench):
    ac1, ac3 = links["ac1"], links["ac3"]
    ac1.write("VOLT 230;OUTP ON")
    ac3.write("VOLT 230;OUTP ON")
    assert ac3.query("OUTP?") == "0"
    assert ac3.query("SYST:ERR?") == (
        '-221,"Settings conflict; another source already feeds the supply bus"')
    ac1.write("OUTP OFF")
    ac3.write("OUTP ON")
    assert ac3.query("OUTP?") == "1"
    ac1.write("OUTP ON")
    assert ac1.query("OUTP?") == "0"
    assert ac1.errors() == [-221]
    assert ac3.errors() == []
    assert [s.output for s in bench.bench.sources.values()] == [False, True]


def test_asterion_identity_and_error_format(links):
    ac3 = links["ac3"]
    ac3.send_raw(b"*IDN?\n")
    assert ac3.read_raw() == (ASTERION_IDN + "\n").encode()
    ac3.send_raw(b"SYST:ERR?\n")
    assert ac3.read_raw() == b'0,"No error"\n'
    ac3.send_raw(b"VOLT:AC 230;VOLT?\n")
    assert ac3.read_raw() == b"2.3000E+02\n"
    ac3.write("VOLT 301")
    assert ac3.query("SYST:ERR?") == '-222,"Data out of range; VOLT: 301 outside 0 ... 300"'


def test_asterion_per_phase_programming(links):
    ac3 = links["ac3"]
    ac3.write("INST:COUP ALL;:VOLT:AC 230;:FREQ 50")
    ac3.write("INST:COUP NONE;:INST:NSEL 2;:VOLT:AC 207")
    ac3.write("INST:NSEL 3;:VOLT:AC 253;:PHAS 100")
    assert ac3.query("INST:COUP?;NSEL?") == "NONE;3"
    replies = [ac3.query(f"INST:NSEL {n};:VOLT?;:PHAS?") for n in (1, 2, 3)]
    assert replies == ["2.3000E+02;0.0000E+00", "2.0700E+02;2.4000E+02", "2.5300E+02;1.0000E+02"]
    ac3.write("OUTP ON")
    measured = [ac3.number(f"INST:NSEL {n};:MEAS:VOLT:AC?") for n in (1, 2, 3)]
    assert measured == [230.0, 207.0, 253.0]
    assert ac3.number("INST:NSEL 2;:MEAS:FREQ?") == 50.0
    # coupling again programs all three phases at once
    ac3.write("INST:COUP ALL;:VOLT:AC 220")
    assert [ac3.number(f"INST:NSEL {n};:VOLT?") for n in (1, 2, 3)] == [220.0] * 3
    assert ac3.errors() == []


@pytest.mark.parametrize(
    ("command", "code"),
    [("INST:NSEL 4", -222), ("INST:NSEL 0", -222), ("INST:NSEL 1.5", -104),
     ("INST:COUP SOME", -224), ("PHAS 361", -222), ("VOLT 300.5", -222)],
)
def test_asterion_errors(links, command, code):
    ac3 = links["ac3"]
    ac3.write(command)
    assert ac3.errors() == [code]


@pytest.mark.stub_firmware
def test_asterion_three_phase_current_follows_the_load(links):
    ac3, ev = links["ac3"], links["ev"]
    ac3.write("INST:COUP ALL;:VOLT:AC 230;:OUTP ON")
    ev.write("SOUR:LOAD:LAG 0;:SOUR:LOAD:CURR1 10;:SOUR:LOAD:CURR2 12;:SOUR:LOAD:CURR3 14")
    ev.write("OUTP:LOAD ON;:SOUR:CP:STAT C")
    links["ctrl"].write("BENCH:TIME:ADV 1")
    currents = [ac3.number(f"INST:NSEL {n};:MEAS:CURR:AC?") for n in (1, 2, 3)]
    assert currents == pytest.approx([10.04, 12.0, 14.0])


def test_asterion_drop_interrupts_the_output(links):
    ac3, ctrl = links["ac3"], links["ctrl"]
    ac3.write("OUTP:DROP 0.2")
    assert ac3.errors() == [-221]  # output off: nothing to drop
    ac3.write("VOLT:AC 230;:OUTP ON;:OUTP:DROP 0.2")
    assert ac3.query("MEAS:VOLT:AC?") == "0.0000E+00"
    ctrl.write("BENCH:TIME:ADV 0.1")
    assert ac3.query("MEAS:VOLT:AC?") == "0.0000E+00"
    ctrl.write("BENCH:TIME:ADV 0.1")
    assert ac3.query("MEAS:VOLT:AC?") == "2.3000E+02"
    assert ac3.errors() == []


@pytest.mark.parametrize("key", ["ac1", "ac3"])
def test_output_watchdog_latches_off(links, bench, key):
    src = links[key]
    src.write("VOLT 230;OUTP:PROT:WDOG:DEL 0.5;:OUTP:PROT:WDOG ON;:OUTP ON")
    assert src.query("OUTP:PROT:WDOG?;:OUTP:PROT:TRIP?;:OUTP?") == "1;0;1"
    assert float(src.query("OUTP:PROT:WDOG:DEL?")) == 0.5
    tripped = threading.Event()
    bench.bench.listeners.append(
        lambda: bench.bench.sources[key].watchdog_tripped and tripped.set())
    with bench.bench.lock:  # the host went silent a minute ago
        bench.servers[key].last_message_wall -= 60.0
    assert tripped.wait(2.0)
    assert src.query("OUTP?;:OUTP:PROT:TRIP?") == "0;1"
    src.write("OUTP ON")
    assert src.query("SYST:ERR?").endswith('"Settings conflict; watchdog tripped; send '
                                          'OUTP:PROT:CLE"')
    src.write("OUTP:PROT:CLE;:OUTP ON")
    assert src.query("OUTP?;:OUTP:PROT:TRIP?") == "1;0"
