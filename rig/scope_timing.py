"""Sequence timing (IEC 61851-1 Table A.6) from a triggered oscilloscope acquisition.

A bench without an EV emulator has no event trace. It times a state change and the
contactor's answer on one acquisition: the scope triggers on the pilot's state edge (ch1), the
socket's voltage is on ch2 through a differential probe, and the contactor's instant is found
in the record. Every way this can be off is a bound of a rectangular distribution, combined as
:mod:`rig.uncertainty` does for every other measurement:

* **The pilot shows a change at its next pulse.** Under PWM a plateau change is visible only
  when the next pulse comes: a rising plateau at the next rising edge (0 ... 1 period after the
  change), a falling one where its first lower pulse ends (a runt trigger: duty ... 1 + duty
  periods). The change is put in the middle of that window, half a period either way. Without
  PWM the edge is the change (bound: one sample).
* **Sampling.** The socket's voltage is seen at the sample instants: one sample interval.
* **Closing:** voltage is there from the instant the contact closes, but it is seen only once
  it exceeds the threshold: at worst (closing at a zero crossing) asin(threshold / peak) /
  (2 pi f) later. The closing is put in the middle of that window.
* **Opening:** the last sample above the threshold is before the opening; the opening is no
  later than the next time the sine would have exceeded it again, half a mains period at most.
  The opening is put in the middle of that window: a quarter period either way.
* **Probes:** the skew between the pilot's probe and the differential probe (data sheet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rig.instruments.protocols import Record
from rig.uncertainty import combine

#: Socket voltage above this (V at the tip, peak) counts as the contactor closed.
THRESHOLD_V = 50.0


@dataclass(frozen=True)
class Timed:
    """A delay from the state change to the contactor, with its expanded uncertainty (k=2)
    and every bound that went into it (kept with the measurement)."""

    delay_s: float | None  # None: the contactor did not change within the record
    uncertainty_s: float
    bounds_s: dict[str, float] = field(default_factory=dict)

    def data(self) -> dict[str, float]:
        return {f"bound_{k}": round(v, 9) for k, v in self.bounds_s.items()}


def change_instant(trigger: str, pwm_hz: float | None, duty: float, dx: float
                   ) -> tuple[float, float]:
    """(time of the state change relative to the trigger, its bound), for a trigger of kind
    ``edge`` (a rising plateau's next edge, or any edge without PWM) or ``runt`` (the end of
    the first lower pulse)."""
    if not pwm_hz:
        return 0.0, dx
    period = 1.0 / pwm_hz
    if trigger == "runt":
        return -(duty + 0.5) * period, period / 2
    return -period / 2, period / 2


def contactor_instant(record: Record, closing: bool, mains_hz: float = 50.0,
                      threshold_v: float = THRESHOLD_V) -> tuple[float | None, float]:
    """(instant the contactor closed / opened after the trigger, its bound); None if it did
    not within the record."""
    values = record.values
    first = max(0, math.ceil(-record.x0 / record.dx)) if record.dx > 0 else 0
    above = [abs(v) > threshold_v for v in values]
    half = 1.0 / (2.0 * mains_hz)
    if closing:
        index = next((i for i in range(first, len(values)) if above[i]), None)
        if index is None:
            return None, 0.0
        peak = max(abs(v) for v in values[index:])
        late = math.asin(min(threshold_v / peak, 1.0)) / (2 * math.pi * mains_hz)
        # closed 0 ... ``late`` before the first sample above the threshold: the middle
        return record.time(index) - late / 2, late / 2 + record.dx
    quiet = math.ceil(half / record.dx) + 1  # samples without voltage that mean "open"
    last_above = None
    run = 0
    for i in range(first, len(values)):
        if above[i]:
            last_above, run = i, 0
            continue
        run += 1
        if run >= quiet:
            if last_above is None:  # already open at the trigger
                return record.time(first), half / 2 + record.dx
            return record.time(last_above) + half / 2, half / 2 + record.dx
    return None, 0.0


def delay(record: Record, closing: bool, trigger: str, pwm_hz: float | None, duty: float,
          probe_skew_s: float = 0.0, mains_hz: float = 50.0) -> Timed:
    """The delay from the state change to the contactor found in ``record`` (ch2)."""
    t0, b_change = change_instant(trigger, pwm_hz, duty, record.dx)
    t1, b_contactor = contactor_instant(record, closing, mains_hz)
    bounds = {"state_change": b_change, "contactor": b_contactor, "sampling": record.dx,
              "probe_skew": probe_skew_s}
    u = combine(*(b / math.sqrt(3.0) for b in bounds.values()))
    if t1 is None:
        return Timed(None, u, bounds)
    return Timed(t1 - t0, u, bounds)
