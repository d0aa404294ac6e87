"""Drivers nobody in this project wrote, unmodified, against the emulated instruments.

pymeasure's ``Keithley2450`` and ``Keithley6221`` and QCoDeS's ``Keithley2450`` run a lab's
residual-current sequence (reset, configure source and compliance, source on, measure with
NPLC and auto range, error check, shutdown) over pyvisa-py on the instruments' LAN ports. The
error queue must stay empty (checked with the model's own error count, not only after a
``*CLS``) and what the drivers read back must be what the bench's electrical model says: the
current through the RCD sensor, the voltage across the test wire (``TEST_WIRE_OHM``).
"""

from __future__ import annotations

import logging
import math

import pytest

from rig.bench.model import TEST_WIRE_OHM

pytestmark = pytest.mark.stub_firmware

VISA = {"read_termination": "\n", "write_termination": "\n", "visa_library": "@py",
        "timeout": 2000}


def error_count(driver) -> int:  # type: ignore[no-untyped-def]
    """The instrument's own count of queued errors (``:SYST:ERR:COUN?``), read raw."""
    return int(driver.ask(":SYST:ERR:COUN?"))


def test_pymeasure_keithley2450_lab_sequence(bench, caplog):
    from pymeasure.instruments.keithley import Keithley2450

    smu = Keithley2450(bench.addresses()["smu"], **VISA)
    hal = bench.bench.hal
    try:
        assert smu.id.startswith("KEITHLEY INSTRUMENTS,MODEL 2450,")
        smu.reset()
        assert error_count(smu) == 0
        smu.apply_current(compliance_voltage=10)  # source CURR, auto range, VLIM, error check
        smu.measure_current(nplc=1, auto_range=True)  # :SENS:FUNC 'CURR', NPLC, RANG:AUTO
        assert (smu.source_mode, smu.compliance_voltage, smu.current_nplc) == (
            "current", 10.0, 1.0)
        smu.source_current_delay_auto = True
        smu.use_front_terminals()
        smu.source_current = 6e-3
        smu.enable_source()
        assert smu.source_enabled is True
        assert hal.rcd_dc_ma == pytest.approx(6.0)  # the sensor sees what the SMU sources
        assert smu.current == pytest.approx(6e-3)
        assert smu.current_range >= 6e-3  # auto range picked a range that holds the reading
        smu.measure_voltage(nplc=0.1, auto_range=True)
        volts = smu.voltage
        assert volts == pytest.approx(6e-3 * TEST_WIRE_OHM)
        assert 0 < volts < smu.compliance_voltage  # far below compliance: a short test wire
        smu.measure_resistance(nplc=1, auto_range=True)
        assert smu.resistance == pytest.approx(TEST_WIRE_OHM)
        assert smu.buffer_points == 100000
        assert smu.check_errors() == [] and error_count(smu) == 0
        smu.shutdown()  # ramps to 0 A, :ABOR, OUTPUT OFF
        assert smu.source_enabled is False
        assert smu.source_current == 0.0 and hal.rcd_dc_ma == 0.0
        assert error_count(smu) == 0
    finally:
        smu.adapter.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_pymeasure_keithley6221_lab_sequence(bench, caplog):
    from pymeasure.instruments.keithley import Keithley6221

    cs = Keithley6221(bench.addresses()["cs"], **VISA)
    inj, hal = bench.bench.injectors["cs"], bench.bench.hal
    try:
        cs.reset()  # status:queue:clear;*RST;:stat:pres;:*CLS;
        cs.clear()
        assert error_count(cs) == 0
        # DC: range, compliance, level, output
        cs.source_compliance = 10
        cs.source_range = 0.02  # :SOUR:CURR:RANG:AUTO 0;:SOUR:CURR:RANG 0.02
        assert (cs.source_range, cs.source_auto_range) == (0.02, False)
        cs.source_delay = 0.001
        cs.output_low_grounded = False
        cs.source_current = 6e-3
        cs.enable_source()
        assert cs.source_enabled is True
        assert hal.rcd_dc_ma == pytest.approx(6.0 * inj.turns)
        cs.disable_source()
        assert cs.source_enabled is False  # (a query: the write has been executed)
        assert hal.rcd_dc_ma == 0.0
        cs.source_current = 0
        # AC: a 30 mA rms sine, run until aborted
        cs.waveform_function = "sine"
        cs.waveform_frequency = 50
        cs.waveform_amplitude = 30e-3 * math.sqrt(2) / inj.turns
        cs.waveform_offset = 0
        cs.waveform_ranging = "best"
        cs.waveform_duration_set_infinity()
        assert (cs.waveform_function, cs.waveform_frequency, cs.waveform_offset) == (
            "sine", 50.0, 0.0)
        assert cs.waveform_duration_time > 1e37  # INF
        assert cs.display_enabled is True
        assert cs.check_errors() == []
        cs.waveform_arm()
        cs.waveform_start()
        assert cs.source_enabled is True
        assert hal.rcd_ac_ma == pytest.approx(30.0, rel=1e-6)
        cs.trigger()  # *TRG: no trigger model waits; nothing changes
        cs.waveform_abort()
        assert cs.source_enabled is False and hal.rcd_ac_ma == 0.0
        assert cs.check_errors() == [] and error_count(cs) == 0
        cs.shutdown()
        assert cs.source_enabled is False and error_count(cs) == 0
    finally:
        cs.adapter.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_qcodes_keithley2450_lab_sequence(bench):
    from qcodes.instrument_drivers.Keithley import Keithley2450

    hal = bench.bench.hal
    # its constructor checks *LANG? is SCPI (else it builds no parameters) and reads *IDN?
    smu = Keithley2450("rcd_smu", bench.addresses()["smu"], visalib="@py", timeout=2)
    try:
        assert smu.IDN()["model"] == "2450"
        smu.reset()
        smu.clear_event_register()  # :STATus:CLEar
        smu.terminals("front")
        smu.sense_function("current")  # :SENS:FUNC "CURR:DC"
        smu.source_function("current")  # reads :SENS:FUNC? first
        assert (smu.source_function(), smu.sense_function()) == ("current", "current")
        source, sense = smu.source, smu.sense
        source.auto_range(True)
        source.limit(10)  # :SOUR:CURR:VLIM 10
        sense.nplc(1)
        sense.auto_range(True)
        sense.four_wire_measurement(False)
        source.current(6e-3)
        assert (source.limit(), float(sense.nplc()), sense.auto_range()) == (10.0, 1.0, True)
        assert smu.line_frequency() == "50"
        assert smu.ask(":SYST:ERR:COUN?") == "0"
        smu.output_enabled(True)
        assert smu.output_enabled() is True
        assert hal.rcd_dc_ma == pytest.approx(6.0)
        assert sense.current() == pytest.approx(6e-3)  # :MEASure? 'defbuffer1'
        assert source.limit_tripped() == 0  # a short wire never reaches 10 V
        assert smu.buffer("defbuffer1").number_of_readings() == 1
        smu.output_enabled(False)
        assert smu.output_enabled() is False and hal.rcd_dc_ma == 0.0
        smu.abort()
        assert smu.ask(":SYST:ERR:COUN?") == "0"
    finally:
        smu.close()
