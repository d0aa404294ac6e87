"""Proximity pilot and cable (IEC 61851-1:2017 Annex B, IEC 62196-2): coding, limits, lock."""

from __future__ import annotations

import pytest

from fixtures.charger import MIN_UNPLUGGED_S
from rig.standards.iec61851 import duty_for_current
from testplans.iec61851.plan import CATALOGUE, budget, settle_duty


def _pp_points() -> list:
    return [
        pytest.param(float(ohm), float(rating), id=f"{ohm}ohm-{rating}A")
        for ohm, rating in CATALOGUE.params("PP-01")["points"]
    ]


@pytest.mark.requirement("PP-01")
@pytest.mark.parametrize(("pp_ohm", "rating_a"), _pp_points())
def test_advertised_current_follows_cable_rating(pp_ohm, rating_a, charger, ev, trace, rig, record):
    """With a cable of a given coding the charger advertises min(station limit, cable rating),
    read from the duty cycle while charging once the charger has answered (its soft start
    within SS-02's reach time, an update within TM-04's allowance)."""
    station = float(CATALOGUE.params("PP-01")["station_limit_a"])
    start = charger.start_charging(pp_ohm=pp_ohm)
    expected_a = min(station, rating_a)
    settled = settle_duty(trace, "PP-01", expected_a, start.t_close, start.t_close)
    duty = settled.duty_pct
    expected = duty_for_current(expected_a)
    record("PP-01", duty - expected, "%", uncertainty=rig.uncertainty("ev", "duty", duty),
           data={"pp_ohm": pp_ohm, "rating_a": rating_a, "expected_a": expected_a,
                 "duty_pct": duty, "expected_pct": expected, **settled.data()})


@pytest.mark.requirement("PP-01")
def test_cable_swapped_between_sessions(charger, ev, trace, clock, rig, record):
    """The charger reads the cable at every plug-in, not once per power-up: a session with a
    32 A cable, the vehicle leaves, a 20 A cable goes in (no power cycle), and the next
    session must advertise the 20 A."""
    station = float(CATALOGUE.params("PP-01")["station_limit_a"])
    first_ohm, second_ohm = (float(o) for o in CATALOGUE.params("PP-01")["swap_ohm"])
    ratings = {float(o): float(a) for o, a in CATALOGUE.params("PP-01")["points"]}
    start = charger.start_charging(pp_ohm=first_ohm)
    settle_duty(trace, "PP-01", min(station, ratings[first_ohm]), start.t_close, start.t_close)
    t_a = charger.unplug()
    if trace.wait_for("CONTACTOR", 0, after=t_a, timeout=budget("TM-03")) is None:
        pytest.fail("precondition: the contactor did not open after the vehicle left")
    clock.sleep(MIN_UNPLUGGED_S)
    start = charger.start_charging(pp_ohm=second_ohm)
    expected_a = min(station, ratings[second_ohm])
    settled = settle_duty(trace, "PP-01", expected_a, start.t_close, start.t_close)
    duty = settled.duty_pct
    expected = duty_for_current(expected_a)
    record("PP-01", duty - expected, "%", uncertainty=rig.uncertainty("ev", "duty", duty),
           data={"swapped_from_ohm": first_ohm, "pp_ohm": second_ohm, "expected_a": expected_a,
                 "duty_pct": duty, "expected_pct": expected, **settled.data()})


@pytest.mark.requirement("PP-02")
@pytest.mark.parametrize(
    "pp_ohm", [pytest.param(p, id=f"{p}ohm" if p is not None else "no-cable")
               for p in CATALOGUE.params("PP-02")["pp_ohm"]],
)
def test_invalid_or_missing_cable_prevents_charging(pp_ohm, charger, ev, trace, record):
    """No PWM and no charging with PP missing, below 60 ohm or above 4500 ohm."""
    observe = float(CATALOGUE.params("PP-02")["observe_s"])
    t_b = charger.connect(pp_ohm)
    pwm = trace.wait_pwm(after=t_b, timeout=observe)
    t_c = ev.set_state("C")
    closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=observe)
    record("PP-02", pwm is not None, name="pwm_started", data={"pp_ohm": pp_ohm})
    record("PP-02", closed is not None, name="contactor_closed", data={"pp_ohm": pp_ohm})


@pytest.mark.requirement("PP-03")
@pytest.mark.lg_feature("lock-sensor")
def test_socket_locked_before_contactor_closes(charger, ev, trace, record):
    """The socket lock engages before the contactor closes and releases after the session."""
    start = charger.start_charging()
    locks = trace.events(start.t_b, "LOCK")
    locked = next((e for e in locks if e.value == "1"), None)
    record("PP-03", locked is not None and locked.t <= start.t_close, name="locked_before_close",
           data={"lock_t": None if locked is None else locked.t - start.t_b,
                 "close_t": start.t_close - start.t_b})
    t_a = charger.unplug()
    opened = trace.wait_for("CONTACTOR", 0, after=t_a, timeout=budget("TM-03"))
    released = trace.wait_for("LOCK", 0, after=t_a, timeout=budget("TM-03"))
    ok = released is not None and opened is not None and released.t >= opened.t
    record("PP-03", ok, name="released_after_session",
           data={"open_t": None if opened is None else opened.t - t_a,
                 "release_t": None if released is None else released.t - t_a})
