"""AMETEK / California Instruments Asterion 3-phase AC source.

Command table (Asterion programming manual, the subset the rig uses):

==============================  ===========================================  ===============
Purpose                         Command                                      Reply
==============================  ===========================================  ===============
identity, errors                ``*IDN?``, ``SYST:ERR?``                     ``0,"No error"``
all phases / one phase          ``INST:COUP ALL``;
                                ``INST:COUP NONE;:INST:NSEL 2``
voltage, V rms (selected)       ``VOLT:AC 230``, ``VOLT:AC?``                ``2.3000E+02``
frequency, Hz                   ``FREQ 50``, ``FREQ?``
phase angle, deg (selected)     ``PHAS 120``, ``PHAS?``
current limit, A                ``CURR 40``, ``CURR:PROT:STAT ON``
output                          ``OUTP ON``, ``OUTP OFF``, ``OUTP?``         ``0`` / ``1``
measure (selected phase)        ``MEAS:VOLT:AC?``, ``MEAS:CURR:AC?``,
                                ``MEAS:POW:AC?``, ``MEAS:POW:PFAC?``,
                                ``MEAS:FREQ?``
interruption                    ``OUTP:DROP <s>`` (output must be on)
watchdog                        ``OUTP:PROT:WDOG ON``, ``...:WDOG:DEL <s>``,
                                ``OUTP:PROT:CLE``, ``OUTP:PROT:TRIP?``
==============================  ===========================================  ===============

Its error replies carry no plus sign (``0,"No error"``, unlike Keysight's ``+0``): the base
class parses the integer, never the text. Every per-phase method selects its phase explicitly
(the selection is instrument state; relying on what an earlier call left is how one phase ends up
at the wrong voltage). For the same reason voltage and phase angle are remembered per phase, and
read back after a reconnect with that phase selected in the same message.
"""

from __future__ import annotations

from typing import Any

from rig.instruments.base import (
    OutputWatchdog,
    Quantity,
    ScpiInstrument,
    Setting,
    check_range,
    quantity,
)
from rig.instruments.protocols import AcSource


