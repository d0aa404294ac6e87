"""eMeter accuracy (product +/-1 %, IEC 62053-21 class 1 test points) against the power analyser.

Every MT verdict is guarded acceptance (ILAC-G8): PASS if |E| <= 1 % - U, FAIL if |E| > 1 % + U,
INCONCLUSIVE in between. U (k = 2) combines, as standard uncertainties in quadrature
(``rig.uncertainty.combine``), the analyser's accuracy from the rig file (each term a rectangular
bound) and the meter's own resolution (display digits or register counts, r/sqrt(12) per
reading), relative to the reference.

Energy (MT-03) is measured the way meter labs do (IEC 62053-21 through the meter's test
output): a counter counts the test output's pulses over a timed gate while the analyser
integrates over a timer of the same length. One pulse is 0.1 Wh at 10 000 imp/kWh where the
register counts whole Wh, so the pulse method reaches the same share of quantisation in a tenth
of the energy: seconds to minutes per point instead of a quarter of an hour. The register is
still checked, once, in the one long integration the OCPP transaction (MT-04) needs anyway.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from rig.uncertainty import COVERAGE_K, combine, standard_uncertainty
from testplans.iec61851.plan import CATALOGUE, points, soft_start_over

#: Analyser readings this far apart (s) that differ by less than SETTLE_REL on every item mean
#: the load has settled (the EV load follows its set-point with a lag; soft start ramps first).
SETTLE_INTERVAL_S = 1.0
SETTLE_REL = 1e-4
#: A load that has not settled after this long is a rig problem, not a meter error.
SETTLE_TIMEOUT_S = 120.0
#: Integrate a little longer than the resolution (register counts, test-output pulses)
#: strictly needs: the power measured before integrating may drift, and the share must still be
#: under the limit at the end.
DURATION_MARGIN = 1.1
#: How long after its time a gate may take to report its end (counter and analyser poll), s.
GATE_TIMEOUT_S = 5.0
GATE_POLL_S = 0.1
PHASES = (1, 2, 3)


# ---- helpers shared with test_supply.py ----------------------------------------------------------
def std_u(rig: Any, role: str, quantity: str, value: float, power_factor: float = 1.0) -> float:
    """Standard uncertainty (k = 1) of one instrument reading, from the rig file's accuracy."""
    return rig.uncertainty(role, quantity, value, power_factor) / COVERAGE_K


def resolution_u(resolution: float) -> float:
    """Standard uncertainty of one reading shown in whole steps of ``resolution``."""
    return standard_uncertainty({"resolution": resolution}, 0.0)


def reading_error(
    reading: float, reference: float, u_reference: float, resolution: float
) -> tuple[float, float]:
    """Error of a meter reading in % of the reference and its expanded U in %: the reference's
    standard uncertainty and the meter's display resolution, combined in quadrature, k = 2."""
    error = (reading - reference) / reference * 100.0
    return error, combine(u_reference, resolution_u(resolution)) / reference * 100.0


def require_reference(value: float, what: str) -> float:
    """A reference reading that is missing, over range or zero cannot judge the meter: the
    test is an ERROR (precondition), not a FAIL of the charger."""
    if not math.isfinite(value) or value <= 0.0:
        pytest.fail(f"precondition: the analyser reads {value!r} for {what}")
    return value


def wait_settled(
    power_analyser: Any,
    clock: Any,
    items: list[tuple[str, str | int]],
    timeout: float = SETTLE_TIMEOUT_S,
) -> list[float]:
    """Poll the analyser every SETTLE_INTERVAL_S until two successive readings of every item
    agree within SETTLE_REL (the load has settled); return the last reading."""
    last = power_analyser.read(items)
    waited = 0.0
    while waited < timeout:
        clock.sleep(SETTLE_INTERVAL_S)
        waited += SETTLE_INTERVAL_S
        now = power_analyser.read(items)
        if all(
            math.isfinite(a) and abs(a - b) <= SETTLE_REL * max(abs(b), 1.0)
            for a, b in zip(now, last, strict=True)
        ):
            return now
        last = now
    pytest.fail(f"precondition: the analyser readings {items} did not settle in {timeout:g} s")


def settle_charge(start: Any, trace: Any, power_analyser: Any, clock: Any) -> list[float]:
    """After the contactor closed: wait until the soft start is over (``soft_start_over``:
    the ramp SS-02 allows has reached its target) and the analyser's U, I of every element
    have settled; returns U1..3, I1..3."""
    soft_start_over(trace, start.t_close)
    items: list[tuple[str, str | int]] = [("U", p) for p in PHASES] + [("I", p) for p in PHASES]
    return wait_settled(power_analyser, clock, items)


