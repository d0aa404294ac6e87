"""The bench control port: bench-only SCPI for time, supply cuts, temperature and faults.

A real lab has no such port; it exists so the emulated bench can be driven through time in
virtual mode and broken on purpose by the framework's own tests. Plans never use it directly:
the clock abstraction does (``BENCH:TIME:ADV``), and features declared in the rig file
(``bench-faults``) gate the tests that need it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from zapcharger.hal import HalIo
from zapcharger.profile import ProfileError, load_profile, parse_override

from rig.bench.bench import BenchError, start_firmware
from rig.bench.scpi import Call, ScpiError

from .base import EmulatedInstrument

if TYPE_CHECKING:
    from rig.bench.host import BenchHost

LINK_MODES = {"NONE": "NONE", "DROP": "DROP", "DELay": "DELAY", "GARBle": "GARBLE"}


class BenchControl(EmulatedInstrument):
    key = "ctrl"

    def __init__(self, host: BenchHost):
        self.host = host
        super().__init__(host.bench, "0")
        self.idn = "evse-rig,Emulated bench control,0,1.0"

    def _server(self, call: Call, index: int = 0):  # type: ignore[no-untyped-def]
        name = call.string(index).lower()
        if name not in self.host.servers or name == self.key:
            raise ScpiError(-224, f"no instrument '{name}' (have {', '.join(self.host.servers)})")
        return self.host.servers[name]

    # ---- time ------------------------------------------------------------------------------
    @EmulatedInstrument.command("BENCH:TIME?")
    def _time_q(self, call: Call) -> str:
        return f"{self.bench.now:.6f}"

    @EmulatedInstrument.command("BENCH:TIME:MODE?")
    def _mode_q(self, call: Call) -> str:
        return self.bench.clock.upper()

    @EmulatedInstrument.command("BENCH:TIME:ADVance")
    def _advance(self, call: Call) -> None:
        if self.bench.clock != "virtual":
            raise ScpiError(-221, "BENCH:TIME:ADV needs the virtual clock")
        self.bench.advance(call.number(0, "S", 0.0, 1e7))

    @EmulatedInstrument.command("BENCH:TICKs?")
    def _ticks_q(self, call: Call) -> str:
        return str(self.bench.ticks)

    # ---- environment -------------------------------------------------------------------------
    @EmulatedInstrument.command("BENCH:SUPPly:CUT")
    def _cut(self, call: Call) -> None:
        seconds = call.number(0, "S", 0.0, 1e6)
        self.bench.cut_until = self.bench.now + seconds
        self.bench.changed()

    @EmulatedInstrument.command("BENCH:FIXTure:PULL")
    def _pull(self, call: Call) -> None:
        """The unit is taken off the fixture (an operator's hand mid-test): its supply
        terminals, pilot, PE and console lose their contacts until a unit is loaded again."""
        self.bench.unit_present = False
        self.bench.changed()

    @EmulatedInstrument.command("BENCH:FIXTure:PRESent?")
    def _present_q(self, call: Call) -> str:
        return "1" if self.bench.unit_present else "0"

    @EmulatedInstrument.command("BENCH:AMBient[:TEMPerature]")
    def _ambient(self, call: Call) -> None:
        self.bench.ambient_c = call.number(0, "", -40.0, 85.0)
        self.bench.changed()

    @EmulatedInstrument.command("BENCH:AMBient[:TEMPerature]?")
    def _ambient_q(self, call: Call) -> str:
        return f"{self.bench.ambient_c:g}"

    @EmulatedInstrument.command("BENCH:RCD:SENSor")
    def _sensor(self, call: Call) -> None:
        self.bench.rcd_sensor_ok = call.choice(0, {"OK": "OK", "BROKen": "BROKEN"}) == "OK"
        self.bench.changed()

    @EmulatedInstrument.command("BENCH:RCD:SENSor?")
    def _sensor_q(self, call: Call) -> str:
        return "OK" if self.bench.rcd_sensor_ok else "BROKEN"

    # ---- instrument faults ------------------------------------------------------------------
    @EmulatedInstrument.command("BENCH:FAULt:LINK")
    def _link(self, call: Call) -> None:
        call.count(2, 3)
        server = self._server(call)
        mode = call.choice(1, LINK_MODES)
        server.fault.mode = mode
        server.fault.value = call.number(2, "S", 0.0, 600.0) if len(call.params) > 2 else 0.0
        if mode == "DROP":
            server.drop_connections()

    @EmulatedInstrument.command("BENCH:FAULt:LINK?")
    def _link_q(self, call: Call) -> str:
        server = self._server(call)
        return f"{server.fault.mode},{server.fault.value:g}"

    @EmulatedInstrument.command("BENCH:FAULt:ERRor")
    def _error(self, call: Call) -> None:
        call.count(2)
        server = self._server(call)
        server.device.push_error(call.integer(1, -999, 999), "injected by the bench")

    @EmulatedInstrument.command("BENCH:FAULt:REBoot")
    def _reboot(self, call: Call) -> None:
        server = self._server(call)
        server.device.power_on()
        server.drop_connections()

    # ---- charger-link faults (the firmware is untouched; its links misbehave) ---------------
    def _link_fault(self, call: Call, link: str, modes: dict[str, str]) -> None:
        call.count(1)
        self.host.set_link_fault(link, call.choice(0, modes))

    @EmulatedInstrument.command("BENCH:FAULt:CONSole")
    def _console_fault(self, call: Call) -> None:
        """NONE, GARBLE (noise lines and corrupted bytes), MUTE (its output is dropped)."""
        self._link_fault(call, "console", {"NONE": "NONE", "GARBle": "GARBLE", "MUTE": "MUTE"})

    @EmulatedInstrument.command("BENCH:FAULt:CONSole?")
    def _console_fault_q(self, call: Call) -> str:
        return self.host.console_fault

    @EmulatedInstrument.command("BENCH:FAULt:CAN")
    def _can_fault(self, call: Call) -> None:
        """NONE, BADLEN (each frame again with a wrong length), UNKNOWN (a frame of an unknown
        id after each frame)."""
        self._link_fault(call, "can", {"NONE": "NONE", "BADLen": "BADLEN", "UNKnown": "UNKNOWN"})

    @EmulatedInstrument.command("BENCH:FAULt:CAN?")
    def _can_fault_q(self, call: Call) -> str:
        return self.host.can_fault

    @EmulatedInstrument.command("BENCH:FAULt:OCPP")
    def _ocpp_fault(self, call: Call) -> None:
        """NONE, MALFORMED (a malformed frame after each of the charger's frames)."""
        self._link_fault(call, "ocpp", {"NONE": "NONE", "MALFormed": "MALFORMED"})

    @EmulatedInstrument.command("BENCH:FAULt:OCPP?")
    def _ocpp_fault_q(self, call: Call) -> str:
        return self.host.ocpp_fault

    # ---- the charger --------------------------------------------------------------------------
    @EmulatedInstrument.command("BENCH:CHARger:SET")
    def _charger_set(self, call: Call) -> None:
        overrides = dict(self.host.overrides)
        for index in range(len(call.params)):
            try:
                key, value = parse_override(call.string(index))
            except ProfileError as exc:
                raise ScpiError(-224, str(exc)) from None
            overrides[key] = value
        self._check(overrides)
        self.host.apply_profile(overrides)

    @EmulatedInstrument.command("BENCH:CHARger:RESet")
    def _charger_reset(self, call: Call) -> None:
        self._check(self.host.base_overrides)
        self.host.apply_profile(self.host.base_overrides)

    def _check(self, overrides: dict) -> None:
        """-224 unless the profile is valid and its firmware loads; the charger is untouched.

        Loading a firmware that cannot be imported would leave the bench half-reloaded (a new
        HAL, the old firmware), so the entry is imported before anything is applied.
        """
        try:
            profile = load_profile(self.host.profile_path, overrides)
            start_firmware(profile, HalIo())  # the firmware checks its own options
        except (ProfileError, BenchError) as exc:
            raise ScpiError(-224, str(exc)) from None

    @EmulatedInstrument.command("BENCH:CHARger:OVERrides?")
    def _charger_overrides_q(self, call: Call) -> str:
        return json.dumps(self.host.overrides, sort_keys=True)

    @EmulatedInstrument.command("BENCH:CHARger:STATus?")
    def _charger_status_q(self, call: Call) -> str:
        status = getattr(self.bench.firmware, "status", lambda: {})()
        return json.dumps(status, sort_keys=True, default=str)

    @EmulatedInstrument.command("BENCH:CHARger:VALidate")
    def _charger_validate(self, call: Call) -> None:
        """Check overrides without applying them (the fixtures ask before a run starts)."""
        items = [call.string(i) for i in range(len(call.params))]
        try:
            profile = load_profile(self.host.profile_path, overrides=items)
            start_firmware(profile, HalIo())
        except (ProfileError, BenchError) as exc:
            raise ScpiError(-224, str(exc)) from None

    # ---- the charger's OCPP websocket ---------------------------------------------------------
    @EmulatedInstrument.command("BENCH:OCPP:URL")
    def _ocpp_url(self, call: Call) -> None:
        """Where the charger's OCPP client connects (replacing any previous connection)."""
        call.count(1)
        url = call.string(0)
        if not url.startswith(("ws://", "wss://")) or len(url) <= len("ws://"):
            raise ScpiError(-224, f"BENCH:OCPP:URL: a ws:// URL, got '{url}'")
        self.host.ocpp.connect(url)

    @EmulatedInstrument.command("BENCH:OCPP:URL?")
    def _ocpp_url_q(self, call: Call) -> str:
        return f'"{self.host.ocpp.url or ""}"'

    @EmulatedInstrument.command("BENCH:OCPP:STATe?")
    def _ocpp_state_q(self, call: Call) -> str:
        return "CONNECTED" if self.host.ocpp.connected else "DISCONNECTED"

    @EmulatedInstrument.command("BENCH:OCPP:DISConnect")
    def _ocpp_disconnect(self, call: Call) -> None:
        """Pull the charger's network cable (until the next BENCH:OCPP:URL)."""
        self.host.ocpp.disconnect()

    # ---- safety and inventory ---------------------------------------------------------------
    @EmulatedInstrument.command("BENCH:SAFE?")
    def _safe_q(self, call: Call) -> str:
        safe, problems = self.bench.safe_state()
        return "1" if safe else '0,"' + "; ".join(problems) + '"'

    @EmulatedInstrument.command("BENCH:INSTrument:LIST?")
    def _list_q(self, call: Call) -> str:
        return ",".join(f"{name},{srv.resource}" for name, srv in self.host.servers.items())

    @EmulatedInstrument.command("BENCH:CONSole?")
    def _console_q(self, call: Call) -> str:
        return f'"{self.host.console_path}"'

    @EmulatedInstrument.command("BENCH:CAN?")
    def _can_q(self, call: Call) -> str:
        return f"{self.host.can_interface},{self.host.can_channel}"
