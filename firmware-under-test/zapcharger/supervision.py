"""Supply-voltage window and thermal derating: the station protecting itself and the grid.

Both are level checks on inputs that are constant between ticks; the scheduler evaluates them on
every tick (the host ticks at once when an input changes, and the housekeeping deadline wakes the
firmware about once a second), so a window violation is seen the instant it happens.
"""

from __future__ import annotations

import math

from zapcharger.pilot import MIN_CURRENT_A
from zapcharger.profile import Supply, Thermal

#: A phase with less than this is absent (1-phase supply), not undervoltage, V.
PHASE_PRESENT_V = 50.0


class SupplyMonitor:
    """Stops charging outside [min_v, max_v]; restarts inside the window narrowed by hysteresis."""

    def __init__(self, cfg: Supply):
        self.cfg = cfg
        self.bad = False

    def update(self, volts: tuple[float, float, float]) -> bool:
        """Re-evaluate with the present phase voltages; returns whether the supply is bad."""
        cfg = self.cfg
        present = [v for v in volts if v > PHASE_PRESENT_V]
        if not self.bad:
            self.bad = any(v < cfg.min_v or v > cfg.max_v for v in present)
        else:
            lo, hi = cfg.min_v + cfg.restart_hysteresis_v, cfg.max_v - cfg.restart_hysteresis_v
            self.bad = not all(lo <= v <= hi for v in present)
        return self.bad


class ThermalMonitor:
    """Linear derating from ``derate_start_c`` to ``stop_c``; stop until below ``resume_c``."""

    def __init__(self, cfg: Thermal, max_current_a: float):
        self.cfg = cfg
        self.max_a = max_current_a
        self.stopped = False
        self.limit_a: float | None = None

    def update(self, temperature_c: float) -> None:
        """Re-evaluate the stop latch and the derated limit for ``temperature_c``."""
        cfg = self.cfg
        if temperature_c >= cfg.stop_c:
            self.stopped = True
        elif self.stopped and temperature_c < cfg.resume_c:
            self.stopped = False
        if temperature_c < cfg.derate_start_c:
            self.limit_a = None
            return
        span = cfg.stop_c - cfg.derate_start_c
        frac = 1.0 if span <= 0 else min(1.0, (temperature_c - cfg.derate_start_c) / span)
        limit = self.max_a - (self.max_a - MIN_CURRENT_A) * frac
        # whole tenths of an ampere, rounded down: no jitter of the duty on sensor noise
        self.limit_a = max(MIN_CURRENT_A, math.floor(limit * 10.0 + 1e-9) / 10.0)
