"""The residual-current sources over TCP: Keithley 2450 (smooth DC) and 6221 (AC)."""

from __future__ import annotations

import pytest


def rci_events(links):
    """The EV emulator's RCI trace events as (kind, value) pairs."""
    data = links["ev"].query("TRAC:EVEN:DATA?")
    if data == "NONE":
        return []
    fields = data.split(",")
    events = list(zip(fields[1::3], fields[2::3], strict=True))
    return [e for e in events if e[0] == "RCI"]


def test_2450_identity_and_errors_exact_bytes(links):
    smu = links["smu"]
    smu.send_raw(b"*IDN?\n")
    assert smu.read_raw() == b"KEITHLEY INSTRUMENTS,MODEL 2450,04512345,1.7.12b\n"
    smu.send_raw(b":SOUR:CURR:LEV 6e-3\n")
    smu.send_raw(b":SOUR:CURR:LEV?\n")
    assert smu.read_raw() == b"6.000000E-03\n"
    smu.send_raw(b"SYST:ERR?\n")
    assert smu.read_raw() == b'0,"No error"\n'


def test_2450_refuses_output_unless_sourcing_current(links, bench):
    smu = links["smu"]
    assert smu.query(":SOUR:FUNC?") == "VOLT"  # the reset default
    smu.write(":OUTP ON")
    assert smu.query(":OUTP?") == "0"
    assert smu.query("SYST:ERR?") == ('-221,"Settings conflict; set :SOUR:FUNC CURR before '
                                      ':OUTP ON (test wire is a short)"')
    smu.write(":SOUR:FUNC CURR;:SOUR:CURR:RANG 0.01;:SOUR:CURR:VLIM 10;:SOUR:CURR:LEV 6e-3")
    smu.write(":OUTP ON")
    assert smu.query(":OUTP?;:SOUR:FUNC?") == "1;CURR"
    assert bench.bench.hal.rcd_dc_ma == pytest.approx(6.0)
    smu.write(":SOUR:FUNC VOLT")  # not with the output on
    assert smu.errors() == [-221]
    assert smu.query(":SOUR:FUNC?") == "CURR"
    smu.write(":OUTP OFF")
    assert bench.bench.hal.rcd_dc_ma == 0.0
    assert smu.errors() == []


def test_2450_settings(links):
    smu = links["smu"]
    smu.write(":SOUR:FUNC CURR;:SOUR:CURR:RANG 0.01;:SOUR:CURR:VLIM 10")
    assert smu.query(":SOUR:CURR:RANG?;:SOUR:CURR:VLIM?;:SOUR:CURR:RANG:AUTO?") == (
        "1.000000E-02;1.000000E+01;0")
    smu.write(":SOUR:CURR:LEV 5MA")
    assert smu.query(":SOUR:CURR:LEV?;:SOUR:CURR:VLIM:TRIP?") == "5.000000E-03;0"
    smu.write(":SOURCE1:CURRENT:LEVEL:IMMEDIATE:AMPLITUDE -4.5e-3")  # long forms, suffix 1
    assert smu.query(":SOUR1:CURR?") == "-4.500000E-03"
    smu.write(':SENS:FUNC "CURR";:SOUR:CURR:DEL 0;:SOUR:CURR:DEL:AUTO OFF')
    smu.write(":OUTP1:STAT ON")
    assert smu.query(":OUTP1?;:READ?") == "1;-4.500000E-03"
    assert smu.errors() == []


@pytest.mark.parametrize(
    ("command", "code"),
    [(":SOUR:CURR:LEV 1.1", -222), (":SOUR:CURR:VLIM 211", -222), (":SOUR:CURR:VLIM 0.01", -222),
     (":SOUR:FUNC RES", -224), (':SENS:FUNC "POW"', -224), (":SOUR2:FUNC CURR", -113),
     (":OUTP", -109), (":SOUR:CURR:LEV 1V", -131), (":SOUR:CURR:LEVEL:FOO 1", -113)],
)
def test_2450_errors(links, command, code):
    smu = links["smu"]
    smu.write(command)
    assert smu.errors() == [code]


def test_2450_fixed_range_limits_the_level(links):
    smu = links["smu"]
    smu.write(":SOUR:FUNC CURR;:SOUR:CURR:RANG 0.01;:SOUR:CURR:LEV 0.02")
    assert smu.query("SYST:ERR?") == (
        '-222,"Data out of range; :SOUR:CURR:LEV: 0.02 outside -0.0105 ... 0.0105"')


def test_2450_trigger_events(links):
    smu = links["smu"]
    smu.write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 6e-3")
    assert rci_events(links) == []  # output off: a level change is no step
    smu.write(":OUTP ON")
    smu.write(":SOUR:CURR:LEV 12e-3")
    smu.write(":SOUR:CURR:LEV 12e-3")  # unchanged: no step
    smu.write(":OUTP ON")  # already on: no edge
    smu.write(":OUTP OFF")
    assert rci_events(links) == [("RCI", "ON"), ("RCI", "STEP"), ("RCI", "OFF")]


def test_6221_identity(links):
    cs = links["cs"]
    cs.send_raw(b"*IDN?\n")
    assert cs.read_raw() == b"KEITHLEY INSTRUMENTS INC.,MODEL 6221,4101234,D03  /700x \n"


