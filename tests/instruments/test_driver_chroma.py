"""Chroma 19032 safety tester: transcript, a routine test in bench time, defects, interlock.

The emulated tester reads the unit's ``safety.*`` profile keys; its interlock is wired through
the AC source's output and the EV emulator's disconnect, as a real station's must be.
"""

from __future__ import annotations

import math

import pytest

from rig.errors import InstrumentError
from rig.instruments.chroma import Chroma19032

OK = '0,"No error"'


@pytest.fixture
def est(driver) -> Chroma19032:
    tester = driver("CHROMA19032")
    tester.configure()
    return tester


def routine(est: Chroma19032) -> None:
    """Ground bond 25 A / 0.1 ohm, insulation 500 V / 1 Mohm, hipot 1500 V / 5 mA, 1 s each."""
    assert est.add_ground_bond(25.0, 0.1, 1.0) == 1
    assert est.add_insulation(500.0, 1e6, 1.0) == 2
    assert est.add_hipot_ac(1500.0, 5e-3, 1.0, ramp_s=0.2) == 3


def run(est: Chroma19032, wait_for) -> list:
    est.start()
    wait_for(est.completed, within_s=10.0, step_s=0.25)
    return est.results()


def test_programming_transcript(est, transcript, checked):
    mark = transcript.mark()
    est.add_ground_bond(25.0, 0.1, 1.0)
    assert transcript.lines(mark) == [
        "> SOUR:SAFE:SNUM?", "< +0",
        *checked("SOUR:SAFE:STEP1:GB 25"), *checked("SOUR:SAFE:STEP1:GB:LIM 0.1"),
        *checked("SOUR:SAFE:STEP1:GB:TIME 1"),
    ]
    assert est.query("SOUR:SAFE:STEP1:MODE?") == "GB"
    assert est.step_count() == 1


def test_a_good_unit_passes_every_step_in_bench_time(est, wait_for, ctrl):
    routine(est)
    t0 = float(ctrl.query("BENCH:TIME?"))
    results = run(est, wait_for)
    elapsed = float(ctrl.query("BENCH:TIME?")) - t0
    assert [(r.step, r.mode, r.judgement) for r in results] == [
        (1, "GB", "PASS"), (2, "IR", "PASS"), (3, "AC", "PASS")]
    gb, ir, ac = results
    assert gb.output == pytest.approx(25.0) and gb.value == pytest.approx(0.03)
    assert ir.output == pytest.approx(500.0) and ir.value == pytest.approx(500e6)
    # the profile's 0.8 mA is at 1500 V
    assert ac.output == pytest.approx(1500.0) and ac.value == pytest.approx(0.8e-3)
    assert [r.elapsed_s for r in results] == pytest.approx([1.0, 1.0, 1.2])
    assert 3.2 <= elapsed <= 3.5  # the sequence takes its bench time, no more
    assert ctrl.query("BENCH:SAFE?") == "1"


@pytest.mark.parametrize(
    ("defect", "failing"),
    [("safety.pe_resistance_ohm=0.25", (1, "GB", "HIGH FAIL")),
     ("safety.insulation_mohm=0.4", (2, "IR", "LOW FAIL")),
     ("safety.hipot_leakage_ma=7.5", (3, "AC", "HIGH FAIL"))],
)
def test_a_defect_fails_its_step_and_stops_the_sequence(est, wait_for, bench_do, defect,
                                                        failing):
    bench_do(f'BENCH:CHAR:SET "{defect}"')
    try:
        routine(est)
        results = run(est, wait_for)
    finally:
        bench_do("BENCH:CHAR:RES")
    step = failing[0]
    assert (results[step - 1].step, results[step - 1].mode, results[step - 1].judgement) == failing
    assert all(r.judgement == "PASS" for r in results[: step - 1])
    for later in results[step:]:  # FAIL STOP: never energised
        assert later.judgement == "NOT RUN" and math.isnan(later.value)


def test_interlock_refuses_a_hipot_while_the_supply_is_on(est, driver, ctrl):
    ac = driver("ASTERION")
    ac.configure(230.0)
    ac.output_on()
    est.add_hipot_ac(1500.0, 5e-3, 1.0)
    with pytest.raises(InstrumentError) as info:
        est.start()
    assert "interlock open: the AC supply is on" in str(info.value)
    assert "SOUR:SAFE:STAR" in str(info.value)
    assert est.completed() and ctrl.query("BENCH:SAFE?").startswith("0,")  # the AC is on
    assert "est" not in ctrl.query("BENCH:SAFE?")  # but never the high voltage
    ac.output_off()


def test_interlock_refuses_insulation_while_the_ev_is_connected(est, driver, ctrl):
    ev = driver("EVE-1")
    ev.set_state("B")
    est.add_insulation(500.0, 1e6, 1.0)
    with pytest.raises(InstrumentError) as info:
        est.start()
    assert "interlock open: the EV emulator is connected" in str(info.value)
    assert "est" not in ctrl.query("BENCH:SAFE?")
    ev.set_state("A")
    est.start()  # connected no more: the same step runs
    assert not est.completed()
    est.stop()
    assert est.completed() and est.results()[0].judgement == "USER STOP"


def test_supply_switched_on_under_a_test_stops_it_at_once(est, driver, ctrl, advance):
    routine(est)
    est.start()
    advance(0.5)
    assert "est output on (GB test running)" in ctrl.query("BENCH:SAFE?")
    ac = driver("ASTERION")
    ac.configure(230.0)
    ac.output_on()
    assert est.completed()
    assert [r.judgement for r in est.results()] == ["CAN NOT TEST", "NOT RUN", "NOT RUN"]
    ac.output_off()
    assert ctrl.query("BENCH:SAFE?") == "1"


def test_make_safe_stops_a_running_hipot(est, ctrl, advance):
    est.add_hipot_ac(1500.0, 5e-3, 60.0)
    est.start()
    advance(1.0)
    assert "est output on (AC test running)" in ctrl.query("BENCH:SAFE?")
    est.make_safe()
    assert ctrl.query("BENCH:SAFE?") == "1"
    assert est.results()[0].judgement == "USER STOP"


def test_values_outside_the_instrument_range_are_refused_before_sending(est, transcript):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=r"AC level = 6000.0 V is outside the range 50 \.\.\."):
        est.add_hipot_ac(6000.0, 5e-3, 1.0)
    with pytest.raises(ValueError, match=r"GB high = 2.0 ohm is outside"):
        est.add_ground_bond(25.0, 2.0, 1.0)
    assert transcript.lines(mark) == ["> SOUR:SAFE:SNUM?", "< +0"] * 2


def test_configure_empties_the_step_memory(est):
    routine(est)
    assert est.step_count() == 3
    est.configure()
    assert est.step_count() == 0
