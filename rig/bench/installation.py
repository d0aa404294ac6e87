"""An emulated installation: N stations, their installation controller and vehicles, one clock.

Each station is a whole emulated charger (:class:`rig.bench.bench.Bench`: its own firmware
instance on its own HAL, its own OCPP identity, its own EV model); the installation controller
(``zapcharger.installation``, the product's) is their OCPP central system. The bench carries
the OCPP-J frames between them in bench time (a wire, not a websocket: a hundred websockets run
on the wall clock and cannot follow a virtual one) and wires each station's supply terminals to
the feed with its phase rotation. The rig sees only what a lab would measure: the feed's
current per phase (an analyser on the feed) and each vehicle's current (its EV emulator).

Why it stays cheap at N = 100 on one clock: time is one event queue. A station runs only at
its own deadlines (its firmware's ``next_event_in``, a vehicle arriving, a frame for it); the
others wait where they are and are brought up to the present only when something reaches them
or somebody measures. Between events the model is analytic (the vehicles' first-order current
lag), so a station that has nothing to do costs nothing.

The feed is also watched as the stations settle: every change of a station's settled current
is a point of a step function per phase, kept exactly (:class:`FeedLog`), so fuse violations
are found with their true duration however seldom anybody measures.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zapcharger.installation import Behaviour, InstallationController, StationWiring
from zapcharger.profile import Profile

from rig.bench.bench import Bench, BenchError, next_event_in
from rig.bench.model import Integrator
from rig.installation import Site, Vehicle, jain

#: PP resistance of the vehicles' cable (32 A, IEC 61851-1 Table B.2), ohm.
CABLE_OHM = 220.0
#: A station with nothing to do still runs this often (its analytic model needs no more).
STATION_MAX_STEP_S = 300.0
#: Profile keys every station of an emulated installation runs with: no CAN traffic (the
#: installation talks OCPP), housekeeping every 300 s (the ambient is constant and the stations'
#: self-heating stays far below derating: nothing it samples changes in between).
STATION_KEYS = {"can.status_period_s": 3600.0, "timing.housekeeping_s": STATION_MAX_STEP_S}
#: A vehicle counts as charging above this current, A.
CHARGING_A = 1.0


@dataclass
class FeedLog:
    """The feed's settled current per phase as a step function, and where it passed the fuse."""

    fuse_a: float
    total: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    peak: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    over_since: float | None = None
    violations: list[tuple[float, float, float]] = field(default_factory=list)  # start,end,peak
    _over_peak: float = 0.0

    def change(self, t: float, delta: list[float]) -> None:
        for i in range(3):
            self.total[i] += delta[i]
            self.peak[i] = max(self.peak[i], self.total[i])
        top = max(self.total)
        if top > self.fuse_a + 1e-6:
            if self.over_since is None:
                self.over_since, self._over_peak = t, top
            self._over_peak = max(self._over_peak, top)
        elif self.over_since is not None:
            self.violations.append((self.over_since, t, self._over_peak))
            self.over_since = None

    def longest_violation_s(self, now: float) -> float:
        spans = [end - start for start, end, _ in self.violations]
        if self.over_since is not None:
            spans.append(now - self.over_since)
        return max(spans, default=0.0)


@dataclass
class Plug:
    """A vehicle at a station: what it wants and what it got."""

    vehicle: Vehicle
    index: int
    start_wh: float
    done: bool = False
    first_current_at: float | None = None


class Station:
    """One emulated charger of the installation and the vehicle at its socket."""

    def __init__(self, number: int, profile: Profile, wiring: tuple[int, int, int], cp_id: str):
        self.number, self.cp_id, self.wiring = number, cp_id, wiring
        self.bench = Bench(profile)
        self.bench.max_step_s = STATION_MAX_STEP_S
        self.bench.sources["ac3"].output = True
        self.plug: Plug | None = None
        self.contribution = [0.0, 0.0, 0.0]  # settled feed current per phase
        self.version = 0
        self.energy_wh: dict[int, float] = {}  # per vehicle index: delivered

    def feed_currents(self, settled: bool = False) -> list[float]:
        """This station's current per feed phase (``settled``: where the vehicle is heading)."""
        bench = self.bench
        out = [0.0, 0.0, 0.0]
        if settled:
            k = bench.hal.phase_select % 3
            target = bench.load_target_a()
            terminal = [target[(i - k) % 3] for i in range(3)]
        else:
            terminal = bench.supply_i()
        for t in range(3):
            out[self.wiring[t]] += terminal[t]
        return out

    def delivered_wh(self) -> float:
        return sum(self.bench.meter_e_wh)

    def next_time(self) -> float:
        bench = self.bench
        return bench.now + min(bench._model_next_event_in(), next_event_in(bench.firmware))


