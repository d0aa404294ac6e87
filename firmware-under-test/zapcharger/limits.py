"""Current-limit arbitration: the lowest of every source, and the delay before the PWM follows.

Sources: the station's hardware limit, the cable (PP), the thermal derating, the installation
(load balancing over the console or CAN) and the central system (OCPP charging profiles). A
change reaches the duty cycle ``timing.duty_update_s`` later (each change keeps its own
deadline, so a burst of changes replays in order); while no PWM runs the limit applies at once,
so a PWM never starts with a stale, higher value.
"""

from __future__ import annotations

import math

from zapcharger.timebase import EPS


class CurrentLimits:
    """The arbiter: live limit from its sources, and the (delayed) limit the PWM applies."""

    def __init__(self, station_a: float, delay_s: float):
        self.station_a = station_a
        self.delay_s = delay_s
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
        if not pwm_on:
            self._pipeline.clear()
            self.applied = live
        elif live != self._last_live:
            self._pipeline.append((now + self.delay_s, live))
        self._last_live = live
        while self._pipeline and self._pipeline[0][0] <= now + EPS:
            self.applied = self._pipeline.pop(0)[1]

    def deadlines(self) -> list[float]:
        """When the next pending change reaches the PWM."""
        return [self._pipeline[0][0]] if self._pipeline else []
