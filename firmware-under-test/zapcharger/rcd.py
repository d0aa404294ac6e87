"""Residual-current supervision: sensor filter, exact trip timing, latch, self-test record.

The sensor inputs are piecewise constant between ticks, so the first-order filter is solved in
closed form (``exp(-dt/tau)``) and the instant it crosses a threshold is computed analytically.
That instant, and the trip deadline after it, are deadlines of their own: the trip time is exact
whatever the tick size, which is the point of a trip-time test.
"""

from __future__ import annotations

import math

from zapcharger.profile import Rcd
from zapcharger.timebase import EPS


def settle(value: float, target: float, tau: float, dt: float) -> float:
    """First-order filter at ``value`` driven by a constant ``target`` for ``dt`` seconds."""
    if tau <= 0.0:
        return target
    return target + (value - target) * math.exp(-dt / tau)


def reach_time(value: float, target: float, level: float, tau: float) -> float | None:
    """Seconds until the filter (``value`` -> ``target``) reaches ``level``; ``None`` if never."""
    if value == level:
        return 0.0
    if value < level < target:
        return 0.0 if tau <= 0.0 else tau * math.log((target - value) / (target - level))
    if target < level < value:
        return 0.0 if tau <= 0.0 else tau * math.log((value - target) / (level - target))
    return None


class Channel:
    """One sensor output (smooth DC or AC r.m.s.) with its filter, threshold and delay."""

    def __init__(self, name: str, threshold_ma: float, delay_s: float):
        self.name = name
        self.threshold = threshold_ma
        self.delay = delay_s
        self.value = 0.0
        self.above = False
        self.above_since: float | None = None

    def advance(self, t0: float, dt: float, target: float, tau: float) -> None:
        """Integrate the filter over ``[t0, t0+dt]`` and note the exact threshold crossing."""
        thr = self.threshold
        if not self.above:
            t_up = reach_time(self.value, target, thr, tau) if target > thr else None
            if self.value > thr:
                t_up = 0.0
            if t_up is not None and t_up <= dt + EPS:
                self.above = True
                self.above_since = t0 + min(max(t_up, 0.0), dt)
        elif target < thr:
            t_down = reach_time(self.value, target, thr, tau)
            if t_down is not None and t_down + EPS < dt:
                self.above = False
                self.above_since = None
        self.value = settle(self.value, target, tau, dt)
        if self.above and self.value < thr:
            self.value = thr  # rounding at the exact crossing instant

    def crossing_deadline(self, now: float, target: float, tau: float) -> float | None:
        """Instant the filter will cross the threshold (if it is heading there)."""
        if self.above or target <= self.threshold:
            return None
        t_up = reach_time(self.value, target, self.threshold, tau)
        return None if t_up is None else now + t_up

    def trip_deadline(self) -> float | None:
        """Instant this channel trips if it stays above the threshold."""
        return None if self.above_since is None else self.above_since + self.delay


class RcdSupervisor:
    """The RDC-DD / RCD function: two channels, the trip latch and the self-test counters."""

    def __init__(self, cfg: Rcd):
        self.cfg = cfg
        self.tau = cfg.sensor_filter_s
        self.dc = Channel("dc", cfg.dc_trip_ma, cfg.dc_trip_delay_s)
        self.ac = Channel("ac", cfg.ac_trip_ma, cfg.ac_trip_delay_s)
        self.latched = False
        self.trip_time: float | None = None
        self.trip_channel: str | None = None
        self.trips = 0
        self.selftests = 0
        self.last_selftest: str | None = None
        self.selftest_failed = False

    @property
    def channels(self) -> tuple[Channel, Channel]:
        return (self.dc, self.ac)

    def advance(self, t0: float, dt: float, dc_ma: float, ac_ma: float, blank: bool) -> None:
        """Filter the sensor over ``dt`` (0 allowed); frozen while the test winding blanks it."""
        if blank:
            return
        self.dc.advance(t0, dt, abs(dc_ma), self.tau)
        self.ac.advance(t0, dt, abs(ac_ma), self.tau)

    def check_trip(self, now: float, armed: bool) -> str | None:
        """Trip (and latch) when a channel has been above its threshold for its delay."""
        if self.latched or not armed:
            return None
        for ch in self.channels:
            deadline = ch.trip_deadline()
            if deadline is not None and deadline <= now + EPS:
                self.latched = True
                self.trip_time = now
                self.trip_channel = ch.name
                self.trips += 1
                return ch.name
        return None

    def check_self_clear(self) -> bool:
        """Defect mode (no reset on unplug): the latch drops once both channels fell below half."""
        if not self.latched or self.cfg.reset_on_unplug:
            return False
        if all(ch.value <= ch.threshold / 2.0 * (1.0 + 1e-9) + 1e-12 for ch in self.channels):
            self.clear_latch()
            return True
        return False

    def clear_latch(self) -> None:
        """Release the trip latch (unplug, or self-clear in the defect mode)."""
        self.latched = False
        self.trip_channel = None

    def self_test_done(self, passed: bool) -> None:
        """Record one self-test result (counted, and the last one remembered)."""
        self.selftests += 1
        self.last_selftest = "pass" if passed else "fail"
        self.selftest_failed = not passed

    def state(self) -> str:
        """``ok``, ``tripped`` or ``selftest_failed`` (console and status)."""
        if self.latched:
            return "tripped"
        if self.selftest_failed:
            return "selftest_failed"
        return "ok"

    def deadlines(self, now: float, dc_ma: float, ac_ma: float, armed: bool, blank: bool) -> list:
        """Threshold crossings, trip instants and (defect mode) the self-clear instant."""
        if blank:
            return []
        out: list[float] = []
        targets = (abs(dc_ma), abs(ac_ma))
        if armed and not self.latched:
            for ch, target in zip(self.channels, targets, strict=True):
                crossing = ch.crossing_deadline(now, target, self.tau)
                if crossing is not None:
                    out.append(crossing)
                trip = ch.trip_deadline()
                if trip is not None:
                    out.append(trip)
        if self.latched and not self.cfg.reset_on_unplug:
            waits = []
            for ch, target in zip(self.channels, targets, strict=True):
                half = ch.threshold / 2.0
                if ch.value <= half:
                    waits.append(0.0)
                    continue
                t = reach_time(ch.value, target, half, self.tau)
                if t is None:
                    return out
                waits.append(t)
            out.append(now + max(waits))
        return out
