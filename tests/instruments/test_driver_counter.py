"""Keysight 53220A pulse counter: transcript, bad input, and the charger's test output counted
against the power analyser's timed integration (the pulse method of MT-03) in bench time."""

from __future__ import annotations

import math

import pytest

from rig.errors import InstrumentError
from rig.instruments.keysight_counter import Keysight53220A

OK = '+0,"No error"'


@pytest.fixture
def counter(driver) -> Keysight53220A:
    cnt = driver("53220A")
    cnt.configure()
    return cnt


def test_configure_and_gate_transcript(driver, transcript, checked):
    cnt = driver("53220A")
    mark = transcript.mark()
    cnt.configure(level_v=2.5)
    cnt.start(12.0)
    assert cnt.completed() is False
    assert transcript.lines(mark) == [
        *checked("ABOR", OK), *checked("CONF:TOT:TIM 1,(@1)", OK),
        *checked("INP1:COUP DC", OK), *checked("INP1:IMP 1e+06", OK),
        *checked("INP1:SLOP POS", OK), *checked("INP1:LEV 2.5", OK),
        *checked("SENS:TOT:GATE:TIME 12", OK), *checked("INIT", OK),
        "> STAT:OPER:COND?", "< 16",
    ]
    assert cnt.level == 2.5 and cnt.auto_level is False and cnt.coupling == "DC"
    with pytest.raises(InstrumentError, match="gate is still open"):
        cnt.count()  # never FETC? into an open gate: it would wait inside the query
    cnt.make_safe()  # ABOR: the gate ends, its count is discarded
    assert cnt.completed()
    with pytest.raises(InstrumentError, match="no reading"):
        cnt.count()


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: c.start(0.0), "gate_time = 0.0 s is outside the range 1e-05 ... 1000 s"),
    (lambda c: c.start(1001), "gate_time = 1001 s is outside"),
    (lambda c: c.configure(level_v=7.0), "level = 7.0 V is outside the range -5 ... 5 V"),
], ids=["no gate", "gate too long", "level over the range"])
def test_bad_input_is_refused_before_anything_is_sent(counter, transcript, call, message):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=message):
        call(counter)
    assert transcript.lines(mark) == []


def test_test_output_against_the_analyser_while_charging(driver, counter, advance, wait_for):
    """16 A on three phases: the counter's pulses over a 36 s gate are the analyser's energy
    over its 36 s timer at 10 000 imp/kWh, to one pulse; a level above the pulse counts none."""
    pa, ac, ev = driver("WT333E"), driver("ASTERION"), driver("EVE-1")
    pa.configure()
    ac.configure(230)
    ac.output_on()
    ev.set_cable(220)  # 32 A cable
    ev.set_load(16, phases=3)
    ev.load_on()
    ev.set_state("C")
    wait_for(lambda: pa.power("SIGMA") > 3 * 230 * 15.9, 900, 1.0)
    pa.start_integration(timer_s=36)
    counter.start(36.0)
    advance(36)
    assert counter.completed() and pa.integration_state() == "TIMEUP"
    wh, seconds = pa.read([("WH", "SIGMA"), ("TIME", 1)])
    assert seconds == pytest.approx(36)
    assert abs(counter.count() - wh * 10.0) < 1.0  # 10 000 imp/kWh: 10 pulses per Wh
    assert counter.count() == pytest.approx(3 * 230 * 16 * 36 / 360, abs=1)
    counter.configure(level_v=4.99)  # just under the S0 high level: still counts
    counter.start(1.0)
    advance(1)
    assert counter.count() == pytest.approx(3 * 230 * 16 / 360, abs=1)
    counter.configure(level_v=-0.5)  # below the low level: never crossed
    counter.start(1.0)
    advance(1)
    assert counter.count() == 0
    ev.set_state("A")
    ac.output_off()
    assert not math.isnan(wh)
