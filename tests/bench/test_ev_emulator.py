"""The EV emulator (EVE-1) over TCP: CP state, resistance, faults, PP, load, trace, watchdog."""

from __future__ import annotations

import threading

import pytest

from tests.bench.conftest import STUB_DUTY

NAN_REPLY = "9.91000E+37"


def trace(ev, since: float | None = None) -> list[tuple[float, str, str]]:
    data = ev.query("TRAC:EVEN:DATA?" if since is None else f"TRAC:EVEN:DATA? {since}")
    if data == "NONE":
        return []
    fields = data.split(",")
    return [(float(t), k, v) for t, k, v in zip(fields[0::3], fields[1::3], fields[2::3],
                                                 strict=True)]


def kinds_values(events):
    return [(k, v) for _, k, v in events]


def now(links) -> float:
    return float(links["ctrl"].query("BENCH:TIME?"))


def test_identity_exact_bytes(links):
    ev = links["ev"]
    ev.send_raw(b"*IDN?\n")
    assert ev.read_raw() == b"evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0\n"
    ev.send_raw(b"SOUR:CP:STAT B;STAT?\n")
    assert ev.read_raw() == b"B\n"
    ev.send_raw(b"SYST:ERR?\n")
    assert ev.read_raw() == b'0,"No error"\n'


@pytest.mark.stub_firmware
def test_state_commands_and_what_the_vehicle_sees(links):
    ev = links["ev"]
    assert ev.query("MEAS:CP:STAT?") == "E"  # charger unpowered: CP at 0 V
    links["ac1"].write("VOLT 230;OUTP ON")
    assert ev.query("SOUR:CP:STAT?;:MEAS:CP:STAT?") == "A;A1"
    assert ev.query("MEAS:CP:VOLT:HIGH?") == "1.20000E+01"
    assert ev.query("MEAS:CP:FREQ?;:MEAS:CP:DCYC?;:MEAS:CP:RTIM?") == ";".join([NAN_REPLY] * 3)
    ev.write("SOUR:CP:STAT B")
    assert ev.query("CP:STAT?;:MEAS:CP:STAT?") == "B;B2"
    assert ev.query("MEAS:CP:FREQ?;:MEAS:CP:DCYC?") == f"1.00000E+03;{STUB_DUTY:.5E}"
    assert ev.query("MEAS:CP:RTIM?;:MEAS:CP:FTIM?") == "2.00000E-06;2.00000E-06"
    high, low = float(ev.query("MEAS:CP:VOLT:HIGH?")), float(ev.query("MEAS:CP:VOLT:LOW?"))
    assert high == pytest.approx(12 - 1000 * (12 - 0.7) / (1000 + 2740), abs=1e-3)
    assert low == -12.0
    ev.write("source:cp:state c")
    assert ev.query("MEAS:CP:STAT?;:MEAS:LOCK?;:MEAS:LED?") == "C2;1;GREEN,FLASH"
    ev.write("SOUR:CP:STAT D")
    assert ev.query("MEAS:CP:STAT?") == "D2"
    assert ev.errors() == []


@pytest.mark.stub_firmware
def test_resistance(links):
    ev = links["ev"]
    links["ac1"].write("VOLT 230;OUTP ON")
    ev.write("SOUR:CP:RES 882")
    assert ev.query("SOUR:CP:STAT?;:SOUR:CP:RES?;:MEAS:CP:STAT?") == "R;8.82000E+02;C2"
    ev.write("SOUR:CP:RES 2.74KOHM")
    assert ev.query("SOUR:CP:RES?;:MEAS:CP:STAT?") == "2.74000E+03;B2"
    ev.write("SOUR:CP:RES INF")
    assert ev.query("SOUR:CP:STAT?;:SOUR:CP:RES?;:MEAS:CP:STAT?") == "A;INF;A1"
    ev.write("SOUR:CP:STAT C")
    assert ev.query("SOUR:CP:RES?") == "8.82000E+02"  # a state sets its nominal resistance
    for bad in ("SOUR:CP:RES 10", "SOUR:CP:RES 200KOHM"):
        ev.write(bad)
    ev.write("SOUR:CP:RES abc")
    assert ev.errors() == [-222, -222, -104]


