"""OCPP 1.6J (PR-07): every frame the charger sends is OCPP-J and valid against the 1.6J
schemas (the rig's central system checks each one as it arrives), and the charger answers and
acts as each exchange requires. SetChargingProfile is exercised by TM-04. UpdateFirmware is not
part of this plan: it would change the firmware under test half-way through a certification.
"""

from __future__ import annotations

from typing import Any

import pytest

from testplans.iec61851.plan import CATALOGUE, budget


def timeout_s() -> float:
    return float(CATALOGUE.params("PR-07")["message_timeout_s"])


def connected(csms: Any) -> None:
    """The charger must be talking to the central system before an exchange is tested."""
    if not csms.wait_connected(5.0):
        pytest.fail("precondition: the charger is not connected to the central system")


def record_valid(csms: Any, mark: int, record: Any, **data: Any) -> None:
    """``valid``: no malformed or schema-violating frame from the charger since ``mark``."""
    frames = csms.messages(direction="in", since=mark)
    bad = [(m, error) for m, error in csms.violations if m.index >= mark]
    record("PR-07", not bad, name="valid",
           note="; ".join(f"{m.raw[:60]!r}: {error}" for m, error in bad[:5]),
           data={"frames": len(frames), "actions": sorted({m.action or "?" for m in frames}),
                 "violations": [error for _, error in bad], **data})


def statuses(csms: Any, since: int) -> list[str]:
    return [str(m.payload.get("status")) for m in csms.messages("StatusNotification", "in",
                                                                 since)]


@pytest.mark.requirement("PR-07")
def test_boot_notification(charger, csms, console, clock, record):
    """TriggerMessage BootNotification: the charger boots the OCPP session again with its
    serial number and firmware version, as its console reports them."""
    connected(csms)
    mark = csms.mark()
    triggered = csms.trigger("BootNotification")
    boot = csms.wait_for("BootNotification", since=mark, timeout=10.0, poll=0.05)
    record_valid(csms, mark, record, exchange="boot notification")
    payload = boot.payload if boot is not None else {}
    flow = {"trigger": triggered, "serial": payload.get("chargePointSerialNumber"),
            "firmware": payload.get("firmwareVersion"), "console_serial": console.serial(),
            "console_firmware": console.firmware()}
    ok = (triggered == "Accepted" and boot is not None
          and flow["serial"] == flow["console_serial"]
          and flow["firmware"] == flow["console_firmware"])
    record("PR-07", ok, name="flow", data={"exchange": "boot notification", **flow})


@pytest.mark.requirement("PR-07")
def test_messages_of_a_charge_session_are_valid(charger, csms, clock, record):
    """From plug-in to unplug (StatusNotification, StartTransaction, MeterValues,
    StopTransaction, ...) every frame the charger sends is OCPP-J and valid against the OCPP
    1.6J schemas; the central system checks each one as it arrives."""
    connected(csms)
    mark = csms.mark()
    charger.start_charging()
    seen = {}
    for action in ("StartTransaction", "MeterValues"):
        seen[action] = csms.wait_for(action, since=mark, timeout=timeout_s()) is not None
    charger.unplug()
    seen["StopTransaction"] = csms.wait_for("StopTransaction", since=mark,
                                            timeout=timeout_s()) is not None
    record_valid(csms, mark, record, exchange="charge session")
    record("PR-07", all(seen.values()), name="flow",
           data={"exchange": "charge session", "seen": seen, "statuses": statuses(csms, mark)})


@pytest.mark.requirement("PR-07")
def test_authorize(charger, csms, console, clock, record):
    """A tag the charger does not know (presented on its service console): it asks the
    central system (Authorize), and the session it then charges carries that idTag in
    StartTransaction."""
    connected(csms)
    tag = str(CATALOGUE.params("PR-07")["authorize_id_tag"])
    mark = csms.mark()
    console.present_tag(tag)
    asked = csms.wait_for("Authorize", since=mark, timeout=10.0, poll=0.05,
                          where=lambda m: m.payload.get("idTag") == tag)
    begun = stopped = None
    if asked is not None:
        charger.start_charging()
        begun = csms.wait_for("StartTransaction", since=mark, timeout=timeout_s())
        charger.unplug()
        stopped = csms.wait_for("StopTransaction", since=mark, timeout=timeout_s())
    record_valid(csms, mark, record, exchange="authorize")
    flow = {"authorize_id_tag": None if asked is None else asked.payload.get("idTag"),
            "start_id_tag": None if begun is None else begun.payload.get("idTag"),
            "stop_id_tag": None if stopped is None else stopped.payload.get("idTag")}
    ok = asked is not None and flow["start_id_tag"] == tag
    record("PR-07", ok, name="flow", data={"exchange": "authorize", **flow})