class Asterion(OutputWatchdog, ScpiInstrument, AcSource):
    """AMETEK Asterion 3-phase: 0 ... 300 V per phase, 40 ... 500 Hz."""

    phases = 3
    safe_commands = ("OUTP OFF", "OUTP:PROT:WDOG OFF")

    # the selection is tracked (per-phase settings are remembered per phase), not read back:
    # every per-phase method selects its phase itself
    coupling = quantity(
        "INST:COUP?", "INST:COUP %s", "Program all phases (ALL) or the selected one (NONE)",
        str, values=("ALL", "NONE"), verify=False,
    )
    selected_phase = quantity(
        "INST:NSEL?", "INST:NSEL %d", "Phase that settings and measurements apply to", int,
        values=(1, 2, 3), verify=False,
    )
    voltage = quantity(
        "VOLT:AC?", "VOLT:AC %g", "Output voltage of the selected phase(s)", unit="V",
        range=(0, 300),
    )
    frequency = quantity("FREQ?", "FREQ %g", "Output frequency", unit="Hz", range=(40, 500))
    phase_angle = quantity(
        "PHAS?", "PHAS %g", "Phase angle of the selected phase(s)", unit="deg", range=(0, 360)
    )
    current_limit = quantity("CURR?", "CURR %g", "Output current limit", unit="A", range=(0, 60))
    current_protection = quantity(
        "CURR:PROT:STAT?", "CURR:PROT:STAT %s", "Output off (not constant current) on the limit",
        bool,
    )
    output = quantity("OUTP?", "OUTP %s", "Output relay closed", bool)

    PER_PHASE = ("voltage", "phase_angle")

    # ---- phase selection ----------------------------------------------------------------------
    def settings_for(self, q: Quantity, value: Any, command: str) -> list[Setting]:
        """Voltage and phase angle are remembered for each phase the selection made them
        apply to, and read back with that phase selected; unknown selection: not at all."""
        if q.name not in self.PER_PHASE:
            return super().settings_for(q, value, command)
        tracked = {s.quantity.name: s.value for s in self._settings.values()}
        if tracked.get("coupling") == "ALL":
            phases: tuple[int, ...] = (1, 2, 3)
        elif tracked.get("coupling") == "NONE" and tracked.get("selected_phase") in (1, 2, 3):
            phases = (tracked["selected_phase"],)
        else:
            return []
        return [
            Setting(f"{q.name} (phase {n})", value, command.strip(),
                    f"{self._selection(n)};:{q.get_command}", q)
            for n in phases
        ]

    def _check_phase(self, phase: int | None) -> None:
        if phase is not None and (isinstance(phase, bool) or phase not in (1, 2, 3)):
            raise ValueError(f"phase = {phase!r}: 1, 2, 3 or None (all phases) is expected")

    @staticmethod
    def _selection(phase: int | None) -> str:
        return "INST:COUP ALL" if phase is None else f"INST:COUP NONE;:INST:NSEL {phase}"

    def select(self, phase: int | None) -> None:
        """Make settings apply to one phase (1-3) or to all of them (None)."""
        self._check_phase(phase)
        self.send(self._selection(phase))

    # ---- AcSource ---------------------------------------------------------------------------
    def configure(
        self, voltage_v: float, frequency_hz: float = 50.0, current_limit_a: float = 40.0
    ) -> None:
        """All phases to ``voltage_v``, frequency, current limit (validated first)."""
        cls = type(self)
        cls.voltage.validate(voltage_v)
        cls.frequency.validate(frequency_hz)
        cls.current_limit.validate(current_limit_a)
        self.select(None)
        self.voltage = voltage_v
        self.frequency = frequency_hz
        self.current_limit = current_limit_a

    def set_voltage(self, voltage_v: float, phase: int | None = None) -> None:
        """One phase (1-3) or all (None): ``INST:COUP NONE;:INST:NSEL n`` then ``VOLT:AC``."""
        type(self).voltage.validate(voltage_v)
        self.select(phase)
        self.voltage = voltage_v

    def set_phase_angle(self, angle_deg: float, phase: int) -> None:
        """Phase angle of one phase relative to phase 1, degrees."""
        type(self).phase_angle.validate(angle_deg)
        if phase is None:
            raise ValueError("phase = None: a phase angle belongs to one phase (1, 2 or 3)")
        self.select(phase)
        self.phase_angle = angle_deg

    def output_on(self) -> None:
        self.output = True

    def output_off(self) -> None:
        self.output = False

    def is_on(self) -> bool:
        return bool(self.output)

    def interrupt(self, duration_s: float) -> None:
        """Drop the output for ``duration_s`` (a supply interruption), output must be on."""
        check_range("duration_s", duration_s, "s", 0, 3600)
        self.send(f"OUTP:DROP {duration_s:g}")

    def _measure(self, phase: int, what: str) -> float:
        self._check_phase(phase)
        if phase is None:
            raise ValueError("phase = None: measurements are per phase (1, 2 or 3)")
        # one message, one round trip: select and measure cannot be split by another thread
        return self.query_float(f"{self._selection(phase)};:MEAS:{what}?")

    def measure_voltage(self, phase: int = 1) -> float:
        """Voltage of one phase, V rms."""
        return self._measure(phase, "VOLT:AC")

    def measure_current(self, phase: int = 1) -> float:
        """Current of one phase, A rms."""
        return self._measure(phase, "CURR:AC")

    def measure_power(self, phase: int = 1) -> float:
        """Active power of one phase, W."""
        return self._measure(phase, "POW:AC")

    def measure_power_factor(self, phase: int = 1) -> float:
        """Power factor of one phase (NaN without current)."""
        return self._measure(phase, "POW:PFAC")

    def measure_frequency(self) -> float:
        """Output frequency, Hz (0 with the output off)."""
        return self.query_float("MEAS:FREQ?")
