"""Control pilot signal (IEC 61851-1:2017 Annex A): levels, frequency, duty, edges."""

from __future__ import annotations

import pytest

from fixtures.charger import delay
from rig.standards.iec61851 import duty_for_current, parallel
from testplans.iec61851.plan import (
    CATALOGUE,
    budget,
    pilot_data,
    points,
    settle_duty,
    timeline,
)


@pytest.mark.requirement("CP-01")
def test_positive_level_in_state_a(charger, ev, rig, record):
    """No vehicle: the charger holds the pilot at its positive level, no PWM (x1)."""
    pilot = ev.measure_pilot()
    record("CP-01", pilot.high_v, "V", uncertainty=rig.uncertainty("ev", "voltage", pilot.high_v),
           data={"state": pilot.state})


@pytest.mark.requirement("CP-02", "CP-03", "CP-05")
def test_pwm_levels_frequency_and_edges(charger, ev, trace, rig, record):
    """Vehicle connected (B2): negative level, frequency and edge times of the PWM."""
    charger.plug_in()  # no PWM (even after a power cycle): a precondition ERROR, not a FAIL
    pilot = ev.measure_pilot()
    record("CP-02", pilot.low_v, "V", uncertainty=rig.uncertainty("ev", "voltage", pilot.low_v),
           data={"pilot": pilot_data(pilot)})
    record("CP-03", pilot.frequency_hz, "Hz",
           uncertainty=rig.uncertainty("ev", "frequency", pilot.frequency_hz))
    edge_u = rig.uncertainty("ev", "edge_time", pilot.rise_s)
    record("CP-05", pilot.rise_s, "s", name="rise_time", uncertainty=edge_u)
    record("CP-05", pilot.fall_s, "s", name="fall_time", uncertainty=edge_u)


@pytest.mark.requirement("CP-04")
@pytest.mark.parametrize("current_a", points("CP-04", "currents_a"))
def test_duty_cycle_for_current(current_a, charger, charging, ev, trace, rig, record):
    """The installation limit sets the advertised current; the duty must encode it. Read once
    the charger has answered (up to TM-04's allowance, after a soft start SS-02 allows): how
    long it took is TM-04's business, kept here with the reading."""
    try:
        t_set = ev.time()
        charger.set_limit(current_a)
        settled = settle_duty(trace, "CP-04", current_a, charging.t_close, t_set)
        pilot = settled.pilot
        expected = duty_for_current(current_a)
        record("CP-04", pilot.duty_pct - expected, "%",
               uncertainty=rig.uncertainty("ev", "duty", pilot.duty_pct),
               data={"current_a": current_a, "duty_pct": pilot.duty_pct,
                     "expected_pct": expected, "pilot": pilot_data(pilot), **settled.data()})
    finally:
        charger.set_limit(None)


def _state_cases() -> list:
    params = CATALOGUE.params("CP-06")
    r2 = float(params["r2_nominal_ohm"])
    cases = [pytest.param("B", float(r), id=f"B-R2={r}") for r in params["b_r2_ohm"]]
    cases += [
        pytest.param("C", parallel(r2, float(r3)), id=f"C-R3={r3}") for r3 in params["c_r3_ohm"]
    ]
    return cases


@pytest.mark.requirement("CP-06")
@pytest.mark.parametrize(("intended", "ohm"), _state_cases())
def test_state_detected_at_resistor_tolerance_edges(intended, ohm, charger, ev, trace, record):
    """The vehicle's resistors at their tolerance edges still mean B (PWM starts, contactor
    stays open) or C (the contactor closes)."""
    charger.ev.set_cable(220.0)
    if intended == "B":
        t_set = ev.set_resistance(ohm)
        pwm = trace.wait_pwm(after=t_set, timeout=budget("TM-06"))
        closed = None
        if pwm is not None:  # B must not be mistaken for C
            closed = trace.wait_for("CONTACTOR", 1, after=t_set, timeout=budget("TM-01"))
        followed = pwm is not None and closed is None
    else:
        charger.plug_in(220.0)  # a nominal state B first
        t_set = ev.set_resistance(ohm)
        closed = trace.wait_for("CONTACTOR", 1, after=t_set, timeout=budget("TM-01"))
        followed = closed is not None
    pilot = ev.measure_pilot()
    record("CP-06", followed, data={"intended": intended, "ohm": round(ohm, 1),
                                    "cp_high_v": pilot.high_v, "ev_sees": pilot.state,
                                    "pilot": pilot_data(pilot)})