@pytest.mark.requirement("PR-07")
def test_remote_start_and_stop(charger, csms, ev, trace, clock, record):
    """RemoteStartTransaction authorises the next session: the charger's StartTransaction
    carries the central system's idTag; RemoteStopTransaction ends it (reason Remote) and the
    contactor opens."""
    connected(csms)
    tag = str(CATALOGUE.params("PR-07")["remote_id_tag"])
    mark = csms.mark()
    started = csms.remote_start(tag)
    start = charger.start_charging()
    begun = csms.wait_for("StartTransaction", since=mark, timeout=timeout_s())

    def numbered() -> Any:  # the central system's answer follows the CALL on the wire
        return next((t for t in reversed(csms.transactions())
                     if t.id_tag == tag and t.meter_stop is None), None)

    transaction = clock.wait_until(numbered, 5.0, poll=0.05) if begun is not None else None
    stopped = None
    opened = None
    stop_status = None
    if begun is not None and transaction is not None:
        t_stop = ev.time()
        stop_status = csms.remote_stop(transaction.transaction_id)
        stopped = csms.wait_for("StopTransaction", since=mark, timeout=timeout_s())
        opened = trace.wait_for("CONTACTOR", 0, after=t_stop, timeout=budget("TM-05"))
    record_valid(csms, mark, record, exchange="remote start/stop")
    flow = {
        "remote_start": started,
        "start_id_tag": None if begun is None else begun.payload.get("idTag"),
        "remote_stop": stop_status,
        "stop_reason": None if stopped is None else stopped.payload.get("reason"),
        "contactor_opened_after_s": None if opened is None else opened.t - start.t_close,
    }
    ok = (started == "Accepted" and flow["start_id_tag"] == tag and stop_status == "Accepted"
          and flow["stop_reason"] == "Remote" and opened is not None)
    record("PR-07", ok, name="flow", data={"exchange": "remote start/stop", **flow})


def reported(csms: Any, status: str, since: int) -> Any:
    """The charger's StatusNotification of ``status`` since ``since`` (None if none came)."""
    return csms.wait_for("StatusNotification", since=since, timeout=timeout_s(),
                         where=lambda m: m.payload.get("status") == status)


def pwm_for_a_vehicle(charger: Any, trace: Any) -> Any:
    """Plug a vehicle in, watch for its PWM (TM-06's budget), unplug: the PWM event or None."""
    t_b = charger.connect()
    pwm = trace.wait_pwm(after=t_b, timeout=budget("TM-06"))
    charger.unplug()
    return pwm


@pytest.mark.requirement("PR-07")
def test_change_availability(charger, csms, ev, trace, clock, record):
    """ChangeAvailability Inoperative: the connector reports Unavailable and a vehicle plugged
    in gets no PWM; Operative: Available again and a vehicle gets its PWM."""
    connected(csms)
    mark = csms.mark()
    try:
        inoperative = csms.change_availability(False)
        unavailable = reported(csms, "Unavailable", mark)
        pwm_while_off = pwm_for_a_vehicle(charger, trace)
    finally:
        back = csms.mark()
        operative = csms.change_availability(True)
    available = reported(csms, "Available", back)
    pwm_after = pwm_for_a_vehicle(charger, trace)
    record_valid(csms, mark, record, exchange="change availability")
    flow = {"inoperative": inoperative, "unavailable_reported": unavailable is not None,
            "pwm_while_inoperative": pwm_while_off is not None, "operative": operative,
            "available_reported": available is not None, "pwm_after": pwm_after is not None,
            "statuses": statuses(csms, mark)}
    ok = (inoperative == "Accepted" and unavailable is not None and pwm_while_off is None
          and operative == "Accepted" and available is not None and pwm_after is not None)
    record("PR-07", ok, name="flow", data={"exchange": "change availability", **flow})
