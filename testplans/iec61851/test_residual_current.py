"""Residual current (IEC 61851-1:2017 8.5, IEC 62955 RDC-DD, IEC 61008-1 / IEC 62423 type B).

Smooth DC comes from ``rcd_dc``, AC 50 Hz (r.m.s.) from ``rcd_ac``; both drive a test wire
through the charger's RCD sensor. A trip is the contactor opening (``CONTACTOR,0``: AC gone at
the inlet). Every time is a difference of two events of the EV emulator's trace: the source's
trigger edge (``RCI,ON`` / ``RCI,STEP``) and the contactor, on one time base.

Uncertainty of a trip current from a ramp (RC-04, RC-05 ramp): two independent terms in
quadrature, expanded with k = 2 (``rig.uncertainty.combine``):

* the source's current accuracy from the rig file at the level in effect, as a standard
  uncertainty (``rig.uncertainty(role, "current", I) / k``); a source whose wire makes
  ``turns`` passes through the sensor is specified for the wire's current, so it is asked
  for ``I / turns`` and its uncertainty scaled by ``turns``;
* the ramp step as a resolution term, ``step / sqrt(12)``: the value recorded is the level in
  effect when the contactor opened; the threshold lies somewhere within the last step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.charger import PreconditionError, delay, pwm_on
from rig.instruments.protocols import Event
from rig.measure import NOT_REACHED
from rig.uncertainty import COVERAGE_K, combine
from testplans.iec61851.plan import CATALOGUE, budget

#: The RCI edge a source starts with is in the trace at once; a real trigger line may be a
#: little late, so it gets this long (rig time) before the test gives up (ERROR).
EDGE_TIMEOUT_S = 1.0
#: Wall time granted, after the rig-time observation, to OCPP frames already on their way.
WIRE_S = 1.0


# ---- helpers ----------------------------------------------------------------------------------
def param(rid: str, name: str) -> Any:
    """One test point of the catalogue."""
    return CATALOGUE.params(rid)[name]


def poll_for(rid: str, name: str | None = None) -> float:
    """Polling period for a wait on a trip: fine against the limit (the verdict comes from
    trace times, the poll only decides how much bench time a wait overshoots)."""
    _, limit = CATALOGUE.limit(rid, name)
    high = limit.high if limit.high is not None else 1.0
    return min(0.05, max(0.005, high / 10.0))


def trip_budget() -> float:
    """How long to wait for a trip that another test only needs as a precondition: any DC
    residual current from 6 mA up must trip within RC-01's limit, so a slow charger still
    trips here (its trip times are judged by RC-01..03, not by RC-07/08)."""
    return budget("RC-01")


def source_u(rig: Any, source: Any, current_a: float) -> float:
    """Standard uncertainty (A) of the residual current the sensor sees from ``source``."""
    turns = int(getattr(source, "turns", 1))  # wire passes through the sensor (6221 option)
    role = "rcd_ac" if source.waveform == "ac" else "rcd_dc"
    return turns * rig.uncertainty(role, "current", current_a / turns) / COVERAGE_K


def inject(source: Any, current_a: float, ev: Any, trace: Any) -> Event:
    """Start the injection; return its ``RCI,ON`` edge (the start of every trip time)."""
    t0 = ev.time()
    source.apply(current_a)
    edge = trace.wait_for("RCI", "ON", after=t0, timeout=EDGE_TIMEOUT_S, poll=0.01)
    if edge is None:
        raise PreconditionError(
            f"no RCI,ON edge in the EV emulator's trace within {EDGE_TIMEOUT_S:g} s of starting "
            f"{current_a * 1000:g} mA ({source.waveform}): check the source's trigger line"
        )
    return edge


def stop(source: Any, ev: Any, trace: Any) -> Event:
    """Stop the injection; return its ``RCI,OFF`` edge."""
    t0 = ev.time()
    source.stop()
    edge = trace.wait_for("RCI", "OFF", after=t0, timeout=EDGE_TIMEOUT_S, poll=0.01)
    if edge is None:
        raise PreconditionError("no RCI,OFF edge in the trace after stopping the injection")
    return edge


def wait_trip(trace: Any, after: float, timeout: float, poll: float) -> Event | None:
    """The contactor opening at or after ``after`` (None: no trip within ``timeout``)."""
    return trace.wait_for("CONTACTOR", 0, after=after, timeout=timeout, poll=poll)


def trip_or_fail(source: Any, current_a: float, ev: Any, trace: Any) -> tuple[Event, Event]:
    """A trip some other property is tested after: no trip is a precondition (ERROR)."""
    on = inject(source, current_a, ev, trace)
    opened = wait_trip(trace, on.t, trip_budget(), poll=0.05)
    if opened is None:
        pytest.fail(f"precondition: no trip within {trip_budget():g} s of "
                    f"{current_a * 1000:g} mA {source.waveform}")
    return on, opened


def step_data(waveform: str, current_ma: float, on: Event, opened: Event | None) -> dict:
    """What a report needs to plot trip time against current."""
    return {"waveform": waveform, "current_ma": current_ma, "t_on": on.t,
            "t_open": None if opened is None else opened.t,
            "trip_time_s": None if opened is None else round(opened.t - on.t, 6)}


@dataclass
class Ramp:
    """A stepped ramp as the trace saw it: each level applied and its edge."""

    levels_ma: list[float]
    edges: list[Event]
    opened: Event | None
    trip_ma: float | None
    step_ma: float
    rate_ma_per_s: float

    def data(self, waveform: str) -> dict[str, Any]:
        """Plot-ready series (times since the first edge) and the ramp rate, nominal and as
        measured from the edges (a lab's command latency slows a ramp down)."""
        t0 = self.edges[0].t
        span = self.edges[-1].t - t0
        measured = (self.levels_ma[-1] - self.levels_ma[0]) / span if span > 0 else None
        return {
            "waveform": waveform,
            "t_s": [round(e.t - t0, 6) for e in self.edges],
            "i_ma": self.levels_ma,
            "t_open_s": None if self.opened is None else round(self.opened.t - t0, 6),
            "trip_ma": self.trip_ma,
            "step_ma": self.step_ma,
            "rate_ma_per_s": self.rate_ma_per_s,
            "rate_measured_ma_per_s": measured,
        }


def run_ramp(
    source: Any, start_ma: float, stop_ma: float, rate_ma_per_s: float, step_ma: float,
    ev: Any, trace: Any, clock: Any,
) -> Ramp:
    """Step the source from ``start_ma`` to ``stop_ma`` at the given rate until the contactor
    opens. The level in effect at the opening is read from the source's edges in the trace
    (the n-th edge is the n-th level applied), not from where the host loop happened to be."""
    dwell = step_ma / rate_ma_per_s
    count = round((stop_ma - start_ma) / step_ma) + 1
    t0 = ev.time()
    levels: list[float] = []
    opened = None
    for i in range(count):
        level = round(start_ma + i * step_ma, 9)
        source.apply(level / 1000.0)
        levels.append(level)
        clock.sleep(dwell)
        opened = trace.first("CONTACTOR", 0, after=t0)
        if opened is not None:
            break
    edges = [e for e in trace.events(t0, "RCI") if e.value in ("ON", "STEP")]
    if len(edges) != len(levels):
        raise PreconditionError(
            f"the source's trigger gave {len(edges)} RCI edges for {len(levels)} levels applied"
        )
    trip_ma = None
    if opened is not None:
        before = [i for i, e in enumerate(edges) if e.t <= opened.t]
        if not before:
            raise PreconditionError("the contactor opened before the injection started")
        trip_ma = levels[before[-1]]
    return Ramp(levels, edges, opened, trip_ma, step_ma, rate_ma_per_s)


def ramp_uncertainty_ma(rig: Any, source: Any, ramp: Ramp) -> float:
    """Expanded U (mA) of a ramp's trip current: source accuracy and the step (docstring of
    the module)."""
    level = ramp.trip_ma if ramp.trip_ma is not None else ramp.levels_ma[-1]
    u_source = source_u(rig, source, level / 1000.0) * 1000.0
    return combine(u_source, ramp.step_ma / math.sqrt(12.0))


def first_event(trace: Any, after: float, match: Callable[[Event], bool]) -> Event | None:
    """First trace event at or after ``after`` for which ``match`` holds (one query)."""
    return next((e for e in trace.events(after) if match(e)), None)


def restarted(event: Event) -> bool:
    """The charger offers charging again: the contactor closes or the PWM starts."""
    return (event.kind == "CONTACTOR" and event.value == "1") or (
        event.kind == "PWM" and pwm_on(event)
    )


# ---- RC-01 ... RC-03: smooth DC steps ---------------------------------------------------------
DC_STEPS = [pytest.param(rid, marks=pytest.mark.requirement(rid), id=rid)
            for rid in ("RC-01", "RC-02", "RC-03")]


@pytest.mark.parametrize("rid", DC_STEPS)
def test_dc_step_trip_time(rid, charging, dc_source, ev, trace, rig, record):
    """Smooth DC stepped from 0 to the test current while charging: the contactor opens within
    the limit (a fresh charge per step: each starts from an unlatched RCD)."""
    current_ma = float(param(rid, "current_ma"))
    on = inject(dc_source, current_ma / 1000.0, ev, trace)
    opened = wait_trip(trace, on.t, budget(rid), poll_for(rid))
    record(rid, delay(on.t, opened), "s", uncertainty=rig.interval_uncertainty("ev"),
           data=step_data("dc", current_ma, on, opened))


# ---- RC-04: smooth DC ramp -----------------------------------------------------------------
@pytest.mark.requirement("RC-04")
def test_dc_ramp_trip_current(charging, dc_source, ev, trace, clock, rig, record):
    """Smooth DC ramped in steps at the catalogue's rate (nominal and measured rate in the
    data): the trip current is the level in effect when the contactor opened (no trip up to
    the ramp's end: infinite, FAIL). U = 2 sqrt(u_source^2 + (step/sqrt(12))^2), u_source
    from the 2450's accuracy at that level (module docstring)."""
    p = CATALOGUE.params("RC-04")
    ramp = run_ramp(dc_source, float(p["start_ma"]), float(p["stop_ma"]),
                    float(p["rate_ma_per_s"]), float(p["step_ma"]), ev, trace, clock)
    value = ramp.trip_ma if ramp.trip_ma is not None else NOT_REACHED
    record("RC-04", value, "mA", uncertainty=ramp_uncertainty_ma(rig, dc_source, ramp),
           data=ramp.data("dc"))


# ---- RC-05: AC 50 Hz -----------------------------------------------------------------------
@pytest.mark.requirement("RC-05")
def test_ac_no_trip_at_half_rated_current(charging, ac_source_rc, ev, trace, record):
    """Half the rated residual current (15 mA r.m.s.) must not trip within the observation."""
    current_ma = float(param("RC-05", "no_trip_ma"))
    observe = float(param("RC-05", "no_trip_observe_s"))
    on = inject(ac_source_rc, current_ma / 1000.0, ev, trace)
    opened = wait_trip(trace, on.t, observe, poll=observe / 4.0)
    data = step_data("ac", current_ma, on, opened)
    data.update(observe_s=observe, frequency_hz=param("RC-05", "frequency_hz"))
    record("RC-05", opened is None, name="no_trip_15ma", data=data)


AC_STEPS = [pytest.param(name, float(ma), id=name)
            for name, ma in CATALOGUE.params("RC-05")["trip_points_ma"].items()]


@pytest.mark.requirement("RC-05")
@pytest.mark.parametrize(("name", "current_ma"), AC_STEPS)
def test_ac_step_trip_time(name, current_ma, charging, ac_source_rc, ev, trace, rig, record):
    """AC 50 Hz stepped from 0 to the test current while charging: trip time."""
    on = inject(ac_source_rc, current_ma / 1000.0, ev, trace)
    opened = wait_trip(trace, on.t, budget("RC-05", name), poll_for("RC-05", name))
    data = step_data("ac", current_ma, on, opened)
    data["frequency_hz"] = param("RC-05", "frequency_hz")
    record("RC-05", delay(on.t, opened), "s", name=name,
           uncertainty=rig.interval_uncertainty("ev"), data=data)


@pytest.mark.requirement("RC-05")
def test_ac_ramp_trip_current(charging, ac_source_rc, ev, trace, clock, rig, record):
    """AC 50 Hz ramped in steps: the trip current lies between half and the full rating.
    U = 2 sqrt(u_source^2 + (step/sqrt(12))^2), u_source from the AC source's accuracy for
    the wire current (level / turns), times the turns (module docstring)."""
    p = CATALOGUE.params("RC-05")
    ramp = run_ramp(ac_source_rc, float(p["ramp_start_ma"]), float(p["ramp_stop_ma"]),
                    float(p["ramp_rate_ma_per_s"]), float(p["ramp_step_ma"]), ev, trace, clock)
    value = ramp.trip_ma if ramp.trip_ma is not None else NOT_REACHED
    data = ramp.data("ac")
    data["frequency_hz"] = p["frequency_hz"]
    record("RC-05", value, "mA", name="ramp_trip_current",
           uncertainty=ramp_uncertainty_ma(rig, ac_source_rc, ramp), data=data)


# ---- RC-06: self-test ------------------------------------------------------------------------
@pytest.mark.requirement("RC-06")
def test_self_test_before_every_charge_cycle(charger, ev, trace, console, record):
    """The charger's own self-test record (console ``rcd``) counts one more passed self-test
    for each charge cycle (C -> B -> C starts a new cycle)."""
    cycles = int(param("RC-06", "cycles"))
    charger.plug_in()  # PWM on first: a power cycle (a latch of an earlier test) resets counts
    before = console.rcd()
    counts = [int(before["selftests"])]
    lasts = [before.get("last")]
    closes: list[float] = []
    for cycle in range(1, cycles + 1):
        if cycle > 1:
            t_b = ev.set_state("B")
            if trace.wait_for("CONTACTOR", 0, after=t_b, timeout=budget("TM-02")) is None:
                pytest.fail("precondition: the contactor did not open after C -> B")
        t_c = ev.set_state("C")
        closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01"))
        if closed is None:
            pytest.fail(f"precondition: charge cycle {cycle} did not start (no close)")
        closes.append(closed.t)
        report = console.rcd()
        counts.append(int(report["selftests"]))
        lasts.append(report.get("last"))
    each = all(counts[i] == counts[0] + i and lasts[i] == "pass" for i in range(1, cycles + 1))
    record("RC-06", each, name="selftest_each_cycle",
           data={"selftests": counts, "last": lasts, "t_close": closes})


@pytest.mark.requirement("RC-06")
@pytest.mark.lg_feature("bench-faults")
def test_failed_self_test_blocks_charging(charger, bench_control, ev, trace, console, record):
    """A broken RCD sensor fails the self-test: the vehicle asks for charge, the contactor
    must stay open over the observation time and the charger must report the failure."""
    observe = float(param("RC-06", "observe_s"))
    bench_control.write("BENCH:RCD:SENS BROKEN")
    try:
        bench_control.raise_errors("BENCH:RCD:SENS BROKEN")
        t_b = charger.connect()
        if trace.wait_pwm(after=t_b, timeout=budget("TM-06")) is None:
            pytest.fail("precondition: no PWM after state B")
        t_c = ev.set_state("C")
        closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=observe, poll=observe / 5.0)
        report = console.rcd()
        errors = console.errors()
    finally:
        bench_control.write("BENCH:RCD:SENS OK")
    record("RC-06", closed is None, name="blocked_on_failure",
           data={"observe_s": observe, "closed_after_s": delay(t_c, closed) if closed else None})
    record("RC-06", report.get("last") == "fail" and report.get("state") == "selftest_failed",
           name="fault_reported", data={"rcd": report, "errors": errors})


