"""The rig's central system against an independent charge point (the ``ocpp`` package's)."""

from __future__ import annotations

import asyncio
import json

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from rig.dut.ocpp import CentralSystem, OcppCallError
from rig.errors import ChargerLinkError
from tests.ocpp.conftest import CP_ID, ScriptedChargePoint

TS = "2026-01-01T00:00:00Z"


def boot(client: ScriptedChargePoint):  # type: ignore[no-untyped-def]
    return client.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V",
                                             charge_point_serial_number=CP_ID))


def test_start_stop_url_and_port():
    server = CentralSystem()
    assert server.start() is server.start()  # idempotent
    assert server.port > 0
    assert server.url("CP 1") == f"ws://127.0.0.1:{server.port}/CP%201"
    server.stop()
    server.stop()


def test_boot_status_and_the_log(central, client):
    central.heartbeat_interval = 42
    result = boot(client)
    assert (result.status, result.interval) == ("Accepted", 42)
    assert result.current_time.endswith("Z")
    assert central.last_status(CP_ID) is None
    client.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
    assert central.last_status(CP_ID) == ("Available", "NoError")
    assert central.charge_points() == [CP_ID] and central.is_connected(CP_ID)

    log = central.messages()
    assert [(m.direction, m.message_type, m.action) for m in log] == [
        ("in", 2, "BootNotification"), ("out", 3, "BootNotification"),
        ("in", 2, "StatusNotification"), ("out", 3, "StatusNotification"),
    ]
    assert [m.index for m in log] == [0, 1, 2, 3]
    assert log[0].payload["chargePointSerialNumber"] == CP_ID
    assert log[1].unique_id == log[0].unique_id and log[1].payload["interval"] == 42
    assert json.loads(log[1].raw)[0] == 3 and log[0].time <= log[1].time
    assert central.find("BootNotification").payload["chargePointVendor"] == "V"
    assert central.find("BootNotification", direction="out", message_type=3) is log[1]
    mark = central.mark()
    assert mark == 4 and central.messages(since=mark) == []
    assert central.find("BootNotification", since=mark) is None
    assert central.violations == []


def test_transactions_are_numbered_and_paired(central, client):
    boot(client)
    first = client.call(call.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=100,
                                              timestamp=TS))
    second = client.call(call.StartTransaction(connector_id=1, id_tag="TAG2", meter_start=250,
                                               timestamp=TS))
    assert (first.transaction_id, second.transaction_id) == (1, 2)
    assert first.id_tag_info["status"] == "Accepted"
    client.call(call.StopTransaction(meter_stop=240, timestamp=TS,
                                     transaction_id=first.transaction_id, reason="Local"))
    tx1, tx2 = central.transactions(CP_ID)
    assert (tx1.transaction_id, tx1.id_tag, tx1.meter_start, tx1.meter_stop, tx1.reason) == (
        1, "TAG1", 100, 240, "Local")
    assert (tx2.meter_start, tx2.meter_stop) == (250, None)


def test_refused_tags(central, client):
    central.refused_tags.add("BAD")
    boot(client)
    assert client.call(call.Authorize(id_tag="BAD")).id_tag_info["status"] == "Invalid"
    assert client.call(call.Authorize(id_tag="GOOD")).id_tag_info["status"] == "Accepted"
    started = client.call(call.StartTransaction(connector_id=1, id_tag="BAD", meter_start=0,
                                                timestamp=TS))
    assert started.id_tag_info["status"] == "Invalid"


def test_other_charge_point_messages_are_answered(central, client):
    boot(client)
    client.call(call.Heartbeat())
    client.call(call.MeterValues(connector_id=1, meter_value=[
        {"timestamp": TS, "sampledValue": [{"value": "12", "unit": "Wh"}]}]))
    client.call(call.FirmwareStatusNotification(status="Installed"))
    client.call(call.DiagnosticsStatusNotification(status="Idle"))
    assert client.call(call.DataTransfer(vendor_id="x")).status == "Accepted"
    answered = [m.action for m in central.messages(direction="out")]
    assert answered == ["BootNotification", "Heartbeat", "MeterValues",
                        "FirmwareStatusNotification", "DiagnosticsStatusNotification",
                        "DataTransfer"]
    assert central.violations == []


