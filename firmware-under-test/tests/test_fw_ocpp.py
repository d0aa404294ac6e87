"""OCPP 1.6J: boot, status, transactions, remote commands, profiles, update; and authorisation."""

from __future__ import annotations

import json

import pytest
from fwharness import Csms, Rig

A = pytest.approx


def online(overrides: dict | None = None, **kw: object) -> Rig:
    return Rig(overrides, connect=True, csms=Csms(**kw))  # type: ignore[arg-type]


def statuses(r: Rig) -> list[str]:
    return [p["status"] for _, p in r.calls("StatusNotification")]


def test_boot_notification_when_ready_then_status() -> None:
    r = online()
    boot = r.calls("BootNotification")
    assert len(boot) == 1 and boot[0][0] == A(150.0)
    assert boot[0][1] == {
        "chargePointVendor": "ZapCharger", "chargePointModel": "ZapCharger Pro",
        "chargePointSerialNumber": "ZCS000001", "chargeBoxSerialNumber": "ZCS000001",
        "firmwareVersion": "2.14.0",
    }
    status = r.calls("StatusNotification")[0][1]
    assert status == {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                      "timestamp": "2026-01-01T00:02:30.000Z"}
    assert r.ocpp[0][1][1] == "1"  # ids: a counter


def test_nothing_sent_before_link_then_queue_flushes() -> None:
    r = Rig(csms=Csms())
    assert r.ocpp == []
    r.fw.ocpp_connected(True)
    r.settle()
    assert [m[2] for _, m in r.ocpp if m[0] == 2] == ["BootNotification", "StatusNotification"]


def test_one_outstanding_call_and_resend_after_link_drop() -> None:
    r = Rig(connect=True, csms=Csms(auto=False))
    assert [m[2] for _, m in r.ocpp] == ["BootNotification"]
    r.advance(10.0)
    assert len(r.ocpp) == 1  # no answer: nothing else may be sent
    r.fw.ocpp_connected(False)
    r.fw.ocpp_connected(True)
    r.settle()
    assert len(r.ocpp) == 2 and r.ocpp[1][1] == r.ocpp[0][1]  # same CALL, same id
    uid = r.ocpp[1][1][1]
    r.fw.ocpp_receive(json.dumps([3, uid, {"status": "Accepted", "currentTime": "x",
                                           "interval": 60}]))
    r.settle()
    assert r.ocpp[-1][1][2] == "StatusNotification"


def test_boot_pending_is_retried_after_interval() -> None:
    r = online(boot_status="Pending", interval=20)
    r.advance(45.0)
    times = [t for t, _ in r.calls("BootNotification")]
    assert times == [A(150.0), A(170.0), A(190.0)]
    assert r.calls("StatusNotification") == []


def test_heartbeat_at_interval() -> None:
    r = online(interval=100)
    r.advance(250.0)
    assert [t for t, _ in r.calls("Heartbeat")] == [A(250.0), A(350.0)]


def test_transaction_lifecycle() -> None:
    r = online()
    r.hal.meter_e_wh = (1000.0, 0.0, 0.0)
    r.settle()
    _, t_c = r.charge()
    t_close = r.first("contactor", True, after=t_c)
    start = r.calls("StartTransaction")
    assert len(start) == 1 and start[0][0] == A(t_close)
    assert start[0][1]["idTag"] == "FREE" and start[0][1]["meterStart"] == 1000
    assert start[0][1]["connectorId"] == 1
    r.hal.meter_e_wh = (1500.0, 0.0, 0.0)
    r.hal.meter_i_a = (16.0, 0.0, 0.0)
    r.settle()
    r.advance(125.0)
    mv = r.calls("MeterValues")
    assert [t for t, _ in mv] == [A(t_close + 60), A(t_close + 120)]
    values = mv[0][1]["meterValue"][0]["sampledValue"]
    sampled = {(s["measurand"], s.get("phase")): s for s in values}
    assert mv[0][1]["transactionId"] == 42
    assert sampled[("Energy.Active.Import.Register", None)]["value"] == "1500"
    assert sampled[("Current.Import", "L1")]["value"] == "16.00"
    assert sampled[("Voltage", "L1-N")]["unit"] == "V"
    t_a = r.set_ev("A")
    r.advance(1.0)
    stop = r.calls("StopTransaction")
    assert len(stop) == 1 and stop[0][0] == A(t_a + 0.05)
    assert stop[0][1]["transactionId"] == 42 and stop[0][1]["reason"] == "EVDisconnected"
    assert stop[0][1]["meterStop"] == 1500
    assert statuses(r) == ["Available", "Preparing", "Charging", "Available"]