# ---- RC-07: latch until unplug ---------------------------------------------------------------
@pytest.mark.requirement("RC-07")
def test_trip_latches_until_unplug(charging, charger, dc_source, ev, trace, clock, record):
    """After a trip the fault is removed: the charger must stay off while the vehicle stays
    plugged (no PWM, no close); unplug and replug, and it charges again."""
    current_ma = float(param("RC-07", "current_ma"))
    observe = float(param("RC-07", "observe_s"))
    on, opened = trip_or_fail(dc_source, current_ma / 1000.0, ev, trace)
    off = stop(dc_source, ev, trace)
    again = clock.wait_until(lambda: first_event(trace, off.t, restarted), observe,
                             poll=observe / 5.0)
    record("RC-07", again is None, name="latched",
           data={"t_on": on.t, "t_open": opened.t, "t_off": off.t, "observe_s": observe,
                 "restart": None if again is None else [again.kind, again.value,
                                                        again.t - off.t]})
    t_a = charger.unplug()
    unplugged = trace.wait_for("CP", "A1", after=t_a, timeout=budget("TM-03"), poll=0.01)
    t_b = charger.connect()
    pwm = trace.wait_pwm(after=t_b, timeout=budget("TM-06"))
    closed = None
    if pwm is not None:
        t_c = ev.set_state("C")
        closed = trace.wait_for("CONTACTOR", 1, after=t_c, timeout=budget("TM-01"))
    record("RC-07", closed is not None, name="recovers_after_replug",
           data={"t_unplug": t_a, "charger_saw_a": unplugged is not None, "t_replug": t_b,
                 "t_pwm": None if pwm is None else pwm.t,
                 "t_close": None if closed is None else closed.t})