@pytest.mark.stub_firmware
@pytest.mark.parametrize(
    ("fault", "seen"),
    [("CP_PE_SHORT", "E"), ("CP_OPEN", "A1"), ("PE_OPEN", "A1"), ("DIODE_SHORT", "C2"),
     ("NONE", "C2")],
)
def test_faults(links, fault, seen):
    ev = links["ev"]
    links["ac1"].write("VOLT 230;OUTP ON")
    ev.write("SOUR:CP:STAT C")
    ev.write(f"SOUR:CP:FAUL {fault}")
    assert ev.query("SOUR:CP:FAUL?") == fault
    assert ev.query("MEAS:CP:STAT?").startswith(seen[0])
    if fault == "DIODE_SHORT":  # the negative plateau is loaded too
        assert float(ev.query("MEAS:CP:VOLT:LOW?")) == pytest.approx(-12 * 882 / 1882, abs=1e-3)
    assert ("FAULT", fault) in kinds_values(trace(ev))


def test_bad_fault_and_state(links):
    ev = links["ev"]
    for command in ("SOUR:CP:FAUL BOGUS", "SOUR:CP:STAT E", "SOUR:CP:STAT", "SOUR:CP:STAT B,C"):
        ev.write(command)
    assert ev.errors() == [-224, -224, -109, -108]
    assert ev.query("SOUR:CP:STAT?") == "A"


def test_pp(links, bench):
    ev = links["ev"]
    assert ev.query("SOUR:PP:RES?") == "NONE"
    ev.write("SOUR:PP:RES 220")
    assert ev.query("SOUR:PP:RES?") == "2.20000E+02"
    assert bench.bench.hal.pp_ohm == 220.0
    ev.write("SOUR:PP:RES 1.5KOHM")
    assert ev.query("SOUR:PP:RES?") == "1.50000E+03"
    ev.write("SOUR:PP:RES NONE")
    assert ev.query("SOUR:PP:RES?") == "NONE"
    assert bench.bench.hal.pp_ohm is None
    ev.write("SOUR:PP:RES -5")
    assert ev.errors() == [-222]
    assert [e for e in kinds_values(trace(ev)) if e[0] == "PP"] == [
        ("PP", "220"), ("PP", "1500"), ("PP", "NONE")]


@pytest.mark.stub_firmware
def test_load_per_phase_follows_the_lag(links):
    ev, ctrl = links["ev"], links["ctrl"]
    links["ac3"].write("INST:COUP ALL;:VOLT:AC 230;:OUTP ON")
    ev.write("SOUR:LOAD:CURR1 16;:SOUR:LOAD:CURR2 10;:SOUR:LOAD:CURR3 0;:SOUR:LOAD:PFAC 0.95")
    ev.write("SOUR:LOAD:LAG 1")
    assert ev.query("SOUR:LOAD:CURR1?;CURR2?;CURR3?;PFAC?;LAG?") == (
        "1.60000E+01;1.00000E+01;0.00000E+00;9.50000E-01;1.00000E+00")
    ev.write("OUTP:LOAD ON;:SOUR:CP:STAT C")
    assert ev.query("OUTP:LOAD?") == "1"
    assert ev.query("MEAS:LOAD:CURR1?") == "0.00000E+00"
    ctrl.write("BENCH:TIME:ADV 1")  # one time constant: 63.2 %
    assert float(ev.query("MEAS:LOAD:CURR1?")) == pytest.approx(16 * 0.6321, abs=1e-3)
    assert float(ev.query("MEAS:LOAD:CURR2?")) == pytest.approx(10 * 0.6321, abs=1e-3)
    ctrl.write("BENCH:TIME:ADV 20")
    assert ev.query("MEAS:LOAD:CURR1?;:MEAS:LOAD:CURR2?;:MEAS:LOAD:CURR3?") == (
        "1.60000E+01;1.00000E+01;0.00000E+00")
    assert ev.query("MEAS:AC:VOLT1?;:MEAS:AC:VOLT3?") == "2.30000E+02;2.30000E+02"
    ev.write("OUTP:LOAD OFF")
    ctrl.write("BENCH:TIME:ADV 20")
    assert ev.query("MEAS:LOAD:CURR1?") == "0.00000E+00"