def test_6221_wave_arm_init_abort(links, bench):
    cs = links["cs"]
    cs.write(":SOUR:CURR:COMP 10;:SOUR:WAVE:FUNC SIN;:SOUR:WAVE:FREQ 50;"
             ":SOUR:WAVE:AMPL 0.0424;:SOUR:WAVE:DUR:TIME INF")
    assert cs.errors() == []
    assert cs.query(":SOUR:WAVE:FUNC?;:SOUR:WAVE:FREQ?;:SOUR:WAVE:AMPL?;:SOUR:CURR:COMP?") == (
        "SIN;5.000000E+01;4.240000E-02;1.000000E+01")
    cs.write(":SOUR:WAVE:INIT")  # not armed
    assert cs.query("SYST:ERR?") == '-221,"Settings conflict; waveform not armed"'
    assert cs.query("OUTP?") == "0"
    cs.write(":SOUR:WAVE:ARM")
    assert cs.query(":SOUR:WAVE:ARM?;:OUTP?") == "1;0"
    cs.write(":SOUR:WAVE:INIT")
    assert cs.query("OUTP?") == "1"
    # 42.4 mA peak = 30 mA r.m.s., five turns through the sensor
    assert bench.bench.hal.rcd_ac_ma == pytest.approx(30.0 * 5, rel=1e-3)
    cs.write(":SOUR:WAVE:AMPL 0.0212")
    assert bench.bench.hal.rcd_ac_ma == pytest.approx(15.0 * 5, rel=1e-3)
    cs.write(":SOUR:WAVE:ABOR")
    assert cs.query(":OUTP?;:SOUR:WAVE:ARM?") == "0;0"
    assert bench.bench.hal.rcd_ac_ma == 0.0
    assert rci_events(links) == [("RCI", "ON"), ("RCI", "STEP"), ("RCI", "OFF")]
    assert cs.errors() == []


@pytest.mark.parametrize(
    ("command", "code"),
    [(":SOUR:WAVE:DUR:TIME 5", -221), (":SOUR:WAVE:DUR:TIME 2e6", -222),
     (":SOUR:WAVE:DUR:TIME", -109), (":SOUR:WAVE:AMPL 0.2", -222), (":SOUR:CURR 0.2", -222),
     (":SOUR:WAVE:FUNC TRI", -224), (":SOUR:CURR:COMP 106", -222),
     (":SOUR:WAVE:FREQ 1MHZ", -222)],
)
def test_6221_errors(links, command, code):
    cs = links["cs"]
    cs.write(command)
    assert cs.errors() == [code]


def test_6221_only_sine_reaches_the_sensor(links):
    cs = links["cs"]
    cs.write(":SOUR:WAVE:FUNC SQU;:SOUR:WAVE:ARM")
    assert cs.query(":SOUR:WAVE:ARM?") == "0"
    assert cs.errors() == [-221]


def test_6221_dc_level_and_output(links, bench):
    cs = links["cs"]
    cs.write(":SOUR:CURR 6e-3")
    assert cs.query(":SOUR:CURR?") == "6.000000E-03"
    cs.write("OUTP ON")
    assert bench.bench.hal.rcd_dc_ma == pytest.approx(30.0)  # 6 mA x 5 turns
    cs.write(":SOUR:CURR 2e-3")
    cs.write("OUTP OFF")
    assert rci_events(links) == [("RCI", "ON"), ("RCI", "STEP"), ("RCI", "OFF")]


def test_2450_measures_the_test_wire(links, bench):
    """What the SMU reads is the model's: the current it sources, I x TEST_WIRE_OHM across
    the wire, the wire's resistance; a fixed range below the reading is overflow (9.9E+37),
    auto range takes the reading's range; every reading goes into defbuffer1."""
    from rig.bench.model import TEST_WIRE_OHM

    smu = links["smu"]
    smu.write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 6e-3;:OUTP ON")
    assert float(smu.query(":MEAS:CURR?")) == pytest.approx(6e-3)
    assert smu.query(":SENS:FUNC?;:SENS:CURR:RANG?") == '"CURR:DC";1.000000E-02'
    assert float(smu.query(":MEAS:VOLT?")) == pytest.approx(6e-3 * TEST_WIRE_OHM)
    assert float(smu.query(":MEAS:RES?")) == pytest.approx(TEST_WIRE_OHM)
    assert smu.query(":SENS:FUNC?") == '"RES"'  # :MEAS:<function>? selects the function
    smu.write(':SENS:FUNC "CURR";:SENS:CURR:RANG 1e-3')  # fixed, below 6 mA
    assert smu.query(":SENS:CURR:RANG:AUTO?;:READ?") == "0;9.900000E+37"
    smu.write(":SENS:CURR:RANG:AUTO ON")
    assert smu.query(':READ? "defbuffer1",READ,SOUR,UNIT') == (
        "6.000000E-03,6.000000E-03,Amp DC")
    assert smu.query(":TRAC:ACT?") == "5"
    assert smu.query(":TRAC:DATA? 4,5") == "9.900000E+37,6.000000E-03"
    smu.write(":OUTP OFF")
    assert float(smu.query(":READ?")) == 0.0  # output off: no current through the wire
    assert smu.errors() == []
