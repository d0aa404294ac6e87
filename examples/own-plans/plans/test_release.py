"""Release checks of the firmware, run against the emulated bench in CI and a real rig in the
lab: the same pytest module, fixtures from the installed rig plugin."""

import pytest

from rig.pytest_plugin.charger import delay


@pytest.mark.requirement("REL-01")
def test_contactor_closes_when_vehicle_asks(charger, ev, trace, rig, record):
    t_b = charger.connect()
    if trace.wait_pwm(after=t_b, timeout=5.0) is None:
        pytest.fail("precondition: no PWM within 5 s of state B")
    t_c = ev.set_state("C")
    closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=5.0)
    record("REL-01", delay(t_c, closed), "s", uncertainty=rig.interval_uncertainty("ev"))


@pytest.mark.requirement("REL-02")
def test_contactor_opens_when_vehicle_stops(charging, ev, trace, rig, record):
    t_stop = ev.set_state("B")
    opened = trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=1.0)
    record("REL-02", delay(t_stop, opened), "s", uncertainty=rig.interval_uncertainty("ev"))