@pytest.mark.stub_firmware
def test_load_is_limited_by_the_advertised_current(links):
    ev, ctrl = links["ev"], links["ctrl"]
    links["ac1"].write("VOLT 230;OUTP ON")
    ev.write("SOUR:LOAD:LAG 0;:SOUR:LOAD:CURR1 40;:OUTP:LOAD ON;:SOUR:CP:STAT C")
    ctrl.write("BENCH:TIME:ADV 1")
    assert float(ev.query("MEAS:LOAD:CURR1?")) == pytest.approx(0.6 * STUB_DUTY, abs=1e-3)


@pytest.mark.parametrize(
    ("command", "code"),
    [("SOUR:LOAD:CURR4 5", -114), ("SOUR:LOAD:CURR0 5", -114), ("SOUR:LOAD:CURR1 81", -222),
     ("SOUR:LOAD:CURR1 -1", -222), ("SOUR:LOAD:PFAC 1.1", -222), ("SOUR:LOAD:PFAC 0", -222),
     ("SOUR:LOAD:LAG 61", -222), ("OUTP:LOAD SOMETIMES", -224), ("MEAS:LOAD:CURR4?", -114),
     ("MEAS:AC:VOLT4?", -114), ("MEAS:CP:DUTY?", -113), ("SOUR:LOAD:CURR1 5V", -131)],
)
def test_errors(links, command, code):
    ev = links["ev"]
    ev.write(command, sync=not command.endswith("?"))
    assert ev.errors() == [code]


@pytest.mark.stub_firmware
def test_trace_state_for_every_command_and_outputs_on_change(links):
    ev, ctrl = links["ev"], links["ctrl"]
    t0 = now(links)
    links["ac1"].write("VOLT 230;OUTP ON")
    ctrl.write("BENCH:TIME:ADV 1")
    ev.write("SOUR:CP:STAT B")
    ev.write("SOUR:CP:STAT B")  # unchanged: still traced
    ctrl.write("BENCH:TIME:ADV 0.5")
    ev.write("SOUR:CP:STAT C")
    ctrl.write("BENCH:TIME:ADV 2")
    ev.write("SOUR:CP:STAT B;:SOUR:CP:STAT A")
    events = [(round(t - t0, 6), k, v) for t, k, v in trace(ev)]
    assert events == [
        (0.0, "LED", "green/solid"), (0.0, "CP", "A1"),
        (1.0, "STATE", "B"), (1.0, "LOCK", "1"), (1.0, "PWM", f"{STUB_DUTY:.2f}"),
        (1.0, "LED", "blue/solid"), (1.0, "CP", "B2"),
        (1.0, "STATE", "B"),
        (1.5, "STATE", "C"), (1.5, "CONTACTOR", "1"), (1.5, "LED", "green/flash"),
        (1.5, "CP", "C2"),
        (3.5, "STATE", "B"), (3.5, "CONTACTOR", "0"), (3.5, "LED", "blue/solid"),
        (3.5, "CP", "B2"),
        (3.5, "STATE", "A"), (3.5, "LOCK", "0"), (3.5, "PWM", "OFF"),
        (3.5, "LED", "green/solid"), (3.5, "CP", "A1"),
    ]
    assert ev.query("TRAC:EVEN:COUN?") == str(len(events))
    assert ev.query('TRAC:EVEN:LAST? "CONTACTOR"') == f"{t0 + 3.5:.6f},CONTACTOR,0"
    assert ev.query("TRAC:EVEN:LAST?") == f"{t0 + 3.5:.6f},CP,A1"
    assert ev.query('TRAC:EVEN:LAST? "WDOG"') == "NONE"
    assert [e[1:] for e in trace(ev, since=t0 + 3.5)][:2] == [("STATE", "B"), ("CONTACTOR", "0")]
    assert float(ev.query("SYST:TIME?")) == pytest.approx(t0 + 3.5, abs=1e-6)
    ev.write("TRAC:EVEN:CLE")
    assert ev.query("TRAC:EVEN:DATA?;:TRAC:EVEN:COUN?") == "NONE;0"


