"""The emulated installation as a running service: its feed analyser, its vehicles, its clock.

Three SCPI servers on 127.0.0.1, like the single-station bench's instruments:

* ``feed``: a Yokogawa WT333E on the installation's feed, through current transformers of
  ratio :data:`CT_RATIO` (63 A is more than the WT's 40 A inputs), so its three elements read
  the sum of the stations' currents per feed phase once the rig sets the same CT ratio;
* ``vehicles``: the EVB-100 vehicle bank, one channel per station (an EV emulator each: it
  plugs a vehicle in, measures the current it draws, time-stamps its first current);
* ``ctrl``: the installation's control port (virtual time, which installation is emulated),
  token-protected like the bench's.

The rig measures through these only; the distribution is the product's
(``zapcharger.installation``), running inside :class:`rig.bench.installation.Installation`.
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any

from zapcharger.profile import Profile, load_profile

from rig.bench.installation import Installation
from rig.bench.instruments.base import EmulatedInstrument
from rig.bench.instruments.wt333e import WT333E
from rig.bench.model import AcSourceState, Integrator
from rig.bench.scpi import Call, ScpiError
from rig.bench.tcp import ScpiServer
from rig.errors import ConfigError
from rig.installation import load_installation

#: Ratio of the feed's current transformers (100 A : 5 A).
CT_RATIO = 20.0
#: Phase voltage of the feed, V.
FEED_V = 230.0
#: ``MEAS:FIRS<n>?`` when the vehicle has not drawn current yet (SCPI "not a number").
NOT_YET = "9.91E+37"
ENV_NAMES = {"feed": "LG_INST_FEED", "vehicles": "LG_INST_EVB", "ctrl": "LG_INST_CTRL"}
TOKEN_ENV = "LG_INST_TOKEN"


class _Load:
    """What the WT333E reads as its 'EV': the CTs' secondary currents of the feed."""

    load_pf = 1.0

    def __init__(self, host: InstallationHost):
        self.host = host

    @property
    def load_a(self) -> list[float]:
        return [a / CT_RATIO for a in self.host.installation.feed_currents()]


class FeedView:
    """The bench interface the emulated WT333E uses, on the installation's feed."""

    def __init__(self, host: InstallationHost):
        self.host = host
        self.ev = _Load(host)
        self.sources = {"feed": AcSourceState("feed", phases=3, output=True)}

    @property
    def lock(self) -> threading.RLock:
        return self.host.lock

    @property
    def now(self) -> float:
        return self.host.installation.now

    @property
    def integrator(self) -> Integrator:
        return self.host.installation.integrator

    def outlet_v(self) -> list[float]:
        return [FEED_V, FEED_V, FEED_V]

    def changed(self) -> None:
        """Nothing on the feed side reacts to the analyser's settings."""


class VehicleBank(EmulatedInstrument):
    """EVB-100: one EV emulator channel per station (this project's own command set).

    ==================================================  ========================================
    ``VEHicle<n>:ARRive <phases>,<amps>,<kWh>``         plug a vehicle in at station n and ask (C)
    ``VEHicle<n>:DEPart``, ``VEHicle:DEPart:ALL``       unplug it (state A, load off) / all of them
    ``VEHicle<n>:STATe?``                               CP state it reads: ``A1``, ``B1``, ``C2``
    ``MEASure:CURRent<n>?``                             its current per phase: ``i1,i2,i3``
    ``MEASure:CURRent:ALL?``                            every channel's three currents, in order
    ``MEASure:FIRSt<n>?``                               bench time its current first passed 1 A
    ``SYSTem:CHANnels?``, ``SYSTem:TIME?``              channels (stations), bench time
    ==================================================  ========================================
    """

    key = "vehicles"

    def __init__(self, host: InstallationHost):
        self.host = host
        super().__init__(host.feed_view, "EVB0100-001")  # type: ignore[arg-type]
        self.idn = "evse-rig,EVB-100,EVB0100-001,1.0"

    @property
    def inst(self) -> Installation:
        return self.host.installation

    def _channel(self, call: Call) -> int:
        """The channel: the numeric suffix of ``VEHicle<n>`` or of ``MEASure:...<n>``."""
        index = next((i for i, v in enumerate(call.suffixes) if v is not None), 0)
        return call.suffix(index, valid=range(1, len(self.inst.stations) + 1))

    @EmulatedInstrument.command("VEHicle<n>:ARRive")
    def _arrive(self, call: Call) -> None:
        from rig.installation import Vehicle

        n = self._channel(call)
        call.count(3)
        phases = call.integer(0, 1, 3)
        if phases == 2:
            raise ScpiError(-222, "phases: 1 or 3")
        amps = call.number(1, "A", 6.0, 80.0)
        kwh = call.number(2, "", 0.001, 200.0)
        inst = self.inst
        if inst.stations[n - 1].plug is not None:
            raise ScpiError(-221, f"channel {n} has a vehicle plugged in")
        inst.add_vehicles([Vehicle(station=n, arrive_s=inst.now, depart_s=inst.now + 1e7,
                                   phases=phases, current_a=amps, energy_kwh=kwh)])
        inst.run_until(inst.now)

    @EmulatedInstrument.command("VEHicle<n>:DEPart")
    def _depart(self, call: Call) -> None:
        call.count(0)
        self.inst.depart(self._channel(call))

    @EmulatedInstrument.command("VEHicle:DEPart:ALL")
    def _depart_all(self, call: Call) -> None:
        call.count(0)
        for n in range(1, len(self.inst.stations) + 1):
            self.inst.depart(n)

    @EmulatedInstrument.command("VEHicle<n>:STATe?")
    def _state_q(self, call: Call) -> str:
        return self.inst.station_state(self._channel(call))

    @EmulatedInstrument.command("MEASure:CURRent<n>?")
    def _curr_q(self, call: Call) -> str:
        return ",".join(f"{a:.4E}" for a in self.inst.vehicle_currents(self._channel(call)))

    @EmulatedInstrument.command("MEASure:CURRent:ALL?")
    def _curr_all_q(self, call: Call) -> str:
        inst = self.inst
        return ",".join(f"{a:.4E}" for n in range(1, len(inst.stations) + 1)
                        for a in inst.vehicle_currents(n))

    @EmulatedInstrument.command("MEASure:FIRSt<n>?")
    def _first_q(self, call: Call) -> str:
        plug = self.inst.stations[self._channel(call) - 1].plug
        t = None if plug is None else plug.first_current_at
        return NOT_YET if t is None else f"{t:.6f}"

    @EmulatedInstrument.command("SYSTem:CHANnels?")
    def _channels_q(self, call: Call) -> str:
        return str(len(self.inst.stations))

    @EmulatedInstrument.command("SYSTem:TIME?")
    def _time_q(self, call: Call) -> str:
        return f"{self.inst.now:.6f}"