def restore_voltage(ac_source: Any, nominal_v: float) -> None:
    """Every phase of the supply back to nominal (the next test expects it)."""
    ac_source.set_voltage(nominal_v)


# ---- MT-01 ------------------------------------------------------------------------------------
@pytest.mark.requirement("MT-01")
@pytest.mark.parametrize("current_a", points("MT-01", "currents_a"))
def test_current_reading(current_a, charger, power_analyser, meter, trace, clock, rig, record):
    """Meter current (read the way the product file says: console ``meter``, or OCPP
    MeterValues by TriggerMessage) vs the analyser's current, per phase, PF 1.

    U = combine(analyser current accuracy, meter display resolution): the analyser's reading
    and range terms (rig file) each a rectangular bound a/sqrt(3), the display resolution
    r/sqrt(12), added in quadrature and expanded with k = 2, in % of the reference."""
    resolution = float(CATALOGUE.params("MT-01")["display_resolution_a"])
    power_analyser.configure()
    start = charger.start_charging(current_a=current_a, phases=3, power_factor=1.0)
    settle_charge(start, trace, power_analyser, clock)
    reference = power_analyser.read([("I", p) for p in PHASES])
    reading = meter.read("i")
    resolution = max(resolution, reading["resolution"].get("i", 0.0))  # as the charger shows it
    for phase, ref, shown in zip(PHASES, reference, reading["i"], strict=True):
        require_reference(ref, f"I{phase}")
        u_ref = std_u(rig, "power_analyser", "current", ref)
        error, u = reading_error(shown, ref, u_ref, resolution)
        record("MT-01", error, "%", uncertainty=u,
               data={"phase": phase, "current_a": current_a, "analyser_a": ref,
                     "meter_a": shown, "u_analyser_a": COVERAGE_K * u_ref,
                     "display_resolution_a": resolution})


# ---- MT-02 ------------------------------------------------------------------------------------
@pytest.mark.requirement("MT-02")
@pytest.mark.parametrize("voltage_v", points("MT-02", "voltages_v"))
def test_voltage_reading(
    voltage_v, charger, ac_source, power_analyser, meter, trace, clock, rig, record
):
    """Meter voltage (console or OCPP, as for MT-01) vs the analyser's voltage per phase. The
    analyser sits at the socket, so it sees the supply only while the contactor is closed:
    measured while charging, at the catalogue's (low) current so the drop between the meter's
    terminals and the socket is small.

    U = combine(analyser voltage accuracy: reading + range terms, meter display resolution)."""
    params = CATALOGUE.params("MT-02")
    resolution = float(params["display_resolution_v"])
    power_analyser.configure()
    try:
        ac_source.set_voltage(voltage_v)
        start = charger.start_charging(current_a=float(params["current_a"]))
        settle_charge(start, trace, power_analyser, clock)
        reference = power_analyser.read([("U", p) for p in PHASES])
        reading = meter.read("v")
        resolution = max(resolution, reading["resolution"].get("v", 0.0))
        for phase, ref, shown in zip(PHASES, reference, reading["v"], strict=True):
            require_reference(ref, f"U{phase}")
            u_ref = std_u(rig, "power_analyser", "voltage", ref)
            error, u = reading_error(shown, ref, u_ref, resolution)
            record("MT-02", error, "%", uncertainty=u,
                   data={"phase": phase, "voltage_v": voltage_v, "analyser_v": ref,
                         "meter_v": shown, "u_analyser_v": COVERAGE_K * u_ref,
                         "display_resolution_v": resolution})
    finally:
        restore_voltage(ac_source, float(params["nominal_v"]))


# ---- MT-03: the pulse method ----------------------------------------------------------------
def gate_time_s(power_w: float, energy_wh: float) -> int:
    """Whole seconds (the analyser's integration timer counts whole seconds) that pass
    ``energy_wh`` at ``power_w``, with DURATION_MARGIN."""
    return math.ceil(energy_wh / power_w * 3600.0 * DURATION_MARGIN)


def open_gates(pulse_counter: Any, power_analyser: Any, ev: Any, gate_s: int) -> float:
    """Start the analyser's timed integration and open the counter's gate of the same length;
    returns how far apart the two starts may be (s, the EV emulator's clock on either side)."""
    t_before = ev.time()
    power_analyser.start_integration(timer_s=gate_s)
    pulse_counter.start(float(gate_s))
    return ev.time() - t_before


def gates_closed(pulse_counter: Any, power_analyser: Any) -> bool:
    """Have both gates ended by their own time bases (the counter's, the analyser's timer)?"""
    return pulse_counter.completed() and power_analyser.integration_state() == "TIMEUP"


