"""Yokogawa WT333E driver: set-up, item cache, NaN, integration over virtual time."""

from __future__ import annotations

import math

import pytest

from rig.errors import InstrumentError
from rig.instruments.yokogawa import WT333E

OK = '0,"No error"'


def checked(command: str) -> list[str]:
    return [f"> {command}", "> :STAT:ERR?", f"< {OK}"]


@pytest.fixture
def pa(driver) -> WT333E:
    analyser = driver("WT333E")
    analyser.configure()
    analyser.stop_integration()
    return analyser


def test_configure(driver, transcript):
    pa = driver("WT333E")
    mark = transcript.mark()
    pa.configure("P3W4")
    # headers are on until :COMM:HEAD OFF: the error reply carries its header (short form)
    assert transcript.lines(mark) == (
        ["> :COMM:REM ON", "> :STAT:ERR?", f"< :STAT:ERR {OK}", *checked(":COMM:HEAD OFF"),
         *checked(":NUM:FORM ASC"), *checked(":INP:WIR P3W4"), *checked(":INP:VOLT:AUTO ON"),
         *checked(":INP:CURR:AUTO ON")]
    )
    assert pa.wiring == "P3W4"
    assert pa.identify().model == "WT333E"


def test_read_programs_items_once_then_only_reads(pa, transcript):
    items = [("U", 1), ("I", 2), ("P", "SIGMA"), ("LAMBDA", 1)]
    mark = transcript.mark()
    first = pa.read(items)
    lines = transcript.lines(mark)
    assert lines[:3] == checked(
        ":NUM:NORM:NUM 4;:NUM:NORM:ITEM1 U,1;:NUM:NORM:ITEM2 I,2;:NUM:NORM:ITEM3 P,SIGMA;"
        ":NUM:NORM:ITEM4 LAMBDA,1"
    )
    assert lines[3] == "> :NUM:NORM:VAL?"
    assert len(lines) == 5
    assert len(first) == 4 and all(isinstance(v, float) for v in first)

    mark = transcript.mark()
    second = pa.read([("u", "1"), ("i", 2), ("p", "sigma"), ("lambda", 1)])  # same items
    lines = transcript.lines(mark)
    assert lines[0] == "> :NUM:NORM:VAL?" and len(lines) == 2
    assert second == pytest.approx(first, nan_ok=True)

    mark = transcript.mark()
    pa.read([("U", 1)])  # different items: programmed again
    assert transcript.lines(mark)[:3] == checked(":NUM:NORM:NUM 1;:NUM:NORM:ITEM1 U,1")


def test_nan_and_si_units_with_no_power_flowing(pa, transcript):
    mark = transcript.mark()
    u, i, p, lam = pa.read([("U", 1), ("I", 1), ("P", 1), ("LAMBDA", 1)])
    reply = transcript.lines(mark)[-1]
    assert reply == "< " + ",".join(["0.0000E+00"] * 3 + ["NAN"])
    assert (u, i, p) == (0.0, 0.0, 0.0)
    assert math.isnan(lam)


def test_convenience_readings(pa):
    assert pa.voltage(1) == 0.0
    assert pa.current("SIGMA") == 0.0
    assert pa.power(3) == 0.0


@pytest.mark.parametrize(
    ("items", "match"),
    [([("X", 1)], r"function = 'X'"), ([("U", 4)], r"element = 4"),
     ([("U", True)], r"element = True"), ([], r"1 \.\.\. 255"), ([("P", "ALL")], "'ALL'")],
)
def test_items_are_validated_before_anything_is_sent(pa, transcript, items, match):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=match):
        pa.read(items)
    assert transcript.lines(mark) == []


def test_settings_validated(pa, transcript):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=r"wiring = 'P2W2'"):
        pa.configure("P2W2")
    with pytest.raises(ValueError, match=r"rate = 0.3"):
        pa.rate = 0.3
    with pytest.raises(ValueError, match=r"current_range = 3 A: one of 0.5, 1, 2, 5, 10, 20, 40 A"):
        pa.current_range = 3
    assert transcript.lines(mark) == []


def test_integration_sequence_and_energy_over_virtual_time(pa, transcript, advance):
    mark = transcript.mark()
    pa.start_integration()
    assert transcript.lines(mark) == [
        "> :INTEG:STAT?", "< RESET",
        *checked(":INTEG:MODE NORM"), *checked(":INTEG:TIM 0,0,0"), *checked(":INTEG:RES"),
        *checked(":INTEG:STAR"),
    ]
    assert pa.integration_state() == "START"
    advance(12.5)
    assert pa.integration_time_s() == pytest.approx(12.5)
    assert pa.energy_wh() == 0.0  # nothing draws power

    mark = transcript.mark()
    pa.start_integration()  # while running: stop first, then reset and start from zero
    assert transcript.lines(mark)[:3] == ["> :INTEG:STAT?", "< START", *checked(":INTEG:STOP")[:1]]
    assert pa.integration_time_s() == 0.0
    advance(2)
    mark = transcript.mark()
    pa.stop_integration()
    assert transcript.lines(mark) == ["> :INTEG:STAT?", "< START", *checked(":INTEG:STOP")]
    advance(5)
    assert pa.integration_time_s() == pytest.approx(2.0)
    assert pa.integration_state() == "STOP"
    mark = transcript.mark()
    pa.stop_integration()  # not running: nothing to stop
    assert transcript.lines(mark) == ["> :INTEG:STAT?", "< STOP"]


def test_refused_setting_names_command(pa, bench):
    pa.start_integration()
    with pytest.raises(InstrumentError) as info:
        pa.rate = 0.1  # only after an integration reset
    assert info.value.command == ":RATE 100MS"
    assert info.value.address == bench["pa"]
    assert info.value.errors[0][0] == -221
    pa.stop_integration()


def test_item_cache_is_forgotten_after_an_error(driver, transcript, bench_do):
    pa = driver("WT333E", timeout_s=0.5)
    pa.configure()
    items = [("U", 1), ("FU", 1)]
    pa.read(items)
    bench_do("BENCH:FAULT:REBOOT pa")  # back to defaults, link dropped
    with pytest.raises(InstrumentError):
        pa.read(items)
    mark = transcript.mark()
    values = pa.read(items)  # programmed again (headers are back on after the reboot)
    assert transcript.lines(mark)[0] == "> :NUM:NORM:NUM 2;:NUM:NORM:ITEM1 U,1;:NUM:NORM:ITEM2 FU,1"
    assert transcript.lines(mark)[-1].startswith("< :NUM:NORM:VAL ")
    assert values[0] == 0.0 and math.isnan(values[1])
    pa.configure()


def test_energy_of_a_charging_session(driver, pa, advance, wait_for):
    """AC on, vehicle charging at 16 A on three phases: WH = P x t on the analyser."""
    ac = driver("ASTERION")
    ev = driver("EVE-1")
    ac.configure(230)
    ac.output_on()
    ev.set_cable(220)  # 32 A cable
    ev.set_load(16, phases=3)
    ev.load_on()
    ev.set_state("C")
    # the charger boots, tests its RCD, closes, soft-starts; the load follows

    def charging() -> float | None:
        watts = pa.power("SIGMA")
        return watts if watts > 3 * 230 * 15.9 else None

    p = wait_for(charging, 900, 1.0)
    pa.start_integration()
    advance(360)
    wh, seconds = pa.read([("WH", "SIGMA"), ("TIME", 1)])
    assert seconds == pytest.approx(360)
    assert wh == pytest.approx(p * 360 / 3600, rel=0.01)
    pa.stop_integration()
