"""Sequence timing (IEC 61851-1:2017 Table A.6), from the EV emulator's event trace."""

from __future__ import annotations

import pytest

from fixtures.charger import MIN_UNPLUGGED_S, delay
from rig.measure import NOT_REACHED
from rig.standards.iec61851 import current_for_duty
from testplans.iec61851.plan import (
    CATALOGUE,
    budget,
    phase_offsets,
    reached,
    soft_start_over,
    timeline,
    worst_of,
)


@pytest.mark.requirement("TM-01")
def test_contactor_closes_after_vehicle_requests_charge(charger, ev, trace, clock, rig, record):
    """B2 -> C2: the contactor closes (sequence 4). Repeated at different phases of the
    charger's own cycle (``phase_offsets``); the worst is judged, the spread kept."""
    offsets = phase_offsets("TM-01")
    times, last = [], None
    for offset in offsets:
        charger.plug_in()
        clock.sleep(offset)
        t_c = ev.set_state("C")
        closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01"))
        times.append(delay(t_c, closed))
        last = (t_c, closed)
        leave(charger, ev, trace, clock)
    worst, data = worst_of(times, offsets)
    record("TM-01", worst, "s", uncertainty=rig.interval_uncertainty("ev"),
           data={**data, **timeline(trace, last[0], last[1], "TM-01", "ev.set_state('C')")})


def leave(charger, ev, trace, clock) -> None:
    """The vehicle leaves and stays away long enough for the next repetition."""
    t_a = charger.unplug()
    trace.wait_for("CONTACTOR", 0, after=t_a, timeout=budget("TM-03"))
    clock.sleep(MIN_UNPLUGGED_S)


def opening_repeated(rid: str, to_state: str, charger, ev, trace, clock, rig, record) -> None:
    """A charging vehicle goes to ``to_state`` (B: it stops, A: it is unplugged under load);
    the contactor opens. Repeated at different phases of the charger's own cycle (a firmware
    that polls its CP every so often opens up to one poll late); the worst is judged. The
    first repetition is the ``charging`` fixture's charge, each further one a charge of its
    own."""
    offsets = phase_offsets(rid)
    times, last = [], None
    for n, offset in enumerate(offsets):
        if n:
            charger.start_charging()
        clock.sleep(offset)
        t_stop = ev.set_state(to_state)
        opened = trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=budget(rid))
        times.append(delay(t_stop, opened))
        last = (t_stop, opened)
        leave(charger, ev, trace, clock)
    worst, data = worst_of(times, offsets)
    record(rid, worst, "s", uncertainty=rig.interval_uncertainty("ev"),
           data={**data, **timeline(trace, last[0], last[1], rid, f"ev.set_state('{to_state}')")})


@pytest.mark.requirement("TM-02")
def test_contactor_opens_when_vehicle_stops(charging, charger, ev, trace, clock, rig, record):
    """C2 -> B2: the vehicle stops charging, the contactor opens (sequence 8.1)."""
    opening_repeated("TM-02", "B", charger, ev, trace, clock, rig, record)


@pytest.mark.requirement("TM-03")
def test_contactor_opens_when_unplugged_under_load(
    charging, charger, ev, trace, clock, rig, record
):
    """C2 -> A: the plug is pulled under load, the contactor opens (sequence 2)."""
    opening_repeated("TM-03", "A", charger, ev, trace, clock, rig, record)


@pytest.mark.requirement("TM-04")
def test_new_current_limit_reaches_the_duty_cycle(charging, charger, ev, trace, rig, record):
    """A new installation limit (load balancing) must show in the duty cycle (sequence 6), when
    it is lowered and when it is raised again. The time runs until the duty has reached the new
    value, in one step or in several (a charger may ramp); a charger whose duty is merely off
    by a little is CP-04's FAIL, so here "reached" is most of the way (``reached_share``)."""
    params = CATALOGUE.params("TM-04")
    from_a, to_a = float(params["from_a"]), float(params["to_a"])
    share = float(params["reached_share"])
    soft_start_over(trace, charging.t_close)
    try:
        for old_a, new_a, limit in ((from_a, to_a, to_a), (to_a, from_a, None)):
            t_set = ev.time()
            charger.set_limit(limit)
            settled = trace.settle_pwm(t_set, reached(old_a, new_a, share),
                                       timeout=budget("TM-04"))
            took = settled.took_s if settled.reached else NOT_REACHED
            duty = settled.duty_pct
            record("TM-04", took, "s", uncertainty=rig.interval_uncertainty("ev"),
                   data={"from_a": old_a, "to_a": new_a,
                         "direction": "lowered" if new_a < old_a else "raised",
                         "new_duty_pct": duty, "advertised_a": current_for_duty(duty),
                         **settled.data(),
                         **timeline(trace, t_set, trace.last("PWM", t_set), "TM-04",
                                    f"charger.set_limit({limit})")})
    finally:
        charger.set_limit(None)


@pytest.mark.requirement("TM-05")
def test_contactor_opens_when_pwm_stops_and_vehicle_stays_in_c(
    charging, charger, ev, trace, rig, record
):
    """The charger stops PWM (no current available) and the vehicle does not respond: the
    charger opens the contactor under load (sequence 10.2)."""
    soft_start_over(trace, charging.t_close)
    try:
        t_set = ev.time()
        charger.set_limit(0)
        stopped = trace.wait_for("PWM", "OFF", after=t_set, timeout=budget("TM-04"))
        if stopped is None:
            pytest.fail("precondition: the charger did not stop PWM when no current was left")
        opened = trace.wait_for("CONTACTOR", 0, after=stopped.t, timeout=budget("TM-05"))
        record("TM-05", delay(stopped.t, opened), "s", uncertainty=rig.interval_uncertainty("ev"),
               data=timeline(trace, stopped.t, opened, "TM-05", "PWM off"))
    finally:
        charger.set_limit(None)


@pytest.mark.requirement("TM-06")
def test_pwm_starts_after_vehicle_connects(charger, ev, trace, clock, rig, record):
    """State B, no authorisation needed, current available: the PWM starts (sequence 3).
    Repeated at different phases of the charger's own cycle; the worst is judged."""
    offsets = phase_offsets("TM-06")
    times, last = [], None
    for offset in offsets:
        clock.sleep(offset)
        t_b = charger.connect()
        pwm = trace.wait_pwm(after=t_b, timeout=budget("TM-06"))
        times.append(delay(t_b, pwm))
        last = (t_b, pwm)
        leave(charger, ev, trace, clock)
    worst, data = worst_of(times, offsets)
    record("TM-06", worst, "s", uncertainty=rig.interval_uncertainty("ev"),
           data={**data, **timeline(trace, last[0], last[1], "TM-06", "charger.connect()")})
