"""Chroma 63800 series AC/DC electronic load (63802/63803/63804): the vehicle's current.

Command table (Chroma 63800 Series User's Manual, "Remote operation"; spellings marked (c) in
``rig/bench/manuals/chroma63800.py`` are to be confirmed on the manual's pages):

=========================  ======================================  ==========================
Purpose                    Command                                 Reply
=========================  ======================================  ==========================
identity, errors           ``*IDN?``, ``SYST:ERR?``                ``0,"No error"``
load input                 ``LOAD ON``, ``LOAD OFF``, ``LOAD?``    ``1`` / ``0``
mode                       ``MODE CC``, ``MODE?``                  ``CC``
current, A rms             ``CURR <A>``, ``CURR?``                 ``3.200E+01``
power factor               ``PFAC <pf>``, ``PFAC?``
measure                    ``MEAS:CURR?``, ``MEAS:VOLT?``,
                           ``MEAS:POW?``, ``MEAS:FREQ?``
=========================  ======================================  ==========================
"""

from __future__ import annotations

from rig.instruments.base import ScpiInstrument, quantity
from rig.instruments.protocols import AcLoad


class Chroma63800(ScpiInstrument, AcLoad):
    """Chroma 63804 (36 A, 4.5 kVA (c)) in constant current mode."""

    safe_commands = ("LOAD OFF",)

    load = quantity("LOAD?", "LOAD %s", "Load input on", bool)
    mode = quantity("MODE?", "MODE %s", "Load mode", str, values=("CC",))
    current = quantity("CURR?", "CURR %g", "Constant current", unit="A", range=(0.0, 36.0))
    power_factor = quantity("PFAC?", "PFAC %g", "Power factor", range=(0.1, 1.0))

    def configure(self) -> None:
        self.load = False
        self.mode = "CC"
        self.current = 0.0

    def set_current(self, current_a: float) -> None:
        self.current = current_a

    def set_power_factor(self, power_factor: float) -> None:
        self.power_factor = power_factor

    def load_on(self) -> None:
        self.load = True

    def load_off(self) -> None:
        self.load = False

    def measure_current(self) -> float:
        return self.query_float("MEAS:CURR?")

    def measure_voltage(self) -> float:
        return self.query_float("MEAS:VOLT?")
