"""The emulated bench: one object holding the model, the charger firmware and the clock.

Everything that changes the model (an instrument command, a control-port command, the clock)
goes through :class:`Bench` under :attr:`Bench.lock`. After any input changes, the firmware gets
``tick(0)`` so it reacts at that very instant; time then advances in steps that end exactly at
the next firmware deadline or model event (see :mod:`rig.bench.model`).
"""

from __future__ import annotations

import importlib
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from zapcharger.hal import FirmwareOptionError, HalIo
from zapcharger.profile import Profile, ProfileError

from rig.bench.model import (
    EV_STATE_OHM,
    VOLTAGE_PRESENT_V,
    AcSourceState,
    EventTrace,
    EvState,
    InjectorState,
    Integrator,
    PulseCounterState,
    SafetyTesterState,
    classify_cp,
    cp_levels,
    current_from_duty,
    lag_step,
)

log = logging.getLogger(__name__)

#: Smallest step the scheduler takes, s; protects against a firmware that never lets time pass.
MIN_STEP_S = 1e-9
#: Longest step without a firmware deadline, s: the model is analytic, this only bounds the
#: staleness of the thermal and housekeeping inputs of a firmware that declares no deadline.
MAX_STEP_S = 1.0


class Downloads:
    """The charger's network stack for firmware images (``Firmware.network``): ``start(url)``
    hands the download to the host (wall time, like the OCPP link), which sets ``data`` or
    ``error``; a bench without a host's network says so."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.data: bytes | None = None
        self.error = ""

    def start(self, url: str) -> None:
        self.data, self.error = None, ""
        if self.bench.fetch_sink is None:
            self.error = "no network on this bench"
        else:
            self.bench.fetch_sink(url)


def rotate(values: list[float], places: int) -> list[float]:
    """``values`` rotated left by ``places`` (the phase selector: outlet L1 = terminal places+1)."""
    k = places % 3
    return list(values[k:]) + list(values[:k])


class BenchError(RuntimeError):
    """The bench itself cannot go on (a firmware that does not let time pass, bad wiring)."""


def load_firmware_class(entry: str) -> type:
    """The firmware image the profile names: ``module:Class`` (Python), or ``c:PATH`` (a shared
    library implementing the C ABI of ``firmware-under-test/include/evse_hal.h``, adapted to the
    HAL by :mod:`zapcharger.cabi`; a relative PATH is taken from the working directory)."""
    if entry.startswith("c:"):
        from zapcharger.cabi import CAbiError, c_firmware_class

        try:
            return c_firmware_class(entry[2:])
        except CAbiError as exc:
            raise BenchError(f"cannot load firmware '{entry}': {exc}") from None
    module_name, _, class_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name or "Firmware")
    except (ImportError, AttributeError) as exc:
        raise BenchError(f"cannot load firmware '{entry}': {exc}") from exc


def start_firmware(profile: Profile, hal: HalIo) -> Any:
    """Load and construct the profile's firmware on ``hal``; the firmware validates its own
    ``firmware_options``. A refused option is a :class:`ProfileError` naming
    ``firmware_options.<key>``; a firmware that cannot start at all is a :class:`BenchError`.
    Either way nothing of the running bench has changed yet."""
    cls = load_firmware_class(profile.firmware_entry)
    try:
        return cls(hal, profile)
    except FirmwareOptionError as exc:
        raise ProfileError(f"firmware {profile.firmware_entry}", f"firmware_options.{exc.key}",
                           exc.expected) from None
    except Exception as exc:  # another team's image: any failure to start is the rig's ERROR
        raise BenchError(f"firmware '{profile.firmware_entry}' failed to start: "
                         f"{type(exc).__name__}: {exc}") from exc


def next_event_in(firmware: Any) -> float:
    """The firmware's next deadline, checked against the HAL contract (a float >= 0, or
    ``math.inf``): a firmware that breaks it stops the bench with a clear message instead of
    letting time run wrong."""
    due = firmware.next_event_in()
    if isinstance(due, bool) or not isinstance(due, int | float) or math.isnan(due) or due < 0:
        raise BenchError(
            f"the firmware broke the HAL contract: next_event_in() returned {due!r} (a float "
            ">= 0 is required, math.inf when nothing is pending; see zapcharger/hal.py)")
    return float(due)


class Bench:
    """The emulated lab: supply, charger, socket, cable, analyser, EV, injectors, clock."""

    def __init__(self, profile: Profile, clock: str = "virtual", ambient_c: float = 25.0):
        if clock not in ("virtual", "realtime"):
            raise ValueError(f"clock must be 'virtual' or 'realtime', not {clock!r}")
        self.lock = threading.RLock()
        self.clock = clock
        self.now = 0.0
        self.profile = profile
        self.ambient_c = ambient_c
        self.sources = {
            "ac1": AcSourceState("ac1", phases=1),
            "ac3": AcSourceState("ac3", phases=3),
        }
        self.ev = EvState()
        self.injectors = {"smu": InjectorState(), "cs": InjectorState()}
        self.integrator = Integrator()
        self.safety_tester = SafetyTesterState()
        self.trace = EventTrace()
        self.cut_until: float | None = None  # bench supply cut (upstream of the sources)
        #: The unit sits in the fixture's nest (BENCH:FIXTURE:PULL lifts it out: its supply
        #: terminals, pilot, PE and console lose their contacts; loading a unit puts it back).
        self.unit_present = True
        self.rcd_sensor_ok = True
        self.meter_e_wh = [0.0, 0.0, 0.0]
        #: Pulses the charger's test output has given since the bench started (every firmware
        #: load and power-up restarts the HAL's count; this total never goes back).
        self.test_output_pulses = 0
        self._pulses_seen = 0
        self.counter = PulseCounterState()
        #: UID of the RFID tag on the charger's reader (the tag presenter's; None: no tag).
        self.tag_uid: str | None = None
        self.listeners: list[Callable[[], None]] = []  # called after every settle
        #: Called at every instant the model's outputs are recorded (each step of ``advance``
        #: and each change): an oscilloscope's acquisition memory samples the signals here.
        self.samplers: list[Callable[[], None]] = []
        self.ticks = 0
        #: Longest step without a deadline (:data:`MAX_STEP_S`); an installation's stations,
        #: with nobody watching them between events, take longer ones.
        self.max_step_s = MAX_STEP_S
        self._seen: dict[str, Any] = {}
        self.hal = HalIo()
        self.firmware: Any = None
        self.console_sink: Callable[[str], None] = lambda text: None
        self.can_sink: Callable[[int, bytes, float], None] = lambda i, d, t: None
        self.ocpp_sink: Callable[[str], None] = lambda text: None
        #: The charger's HTTP client (firmware images, OCPP UpdateFirmware): the host's.
        self.fetch_sink: Callable[[str], None] | None = None
        self.downloads = Downloads(self)
        self.load_profile(profile)

    # ---- firmware ----------------------------------------------------------------------
    def load_profile(self, profile: Profile) -> None:
        """(Re)load the firmware with ``profile``: the charger restarts from power-off."""
        hal = HalIo()
        hal.console_tx = lambda text: self.console_sink(text)
        hal.can_tx = lambda ident, data: self.can_sink(ident, data, self.now)
        hal.ocpp_tx = lambda text: self.ocpp_sink(text)
        firmware = start_firmware(profile, hal)  # fails before anything changes
        if hasattr(firmware, "network"):  # a firmware that can download its updates
            firmware.network = self.downloads
        with self.lock:
            self.profile, self.hal, self.firmware = profile, hal, firmware
            self.unit_present = True
            self._seen.clear()
            self._pulses_seen = 0  # a new HAL: its count starts from zero
            self.changed()

    # ---- electrical solution -----------------------------------------------------------
    def supply_v(self) -> list[float]:
        """Phase voltages at the charger's supply terminals."""
        if not self.unit_present:
            return [0.0, 0.0, 0.0]
        if self.cut_until is not None and self.now < self.cut_until:
            return [0.0, 0.0, 0.0]
        live = [s for s in self.sources.values() if s.output]
        if not live:
            return [0.0, 0.0, 0.0]
        return live[0].terminal_v(self.now)

    def outlet_v(self) -> list[float]:
        """Phase voltages at the socket (behind the contactor and the phase selector)."""
        if not self.hal.contactor:
            return [0.0, 0.0, 0.0]
        return rotate(self.supply_v(), self.hal.phase_select)

    def supply_i(self) -> list[float]:
        """Current per supply terminal (the vehicle's outlet currents through the selector)."""
        k = self.hal.phase_select % 3
        load = self.ev.load_a
        return [load[(i - k) % 3] for i in range(3)]

    def supply_live(self) -> bool:
        """Is an AC source's output on (the safety tester's interlock: a supply that is only cut
        upstream for a moment still counts as on)?"""
        return any(s.output for s in self.sources.values())

    def ev_connected(self) -> bool:
        """Is the EV emulator's vehicle circuit on the socket (anything but state A / open)?"""
        ev = self.ev
        return not (ev.state == "A" or (ev.state == "R" and ev.resistance_ohm is None))

    def ev_ohm(self) -> float | None:
        if self.ev.state == "R":
            return self.ev.resistance_ohm
        return EV_STATE_OHM[self.ev.state]

    def cp(self) -> tuple[float, float]:
        """(positive, negative) CP plateau on the line between charger and vehicle."""
        hal = self.hal
        mode = hal.cp_mode if self.unit_present else "disconnected"
        return cp_levels(
            mode, hal.cp_static_v, hal.cp_rail_high_v, hal.cp_rail_low_v,
            self.ev_ohm(), self.ev.fault,
        )

    def ev_sees_state(self) -> str:
        """The IEC state the EV emulator reads (letter plus 1/2 for PWM off/on)."""
        high, _ = self.cp()
        letter = classify_cp(high)
        if letter in ("E", "F"):
            return letter
        return letter + ("2" if self.hal.cp_mode == "pwm" else "1")

    def advertised_a(self) -> float:
        """Current the vehicle reads from the PWM it sees (0 when no PWM)."""
        if self.hal.cp_mode != "pwm":
            return 0.0
        return current_from_duty(self.hal.cp_duty_pct)

    def load_target_a(self) -> list[float]:
        """What the vehicle's charger draws per phase once it has settled."""
        ev = self.ev
        volts = self.outlet_v()
        high, _ = self.cp()
        requesting = classify_cp(high) in ("C", "D") and ev.fault == "NONE"
        if not (ev.load_on and requesting):
            return [0.0, 0.0, 0.0]
        limit = self.advertised_a()
        return [
            min(ev.load_setpoint_a[i], limit) if volts[i] > VOLTAGE_PRESENT_V else 0.0
            for i in range(3)
        ]

    def temperature_c(self) -> float:
        peak = max(self.ev.load_a)
        return self.ambient_c + self.profile.thermal.self_heating_c_per_a2 * peak * peak

    # ---- HAL exchange ------------------------------------------------------------------
    def _sync_inputs(self) -> None:
        hal = self.hal
        supply = self.supply_v()
        hal.supply_v = (supply[0], supply[1], supply[2])
        hal.supply_hz = next((s.frequency_hz for s in self.sources.values() if s.output), 0.0)
        high, low = self.cp()
        hal.cp_high_v, hal.cp_low_v = high, low
        hal.pp_ohm = self.ev.pp_ohm
        hal.relay_feedback = hal.contactor
        outlet = self.outlet_v()
        for i in range(3):
            if outlet[i] <= VOLTAGE_PRESENT_V:
                self.ev.load_a[i] = 0.0
        pf = self.ev.load_pf
        hal.meter_i_a = tuple(self.ev.load_a)  # type: ignore[assignment]
        hal.meter_v_v = tuple(supply)  # type: ignore[assignment]
        hal.meter_p_w = tuple(outlet[i] * self.ev.load_a[i] * pf for i in range(3))  # type: ignore[assignment]
        hal.meter_e_wh = tuple(self.meter_e_wh)  # type: ignore[assignment]
        dc = sum(inj.dc_ma for inj in self.injectors.values())
        ac = sum(inj.ac_ma for inj in self.injectors.values())
        if hal.rcd_test_winding:
            dc += self.profile.rcd.self_test_ma
        gain = 1.0 if self.rcd_sensor_ok else 0.0
        hal.rcd_dc_ma, hal.rcd_ac_ma = dc * gain, ac * gain
        hal.temperature_c = self.temperature_c()
        hal.rfid_uid = self.tag_uid

    def _record_outputs(self) -> None:
        """Turn changes the EV emulator can see into trace events."""
        hal = self.hal
        seen = self._seen
        live = int(any(v > VOLTAGE_PRESENT_V for v in self.outlet_v()))
        pwm = f"{hal.cp_duty_pct:.2f}" if hal.cp_mode == "pwm" else "OFF"
        led = f"{hal.led_colour}/{hal.led_pattern}"
        for kind, value in (
            ("CONTACTOR", live), ("LOCK", int(hal.lock)), ("PWM", pwm), ("LED", led),
            ("CP", self.ev_sees_state()),
        ):
            if seen.get(kind) != value:
                seen[kind] = value
                self.trace.add(self.now, kind, value)
        self._count_pulses()
        for sampler in self.samplers:
            sampler()

    def _count_pulses(self) -> None:
        """Pulses of the test output since the last firmware step; close a counter gate that
        ends now (its end is a model event, so a step ends exactly on it)."""
        count = int(self.hal.meter_pulses)
        self.test_output_pulses += count - self._pulses_seen if count >= self._pulses_seen \
            else count  # the meter restarted: its count began again from zero
        self._pulses_seen = count
        gate = self.counter
        if gate.running and gate.gate_end is not None and self.now >= gate.gate_end - 1e-9:
            gate.close(self.test_output_pulses)

    def changed(self) -> None:
        """An input changed now: let the firmware react at this instant and record the result."""
        with self.lock:
            for _ in range(20):  # outputs may change inputs (contactor -> outlet voltage)
                self._sync_inputs()
                before = self._output_signature()
                self.firmware.tick(0.0)
                self._sync_inputs()
                self._record_outputs()
                if self._output_signature() == before:
                    break
            for listener in self.listeners:
                listener()

    def _output_signature(self) -> tuple:
        h = self.hal
        return (h.cp_mode, h.cp_static_v, h.cp_duty_pct, h.contactor, h.lock, h.rcd_test_winding)

    # ---- time --------------------------------------------------------------------------
    def _model_next_event_in(self) -> float:
        candidates = [self.max_step_s]
        for src in self.sources.values():
            if src.drop_until is not None and src.drop_until > self.now:
                candidates.append(src.drop_until - self.now)
        if self.cut_until is not None and self.cut_until > self.now:
            candidates.append(self.cut_until - self.now)
        integ = self.integrator
        if integ.state == "START" and integ.preset_s > 0:
            candidates.append(max(integ.preset_s - integ.elapsed_s, 0.0))
        if self.counter.running and self.counter.gate_end is not None:
            candidates.append(max(self.counter.gate_end - self.now, 0.0))
        return min(candidates)

    def _integrate(self, h: float) -> None:
        """Advance continuous quantities by ``h`` seconds (exactly, see model docs)."""
        targets = self.load_target_a()
        outlet = self.outlet_v()
        pf = self.ev.load_pf
        integ = self.integrator
        counting = integ.state == "START"
        if counting and integ.preset_s > 0:
            h_int = min(h, max(integ.preset_s - integ.elapsed_s, 0.0))
        else:
            h_int = h
        for i in range(3):
            start = self.ev.load_a[i]
            end, amp_s = lag_step(start, targets[i], self.ev.load_lag_s, h)
            self.ev.load_a[i] = end
            wh = outlet[i] * amp_s * pf / 3600.0
            self.meter_e_wh[i] += wh
            if counting:
                if h_int < h:  # integration timer ends inside this step
                    _, amp_int = lag_step(start, targets[i], self.ev.load_lag_s, h_int)
                    wh_i, ah_i = outlet[i] * amp_int * pf / 3600.0, amp_int / 3600.0
                else:
                    wh_i, ah_i = wh, amp_s / 3600.0
                integ.wh_pos[i] += max(wh_i, 0.0)
                integ.wh_neg[i] += min(wh_i, 0.0)
                integ.ah[i] += ah_i
        if counting:
            integ.elapsed_s += h_int
            if integ.preset_s > 0 and integ.elapsed_s >= integ.preset_s - 1e-12:
                integ.state = "TIMEUP"

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds of bench time pass (the only way time moves)."""
        if dt < 0 or math.isnan(dt):
            raise ValueError(f"cannot advance by {dt}")
        with self.lock:
            end = self.now + dt
            zero_steps = 0
            while True:
                self._sync_inputs()
                remaining = end - self.now
                if remaining <= 1e-12:
                    self.now = max(self.now, end)
                    break
                step = min(remaining, self._model_next_event_in())
                step = min(step, next_event_in(self.firmware))
                if step <= 0.0:
                    zero_steps += 1
                    if zero_steps > 1000:
                        raise BenchError("the firmware keeps asking for time that never passes")
                    self.firmware.tick(0.0)
                    self._sync_inputs()
                    self._record_outputs()
                    continue
                zero_steps = 0
                step = max(step, MIN_STEP_S)
                self._integrate(step)
                self.now += step
                self._expire_model_events()
                self._sync_inputs()
                self.firmware.tick(step)
                self.ticks += 1
                self._sync_inputs()
                self._record_outputs()
            for listener in self.listeners:
                listener()

    def _expire_model_events(self) -> None:
        for src in self.sources.values():
            if src.drop_until is not None and self.now >= src.drop_until - 1e-12:
                src.drop_until = None
        if self.cut_until is not None and self.now >= self.cut_until - 1e-12:
            self.cut_until = None

    # ---- safe state --------------------------------------------------------------------
    def safe_state(self) -> tuple[bool, list[str]]:
        """Is the rig safe (no AC output, no residual current, EV disconnected, load off)?"""
        problems = []
        for src in self.sources.values():
            if src.output:
                problems.append(f"{src.name} output on")
        for name, inj in self.injectors.items():
            if inj.output:
                problems.append(f"{name} output on")
        if self.ev.state != "A":
            problems.append(f"ev in state {self.ev.state}")
        if self.ev.load_on:
            problems.append("ev load on")
        if self.safety_tester.output:
            problems.append(f"est output on ({self.safety_tester.mode} test running)")
        return not problems, problems