def _energy_points() -> list[Any]:
    return [
        pytest.param(float(a), float(pf), id=f"{a:g}A-PF{pf:g}")
        for a, pf in CATALOGUE.params("MT-03")["points"]
    ]


@pytest.mark.requirement("MT-03")
@pytest.mark.parametrize(("current_a", "power_factor"), _energy_points())
def test_energy_by_test_output(
    current_a, power_factor, charger, ev, power_analyser, pulse_counter, meter_constant, trace,
    clock, rig, record,
):
    """Active energy by the meter's test output (the pulse method, IEC 62053-21): the pulses
    the counter counts over a timed gate, at the product file's constant (imp/kWh), vs the
    analyser's integrated active energy (SIGMA) over a timed integration of the same length,
    3 phases. The gate is long enough for ``min_pulses`` pulses at the measured power.

    U = combine(analyser energy accuracy at the measured power factor; pulse quantisation, +-1
    pulse over the count; the two gates' lengths (counter time base, analyser timer); the start
    skew of the two gates times the power's change over the gate: equal-length windows that are
    offset see the same energy while the power holds; each term a rectangular bound)."""
    params = CATALOGUE.params("MT-03")
    wh_per_pulse = 1000.0 / meter_constant
    power_analyser.configure()
    start = charger.start_charging(current_a=current_a, phases=3, power_factor=power_factor)
    settle_charge(start, trace, power_analyser, clock)
    power_w, lam = power_analyser.read([("P", "SIGMA"), ("LAMBDA", "SIGMA")])
    power_w = require_reference(power_w, "P SIGMA")
    lam = require_reference(lam, "LAMBDA SIGMA")
    gate_s = gate_time_s(power_w, float(params["min_pulses"]) * wh_per_pulse)
    skew_s = open_gates(pulse_counter, power_analyser, ev, gate_s)
    clock.sleep(gate_s)  # the gate itself: the physics, not a wait for an event
    if not clock.wait_until(lambda: gates_closed(pulse_counter, power_analyser), GATE_TIMEOUT_S,
                            poll=GATE_POLL_S):
        pytest.fail(f"precondition: the counter's gate or the analyser's timer ({gate_s} s) "
                    f"had not ended {GATE_TIMEOUT_S:g} s after its time")
    pulses = pulse_counter.count()
    reference = require_reference(power_analyser.energy_wh("SIGMA"), "WH SIGMA")
    power_end = require_reference(power_analyser.power("SIGMA"), "P SIGMA after the gate")
    measured = pulses * wh_per_pulse
    u_gate = reference * math.hypot(
        std_u(rig, "power_analyser", "integration_time", gate_s) / gate_s,
        std_u(rig, "pulse_counter", "gate_time", gate_s) / gate_s)
    u = combine(
        std_u(rig, "power_analyser", "energy", reference, lam),
        wh_per_pulse / math.sqrt(3.0),  # +-1 pulse
        u_gate,
        abs(power_end - power_w) * skew_s / 3600.0 / math.sqrt(3.0),
    )
    record("MT-03", (measured - reference) / reference * 100.0, "%",
           uncertainty=u / reference * 100.0,
           data={"quantity": "pulses", "current_a": current_a, "power_factor": power_factor,
                 "measured_power_factor": lam, "power_w": power_w, "power_end_w": power_end,
                 "gate_s": gate_s, "integration_time_s": power_analyser.integration_time_s(),
                 "pulses": pulses, "imp_per_kwh": meter_constant, "pulse_wh": measured,
                 "analyser_wh": reference, "quantisation_share": wh_per_pulse / reference,
                 "skew_s": skew_s})


# ---- MT-04, and MT-03's register check: one integration over one transaction ---------------
def wait_message(csms: Any, clock: Any, action: str, since: int, timeout: float) -> Any:
    """The charger's first ``action`` CALL since ``since``, polled in rig time: frames cross
    the websocket in wall time while the bench clock stands still between polls."""
    return clock.wait_until(lambda: csms.find(action, since=since), timeout, poll=0.05)


def optional_meter(request: pytest.FixtureRequest) -> Any:
    """The charger's meter (the ``meter`` fixture: the product file's way), or None where the
    rig cannot read it: then only the register check is left out, not MT-04."""
    try:
        return request.getfixturevalue("meter")
    except pytest.skip.Exception:
        return None


def register_wh(meter: Any) -> tuple[float, float] | None:
    """The energy register and its resolution as the charger states it (0: not stated), or
    None where the charger's reading has no register."""
    if meter is None:
        return None
    try:
        reading = meter.read("e_wh")
    except pytest.skip.Exception:
        return None
    return float(reading["e_wh"]), float(reading["resolution"].get("e_wh", 0.0))


