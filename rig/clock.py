"""Rig time: how a plan waits, the same code on hardware and on the emulated bench.

Plans never call ``time.sleep`` or read the host clock. They call ``clock.sleep`` and
``clock.wait_until``; on hardware those are the wall clock, on the emulated bench with the
virtual clock they advance the bench (``BENCH:TIME:ADV``), so a 10 s trip-time test costs
milliseconds and runs the same every time. Timing *verdicts* never come from this clock either:
they come from instrument timestamps (the EV emulator's trace).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Clock(ABC):
    """Sleep and wait in rig time."""

    #: Total time this clock has waited (what a plan costs in bench or lab time).
    waited_s: float = 0.0

    @abstractmethod
    def now(self) -> float:
        """Seconds on this clock's time base."""

    @abstractmethod
    def _sleep(self, seconds: float) -> None: ...

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._sleep(seconds)
        self.waited_s += seconds

    def wait_until(
        self,
        predicate: Callable[[], T],
        timeout: float,
        poll: float = 0.05,
    ) -> T | None:
        """Poll ``predicate`` every ``poll`` s until it returns something truthy (returned),
        or ``timeout`` s pass (returns None: the caller decides what a timeout means)."""
        waited = 0.0
        while True:
            value = predicate()
            if value:
                return value
            if waited >= timeout - 1e-12:
                return None
            step = min(poll, timeout - waited)
            self.sleep(step)
            waited += step


class WallClock(Clock):
    """Real time: hardware rigs and the emulated bench in ``realtime`` mode."""

    def now(self) -> float:
        return time.monotonic()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ControlPort(Protocol):
    def write(self, command: str) -> Any: ...

    def query(self, command: str) -> str: ...


class BenchClock(Clock):
    """Virtual time on the emulated bench: sleeping advances the bench, as fast as it can.

    A long sleep is cut into steps of at most ``max_step_s``: links that run on the wall
    clock (the charger's OCPP websocket, its console) then see the bench move in steps, as a
    slow network would, instead of a whole quarter of an hour passing between two frames.
    """

    def __init__(self, control: ControlPort, max_step_s: float = 1.0):
        self.control = control
        self.max_step_s = max_step_s

    def now(self) -> float:
        return float(self.control.query("BENCH:TIME?"))

    def _sleep(self, seconds: float) -> None:
        remaining = seconds
        while remaining > 1e-12:
            step = min(remaining, self.max_step_s)
            # the query makes the call synchronous: it returns once the bench has advanced
            self.control.query(f"BENCH:TIME:ADV {step:.9g};*OPC?")
            remaining -= step