def test_suspended_states_and_energy_scale() -> None:
    r = online({"ocpp.energy_scale": 2.0})
    r.hal.meter_e_wh = (10.0, 0.0, 0.0)
    r.settle()
    r.charge()
    assert r.calls("StartTransaction")[0][1]["meterStart"] == 20
    r.set_ev("B")
    r.advance(1.0)
    r.console_cmd("limit 0")
    r.advance(1.0)
    assert statuses(r)[-2:] == ["SuspendedEV", "SuspendedEVSE"]


def test_rcd_trip_is_faulted_ground_failure() -> None:
    r = online()
    r.charge()
    r.set(dc_ma=60.0)
    r.advance(1.0)
    last = r.calls("StatusNotification")[-1][1]
    assert (last["status"], last["errorCode"]) == ("Faulted", "GroundFailure")


def test_unreported_rcd_trip_looks_like_suspended_evse() -> None:
    r = online({"rcd.report_trip": False})
    r.charge()
    r.set(dc_ma=60.0)
    r.advance(1.0)
    last = r.calls("StatusNotification")[-1][1]
    assert (last["status"], last["errorCode"]) == ("SuspendedEVSE", "NoError")


def test_other_faults_are_other_error_with_info() -> None:
    r = online()
    r.plug(pp_ohm=None)
    r.advance(1.0)
    last = r.calls("StatusNotification")[-1][1]
    assert (last["status"], last["errorCode"], last["info"]) == ("Faulted", "OtherError",
                                                                 "PpInvalid")


def test_remote_start_authorises_and_remote_stop_ends() -> None:
    r = online({"auth.required": True})
    r.plug()
    r.advance(5.0)
    assert r.hal.cp_mode == "static" and r.led == "yellow/flash"
    reply = r.send_ocpp([2, "rs1", "RemoteStartTransaction", {"idTag": "APPUSER"}])
    assert reply == [3, "rs1", {"status": "Accepted"}]
    t = r.t
    r.advance(1.0)
    assert r.first("pwm", A(10.0), after=t) == A(t + 0.2, abs=1e-9)
    r.set_ev("C")
    r.advance(2.0)
    assert r.calls("StartTransaction")[0][1]["idTag"] == "APPUSER"
    assert r.send_ocpp([2, "x", "RemoteStopTransaction", {"transactionId": 7}]) == [
        3, "x", {"status": "Rejected"}]
    t = r.t
    assert r.send_ocpp([2, "rs2", "RemoteStopTransaction", {"transactionId": 42}]) == [
        3, "rs2", {"status": "Accepted"}]
    r.advance(5.0)
    assert r.first("pwm", None, after=t) == A(t, abs=1e-9)
    assert r.first("contactor", False, after=t) == A(t + 3.0, abs=1e-9)  # EV stays in C
    stop = r.calls("StopTransaction")[0][1]
    assert stop["reason"] == "Remote"
    assert statuses(r)[-1] == "Finishing"
    r.set_ev("A")
    r.advance(1.0)
    assert statuses(r)[-1] == "Available"
    assert len(r.calls("StopTransaction")) == 1


def test_change_availability() -> None:
    r = online()
    assert r.send_ocpp([2, "c1", "ChangeAvailability",
                        {"connectorId": 1, "type": "Inoperative"}]) == [
        3, "c1", {"status": "Accepted"}]
    assert r.hal.cp_static_v == -12.0 and r.led == "yellow/flash"
    assert statuses(r)[-1] == "Unavailable" and r.status["state"] == "F"
    r.plug()
    r.advance(5.0)
    assert r.hal.cp_mode == "static"
    r.send_ocpp([2, "c2", "ChangeAvailability", {"connectorId": 0, "type": "Operative"}])
    t = r.t
    r.advance(1.0)
    assert r.first("pwm", A(10.0), after=t) == A(t + 0.2, abs=1e-9)


def test_change_availability_scheduled_during_transaction() -> None:
    r = online()
    r.charge()
    assert r.send_ocpp([2, "c1", "ChangeAvailability",
                        {"connectorId": 1, "type": "Inoperative"}])[2] == {"status": "Scheduled"}
    assert r.hal.contactor
    r.set_ev("A")
    r.advance(1.0)
    assert statuses(r)[-1] == "Unavailable" and r.hal.cp_static_v == -12.0


def profile(limit: float, purpose: str = "TxDefaultProfile", unit: str = "A") -> dict:
    return {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": unit,
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}}


def test_set_and_clear_charging_profile() -> None:
    r = online({"soft_start.enabled": False})
    r.charge()
    t = r.t
    assert r.send_ocpp([2, "p1", "SetChargingProfile", profile(10)])[2] == {"status": "Accepted"}
    r.advance(1.0)
    assert r.values("pwm", after=t) == [(A(t + 0.5, abs=1e-9), A(10 / 0.6))]
    t = r.t
    assert r.send_ocpp([2, "p2", "ClearChargingProfile", {}])[2] == {"status": "Accepted"}
    r.advance(1.0)
    assert r.values("pwm", after=t) == [(A(t + 0.5, abs=1e-9), A(32 / 0.6))]
    assert r.send_ocpp([2, "p3", "ClearChargingProfile", {"id": 9}])[2] == {"status": "Unknown"}


