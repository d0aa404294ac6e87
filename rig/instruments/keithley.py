"""Residual-current sources: Keithley 2450 SourceMeter (smooth DC) and 6221 (AC sine).

Both reuse pymeasure's model classes for the commands they share with the rig's subset; the
driver adds validation before sending and an error-queue check after each configuration write.

Command table (2450 and 6221 reference manuals, the subset the rig uses):

================  ===================================  ====================================
Purpose           2450                                 6221
================  ===================================  ====================================
configure         ``:SOUR:FUNC CURR``,                 ``:SOUR:CURR:COMP 10``,
                  ``:SOUR:CURR:RANG 0.01`` or          ``:SOUR:WAVE:FUNC SIN``,
                  ``:SOUR:CURR:RANG:AUTO ON``,         ``:SOUR:WAVE:FREQ 50``,
                  ``:SOUR:CURR:VLIM 10``               ``:SOUR:WAVE:DUR:TIME INF``
level             ``:SOUR:CURR:LEV 0.006``             ``:SOUR:WAVE:AMPL 0.0424264`` (peak)
start / stop      ``OUTPUT ON`` / ``OUTPUT OFF``       ``:SOUR:WAVE:ARM``, ``:SOUR:WAVE:INIT``
                                                       / ``:SOUR:WAVE:ABOR``
state             ``OUTPUT?``                          ``OUTPut?``
compliance        ``:SOUR:CURR:VLIM:TRIP?``
================  ===================================  ====================================

A current source only applies the step; the trip is timed by the EV emulator's trace, which
records the source's output edge (``RCI,ON`` / ``RCI,STEP``) on its own time base.

The settings that decide what the sensor sees (output on, level or amplitude, voltage limit)
are :func:`~rig.instruments.base.quantity` lines with pymeasure's own commands, so they are read
back after a reconnect like every driver's: a source that rebooted while injecting is an ERROR
of the step, never a charger that "did not trip".
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from pymeasure.instruments.keithley import Keithley2450 as _Pymeasure2450
from pymeasure.instruments.keithley import Keithley6221 as _Pymeasure6221

from rig.errors import ConfigError
from rig.instruments.base import ScpiInstrument, check_range, quantity
from rig.instruments.protocols import ResidualCurrentSource

#: Source current ranges of the 2450, A: a level programs the smallest range that holds it.
K2450_RANGES = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
K6221_MAX_PEAK_A = 0.105


def _option(options: dict[str, Any], name: str, key: str, low: float, high: float) -> float:
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        low <= value <= high
    ):
        raise ConfigError(
            f"instrument {name} options", key, f"a number in {low:g} ... {high:g}, got {value!r}"
        )
    return float(value)


class Keithley2450(ScpiInstrument, _Pymeasure2450, ResidualCurrentSource):
    """Keithley 2450 as a smooth-DC residual-current source.

    Options: ``current_range_a`` (a fixed source range; default: auto range), ``compliance_v``
    (voltage limit, default 10 V).
    """

    waveform = "dc"
    OPTIONS = {"current_range_a": None, "compliance_v": 10.0}
    safe_commands = ("OUTPUT OFF", ":SOUR:CURR:LEV 0")

    # pymeasure's commands, as settings (enable_source/disable_source write OUTPUT ON/OFF)
    output = quantity("OUTPUT?", "OUTPUT %s", "Source output on", bool, check=False)
    source_current = quantity(
        ":SOUR:CURR?", ":SOUR:CURR:LEV %g", "Source current level (apply() checks it)",
        unit="A", check=False,
    )
    compliance_voltage = quantity(
        ":SOUR:CURR:VLIM?", ":SOUR:CURR:VLIM %g", "Voltage limit (option compliance_v)",
        unit="V", check=False,
    )

    def setup_options(self, name: str) -> None:
        self.compliance_v = _option(self.driver_options, name, "compliance_v", 0.02, 210.0)
        self.range_a: float | None = None
        if self.driver_options["current_range_a"] is not None:
            wanted = _option(self.driver_options, name, "current_range_a", 1e-9, 1.0)
            self.range_a = next(r for r in K2450_RANGES if wanted <= r * (1 + 1e-9))

    @property
    def max_current_a(self) -> float:
        """Largest level the configured range accepts (105 % of range), A."""
        return 1.05 * (self.range_a if self.range_a is not None else 1.0)

    def configure(self) -> None:
        """Output off, source current, range, voltage limit, level 0."""
        self.disable_source()
        self.check()
        self.source_mode = "current"
        self.check()
        if self.range_a is None:
            self.send(":SOUR:CURR:RANG:AUTO ON")
        else:
            self.source_current_range = self.range_a
            self.check()
        self.compliance_voltage = self.compliance_v
        self.check()
        self.source_current = 0.0
        self.check()

    def apply(self, current_a: float) -> None:
        """Source ``current_a`` (DC, either sign), switching the output on if it is off."""
        limit = self.max_current_a
        check_range("current_a", current_a, "A", -limit, limit)
        self.source_current = float(current_a)
        self.check()
        self.enable_source()
        self.check()

    def stop(self) -> None:
        self.disable_source()
        self.check()

    def is_on(self) -> bool:
        return bool(self.source_enabled)

    def compliance_tripped(self) -> bool:
        """Did the source hit its voltage limit (an open test wire)?"""
        return self.query_bool(":SOUR:CURR:VLIM:TRIP?")


class Keithley6221(ScpiInstrument, _Pymeasure6221, ResidualCurrentSource):
    """Keithley 6221 as an AC (sine) residual-current source through ``turns`` passes.

    ``apply(rms)`` programs the peak ``rms * sqrt(2) / turns``: the sensor sees ``turns`` times
    the wire's current. Options: ``turns`` (default 1), ``compliance_v`` (default 10 V),
    ``frequency_hz`` (default 50 Hz).
    """

    waveform = "ac"
    OPTIONS = {"turns": 1, "compliance_v": 10.0, "frequency_hz": 50.0}
    safe_commands = (":SOUR:WAVE:ABOR", "OUTPUT OFF")

    # pymeasure's commands, as settings: the waveform starts (INIT) and stops (ABOR) the output
    output = quantity(
        "OUTPut?", "OUTPUT %s", "Source output on", bool, check=False,
        set_by={":SOUR:WAVE:INIT": True, ":SOUR:WAVE:ABOR": False},
    )
    waveform_amplitude = quantity(
        ":SOUR:WAVE:AMPL?", ":SOUR:WAVE:AMPL %g", "Sine amplitude, peak (apply() checks it)",
        unit="A", check=False,
    )
    source_compliance = quantity(
        ":SOUR:CURR:COMP?", ":SOUR:CURR:COMP %g", "Voltage limit (option compliance_v)",
        unit="V", check=False,
    )

    waveform_duration_time = quantity(
        None, ":SOUR:WAVE:DUR:TIME %g", "Waveform duration (the rig runs INF, see apply)",
        unit="s", range=(100e-9, 999999.999),
    )

    def setup_options(self, name: str) -> None:
        turns = self.driver_options["turns"]
        if isinstance(turns, bool) or not isinstance(turns, int) or not 1 <= turns <= 100:
            raise ConfigError(
                f"instrument {name} options", "turns", f"an integer 1 ... 100, got {turns!r}"
            )
        self.turns = turns
        self.compliance_v = _option(self.driver_options, name, "compliance_v", 0.1, 105.0)
        self.frequency_hz = _option(self.driver_options, name, "frequency_hz", 1e-3, 1e5)

    @property
    def max_current_a(self) -> float:
        """Largest r.m.s. residual current the 6221 reaches through ``turns`` passes, A."""
        return K6221_MAX_PEAK_A * self.turns / math.sqrt(2)

    def peak_for(self, current_a: float) -> float:
        """Amplitude to program for ``current_a`` r.m.s. at the sensor, A peak."""
        check_range("current_a", current_a, "A", 0.0, self.max_current_a)
        if current_a <= 0:
            raise ValueError("current_a = 0 A: use stop() to stop injecting")
        return float(current_a) * math.sqrt(2) / self.turns

    def _waveform(self) -> None:
        self.waveform_function = "sine"
        self.check()
        self.waveform_frequency = self.frequency_hz
        self.check()

    def configure(self) -> None:
        """Waveform stopped, compliance, sine at 50 Hz, endless duration."""
        self.waveform_abort()
        self.check()
        self.source_compliance = self.compliance_v
        self.check()
        self._waveform()
        self.waveform_duration_set_infinity()
        self.check()

    def apply(self, current_a: float) -> None:
        """Start a sine of ``current_a`` r.m.s. at the sensor, or step to it while running."""
        peak = self.peak_for(current_a)
        if self.is_on():
            self.waveform_amplitude = peak  # the step: only the amplitude changes
            self.check()
            return
        self._waveform()
        self.waveform_amplitude = peak
        self.check()
        self.waveform_duration_set_infinity()
        self.check()
        self.waveform_arm()
        self.check()
        self.waveform_start()
        self.check()

    def stop(self) -> None:
        self.waveform_abort()
        self.check()
        self.disable_source()
        self.check()

    def is_on(self) -> bool:
        return bool(self.source_enabled)
