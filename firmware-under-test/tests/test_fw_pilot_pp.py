"""Duty cycle per current, CP classifier windows, and the cable coding (PP) with both knobs."""

from __future__ import annotations

import pytest
from fwharness import Rig
from zapcharger.pilot import classify, current_for_duty, duty_for_current
from zapcharger.pp import cable_rating

A = pytest.approx


@pytest.mark.parametrize(
    "amps,duty",
    [(6, 10.0), (10, 16.6667), (13, 21.6667), (16, 26.6667), (20, 33.3333), (25, 41.6667),
     (32, 53.3333), (51, 85.0), (63, 89.2), (80, 96.0)],
)
def test_duty_table(amps: float, duty: float) -> None:
    assert duty_for_current(amps) == A(duty, abs=1e-4)
    assert current_for_duty(duty_for_current(amps)) == A(amps)


@pytest.mark.parametrize("amps", [6, 10, 13, 16, 20, 25, 32])
def test_advertised_duty_per_installation_limit(amps: float) -> None:
    r = Rig({"soft_start.enabled": False})
    r.fw.set_installation_limit(amps)
    r.settle()
    r.plug()
    r.advance(1.0)
    assert r.hal.cp_duty_pct == A(amps / 0.6)
    assert r.status["current_a"] == A(amps)


@pytest.mark.parametrize("amps,duty,honour", [(63, 63 / 2.5 + 64, True), (80, 96.0, False)])
def test_high_currents_use_the_second_formula(amps: float, duty: float, honour: bool) -> None:
    # 63 A comes from the cable (100 ohm); no cable rating says 80 A, so PP is ignored for it
    r = Rig({"soft_start.enabled": False, "limits.max_current_a": 80.0,
             "cable.honour_pp": honour})
    r.plug(pp_ohm=100.0)
    r.advance(1.0)
    assert r.status["current_a"] == A(amps)
    assert r.hal.cp_duty_pct == A(duty)


def test_duty_offset_is_added() -> None:
    r = Rig({"soft_start.enabled": False, "pilot.duty_offset_pct": 1.5})
    r.plug()
    r.advance(1.0)
    assert r.hal.cp_duty_pct == A(32 / 0.6 + 1.5)


@pytest.mark.parametrize(
    "level,state",
    [(12.0, "A"), (13.5, "A"), (10.5, "A"), (10.4, "B"), (9.0, "B"), (7.82, "B"), (9.86, "B"),
     (6.0, "C"), (4.87, "C"), (6.17, "C"), (3.0, "D"), (0.0, "E"), (-1.5, "E"),
     (-12.0, "F"), (13.6, "invalid"), (-5.0, "invalid"), (-14.0, "invalid")],
)
def test_classifier_windows(level: float, state: str) -> None:
    assert classify(level, 1.5) == state


def test_narrow_window_leaves_gaps() -> None:
    assert classify(7.5, 1.0) == "invalid"
    assert classify(8.1, 1.0) == "B"


@pytest.mark.parametrize(
    "ohm,rating",
    [(1500, 13), (1100, 13), (2460, 13), (680, 20), (400, 20), (936, 20), (220, 32), (164, 32),
     (308, 32), (100, 63), (80, 63), (140, 63),
     (3000, 13), (4500, 13), (1000, 13), (350, 20), (150, 32), (70, 63), (60, 63),
     (59.9, None), (4500.1, None), (0, None), (None, None)],
)
def test_pp_bands_and_gaps(ohm: float | None, rating: float | None) -> None:
    assert cable_rating(ohm) == rating


@pytest.mark.parametrize("ohm,amps", [(1500, 13), (680, 20), (220, 32), (100, 32), (2460, 13),
                                      (936, 20), (164, 32)])
def test_advertised_current_is_min_of_station_and_cable(ohm: float, amps: float) -> None:
    r = Rig({"soft_start.enabled": False})
    r.plug(pp_ohm=ohm)
    r.advance(1.0)
    assert r.status["current_a"] == A(amps)
    assert r.hal.cp_duty_pct == A(amps / 0.6)


@pytest.mark.parametrize("ohm", [None, 50.0, 5000.0])
def test_invalid_pp_refuses_to_charge(ohm: float | None) -> None:
    r = Rig()
    r.plug(pp_ohm=ohm)
    r.advance(2.0)
    r.set_ev("C")
    r.advance(3.0)
    assert r.hal.cp_mode == "static" and not r.hal.contactor
    assert r.status["errors"] == ["PpInvalid"]
    assert r.led == "red/solid"


def test_invalid_pp_accepted_when_not_rejected() -> None:
    r = Rig({"cable.reject_invalid_pp": False, "soft_start.enabled": False})
    r.plug(pp_ohm=None)
    r.advance(1.0)
    assert r.status["current_a"] == A(32.0)
    r.set_ev("C")
    r.advance(1.0)
    assert r.hal.contactor and r.status["errors"] == []


def test_cable_rating_ignored_when_not_honoured() -> None:
    r = Rig({"cable.honour_pp": False, "soft_start.enabled": False})
    r.plug(pp_ohm=1500.0)
    r.advance(1.0)
    assert r.status["current_a"] == A(32.0)


def test_pp_watched_during_the_session() -> None:
    r = Rig({"soft_start.enabled": False})
    r.charge(pp_ohm=220.0)
    t = r.set(pp_ohm=680.0)  # rating falls to 20 A: a limit change, after duty_update_s
    r.advance(1.0)
    assert r.values("pwm", after=t) == [(A(t + 0.5, abs=1e-9), A(20 / 0.6))]
    t = r.set(pp_ohm=None)  # resistor lost: stop
    r.advance(1.0)
    assert r.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert r.status["errors"] == ["PpInvalid"]