class Installation:
    """The emulated site: stations, controller, vehicles and the feed, on one bench clock."""

    def __init__(self, site: Site, profile: Profile, vehicles: Iterable[Vehicle] = ()):
        self.site = site
        self.lock = threading.RLock()
        self.now = 0.0
        station_profile = _with_keys(profile, STATION_KEYS)
        self.stations: list[Station] = []
        for n in range(1, site.stations + 1):
            p = station_profile.model_copy(update={"identity": station_profile.identity
                                                   .model_copy(update={"serial": site.cp_id(n)})})
            self.stations.append(Station(n, p, site.wiring(n), site.cp_id(n)))
        self.by_id = {s.cp_id: s for s in self.stations}
        beh = profile.installation
        behaviour = Behaviour(
            min_current_a=beh.min_current_a, max_current_a=profile.limits.max_current_a,
            learn_after_s=beh.learn_after_s, raise_delay_s=beh.raise_delay_s,
            respect_fuse=beh.respect_fuse, fair=beh.fair,
            phase_distribution=beh.phase_distribution)
        self.controller = InstallationController(
            site.fuse_a, [StationWiring(s.cp_id, s.wiring) for s in self.stations], behaviour,
            send=lambda cp_id, text: self._mail.append(("down", cp_id, text)))
        self.feed = FeedLog(site.fuse_a)
        self.integrator = Integrator()  # the feed analyser's integration (WT333E)
        self.vehicles: list[Vehicle] = []
        self.plugs: list[Plug] = []  # every vehicle that plugged in, in order
        self._mail: list[tuple[str, str, str]] = []
        self._heap: list[tuple[float, int, str, int, int]] = []  # t, seq, kind, who, version
        self._seq = itertools.count()
        self.events = 0
        for st in self.stations:
            st.bench.hal.ocpp_tx = (lambda cp: lambda text: self._mail.append(("up", cp, text))
                                    )(st.cp_id)
            st.bench.changed()
            st.bench.firmware.ocpp_connected(True)
            self._schedule(st)
        self.add_vehicles(vehicles)

    # ---- scenario ------------------------------------------------------------------------
    def add_vehicles(self, vehicles: Iterable[Vehicle]) -> None:
        """Schedule vehicles (arrive/depart in bench time; ones in the past arrive now)."""
        for v in vehicles:
            if v.station > len(self.stations):
                raise BenchError(f"vehicle for station {v.station}: the installation has "
                                 f"{len(self.stations)}")
            index = len(self.vehicles)
            self.vehicles.append(v)
            self._push(max(v.arrive_s, self.now), "arrive", index)
            self._push(max(v.depart_s, self.now), "depart", index)

    def _push(self, t: float, kind: str, who: int, version: int = 0) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, who, version))

    def _schedule(self, st: Station) -> None:
        st.version += 1
        self._push(st.next_time(), "station", st.number - 1, st.version)

    # ---- time ----------------------------------------------------------------------------
    def advance(self, dt: float) -> None:
        """Let ``dt`` s of bench time pass; every station is at the new time afterwards."""
        if dt < 0 or math.isnan(dt):
            raise ValueError(f"cannot advance by {dt}")
        with self.lock:
            end = self.now + dt
            self.run_until(end)
            for st in self.stations:
                self._bring(st, end)
            self.now = end

    def run_until(self, end: float) -> None:
        """Process every event up to ``end`` (stations that have none stay behind)."""
        ctrl = self.controller
        while True:
            t_ctrl = ctrl.now + ctrl.next_event_in()
            t_heap = self._heap[0][0] if self._heap else math.inf
            t = min(t_ctrl, t_heap)
            if t > end + 1e-12:
                break
            self.now = max(self.now, t)
            self.events += 1
            if t_ctrl <= t_heap:
                ctrl.tick(self.now - ctrl.now)
            else:
                _, _, kind, who, version = heapq.heappop(self._heap)
                if kind == "station":
                    st = self.stations[who]
                    if version != st.version:
                        continue
                    self._bring(st, self.now)
                    if st.next_time() <= self.now + 1e-12:
                        st.bench.changed()
                    self._after(st)
                else:
                    self._vehicle(kind, who)
            self._deliver()

    def _bring(self, st: Station, t: float) -> None:
        """Advance one station to ``t`` (its own deadlines in between are its own)."""
        if t > st.bench.now + 1e-12:
            st.bench.advance(t - st.bench.now)
            self._check_energy(st)

    def _after(self, st: Station) -> None:
        """A station changed: its feed contribution, its vehicle, its next deadline."""
        new = st.feed_currents(settled=True)
        delta = [new[i] - st.contribution[i] for i in range(3)]
        if any(abs(d) > 1e-9 for d in delta):
            st.contribution = new
            self.feed.change(self.now, delta)
        plug = st.plug
        if plug is not None and plug.first_current_at is None and max(new) > CHARGING_A:
            plug.first_current_at = self.now
        self._check_energy(st)
        self._schedule(st)

    def _check_energy(self, st: Station) -> None:
        plug = st.plug
        if plug is None or plug.done:
            return
        got = st.delivered_wh() - plug.start_wh
        st.energy_wh[plug.index] = got
        if got >= plug.vehicle.energy_kwh * 1000.0:
            plug.done = True  # full: the vehicle stops asking (C -> B), stays plugged
            ev = st.bench.ev
            ev.state, ev.load_on = "B", False
            st.bench.changed()

    def _vehicle(self, kind: str, index: int) -> None:
        v = self.vehicles[index]
        st = self.stations[v.station - 1]
        self._bring(st, self.now)
        ev = st.bench.ev
        if kind == "arrive":
            if st.plug is not None:
                return  # the socket is taken (the file's check prevents it)
            st.plug = Plug(v, index, st.delivered_wh())
            self.plugs.append(st.plug)
            ev.pp_ohm, ev.state, ev.load_on = CABLE_OHM, "C", True
            ev.load_setpoint_a = [v.current_a, v.current_a if v.phases == 3 else 0.0,
                                  v.current_a if v.phases == 3 else 0.0]
        else:
            if st.plug is None or st.plug.index != index:
                return
            self._check_energy(st)
            st.plug = None
            ev.state, ev.pp_ohm, ev.load_on = "A", None, False
            ev.load_setpoint_a = [0.0, 0.0, 0.0]
        st.bench.changed()
        self._after(st)

    def depart(self, station: int) -> None:
        """The vehicle at ``station`` (1-based) leaves now (nothing when none is plugged in)."""
        with self.lock:
            plug = self.stations[station - 1].plug
            if plug is not None:
                self._vehicle("depart", plug.index)
                self._deliver()

    def _deliver(self) -> None:
        """Carry the OCPP-J frames written so far, in order, at this instant."""
        ctrl = self.controller
        while self._mail:
            direction, cp_id, text = self._mail.pop(0)
            st = self.by_id[cp_id]
            if direction == "up":
                ctrl.tick(self.now - ctrl.now)
                ctrl.receive(cp_id, text)
            else:
                self._bring(st, self.now)
                st.bench.firmware.ocpp_receive(text)
                st.bench.changed()
                self._after(st)

    # ---- what the instruments read -------------------------------------------------------
    def feed_currents(self) -> list[float]:
        """The feed's current per phase now (every station is at ``now`` after advance)."""
        out = [0.0, 0.0, 0.0]
        for st in self.stations:
            for i, a in enumerate(st.feed_currents()):
                out[i] += a
        return out

    def vehicle_currents(self, station: int) -> list[float]:
        """Outlet current per phase of the vehicle at ``station`` (1-based), A."""
        return list(self.stations[station - 1].bench.ev.load_a)

    def station_state(self, station: int) -> str:
        """What the EV emulator of ``station`` reads on CP (A1, B2, C2, ...)."""
        return self.stations[station - 1].bench.ev_sees_state()

    def fairness(self) -> tuple[float | None, int]:
        """Jain's index over the vehicles the controller holds below what they ask (charging
        now, drawing less than their own maximum), and how many there are."""
        shares = []
        for st in self.stations:
            plug = st.plug
            if plug is None or plug.done:
                continue
            drawn = max(st.bench.load_target_a())
            if CHARGING_A < drawn < plug.vehicle.current_a - 0.5:
                shares.append(drawn)
        return jain(shares), len(shares)

    def status(self) -> dict[str, Any]:
        return {"now": self.now, "events": self.events, "feed_a": self.feed_currents(),
                "violations": len(self.feed.violations), "controller": self.controller.status()}


