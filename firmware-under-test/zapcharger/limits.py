"""Current-limit arbitration: the lowest of every source, and the delay before the PWM follows.

Sources: the station's hardware limit, the cable (PP), the thermal derating, the installation
(load balancing over the console or CAN) and the central system (OCPP charging profiles). A
change reaches the duty cycle ``timing.duty_update_s`` later (each change keeps its own
deadline, so a burst of changes replays in order); while no PWM runs the limit applies at once,
so a PWM never starts with a stale, higher value. With ``timing.duty_step_a`` the duty walks
to the new limit instead, at most that many amperes every ``timing.duty_update_s`` (a firmware
that regulates in steps: compliant while the last step lands within TM-04's allowance).
"""

from __future__ import annotations

import math

from zapcharger.timebase import EPS


class CurrentLimits:
    """The arbiter: live limit from its sources, and the (delayed) limit the PWM applies."""

    def __init__(
        self, station_a: float, delay_s: float, step_a: float = 0.0, hold_lowered: bool = False
    ):
        self.station_a = station_a
        self.hold_lowered = hold_lowered
        self.delay_s = delay_s
        self.step_a = step_a
        self._next_step: float | None = None
        self.cable_a: float | None = None
        self.thermal_a: float | None = None
        self.installation_a: float | None = None
        self.ocpp_a: float | None = None
        self.applied = station_a
        self._last_live = station_a
        self._pipeline: list[tuple[float, float]] = []

    def sources(self) -> dict[str, float | None]:
        """Every source by name (``None`` = this source does not limit)."""
        return {
            "station": self.station_a,
            "cable": self.cable_a,
            "thermal": self.thermal_a,
            "installation": self.installation_a,
            "ocpp": self.ocpp_a,
        }

    @property
    def live(self) -> float:
        """The lowest limit of all sources right now, A."""
        values = [v for v in self.sources().values() if v is not None]
        return max(0.0, min(values)) if values else math.inf

    def update(self, now: float, pwm_on: bool) -> None:
        """Feed the live limit through the duty-update delay (none while the PWM is off)."""
        live = self.live
        if pwm_on and self.hold_lowered and live > self.applied:
            live = self.applied  # the defect: a raise waits for the next session
        if not pwm_on:
            self._pipeline.clear()
            self._next_step = None
            self.applied = live
        elif self.step_a > 0.0 and self.delay_s > 0.0:
            self._walk(now, live)
        elif live != self._last_live:
            self._pipeline.append((now + self.delay_s, live))
        self._last_live = live
        while self._pipeline and self._pipeline[0][0] <= now + EPS:
            self.applied = self._pipeline.pop(0)[1]

    def _walk(self, now: float, live: float) -> None:
        """Stepped update: every ``delay_s`` the applied limit moves ``step_a`` towards live."""
        if self.applied == live:
            self._next_step = None
            return
        if self._next_step is None:
            self._next_step = now + self.delay_s
        while self._next_step is not None and self._next_step <= now + EPS:
            diff = live - self.applied
            self.applied += max(-self.step_a, min(self.step_a, diff))
            done = abs(live - self.applied) <= 1e-9
            if done:
                self.applied = live
            self._next_step = None if done else self._next_step + self.delay_s

    def deadlines(self) -> list[float]:
        """When the next pending change (or step) reaches the PWM."""
        out = [self._pipeline[0][0]] if self._pipeline else []
        if self._next_step is not None:
            out.append(self._next_step)
        return out
