"""EVB-100 vehicle bank: one EV emulator channel per station of an installation.

This project's own command set (no vendor publishes one), served by the emulated installation
(:mod:`rig.bench.installation_host`); a lab builds the same from several EV emulators behind
one controller. What the PR-05/PR-06 tests need of it: plug a vehicle in at a station (1-phase
or 3-phase, the most it draws, the energy it wants), unplug it, read the current each vehicle
draws, and the instrument's own time stamp of a vehicle's first current.
"""

from __future__ import annotations

import math

from rig.instruments.base import ScpiInstrument, check_range
from rig.instruments.protocols import VehicleBank

#: ``MEAS:FIRS<n>?`` for a vehicle that has not drawn current yet (SCPI NaN, 9.91E+37).
NOT_YET = 9.9e37


class EVB100(ScpiInstrument, VehicleBank):
    """Client of the EVB-100; its safe state is every vehicle unplugged."""

    safe_commands = ("VEH:DEP:ALL",)

    def channels(self) -> int:
        return int(self.query("SYST:CHAN?"))

    def now(self) -> float:
        """The bank's time base (the installation's bench time on the emulator), s."""
        return float(self.query("SYST:TIME?"))

    def arrive(self, station: int, phases: int, current_a: float, energy_kwh: float) -> None:
        if phases not in (1, 3):
            raise ValueError(f"phases: 1 or 3, got {phases}")
        check_range("current_a", current_a, "A", 6.0, 80.0)
        self.send(f"VEH{int(station)}:ARR {phases},{current_a:g},{energy_kwh:g}")

    def depart(self, station: int) -> float:
        """Unplug the vehicle at ``station``; returns the bank's time of it."""
        self.send(f"VEH{int(station)}:DEP")
        return self.now()

    def state(self, station: int) -> str:
        """The pilot state the vehicle channel reads (``A1``: a ready station, no vehicle)."""
        return self.query(f"VEH{int(station)}:STAT?").strip()

    def depart_all(self) -> None:
        self.send("VEH:DEP:ALL")

    def currents(self, station: int) -> list[float]:
        return self.query_floats(f"MEAS:CURR{int(station)}?", 3)

    def all_currents(self) -> list[list[float]]:
        """Per station, the three phase currents its vehicle draws, A."""
        n = self.channels()
        flat = self.query_floats("MEAS:CURR:ALL?", 3 * n)
        return [flat[3 * i:3 * i + 3] for i in range(n)]

    def first_current_at(self, station: int) -> float | None:
        """The bank's time stamp of the vehicle's first current, or None if it has drawn none."""
        value = float(self.query(f"MEAS:FIRS{int(station)}?"))
        return None if value >= NOT_YET or math.isnan(value) else value
