"""Every emulated instrument through pyvisa's pure-Python backend (``@py``), as drivers use it."""

from __future__ import annotations

import math

import pytest

IDN = {
    "ac1": "Keysight Technologies,AC6801B,MY56001234,A.02.01",
    "ac3": "AMETEK Programmable Power,AST3003,1742A00315,3.1.4",
    "pa": "YOKOGAWA,WT333E,C2QD12345,F1.03",
    "smu": "KEITHLEY INSTRUMENTS,MODEL 2450,04512345,1.7.12b",
    "cs": "KEITHLEY INSTRUMENTS INC.,MODEL 6221,4101234,D03  /700x ",
    "ev": "evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0",
    "ctrl": "evse-rig,Emulated bench control,0,1.0",
}
NO_ERROR = {"ac1": '+0,"No error"', "pa": ':STAT:ERR 0,"No error"'}  # WT: HEAD ON
ERROR_QUERY = {"pa": ":STAT:ERR?"}


@pytest.mark.parametrize("key", sorted(IDN))
def test_identity_errors_and_opc(visa, key):
    inst = visa(key)
    assert inst.query("*IDN?") == IDN[key]
    query = ERROR_QUERY.get(key, "SYST:ERR?")
    assert inst.query(query) == NO_ERROR.get(key, '0,"No error"')
    inst.write("NO:SUCH:COMMAND")
    code = int(inst.query(query).split(",")[0].split(" ")[-1])
    assert code == -113
    assert inst.query("*OPC?") == "1"
    inst.write("*CLS")
    assert inst.query("*ESR?") == "0"


def test_ac6801b(visa):
    ac1 = visa("ac1")
    ac1.write("VOLT 230")
    ac1.write("FREQ 50")
    ac1.write("OUTP ON")
    assert ac1.query_ascii_values("VOLT?;FREQ?", separator=";") == [230.0, 50.0]
    assert ac1.query("OUTP?") == "1"
    assert ac1.query_ascii_values("MEAS:VOLT:AC?") == [230.0]
    ac1.write("VOLT 400")
    assert ac1.query("SYST:ERR?") == '-222,"Data out of range; VOLT: 400 outside 0 ... 310"'
    ac1.write("OUTP OFF")


def test_asterion(visa):
    ac3 = visa("ac3")
    ac3.write("INST:COUP NONE;:INST:NSEL 2;:VOLT:AC 120")
    assert ac3.query_ascii_values("VOLT?") == [120.0]
    assert ac3.query("INST:NSEL 1;:VOLT?") == "0.0000E+00"
    assert ac3.query("SYST:ERR?") == '0,"No error"'


def test_wt333e(visa):
    pa = visa("pa")
    pa.write(":COMM:REM ON;:COMM:HEAD OFF;:NUM:FORM ASC")
    pa.write(":NUM:NORM:NUM 3;:NUM:NORM:ITEM1 U,1;ITEM2 LAMBDA,1;ITEM3 WH,SIGMA")
    values = pa.query_ascii_values(":NUM:NORM:VAL?")
    assert values[0] == 0.0 and math.isnan(values[1]) and values[2] == 0.0
    assert pa.query(":INTEG:STAT?") == "RESET"
    pa.write("SYST:ERR?")  # not this instrument's error query: no reply, -113
    assert pa.query(":STAT:ERR?") == "-113,\"Undefined header; 'SYST:ERR?'\""


def test_keithley_2450(visa):
    smu = visa("smu")
    smu.write(":SOUR:FUNC CURR")
    smu.write(":SOUR:CURR:RANG 0.01")
    smu.write(":SOUR:CURR:VLIM 10")
    smu.write(":SOUR:CURR:LEV 6e-3")
    smu.write(":OUTP ON")
    assert smu.query_ascii_values(":SOUR:CURR:LEV?") == [0.006]
    assert smu.query(":OUTP?;:SOUR:CURR:VLIM:TRIP?") == "1;0"
    smu.write(":OUTP OFF")


def test_keithley_6221(visa):
    cs = visa("cs")
    for command in (":SOUR:CURR:COMP 10", ":SOUR:WAVE:FUNC SIN", ":SOUR:WAVE:FREQ 50",
                    ":SOUR:WAVE:AMPL 0.0424", ":SOUR:WAVE:DUR:TIME INF", ":SOUR:WAVE:ARM",
                    ":SOUR:WAVE:INIT"):
        cs.write(command)
    assert cs.query("OUTP?") == "1"
    cs.write(":SOUR:WAVE:ABOR")
    assert cs.query("OUTP?") == "0"
    assert cs.query("SYST:ERR?") == '0,"No error"'


def test_ev_emulator_and_control(visa):
    ev, ctrl = visa("ev"), visa("ctrl")
    ev.write("TRAC:EVEN:CLE")
    ev.write("SOUR:CP:STAT B")
    assert ev.query("*OPC?") == "1"  # executed before the control port moves time
    t0 = float(ctrl.query("BENCH:TIME?"))
    ctrl.write("BENCH:TIME:ADV 2")
    assert ctrl.query_ascii_values("BENCH:TIME?") == [pytest.approx(t0 + 2)]
    assert ev.query("SOUR:CP:STAT?") == "B"
    assert ev.query('TRAC:EVEN:LAST? "STATE"') == f"{t0:.6f},STATE,B"
    # the EV emulator's "not a number" passes through query_ascii_values unmapped
    assert ev.query_ascii_values("MEAS:CP:FREQ?") == [9.91e37]