def test_commands_answered_by_the_charge_point(central, client):
    assert central.reset(CP_ID) == "Accepted"
    assert central.remote_start(CP_ID, "TAG") == "Accepted"
    assert central.set_charging_profile(CP_ID, 16) == "Accepted"
    calls = central.messages(direction="out")
    assert [m.action for m in calls] == ["Reset", "RemoteStartTransaction", "SetChargingProfile"]
    results = central.messages(direction="in")
    assert [(m.message_type, m.action, m.unique_id) for m in results] == [
        (3, m.action, m.unique_id) for m in calls]
    profile = calls[2].payload["csChargingProfiles"]
    assert calls[2].payload["connectorId"] == 1
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0}]
    assert profile["chargingSchedule"]["chargingRateUnit"] == "A"


def test_callerror_timeout_and_no_connection(central, client):
    with pytest.raises(OcppCallError) as err:  # the client has no handler for it
        central.call(CP_ID, call.UnlockConnector(connector_id=1))
    assert err.value.code == "NotImplemented" and err.value.action == "UnlockConnector"
    assert central.messages(direction="in")[-1].message_type == 4
    assert central.violations == []  # a CALLERROR is a legitimate answer

    client.cp.silent = True
    with pytest.raises(ChargerLinkError, match=r"did not answer Reset within 0\.3 s"):
        central.call(CP_ID, call.Reset(type="Soft"), timeout=0.3)
    with pytest.raises(ChargerLinkError, match=r"'NOPE' is not connected"):
        central.reset("NOPE")
    with pytest.raises(ValueError, match=r"does not fit the OCPP 1\.6 schema"):
        central.call(CP_ID, call.ChangeAvailability(connector_id=1, type="Sideways"))


def test_schema_violations_are_recorded(central, client):
    boot(client)
    client.send_raw('[2,"v1","StatusNotification",{"connectorId":"one","status":"Available"}]')
    client.send_raw("not json")
    client.send_raw('[2,"v2","FlyToTheMoon",{}]')
    client.send_raw('[3,"nobody-asked",{}]')
    assert central.wait_for("FlyToTheMoon", direction="out", message_type=4, timeout=2)
    central.wait_until(lambda: len(central.violations) == 4, 2)
    messages = [m for m, _ in central.violations]
    errors = [e for _, e in central.violations]
    assert [m.unique_id for m in messages] == ["v1", "", "v2", "nobody-asked"]
    assert "StatusNotification" in errors[0] and "'one' is not of type 'integer'" in errors[0]
    assert errors[1].startswith("malformed frame")
    assert "not an OCPP 1.6 action" in errors[2]
    assert "no CALL of the central system" in errors[3]
    answer = central.find("StatusNotification", direction="out", message_type=4)
    assert answer is not None and answer.unique_id == "v1"
    assert answer.payload["errorCode"] == "TypeConstraintViolation"
    assert central.last_status(CP_ID) is None  # a malformed status says nothing


def test_a_client_without_the_ocpp_subprotocol_is_refused(central):
    async def attempt() -> None:
        async with connect(central.url(CP_ID), proxy=None):
            pass

    with pytest.raises(InvalidStatus):
        asyncio.run(attempt())
    assert central.charge_points() == []


def test_a_second_socket_does_not_take_a_live_charge_points_session(central, client):
    """A live charger keeps its session (a newcomer is refused: tests/ocpp/
    test_second_connection.py); one whose old socket no longer answers is replaced there."""
    with pytest.raises(InvalidStatus):
        ScriptedChargePoint(central.url(CP_ID)).start()
    assert central.reset(CP_ID) == "Accepted"  # still the charger's socket
    assert central.charge_points() == [CP_ID]
    client.stop()
    assert central.wait_until(lambda: not central.is_connected(CP_ID), 2)