def _with_keys(profile: Profile, keys: dict[str, Any]) -> Profile:
    """``profile`` with dotted ``keys`` set (validated like an override)."""
    data = profile.model_dump()
    for key, value in keys.items():
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return Profile.model_validate(data)


@dataclass
class DayResult:
    """What a simulated day of an installation measured (the benchmark, the shortened-day test
    and the report's plots): the feed per phase over the day, each station's energy, fuse
    violations and the fairness figure."""

    stations: int
    fuse_a: float
    bench_s: float
    events: int
    feed: list[tuple[float, float, float, float]]  #: (t, L1, L2, L3) every sample, A
    energy_kwh: list[float]  #: per station, delivered
    violations: list[tuple[float, float, float]]  #: (start, end, peak A) above the fuse
    fairness: list[float]  #: Jain's index at each sample with two or more limited vehicles
    vehicles: int
    started: int
    satisfied: int
    longest_wait_s: float

    @property
    def longest_violation_s(self) -> float:
        return max((end - start for start, end, _ in self.violations), default=0.0)

    @property
    def fairness_mean(self) -> float | None:
        return sum(self.fairness) / len(self.fairness) if self.fairness else None

    def summary(self) -> dict[str, Any]:
        return {"stations": self.stations, "fuse_a": self.fuse_a, "bench_s": self.bench_s,
                "events": self.events, "vehicles": self.vehicles, "started": self.started,
                "satisfied": self.satisfied, "longest_wait_s": round(self.longest_wait_s, 1),
                "fuse_violations": len(self.violations),
                "longest_violation_s": round(self.longest_violation_s, 3),
                "peak_feed_a": [round(max((s[i + 1] for s in self.feed), default=0.0), 2)
                                for i in range(3)],
                "fairness_mean": None if self.fairness_mean is None
                else round(self.fairness_mean, 4),
                "fairness_min": round(min(self.fairness), 4) if self.fairness else None}


