"""IEC 61851-1 sequences: boot, A -> B -> C, the opening rules, exact deadlines."""

from __future__ import annotations

import pytest
from fwharness import Rig

A = pytest.approx


def test_boot_time_led_and_cp() -> None:
    r = Rig(boot=False)
    assert r.status["state"] == "BOOT"
    assert r.led == "yellow/flash"
    assert r.hal.cp_mode == "static" and r.hal.cp_static_v == -12.0
    r.advance(149.999)
    assert r.status["state"] == "BOOT"
    r.advance(0.001)
    assert r.first("led", "green/solid") == A(150.0, abs=1e-9)
    assert r.first("cp_static", 12.0) == A(150.0, abs=1e-9)
    assert r.status["state"] == "A1"


def test_the_factory_jumper_boots_in_seconds_through_the_same_states() -> None:
    """The production line's nest fits the factory jumper: the same boot (CP state F, LED
    booting, then x1 and green) in ``boot.factory_time_s`` instead of minutes."""
    r = Rig({"boot.factory_jumper": True, "boot.factory_time_s": 5.0}, boot=False)
    assert r.status["state"] == "BOOT" and r.led == "yellow/flash"
    assert r.hal.cp_static_v == -12.0
    r.advance(4.999)
    assert r.status["state"] == "BOOT"
    r.advance(0.001)
    assert r.first("led", "green/solid") == A(5.0, abs=1e-9)
    assert r.first("cp_static", 12.0) == A(5.0, abs=1e-9)
    assert r.status["state"] == "A1"


def test_rails_and_edges_are_driven_from_the_profile() -> None:
    r = Rig({"pilot.high_v": 12.6, "pilot.low_v": -11.8, "pilot.rise_time_us": 7.0,
             "pilot.fall_time_us": 9.0, "pilot.pwm_frequency_hz": 990.0})
    assert r.hal.cp_static_v == 12.6
    assert (r.hal.cp_rail_high_v, r.hal.cp_rail_low_v) == (12.6, -11.8)
    assert (r.hal.cp_rise_us, r.hal.cp_fall_us, r.hal.cp_freq_hz) == (7.0, 9.0, 990.0)
    r.plug()
    r.advance(1.0)
    assert r.status["state"] == "B2"  # 12.6 x 0.75 = 9.45 V still classifies as B


def test_a_b_c_timing_exact(rig: Rig) -> None:
    t_b = rig.plug()
    assert rig.status["state"] == "B1"
    assert rig.led == "blue/solid"
    rig.advance(1.0)
    assert rig.first("pwm", A(10.0), after=t_b) == A(t_b + 0.2, abs=1e-9)
    t_c = rig.set_ev("C")
    rig.advance(2.0)
    assert rig.first("winding", True, after=t_c) == A(t_c, abs=1e-9)
    assert rig.first("winding", False, after=t_c) == A(t_c + 0.1, abs=1e-9)
    assert rig.first("lock", True, after=t_c) == A(t_c + 0.4, abs=1e-9)
    assert rig.first("contactor", True, after=t_c) == A(t_c + 0.5, abs=1e-9)
    assert rig.status["state"] == "C2"
    assert rig.led == "blue/flash"


def test_one_huge_tick_still_lands_every_deadline_exactly() -> None:
    r = Rig({"timing.close_after_c_s": 2.5, "timing.pwm_start_after_b_s": 0.7})
    t_b = r.plug(state="C")  # vehicle goes straight to C: C1, PWM, then C2
    r.advance(1000.0)
    assert r.first("pwm", A(10.0), after=t_b) == A(t_b + 0.7, abs=1e-9)
    assert r.first("contactor", True, after=t_b) == A(t_b + 0.7 + 2.5, abs=1e-9)


def test_one_long_tick_walks_through_every_deadline_inside_it() -> None:
    r = Rig(boot=False)
    r.fw.tick(1000.0)  # one call: the firmware stops internally at each of its deadlines
    r.t = 1000.0
    assert r.status["mode"] == "READY"
    status_frames = [t for t, ident, _ in r.can if ident == 0x101]
    assert len(status_frames) >= 1000
    identity = [data for _, ident, data in r.can if ident == 0x121]
    assert len(identity) == 1


def test_tick_zero_is_harmless_and_never_asks_for_zero_time(rig: Rig) -> None:
    rig.plug()
    for _ in range(5):
        rig.fw.tick(0.0)
        assert rig.fw.next_event_in() > 1e-9
    rig.advance(5.0)
    rig.set_ev("C")
    rig.advance(5.0)
    # zero-time ticks are asked for only right after an output the inputs depend on changed
    # (PWM on, test winding on/off): at most one per such change, never a loop
    assert rig.zero_ticks <= 4


