"""The emulated charger's OCPP client over a real websocket to the rig's central system.

Bench time only moves on ``BENCH:TIME:ADV``; frames cross in wall time while the bench stands
still, so after each advance the test waits (wall time, short) for the frames to arrive.
"""

from __future__ import annotations

import time

import pytest

from tests.ocpp.conftest import CP_ID, LinkedBench


def wait(predicate, timeout: float = 3.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


def test_boot_and_status_after_power_on(linked: LinkedBench):
    central = linked.central
    assert linked.ctrl.query("BENCH:OCPP:STAT?") == "CONNECTED"
    assert linked.ctrl.query("BENCH:OCPP:URL?") == f'"{central.url(CP_ID)}"'
    linked.advance(10.0)  # unpowered: nothing to say
    assert central.messages() == []
    linked.power_on()
    boot = central.wait_for("BootNotification", timeout=3)
    assert boot is not None and boot.cp_id == CP_ID
    assert boot.payload["chargePointSerialNumber"] == "ZCS000001"
    assert boot.payload["firmwareVersion"] == "2.14.0"
    status = central.wait_for("StatusNotification", timeout=3)
    assert status is not None and status.payload["status"] == "Available"
    assert central.last_status(CP_ID) == ("Available", "NoError")
    assert central.violations == []


def test_a_charge_is_one_transaction(linked: LinkedBench):
    central = linked.central
    linked.power_on()
    assert central.wait_for("StatusNotification", timeout=3)
    linked.plug_and_charge()
    start = central.wait_for("StartTransaction", timeout=3)
    assert start is not None and start.payload["connectorId"] == 1
    assert wait(lambda: central.last_status(CP_ID) == ("Charging", "NoError"))
    linked.advance(10.0)  # ~16 A on three phases: some energy
    linked.ev.write("SOUR:CP:STAT A")
    linked.advance(1.0)
    stop = central.wait_for("StopTransaction", timeout=3)
    assert stop is not None and stop.payload["reason"] == "EVDisconnected"
    (tx,) = central.transactions(CP_ID)
    assert tx.transaction_id == 1 and stop.payload["transactionId"] == 1
    assert tx.meter_stop is not None and tx.meter_stop > tx.meter_start
    assert central.violations == []


def test_a_charging_profile_changes_the_duty(linked: LinkedBench):
    central = linked.central
    linked.power_on()
    linked.plug_and_charge(load_a=32.0)
    assert central.wait_for("StartTransaction", timeout=3)
    linked.advance(12.0)  # past the soft start: 32 A is 53.33 %
    assert float(linked.ev.query("MEAS:CP:DCYC?")) == pytest.approx(53.33, abs=0.01)
    assert central.set_charging_profile(CP_ID, 16) == "Accepted"
    linked.advance(1.0)
    assert float(linked.ev.query("MEAS:CP:DCYC?")) == pytest.approx(26.67, abs=0.01)
    answer = central.find("SetChargingProfile", direction="in", message_type=3)
    assert answer is not None and answer.payload == {"status": "Accepted"}


def test_disconnect_and_reconnect(linked: LinkedBench):
    central, ctrl = linked.central, linked.ctrl
    linked.power_on()
    assert central.wait_for("StatusNotification", timeout=3)
    ctrl.write("BENCH:OCPP:DISC")
    assert wait(lambda: not central.is_connected(CP_ID))
    assert wait(lambda: ctrl.query("BENCH:OCPP:STAT?") == "DISCONNECTED")  # firmware told
    assert ctrl.query("BENCH:OCPP:URL?") == f'"{central.url(CP_ID)}"'  # kept
    mark = central.mark()
    linked.ev.write("SOUR:PP:RES 220")
    linked.ev.write("SOUR:CP:STAT B")  # Preparing, while offline: not sent
    linked.advance(1.0)
    time.sleep(0.1)
    assert central.messages(since=mark) == []
    ctrl.write(f'BENCH:OCPP:URL "{central.url(CP_ID)}"')
    assert central.wait_connected(CP_ID, timeout=3)
    assert wait(lambda: ctrl.query("BENCH:OCPP:STAT?") == "CONNECTED")
    linked.advance(0.1)
    assert central.wait_for("StatusNotification", since=mark, timeout=3,
                            where=lambda m: m.payload["status"] == "Preparing")


def test_a_bad_url_is_refused(linked: LinkedBench):
    ctrl = linked.ctrl
    ctrl.write('BENCH:OCPP:URL "http://127.0.0.1:1/x"')
    ctrl.write("BENCH:OCPP:URL")
    assert ctrl.errors() == [-224, -109]
    assert ctrl.query("BENCH:OCPP:STAT?") == "CONNECTED"  # unchanged


def test_a_firmware_reload_reconnects(linked: LinkedBench):
    central, host = linked.central, linked.host
    linked.power_on()
    assert central.wait_for("StatusNotification", timeout=3)
    connects = host.ocpp.connects
    mark = central.mark()
    linked.ctrl.write('BENCH:CHAR:SET "identity.serial=ZCS000777"')  # a power cycle
    assert linked.ctrl.errors() == []
    assert wait(lambda: host.ocpp.connects > connects and host.ocpp.connected)
    linked.advance(5.5)
    boot = central.wait_for("BootNotification", since=mark, timeout=3)
    assert boot is not None and boot.payload["chargePointSerialNumber"] == "ZCS000777"
    assert central.wait_for("StatusNotification", since=mark, timeout=3)