def test_charging_profile_rejections() -> None:
    r = online()
    assert r.send_ocpp([2, "a", "SetChargingProfile", profile(10, unit="W")])[2] == {
        "status": "Rejected"}
    assert r.send_ocpp([2, "b", "SetChargingProfile", profile(10, purpose="TxProfile")])[2] == {
        "status": "Rejected"}  # no transaction
    r.charge()
    assert r.send_ocpp([2, "c", "SetChargingProfile", profile(8, purpose="TxProfile")])[2] == {
        "status": "Accepted"}
    assert r.status["limits"]["ocpp"] == A(8.0)


def test_reset_reboots_and_stops_transaction() -> None:
    r = online()
    r.charge()
    t = r.t
    assert r.send_ocpp([2, "r1", "Reset", {"type": "Hard"}]) == [3, "r1", {"status": "Accepted"}]
    assert r.status["state"] == "BOOT" and not r.hal.contactor
    r.advance(151.0)
    boots = r.calls("BootNotification")
    assert boots[-1][0] == A(t + 150.0)
    stop = r.calls("StopTransaction")
    assert len(stop) == 1 and stop[0][1]["reason"] == "HardReset"
    assert stop[0][0] > boots[-1][0] - 1e-9  # the journal is sent after the new boot


def test_power_loss_stops_transaction_after_reboot() -> None:
    r = online()
    r.charge()
    t = r.set(supply_v=(0.0, 0.0, 0.0))
    r.advance(5.0)
    r.set(supply_v=(230.0, 230.0, 230.0))
    r.advance(151.0)
    stop = r.calls("StopTransaction")
    assert len(stop) == 1 and stop[0][1]["reason"] == "PowerLoss"
    minutes, seconds = divmod(t, 60)
    assert stop[0][1]["timestamp"] == f"2026-01-01T00:{int(minutes):02d}:{seconds:06.3f}Z"


def test_trigger_message() -> None:
    r = online()
    n = len(r.calls("StatusNotification"))
    for what in ("StatusNotification", "Heartbeat", "MeterValues", "BootNotification"):
        reply = r.send_ocpp([2, what, "TriggerMessage", {"requestedMessage": what}])
        assert reply == [3, what, {"status": "Accepted"}]
    assert len(r.calls("StatusNotification")) >= n + 1
    assert len(r.calls("Heartbeat")) == 1 and len(r.calls("MeterValues")) == 1
    assert len(r.calls("BootNotification")) == 2
    reply = r.send_ocpp([2, "d", "TriggerMessage",
                         {"requestedMessage": "DiagnosticsStatusNotification"}])
    assert reply == [3, "d", {"status": "NotImplemented"}]


def test_update_firmware() -> None:
    r = online()
    reply = r.send_ocpp([2, "u1", "UpdateFirmware", {
        "location": "https://fw.example/zap-2.15.0.bin",
        "retrieveDate": "2026-01-01T00:03:00Z"}])
    assert reply == [3, "u1", {}]
    r.advance(29.0)
    assert r.led == "green/solid"
    r.advance(2.0)  # retrieve date (t = 180 s) reached
    assert r.led == "purple/solid" and r.hal.cp_static_v == -12.0
    assert r.reply("status")[0].startswith("state=F ")
    r.advance(20.0)
    assert r.status["mode"] == "BOOT"
    r.advance(150.0)
    fw_status = [p["status"] for _, p in r.calls("FirmwareStatusNotification")]
    assert fw_status == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert r.calls("BootNotification")[-1][1]["firmwareVersion"] == "2.14.0+u1"
    assert r.reply("version") == ["ZapCharger Pro 2.14.0+u1", "OK"]


def test_configuration() -> None:
    r = online()
    reply = r.send_ocpp([2, "g", "GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]}])
    assert reply[2] == {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False,
                                              "value": "300"}], "unknownKey": ["Nope"]}
    assert r.send_ocpp([2, "c", "ChangeConfiguration",
                        {"key": "HeartbeatInterval", "value": "50"}])[2] == {"status": "Accepted"}
    assert r.send_ocpp([2, "d", "ChangeConfiguration",
                        {"key": "NumberOfConnectors", "value": "2"}])[2] == {"status": "Rejected"}
    assert r.send_ocpp([2, "e", "ChangeConfiguration",
                        {"key": "Foo", "value": "2"}])[2] == {"status": "NotSupported"}


