"""EVE-1 driver: timestamps from the instrument, trace parsing, pilot, load, watchdog."""

from __future__ import annotations

import math
import time

import pytest

from rig.errors import InstrumentError
from rig.instruments.ev_emulator import EVE1
from rig.instruments.protocols import Event, PilotMeasurement

OK = '0,"No error"'


@pytest.fixture
def ev(driver) -> EVE1:
    emulator = driver("EVE-1")
    emulator.make_safe()
    emulator.clear_events()
    return emulator


def test_set_state_returns_the_instrument_timestamp(ev, transcript, advance):
    now = ev.time()
    mark = transcript.mark()
    t_b = ev.set_state("B")
    assert transcript.lines(mark) == [
        "> SOUR:CP:STAT B;:TRAC:EVEN:LAST? STATE", f"< {now:.6f},STATE,B", "> SYST:ERR?", f"< {OK}",
    ]
    assert t_b == pytest.approx(now, abs=1e-6)
    advance(1.5)
    t_c = ev.set_state("c")
    assert t_c - t_b == pytest.approx(1.5, abs=2e-6)
    assert ev.time() == pytest.approx(t_c, abs=1e-6)


def test_resistance_and_fault_are_time_stamped(ev, transcript, advance):
    advance(0.1)
    mark = transcript.mark()
    t_r = ev.set_resistance(2740)
    assert transcript.lines(mark)[0] == "> SOUR:CP:RES 2740;:TRAC:EVEN:LAST? STATE"
    assert transcript.lines(mark)[1].endswith(",STATE,R2740")
    t_open = ev.set_resistance(None)
    assert transcript.lines(mark)[4] == "> SOUR:CP:RES INF;:TRAC:EVEN:LAST? STATE"
    t_f = ev.set_fault("diode_short")
    assert transcript.lines(mark)[8] == "> SOUR:CP:FAUL DIODE_SHORT;:TRAC:EVEN:LAST? FAULT"
    assert t_r <= t_open <= t_f
    kinds = [(e.kind, e.value) for e in ev.events(t_r)]
    assert ("STATE", "R2740") in kinds and ("STATE", "A") in kinds
    assert ("FAULT", "DIODE_SHORT") in kinds


def test_trace_parsing_with_timestamps(ev, transcript, advance):
    t_b = ev.set_state("B")
    advance(0.25)
    t_c = ev.set_state("C")
    advance(0.5)
    mark = transcript.mark()
    events = ev.events()
    lines = transcript.lines(mark)
    assert lines[0] == "> TRAC:EVEN:DATA?"
    raw = lines[1][2:].split(",")
    assert events == [
        Event(float(raw[i]), raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)
    ]
    assert all(isinstance(e.t, float) for e in events)
    assert [e.t for e in events] == sorted(e.t for e in events)
    states = [(e.t, e.value) for e in events if e.kind == "STATE"]
    assert states == [(pytest.approx(t_b), "B"), (pytest.approx(t_c), "C")]

    mark = transcript.mark()
    since = ev.events(t_c)  # inclusive
    assert transcript.lines(mark)[0] == f"> TRAC:EVEN:DATA? {t_c - 1e-6:.6f}"
    assert since[0].t == t_c and (since[0].kind, since[0].value) == ("STATE", "C")
    assert since == [e for e in events if e.t >= t_c]
    assert ev.events(t_c + 10) == []


def test_empty_trace(ev, transcript, checked):
    mark = transcript.mark()
    assert ev.events() == []
    assert transcript.lines(mark) == ["> TRAC:EVEN:DATA?", "< NONE"]
    mark = transcript.mark()
    ev.clear_events()
    assert transcript.lines(mark) == checked("TRAC:EVEN:CLE")


def test_measure_pilot_in_one_message(ev, transcript):
    mark = transcript.mark()
    pilot = ev.measure_pilot()
    lines = transcript.lines(mark)
    assert lines[0] == (
        "> MEAS:CP:FREQ?;:MEAS:CP:DCYC?;:MEAS:CP:VOLT:HIGH?;:MEAS:CP:VOLT:LOW?;:MEAS:CP:RTIM?;"
        ":MEAS:CP:FTIM?;:MEAS:CP:STAT?"
    )
    assert len(lines) == 2
    assert isinstance(pilot, PilotMeasurement)
    replies = lines[1][2:].split(";")
    assert len(replies) == 7 and replies[6] == pilot.state
    # no PWM in state A: the instrument sends SCPI NaN, the driver gives nan
    assert replies[0] == "9.91000E+37" and math.isnan(pilot.frequency_hz)
    assert math.isnan(pilot.duty_pct) and math.isnan(pilot.rise_s) and math.isnan(pilot.fall_s)
    assert pilot.high_v == float(replies[2])


