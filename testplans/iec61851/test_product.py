"""Product claims of the user manual: the status LED table (PR-01), the rated power (PR-03),
thermal derating (PR-04) and one serial number on every channel (PR-08).

PR-07 (OCPP) has its own module, ``test_ocpp.py``, PR-02 (RFID) ``test_authentication.py``
and PR-05/PR-06 (load and phase distribution over the stations of an installation)
``test_installation.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from rig.standards.iec61851 import current_for_duty
from rig.uncertainty import combine
from testplans.iec61851.interruption import shared
from testplans.iec61851.plan import CATALOGUE, budget, soft_start_over
from testplans.iec61851.test_meter import PHASES, require_reference, settle_charge, std_u
from testplans.iec61851.test_residual_current import trip_or_fail


def expected_led(situation: str) -> str:
    """``colour/pattern`` the manual's table gives for ``situation``."""
    return str(CATALOGUE.params("PR-01")["table"][situation])


# ---- PR-01: the status LED table -------------------------------------------------------------
def led_shows(situation: str, ev: Any, clock: Any, record: Any, **data: Any) -> None:
    """Wait up to ``observe_s`` for the LED of ``situation``, then record what it shows."""
    want = expected_led(situation)
    observe = float(CATALOGUE.params("PR-01")["observe_s"])
    clock.wait_until(lambda: "/".join(ev.led()) == want, observe, poll=0.05)
    seen = "/".join(ev.led())
    record("PR-01", seen == want, name="led",
           data={"situation": situation, "expected": want, "seen": seen, **data})


@pytest.mark.requirement("PR-01")
@pytest.mark.lg_feature("led-sensor")
def test_led_through_a_charge(charger, ev, trace, clock, record):
    """Ready (no vehicle), vehicle connected, charging, finished (the vehicle stops: C -> B)."""
    led_shows("ready", ev, clock, record)
    t_b = charger.connect()
    if trace.wait_pwm(after=t_b, timeout=budget("TM-06")) is None:
        pytest.fail("precondition: no PWM after the vehicle connected")
    led_shows("connected", ev, clock, record)
    t_c = ev.set_state("C")
    if trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01")) is None:
        pytest.fail("precondition: the contactor did not close")
    led_shows("charging", ev, clock, record)
    t_stop = ev.set_state("B")
    if trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=budget("TM-02")) is None:
        pytest.fail("precondition: the contactor did not open after C -> B")
    led_shows("finished", ev, clock, record)


@pytest.mark.requirement("PR-01")
@pytest.mark.lg_feature("led-sensor")
def test_led_through_a_supply_interruption(request, charger, ac_source, ev, trace, clock, record):
    """No supply (off) during an interruption, booting after it, ready once booted. Off and
    booting are read from the LED events of the EV emulator's trace (the supply is back before
    the rig can look), ready live. The interruption is the session's one, shared with SU-03
    (testplans/iec61851/interruption.py): one boot instead of one per test."""
    params = CATALOGUE.params("PR-01")
    seen = shared(request, float(params["interruption_s"]), ac_source, ev, trace, clock)
    # before the supply came back (the boot's first LED may share t_before's instant)
    dark = [e for e in seen.leds if e.t < seen.t_before]
    seen_off = dark[-1].value if dark else None
    record("PR-01", seen_off == expected_led("no_supply"), name="led",
           data={"situation": "no_supply", "expected": expected_led("no_supply"),
                 "seen": seen_off, "led_events": [[e.t - seen.t_off, e.value] for e in dark]})
    ready = seen.led(expected_led("ready"))
    booting = [e for e in seen.leds
               if e.t >= seen.t_before and (ready is None or e.t < ready.t)]
    shown = [e.value for e in booting]
    record("PR-01", expected_led("booting") in shown, name="led",
           data={"situation": "booting", "expected": expected_led("booting"),
                 "seen": " -> ".join(shown) or None,
                 "led_events": [[e.t - seen.t_on, e.value] for e in booting]})
    led_shows("ready", ev, clock, record, after_supply_back_s=None if ready is None
              else ready.t - seen.t_on)


@pytest.mark.requirement("PR-01")
@pytest.mark.lg_feature("led-sensor")
def test_led_on_a_fault(charging, dc_source, ev, trace, clock, record):
    """A fault (a tripped RCD, the residual current still flowing): continuous red."""
    current_ma = float(CATALOGUE.params("PR-01")["fault_current_ma"])
    trip_or_fail(dc_source, current_ma / 1000.0, ev, trace)
    led_shows("fault", ev, clock, record, residual_current_ma=current_ma)


# ---- PR-03: rated power ----------------------------------------------------------------------
def measured_power(
    phases: tuple[int, ...], power_analyser: Any, rig: Any
) -> tuple[float, float, list[float]]:
    """Active power summed over ``phases`` at the analyser, its U (k = 2) and the per-phase
    readings (each element's accuracy, combined as independent)."""
    readings = power_analyser.read([("P", p) for p in phases])
    for p, w in zip(phases, readings, strict=True):
        require_reference(w, f"P{p}")
    u = combine(*(std_u(rig, "power_analyser", "power", w) for w in readings))
    return sum(readings), u, readings


