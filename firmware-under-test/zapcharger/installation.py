"""The installation controller: load and phase distribution over the stations of one site.

It is the product's own load manager (the ZapCharger "installation" role), never the rig's: the
stations of an installation connect to it as their OCPP 1.6J central system (a local controller
in front of the operator's backend), and it distributes the site's main fuse among them with
OCPP smart charging. Why OCPP and not CAN: every station of the product already has an OCPP
client with SetChargingProfile (TM-04 certifies how fast its duty follows), an installation of
up to 100 stations needs an address space and routing CAN node ids (4 bits in this product)
do not have, and the stations report per-phase currents in MeterValues. OCPP 1.6 has no message
to choose the phase of a 1-phase charge (2.0.1's ``phaseToUse``), so that one travels as a
vendor DataTransfer (``ZapCharger``/``PhaseToUse``) to the station's phase selector relays.

How it distributes (every status change, measurement or departure):

- A vehicle that plugs in sees 0 A (every station gets a 0 A TxDefaultProfile at boot) until the
  controller admits it; admission is first come, first served, and needs ``min_current_a`` free
  on every feed phase the vehicle may load.
- Before admitting, the controller puts the station's outlet L1 on the least loaded feed phase
  (the station's wiring, its phase rotation, is installer data it is given), so a 1-phase
  vehicle lands there.
- Until a vehicle has drawn current the controller reserves its current on all three phases
  (it may be 3-phase); ``learn_after_s`` after it starts charging it asks for a meter sample
  (TriggerMessage MeterValues) and from then on counts only the phases it draws on.
- The admitted vehicles share what is left max-min fair (water filling per feed phase), each
  between ``min_current_a`` and the station's maximum. A lowered limit is sent before a raised
  one, and a raise waits ``raise_delay_s``, so the sum never passes the fuse while the stations'
  duty cycles follow (each within TM-04's allowance).

Defects are one profile line each (``installation.*``): ``respect_fuse: false`` gives every
vehicle the station maximum, ``fair: false`` fills the stations in their order (the last ones
starve), ``phase_distribution: false`` puts every vehicle's L1 on feed phase L1.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The controller's DataTransfer vendor id (the station's, see ``chargepoint.VENDOR_ID``).
VENDOR_ID = "ZapCharger"
#: ChargingProfileId and stack level of the controller's TxDefaultProfile on every station.
PROFILE_ID, STACK_LEVEL = 900, 5
#: A phase counts as drawn on when its current is above this, A.
DRAWING_A = 1.0
#: OCPP 1.6 ConnectorPhaseRotation spellings of the cyclic rotations (station terminal L1 on
#: feed R, S or T); the installation file may give either these or ``L1 L2 L3`` orders.
ROTATIONS = {"RST": (0, 1, 2), "STR": (1, 2, 0), "TRS": (2, 0, 1),
             "RTS": (0, 2, 1), "SRT": (1, 0, 2), "TSR": (2, 1, 0)}


@dataclass(frozen=True)
class Behaviour:
    """The controller's settings (the profile's ``installation`` section)."""

    min_current_a: float = 6.0
    max_current_a: float = 32.0
    learn_after_s: float = 20.0
    raise_delay_s: float = 1.0
    heartbeat_s: int = 900  #: the stations' heartbeat (BootNotification interval)
    sample_s: int = 900  #: the stations' MeterValueSampleInterval (phases come by trigger)
    respect_fuse: bool = True
    fair: bool = True
    phase_distribution: bool = True


@dataclass(frozen=True)
class StationWiring:
    """One station as the installer wired it: its OCPP identity and its phase rotation (feed
    phase index 0-2 of its supply terminals L1, L2, L3)."""

    cp_id: str
    rotation: tuple[int, int, int] = (0, 1, 2)


@dataclass
class Session:
    """What the controller knows of one station's vehicle."""

    status: str = "Unavailable"
    arrived: float | None = None  #: when the vehicle plugged in (Preparing)
    admitted: bool = False
    terminal: int = 0  #: supply terminal (0-2) of the outlet's L1, as last set
    drawn: tuple[int, ...] | None = None  #: outlet phases the vehicle draws on, once known
    limit_a: float = 0.0  #: what the controller last sent
    measured: tuple[float, float, float] | None = None  #: outlet currents of the last sample
    phases: tuple[int, ...] = (0, 1, 2)  #: feed phases it loads (cache of feed_phases)
    phases_key: tuple[Any, ...] | None = None

    def counted(self) -> bool:
        """Does its current count against the fuse? An admitted vehicle that stopped asking
        (SuspendedEV: full, or paused) keeps the minimum so it can resume, but is not counted:
        a full vehicle that stays plugged in must not hold a queued one back. If it resumes,
        its Charging status makes the others give way (within the duty-update time)."""
        return self.admitted and self.status != "SuspendedEV"
    transaction: int | None = None


