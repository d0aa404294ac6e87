"""Keysight AC6801B driver against the emulated source: exact transcripts and SI values."""

from __future__ import annotations

import time

import pytest

from rig.errors import InstrumentError
from rig.instruments.keysight import AC6801B

OK = '+0,"No error"'  # Keysight writes the plus sign


@pytest.fixture
def ac(driver) -> AC6801B:
    src = driver("AC6801B")
    src.make_safe()
    return src


def test_identify(ac, transcript):
    mark = transcript.mark()
    ident = ac.identify()
    assert transcript.lines(mark) == [
        "> *IDN?", "< Keysight Technologies,AC6801B,MY56001234,A.02.01"
    ]
    assert (ident.vendor, ident.model, ident.serial, ident.firmware) == (
        "Keysight Technologies", "AC6801B", "MY56001234", "A.02.01"
    )
    assert ac.identity == ident
    assert ac.phases == 1


def test_configure_checks_each_write(ac, transcript, checked):
    mark = transcript.mark()
    ac.configure(230, 50, 16)
    assert transcript.lines(mark) == (
        checked("VOLT 230", OK) + checked("FREQ 50", OK) + checked("CURR 16", OK)
    )
    mark = transcript.mark()
    assert (ac.voltage, ac.frequency, ac.current_limit) == (230.0, 50.0, 16.0)
    assert transcript.lines(mark) == [
        "> VOLT?", "< +2.30000E+02", "> FREQ?", "< +5.00000E+01", "> CURR?", "< +1.60000E+01",
    ]


def test_output_and_measurements(ac, transcript, checked):
    ac.configure(230.5, 50)
    mark = transcript.mark()
    ac.output_on()
    assert ac.is_on() is True
    assert transcript.lines(mark) == [*checked("OUTP ON", OK), "> OUTP?", "< 1"]
    mark = transcript.mark()
    assert ac.measure_voltage() == pytest.approx(230.5)
    assert ac.measure_frequency() == 50.0
    assert transcript.lines(mark) == [
        "> MEAS:VOLT:AC?", "< +2.30500E+02", "> MEAS:FREQ?", "< +5.00000E+01",
    ]
    current, power = ac.measure_current(), ac.measure_power()
    assert current >= 0 and power >= 0
    ac.output_off()
    assert ac.is_on() is False
    assert ac.measure_frequency() == 0.0


def test_set_voltage_one_phase_only(ac, transcript):
    ac.set_voltage(207)
    ac.set_voltage(253, phase=1)
    assert ac.voltage == 253.0
    mark = transcript.mark()
    with pytest.raises(ValueError, match="one phase"):
        ac.set_voltage(230, phase=2)
    with pytest.raises(ValueError, match="one phase"):
        ac.measure_voltage(phase=3)
    assert transcript.lines(mark) == []


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ac: setattr(ac, "voltage", 311), r"voltage = 311 V is outside the range 0 \.\.\. "
                                                 r"310 V"),
        (lambda ac: setattr(ac, "voltage", -1), r"voltage = -1 V"),
        (lambda ac: setattr(ac, "frequency", 39.9), r"frequency = 39.9 Hz .* 40 \.\.\. 500 Hz"),
        (lambda ac: setattr(ac, "current_limit", 61), r"current_limit = 61 A"),
        (lambda ac: setattr(ac, "voltage", float("nan")), r"voltage = nan V"),
        (lambda ac: setattr(ac, "voltage", "230"), r"voltage = '230' V: a number"),
        (lambda ac: setattr(ac, "output", "yes"), r"output = 'yes': True or False"),
        (lambda ac: ac.configure(230, 600), r"frequency = 600 Hz"),
        (lambda ac: ac.configure(230, 50, 100), r"current_limit = 100 A"),
        (lambda ac: ac.arm_watchdog(0.05), r"watchdog_delay = 0.05 s .* 0.1 \.\.\. 3600 s"),
    ],
)
def test_values_are_validated_before_anything_is_sent(ac, transcript, call, match):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=match):
        call(ac)
    assert transcript.lines(mark) == []


def test_refused_command_names_command_and_address(driver, ac, transcript, bench):
    ac3 = driver("ASTERION")
    ac3.configure(230)
    ac3.output_on()  # the bench has one supply bus: a second source may not switch on
    mark = transcript.mark()
    with pytest.raises(InstrumentError) as info:
        ac.output_on()
    exc = info.value
    assert (exc.instrument, exc.address, exc.command) == ("ac1", bench["ac1"], "OUTP ON")
    assert exc.errors[0][0] == -221
    assert "another source already feeds the supply bus" in str(exc)
    assert str(exc).startswith(f"ac1 at {bench['ac1']}: 'OUTP ON': instrument error -221,")
    assert transcript.lines(mark)[:3] == ["> OUTP ON", "> SYST:ERR?", "< -221,\"Settings "
                                          "conflict; another source already feeds the supply "
                                          "bus\""]
    assert transcript.lines(mark)[3:] == ["> SYST:ERR?", f"< {OK}"]
    ac3.make_safe()


def test_watchdog_commands(ac, transcript, checked):
    mark = transcript.mark()
    ac.arm_watchdog(5)
    assert transcript.lines(mark) == (
        checked("OUTP:PROT:CLE", OK) + checked("OUTP:PROT:WDOG:DEL 5", OK)
        + checked("OUTP:PROT:WDOG ON", OK)
    )
    assert ac.watchdog is True and ac.watchdog_delay == 5.0
    mark = transcript.mark()
    ac.disarm_watchdog()
    assert transcript.lines(mark) == checked("OUTP:PROT:WDOG OFF", OK)


def test_watchdog_trips_when_the_host_is_silent(ac):
    ac.configure(230)
    ac.arm_watchdog(0.2)
    ac.output_on()
    time.sleep(0.6)  # the instrument's watchdog runs on wall-clock time
    assert ac.watchdog_tripped() is True
    assert ac.is_on() is False
    with pytest.raises(InstrumentError, match="watchdog tripped"):
        ac.output_on()
    ac.arm_watchdog(5)  # clears the trip first
    assert ac.watchdog_tripped() is False
    ac.output_on()
    assert ac.is_on() is True


def test_make_safe_output_and_watchdog_off(ac, transcript, checked, bench_do):
    ac.configure(230)
    ac.arm_watchdog(5)
    ac.output_on()
    bench_do("BENCH:FAULT:ERROR ac1,-200")  # a stale error is not the safe state's fault
    mark = transcript.mark()
    ac.make_safe()
    assert transcript.lines(mark) == [
        "> SYST:ERR?", '< -200,"Execution error; injected by the bench"', "> SYST:ERR?", f"< {OK}",
        *checked("OUTP OFF", OK), *checked("OUTP:PROT:WDOG OFF", OK),
    ]
    assert ac.is_on() is False and ac.watchdog is False
