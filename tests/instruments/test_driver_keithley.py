"""Keithley 2450 (DC) and 6221 (AC) residual-current drivers: transcripts, limits, triggers."""

from __future__ import annotations

import math

import pytest

from rig.errors import ConfigError, InstrumentError
from rig.instruments.keithley import Keithley2450, Keithley6221

OK = '0,"No error"'


def rci_events(ev) -> list[str]:
    """The injector's output edges as the EV emulator's trace saw them."""
    return [e.value for e in ev.events() if e.kind == "RCI"]


# ---- 2450: smooth DC ------------------------------------------------------------------------


@pytest.fixture
def smu(driver) -> Keithley2450:
    src = driver("KEITHLEY2450")
    src.configure()
    return src


def test_2450_configure(driver, transcript, checked):
    smu = driver("KEITHLEY2450")
    assert smu.waveform == "dc"
    mark = transcript.mark()
    smu.configure()
    assert transcript.lines(mark) == (
        checked("OUTPUT OFF") + checked(":SOUR:FUNC CURR") + checked(":SOUR:CURR:RANG:AUTO ON")
        + checked(":SOUR:CURR:VLIM 10") + checked(":SOUR:CURR:LEV 0")
    )
    assert smu.source_mode == "current"


def test_2450_apply_step_stop(smu, driver, transcript, checked):
    ev = driver("EVE-1")
    ev.clear_events()
    mark = transcript.mark()
    smu.apply(6e-3)
    assert transcript.lines(mark) == checked(":SOUR:CURR:LEV 0.006") + checked("OUTPUT ON")
    mark = transcript.mark()
    assert smu.is_on() is True
    assert smu.source_current == pytest.approx(6e-3)
    assert transcript.lines(mark) == ["> OUTPUT?", "< 1", "> :SOUR:CURR?", "< 6.000000E-03"]
    smu.apply(0.2)  # a step while on: only the level changes
    smu.stop()
    assert smu.is_on() is False
    assert rci_events(ev) == ["ON", "STEP", "OFF"]
    assert smu.compliance_tripped() is False


def test_2450_fixed_range_limits_the_level(driver, transcript, checked):
    smu = driver("KEITHLEY2450", current_range_a=0.01, compliance_v=5)
    mark = transcript.mark()
    smu.configure()
    assert transcript.lines(mark)[6:9] == checked(":SOUR:CURR:RANG:AUTO 0;:SOUR:CURR:RANG 0.01")
    assert smu.max_current_a == pytest.approx(0.0105)
    mark = transcript.mark()
    with pytest.raises(ValueError, match=r"current_a = 0.02 A .* -0.0105 \.\.\. 0.0105 A"):
        smu.apply(0.02)
    with pytest.raises(ValueError, match="current_a"):
        smu.apply(math.nan)
    assert transcript.lines(mark) == []
    smu.apply(0.01)
    assert smu.is_on()


def test_2450_auto_range_limit(smu, transcript):
    mark = transcript.mark()
    with pytest.raises(ValueError, match=r"current_a = 1.2 A .* 1.05 A"):
        smu.apply(1.2)
    assert transcript.lines(mark) == []


def test_2450_make_safe(smu, transcript, checked):
    smu.apply(0.03)
    mark = transcript.mark()
    smu.make_safe()
    assert transcript.lines(mark) == [
        "> SYST:ERR?", f"< {OK}", *checked("OUTPUT OFF"), *checked(":SOUR:CURR:LEV 0"),
    ]
    assert not smu.is_on()
    smu.apply(0.03)
    mark = transcript.mark()
    smu.shutdown()  # pymeasure's name: our safe state, not pymeasure's ramp-down commands
    assert transcript.lines(mark) == [
        "> SYST:ERR?", f"< {OK}", *checked("OUTPUT OFF"), *checked(":SOUR:CURR:LEV 0"),
    ]


@pytest.mark.parametrize(
    ("options", "key"),
    [({"compliance_v": 500}, "compliance_v"), ({"current_range_a": 2}, "current_range_a"),
     ({"turns": 5}, "turns")],
)
def test_2450_options_checked_before_opening(bench, transcript, options, key):
    with pytest.raises(ConfigError) as info:
        Keithley2450(bench["smu"], "rcd_dc", transcript, **options)
    assert info.value.key == key
    assert len(transcript) == 0


# ---- 6221: AC sine through `turns` passes ---------------------------------------------------