def test_phase_to_use() -> None:
    """The installation controller's DataTransfer: the phase selector moves (contactor open
    only); another message id or a bad terminal is refused."""
    r = online()
    msg = {"vendorId": "ZapCharger", "messageId": "PhaseToUse", "data": "3"}
    assert r.send_ocpp([2, "p1", "DataTransfer", msg])[2] == {"status": "Accepted"}
    assert r.fw.hal.phase_select == 2
    assert r.send_ocpp([2, "p2", "DataTransfer", {**msg, "data": "4"}])[2] == {
        "status": "Rejected"}
    assert r.send_ocpp([2, "p3", "DataTransfer", {**msg, "messageId": "X"}])[2] == {
        "status": "UnknownMessageId"}
    assert r.fw.hal.phase_select == 2


def test_unknown_malformed_and_bad_payload() -> None:
    r = online()
    assert r.send_ocpp([2, "z", "GetDiagnostics", {"location": "x"}])[:3] == [4, "z",
                                                                              "NotImplemented"]
    assert r.send_ocpp([2, "x", "DataTransfer", {"vendorId": "x"}])[2] == {
        "status": "UnknownVendorId"}
    assert r.send_ocpp([2, "y", "RemoteStartTransaction", {}])[:3] == [4, "y",
                                                                       "FormationViolation"]
    before = len(r.ocpp)
    for text in ("not json", "{}", "[9, \"a\", {}]", "[3, \"nobody\", {}]"):
        r.fw.ocpp_receive(text)
    assert len(r.ocpp) == before
    assert r.status["ocpp"]["malformed"] == 3 and r.status["ocpp"]["unmatched"] == 1


# ---- authorisation ------------------------------------------------------------------------
def test_auth_required_local_tag_flow() -> None:
    r = Rig({"auth.required": True})
    r.plug()
    r.advance(5.0)
    assert r.led == "yellow/flash" and r.hal.cp_mode == "static"
    t = r.set(rfid_uid="04A1B2C3D4")
    assert r.led == "green/flash"
    r.set(rfid_uid=None)
    r.advance(3.0)
    assert r.first("pwm", A(10.0), after=t) == A(t + 0.2, abs=1e-9)
    assert r.first("led", "blue/solid", after=t) == A(t + 2.0, abs=1e-9)
    r.set_ev("C")
    r.advance(1.0)
    assert r.led == "blue/flash"


def test_auth_refused_tag_red_flash_no_charging() -> None:
    r = Rig({"auth.required": True})
    r.plug()
    r.advance(1.0)
    t = r.set(rfid_uid="BADBAD")
    assert r.led == "red/flash"
    r.advance(5.0)
    assert r.first("led", "yellow/flash", after=t + 1e-6) == A(t + 3.0, abs=1e-9)
    assert r.hal.cp_mode == "static"


def test_auth_via_cloud_and_console_rfid() -> None:
    r = online({"auth.required": True})
    r.plug()
    r.advance(1.0)
    assert r.reply("rfid CLOUDTAG") == ["OK"]
    auth = r.calls("Authorize")
    assert auth[0][1] == {"idTag": "CLOUDTAG"}
    assert r.led == "green/flash"
    r.set_ev("C")
    r.advance(3.0)
    assert r.hal.contactor
    assert r.calls("StartTransaction")[0][1]["idTag"] == "CLOUDTAG"
    r.reply("rfid CLOUDTAG")  # the same tag again: local stop
    assert r.calls("StopTransaction")[0][1]["reason"] == "Local"


def test_auth_ends_with_the_session() -> None:
    r = Rig({"auth.required": True})
    r.set(rfid_uid="04A1B2C3D4")  # presented before plugging in: carries over
    r.set(rfid_uid=None)
    r.charge()
    r.set_ev("A")
    r.advance(1.0)
    r.plug()
    r.advance(3.0)
    assert r.hal.cp_mode == "static" and r.led == "yellow/flash"


def test_update_image_is_a_build_file() -> None:
    from zapcharger.firmware import image_profile
    from zapcharger.profile import load_profile

    running = load_profile(None, {"identity.serial": "ZCS000042"})
    new = image_profile(b"firmware: 2.15.0\nprofile: {timing.open_after_b_s: 0.15}\n", running)
    assert new.identity.firmware == "2.15.0" and new.timing.open_after_b_s == 0.15
    assert new.identity.serial == "ZCS000042"  # the hardware keeps its identity
    for bad, says in ((b"\xff\xfe", "not a firmware image"), (b"- a list", "firmware: <version>"),
                      (b"firmware: 1\nprofile: {no.such: 1}", "firmware image: ")):
        try:
            image_profile(bad, running)
        except ValueError as exc:
            assert says in str(exc), exc
        else:
            raise AssertionError(f"{bad!r} accepted")
