"""The production end-of-line plan: routine safety tests, one boot, one plug-in cycle, RC-01.

Four tests in this order (pytest keeps the file's order), each the natural unit of state the
rig's per-test safe state allows: the safety tests (unit unpowered), the boot (LED, identity),
one plug-in cycle (pilot, timing, meter, self-test, AC trip, LED), and the smooth-DC step.
Limits come from ``requirements.yaml`` (most inherited from the certification's catalogue).
See ``plan.py`` for why the plan is built this way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from fixtures.charger import Charger, PreconditionError, delay, pwm_on
from fixtures.plugin import charger_identity
from fixtures.verdicts import book_of
from rig.errors import RigError
from rig.standards.iec61851 import duty_for_current
from testplans.eol.plan import budget, param, run_safety_step
from testplans.iec61851.test_meter import (
    PHASES,
    reading_error,
    require_reference,
    std_u,
    wait_settled,
)
from testplans.iec61851.test_residual_current import inject, step_data, wait_trip

#: A compliant unit starts its PWM 0.2 s after B and updates a duty 0.5 s after a new limit;
#: these bound the waits for preconditions (a unit that never does it is an ERROR of the step).
PWM_TIMEOUT_S = 5.0
DUTY_UPDATE_TIMEOUT_S = 5.0
#: The cable of the plug-in cycle (``charger.connect()``: DEFAULT_PP_OHM, 220 ohm) codes 32 A.
CABLE_A = 32.0
#: The soft start is over when the duty has not changed for this long (its steps: 0.5 s).
QUIET_S = 1.0
RAMP_TIMEOUT_S = 60.0
#: How long the charger may take to send its BootNotification after it is ready, rig time.
BOOT_NOTIFICATION_S = 10.0
#: Trip waits poll this often (rig time): the verdict comes from trace times, the poll only
#: decides how far a wait overshoots.
TRIP_POLL_S = 0.01


def led_shows(situation: str, ev: Any, clock: Any, record: Any) -> str:
    """Wait up to ``observe_s`` for the LED of ``situation`` (the manual's table, PR-01), then
    record what it shows."""
    want = str(param("PR-01", "table")[situation])
    clock.wait_until(lambda: "/".join(ev.led()) == want, float(param("PR-01", "observe_s")),
                     poll=0.05)
    seen = "/".join(ev.led())
    record("PR-01", seen == want, name="led",
           data={"situation": situation, "expected": want, "seen": seen})
    return seen


class UnitRefused(RigError):
    """The unit on the fixture is not the unit whose label was scanned: not judged."""


def refuse(request: pytest.FixtureRequest, why: str) -> None:
    """Stop the plan: the unit is refused (its verdicts say so; the station reads the note)."""
    book = book_of(request.config)
    if book is not None:
        book.notes.append(f"unit refused: {why}")
    request.session.shouldstop = f"unit refused: {why}"
    raise UnitRefused(f"unit refused: {why}")


# ---- 1. routine electrical safety tests (unit unpowered, no vehicle) -------------------------
@pytest.mark.requirement("ES-01", "ES-02", "ES-03")
def test_routine_safety(safety_tester, ac_source, ev, clock, rig, record):
    """Ground bond, insulation resistance and hipot, each step on its own (a defect fails its
    own requirement). The supply is off and the vehicle away, as the tester's interlock wants."""
    ev.make_safe()
    if ac_source.is_on():
        ac_source.output_off()
    units = {"ES-01": ("ohm", "resistance"), "ES-02": ("ohm", "insulation"),
             "ES-03": ("A", "leakage")}
    for rid, (unit, quantity) in units.items():
        result = run_safety_step(safety_tester, clock, rid)
        if result.judgement in ("CAN NOT TEST", "USER STOP", "NOT RUN"):
            raise RigError(f"{rid}: the safety tester did not test ({result.judgement})")
        record(rid, result.value, unit,
               uncertainty=rig.uncertainty("safety_tester", quantity, result.value),
               data={"mode": result.mode, "output": result.output,
                     "tester_judgement": result.judgement, "elapsed_s": result.elapsed_s})


# ---- 2. the one boot: LED from no supply to ready, identity ----------------------------------
@pytest.mark.requirement("PR-01", "CP-01", "ID-01", "PR-08")
def test_boot_and_identity(rig_test, csms, ev, trace, clock, console, can_bus, rig, record,
                           unit_label, request):
    """Power the unit once: the LED through no supply, booting and ready; the pilot at +12 V
    (A1); the firmware release; one serial number on console, OCPP and CAN. A unit whose
    console reports another serial than its label (``--unit-label``) is not this unit: it is
    refused (the rest of the plan is not run), never failed."""
    charger = Charger(rig_test, trace, clock)
    ev.make_safe()
    led_shows("no_supply", ev, clock, record)
    charger.power_on()
    led_shows("booting", ev, clock, record)
    if not charger.wait_ready():
        raise PreconditionError("the unit did not become ready (pilot A1) after power-on")
    charger_identity(request.config)
    serial = console.serial()
    if unit_label is not None and serial != unit_label:
        refuse(request, f"the label says {unit_label}, the charger says {serial}")
    led_shows("ready", ev, clock, record)
    pilot = ev.measure_pilot()
    record("CP-01", pilot.high_v, "V", uncertainty=rig.uncertainty("ev", "voltage",
                                                                    pilot.high_v),
           data={"state": pilot.state})
    record("ID-01", console.firmware(), name="firmware")
    pattern = re.compile(str(param("PR-08", "pattern")))
    boot = csms.wait_for("BootNotification", timeout=BOOT_NOTIFICATION_S, poll=0.1)
    if boot is None and csms.wait_connected(BOOT_NOTIFICATION_S):
        # The network runs in wall time, the emulated bench's clock does not: after a 5 s
        # factory boot the unit's websocket may still be reconnecting when the rig-time wait is
        # over (2 of 183 good units in bench/eol_line.py). Once it is connected, its
        # BootNotification is a frame on its way: wait for it in wall time too.
        boot = csms.wait_arrived("BootNotification", timeout=BOOT_NOTIFICATION_S)
    if boot is None:
        raise PreconditionError("no OCPP BootNotification from the unit after it booted")
    seen = {"console": console.serial(),
            "ocpp": str(boot.payload.get("chargePointSerialNumber")),
            "can": can_bus.request_identity().serial}
    bad = sorted(k for k, v in seen.items() if not pattern.fullmatch(v))
    record("PR-08", not bad, name="format", data={**seen, "not_matching": bad})
    record("PR-08", len(set(seen.values())) == 1, name="identical", data=seen)


# ---- 3. one plug-in cycle, two charges -------------------------------------------------------
def selftests(console: Any) -> tuple[int, str]:
    report = console.rcd()
    return int(report["selftests"]), str(report.get("last"))


def close_after_c(ev: Any, trace: Any) -> tuple[float, Any]:
    t_c = ev.set_state("C")
    return t_c, trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01"))


@pytest.mark.requirement("CP-02", "CP-03", "CP-04", "TM-01", "MT-01", "MT-02", "TM-02",
                         "RC-06", "RC-05", "PR-01")
def test_one_plug_in_cycle(charger, ev, trace, clock, console, power_analyser, rcd_ac, rig,
                           record):
    """Connect (pilot levels, frequency), charge (close time, meter, self-test, then the duty
    at two currents once the soft start is over), stop (open time), charge again (self-test),
    30 mA AC residual current (trip time, fault LED), unplug."""
    current_a = float(param("MT-01", "currents_a")[0])
    counts = [selftests(console)]
    ev.set_load(current_a, phases=3)
    ev.load_on()
    t_b = charger.connect()
    if trace.wait_pwm(after=t_b, timeout=PWM_TIMEOUT_S) is None:
        raise PreconditionError(f"no PWM within {PWM_TIMEOUT_S:g} s of state B")
    led_shows("connected", ev, clock, record)
    # -- B2: the pilot's levels and frequency (the duty waits for the charge: in B2 the unit
    # advertises its soft start's first current)
    pilot = ev.measure_pilot()
    record("CP-02", pilot.low_v, "V", uncertainty=rig.uncertainty("ev", "voltage", pilot.low_v))
    record("CP-03", pilot.frequency_hz, "Hz",
           uncertainty=rig.uncertainty("ev", "frequency", pilot.frequency_hz))
    # -- first charge: close time, meter, self-test
    t_c, closed = close_after_c(ev, trace)
    record("TM-01", delay(t_c, closed), "s", uncertainty=rig.interval_uncertainty("ev"))
    if closed is None:
        return  # TM-01 FAILs; nothing else of this cycle can be measured
    led_shows("charging", ev, clock, record)
    counts.append(selftests(console))
    power_analyser.configure()
    items: list[tuple[str, str | int]] = [("U", p) for p in PHASES] + [("I", p) for p in PHASES]
    reference = wait_settled(power_analyser, clock, items)
    meter = console.meter()
    for kind, rid, quantity, resolution in (
        ("i", "MT-01", "current", float(param("MT-01", "display_resolution_a"))),
        ("v", "MT-02", "voltage", float(param("MT-02", "display_resolution_v"))),
    ):
        refs = reference[3:] if kind == "i" else reference[:3]
        for phase, ref, shown in zip(PHASES, refs, meter[kind], strict=True):
            require_reference(ref, f"{kind.upper()}{phase}")
            error, u = reading_error(shown, ref, std_u(rig, "power_analyser", quantity, ref),
                                     resolution)
            record(rid, error, "%", uncertainty=u,
                   data={"phase": phase, "analyser": ref, "meter": shown})
    # -- the soft start over: the duty at the cable's current and at one below it
    trace.wait_quiet("PWM", after=closed.t, quiet=QUIET_S, timeout=RAMP_TIMEOUT_S)
    try:
        for amps in sorted((float(a) for a in param("CP-04", "currents_a")), reverse=True):
            if amps < CABLE_A:  # the cable's current needs no limit; a lower one a new duty
                t_set = ev.time()
                console.set_limit(amps)
                if trace.wait_for("PWM", after=t_set, timeout=DUTY_UPDATE_TIMEOUT_S,
                                  where=pwm_on) is None:
                    raise PreconditionError(f"no new duty within {DUTY_UPDATE_TIMEOUT_S:g} s "
                                            f"of a {amps:g} A limit")
            duty = ev.measure_pilot().duty_pct
            record("CP-04", duty - duty_for_current(amps), "%",
                   uncertainty=rig.uncertainty("ev", "duty", duty),
                   data={"current_a": amps, "duty_pct": duty})
    finally:
        console.set_limit(None)
    # -- the vehicle stops: open time
    t_stop = ev.set_state("B")
    opened = trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=budget("TM-02"))
    record("TM-02", delay(t_stop, opened), "s", uncertainty=rig.interval_uncertainty("ev"))
    if opened is None:
        return
    led_shows("finished", ev, clock, record)
    # -- second charge: self-test again, then the AC residual-current trip at 30 mA
    _, closed = close_after_c(ev, trace)
    if closed is None:
        raise PreconditionError("the second charge of the cycle did not start (no close)")
    counts.append(selftests(console))
    each = all(counts[i][0] == counts[0][0] + i and counts[i][1] == "pass"
               for i in range(1, len(counts)))
    record("RC-06", each, name="selftest_each_cycle", data={"selftests": counts})
    try:
        for name, current_ma in param("RC-05", "trip_points_ma").items():
            on = inject(rcd_ac, float(current_ma) / 1000.0, ev, trace)
            tripped = wait_trip(trace, on.t, budget("RC-05", name), TRIP_POLL_S)
            record("RC-05", delay(on.t, tripped), "s", name=name,
                   uncertainty=rig.interval_uncertainty("ev"),
                   data=step_data("ac", float(current_ma), on, tripped))
            if tripped is not None:
                led_shows("fault", ev, clock, record)
    finally:
        rcd_ac.stop()
        ev.set_state("A")


# ---- 4. smooth DC: detection at or below 6 mA -----------------------------------------------
@pytest.mark.requirement("RC-01")
def test_dc_detection_at_6ma(charging, rcd_dc, ev, trace, rig, record):
    """A smooth DC step of 6 mA while charging: the unit trips (within RC-01's limit)."""
    current_ma = float(param("RC-01", "current_ma"))
    try:
        on = inject(rcd_dc, current_ma / 1000.0, ev, trace)
        tripped = wait_trip(trace, on.t, budget("RC-01"), TRIP_POLL_S * 2)
        record("RC-01", delay(on.t, tripped), "s", uncertainty=rig.interval_uncertainty("ev"),
               data=step_data("dc", current_ma, on, tripped))
    finally:
        rcd_dc.stop()
        ev.set_state("A")

