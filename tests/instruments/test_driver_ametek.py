"""AMETEK Asterion driver: per-phase programming, unsigned error codes, measurements."""

from __future__ import annotations

import pytest

from rig.errors import InstrumentError
from rig.instruments.ametek import Asterion

OK = '0,"No error"'  # no plus sign on the Asterion


@pytest.fixture
def ac(driver) -> Asterion:
    src = driver("ASTERION")
    src.make_safe()
    return src


def test_identify(ac):
    ident = ac.identify()
    assert (ident.vendor, ident.model, ident.serial) == (
        "AMETEK Programmable Power", "AST3003", "1742A00315"
    )
    assert ac.phases == 3


def test_configure_couples_all_phases(ac, transcript, checked):
    mark = transcript.mark()
    ac.configure(230, 50, 32)
    assert transcript.lines(mark) == (
        checked("INST:COUP ALL", OK) + checked("VOLT:AC 230", OK) + checked("FREQ 50", OK)
        + checked("CURR 32", OK)
    )


def test_per_phase_programming(ac, transcript, checked):
    ac.configure(230)
    mark = transcript.mark()
    ac.set_voltage(207, phase=2)
    assert transcript.lines(mark) == (
        checked("INST:COUP NONE;:INST:NSEL 2", OK) + checked("VOLT:AC 207", OK)
    )
    programmed = {}
    for phase in (1, 2, 3):
        ac.select(phase)
        programmed[phase] = ac.voltage
    assert programmed == {1: 230.0, 2: 207.0, 3: 230.0}
    assert ac.coupling == "NONE" and ac.selected_phase == 3

    ac.output_on()
    mark = transcript.mark()
    measured = [ac.measure_voltage(phase) for phase in (1, 2, 3)]
    assert measured == [pytest.approx(230), pytest.approx(207), pytest.approx(230)]
    assert transcript.lines(mark) == [
        "> INST:COUP NONE;:INST:NSEL 1;:MEAS:VOLT:AC?", "< 2.3000E+02",
        "> INST:COUP NONE;:INST:NSEL 2;:MEAS:VOLT:AC?", "< 2.0700E+02",
        "> INST:COUP NONE;:INST:NSEL 3;:MEAS:VOLT:AC?", "< 2.3000E+02",
    ]
    for phase in (1, 2, 3):
        assert ac.measure_current(phase) >= 0
        assert ac.measure_power(phase) >= 0
    assert ac.measure_frequency() == 50.0

    mark = transcript.mark()
    ac.set_voltage(240)  # all phases again
    assert transcript.lines(mark) == checked("INST:COUP ALL", OK) + checked("VOLT:AC 240", OK)
    assert [ac.measure_voltage(p) for p in (1, 2, 3)] == [pytest.approx(240)] * 3


def test_phase_angle(ac, transcript, checked):
    mark = transcript.mark()
    ac.set_phase_angle(120, phase=3)
    assert transcript.lines(mark) == (
        checked("INST:COUP NONE;:INST:NSEL 3", OK) + checked("PHAS 120", OK)
    )
    assert ac.phase_angle == 120.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ac: ac.set_voltage(230, phase=4), r"phase = 4"),
        (lambda ac: ac.set_voltage(230, phase=0), r"phase = 0"),
        (lambda ac: ac.set_voltage(301, phase=1), r"voltage = 301 V .* 0 \.\.\. 300 V"),
        (lambda ac: ac.measure_voltage(4), r"phase = 4"),
        (lambda ac: ac.measure_voltage(None), r"per phase"),
        (lambda ac: ac.set_phase_angle(400, phase=2), r"phase_angle = 400 deg"),
        (lambda ac: ac.set_phase_angle(120, phase=None), r"one phase"),
        (lambda ac: ac.select(True), r"phase = True"),
        (lambda ac: setattr(ac, "coupling", "SOME"), r"coupling = 'SOME': one of ALL, NONE"),
        (lambda ac: ac.interrupt(-1), r"duration_s = -1 s"),
    ],
)
def test_values_are_validated_before_anything_is_sent(ac, transcript, call, match):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=match):
        call(ac)
    assert transcript.lines(mark) == []


def test_unsigned_error_codes_are_parsed(ac, transcript, bench_do):
    bench_do("BENCH:FAULT:ERROR ac3,-222")
    bench_do("BENCH:FAULT:ERROR ac3,-113")
    mark = transcript.mark()
    with pytest.raises(InstrumentError) as info:
        ac.raise_errors("probe")
    assert info.value.command == "probe"
    assert info.value.errors == [
        (-222, "Data out of range; injected by the bench"),
        (-113, "Undefined header; injected by the bench"),
    ]
    assert transcript.lines(mark) == [
        "> SYST:ERR?", '< -222,"Data out of range; injected by the bench"',
        "> SYST:ERR?", '< -113,"Undefined header; injected by the bench"',
        "> SYST:ERR?", f"< {OK}",
    ]
    ac.raise_errors("probe")  # empty now


def test_interrupt_needs_the_output_on(ac, bench):
    ac.configure(230)
    with pytest.raises(InstrumentError) as info:
        ac.interrupt(0.1)
    assert info.value.command == "OUTP:DROP 0.1"
    assert info.value.address == bench["ac3"]
    ac.output_on()
    ac.interrupt(0.1)


def test_make_safe(ac, transcript, checked):
    ac.configure(230)
    ac.arm_watchdog(10)
    ac.output_on()
    mark = transcript.mark()
    ac.make_safe()
    assert transcript.lines(mark) == [
        "> SYST:ERR?", f"< {OK}", *checked("OUTP OFF", OK), *checked("OUTP:PROT:WDOG OFF", OK),
    ]
    assert not ac.is_on()
