"""Sequence timing (IEC 61851-1:2017 Table A.6), from the EV emulator's event trace."""

from __future__ import annotations

import pytest

from fixtures.charger import delay
from testplans.iec61851.plan import budget


@pytest.mark.requirement("TM-01")
def test_contactor_closes_after_vehicle_requests_charge(charger, ev, trace, rig, record):
    """B2 -> C2: the contactor closes (sequence 4)."""
    t_b = charger.connect()
    if trace.wait_pwm(after=t_b, timeout=5.0) is None:
        pytest.fail("precondition: no PWM within 5 s of state B")
    t_c = ev.set_state("C")
    closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01"))
    record("TM-01", delay(t_c, closed), "s", uncertainty=rig.interval_uncertainty("ev"))


@pytest.mark.requirement("TM-02")
def test_contactor_opens_when_vehicle_stops(charging, ev, trace, rig, record):
    """C2 -> B2: the vehicle stops charging, the contactor opens (sequence 8.1)."""
    t_stop = ev.set_state("B")
    opened = trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=budget("TM-02"))
    record("TM-02", delay(t_stop, opened), "s", uncertainty=rig.interval_uncertainty("ev"))


@pytest.mark.requirement("TM-03")
def test_contactor_opens_when_unplugged_under_load(charging, ev, trace, rig, record):
    """C2 -> A: the plug is pulled under load, the contactor opens (sequence 2)."""
    t_unplug = ev.set_state("A")
    opened = trace.wait_for("CONTACTOR", 0, after=t_unplug, timeout=budget("TM-03"))
    record("TM-03", delay(t_unplug, opened), "s", uncertainty=rig.interval_uncertainty("ev"))
