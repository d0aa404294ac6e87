"""A minimal host for the firmware: owns a HalIo and a Firmware and advances time like the bench.

Time advances by ticking ``min(next_event_in(), remaining)``; after any input change the firmware
gets ``tick(0)`` and the CP/RCD inputs are recomputed from its outputs until they are stable
(exactly what the emulated bench does). The vehicle side is idealised: CP plateaus are the
generator level times 12/12, 9/12, 6/12, 3/12 for A/B/C/D, 0 for E, and the negative plateau is
the generator's low rail with a diode (minus the positive one without).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from zapcharger import Firmware, HalIo, load_profile

EV_FACTOR = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.0}


@dataclass
class Change:
    t: float
    name: str
    value: Any


@dataclass
class Csms:
    """A scripted central system: answers the charge point's CALLs when asked to."""

    auto: bool = True
    boot_status: str = "Accepted"
    interval: int = 300
    transaction_id: int = 42
    tags: set[str] = field(default_factory=lambda: {"CLOUDTAG"})
    start_status: str = "Accepted"

    def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action == "BootNotification":
            return {"status": self.boot_status, "currentTime": "2026-01-01T00:00:00Z",
                    "interval": self.interval}
        if action == "StartTransaction":
            return {"idTagInfo": {"status": self.start_status},
                    "transactionId": self.transaction_id}
        if action == "Authorize":
            ok = payload["idTag"] in self.tags
            return {"idTagInfo": {"status": "Accepted" if ok else "Invalid"}}
        if action == "Heartbeat":
            return {"currentTime": "2026-01-01T00:00:00Z"}
        return {}