@pytest.mark.requirement("CP-07")
def test_diode_short_prevents_charging(charger, ev, trace, record):
    """A vehicle without its diode (negative level near the positive one): the charger must
    check the negative level before closing and never close (the standard's requirement;
    showing a fault is the manual's claim, PR-09, next test)."""
    t_b, closed = diode_short_session(charger, ev, trace)
    record("CP-07", closed is not None, name="contactor_closed",
           data={"closed_at": None if closed is None else closed.t - t_b})


@pytest.mark.requirement("PR-09")
def test_diode_short_is_shown_as_a_fault(charger, ev, trace, console, record):
    """The same vehicle without its diode: the ZapCharger manual says the charger shows a fault
    (its error list, the service console). A product claim: NOT_RUN on a charger whose product
    file does not claim it, or that has no console the rig knows."""
    diode_short_session(charger, ev, trace)
    errors = console.errors()
    record("PR-09", bool(errors), name="fault_shown", data={"errors": errors})


def diode_short_session(charger, ev, trace):
    """Vehicle with a shorted diode plugged in, asking for charge: (time of B, the close)."""
    observe = float(CATALOGUE.params("CP-07")["observe_s"])
    ev.set_fault("DIODE_SHORT")
    t_b = charger.connect()
    trace.wait_pwm(after=t_b, timeout=2.0)  # a charger may start PWM before its check
    ev.set_state("C")
    return t_b, trace.wait_for("CONTACTOR", 1, after=t_b, timeout=observe)


@pytest.mark.requirement("CP-08")
@pytest.mark.parametrize("before", ["B", "C"], ids=["from-B", "from-C"])
def test_cp_shorted_to_pe(before, charger, ev, trace, rig, record):
    """State E (CP shorted to PE), entered from both sides the standard names: from C while
    charging the contactor opens at once (``open_time``); from B, before any charge, the
    charger stops offering current, its PWM off (``pwm_off_time``). A firmware that looks for
    E only while charging keeps its PWM into the short from B and still passes from C."""
    if before == "C":
        charger.start_charging()
        t_short = ev.set_fault("CP_PE_SHORT")
        opened = trace.wait_for("CONTACTOR", 0, after=t_short,
                                timeout=budget("CP-08", "open_time"))
        record("CP-08", delay(t_short, opened), "s", name="open_time",
               uncertainty=rig.interval_uncertainty("ev"),
               data={"from": before, **timeline(trace, t_short, opened, "CP-08",
                                                "ev.set_fault('CP_PE_SHORT')", "open_time")})
        return
    charger.plug_in()
    t_short = ev.set_fault("CP_PE_SHORT")
    stopped = trace.wait_for("PWM", "OFF", after=t_short, timeout=budget("CP-08", "pwm_off_time"))
    record("CP-08", delay(t_short, stopped), "s", name="pwm_off_time",
           uncertainty=rig.interval_uncertainty("ev"),
           data={"from": before, **timeline(trace, t_short, stopped, "CP-08",
                                            "ev.set_fault('CP_PE_SHORT')", "pwm_off_time")})


@pytest.mark.requirement("CP-09")
@pytest.mark.parametrize("before", ["B", "C"], ids=["from-B", "from-C"])
def test_state_d_without_ventilation(before, charger, ev, trace, clock, rig, record):
    """State D (ventilation required) on a charger without ventilation support, entered from
    B (the contactor must not close) and from C while charging (it must open within the
    limit): the contactor is closed no longer than the limit in total."""
    observe = float(CATALOGUE.params("CP-09")["observe_s"])
    if before == "B":
        charger.plug_in()
    else:
        charger.start_charging()
    t_d = ev.set_state("D")
    clock.sleep(observe)
    t_end = ev.time()
    closed_s = closed_time(trace.events(t_d, "CONTACTOR"), t_d, t_end,
                           closed_at_start=before == "C")
    record("CP-09", closed_s, "s", uncertainty=rig.interval_uncertainty("ev"),
           data={"from": before, "observed_s": t_end - t_d})


def closed_time(events, start: float, end: float, closed_at_start: bool = False) -> float:
    """Total time the contactor was closed between ``start`` and ``end`` (trace events)."""
    total, since = 0.0, (start if closed_at_start else None)
    for e in events:
        if e.value == "1" and since is None:
            since = e.t
        elif e.value == "0" and since is not None:
            total += e.t - since
            since = None
    if since is not None:
        total += end - since
    return total
