"""Soft start: ramp the advertised current after the contactor closes, to limit the inrush.

Each ramp step is a deadline (``soft_start.step_s`` apart) and the duty follows a step at once;
the ramp never goes down. A limit change during the ramp still passes through the arbiter's
duty-update delay: the ramp is a ceiling on top of the arbitrated limit, not a limit source.
"""

from __future__ import annotations

import math

from zapcharger.profile import SoftStart as SoftStartCfg
from zapcharger.timebase import EPS


class SoftStart:
    """The ramp ceiling: ``start_a`` until the contactor closes, then rising step by step."""

    def __init__(self, cfg: SoftStartCfg):
        self.cfg = cfg
        self.t0: float | None = None
        self.steps = 0
        self.value = cfg.start_a
        self.done = not cfg.enabled

    def reset(self) -> None:
        """Back to the start value (PWM start, contactor opened): the next close ramps again."""
        self.t0 = None
        self.steps = 0
        self.value = self.cfg.start_a
        self.done = not self.cfg.enabled

    def start(self, now: float) -> None:
        """The contactor closed: the ramp begins."""
        if self.done:
            return
        self.t0 = now
        self.steps = 0
        if self.cfg.ramp_s <= 0.0:
            self.done = True

    def update(self, now: float, target_a: float) -> None:
        """Take every ramp step that is due (the target is the arbitrated limit)."""
        if self.done or self.t0 is None:
            return
        step_s, ramp_s = self.cfg.step_s, self.cfg.ramp_s
        while self.t0 + (self.steps + 1) * step_s <= now + EPS:
            self.steps += 1
            frac = min(1.0, self.steps * step_s / ramp_s)
            self.value = max(self.value, self.cfg.start_a + (target_a - self.cfg.start_a) * frac)
            if frac >= 1.0 - 1e-12:
                self.done = True
                return

    def ceiling(self) -> float:
        """Highest current the ramp allows now, A (infinite when no ramp is running)."""
        return math.inf if self.done else self.value

    def deadlines(self) -> list[float]:
        """Instant of the next ramp step."""
        if self.done or self.t0 is None:
            return []
        return [self.t0 + (self.steps + 1) * self.cfg.step_s]