def simulate_day(site: Site, profile: Profile, vehicles: Iterable[Vehicle], day_s: float,
                 sample_s: float = 60.0) -> DayResult:
    """Run an installation through ``day_s`` of bench time, sampling every ``sample_s``: the
    feed's settled current per phase and the fairness over the vehicles held below what they
    ask. Only events move the stations (no catch-up per sample): the settled figures are exact
    at any instant, whichever station ran last."""
    inst = Installation(site, profile, vehicles)
    feed: list[tuple[float, float, float, float]] = []
    fairness: list[float] = []
    t = 0.0
    while t < day_s - 1e-9:
        t = min(day_s, t + sample_s)
        inst.run_until(t)
        inst.now = t
        total = inst.feed.total
        feed.append((t, total[0], total[1], total[2]))
        index, count = inst.fairness()
        if index is not None and count >= 2:
            fairness.append(index)
    if inst.feed.over_since is not None:  # still above at the end: count it to the end
        inst.feed.violations.append((inst.feed.over_since, day_s, inst.feed._over_peak))
    energy = [0.0] * len(inst.stations)
    for st in inst.stations:
        energy[st.number - 1] = sum(st.energy_wh.values()) / 1000.0
    waits = [(p.first_current_at or day_s) - p.vehicle.arrive_s for p in inst.plugs]
    return DayResult(
        stations=len(inst.stations), fuse_a=site.fuse_a, bench_s=day_s, events=inst.events,
        feed=feed, energy_kwh=energy, violations=list(inst.feed.violations),
        fairness=fairness, vehicles=len(inst.vehicles),
        started=sum(1 for p in inst.plugs if p.first_current_at is not None),
        satisfied=sum(1 for p in inst.plugs if p.done), longest_wait_s=max(waits, default=0.0))