class InstallationControl(EmulatedInstrument):
    """The installation's control port (bench only): ``BENCH:TIME?``, ``BENCH:TIME:MODE?``,
    ``BENCH:TIME:ADV <s>``, ``BENCH:SAFE?``, ``BENCH:INSTallation:LOAD "<file>"`` (emulate
    another installation: its stations start from power-on at time 0),
    ``BENCH:INSTallation:NAME?`` and ``BENCH:INSTallation:STATus?`` (JSON)."""

    key = "ctrl"

    def __init__(self, host: InstallationHost):
        self.host = host
        super().__init__(host.feed_view, "0")  # type: ignore[arg-type]
        self.idn = "evse-rig,Emulated bench control,0,1.0"

    @EmulatedInstrument.command("BENCH:TIME?")
    def _time_q(self, call: Call) -> str:
        return f"{self.host.installation.now:.6f}"

    @EmulatedInstrument.command("BENCH:TIME:MODE?")
    def _mode_q(self, call: Call) -> str:
        return "VIRTUAL"

    @EmulatedInstrument.command("BENCH:TIME:ADVance")
    def _advance(self, call: Call) -> None:
        self.host.installation.advance(call.number(0, "S", 0.0, 1e7))

    @EmulatedInstrument.command("BENCH:SAFE?")
    def _safe_q(self, call: Call) -> str:
        plugged = [s.number for s in self.host.installation.stations if s.plug is not None]
        return "1" if not plugged else f'0,"vehicles plugged in at {plugged}"'

    @EmulatedInstrument.command("BENCH:INSTallation:LOAD")
    def _load(self, call: Call) -> None:
        try:
            self.host.load(call.string(0))
        except ConfigError as exc:
            raise ScpiError(-224, str(exc)) from None

    @EmulatedInstrument.command("BENCH:INSTallation:NAME?")
    def _name_q(self, call: Call) -> str:
        return f'"{self.host.path}"'

    @EmulatedInstrument.command("BENCH:INSTallation:STATus?")
    def _status_q(self, call: Call) -> str:
        return json.dumps(self.host.installation.status(), separators=(",", ":"))


class InstallationHost:
    """Model, instruments and ports of one emulated installation."""

    def __init__(self, path: str | Path, profile: Profile | None = None,
                 token: str | None = None):
        self.profile = profile if profile is not None else load_profile()
        self.lock = threading.RLock()
        self.path = ""
        self.installation: Installation = None  # type: ignore[assignment]
        self.load(path)
        self.feed_view = FeedView(self)
        self.token = token or secrets.token_urlsafe(18)
        self.servers: dict[str, ScpiServer] = {}

    def load(self, path: str | Path) -> None:
        """Emulate the installation of ``path`` (checked: ConfigError naming file and key). Its
        ``vehicles`` are not played here: the rig plays a scenario through the vehicle bank,
        as it would on a real installation (``bench/installation_day.py`` plays them itself)."""
        spec = load_installation(path)
        with self.lock:
            self.installation = Installation(spec.installation, self.profile)
            self.installation.lock = self.lock
            self.path = str(path)

    def start(self) -> InstallationHost:
        devices: list[EmulatedInstrument] = [
            WT333E(self.feed_view, serial="C2QD54321"),  # type: ignore[arg-type]
            VehicleBank(self), InstallationControl(self)]
        for device in devices:
            key = "feed" if isinstance(device, WT333E) else device.key
            token = self.token if key == "ctrl" else None
            self.servers[key] = ScpiServer(key, device, token=token).start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def environment(self) -> dict[str, str]:
        """``LG_INST_*`` variables for ``rigs/installation.yaml``, and the control's token."""
        env = {ENV_NAMES[k]: s.resource for k, s in self.servers.items()}
        env[TOKEN_ENV] = self.token
        return env

    def __enter__(self) -> InstallationHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def describe(host: InstallationHost) -> dict[str, Any]:
    """Addresses of the running installation (for ``rig`` commands and logs)."""
    return {"installation": host.path, **{k: s.resource for k, s in host.servers.items()}}