def test_pilot_with_the_charger_powered(ev, driver, wait_for):
    ac = driver("ASTERION")
    ac.configure(230)
    ac.output_on()
    ev.set_cable(220)
    ev.set_state("B")

    def pwm() -> PilotMeasurement | None:
        pilot = ev.measure_pilot()
        return pilot if math.isfinite(pilot.frequency_hz) else None

    pilot = wait_for(pwm, 600)
    assert pilot.frequency_hz == pytest.approx(1000, rel=0.01)
    assert 5 < pilot.duty_pct < 97
    assert pilot.high_v == pytest.approx(9, abs=1)
    assert pilot.low_v == pytest.approx(-12, abs=1)
    assert 0 < pilot.rise_s < 10e-6 and 0 < pilot.fall_s < 10e-6
    assert pilot.state.startswith("B")
    colour, pattern = ev.led()
    assert colour == colour.lower() and pattern == pattern.lower() and colour
    ac.make_safe()


def test_cable_and_load(ev, transcript, checked):
    mark = transcript.mark()
    ev.set_cable(220)
    ev.set_cable(None)
    ev.set_load([16, 10], power_factor=0.95)
    ev.set_load(6, phases=1)
    ev.set_load_lag(0.2)
    ev.load_on()
    ev.load_off()
    assert transcript.lines(mark) == (
        checked("SOUR:PP:RES 220") + checked("SOUR:PP:RES NONE")
        + checked("SOUR:LOAD:CURR1 16;:SOUR:LOAD:CURR2 10;:SOUR:LOAD:CURR3 0;:SOUR:LOAD:PFAC 0.95")
        + checked("SOUR:LOAD:CURR1 6;:SOUR:LOAD:CURR2 0;:SOUR:LOAD:CURR3 0;:SOUR:LOAD:PFAC 1")
        + checked("SOUR:LOAD:LAG 0.2") + checked("OUTP:LOAD ON") + checked("OUTP:LOAD OFF")
    )
    mark = transcript.mark()
    assert ev.load_current(2) == 0.0
    assert transcript.lines(mark) == ["> MEAS:LOAD:CURR2?", "< 0.00000E+00"]
    assert ev.inlet_voltage(1) == 0.0
    assert ev.locked() is False


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ev: ev.set_state("E"), r"state = 'E': one of A, B, C, D"),
        (lambda ev: ev.set_fault("SHORT"), r"fault = 'SHORT'"),
        (lambda ev: ev.set_resistance(10), r"ohm = 10 ohm .* 50 \.\.\. 100000 ohm"),
        (lambda ev: ev.set_cable(-1), r"pp_ohm = -1 ohm"),
        (lambda ev: ev.set_load(81), r"current_a = 81 A .* 0 \.\.\. 80 A"),
        (lambda ev: ev.set_load([1, 2, 3, 4]), r"1 \.\.\. 3 per-phase"),
        (lambda ev: ev.set_load(16, phases=4), r"phases = 4"),
        (lambda ev: ev.set_load(16, power_factor=0), r"power_factor = 0"),
        (lambda ev: ev.load_current(0), r"phase = 0"),
        (lambda ev: ev.events(math.nan), r"since = nan"),
        (lambda ev: ev.arm_watchdog(0), r"watchdog_delay = 0 s"),
    ],
)
def test_values_are_validated_before_anything_is_sent(ev, transcript, call, match):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=match):
        call(ev)
    assert transcript.lines(mark) == []


def test_watchdog_returns_the_vehicle_to_a(ev, bench):
    ev.set_state("C")
    ev.arm_watchdog(0.2)
    time.sleep(0.6)  # silent host: the emulator's watchdog runs on wall-clock time
    assert ev.watchdog_tripped() is True
    assert ("WDOG", "EXPIRED") in [(e.kind, e.value) for e in ev.events()]
    with pytest.raises(InstrumentError) as info:
        ev.set_state("C")
    exc = info.value
    assert exc.command == "SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE"
    assert exc.address == bench["ev"]
    assert exc.errors[0][0] == -221
    ev.arm_watchdog(5)  # clears the trip
    assert ev.set_state("C") >= 0
    ev.disarm_watchdog()


def test_make_safe(ev, transcript, checked, bench_do):
    ev.set_state("C")
    ev.set_fault("CP_OPEN")
    ev.load_on()
    bench_do("BENCH:FAULT:ERROR ev,-310")
    mark = transcript.mark()
    ev.make_safe()
    assert transcript.lines(mark) == [
        "> SYST:ERR?", '< -310,"System error; injected by the bench"', "> SYST:ERR?", f"< {OK}",
        *checked("SOUR:CP:STAT A"), *checked("SOUR:CP:FAUL NONE"), *checked("OUTP:LOAD OFF"),
    ]
    assert ev.query("SOUR:CP:STAT?;:SOUR:CP:FAUL?;:OUTP:LOAD?") == "A;NONE;0"
