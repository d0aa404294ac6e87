"""The eMeter: per-phase readings with the meter's own calibration errors, and the energy register.

The meter IC integrates energy continuously (``hal.meter_e_wh``); the firmware adds the increase
to a register kept in flash, scaled by its calibration, and shows whole counts of the register's
resolution. Gains and offsets are profile keys, so an out-of-tolerance meter is one line.

The test output (the meter's LED / S0 output, ``hal.meter_pulses``) pulses once per
``1 / test_output_imp_kwh`` kWh of the same calibrated energy the register counts, the way a
static meter's test output and its register share one energy accumulator (IEC 62053-21 tests the
meter through this output). Like the IC's pulse generator it lives in RAM: it counts from zero
after every power-up. ``test_output_error_pct`` makes it pulse off its constant (a wrong
pulse divider): the output then disagrees with the register.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from zapcharger.profile import Meter as MeterCfg


@dataclass(frozen=True)
class Readings:
    """What the meter shows: per-phase voltage (V), current (A) and active power (W)."""

    v: tuple[float, float, float]
    i: tuple[float, float, float]
    p: tuple[float, float, float]


class Meter:
    """Calibration of the readings and the energy register (its accumulator lives in flash)."""

    def __init__(self, cfg: MeterCfg):
        self.cfg = cfg
        self.vg = 1.0 + cfg.voltage_gain_pct / 100.0
        self.ig = 1.0 + cfg.current_gain_pct / 100.0
        self.eg = 1.0 + cfg.energy_gain_pct / 100.0
        self._last_sum: float | None = None
        #: Calibrated energy since power-up, Wh, and test-output pulses per Wh of it.
        self._output_wh = 0.0
        self._pulses_per_wh = (
            cfg.test_output_imp_kwh / 1000.0 * (1.0 + cfg.test_output_error_pct / 100.0))

    def readings(
        self,
        v: tuple[float, float, float],
        i: tuple[float, float, float],
        p: tuple[float, float, float],
        contactor: bool,
    ) -> Readings:
        """Readings with the meter's errors; the current offset shows on live phases only."""
        off = self.cfg.current_offset_a
        cur = tuple(
            x * self.ig + (off if (contactor or x > 0.0) else 0.0) for x in i
        )
        return Readings(
            v=tuple(x * self.vg for x in v),  # type: ignore[arg-type]
            i=cur,  # type: ignore[arg-type]
            p=tuple(x * self.vg * self.ig for x in p),  # type: ignore[arg-type]
        )

    def accumulate(self, register_wh: float, meter_e_wh: tuple[float, float, float]) -> float:
        """New register accumulator after the IC's counters moved to ``meter_e_wh``."""
        total = sum(meter_e_wh)
        last, self._last_sum = self._last_sum, total
        if last is None:
            return register_wh  # first reading after power-up: the baseline
        increase = total - last if total >= last else total  # the IC restarted from zero
        calibrated = increase * self.vg * self.ig * self.eg
        self._output_wh += calibrated
        return register_wh + calibrated

    @property
    def pulses(self) -> int:
        """Test-output pulses emitted since power-up (whole pulses of the calibrated energy)."""
        return math.floor(self._output_wh * self._pulses_per_wh + 1e-9)

    def register(self, register_wh: float) -> float:
        """What the register shows: whole counts of its resolution, rounded down, Wh."""
        res = self.cfg.register_resolution_wh
        return math.floor(register_wh / res + 1e-9) * res


def format_wh(value: float) -> str:
    """Register value as text: an integer when it is one, else up to three decimals."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")
