"""Residual current: self-test, analytic trip times, thresholds, latch and reset, reporting."""

from __future__ import annotations

import math

import pytest
from fwharness import Rig

A = pytest.approx
TAU = 0.01


def trip_time(current: float, threshold: float, delay: float = 0.02, tau: float = TAU) -> float:
    return tau * math.log(current / (current - threshold)) + delay


def test_self_test_pass_is_counted_and_reported(rig: Rig) -> None:
    rig.charge()
    assert rig.reply("rcd") == ["state=ok selftests=1 last=pass trips=0", "OK"]
    assert "# rcd selftest pass" in "".join(rig.console)
    rig.set_ev("B")
    rig.advance(1.0)
    rig.set_ev("C")  # every charge cycle tests again
    rig.advance(1.0)
    assert rig.status["rcd"]["selftests"] == 2


def test_self_test_fail_blocks_charging_until_unplug(rig: Rig) -> None:
    rig.sensor_ok = False
    t = rig.plug()
    rig.advance(1.0)
    rig.set_ev("C")
    rig.advance(5.0)
    assert rig.first("contactor", True, after=t) is None
    assert rig.status["errors"] == ["RcdSelfTestFailed"]
    assert rig.status["rcd"]["state"] == "selftest_failed"
    assert rig.led == "red/solid"
    assert rig.reply("rcd") == ["state=selftest_failed selftests=1 last=fail trips=0", "OK"]
    rig.sensor_ok = True
    rig.set_ev("A")
    assert rig.status["errors"] == [] and rig.status["rcd"]["state"] == "ok"
    rig.charge()


def test_self_test_disabled_no_winding_close_on_time() -> None:
    r = Rig({"rcd.self_test": False})
    r.sensor_ok = False  # would fail a self-test
    r.plug()
    r.advance(1.0)
    t = r.set_ev("C")
    r.advance(1.0)
    assert r.first("winding", True) is None
    assert r.first("contactor", True, after=t) == A(t + 0.5, abs=1e-9)
    assert r.status["rcd"]["selftests"] == 0


def test_long_self_test_delays_the_close() -> None:
    r = Rig({"rcd.self_test_s": 0.8})
    r.plug()
    r.advance(1.0)
    t = r.set_ev("C")
    r.advance(2.0)
    assert r.first("winding", False, after=t) == A(t + 0.8, abs=1e-9)
    assert r.first("contactor", True, after=t) == A(t + 0.8, abs=1e-9)


@pytest.mark.parametrize("ma", [6.0, 60.0, 200.0])
def test_dc_trip_time_is_analytic(rig: Rig, ma: float) -> None:
    rig.charge()
    t = rig.set(dc_ma=ma)
    rig.advance(15.0)
    assert rig.first("contactor", False, after=t) == A(t + trip_time(ma, 4.5), abs=1e-9)
    assert rig.first("pwm", None, after=t) == A(t + trip_time(ma, 4.5), abs=1e-9)


@pytest.mark.parametrize("ma", [30.0, 60.0, 150.0])
def test_ac_trip_time_is_analytic(rig: Rig, ma: float) -> None:
    rig.charge()
    t = rig.set(ac_ma=ma)
    rig.advance(5.0)
    assert rig.first("contactor", False, after=t) == A(t + trip_time(ma, 22.0), abs=1e-9)


def test_trip_times_follow_profile() -> None:
    r = Rig({"rcd.dc_trip_ma": 7.0, "rcd.dc_trip_delay_s": 0.3, "rcd.sensor_filter_s": 0.2})
    r.charge()
    t = r.set(dc_ma=10.0)
    r.advance(5.0)
    expected = trip_time(10.0, 7.0, delay=0.3, tau=0.2)
    assert r.first("contactor", False, after=t) == A(t + expected, abs=1e-9)


def test_no_filter_trips_after_the_delay_only() -> None:
    r = Rig({"rcd.sensor_filter_s": 0.0})
    r.charge()
    t = r.set(dc_ma=5.0)
    r.advance(1.0)
    assert r.first("contactor", False, after=t) == A(t + 0.02, abs=1e-9)


