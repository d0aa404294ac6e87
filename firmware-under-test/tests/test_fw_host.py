"""The HAL contract from the host's side: determinism, re-entrancy, bad input, status keys."""

from __future__ import annotations

import json

import pytest
from fwharness import Csms, Rig
from zapcharger import Firmware, HalIo, load_profile


def _session() -> Rig:
    r = Rig(connect=True, csms=Csms())
    r.charge()
    r.set(dc_ma=60.0)
    r.advance(2.0)
    r.set_ev("A")
    r.advance(5.0)
    return r


def test_runs_are_deterministic() -> None:
    a, b = _session(), _session()
    assert a.ocpp == b.ocpp
    assert a.can == b.can
    assert a.console == b.console
    assert [(c.t, c.name, c.value) for c in a.changes] == [
        (c.t, c.name, c.value) for c in b.changes]


def test_negative_or_nan_dt_is_refused(rig: Rig) -> None:
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            rig.fw.tick(bad)


def test_reentrant_host_answer_is_deferred() -> None:
    hal = HalIo()
    hal.supply_v = (230.0, 230.0, 230.0)
    sent: list[list] = []
    fw: Firmware | None = None

    def answer(text: str) -> None:  # a host that answers inside the callback
        msg = json.loads(text)
        sent.append(msg)
        if msg[0] == 2 and fw is not None:
            fw.ocpp_receive(json.dumps([3, msg[1], {"status": "Accepted", "interval": 60,
                                                    "currentTime": "x"}]))

    hal.ocpp_tx = answer
    fw = Firmware(hal, load_profile(overrides={"boot.time_s": 1.0}))
    fw.ocpp_connected(True)
    fw.tick(1.0)
    fw.tick(0.0)
    assert [m[2] for m in sent if m[0] == 2][:2] == ["BootNotification", "StatusNotification"]


def test_next_event_in_is_always_a_float(rig: Rig) -> None:
    assert isinstance(rig.fw.next_event_in(), float)
    rig.set(supply_v=(0.0, 0.0, 0.0))
    assert 0.0 < rig.fw.next_event_in() <= 1.0  # unpowered: only the housekeeping wake-up


def test_inputs_ignored_while_unpowered() -> None:
    r = Rig(supply=(0.0, 0.0, 0.0), boot=False)
    r.fw.console_input("status\n")
    r.fw.ocpp_receive("[2,\"a\",\"Reset\",{\"type\":\"Hard\"}]")
    r.fw.can_receive(0x211, b"")
    assert r.console == [] and r.can == [] and r.ocpp == []
    assert r.status["mode"] == "OFF"


def test_status_keys(rig: Rig) -> None:
    keys = {"mode", "state", "cp", "pwm", "duty_pct", "current_a", "limits", "contactor",
            "lock", "led", "errors", "rcd", "cable_a", "supply_ok", "thermal_stop",
            "authorised", "transaction", "ocpp_status", "meter", "energy_wh", "time",
            "next_event_in", "serial", "firmware", "ocpp", "can"}
    assert keys <= set(rig.status)
    assert rig.status["serial"] == "ZCS000001"
    assert rig.status["time"] == pytest.approx(150.0)


def test_identity_from_profile() -> None:
    r = Rig({"identity.serial": "ZCS123456", "identity.firmware": "3.0.1"}, connect=True,
            csms=Csms())
    assert r.reply("serial") == ["ZCS123456", "OK"]
    assert r.reply("version") == ["ZapCharger Pro 3.0.1", "OK"]
    boot = r.calls("BootNotification")[0][1]
    assert boot["chargePointSerialNumber"] == "ZCS123456" and boot["firmwareVersion"] == "3.0.1"
    ident = next(d for _, i, d in r.can if i == 0x121)
    assert ident[:3] == b"ZCS" and int.from_bytes(ident[3:7], "little") == 123456
    assert ident[7] == 3
