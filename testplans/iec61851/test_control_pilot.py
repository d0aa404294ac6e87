"""Control pilot signal (IEC 61851-1:2017 Annex A): levels, frequency, duty, edges."""

from __future__ import annotations

import pytest

from rig.standards.iec61851 import duty_for_current
from testplans.iec61851.plan import points


@pytest.mark.requirement("CP-01")
def test_positive_level_in_state_a(charger, ev, rig, record):
    """No vehicle: the charger holds the pilot at its positive level, no PWM (x1)."""
    pilot = ev.measure_pilot()
    record("CP-01", pilot.high_v, "V", uncertainty=rig.uncertainty("ev", "voltage", pilot.high_v),
           data={"state": pilot.state})


@pytest.mark.requirement("CP-02", "CP-03", "CP-05")
def test_pwm_levels_frequency_and_edges(charger, ev, trace, rig, record):
    """Vehicle connected (B2): negative level, frequency and edge times of the PWM."""
    t_b = charger.connect()
    if trace.wait_pwm(after=t_b, timeout=5.0) is None:
        pytest.fail("precondition: no PWM within 5 s of state B")  # -> ERROR, not FAIL
    pilot = ev.measure_pilot()
    record("CP-02", pilot.low_v, "V", uncertainty=rig.uncertainty("ev", "voltage", pilot.low_v))
    record("CP-03", pilot.frequency_hz, "Hz",
           uncertainty=rig.uncertainty("ev", "frequency", pilot.frequency_hz))
    edge_u = rig.uncertainty("ev", "edge_time", pilot.rise_s)
    record("CP-05", pilot.rise_s, "s", name="rise_time", uncertainty=edge_u)
    record("CP-05", pilot.fall_s, "s", name="fall_time", uncertainty=edge_u)


@pytest.mark.requirement("CP-04")
@pytest.mark.parametrize("current_a", points("CP-04", "currents_a"))
def test_duty_cycle_for_current(current_a, charger, charging, console, ev, trace, rig, record):
    """The installation limit sets the advertised current; the duty must encode it."""
    try:
        t_set = ev.time()
        console.set_limit(current_a)
        trace.wait_quiet("PWM", after=t_set)
        pilot = ev.measure_pilot()
        expected = duty_for_current(current_a)
        record("CP-04", pilot.duty_pct - expected, "%",
               uncertainty=rig.uncertainty("ev", "duty", pilot.duty_pct),
               data={"current_a": current_a, "duty_pct": pilot.duty_pct,
                     "expected_pct": expected})
    finally:
        console.set_limit(None)