@pytest.mark.requirement("PR-03")
@pytest.mark.parametrize("phases", [1, 3], ids=["1-phase", "3-phase"])
def test_rated_power(phases, charger, ac_source, ev, power_analyser, trace, clock, rig, record):
    """A vehicle asking for the rated current at nominal voltage: the power the analyser
    measures once the soft start is over (1-phase: L1 only, as a 1-phase vehicle draws it)."""
    if phases == 3 and ac_source.phases < 3:
        pytest.skip("the rig's AC source has one phase: the 3-phase rating needs three")
    params = CATALOGUE.params("PR-03")
    power_analyser.configure()
    start = charger.start_charging(current_a=float(params["current_a"]), phases=phases)
    settled = settle_charge(start, trace, power_analyser, clock)
    used = tuple(PHASES[:phases])
    power, u, per_phase = measured_power(used, power_analyser, rig)
    record("PR-03", power, "W", name="power_1ph" if phases == 1 else "power_3ph",
           uncertainty=u,
           data={"phases": list(used), "power_w": per_phase, "voltage_v": settled[:3],
                 "current_a": settled[3:], "asked_a": float(params["current_a"])})


# ---- PR-04: thermal derating -----------------------------------------------------------------
def advertised(trace: Any, origin: float, since: float) -> list[tuple[float, float]]:
    """(time, advertised A) of every PWM duty from ``since`` on (the one in force first),
    looking back no further than ``origin`` (the PWM's start)."""
    events = [e for e in trace.events(origin, "PWM") if e.value != "OFF"]
    before = [e for e in events if e.t <= since]
    series = [(since, current_for_duty(float(before[-1].value)))] if before else []
    return series + [(e.t, current_for_duty(float(e.value))) for e in events if e.t > since]


@pytest.mark.requirement("PR-04")
@pytest.mark.lg_feature("bench-control")
def test_thermal_derating(charger, bench_control, ev, trace, clock, record):
    """Charging at full current while the surroundings go from cool to hot: the advertised
    current (PWM duty in the EV emulator's trace) falls when hot, and never exceeds the
    manual's 32 A at any time."""
    params = CATALOGUE.params("PR-04")
    cool, hot = (float(t) for t in params["ambient_c"])
    ceiling = float(params["max_current_a"])
    settle = float(params["settle_s"])
    before = bench_control.ambient_c
    try:
        bench_control.ambient_c = cool
        start = charger.start_charging(current_a=float(params["current_a"]), phases=3)
        soft_start_over(trace, start.t_close)
        t_hot = ev.time()
        cool_a = advertised(trace, start.t_pwm, t_hot)[-1][1]
        bench_control.ambient_c = hot
        clock.sleep(settle)  # the heat soaks in: the physics, not a wait for an event
        trace.wait_quiet("PWM", after=t_hot)
        series = advertised(trace, start.t_pwm, start.t_close)
        hot_a = series[-1][1]
        highest = max(a for _, a in series)
    finally:
        bench_control.ambient_c = before
    record("PR-04", hot_a < cool_a and highest <= ceiling + 1e-9, name="derates",
           data={"ambient_c": [cool, hot], "cool_a": cool_a, "hot_a": hot_a,
                 "highest_a": highest, "max_current_a": ceiling,
                 "series": [[round(t - start.t_close, 6), a] for t, a in series]})


# ---- PR-08: one serial number ----------------------------------------------------------------
@pytest.mark.requirement("PR-08")
def test_serial_number_on_every_channel(charger, console, can_bus, csms, clock, record):
    """The serial number on the service console, in the OCPP BootNotification (asked for with
    TriggerMessage when the charger booted before the central system listened) and in the CAN
    identity frame: the manual's format on each, and one number on all three."""
    pattern = re.compile(str(CATALOGUE.params("PR-08")["pattern"]))
    on_console = console.serial()
    boot = csms.find("BootNotification")
    if boot is None:
        if not csms.wait_connected(5.0):
            pytest.fail("precondition: the charger is not talking to the central system")
        mark = csms.mark()
        csms.trigger("BootNotification")
        boot = csms.wait_for("BootNotification", since=mark, timeout=10.0, poll=0.05)
        if boot is None:
            pytest.fail("precondition: no BootNotification, even after TriggerMessage")
    on_ocpp = str(boot.payload.get("chargePointSerialNumber"))
    on_can = can_bus.request_identity().serial
    seen = {"console": on_console, "ocpp": on_ocpp, "can": on_can}
    bad = {k: v for k, v in seen.items() if not pattern.fullmatch(v)}
    record("PR-08", not bad, name="format",
           data={**seen, "pattern": pattern.pattern, "not_matching": sorted(bad)})
    record("PR-08", len(set(seen.values())) == 1, name="identical",
           data={**seen, "firmware_console": console.firmware(),
                 "firmware_ocpp": boot.payload.get("firmwareVersion")})