class Rig:
    """Host of one firmware instance with an idealised vehicle, cable and supply."""

    def __init__(
        self,
        overrides: dict[str, Any] | None = None,
        *,
        boot: bool = True,
        supply: tuple[float, float, float] = (230.0, 230.0, 230.0),
        connect: bool = False,
        csms: Csms | None = None,
    ):
        self.profile = load_profile(overrides=overrides or {})
        self.hal = HalIo()
        self.t = 0.0
        self.ev = "A"
        self.diode = True
        self.cp_override: float | None = None
        self.dc_ma = 0.0
        self.ac_ma = 0.0
        self.sensor_ok = True
        self.changes: list[Change] = []
        self.console: list[str] = []
        self.can: list[tuple[float, int, bytes]] = []
        self.ocpp: list[tuple[float, list[Any]]] = []
        self.csms = csms
        self._inbox: list[str] = []
        self._last: dict[str, Any] = {}
        self.zero_ticks = 0
        self.hal.console_tx = self.console.append
        self.hal.can_tx = lambda ident, data: self.can.append((self.t, ident, bytes(data)))
        self.hal.ocpp_tx = self._on_ocpp
        self.hal.supply_v = supply
        self.fw = Firmware(self.hal, self.profile)
        self._record()
        self.settle()
        if connect:
            self.fw.ocpp_connected(True)
            self.settle()
        if boot:
            self.advance(self.profile.boot.time_s)

    # ---- the host loop --------------------------------------------------------------------
    def sync(self) -> None:
        """Recompute the inputs the outputs determine (CP plateaus, RCD test current)."""
        hal = self.hal
        pwm = hal.cp_mode == "pwm"
        src = hal.cp_rail_high_v if pwm else hal.cp_static_v
        if self.cp_override is not None:
            high = self.cp_override
            low = hal.cp_rail_low_v if pwm else high
        elif src <= 0.0:
            high = 0.0 if self.ev == "E" else src
            low = high
        else:
            high = src * EV_FACTOR[self.ev]
            diode_low = hal.cp_rail_low_v if self.diode else -high
            low = diode_low if pwm and self.ev != "E" else high
        hal.cp_high_v, hal.cp_low_v = high, low
        test = self.profile.rcd.self_test_ma if hal.rcd_test_winding and self.sensor_ok else 0.0
        hal.rcd_dc_ma = self.dc_ma + test
        hal.rcd_ac_ma = self.ac_ma
        hal.relay_feedback = hal.contactor

    def _signature(self) -> tuple[Any, ...]:
        h = self.hal
        return (h.cp_mode, h.cp_static_v, h.cp_duty_pct, h.contactor, h.lock, h.rcd_test_winding)

    def settle(self) -> None:
        """An input changed now: tick(0) until the outputs stop changing the inputs."""
        for _ in range(20):
            self.sync()
            before = self._signature()
            self.fw.tick(0.0)
            self.sync()
            self._record()
            if self._signature() == before and not self._inbox:
                break
            self._deliver()

    def advance(self, duration: float) -> None:
        """Let ``duration`` seconds pass, ticking exactly to each firmware deadline."""
        end = self.t + duration
        zero = 0
        while True:
            self.sync()
            remaining = end - self.t
            if remaining <= 1e-12:
                self.t = max(self.t, end)
                self._refresh()
                break
            step = min(remaining, self.fw.next_event_in())
            if step <= 0.0:
                zero += 1
                self.zero_ticks += 1
                assert zero < 1000, "firmware keeps asking for zero time"
                self.fw.tick(0.0)
                self.sync()
                self._record()
                continue
            zero = 0
            self.t += step
            self.fw.tick(step)
            self.sync()
            self._record()
            if self._inbox:
                self._deliver()

    def _refresh(self) -> None:
        """Outputs changed at the last deadline: let the firmware read the new inputs now."""
        for _ in range(20):
            if self.fw.next_event_in() > 0.0:
                return
            self.zero_ticks += 1
            self.fw.tick(0.0)
            self.sync()
            self._record()

    def _record(self) -> None:
        h = self.hal
        now = {
            "contactor": h.contactor,
            "lock": h.lock,
            "pwm": round(h.cp_duty_pct, 6) if h.cp_mode == "pwm" else None,
            "cp_static": h.cp_static_v if h.cp_mode == "static" else None,
            "winding": h.rcd_test_winding,
            "led": f"{h.led_colour}/{h.led_pattern}",
        }
        for key, value in now.items():
            if self._last.get(key, "<unset>") != value:
                self._last[key] = value
                self.changes.append(Change(self.t, key, value))

    # ---- OCPP -----------------------------------------------------------------------------
    def _on_ocpp(self, text: str) -> None:
        msg = json.loads(text)
        self.ocpp.append((self.t, msg))
        if self.csms is not None and self.csms.auto and msg[0] == 2:
            reply = [3, msg[1], self.csms.answer(msg[2], msg[3])]
            self._inbox.append(json.dumps(reply))

    def _deliver(self) -> None:
        while self._inbox:
            self.fw.ocpp_receive(self._inbox.pop(0))
            self.sync()
            self._record()

    def send_ocpp(self, msg: list[Any]) -> list[Any] | None:
        """A CALL from the central system; returns the charge point's reply (if any)."""
        before = len(self.ocpp)
        self.fw.ocpp_receive(json.dumps(msg))
        self.settle()
        for _, out in self.ocpp[before:]:
            if out[0] in (3, 4) and out[1] == msg[1]:
                return out
        return None

    def calls(self, action: str) -> list[tuple[float, dict[str, Any]]]:
        """CALLs of ``action`` the charge point sent, with their send times."""
        return [(t, m[3]) for t, m in self.ocpp if m[0] == 2 and m[2] == action]

    # ---- inputs ---------------------------------------------------------------------------
    def set_ev(self, state: str) -> float:
        """Vehicle switches to ``state`` (A..E); returns the instant."""
        self.ev = state
        self.settle()
        return self.t

    def set(self, **inputs: Any) -> float:
        """Set HAL inputs (or rig attributes) now and let the firmware react."""
        for key, value in inputs.items():
            if hasattr(self, key) and key not in ("hal", "fw"):
                setattr(self, key, value)
            else:
                setattr(self.hal, key, value)
        self.settle()
        return self.t

    def plug(self, pp_ohm: float | None = 220.0, state: str = "B") -> float:
        """Plug a cable (PP resistor) and the vehicle in, in ``state``."""
        self.hal.pp_ohm = pp_ohm
        return self.set_ev(state)

    def console_cmd(self, text: str) -> list[str]:
        """Send a console line; return the lines written in response (events included)."""
        before = len(self.console)
        self.fw.console_input(text + "\n")
        self.settle()
        return "".join(self.console[before:]).split("\r\n")[:-1]

    def reply(self, text: str) -> list[str]:
        """Console reply lines of a command, events (``# ...``) removed."""
        return [x for x in self.console_cmd(text) if not x.startswith("# ")]

    # ---- queries --------------------------------------------------------------------------
    def first(self, name: str, value: Any, after: float = 0.0) -> float | None:
        """First instant at or after ``after`` where output ``name`` became ``value``."""
        for c in self.changes:
            if c.name == name and c.value == value and c.t >= after - 1e-12:
                return c.t
        return None

    def values(self, name: str, after: float = 0.0) -> list[tuple[float, Any]]:
        """Every change of output ``name`` at or after ``after``."""
        return [(c.t, c.value) for c in self.changes if c.name == name and c.t >= after - 1e-12]

    @property
    def led(self) -> str:
        return f"{self.hal.led_colour}/{self.hal.led_pattern}"

    @property
    def status(self) -> dict[str, Any]:
        return self.fw.status()

    def charge(self, pp_ohm: float | None = 220.0) -> tuple[float, float]:
        """Plug in (B), wait for PWM, go to C and wait for the contactor; returns (t_b, t_c)."""
        t_b = self.plug(pp_ohm)
        self.advance(1.0)
        t_c = self.set_ev("C")
        self.advance(2.0)
        assert self.hal.contactor, self.status
        return t_b, t_c
