"""The IEC 61851-1 state machine: CP states, PWM, charge cycle, contactor, lock and faults.

Level-based on purpose: every step re-derives what must be true from the inputs and the time
since each condition began, and every delay is a deadline (``x_since + delay``). Evaluating the
same instant twice changes nothing, so ``tick(0)`` is always harmless, and the host can jump
straight from one deadline to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from zapcharger.auth import Authoriser
from zapcharger.hal import HalIo
from zapcharger.limits import CurrentLimits
from zapcharger.pilot import (
    INVALID,
    MAX_CURRENT_A,
    MIN_CURRENT_A,
    classify,
    duty_for_current,
    negative_level_ok,
)
from zapcharger.pp import cable_rating
from zapcharger.profile import Profile
from zapcharger.rcd import RcdSupervisor
from zapcharger.softstart import SoftStart
from zapcharger.supervision import SupplyMonitor, ThermalMonitor
from zapcharger.timebase import EPS, due

#: CP states with a vehicle that may be offered current.
PLUGGED = ("B", "C", "D")
#: CP readings that mean "something is plugged in" (including faults).
VEHICLE = ("B", "C", "D", "E", INVALID)
#: With ``lock.lock_before_close`` false (a defect) the lock engages this long after the close.
LATE_LOCK_S = 0.2


@dataclass(frozen=True)
class Seen:
    """Outputs as the host saw them when this tick began: the inputs were computed from these."""

    pwm: bool
    generator_positive: bool
    winding: bool


@dataclass
class Cycle:
    """One charge cycle being prepared: self-test, lock, then the contactor close."""

    start: float
    close_at: float
    lock_at: float | None
    test_end: float | None
    passed: bool


class ChargeController:
    """CP classification, PWM, contactor, lock, RCD self-test and the session."""

    def __init__(
        self,
        profile: Profile,
        now: float,
        rcd: RcdSupervisor,
        limits: CurrentLimits,
        soft: SoftStart,
        auth: Authoriser,
        supply: SupplyMonitor,
        thermal: ThermalMonitor,
    ):
        self.p = profile
        self.rcd, self.limits, self.soft, self.auth = rcd, limits, soft, auth
        self.supply, self.thermal = supply, thermal
        self.cp = "F"
        self.cp_since = now
        self.pwm = False
        self.pwm_since = now
        self.contactor = False
        self.contactor_since = now
        self.lock = False
        self.winding = False
        self.faults: dict[str, float] = {}  # latched fault -> instant the contactor must be open
        self.cycle: Cycle | None = None
        self.late_lock_at: float | None = None
        self.allowed_since: float | None = None
        self.diode_verified = False
        self.plugged = False  # a session is under way (vehicle seen since the last A)
        self.stopped = False  # the session was ended by the EVSE side (remote/local stop)
        self.tx_started = False  # the session's transaction was opened
        self.available = True
        self.pp_rating: float | None = None
        self._first_cable: float | None = None  # cable.read_once (a defect)
        self.pp_invalid = False
        self.e_ignored = False  # pilot.e_while_charging_only (a defect) holds a 0 V pilot
        self.advertised = 0.0
        self.duty: float | None = None
        self._since: dict[str, float] = {}
        self.events: list[tuple[str, Any]] = []

    # ---- views ----------------------------------------------------------------------------
    def iec_state(self) -> str:
        """IEC state with the x1/x2 suffix (A1..D2), ``E`` for E or invalid, ``F``."""
        if self.cp in ("A", "B", "C", "D"):
            return self.cp + ("2" if self.pwm else "1")
        if self.cp in ("E", INVALID):
            return "E"
        return "F"

    def transitional(self) -> bool:
        """The generator just went positive and the CP has not been read back yet."""
        return self.cp == "F" and self.available

    def ventilation_error(self) -> bool:
        """The vehicle asks for state D and the station cannot ventilate."""
        return self.cp == "D" and not self.p.ventilation.allow_state_d

    def pop_events(self) -> list[tuple[str, Any]]:
        """Events since the last call (for console lines, OCPP and CAN)."""
        out, self.events = self.events, []
        return out

    # ---- the step -------------------------------------------------------------------------
    def step(self, now: float, hal: HalIo, seen: Seen) -> None:
        """Evaluate the whole machine at instant ``now``."""
        self._classify(now, hal, seen)
        self._supervise_rcd(now, seen)
        self._cable(now, hal)
        self._detect_faults(now, hal, seen)
        self._track("supply", self.supply.bad, now)
        self.limits.update(now, self.pwm)
        self._control_pwm(now)
        self._run_cycle(now, hal)
        self._control_opening(now)
        self._control_lock(now)
        self._end_session()
        self._advertise(now)

    def _classify(self, now: float, hal: HalIo, seen: Seen) -> None:
        if self.available and seen.generator_positive:
            cp = classify(hal.cp_high_v, self.p.pilot.state_window_v)
            if cp == "F":  # -12 V while we drive a positive level: not a state
                cp = INVALID
        else:
            cp = "F"  # we drive -12 V (or just stopped doing so): the CP says nothing
        # the defect: outside a charge nobody looks for E; a 0 V pilot is taken for a glitch,
        # the last state holds and nothing of the pilot is checked (not even the diode)
        self.e_ignored = cp == "E" and self.p.pilot.e_while_charging_only and not self.contactor
        if cp == self.cp or self.e_ignored:
            return
        self.cp, self.cp_since = cp, now
        self.events.append(("cp", cp))
        if cp in VEHICLE:
            self.plugged = True
        if cp == "A":
            for name in list(self.faults):
                self._clear_fault(name)
            self.rcd.selftest_failed = False
            if self.rcd.latched and self.p.rcd.reset_on_unplug and self.p.rcd.unplug_clears:
                self.rcd.clear_latch()
                self.events.append(("rcd_reset", "unplug"))

    def _supervise_rcd(self, now: float, seen: Seen) -> None:
        blank = self.winding or seen.winding
        channel = self.rcd.check_trip(now, armed=self.cp in VEHICLE and not blank)
        if channel is not None:
            self._set_contactor(False, now)  # at the trip instant, no delay
            self._set_pwm(False, now)
            self._cancel_cycle()
            self.events.append(("rcd_trip", channel))
        if self.rcd.check_self_clear():
            self.events.append(("rcd_reset", "self"))

    def _cable(self, now: float, hal: HalIo) -> None:
        rating = cable_rating(hal.pp_ohm)
        if self.p.cable.read_once:  # the defect: the first cable of this power-up, for good
            if self._first_cable is None and rating is not None and self.cp in PLUGGED:
                self._first_cable = rating
            rating = self._first_cable if self._first_cable is not None else rating
        self.pp_rating = rating
        self.pp_invalid = (
            self.cp in PLUGGED and self.pp_rating is None and self.p.cable.reject_invalid_pp
        )
        self._track("pp", self.pp_invalid, now)
        honour = self.p.cable.honour_pp and self.pp_rating is not None
        self.limits.cable_a = self.pp_rating if honour else None

    def _detect_faults(self, now: float, hal: HalIo, seen: Seen) -> None:
        delay = self.p.timing.open_after_fault_s
        if self.cp == "E" or (self.cp == INVALID and due(self.cp_since + delay, now)):
            self._raise_fault("CpFault", self.cp_since + delay)
        pilot = self.p.pilot
        checking = pilot.diode_check and not self.e_ignored
        if checking and self.pwm and seen.pwm and self.cp in PLUGGED:
            if negative_level_ok(hal.cp_low_v, pilot.low_v, pilot.state_window_v):
                self.diode_verified = True
            elif pilot.diode_fault_shown:
                self._raise_fault("DiodeFault", now + delay)
            # else: unverified, so the contactor never closes, but nothing is shown

    def _control_pwm(self, now: float) -> None:
        want = (
            self.cp in PLUGGED
            and self.available
            and not self.faults
            and not self.rcd.latched
            and not self.pp_invalid
            and not self.supply.bad
            and not self.thermal.stopped
            and not self.stopped
            and self.auth.ok()
        )
        if self.pwm and (not want or self.limits.applied < MIN_CURRENT_A - 1e-9):
            self._set_pwm(False, now)
        if self.pwm:
            return
        if want and self.limits.live >= MIN_CURRENT_A - 1e-9:
            if self.allowed_since is None:
                self.allowed_since = now
            if due(self._tick(self.allowed_since + self.p.timing.pwm_start_after_b_s), now):
                self._set_pwm(True, now)
        else:
            self.allowed_since = None

    def _run_cycle(self, now: float, hal: HalIo) -> None:
        if self.contactor:
            return
        charge_cp = self.cp == "C" or (self.cp == "D" and self.p.ventilation.allow_state_d)
        ok = self.pwm and charge_cp and not self.faults and not self.rcd.latched
        if self.cycle is None and ok:
            self._start_cycle(now)
        elif self.cycle is not None and not ok:
            self._cancel_cycle()
        cycle = self.cycle
        if cycle is None:
            return
        if cycle.test_end is not None and due(cycle.test_end, now):
            passed = hal.rcd_dc_ma >= 0.5 * self.p.rcd.self_test_ma
            self._set_winding(False)
            cycle.test_end, cycle.passed = None, passed
            self.rcd.self_test_done(passed)
            self.events.append(("selftest", passed))
            if not passed:
                self.cycle = None
                self._raise_fault("RcdSelfTestFailed", now)
                return
        if cycle.lock_at is not None and due(cycle.lock_at, now):
            cycle.lock_at = None
            self._set_lock(True)
        if cycle.passed and due(cycle.close_at, now):
            if self.p.pilot.diode_check and not self.diode_verified:
                return  # the negative level has not been seen yet: wait for the next input
            self.cycle = None
            self._set_contactor(True, now)
            self.soft.start(now)
            if self.p.lock.fitted and not self.p.lock.lock_before_close and not self.lock:
                self.late_lock_at = now + LATE_LOCK_S

    def _start_cycle(self, now: float) -> None:
        p = self.p
        close_at = now + p.timing.close_after_c_s
        test_end = None
        if p.rcd.self_test:
            test_end = now + p.rcd.self_test_s
            close_at = max(close_at, test_end)
            self._set_winding(True)
        close_at = self._tick(close_at)
        lock_at = None
        if p.lock.fitted and p.lock.lock_before_close and not self.lock:
            lock_at = max(now, close_at - p.timing.lock_before_close_s)
        self.cycle = Cycle(now, close_at, lock_at, test_end, passed=not p.rcd.self_test)
        self.events.append(("cycle", now))

    def _tick(self, t: float, period: float | None = None) -> float:
        """``t``, or with ``timing.task_period_s`` (or ``period``) the first task tick at or
        after it (a firmware whose main loop acts only every period: its delays jitter by up
        to one)."""
        if period is None:
            period = self.p.timing.task_period_s
        if period <= 0.0:
            return t
        return math.ceil(t / period - 1e-9) * period

    def _cancel_cycle(self) -> None:
        if self.cycle is not None:
            self.cycle = None
            self._set_winding(False)

    def open_deadline(self) -> float | None:
        """Instant the contactor must be open by, from every opening rule that applies now."""
        t = self.p.timing
        cp, since = self.cp, self.cp_since
        times: list[float] = list(self.faults.values())
        if cp == "A":
            times.append(self._tick(since + t.open_after_a_s, t.open_jitter_s))
        elif cp == "B":
            times.append(self._tick(since + t.open_after_b_s, t.open_jitter_s))
        elif cp in ("E", INVALID, "F") or (
            self.ventilation_error() and self.p.ventilation.stop_on_d_while_charging
        ):
            times.append(since + t.open_after_fault_s)
        for name in ("pp", "supply"):
            if name in self._since:
                times.append(self._since[name] + t.open_after_fault_s)
        if not self.pwm and cp in ("C", "D"):
            times.append(max(self.pwm_since, since) + t.open_after_pwm_stop_s)
        if self.rcd.latched and self.rcd.trip_time is not None:
            times.append(self.rcd.trip_time)
        return min(times) if times else None

    def _control_opening(self, now: float) -> None:
        if self.contactor and due(self.open_deadline(), now):
            self._set_contactor(False, now)

    def _control_lock(self, now: float) -> None:
        if self.late_lock_at is not None and due(self.late_lock_at, now):
            self.late_lock_at = None
            if self.contactor:
                self._set_lock(True)
        if self.lock and not self.contactor and self.cycle is None:
            gone = self.cp in ("A", "E", INVALID)
            if gone or self.stopped or self.faults or self.rcd.latched:
                self._set_lock(False)

    def _end_session(self) -> None:
        if self.cp == "A" and self.plugged and not self.contactor:
            self.plugged = False
            self.stopped = False
            self.tx_started = False
            self.auth.clear()
            self.events.append(("session_end", None))

    def _advertise(self, now: float) -> None:
        if not self.pwm:
            self.advertised, self.duty = 0.0, None
            return
        target = self.limits.applied
        self.soft.update(now, target)
        current = min(target, self.soft.ceiling())
        self.advertised = min(MAX_CURRENT_A, max(MIN_CURRENT_A, current))
        duty = duty_for_current(self.advertised) + self.p.pilot.duty_offset_pct
        self.duty = min(100.0, max(0.0, duty))

    # ---- actions --------------------------------------------------------------------------
    def _track(self, name: str, active: bool, now: float) -> None:
        if active:
            self._since.setdefault(name, now)
        else:
            self._since.pop(name, None)

    def _raise_fault(self, name: str, open_by: float) -> None:
        if name not in self.faults:
            self.faults[name] = open_by
            self.events.append(("fault", name))

    def _clear_fault(self, name: str) -> None:
        if self.faults.pop(name, None) is not None:
            self.events.append(("fault_cleared", name))

    def _set_pwm(self, on: bool, now: float) -> None:
        if self.pwm == on:
            return
        self.pwm, self.pwm_since = on, now
        self.allowed_since = None
        self.diode_verified = False
        if on:
            self.soft.reset()
        self.events.append(("pwm", on))

    def _set_contactor(self, on: bool, now: float) -> None:
        if self.contactor == on:
            return
        self.contactor, self.contactor_since = on, now
        if not on:
            self.soft.reset()
            self.late_lock_at = None
        self.events.append(("contactor", on))

    def _set_lock(self, on: bool) -> None:
        if self.lock != on:
            self.lock = on
            self.events.append(("lock", on))

    def _set_winding(self, on: bool) -> None:
        if self.winding != on:
            self.winding = on
            self.events.append(("winding", on))

    def stop_session(self) -> None:
        """The EVSE side ends the session (remote/local stop): no PWM until unplug."""
        self.stopped = True

    # ---- time -----------------------------------------------------------------------------
    def deadlines(self, now: float, hal: HalIo, seen: Seen) -> list[float]:
        """Every instant at which this machine must be evaluated again."""
        out: list[float] = []
        t = self.p.timing
        if self.allowed_since is not None and not self.pwm:
            out.append(self._tick(self.allowed_since + t.pwm_start_after_b_s))
        if self.cp == INVALID and "CpFault" not in self.faults:
            out.append(self.cp_since + t.open_after_fault_s)
        if self.cycle is not None:
            c = self.cycle
            out.extend(x for x in (c.test_end, c.lock_at, c.close_at) if x is not None)
        if self.contactor:
            deadline = self.open_deadline()
            if deadline is not None:
                out.append(deadline)
        if self.late_lock_at is not None:
            out.append(self.late_lock_at)
        out.extend(self.limits.deadlines())
        if self.pwm:
            out.extend(self.soft.deadlines())
        blank = self.winding or seen.winding
        out.extend(
            self.rcd.deadlines(now, hal.rcd_dc_ma, hal.rcd_ac_ma, self.cp in VEHICLE, blank)
        )
        return out


__all__ = ["EPS", "PLUGGED", "VEHICLE", "ChargeController", "Cycle", "Seen"]