# ---- RC-08: the trip is reported -------------------------------------------------------------
@pytest.mark.requirement("RC-08")
@pytest.mark.lg_feature("led-sensor")
def test_trip_is_shown_on_the_led(charging, dc_source, ev, trace, clock, record):
    """A trip must be shown: the status LED continuous red (the EV emulator's colour sensor),
    read while the residual current still flows."""
    current_ma = float(param("RC-08", "current_ma"))
    observe = float(param("RC-08", "observe_s"))
    _, opened = trip_or_fail(dc_source, current_ma / 1000.0, ev, trace)
    want = CATALOGUE.limit("RC-08", "led")[1].equals
    clock.wait_until(lambda: "/".join(ev.led()) == want, observe, poll=0.05)
    colour, pattern = ev.led()
    leds = [[e.t - opened.t, e.value] for e in trace.events(opened.t, "LED")]
    record("RC-08", f"{colour}/{pattern}", name="led", data={"led_events": leds})


def status_of(message: Any) -> str:
    """``status/errorCode`` of a StatusNotification, the catalogue's form."""
    return f"{message.payload.get('status')}/{message.payload.get('errorCode')}"


@pytest.mark.requirement("RC-08")
def test_trip_is_reported_to_the_central_system(charging, csms, dc_source, ev, trace, record):
    """A trip must reach the backend: the charger's StatusNotification ``Faulted`` with the
    error ``GroundFailure``, as the rig's central system receives it. Frames cross in wall time
    while the bench clock stands still: the rig clock's polls give them time to arrive."""
    current_ma = float(param("RC-08", "current_ma"))
    observe = float(param("RC-08", "observe_s"))
    want = str(CATALOGUE.limit("RC-08", "ocpp_status")[1].equals)
    if not csms.wait_connected(5.0) or csms.last_status() is None:
        pytest.fail("precondition: the charger is not talking to the central system")

    def faulted(message: Any) -> bool:
        return status_of(message) == want

    mark = csms.mark()
    _, opened = trip_or_fail(dc_source, current_ma / 1000.0, ev, trace)
    found = csms.wait_for("StatusNotification", since=mark, where=faulted, timeout=observe,
                          poll=0.05)
    if found is None:  # a loaded host: a frame sent in time may still be on the wire
        found = csms.server.wait_for("StatusNotification", since=mark, where=faulted,
                                     timeout=WIRE_S, cp_id=csms.cp_id)
    seen = csms.messages("StatusNotification", "in", since=mark)
    value = status_of(found) if found else (status_of(seen[-1]) if seen else "none")
    record("RC-08", value, name="ocpp_status",
           data={"t_open": opened.t, "cp_id": csms.cp_id,
                 "notifications": [[status_of(m), m.payload.get("timestamp")] for m in seen]})
