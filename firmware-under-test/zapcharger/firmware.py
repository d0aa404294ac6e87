"""The scheduler: power, boot, update and the glue between the modules, behind the HAL.

Time is the sum of the ``dt`` passed to :meth:`Firmware.tick`; nothing here reads a clock. Every
delay of every module is a deadline, :meth:`Firmware.next_event_in` returns the earliest one,
and :meth:`Firmware.tick` walks through all deadlines inside its interval in order (with the
inputs the host set, which are constant over the interval), so an action lands exactly on its
deadline even if the host ticks coarsely. After a step at an instant, nothing is due at that
instant any more: ``tick(0)`` repeated is harmless and never asks for zero time again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from zapcharger import canbus
from zapcharger.auth import Authoriser
from zapcharger.chargepoint import ChargePoint
from zapcharger.console import Console
from zapcharger.errors import code, ordered
from zapcharger.flash import Flash
from zapcharger.hal import FirmwareOptionError, HalIo
from zapcharger.led import LedInputs, led_for
from zapcharger.limits import CurrentLimits
from zapcharger.meter import Meter, Readings
from zapcharger.ocpp import OcppClient
from zapcharger.pilot import INVALID, MIN_CURRENT_A
from zapcharger.profile import Profile
from zapcharger.rcd import RcdSupervisor
from zapcharger.softstart import SoftStart
from zapcharger.statemachine import PLUGGED, VEHICLE, ChargeController, Seen
from zapcharger.supervision import SupplyMonitor, ThermalMonitor
from zapcharger.timebase import EPS, due

#: Period of the housekeeping wake-up (supply and temperature checks), s.
HOUSEKEEPING_S = 1.0
OFF, BOOT, UPDATE, READY = "OFF", "BOOT", "UPDATE", "READY"
#: Evaluations of one instant until the state is stable (cascades at the same instant).
MAX_SETTLE = 12


#: While a firmware image is still on the wire, look for it again after this long, s.
DOWNLOAD_POLL_S = 0.1


def image_profile(image: bytes, running: Profile) -> Profile:
    """The profile of a firmware image for the emulated charger: a build file (``firmware:``
    version and ``profile:`` dotted keys over the default profile, as in
    ``firmware-under-test/builds/``). The hardware's identity (serial, model, vendor) stays.
    ValueError naming what is wrong."""
    import yaml

    from zapcharger.profile import ProfileError, load_profile

    try:
        data = yaml.safe_load(image.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"not a firmware image (a build file): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("firmware"), str | int | float):
        raise ValueError("not a firmware image: a build file with 'firmware: <version>'")
    overrides = data.get("profile") or {}
    if not isinstance(overrides, dict):
        raise ValueError("firmware image: 'profile' must be a mapping of profile keys")
    ident = running.identity
    try:
        return load_profile(None, {**overrides, "identity.firmware": str(data["firmware"]),
                                   "identity.serial": ident.serial, "identity.model": ident.model,
                                   "identity.vendor": ident.vendor})
    except ProfileError as exc:
        raise ValueError(f"firmware image: {exc}") from None


class Firmware:
    """The ZapCharger Pro application running behind a :class:`~zapcharger.hal.HalIo`."""

    def __init__(self, hal: HalIo, profile: Profile) -> None:
        for key in profile.firmware_options:  # every setting of ours is a profile key
            raise FirmwareOptionError(
                key, "zapcharger takes no firmware options: its settings are profile keys "
                "(zapcharger/profile.py; firmware_options are for another firmware's settings)")
        self.hal = hal
        self.profile = profile
        #: Frame ids of this node, from the product's DBC (read now: a broken file is an error
        #: when the firmware is built, never in the middle of a charge).
        node = profile.can.node_id
        self._can_id = {name: canbus.base_id(name) + node for name in canbus.MESSAGES}
        #: The host's network stack for firmware images (OCPP UpdateFirmware): an object with
        #: ``start(url)``, then ``data`` (the image) or ``error`` (why not). ``None``: no network;
        #: an update then only waits its download and install times (version suffix ``+uN``).
        #: Not part of the HAL structs: a firmware behind the C ABI has no network.
        self.network: Any = None
        self._now = 0.0
        self._flash = Flash(
            firmware_version=profile.identity.firmware,
            heartbeat_s=profile.ocpp.heartbeat_s,
            meter_values_s=profile.ocpp.meter_values_s,
        )
        self._client = OcppClient(
            lambda text: self.hal.ocpp_tx(text), self._flash.next_id, profile.ocpp.call_timeout_s
        )
        self._app = ChargePoint(profile, self._client, self._flash, self)
        self._mode = OFF
        self._busy = False
        self._deferred: list[Callable[[], None]] = []
        self._stepped_at: float | None = None
        self._seen = Seen(pwm=False, generator_positive=False, winding=False)
        self._counters = {"can_sent": 0, "can_ignored": 0, "inputs_ignored": 0, "boots": 0}
        self._hk_next = profile.timing.housekeeping_s
        self._positive = False
        self._positive_at: float | None = None
        self._phase_select = 0  # the selector relays keep their place through a reboot
        self._reset_ram(0.0)
        self.tick(0.0)

    # ---- RAM ------------------------------------------------------------------------------
    def _reset_ram(self, now: float) -> None:
        """Power-up or reboot: every module starts over (flash and the OCPP journal stay)."""
        p = self.profile
        self._rcd = RcdSupervisor(p.rcd)
        self._limits = CurrentLimits(
            p.limits.max_current_a, p.timing.duty_update_s, p.timing.duty_step_a,
            p.limits.hold_lowered)
        self._soft = SoftStart(p.soft_start)
        self._auth = Authoriser(p.auth, self._flash.auth_required)
        self._supply = SupplyMonitor(p.supply)
        self._thermal = ThermalMonitor(p.thermal, p.limits.max_current_a)
        self._meter = Meter(p.meter)
        self._ctrl = ChargeController(
            p, now, self._rcd, self._limits, self._soft, self._auth, self._supply, self._thermal
        )
        self._console = Console(lambda text: self.hal.console_tx(text), self)
        # the factory jumper (fitted only by the production line's test nest) skips what makes
        # a normal boot take minutes (modem registration, cloud wait); everything else is the
        # same boot: CP state F, LED booting, then ready with CP x1 and a BootNotification
        self._boot_end = now + (p.boot.factory_time_s if p.boot.factory_jumper
                                else p.boot.time_s)
        self._update_phase: str | None = None
        self._update_end: float | None = None
        self._can_next = now + p.can.status_period_s
        self._last_uid: str | None = None
        self._last_state: str | None = None
        self._last_errors: list[str] = []
        self._last_can: tuple[Any, ...] | None = None

    # ---- the Firmware protocol ------------------------------------------------------------
    def tick(self, dt: float) -> None:
        """Run for ``dt`` seconds of firmware time, stopping at every deadline inside it."""
        if not dt >= 0.0 or math.isinf(dt):
            raise ValueError(f"tick(dt) needs a finite dt >= 0, got {dt!r}")
        if self._busy:
            raise RuntimeError("tick() called from inside a HAL callback")
        self._busy = True
        try:
            self._seen = self._outputs_seen()
            end = self._now + dt
            while True:
                t = self._earliest()
                if t is None or t > end + EPS:
                    break
                if t > self._now:
                    self._advance(t - self._now)
                    self._now = t
                self._step()
            if end > self._now:
                self._advance(end - self._now)
                self._now = end
            self._step()
        finally:
            self._busy = False
        self._run_deferred()

    def next_event_in(self) -> float:
        """Seconds to the earliest pending deadline (there is always a housekeeping one).

        0 right after a step changed an output the inputs depend on (CP generator, PWM, RCD
        test winding): the firmware must see the host's updated inputs at that same instant.
        """
        if self._outputs_seen() != self._seen:
            return 0.0
        t = self._earliest()
        return self.profile.timing.housekeeping_s if t is None else max(0.0, t - self._now)

    def console_input(self, text: str) -> None:
        """Bytes from the console UART (lines end with ``\\n``)."""
        if self._defer(lambda: self.console_input(text)):
            return
        if self._mode == OFF:
            self._counters["inputs_ignored"] += 1
            return
        self._console.feed(text)
        self.tick(0.0)

    def can_receive(self, arbitration_id: int, data: bytes) -> None:
        """A CAN frame from the bus: installation limit or identity request."""
        if self._defer(lambda: self.can_receive(arbitration_id, data)):
            return
        if self._mode == OFF:
            return
        if arbitration_id == self._can_id["Limit"]:
            try:
                self._limits.installation_a = canbus.decode_limit(bytes(data))
            except ValueError:
                self._counters["can_ignored"] += 1
                return
        elif arbitration_id == self._can_id["IdentityRequest"]:
            self._send_identity()
        else:
            self._counters["can_ignored"] += 1
            return
        self.tick(0.0)

    def ocpp_receive(self, text: str) -> None:
        """An OCPP-J frame from the central system."""
        if self._defer(lambda: self.ocpp_receive(text)):
            return
        if self._mode not in (READY, UPDATE):
            self._counters["inputs_ignored"] += 1
            return
        incoming = self._client.receive(text, self._now)
        if incoming is not None:
            self._app.handle(incoming, self._now)
        self.tick(0.0)

    def ocpp_connected(self, connected: bool) -> None:
        """The websocket to the central system came up or went down."""
        if self._defer(lambda: self.ocpp_connected(connected)):
            return
        self._client.set_link(bool(connected))
        self.tick(0.0)

    # ---- scheduling -----------------------------------------------------------------------
    def _outputs_seen(self) -> Seen:
        """The outputs that the host's inputs depend on, as they are now."""
        hal = self.hal
        return Seen(
            pwm=hal.cp_mode == "pwm",
            generator_positive=hal.cp_mode == "pwm" or hal.cp_static_v > 0.0,
            winding=hal.rcd_test_winding,
        )

    def _defer(self, action: Callable[[], None]) -> bool:
        """An input arriving from inside a HAL callback is handled when the tick is over."""
        if self._busy:
            self._deferred.append(action)
            return True
        return False

    def _run_deferred(self) -> None:
        while self._deferred and not self._busy:
            self._deferred.pop(0)()

    def _deadlines(self) -> list[float]:
        out = [self._hk_next]
        if self._mode == OFF:
            return out
        out.append(self._can_next)
        if self._mode == BOOT:
            out.append(self._boot_end)
        elif self._mode == UPDATE and self._update_end is not None:
            out.append(self._update_end)
        elif self._mode == READY:
            out.extend(self._ctrl.deadlines(self._now, self.hal, self._seen))
            out.extend(self._auth.deadlines())
        if self._mode in (READY, UPDATE):
            out.extend(self._app.deadlines())
        return out

    def _earliest(self) -> float | None:
        """Earliest deadline not yet handled (one at or before the last step's instant was)."""
        floor = -math.inf if self._stepped_at is None else self._stepped_at + EPS
        pending = [t for t in self._deadlines() if t > floor]
        return min(pending) if pending else None

    def _advance(self, dt: float) -> None:
        """Continuous quantities over ``dt`` with the inputs held constant (the RCD filter)."""
        if self._mode == READY:
            blank = self._ctrl.winding or self._seen.winding
            self._rcd.advance(self._now, dt, self.hal.rcd_dc_ma, self.hal.rcd_ac_ma, blank)

    # ---- one instant ----------------------------------------------------------------------
    def _step(self) -> None:
        now = self._now
        self._stepped_at = now
        while due(self._hk_next, now):
            self._hk_next += self.profile.timing.housekeeping_s
        if self.hal.supply_v[0] < self.profile.supply.off_below_v:
            if self._mode != OFF:
                self._power_down(now)
            self._write_outputs()
            return
        if self._mode == OFF:
            self._power_up(now)
        self._advance(0.0)  # a step input crosses an unfiltered threshold at this instant
        self._flash.energy_acc_wh = self._meter.accumulate(
            self._flash.energy_acc_wh, self.hal.meter_e_wh
        )
        for _ in range(MAX_SETTLE):
            before = self._signature()
            self._evaluate(now)
            if self._signature() == before:
                break
        self._write_outputs()
        self._periodic(now)
        self._report()
        if self._mode in (READY, UPDATE):
            self._app.tick(now)

    def _signature(self) -> tuple[Any, ...]:
        c = self._ctrl
        cycle = None if c.cycle is None else (c.cycle.test_end, c.cycle.lock_at, c.cycle.passed)
        return (
            self._mode, c.cp, c.pwm, c.contactor, c.lock, c.winding, cycle,
            tuple(sorted(c.faults)), self._rcd.latched, c.stopped, c.plugged, c.allowed_since,
            c.advertised, c.available, self._auth.authorised, self._auth.feedback,
            self._auth.pending, self._limits.applied, self._supply.bad, self._thermal.stopped,
            self._flash.inoperative, self._flash.tx is None,
        )

    def _evaluate(self, now: float) -> None:
        if self._mode == BOOT and due(self._boot_end, now):
            self._become_ready(now)
        if self._mode == UPDATE:
            self._update_step(now)
        if self._mode != READY:
            return
        hal = self.hal
        uid = hal.rfid_uid
        if uid != self._last_uid:
            self._last_uid = uid
            if uid:
                self._present(uid)
        self._supply.update(hal.supply_v)
        self._thermal.update(hal.temperature_c)
        self._limits.thermal_a = self._thermal.limit_a
        self._limits.ocpp_a = self._app.limit_a()
        self._ctrl.available = not self._flash.inoperative
        self._auth.expire(now)
        self._ctrl.step(now, hal, self._seen)
        for kind, value in self._ctrl.pop_events():
            self._on_event(kind, value, now)
        if self._app.update_due(now) and not self._ctrl.plugged and self._flash.tx is None:
            self._start_update(now)

    def _on_event(self, kind: str, value: Any, now: float) -> None:
        ctrl = self._ctrl
        if kind == "contactor":
            self._console.event(f"contactor {int(value)}")
            if value and not ctrl.tx_started:
                ctrl.tx_started = True
                self._app.start_transaction(self._auth.id_tag or "FREE", now)
        elif kind == "lock":
            self._console.event(f"lock {int(value)}")
        elif kind == "selftest":
            self._console.event(f"rcd selftest {'pass' if value else 'fail'}")
        elif kind == "rcd_trip":
            self._console.event(f"rcd trip {value}")
        elif kind == "rcd_reset":
            self._console.event(f"rcd reset ({value})")
        elif kind == "session_end":
            self._app.stop_transaction("EVDisconnected", now)

    # ---- power, boot, update --------------------------------------------------------------
    def _power_up(self, now: float) -> None:
        self._reset_ram(now)
        self._mode = BOOT
        self._counters["boots"] += 1
        self._console.event(f"boot {self.profile.identity.model} {self._flash.firmware_version}"
                            + (" factory" if self.profile.boot.factory_jumper else ""))

    def _power_down(self, now: float) -> None:
        """Supply lost: the open transaction ends (PowerLoss, sent after the next boot)."""
        self._app.stop_transaction("PowerLoss", now)
        self._client.reboot()
        self._app.reset_ram()
        self._mode = OFF

    def _reboot(self, now: float) -> None:
        """Reset (OCPP) or end of a firmware update: boot again without losing the supply."""
        self._client.reboot()
        self._app.reset_ram()
        self._reset_ram(now)
        self._mode = BOOT
        self._counters["boots"] += 1
        self._console.event(f"boot {self.profile.identity.model} {self._flash.firmware_version}")

    def _become_ready(self, now: float) -> None:
        self._mode = READY
        self._console.event("ready")
        self._send_identity()
        self._app.start(now)

    def _start_update(self, now: float) -> None:
        location = self._app.update[1] if self._app.update else ""
        self._app.update = None
        self._mode = UPDATE
        self._update_phase = "download"
        self._update_end = now + self.profile.ocpp.firmware_download_s
        self._app.firmware_status("Downloading")
        self._console.event("update downloading")
        if self.network is not None:
            self.network.start(location)  # the host's network stack: the answer comes later

    def _update_failed(self, status: str, why: str) -> None:
        """A download or an install that failed: say so, and go on with the running image."""
        self._app.firmware_status(status)
        self._console.event(f"update failed: {why}")
        self._mode = READY
        self._update_phase = None
        self._update_end = None

    def _update_step(self, now: float) -> None:
        if not due(self._update_end, now):
            return
        net = self.network
        if self._update_phase == "download":
            if net is not None and net.error:
                self._update_failed("DownloadFailed", net.error)
                return
            if net is not None and net.data is None:
                self._update_end = now + DOWNLOAD_POLL_S  # still on the wire: look again
                return
            self._app.firmware_status("Downloaded")
            self._app.firmware_status("Installing")
            self._console.event("update installing")
            self._update_phase = "install"
            self._update_end = now + self.profile.ocpp.firmware_install_s
            return
        flash = self._flash
        if net is not None:
            try:
                profile = image_profile(net.data or b"", self.profile)
            except ValueError as exc:
                self._update_failed("InstallationFailed", str(exc))
                return
            self.profile = self._app.profile = profile  # the new image runs from the reboot on
            flash.firmware_version = profile.identity.firmware
        else:
            flash.updates_installed += 1
            flash.firmware_version = (f"{self.profile.identity.firmware}"
                                      f"+u{flash.updates_installed}")
        flash.firmware_status_pending = "Installed"
        self._reboot(now)

    # ---- periodic, outputs, reports -------------------------------------------------------
    def _periodic(self, now: float) -> None:
        if self._held():
            return  # stays due: sent at this same instant once the CP has been read back
        if due(self._can_next, now):
            while due(self._can_next, now):
                self._can_next += self.profile.can.status_period_s
            self._send_status_frame()
            r = self.readings()
            self._can(self._can_id["Meter"],
                      canbus.encode_meter(self.register_wh(), r.i[0], r.v[0]))

    def _held(self) -> bool:
        """The generator went positive at this very instant and the CP was not read back yet.

        LED, state reports and CAN frames wait for the host's zero-time refresh instead of
        showing a state that lasts no time at all (a host that does not refresh gets them at
        the next deadline).
        """
        return (
            self._mode == READY
            and self._ctrl.transitional()
            and self._positive_at is not None
            and abs(self._now - self._positive_at) <= EPS
        )

    def _write_outputs(self) -> None:
        hal, pilot = self.hal, self.profile.pilot
        hal.meter_pulses = self._meter.pulses
        hal.cp_freq_hz = pilot.pwm_frequency_hz
        hal.cp_rail_high_v, hal.cp_rail_low_v = pilot.high_v, pilot.low_v
        hal.cp_rise_us, hal.cp_fall_us = pilot.rise_time_us, pilot.fall_time_us
        ctrl = self._ctrl
        ready = self._mode == READY
        if self._mode == OFF:
            hal.cp_mode, hal.cp_static_v = "static", 0.0
        elif not ready or not ctrl.available:
            hal.cp_mode, hal.cp_static_v = "static", pilot.low_v
        elif ctrl.pwm and ctrl.duty is not None:
            hal.cp_mode, hal.cp_duty_pct = "pwm", ctrl.duty
        else:
            hal.cp_mode, hal.cp_static_v = "static", pilot.high_v
        if hal.cp_mode == "static":
            hal.cp_duty_pct = 100.0
        positive = hal.cp_mode == "pwm" or hal.cp_static_v > 0.0
        if positive and not self._positive:
            self._positive_at = self._now
        self._positive = positive
        hal.contactor = ready and ctrl.contactor
        hal.lock = ready and ctrl.lock
        hal.rcd_test_winding = ready and ctrl.winding
        hal.led_colour, hal.led_pattern = self._led()
        hal.phase_select = self._phase_select

    def _led(self) -> tuple[str, str]:
        ctrl, auth = self._ctrl, self._auth
        if self._held():
            return (self.hal.led_colour, self.hal.led_pattern)  # hold until the CP is read
        waiting = (
            ctrl.cp in PLUGGED
            and not ctrl.pwm
            and not ctrl.stopped
            and (not auth.ok() or auth.pending is not None or self._limits.live < MIN_CURRENT_A)
        )
        ready = self._mode == READY
        return led_for(
            LedInputs(
                mode=self._mode,
                feedback=auth.feedback if ready else None,
                error=ready and bool(self.errors()),
                unavailable=ready and not ctrl.available,
                charging=ready and ctrl.contactor,
                vehicle=ctrl.cp in VEHICLE,
                waiting=waiting or (auth.pending is not None and ctrl.cp in PLUGGED),
            )
        )

    def _report(self) -> None:
        if self._held():
            return  # the CP has not been read back yet: nothing to report
        state = self.state()
        if state != self._last_state:
            self._last_state = state
            self._console.event(f"state {state}")
        errors = self.errors()
        for name in errors:
            if name not in self._last_errors:
                self._console.event(f"error {name}")
        for name in self._last_errors:
            if name not in errors:
                self._console.event(f"error cleared {name}")
        self._last_errors = errors
        if self._can_key() != self._last_can:
            self._send_status_frame()

    def _can(self, ident: int, data: bytes) -> None:
        self._counters["can_sent"] += 1
        self.hal.can_tx(ident, data)

    def _can_key(self) -> tuple[Any, ...]:
        c = self._ctrl
        return (self.state(), self._flags(), self.errors(), self.hal.led_colour,
                self.hal.led_pattern, c.pwm)

    def _flags(self) -> int:
        ready = self._mode == READY
        flags = 0
        if self.hal.contactor:
            flags |= canbus.FLAG_CONTACTOR
        if self.hal.lock:
            flags |= canbus.FLAG_LOCK
        if self.hal.cp_mode == "pwm":
            flags |= canbus.FLAG_PWM
        if ready and self._rcd.latched and self.profile.rcd.report_trip:
            flags |= canbus.FLAG_RCD
        if ready and self.errors():
            flags |= canbus.FLAG_FAULT
        return flags

    def _send_status_frame(self) -> None:
        c = self._ctrl
        errors = self.errors()
        data = canbus.encode_status(
            self.state(), self._flags(), c.advertised if c.pwm else 0.0,
            c.duty if c.pwm else None, code(errors[0] if errors else None),
            self.hal.led_colour, self.hal.led_pattern,
        )
        self._last_can = self._can_key()
        self._can(self._can_id["Status"], data)

    def _send_identity(self) -> None:
        version = self._flash.firmware_version
        self._can(self._can_id["Identity"], canbus.encode_identity(self.profile.identity.serial,
                                                                   version))
        self._can(self._can_id["Version"], canbus.encode_version(version))

    # ---- tags -----------------------------------------------------------------------------
    def _present(self, uid: str) -> None:
        now, auth = self._now, self._auth
        tx = self._flash.tx
        if tx is not None and uid.upper() == tx.id_tag.upper():
            self._console.event(f"rfid {uid} stop")
            self._stop_session("Local", uid)
            return
        if auth.known(uid):
            auth.accept(uid, now)
            self._console.event(f"rfid {uid} accepted")
        elif self._app.online():
            auth.pending = uid
            self._app.authorize(uid)
            self._console.event(f"rfid {uid} asking")
        else:  # the offline rule: only the local list
            auth.refuse(now, uid)
            self._console.event(f"rfid {uid} refused")

    def _stop_session(self, reason: str, id_tag: str | None = None) -> None:
        self._ctrl.stop_session()
        self._app.stop_transaction(reason, self._now, id_tag)

    # ---- ConsolePort ----------------------------------------------------------------------
    def present_tag(self, uid: str) -> bool:
        """A tag held to the reader (console ``rfid``); False when not ready."""
        if self._mode != READY:
            return False
        self._present(uid)
        return True

    def set_installation_limit(self, current_a: float | None) -> None:
        """Installation (load-balancing) limit; ``None`` removes it."""
        self._limits.installation_a = current_a

    # ---- StationPort (OCPP application) ---------------------------------------------------
    def connector_status(self) -> tuple[str, str, str | None]:
        """OCPP status of connector 1: (status, errorCode, info)."""
        ctrl = self._ctrl
        if self._mode != READY:
            return ("Unavailable", "NoError", None)
        errors = self.errors()
        if errors:
            if "GroundFailure" in errors:
                return ("Faulted", "GroundFailure", None)
            return ("Faulted", "OtherError", errors[0])
        if not ctrl.available:
            return ("Unavailable", "NoError", None)
        if ctrl.cp not in VEHICLE:
            return ("Available", "NoError", None)
        if ctrl.stopped:
            return ("Finishing", "NoError", None)
        if ctrl.contactor:
            return ("Charging", "NoError", None)
        if ctrl.tx_started:
            return ("SuspendedEV" if ctrl.pwm else "SuspendedEVSE", "NoError", None)
        return ("Preparing", "NoError", None)

    def register_wh(self) -> float:
        """Energy register as shown (whole counts of its resolution), Wh."""
        return self._meter.register(self._flash.energy_acc_wh)

    def readings(self) -> Readings:
        """Meter readings with the meter's calibration errors."""
        hal = self.hal
        return self._meter.readings(hal.meter_v_v, hal.meter_i_a, hal.meter_p_w, hal.contactor)

    def select_phase(self, supply_terminal: int) -> bool:
        """The installation controller's choice of phase (DataTransfer ``PhaseToUse``): the
        outlet's L1 on supply terminal 1-3. Refused while the contactor is closed (the selector
        relays never switch under load) or when not ready."""
        if self._mode != READY or self._ctrl.contactor or supply_terminal not in (1, 2, 3):
            return False
        self._phase_select = supply_terminal - 1
        self.hal.phase_select = self._phase_select
        return True

    def remote_start(self, id_tag: str) -> bool:
        """RemoteStartTransaction: authorise the (next) session."""
        if self._mode != READY or not self._ctrl.available:
            return False
        self._auth.accept(id_tag, self._now, flash=False)
        return True

    def auth_required(self) -> bool:
        """RFID mode now (OCPP AuthorizationRequired)."""
        return bool(self._auth.required)

    def set_auth_required(self, required: bool) -> None:
        """OCPP AuthorizationRequired: RFID mode on or off, kept in flash."""
        self._flash.auth_required = required
        self._auth.required = required

    def stop_session(self, reason: str) -> None:
        """RemoteStop / DeAuthorized: stop PWM and end the transaction."""
        self._stop_session(reason)

    def reset(self, kind: str) -> None:
        """OCPP Reset: end the transaction, then boot again."""
        self._app.stop_transaction("HardReset" if kind == "Hard" else "SoftReset", self._now)
        self._reboot(self._now)

    def authorize_result(self, uid: str, accepted: bool) -> None:
        """The central system's answer to Authorize."""
        if self._mode != READY:
            return
        if accepted:
            self._auth.accept(uid, self._now)
            self._console.event(f"rfid {uid} accepted")
        else:
            self._auth.refuse(self._now, uid)
            self._console.event(f"rfid {uid} refused")

    def firmware_version(self) -> str:
        """Running firmware version (identity.firmware, suffixed after an OCPP update)."""
        return self._flash.firmware_version

    # ---- views ----------------------------------------------------------------------------
    def state(self) -> str:
        """``OFF``, ``BOOT``, ``F`` (unavailable / updating) or the IEC state (``C2``, ``E``)."""
        if self._mode in (OFF, BOOT):
            return self._mode
        if self._mode == UPDATE:
            return "F"
        return self._ctrl.iec_state()

    def errors(self) -> list[str]:
        """Active, reported error names in code order."""
        if self._mode != READY:
            return []
        c = self._ctrl
        names = list(c.faults)
        if self._rcd.latched and self.profile.rcd.report_trip:
            names.append("GroundFailure")
        if c.pp_invalid:
            names.append("PpInvalid")
        if self._supply.bad:
            names.append("SupplyVoltage")
        if self._thermal.stopped:
            names.append("OverTemperature")
        if c.ventilation_error():
            names.append("VentilationRequired")
        return ordered(names)

    def status(self) -> dict[str, Any]:
        """Snapshot for debugging and for the console (every key documented in the README)."""
        c, hal, rcd = self._ctrl, self.hal, self._rcd
        ready = self._mode == READY
        r = self.readings()
        tx = self._flash.tx
        limits = dict(self._limits.sources())
        limits["live"] = self._limits.live
        limits["applied"] = self._limits.applied
        return {
            "mode": self._mode,
            "state": self.state(),
            "cp": c.cp if ready else "F",
            "cp_high_v": hal.cp_high_v,
            "cp_low_v": hal.cp_low_v,
            "pwm": hal.cp_mode == "pwm",
            "duty_pct": hal.cp_duty_pct if hal.cp_mode == "pwm" else None,
            "current_a": c.advertised if ready and c.pwm else 0.0,
            "limits": limits,
            "contactor": hal.contactor,
            "lock": hal.lock,
            "rcd_test_winding": hal.rcd_test_winding,
            "relay_feedback": hal.relay_feedback,
            "led": (hal.led_colour, hal.led_pattern),
            "errors": self.errors(),
            "rcd": {
                "state": rcd.state(),
                "dc_ma": rcd.dc.value,
                "ac_ma": rcd.ac.value,
                "selftests": rcd.selftests,
                "last": rcd.last_selftest,
                "trips": rcd.trips,
                "trip_channel": rcd.trip_channel,
            },
            "pp_ohm": hal.pp_ohm,
            "cable_a": c.pp_rating,
            "supply_ok": not self._supply.bad,
            "thermal_stop": self._thermal.stopped,
            "temperature_c": hal.temperature_c,
            "available": c.available and self._mode != UPDATE,
            "authorised": self._auth.authorised,
            "auth_required": self._auth.required,
            "id_tag": self._auth.id_tag,
            "session": {"plugged": c.plugged, "stopped": c.stopped, "charged": c.tx_started},
            "transaction": None if tx is None else {
                "id": tx.transaction_id, "id_tag": tx.id_tag, "meter_start": tx.meter_start,
            },
            "ocpp_status": self.connector_status()[0],
            "meter": {"v": r.v, "i": r.i, "p": r.p},
            "energy_wh": self.register_wh(),
            "time": self._now,
            "next_event_in": self.next_event_in(),
            "serial": self.profile.identity.serial,
            "model": self.profile.identity.model,
            "firmware": self._flash.firmware_version,
            "ocpp": {
                "connected": self._client.link,
                "boot_accepted": self._client.accepted,
                "queued": len(self._client.queue),
                "outstanding": None if self._client.outstanding is None
                else self._client.outstanding.action,
                "sent": self._client.stats.sent,
                "received": self._client.stats.received,
                "malformed": self._client.stats.malformed,
                "unmatched": self._client.stats.unmatched,
                "timeouts": self._client.stats.timeouts,
            },
            "can": {
                "sent": self._counters["can_sent"],
                "ignored": self._counters["can_ignored"],
            },
            "inputs_ignored": self._counters["inputs_ignored"],
            "boots": self._counters["boots"],
        }


__all__ = ["BOOT", "HOUSEKEEPING_S", "INVALID", "OFF", "READY", "UPDATE", "Firmware"]