@pytest.mark.stub_firmware
def test_trace_resistance_fault_and_load_events(links):
    ev = links["ev"]
    ev.write("SOUR:CP:RES 1.3KOHM;:SOUR:CP:RES OPEN;:SOUR:CP:FAUL DIODE_SHORT")
    ev.write("OUTP:LOAD ON;:OUTP:LOAD ON;:OUTP:LOAD OFF")
    assert kinds_values(trace(ev)) == [
        ("STATE", "R1300"), ("STATE", "A"), ("FAULT", "DIODE_SHORT"), ("LOAD", "1"),
        ("LOAD", "0"),
    ]


def test_trace_residual_current_triggers(links):
    ev = links["ev"]
    links["smu"].write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 3e-3;:OUTP ON;:SOUR:CURR:LEV 7e-3;:OUTP OFF")
    links["cs"].write(":SOUR:WAVE:AMPL 0.01;:SOUR:WAVE:ARM;:SOUR:WAVE:INIT;:SOUR:WAVE:ABOR")
    assert [e for e in kinds_values(trace(ev)) if e[0] == "RCI"] == [
        ("RCI", "ON"), ("RCI", "STEP"), ("RCI", "OFF"), ("RCI", "ON"), ("RCI", "OFF")]


def test_watchdog_drops_to_state_a_and_load_off(links, bench):
    ev = links["ev"]
    links["ac1"].write("VOLT 230;OUTP ON")
    ev.write("OUTP:PROT:WDOG:DEL 0.5;:OUTP:PROT:WDOG ON")
    assert ev.query("OUTP:PROT:WDOG?;:OUTP:PROT:WDOG:DEL?;:OUTP:PROT:TRIP?") == (
        "1;5.00000E-01;0")
    ev.write("SOUR:CP:STAT C;:OUTP:LOAD ON")
    expired = threading.Event()
    bench.bench.listeners.append(lambda: bench.bench.ev.watchdog_tripped and expired.set())
    with bench.bench.lock:  # the host went silent a minute ago
        bench.servers["ev"].last_message_wall -= 60.0
    assert expired.wait(2.0)
    assert ev.query("OUTP:PROT:TRIP?;:SOUR:CP:STAT?;:OUTP:LOAD?") == "1;A;0"
    assert ("WDOG", "EXPIRED") in kinds_values(trace(ev))
    ev.write("SOUR:CP:STAT C")
    ev.write("OUTP:LOAD ON")
    ev.write("SOUR:CP:RES 882")
    assert ev.errors() == [-221, -221, -221]
    ev.write("SOUR:CP:STAT A")  # going to A is always allowed
    ev.write("OUTP:PROT:CLE;:SOUR:CP:STAT C")
    assert ev.query("OUTP:PROT:TRIP?;:SOUR:CP:STAT?") == "0;C"
    assert ev.errors() == []


def test_watchdog_wdog_delay_range(links):
    ev = links["ev"]
    ev.write("OUTP:PROT:WDOG:DEL 0.05")
    ev.write("OUTP:PROT:WDOG:DEL 3601")
    assert ev.errors() == [-222, -222]


def test_rst_returns_to_a_disconnected_vehicle(links):
    ev = links["ev"]
    ev.write("SOUR:CP:STAT C;:SOUR:PP:RES 220;:SOUR:LOAD:CURR1 16;:OUTP:LOAD ON")
    ev.write("*RST")
    assert ev.query("SOUR:CP:STAT?;:SOUR:PP:RES?;:OUTP:LOAD?;:SOUR:LOAD:CURR1?") == (
        "A;NONE;0;0.00000E+00")
