"""The EV emulator protocol over common instruments: relays, an oscilloscope, an AC load.

A lab without an EV emulator runs the same plans with this driver as its ``ev`` (README, "A
bench from common instruments"). It implements :class:`~rig.instruments.protocols.EvEmulator`:

* **Vehicle side**: :class:`~rig.instruments.relay_vehicle.RelayVehicle` (labgrid digital
  outputs: CP resistors, diode short, CP-PE short, CP and PP ladders).
* **The pilot** as the vehicle sees it: the scope's automatic measurements on channel 1
  (``measure_pilot``), one chained query per look.
* **The trace.** No instrument here keeps an event trace, so this driver writes one on the
  rig's clock (``time()``): its own commands (STATE, FAULT, PP, LOAD) when it sends them, and
  what it sees (CP, PWM, CONTACTOR) when it looks, at every ``events()``. The timing that the
  plans judge comes from the scope, not from looking: every state change that shows on the
  pilot is one triggered acquisition (:mod:`rig.scope_timing`): the scope is armed on the edge
  the change makes, the relays switch, and once the record is full the contactor (channel 2)
  and the PWM starting or stopping (channel 1) are found in it and written to the trace at the
  change's time plus what the record shows. While an acquisition fills, the trace holds back
  CONTACTOR and PWM changes (a look would time them at the look, not when they happened).
* **The load**: an AC electronic load on L1 (optional), set to what the vehicle would draw:
  the wanted current, at most what the PWM advertises, while the vehicle asks for charge.

What it cannot do (features this rig does not declare, so the plans' steps that need them are
NOT_RUN): the LED colour sensor (``led-sensor``; :meth:`led` raises), the socket lock sense
(``lock-sensor``), three load phases (``three-phase``). Changes that do not show on the pilot
(a diode short, CP to PE while PWM runs) and changes the charger makes on its own (a new limit,
PWM stopping) are timed by looking, to the plan's polling interval.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass
from typing import Any

from rig.errors import RigError
from rig.instruments.protocols import EvEmulator, Event, Identity, Oscilloscope, PilotMeasurement
from rig.instruments.relay_vehicle import RelayVehicle
from rig.scope_timing import THRESHOLD_V, change_instant, contactor_instant

log = logging.getLogger("rig")

#: Nominal positive plateau of each vehicle state, V (IEC 61851-1 Table A.3).
PLATEAU_V = {"A": 12.0, "B": 9.0, "C": 6.0, "D": 3.0, "E": 0.0}
#: The charger's CP source resistor and the vehicle diode's drop (for a ladder's plateau).
SOURCE_OHM, DIODE_V = 1000.0, 0.7
#: Records: how long after the change, s, by what the change makes the charger do.
WINDOW_CLOSING_S = 5.0  # TM-01: close within 3 s of C
WINDOW_CONNECT_S = 2.0  # TM-06: PWM within 1 s of B
WINDOW_OPENING_S = 0.5  # TM-02/TM-03: open within 0.1 s
PRETRIGGER_SHARE = 0.05
RECORD_POINTS = 5000
#: Points of channel 1 in a record whose PWM matters (starting or stopping): ten per PWM period
#: at least, so the samples cannot alias with the PWM.
#: Longer records (a closing, 5 s) are not searched for the PWM: it runs through them.
PILOT_POINTS = (5000, 10000, 20000)
#: A pilot below this (V) in a record means the PWM's negative half-wave: PWM on.
PWM_NEGATIVE_V = -6.0
#: A record not triggered this long after its window (rig time) is given up, s.
GIVE_UP_S = 1.0


def classify(top_v: float) -> str:
    """The state a vehicle reads from the positive plateau (IEC 61851-1 Table A.4)."""
    for letter, low in (("A", 10.5), ("B", 7.5), ("C", 4.5), ("D", 1.5), ("E", -1.5)):
        if top_v >= low:
            return letter
    return "F"


def ladder_plateau(ohm: float) -> float:
    return DIODE_V + (12.0 - DIODE_V) * ohm / (SOURCE_OHM + ohm)


@dataclass
class Pending:
    """An acquisition armed for one state change."""

    t_change: float  # rig time of the relay command
    trigger: str  # edge | runt
    pwm_hz: float | None
    duty: float
    contactor_was: bool
    pwm_was: bool
    window: float  # record length after the trigger, s
    until: float = math.inf  # rig time by which its record is full


class ComposedEv(EvEmulator):
    """``EvEmulator`` built from a relay board, an oscilloscope and (optionally) an AC load."""

    def __init__(self, name: str, relays: RelayVehicle, scope: Oscilloscope,
                 load: Any = None, clock: Any = None, probe_skew_s: float = 0.0):
        self.name = name
        self.relays = relays
        self.scope = scope
        self.load = load
        self.clock = clock
        self.probe_skew_s = probe_skew_s
        self.resource = f"relays + {scope.name}" + (f" + {load.name}" if load else "")
        self._events: list[Event] = []
        self._seen: dict[str, str] = {}
        self._pending: Pending | None = None
        self._set_up = False
        self._want_a = 0.0
        self._load_on = False
        self.given_up = 0  # acquisitions that never triggered (timed by looking instead)
        self._last_pilot: PilotMeasurement | None = None
        self._load_set: tuple[bool, float | None] | None = None  # what the load was told

    # ---- instrument ------------------------------------------------------------------------
    def identify(self) -> Identity:
        parts = [self.scope.identify().model]
        if self.load is not None:
            parts.append(self.load.identify().model)
        return Identity("evse-rig", "composed EV (relays + " + " + ".join(parts) + ")", "",
                        "1.0")

    def raise_errors(self, command: str = "") -> None:
        self.scope.raise_errors(command)
        if self.load is not None:
            self.load.raise_errors(command)

    def make_safe(self) -> None:
        problems = self.relays.make_safe()
        if self.clock is not None:
            self._add("STATE", "A")
        if self.load is not None:
            self.load.load_off()
        self._load_on = False
        self._load_set = None
        self._pending = None
        self.scope.run()
        if problems:
            raise RigError(f"{self.name}: relays not opened: {'; '.join(problems)}")

    def _now(self) -> float:
        if self.clock is None:
            raise RigError(f"{self.name}: no rig clock attached (the rig session sets it)")
        return float(self.clock.now())

    def time(self) -> float:
        return self._now()

    def _setup(self) -> None:
        if self._set_up:
            return
        if self.load is not None:
            self.load.configure()
        self.scope.configure_channel(1, 5.0)
        self.scope.configure_channel(2, 100.0, probe=100.0)
        self.scope.run()
        self._set_up = True

    # ---- the trace ---------------------------------------------------------------------------
    def _add(self, kind: str, value: str, t: float | None = None) -> Event:
        event = Event(self._now() if t is None else t, kind, value)
        bisect.insort_right(self._events, event, key=lambda e: e.t)
        return event

    def events(self, since: float | None = None) -> list[Event]:
        self._look()
        if since is None:
            return list(self._events)
        return self._events[bisect.bisect_left(self._events, since, key=lambda e: e.t):]

    def clear_events(self) -> None:
        self._events.clear()

    def _look(self) -> None:
        """Resolve a full record, then write what the pilot and the socket show now."""
        self._setup()
        pending = self._pending
        if pending is not None:
            if self.scope.complete():
                self._resolve(pending)
            elif self._now() > pending.until + GIVE_UP_S:
                self.given_up += 1
                self._pending = None
                self.scope.run()
            else:
                self._look_live(hold_back=True)
                return
        self._look_live(hold_back=False)

    def _look_live(self, hold_back: bool) -> None:
        pilot, inlet = self._measure()
        contactor = inlet > THRESHOLD_V / math.sqrt(2.0)
        pwm = "OFF" if math.isnan(pilot.duty_pct) else f"{pilot.duty_pct:.2f}"
        changes = {"CP": pilot.state}
        if not hold_back:
            changes.update(PWM=pwm, CONTACTOR=str(int(contactor)))
        for kind, value in changes.items():
            if self._seen.get(kind) != value:
                self._seen[kind] = value
                self._add(kind, value)
        self._follow_pwm(pilot)

    def _resolve(self, pending: Pending) -> None:
        """The contactor and the PWM in the record, at their own instants."""
        self._pending = None
        ch2 = self.scope.record(2, RECORD_POINTS)
        need = 10.0 * pending.window * (pending.pwm_hz or 1000.0)
        points = next((p for p in PILOT_POINTS if p >= need), None)
        ch1 = self.scope.record(1, points) if points is not None else None
        self.scope.run()
        t0, _ = change_instant(pending.trigger, pending.pwm_hz, pending.duty, ch2.dx)
        closed, _ = contactor_instant(ch2, closing=not pending.contactor_was)
        if closed is not None:
            value = str(int(not pending.contactor_was))
            self._add("CONTACTOR", value, pending.t_change + closed - t0)
            self._seen["CONTACTOR"] = value
        if ch1 is None:
            return
        first = max(0, math.ceil(-ch1.x0 / ch1.dx))
        period = 1.0 / (pending.pwm_hz or 1000.0)
        negative = [v < PWM_NEGATIVE_V for v in ch1.values]
        if not pending.pwm_was:
            hit = next((i for i in range(first, len(negative)) if negative[i]), None)
            if hit is not None:
                duty = self.scope.measure("duty")
                value = "OFF" if math.isnan(duty) else f"{duty:.2f}"
                self._add("PWM", value, pending.t_change + ch1.time(hit) - t0)
                self._seen["PWM"] = value
        else:
            quiet = math.ceil(2 * period / ch1.dx) + 1
            last = None
            for i in range(first, len(negative)):
                if negative[i]:
                    last = i
                elif i - (first if last is None else last) >= quiet:
                    t_off = ch1.time(last) if last is not None else ch1.time(first)
                    self._add("PWM", "OFF", pending.t_change + t_off - t0)
                    self._seen["PWM"] = "OFF"
                    break

    # ---- changes the rig makes ----------------------------------------------------------------
    def _arm(self, new_top: float) -> None:
        """Arm an acquisition on the edge the pilot will make; nothing if it makes none."""
        self._look()
        if self._pending is not None:  # an earlier change's record is not full yet: give it up
            self._pending = None
            self.scope.run()
        pilot = self._last_pilot or self.measure_pilot()
        old_top, pwm = pilot.high_v, not math.isnan(pilot.duty_pct)
        if abs(new_top - old_top) < 1.0 or new_top < 1.0:
            return None  # no edge a trigger can tell from the PWM's own (e.g. into E)
        contactor = self._seen.get("CONTACTOR") == "1"
        closing = new_top < 7.5 and not contactor
        window = (WINDOW_CLOSING_S if closing else
                  WINDOW_CONNECT_S if not pwm and new_top > 7.5 else WINDOW_OPENING_S)
        self.scope.configure_timebase(window / 10.0, pretrigger_s=PRETRIGGER_SHARE * window)
        middle = (old_top + new_top) / 2
        if new_top > old_top or not pwm:
            self.scope.arm_edge(middle, rising=new_top > old_top)
            trigger = "edge"
        else:
            self.scope.arm_runt(new_top / 2, middle)
            trigger = "runt"
        freq = pilot.frequency_hz if pwm else None
        duty = pilot.duty_pct / 100.0 if pwm else 1.0
        self._pending = Pending(0.0, trigger, freq, duty, contactor, pwm, window)
        return None

    def _changed(self, kind: str, value: str) -> float:
        pending = self._pending
        event = self._add(kind, value)
        if pending is not None:
            pending.t_change = event.t
            pending.until = event.t + pending.window
        return event.t

    def set_state(self, state: str) -> float:
        self._setup()
        self._arm(PLATEAU_V.get(state, 12.0))
        self.relays.set_state(state)
        return self._changed("STATE", state)

    def set_resistance(self, ohm: float | None) -> float:
        self._setup()
        self._arm(12.0 if ohm is None else ladder_plateau(ohm))
        self.relays.set_resistance(ohm)
        return self._changed("STATE", "A" if ohm is None else f"R{ohm:g}")

    def set_fault(self, fault: str) -> float:
        """NONE, DIODE_SHORT, CP_PE_SHORT; CP_OPEN and PE_OPEN need wiring this board lacks."""
        self._setup()
        if fault in ("CP_OPEN", "PE_OPEN"):
            raise RigError(f"{self.name}: fault {fault} needs a relay in the CP or PE line that "
                           "this relay board does not have")
        self._look()
        self.relays.set_fault(fault)
        return self._changed("FAULT", fault)

    def set_cable(self, pp_ohm: float | None) -> None:
        self.relays.set_cable(pp_ohm)
        self._add("PP", "NONE" if pp_ohm is None else f"{pp_ohm:g}")

    # ---- load ----------------------------------------------------------------------------------
    def set_load(self, current_a: float | list[float], phases: int = 3,
                 power_factor: float = 1.0) -> None:
        """What the vehicle wants on L1 (the load is single-phase; phases 2 and 3 draw none)."""
        first = current_a[0] if isinstance(current_a, list) else current_a
        if isinstance(first, bool) or not isinstance(first, int | float) or not 0 <= first <= 80:
            raise ValueError(f"current_a = {current_a!r}: 0 ... 80 A is expected")
        self._want_a = float(first)
        if self.load is not None:
            self.load.set_power_factor(power_factor)

    def load_on(self) -> None:
        self._load_on = True
        self._add("LOAD", "1")

    def load_off(self) -> None:
        self._load_on = False
        if self.load is not None:
            self.load.load_off()
        self._load_set = (False, None)
        self._add("LOAD", "0")

    def _follow_pwm(self, pilot: PilotMeasurement) -> None:
        """A vehicle draws at most what the PWM advertises, and only while asking (C, D): the
        load is told only when that changes."""
        if self.load is None:
            return
        from rig.standards.iec61851 import current_for_duty

        asking = self._load_on and pilot.state[:1] in ("C", "D") and not math.isnan(
            pilot.duty_pct)
        want = (True, round(min(self._want_a, current_for_duty(pilot.duty_pct)), 3)) \
            if asking else (False, None)
        if want == self._load_set:
            return
        if asking:
            self.load.set_current(want[1])
            self.load.load_on()
        else:
            self.load.load_off()
        self._load_set = want

    def load_current(self, phase: int = 1) -> float:
        if self.load is None or phase != 1:
            return 0.0
        return float(self.load.measure_current())

    # ---- what the vehicle sees ---------------------------------------------------------------
    def _measure(self) -> tuple[PilotMeasurement, float]:
        """The pilot (channel 1) and the socket's voltage (channel 2), in one message."""
        top, base, freq, duty, rise, fall, inlet = self.scope.measure_many(
            [("top", 1), ("base", 1), ("frequency", 1), ("duty", 1), ("rise", 1), ("fall", 1),
             ("rms", 2)])
        letter = classify(top)
        state = letter if letter in ("E", "F") else letter + ("1" if math.isnan(freq) else "2")
        pilot = PilotMeasurement(freq, duty, top, base, rise, fall, state)
        self._last_pilot = pilot
        return pilot, 0.0 if math.isnan(inlet) else inlet

    def measure_pilot(self) -> PilotMeasurement:
        return self._measure()[0]

    def inlet_voltage(self, phase: int = 1) -> float:
        """L1-N at the socket (channel 2), V rms. The scope sees L1 only; the contactor
        switches every pole at once, so L1 stands for phases 2 and 3."""
        return self._measure()[1]

    def led(self) -> tuple[str, str]:
        raise RigError(f"{self.name}: this rig has no LED colour sensor (feature led-sensor)")

    # ---- watchdog: the relay board's own (configured on the board) -------------------------------
    def arm_watchdog(self, delay_s: float) -> None:
        """A Modbus relay board's communication watchdog is set on the board itself."""

    def disarm_watchdog(self) -> None:
        pass