@pytest.mark.parametrize("dc,ac", [(4.4, 0.0), (4.5, 0.0), (0.0, 15.0), (0.0, 21.9)])
def test_no_trip_below_threshold(rig: Rig, dc: float, ac: float) -> None:
    rig.charge()
    rig.set(dc_ma=dc, ac_ma=ac)
    rig.advance(60.0)
    assert rig.hal.contactor and rig.status["rcd"]["trips"] == 0


def test_short_pulse_filtered_out(rig: Rig) -> None:
    rig.charge()
    rig.set(dc_ma=60.0)
    rig.advance(0.001)  # 5.7 mA filtered: above 4.5 mA for 2.6 ms only, not the 20 ms delay
    rig.set(dc_ma=0.0)
    rig.advance(2.0)
    assert rig.hal.contactor and rig.status["rcd"]["trips"] == 0


def test_ramp_trips_between_threshold_and_a_bit_above(rig: Rig) -> None:
    rig.charge()
    ma = 0.0
    while rig.hal.contactor and ma < 10.0:
        ma += 0.1
        rig.set(dc_ma=ma)
        rig.advance(0.1)
    assert 4.5 <= ma <= 5.0


def test_residual_current_during_self_test_is_ignored(rig: Rig) -> None:
    rig.plug()
    rig.advance(1.0)
    t = rig.set_ev("C")  # the winding adds 10 mA for 0.1 s: no trip
    rig.advance(2.0)
    assert rig.first("contactor", True, after=t) == A(t + 0.5, abs=1e-9)
    assert rig.status["rcd"]["trips"] == 0


def test_trip_latches_until_unplug(rig: Rig) -> None:
    rig.charge()
    rig.set(dc_ma=60.0)
    rig.advance(1.0)
    assert rig.status["rcd"]["state"] == "tripped"
    assert rig.status["errors"] == ["GroundFailure"]
    assert rig.led == "red/solid"
    rig.set(dc_ma=0.0)
    rig.advance(60.0)
    assert not rig.hal.contactor and rig.hal.cp_mode == "static"
    assert rig.status["state"] == "C1"
    rig.set_ev("A")
    assert rig.status["rcd"]["state"] == "ok" and rig.led == "green/solid"
    rig.charge()
    assert rig.reply("rcd") == ["state=ok selftests=2 last=pass trips=1", "OK"]


def test_without_reset_on_unplug_the_trip_clears_by_itself() -> None:
    r = Rig({"rcd.reset_on_unplug": False})
    r.charge()
    t = r.set(dc_ma=60.0)
    r.advance(0.5)
    t_trip = r.first("contactor", False, after=t)
    t_off = r.set(dc_ma=0.0)
    f_off = 60.0 + (0.0 - 60.0) * math.exp(-(t_off - t) / TAU)  # filter value at removal
    t_clear = t_off + TAU * math.log(f_off / 2.25)
    r.advance(5.0)
    assert t_trip is not None
    t_pwm = r.first("pwm", 10.0, after=t_off)
    assert t_pwm == A(t_clear + 0.2, abs=1e-9)  # PWM restarts: charging resumes
    assert r.first("contactor", True, after=t_off) == A(t_pwm + 0.5, abs=1e-9)


def test_unreported_trip_opens_but_shows_nothing() -> None:
    r = Rig({"rcd.report_trip": False})
    r.charge()
    t = r.set(dc_ma=60.0)
    r.advance(1.0)
    assert r.first("contactor", False, after=t) == A(t + trip_time(60.0, 4.5), abs=1e-9)
    assert r.status["errors"] == []
    assert r.led == "blue/solid"
    assert r.status["rcd"]["trips"] == 1


def test_trip_in_b_latches_too(rig: Rig) -> None:
    rig.plug()
    rig.advance(1.0)
    rig.set(dc_ma=60.0)
    rig.advance(1.0)
    assert rig.status["errors"] == ["GroundFailure"] and rig.hal.cp_mode == "static"
    rig.set(dc_ma=0.0)
    rig.set_ev("C")
    rig.advance(5.0)
    assert not rig.hal.contactor
