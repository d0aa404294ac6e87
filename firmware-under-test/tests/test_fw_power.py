"""Soft start, meter, supply window, power loss and thermal derating."""

from __future__ import annotations

import pytest
from fwharness import Rig

A = pytest.approx


def test_soft_start_ramp_steps_exactly(rig: Rig) -> None:
    _, t_c = rig.charge()
    t_close = rig.first("contactor", True, after=t_c)
    assert rig.first("pwm", A(10.0)) is not None  # PWM started at 6 A
    rig.advance(15.0)
    steps = rig.values("pwm", after=t_close + 1e-6)
    assert len(steps) == 20
    for k, (t, duty) in enumerate(steps, start=1):
        assert t == A(t_close + 0.5 * k, abs=1e-9)
        assert duty == A((6.0 + 26.0 * min(1.0, 0.05 * k)) / 0.6)
    assert steps[-1][1] == A(32 / 0.6)
    duties = [d for _, d in steps]
    assert duties == sorted(duties)


def test_soft_start_restarts_on_each_close(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    rig.set_ev("B")
    rig.advance(1.0)
    assert rig.hal.cp_duty_pct == A(10.0)  # back to the start value for the next close
    t = rig.set_ev("C")
    rig.advance(1.2)
    assert rig.values("pwm", after=t + 0.6) == [(A(t + 1.0, abs=1e-9), A(7.3 / 0.6))]


def test_soft_start_disabled_full_current_at_once() -> None:
    r = Rig({"soft_start.enabled": False})
    t_b = r.plug()
    r.advance(1.0)
    t_c = r.set_ev("C")
    r.advance(20.0)
    assert r.values("pwm", after=t_b) == [(A(t_b + 0.2, abs=1e-9), A(32 / 0.6))]
    assert r.values("pwm", after=t_c) == []


def test_soft_start_start_above_limit_uses_limit() -> None:
    r = Rig({"soft_start.start_a": 16.0})
    r.fw.set_installation_limit(10.0)
    r.charge()
    assert r.hal.cp_duty_pct == A(10 / 0.6)


def test_limit_change_during_charging_after_duty_update(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    t = rig.t
    rig.fw.set_installation_limit(16.0)
    rig.settle()
    rig.advance(0.2)
    rig.fw.set_installation_limit(20.0)  # each change keeps its own deadline
    rig.settle()
    rig.advance(2.0)
    assert rig.values("pwm", after=t) == [
        (A(t + 0.5, abs=1e-9), A(16 / 0.6)), (A(t + 0.7, abs=1e-9), A(20 / 0.6)),
    ]


def _meter(rig: Rig, i: float = 16.0, v: float = 230.0) -> None:
    rig.hal.meter_i_a = (i, i, 0.0)
    rig.hal.meter_v_v = (v, v, v)
    rig.hal.meter_p_w = (i * v, i * v, 0.0)
    rig.settle()


def test_meter_readings_with_errors() -> None:
    r = Rig({"meter.current_gain_pct": 1.0, "meter.voltage_gain_pct": -1.0,
             "meter.current_offset_a": 0.1})
    _meter(r)
    line = r.reply("meter")[0]
    # L3 carries no current and the contactor is open: no offset there
    assert line.startswith("v=227.7,227.7,227.7 i=16.26,16.26,0.00 p=3679.6,3679.6,0.0 ")
    r.charge()
    _meter(r)
    assert r.status["meter"]["i"][2] == A(0.1)  # contactor closed: offset on every phase


def test_energy_register_gain_and_resolution() -> None:
    r = Rig({"meter.register_resolution_wh": 10.0, "meter.energy_gain_pct": 2.0,
             "meter.current_gain_pct": 1.0})
    r.hal.meter_e_wh = (50.0, 50.0, 0.0)  # +100 Wh true since power-up
    r.settle()
    assert r.status["energy_wh"] == 100.0  # 100 x 1.01 x 1.02 = 103.02 -> 100 (floor of 10s)
    r.hal.meter_e_wh = (60.0, 50.0, 0.0)
    r.settle()
    assert r.status["energy_wh"] == 110.0  # 113.12 -> 110
    assert r.reply("meter")[0].endswith(" e_wh=110")


def test_energy_register_survives_power_loss(rig: Rig) -> None:
    rig.hal.meter_e_wh = (500.0, 0.0, 0.0)
    rig.settle()
    assert rig.status["energy_wh"] == 500
    rig.set(supply_v=(0.0, 0.0, 0.0))
    rig.hal.meter_e_wh = (0.0, 0.0, 0.0)  # the meter IC restarts with the supply
    rig.advance(10.0)
    rig.set(supply_v=(230.0, 230.0, 230.0))
    rig.advance(150.0)
    rig.hal.meter_e_wh = (20.0, 0.0, 0.0)
    rig.settle()
    assert rig.status["energy_wh"] == 520
    rig.hal.meter_e_wh = (5.0, 0.0, 0.0)  # the IC restarted on its own: counts from zero
    rig.settle()
    assert rig.status["energy_wh"] == 525


def test_power_loss_turns_everything_off_and_boots_again(rig: Rig) -> None:
    rig.charge()
    n_can = len(rig.can)
    t = rig.set(supply_v=(80.0, 80.0, 80.0))
    h = rig.hal
    assert (h.cp_mode, h.cp_static_v, h.contactor, h.lock, h.led_colour) == (
        "static", 0.0, False, False, "off")
    rig.advance(30.0)
    assert len(rig.can) == n_can  # silent while unpowered
    assert rig.console_cmd("status") == []
    t_on = rig.set(supply_v=(230.0, 230.0, 230.0))
    assert rig.led == "yellow/flash" and rig.status["state"] == "BOOT"
    rig.advance(200.0)
    assert rig.first("led", "green/solid", after=t) is None  # vehicle still in C
    assert rig.first("cp_static", 12.0, after=t_on) == A(t_on + 150.0, abs=1e-9)
    assert rig.status["state"] == "C2"  # RAM lost: a new session starts by itself


def test_supply_window_stops_and_restarts_with_hysteresis(rig: Rig) -> None:
    rig.charge()
    t = rig.set(supply_v=(230.0, 230.0, 270.0))
    assert rig.first("pwm", None, after=t) == A(t, abs=1e-9)
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.status["errors"] == ["SupplyVoltage"] and rig.led == "red/solid"
    rig.set(supply_v=(230.0, 230.0, 262.0))  # inside the window, not by the hysteresis
    rig.advance(5.0)
    assert rig.status["errors"] == ["SupplyVoltage"]
    t2 = rig.set(supply_v=(230.0, 230.0, 259.0))
    rig.advance(2.0)
    assert rig.status["errors"] == []
    t_pwm = rig.first("pwm", A(10.0), after=t2)
    assert t_pwm == A(t2 + 0.2, abs=1e-9)
    assert rig.first("contactor", True, after=t2) == A(t_pwm + 0.5, abs=1e-9)


@pytest.mark.parametrize("volts", [(172.5, 0.0, 0.0), (172.5, 230.0, 230.0), (276.0, 0.0, 0.0)])
def test_supply_out_of_window(volts: tuple[float, float, float]) -> None:
    r = Rig()
    r.charge()
    t = r.set(supply_v=volts)
    r.advance(3.0)
    assert r.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)


def test_one_phase_supply_is_fine() -> None:
    r = Rig(supply=(230.0, 0.0, 0.0))
    r.charge()
    assert r.status["errors"] == []


def test_thermal_derating_and_stop(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)
    t = rig.set(temperature_c=67.5)  # halfway from 60 to 75: 32 - 26/2 = 19 A
    rig.advance(1.0)
    assert rig.values("pwm", after=t) == [(A(t + 0.5, abs=1e-9), A(19 / 0.6))]
    t = rig.set(temperature_c=75.0)
    assert rig.first("pwm", None, after=t) == A(t, abs=1e-9)
    assert rig.status["errors"] == ["OverTemperature"]
    rig.set_ev("B")
    rig.advance(1.0)
    rig.set(temperature_c=56.0)
    rig.advance(5.0)
    assert rig.hal.cp_mode == "static"  # not below resume_c yet
    t = rig.set(temperature_c=54.0)
    rig.advance(1.0)
    assert rig.first("pwm", A(10.0), after=t) == A(t + 0.2, abs=1e-9)
    assert rig.status["errors"] == []


def test_thermal_limit_never_above_max(rig: Rig) -> None:
    rig.set(temperature_c=60.0)
    assert rig.status["limits"]["thermal"] == A(32.0)
    rig.set(temperature_c=74.9)
    assert rig.status["limits"]["thermal"] == A(6.1, abs=0.06)


def test_stepped_limit_change_walks_to_the_new_limit() -> None:
    """timing.duty_step_a: the duty walks to a new limit, step_a every duty_update_s, in both
    directions, and lands exactly on it."""
    rig = Rig({"timing.duty_step_a": 3.0, "timing.duty_update_s": 1.0})
    rig.charge()
    rig.advance(20.0)
    t = rig.t
    rig.fw.set_installation_limit(26.0)
    rig.settle()
    rig.advance(5.0)
    assert rig.values("pwm", after=t) == [
        (A(t + 1.0, abs=1e-9), A(29 / 0.6)), (A(t + 2.0, abs=1e-9), A(26 / 0.6)),
    ]
    t = rig.t
    rig.fw.set_installation_limit(None)
    rig.settle()
    rig.advance(5.0)
    assert [v for _, v in rig.values("pwm", after=t)] == [A(29 / 0.6), A(32 / 0.6)]