def test_c_to_b_opens_after_open_after_b(rig: Rig) -> None:
    rig.charge()
    t = rig.set_ev("B")
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.hal.cp_mode == "pwm"  # PWM stays on
    assert rig.led == "blue/solid"
    assert rig.hal.lock  # still plugged: the lock holds


def test_c_to_a_opens_unlocks_and_stops_pwm(rig: Rig) -> None:
    rig.charge()
    t = rig.set_ev("A")
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.first("pwm", None, after=t) == A(t, abs=1e-9)
    assert rig.first("lock", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.led == "green/solid"


@pytest.mark.parametrize("key,value", [("timing.open_after_b_s", 0.15),
                                       ("timing.open_after_a_s", 0.3)])
def test_open_times_follow_the_profile(key: str, value: float) -> None:
    r = Rig({key: value})
    r.charge()
    t = r.set_ev("B" if key.endswith("_b_s") else "A")
    r.advance(1.0)
    assert r.first("contactor", False, after=t) == A(t + value, abs=1e-9)


def test_state_e_opens_after_fault_delay_shows_red_clears_on_a(rig: Rig) -> None:
    rig.charge()
    t = rig.set_ev("E")
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.led == "red/solid"
    assert rig.status["errors"] == ["CpFault"]
    assert rig.status["state"] == "E"
    assert not rig.hal.lock
    rig.set_ev("A")
    assert rig.status["errors"] == []
    assert rig.led == "green/solid"


def test_invalid_cp_level_is_a_fault_once_it_persists(rig: Rig) -> None:
    rig.charge()
    t = rig.set(cp_override=-5.0)  # outside every window
    assert rig.status["cp"] == "invalid"
    rig.advance(0.04)
    assert rig.hal.contactor and rig.status["errors"] == []
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.status["errors"] == ["CpFault"]
    rig.set(cp_override=None)
    rig.set_ev("A")
    assert rig.status["errors"] == []


def test_short_invalid_glitch_is_ignored(rig: Rig) -> None:
    rig.charge()
    rig.set(cp_override=-5.0)
    rig.advance(0.03)
    rig.set(cp_override=None)
    rig.advance(1.0)
    assert rig.hal.contactor and rig.status["errors"] == []


def test_state_d_without_ventilation_never_closes(rig: Rig) -> None:
    rig.plug()
    rig.advance(1.0)
    t = rig.set_ev("D")
    rig.advance(5.0)
    assert rig.first("contactor", True, after=t) is None
    assert rig.status["errors"] == ["VentilationRequired"]
    assert rig.led == "red/solid"


def test_state_d_during_charging_opens_within_fault_delay(rig: Rig) -> None:
    rig.charge()
    t = rig.set_ev("D")
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    rig.set_ev("C")  # back to C: a new charge cycle
    t_c = rig.t
    rig.advance(2.0)
    assert rig.first("contactor", True, after=t_c) == A(t_c + 0.5, abs=1e-9)
    assert rig.status["errors"] == []


def test_state_d_with_ventilation_charges() -> None:
    r = Rig({"ventilation.allow_state_d": True})
    r.plug()
    r.advance(1.0)
    t = r.set_ev("D")
    r.advance(2.0)
    assert r.first("contactor", True, after=t) == A(t + 0.5, abs=1e-9)
    assert r.status["state"] == "D2" and r.status["errors"] == []


def test_lock_before_close_false_locks_after_close() -> None:
    r = Rig({"lock.lock_before_close": False})
    r.plug()
    r.advance(1.0)
    t = r.set_ev("C")
    r.advance(2.0)
    t_close = r.first("contactor", True, after=t)
    assert t_close == A(t + 0.5, abs=1e-9)
    assert r.first("lock", True, after=t) == A(t_close + 0.2, abs=1e-9)


def test_lock_not_fitted_never_locks() -> None:
    r = Rig({"lock.fitted": False})
    r.charge()
    assert r.first("lock", True) is None


def test_lock_lead_time_follows_profile() -> None:
    r = Rig({"timing.lock_before_close_s": 0.3, "timing.close_after_c_s": 1.0})
    r.plug()
    r.advance(1.0)
    t = r.set_ev("C")
    r.advance(2.0)
    assert r.first("lock", True, after=t) == A(t + 0.7, abs=1e-9)
    assert r.first("contactor", True, after=t) == A(t + 1.0, abs=1e-9)


def test_pwm_start_delay_follows_profile() -> None:
    r = Rig({"timing.pwm_start_after_b_s": 0.75})
    t = r.plug()
    r.advance(2.0)
    assert r.first("pwm", A(10.0), after=t) == A(t + 0.75, abs=1e-9)


def test_limit_below_6a_stops_pwm_and_ev_staying_in_c_opens_after_pwm_stop(rig: Rig) -> None:
    rig.charge()
    rig.advance(20.0)  # soft start done
    t = rig.t
    rig.fw.set_installation_limit(0.0)
    rig.settle()
    rig.advance(10.0)
    t_pwm_off = rig.first("pwm", None, after=t)
    assert t_pwm_off == A(t + 0.5, abs=1e-9)  # duty_update_s later
    assert rig.first("contactor", False, after=t) == A(t_pwm_off + 3.0, abs=1e-9)
    assert rig.led == "yellow/flash"  # queued: waiting for current
    assert rig.status["state"] == "C1"


def test_queued_vehicle_starts_by_itself_when_current_returns(rig: Rig) -> None:
    rig.fw.set_installation_limit(4.0)
    rig.settle()
    rig.plug()
    rig.advance(5.0)
    assert rig.hal.cp_mode == "static" and rig.led == "yellow/flash"
    rig.set_ev("C")
    rig.advance(5.0)
    assert not rig.hal.contactor
    t = rig.t
    rig.fw.set_installation_limit(16.0)
    rig.settle()
    rig.advance(5.0)
    t_pwm = rig.first("pwm", A(10.0), after=t)
    assert t_pwm == A(t + 0.2, abs=1e-9)
    assert rig.first("contactor", True, after=t) == A(t_pwm + 0.5, abs=1e-9)


def test_diode_missing_never_closes_and_stops_pwm(rig: Rig) -> None:
    rig.diode = False
    t = rig.plug()
    rig.advance(1.0)
    rig.set_ev("C")
    rig.advance(5.0)
    assert rig.first("contactor", True, after=t) is None
    assert rig.status["errors"] == ["DiodeFault"]
    assert rig.hal.cp_mode == "static"
    assert rig.led == "red/solid"
    rig.diode = True
    rig.set_ev("A")
    assert rig.status["errors"] == []
    rig.charge()  # the next session charges


def test_diode_check_disabled_closes_anyway() -> None:
    r = Rig({"pilot.diode_check": False})
    r.diode = False
    r.plug()
    r.advance(1.0)
    t = r.set_ev("C")
    r.advance(2.0)
    assert r.first("contactor", True, after=t) == A(t + 0.5, abs=1e-9)


def test_diode_lost_during_charging_opens(rig: Rig) -> None:
    rig.charge()
    t = rig.set(diode=False)
    rig.advance(1.0)
    assert rig.first("contactor", False, after=t) == A(t + 0.05, abs=1e-9)
    assert rig.status["errors"] == ["DiodeFault"]


# ---- the knobs of issue 14's remaining defects -------------------------------------------------
@pytest.mark.parametrize(("defect", "mode"), [(False, "static"), (True, "pwm")])
def test_e_from_b_stops_the_pwm_unless_e_is_looked_for_only_while_charging(
    defect: bool, mode: str
) -> None:
    r = Rig({"pilot.e_while_charging_only": defect})
    r.plug()
    r.advance(1.0)
    assert r.hal.cp_mode == "pwm"
    r.set_ev("E")
    r.advance(1.0)
    assert r.hal.cp_mode == mode  # the defect keeps its PWM into the short


def test_e_from_c_opens_even_when_e_is_looked_for_only_while_charging() -> None:
    r = Rig({"pilot.e_while_charging_only": True})
    r.charge()
    t_e = r.set_ev("E")
    r.advance(1.0)
    assert r.first("contactor", False, after=t_e) == A(t_e + 0.05, abs=1e-9)


@pytest.mark.parametrize("to_state", ["B", "A"])
def test_open_jitter_waits_for_the_next_poll_tick(to_state: str) -> None:
    r = Rig({"timing.open_jitter_s": 0.1})
    r.charge()
    r.advance(0.013)  # off the tick grid
    t_stop = r.set_ev(to_state)
    r.advance(1.0)
    opened = r.first("contactor", False, after=t_stop)
    assert opened is not None and t_stop + 0.05 <= opened <= t_stop + 0.15 + 1e-9
    assert opened / 0.1 == A(round(opened / 0.1), abs=1e-6)  # on the poll tick


def test_authorisation_lost_after_the_first_session_until_a_power_cycle() -> None:
    r = Rig({"auth.latch_after_first_session": True})
    r.charge()
    r.set_ev("A")
    r.advance(2.0)
    t_b = r.plug()
    r.advance(5.0)
    assert r.first("pwm", A(10.0), after=t_b) is None  # lost: no PWM in the next session
    r.set_ev("A")
    r.set(supply_v=(0.0, 0.0, 0.0))
    r.advance(5.0)
    r.set(supply_v=(230.0, 230.0, 230.0))
    r.advance(r.profile.boot.time_s + 1.0)
    t_b = r.plug()
    r.advance(1.0)
    assert r.first("pwm", A(10.0), after=t_b) == A(t_b + 0.2, abs=1e-9)  # RAM: power cycle