@pytest.mark.requirement("MT-04", "MT-03")
def test_transaction_energy_and_register(
    charger, csms, ev, power_analyser, trace, clock, rig, record, request
):
    """One charge, integrated whole by the analyser (SIGMA): it starts before the contactor
    closes and stops after it opened, so the analyser sees exactly the energy of the session
    (it sits at the socket), and so do the charger's own counts read outside it:

    * MT-04: the OCPP transaction's energy (StopTransaction meterStop - StartTransaction
      meterStart) vs the analyser;
    * MT-03, the register check: the energy register (the ``meter`` fixture's ``e_wh``: the
      console, or OCPP MeterValues; read before the close and after the open) vs the analyser.
      The test output has shown the meter's accuracy (:func:`test_energy_by_test_output`);
      this shows the register counts it, at its resolution. Left out where the rig cannot read
      the register.

    The charge lasts long enough that one count of either (1 Wh) is under
    ``max_resolution_share`` of the energy, from the measured power. No skew term: no energy
    flows before the close or after the open.

    U = combine(analyser energy accuracy, the count's resolution at the start and at the
    end)."""
    params = CATALOGUE.params("MT-04")
    resolution = float(params["ocpp_resolution_wh"])
    register = CATALOGUE.params("MT-03")
    register_resolution = float(register["register_resolution_wh"])
    energy_wh = max(resolution / float(params["max_resolution_share"]),
                    register_resolution / float(register["max_resolution_share"]))
    wait_s = float(params["message_timeout_s"])
    meter = optional_meter(request)
    power_analyser.configure()
    mark = csms.mark()
    power_analyser.start_integration()
    e_start = register_wh(meter)
    start = charger.start_charging(current_a=float(params["current_a"]), phases=3)
    if wait_message(csms, clock, "StartTransaction", mark, wait_s) is None:
        pytest.fail(f"precondition: no StartTransaction within {wait_s:g} s of the close")
    settle_charge(start, trace, power_analyser, clock)
    power_w = require_reference(power_analyser.power("SIGMA"), "P SIGMA")
    duration = gate_time_s(power_w, energy_wh)
    clock.sleep(duration)  # the charge itself: the physics, not a wait for an event
    t_a = charger.unplug()
    opened = trace.wait_for("CONTACTOR", 0, after=t_a, timeout=wait_s)
    if opened is None:
        pytest.fail("precondition: the contactor did not open after the vehicle left")
    power_analyser.stop_integration()
    e_end = register_wh(meter)
    stop = wait_message(csms, clock, "StopTransaction", mark, wait_s)
    if stop is None:
        pytest.fail(f"precondition: no StopTransaction within {wait_s:g} s of the unplug")
    tx_id = stop.payload.get("transactionId")
    tx = next((t for t in csms.transactions() if t.transaction_id == tx_id), None)
    if tx is None or tx.meter_stop is None:
        pytest.fail(f"precondition: StopTransaction for unknown transaction {tx_id!r}")
    reference = require_reference(power_analyser.energy_wh("SIGMA"), "WH SIGMA")
    u_reference = std_u(rig, "power_analyser", "energy", reference)
    common = {"current_a": float(params["current_a"]), "power_w": power_w,
              "charge_s": opened.t - start.t_close, "planned_s": duration,
              "integration_time_s": power_analyser.integration_time_s(),
              "analyser_wh": reference}
    measured = float(tx.meter_stop - tx.meter_start)
    u = combine(u_reference, resolution_u(resolution), resolution_u(resolution))
    record("MT-04", (measured - reference) / reference * 100.0, "%",
           uncertainty=u / reference * 100.0,
           data={**common, "transaction_id": tx_id, "meter_start_wh": tx.meter_start,
                 "meter_stop_wh": tx.meter_stop, "reason": tx.reason, "ocpp_wh": measured,
                 "resolution_share": resolution / reference})
    if e_start is None or e_end is None:
        return
    counted = e_end[0] - e_start[0]
    register_resolution = max(register_resolution, e_start[1], e_end[1])  # as it shows it
    u = combine(u_reference, resolution_u(register_resolution),
                resolution_u(register_resolution))
    record("MT-03", (counted - reference) / reference * 100.0, "%",
           uncertainty=u / reference * 100.0,
           data={**common, "quantity": "register", "register_start_wh": e_start[0],
                 "register_end_wh": e_end[0], "register_wh": counted,
                 "register_resolution_wh": register_resolution,
                 "resolution_share": register_resolution / reference})