@pytest.fixture
def cs(driver) -> Keithley6221:
    src = driver("KEITHLEY6221", turns=5)
    src.configure()
    return src


def test_6221_configure(driver, transcript, checked):
    cs = driver("KEITHLEY6221", turns=5)
    assert cs.waveform == "ac" and cs.turns == 5
    mark = transcript.mark()
    cs.configure()
    assert transcript.lines(mark) == (
        checked(":SOUR:WAVE:ABOR") + checked(":SOUR:CURR:COMP 10") + checked(":SOUR:WAVE:FUNC SIN")
        + checked(":SOUR:WAVE:FREQ 50") + checked(":SOUR:WAVE:DUR:TIME INF")
    )


def test_6221_apply_programs_the_peak_per_turn(cs, driver, transcript, checked):
    ev = driver("EVE-1")
    ev.clear_events()
    mark = transcript.mark()
    cs.apply(0.03)  # 30 mA r.m.s. at the sensor = 8.485 mA peak in a wire with 5 turns
    assert transcript.lines(mark) == [
        "> OUTPut?", "< 0",
        *checked(":SOUR:WAVE:FUNC SIN"), *checked(":SOUR:WAVE:FREQ 50"),
        *checked(":SOUR:WAVE:AMPL 0.00848528"), *checked(":SOUR:WAVE:DUR:TIME INF"),
        *checked(":SOUR:WAVE:ARM"), *checked(":SOUR:WAVE:INIT"),
    ]
    assert cs.waveform_amplitude == pytest.approx(0.03 * math.sqrt(2) / 5, rel=1e-5)
    assert cs.is_on() is True

    mark = transcript.mark()
    cs.apply(0.15)  # step while running: only the amplitude changes
    assert transcript.lines(mark) == ["> OUTPut?", "< 1", *checked(":SOUR:WAVE:AMPL 0.0424264")]

    mark = transcript.mark()
    cs.stop()
    assert transcript.lines(mark) == checked(":SOUR:WAVE:ABOR") + checked("OUTPUT OFF")
    assert cs.is_on() is False
    assert rci_events(ev) == ["ON", "STEP", "OFF"]


def test_6221_limits(cs, transcript):
    assert cs.max_current_a == pytest.approx(0.105 * 5 / math.sqrt(2))
    mark = transcript.mark()
    with pytest.raises(ValueError, match=r"current_a = 0.4 A .* 0 \.\.\. 0.371231 A"):
        cs.apply(0.4)
    with pytest.raises(ValueError, match="stop"):
        cs.apply(0)
    with pytest.raises(ValueError, match="current_a"):
        cs.apply(-0.01)
    assert transcript.lines(mark) == []
    cs.apply(cs.max_current_a)
    cs.stop()


def test_6221_refuses_a_finite_duration(cs, bench, transcript):
    mark = transcript.mark()
    with pytest.raises(InstrumentError) as info:
        cs.waveform_duration_time = 10
    exc = info.value
    assert (exc.instrument, exc.address) == ("cs", bench["cs"])
    assert exc.command == ":SOUR:WAVE:DUR:TIME 10"
    assert exc.errors == [(-221, "Settings conflict; this bench runs waveforms with DUR:TIME INF "
                                 "only")]
    assert f"cs at {bench['cs']}: ':SOUR:WAVE:DUR:TIME 10': instrument error -221" in str(exc)
    assert transcript.lines(mark)[0] == "> :SOUR:WAVE:DUR:TIME 10"
    with pytest.raises(ValueError, match="waveform_duration_time"):
        cs.waveform_duration_time = 0


def test_6221_make_safe(cs, transcript, checked):
    cs.apply(0.03)
    mark = transcript.mark()
    cs.make_safe()
    assert transcript.lines(mark) == [
        "> SYST:ERR?", f"< {OK}", *checked(":SOUR:WAVE:ABOR"), *checked("OUTPUT OFF"),
    ]
    assert not cs.is_on()


@pytest.mark.parametrize(
    ("options", "key"),
    [({"turns": 0}, "turns"), ({"turns": 2.5}, "turns"), ({"compliance_v": 0}, "compliance_v"),
     ({"frequency_hz": 0}, "frequency_hz"), ({"current_range_a": 0.1}, "current_range_a")],
)
def test_6221_options_checked_before_opening(bench, transcript, options, key):
    with pytest.raises(ConfigError) as info:
        Keithley6221(bench["cs"], "rcd_ac", transcript, **options)
    assert info.value.key == key
    assert len(transcript) == 0
