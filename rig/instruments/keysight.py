"""Keysight AC6801B programmable AC source (AC6800B family, single phase).

Command table (AC6800B programming guide, the subset the rig uses):

=========================  ====================================  ==========================
Purpose                    Command                               Reply
=========================  ====================================  ==========================
identity, errors           ``*IDN?``, ``SYST:ERR?``              ``+0,"No error"``
voltage, V rms             ``VOLT 230``, ``VOLT?``               ``+2.30000E+02``
frequency, Hz              ``FREQ 50``, ``FREQ?``                ``+5.00000E+01``
current limit, A           ``CURR 40``, ``CURR?``
over-current protection    ``CURR:PROT:STAT ON`` (c)
output relay               ``OUTP ON``, ``OUTP OFF``, ``OUTP?``  ``0`` / ``1``
measure                    ``MEAS:VOLT:AC?``, ``MEAS:CURR:AC?``,
                           ``MEAS:POW:AC?``, ``MEAS:FREQ?``
watchdog                   ``OUTP:PROT:WDOG ON``,                latched off on expiry
                           ``OUTP:PROT:WDOG:DEL <s>``,
                           ``OUTP:PROT:CLE``, ``OUTP:PROT:TRIP?``
=========================  ====================================  ==========================
"""

from __future__ import annotations

from rig.instruments.base import OutputWatchdog, ScpiInstrument, quantity
from rig.instruments.protocols import AcSource


class AC6801B(OutputWatchdog, ScpiInstrument, AcSource):
    """Keysight AC6801B: 1 phase, 0 ... 310 V, 40 ... 500 Hz."""

    phases = 1
    safe_commands = ("OUTP OFF", "OUTP:PROT:WDOG OFF")

    voltage = quantity("VOLT?", "VOLT %g", "Output voltage", unit="V", range=(0, 310))
    frequency = quantity("FREQ?", "FREQ %g", "Output frequency", unit="Hz", range=(40, 500))
    current_limit = quantity("CURR?", "CURR %g", "Output current limit", unit="A", range=(0, 60))
    current_protection = quantity(
        "CURR:PROT:STAT?", "CURR:PROT:STAT %s", "Output off (not constant current) on the limit",
        bool,
    )
    output = quantity("OUTP?", "OUTP %s", "Output relay closed", bool)

    def configure(
        self, voltage_v: float, frequency_hz: float = 50.0, current_limit_a: float = 40.0
    ) -> None:
        """Voltage, frequency and current limit (all validated first); output unchanged."""
        cls = type(self)
        cls.voltage.validate(voltage_v)
        cls.frequency.validate(frequency_hz)
        cls.current_limit.validate(current_limit_a)
        self.voltage = voltage_v
        self.frequency = frequency_hz
        self.current_limit = current_limit_a

    def _phase(self, phase: int | None) -> None:
        if phase not in (None, 1):
            raise ValueError(f"phase = {phase!r}: the AC6801B has one phase (1 or None)")

    def set_voltage(self, voltage_v: float, phase: int | None = None) -> None:
        self._phase(phase)
        self.voltage = voltage_v

    def output_on(self) -> None:
        self.output = True

    def output_off(self) -> None:
        self.output = False

    def is_on(self) -> bool:
        return bool(self.output)

    def measure_voltage(self, phase: int = 1) -> float:
        """Output voltage, V rms (a fresh measurement window)."""
        self._phase(phase)
        return self.query_float("MEAS:VOLT:AC?")

    def measure_current(self, phase: int = 1) -> float:
        """Output current, A rms."""
        self._phase(phase)
        return self.query_float("MEAS:CURR:AC?")

    def measure_power(self, phase: int = 1) -> float:
        """Active output power, W."""
        self._phase(phase)
        return self.query_float("MEAS:POW:AC?")

    def measure_frequency(self) -> float:
        """Output frequency, Hz (0 with the output off)."""
        return self.query_float("MEAS:FREQ?")