@dataclass
class Stats:
    """Counters (``status()``)."""

    sent: int = 0
    received: int = 0
    rejected: list[str] = field(default_factory=list)


class InstallationController:
    """Central system of the installation's stations; the host delivers their OCPP-J frames
    with :meth:`receive` and carries the controller's with ``send(cp_id, text)``. Time comes
    from the host like a firmware's: :meth:`tick` and :meth:`next_event_in`."""

    def __init__(
        self,
        fuse_a: float,
        stations: list[StationWiring],
        behaviour: Behaviour,
        send: Callable[[str, str], None],
    ):
        if fuse_a <= 0:
            raise ValueError(f"fuse_a must be > 0, got {fuse_a}")
        self.fuse_a = fuse_a
        self.behaviour = behaviour
        self.wiring = {s.cp_id: s for s in stations}
        self.order = [s.cp_id for s in stations]
        self.sessions = {s.cp_id: Session() for s in stations}
        self._send = send
        self.now = 0.0
        self._ids = itertools.count(1)
        self._tx_ids = itertools.count(1)
        self._timers: list[tuple[float, int, str, str]] = []  # (when, seq, kind, cp_id)
        self._targets: dict[str, float] = {}
        self._seq = itertools.count()
        self.stats = Stats()

    # ---- time --------------------------------------------------------------------------
    def tick(self, dt: float) -> None:
        """Let ``dt`` s pass and run what is due (delayed raises, phase-learning requests)."""
        self.now += dt
        while self._timers and self._timers[0][0] <= self.now + 1e-9:
            _, _, kind, cp_id = heapq.heappop(self._timers)
            if kind == "learn":
                self._call(cp_id, "TriggerMessage",
                           {"requestedMessage": "MeterValues", "connectorId": 1})
            elif kind == "raise":
                self._apply(cp_id, raise_ok=True)
            elif kind == "boot":  # a station (re)joined: no current until admitted
                self._set_limit(cp_id, 0.0)
                self._call(cp_id, "ChangeConfiguration", {
                    "key": "MeterValueSampleInterval", "value": str(self.behaviour.sample_s)})

    def next_event_in(self) -> float:
        return max(0.0, self._timers[0][0] - self.now) if self._timers else math.inf

    def _at(self, delay: float, kind: str, cp_id: str) -> None:
        heapq.heappush(self._timers, (self.now + delay, next(self._seq), kind, cp_id))

    # ---- OCPP-J in -----------------------------------------------------------------------
    def receive(self, cp_id: str, text: str) -> None:
        """One frame from station ``cp_id``: answer its CALLs and note what it says."""
        session = self.sessions.get(cp_id)
        try:
            msg = json.loads(text)
        except ValueError:
            return
        if session is None or not isinstance(msg, list) or len(msg) < 3:
            return
        self.stats.received += 1
        if msg[0] == 3:
            return  # our CALLs' results: nothing waits for them
        if msg[0] == 4:
            self.stats.rejected.append(f"{cp_id}: {msg[2:4]}")
            del self.stats.rejected[:-20]
            return
        if msg[0] != 2 or len(msg) != 4 or not isinstance(msg[3], dict):
            return
        uid, action, payload = msg[1], msg[2], msg[3]
        handler = getattr(self, f"_on_{action}", None)
        before = (session.status, session.drawn, session.arrived)
        result = handler(cp_id, session, payload) if handler else {}
        self._write(cp_id, [3, uid, result])
        if (session.status, session.drawn, session.arrived) != before:
            self.distribute()

    def _on_BootNotification(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        # after the answer: no current until admitted (sent in order, behind the result)
        s.limit_a, s.admitted = 0.0, False
        self._at(0.0, "boot", cp_id)
        return {"status": "Accepted", "currentTime": _iso(self.now),
                "interval": self.behaviour.heartbeat_s}

    def _on_Heartbeat(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": _iso(self.now)}

    def _on_Authorize(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        return {"idTagInfo": {"status": "Accepted"}}

    def _on_StartTransaction(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        s.transaction = next(self._tx_ids)
        return {"transactionId": s.transaction, "idTagInfo": {"status": "Accepted"}}

    def _on_StopTransaction(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        s.transaction = None
        return {}

    def _on_StatusNotification(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        status = str(p.get("status", ""))
        plugged = status in ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
                             "Finishing")
        if plugged and s.arrived is None:
            s.arrived, s.drawn, s.admitted = self.now, None, False
        elif not plugged:
            s.arrived, s.drawn, s.admitted, s.measured = None, None, False, None
        if status == "Charging" and s.status != "Charging" and s.drawn is None:
            self._at(self.behaviour.learn_after_s, "learn", cp_id)
        s.status = status
        return {}

    def _on_MeterValues(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        currents = [0.0, 0.0, 0.0]
        for value in p.get("meterValue", []) if isinstance(p.get("meterValue"), list) else []:
            for sample in value.get("sampledValue", []) if isinstance(value, dict) else []:
                phase = sample.get("phase") if isinstance(sample, dict) else None
                if sample.get("measurand") == "Current.Import" and phase in ("L1", "L2", "L3"):
                    try:
                        currents[int(phase[1]) - 1] = float(sample.get("value", 0))
                    except ValueError:
                        pass
        drawn = tuple(i for i in range(3) if currents[i] > DRAWING_A)
        if drawn and s.admitted:
            s.drawn = drawn
            s.measured = (currents[0], currents[1], currents[2])
        return {}

    def _on_DataTransfer(self, cp_id: str, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "UnknownVendorId"}

    # ---- OCPP-J out ----------------------------------------------------------------------
    def _write(self, cp_id: str, message: list[Any]) -> None:
        self.stats.sent += 1
        self._send(cp_id, json.dumps(message, separators=(",", ":")))

    def _call(self, cp_id: str, action: str, payload: dict[str, Any]) -> None:
        self._write(cp_id, [2, f"ic{next(self._ids)}", action, payload])

    def _set_limit(self, cp_id: str, limit_a: float) -> None:
        self._call(cp_id, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": PROFILE_ID, "stackLevel": STACK_LEVEL,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": round(limit_a, 1)}]}}})

    # ---- distribution --------------------------------------------------------------------
    def feed_phases(self, cp_id: str) -> tuple[int, ...]:
        """The feed phases the station's vehicle loads (all three until known)."""
        s = self.sessions[cp_id]
        key = (s.drawn, s.terminal)
        if s.phases_key != key:
            rot = self.wiring[cp_id].rotation
            outlet = s.drawn if s.drawn is not None else (0, 1, 2)
            s.phases_key = key
            s.phases = tuple(sorted({rot[(k + s.terminal) % 3] for k in outlet}))
        return s.phases

    def phase_load(self, reserved: bool = False) -> list[float]:
        """Per feed phase: the admitted vehicles' limits as last sent (``reserved``: the
        ``min_current_a`` each admitted vehicle is sure to get instead), A."""
        load = [0.0, 0.0, 0.0]
        for cp_id, s in self.sessions.items():
            if s.counted():
                amps = self.behaviour.min_current_a if reserved else s.limit_a
                for f in self.feed_phases(cp_id):
                    load[f] += amps
        return load

    def drawn_load(self) -> list[float]:
        """Per feed phase: what the admitted vehicles draw (their last meter sample, never
        above their limit; their limit until sampled), A."""
        load = [0.0, 0.0, 0.0]
        for cp_id, s in self.sessions.items():
            if not s.counted():
                continue
            rot = self.wiring[cp_id].rotation
            if s.measured is None:
                for f in self.feed_phases(cp_id):
                    load[f] += s.limit_a
                continue
            for k in range(3):
                load[rot[(k + s.terminal) % 3]] += min(s.measured[k], s.limit_a)
        return load

    def _choose_phase(self, cp_id: str) -> None:
        """Put the station's outlet L1 on the least loaded feed phase (L1 with the defect):
        least by what flows, then by what is allowed to."""
        rot = self.wiring[cp_id].rotation
        if self.behaviour.phase_distribution:
            drawn, allowed = self.drawn_load(), self.phase_load()
            target = min(range(3), key=lambda f: (round(drawn[f], 1), allowed[f], f))
        else:
            target = 0
        terminal = rot.index(target)
        s = self.sessions[cp_id]
        if terminal != s.terminal:
            s.terminal = terminal
            self._call(cp_id, "DataTransfer", {"vendorId": VENDOR_ID, "messageId": "PhaseToUse",
                                               "data": str(terminal + 1)})

    def distribute(self) -> None:
        """Admit waiting vehicles, share the fuse, and send what changed (lowered first)."""
        b = self.behaviour
        waiting = sorted((s.arrived, self.order.index(c), c) for c, s in self.sessions.items()
                         if s.arrived is not None and not s.admitted
                         and s.status == "Preparing")
        reserved = self.phase_load(reserved=True)
        for _, _, cp_id in waiting:
            # first come, first served: a vehicle whose phases are not known yet needs the
            # minimum on all three, so when the first in the queue cannot start, none can
            if b.fair and any(self.fuse_a - reserved[f] < b.min_current_a - 1e-9
                              for f in range(3)):
                break
            self._choose_phase(cp_id)
            self.sessions[cp_id].admitted = True
            for f in self.feed_phases(cp_id):
                reserved[f] += b.min_current_a
        shares = self._shares()
        idle = {c: b.min_current_a for c, x in self.sessions.items()
                if x.admitted and not x.counted()}
        targets = {c: shares.get(c, idle.get(c, 0.0)) for c in self.order}
        lowered = [c for c, a in targets.items() if a < self.sessions[c].limit_a - 0.05]
        raised = [c for c, a in targets.items() if a > self.sessions[c].limit_a + 0.05]
        self._targets = targets
        for cp_id in lowered:
            self._apply(cp_id, raise_ok=False)
        for cp_id in raised:
            if self.sessions[cp_id].limit_a <= 0.0 or not lowered:
                self._apply(cp_id, raise_ok=True)  # a start, or nothing to wait for
            else:
                self._at(b.raise_delay_s, "raise", cp_id)

    def _apply(self, cp_id: str, raise_ok: bool) -> None:
        s = self.sessions[cp_id]
        target = self._targets.get(cp_id, 0.0) if s.admitted else 0.0
        if target > s.limit_a and not raise_ok:
            return
        s.limit_a = target
        self._set_limit(cp_id, target)

    def _shares(self) -> dict[str, float]:
        """Each admitted vehicle's current: max-min fair per feed phase (or a defect's)."""
        b = self.behaviour
        admitted = [c for c in self.order if self.sessions[c].counted()]
        if not b.respect_fuse:
            return {c: b.max_current_a for c in admitted}
        if not b.fair:
            load, out = [0.0, 0.0, 0.0], {}
            for c in admitted:  # station order: the first take all they can
                phases = self.feed_phases(c)
                give = min([b.max_current_a] + [self.fuse_a - load[f] for f in phases])
                give = give if give >= b.min_current_a else 0.0
                for f in phases:
                    load[f] += give
                out[c] = give
            return out
        level = {c: 0.0 for c in admitted}
        active = set(admitted)
        spare = [self.fuse_a, self.fuse_a, self.fuse_a]
        phases = {c: self.feed_phases(c) for c in admitted}
        while active:
            users = [sum(1 for c in active if f in phases[c]) for f in range(3)]
            step = min([spare[f] / users[f] for f in range(3) if users[f]]
                       + [b.max_current_a - level[c] for c in active])
            for c in active:
                level[c] += step
                for f in phases[c]:
                    spare[f] -= step
            full = {f for f in range(3) if users[f] and spare[f] <= 1e-6}
            active = {c for c in active
                      if level[c] < b.max_current_a - 1e-6 and not full & set(phases[c])}
        # whole tenths, never above the share
        return {c: math.floor(v * 10 + 1e-6) / 10 for c, v in level.items()}

    def status(self) -> dict[str, Any]:
        """What the controller believes, per station (for logs and the bench's status)."""
        return {c: {"status": s.status, "admitted": s.admitted, "limit_a": s.limit_a,
                    "feed_phases": list(self.feed_phases(c)) if s.admitted else []}
                for c, s in self.sessions.items()}


def _iso(t: float) -> str:
    from zapcharger.timebase import iso

    return iso(t)


def parse_rotation(text: str) -> tuple[int, int, int]:
    """``"RST"``/``"L2 L3 L1"`` -> feed phase index of terminal L1, L2, L3; ValueError else."""
    key = text.replace(" ", "").replace(",", "").upper()
    if key in ROTATIONS:
        return ROTATIONS[key]
    parts = text.replace(",", " ").split()
    if sorted(parts) == ["L1", "L2", "L3"]:
        return tuple(int(p[1]) - 1 for p in parts)  # type: ignore[return-value]
    raise ValueError(f"a phase rotation (RST, STR, TRS, RTS, SRT, TSR or e.g. 'L2 L3 L1'), "
                     f"got {text!r}")
