"""Installations: load distribution (PR-05) and phase distribution (PR-06) over several stations.

The product's installation controller shares one main fuse among the stations of a site. The
rig only measures, as a lab would: an analyser on the feed (the sum of the stations' currents
per phase) and a vehicle bank (one EV emulator per station: what each vehicle draws, and when it
first drew). Each test runs on the installations the catalogue names (the emulated rig loads
them; ``rigs/installations/``); a rig without the ``installation`` feature (one station) leaves
them NOT_RUN with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from rig.installation import jain
from testplans.iec61851.plan import CATALOGUE

P5 = CATALOGUE.params("PR-05")
P6 = CATALOGUE.params("PR-06")
#: A vehicle counts as drawing current above this, A.
DRAWING_A = 1.0
#: A queued vehicle is watched this often for its first current, s.
QUEUE_POLL_S = 0.1


def allowance_s() -> float:
    """How long the feed may stay above the fuse: TM-04's update_time (the stations' duty
    follows a lowered limit within it)."""
    limit = CATALOGUE.limit("TM-04", "update_time")[1].high
    assert limit is not None
    return float(limit)


class FeedWatch:
    """The feed analyser read every ``poll_s`` while the rig waits: the samples, and the longest
    stretch above the fuse (from the first sample above to the first one back within)."""

    def __init__(self, site: Any, poll_s: float):
        self.site, self.poll_s = site, poll_s
        self.samples: list[tuple[float, list[float]]] = []

    def wait(self, seconds: float) -> None:
        waited = 0.0
        while waited < seconds - 1e-9:
            step = min(self.poll_s, seconds - waited)
            self.site.clock.sleep(step)
            waited += step
            self.samples.append((self.site.vehicles.now(), self.site.feed_a()))

    def longest_over_s(self) -> float:
        longest, since = 0.0, None
        for t, amps in self.samples:
            if max(amps) > self.site.fuse_a:
                since = t if since is None else since
                longest = max(longest, t - since)
            elif since is not None:
                longest = max(longest, t - since)
                since = None
        return longest

    def peak(self) -> list[float]:
        return [max((a[i] for _, a in self.samples), default=0.0) for i in range(3)]

    def plot_data(self) -> dict[str, Any]:
        """Plot-ready: the feed per phase against the fuse (the report draws it)."""
        t0 = self.samples[0][0] if self.samples else 0.0
        return {"fuse_a": self.site.fuse_a,
                "feed": [[round(t - t0, 3), *(round(x, 3) for x in a)] for t, a in self.samples]}


def arrive(site: Any, station: int, vehicle: dict[str, Any]) -> None:
    site.vehicles.arrive(station, int(vehicle["phases"]), float(vehicle["current_a"]),
                         float(vehicle["energy_kwh"]))


def shares(site: Any) -> list[float]:
    """What each station's vehicle draws, A (its highest phase)."""
    return [max(amps) for amps in site.vehicles.all_currents()]


# ---- PR-05: the fuse, and fair shares --------------------------------------------------------
@pytest.mark.requirement("PR-05")
@pytest.mark.lg_feature("installation")
@pytest.mark.parametrize("installation", P5["installations"], indirect=True)
def test_shares_the_fuse(installation, record):
    """A vehicle at every station, each asking more than its share, arriving one after another,
    settling, then leaving one after another: the feed analyser never reads more than the fuse
    on a phase for longer than TM-04's allowance, and once settled the vehicles share fairly
    (Jain's index over the vehicles charging at once: every one of them can have its 6 A)."""
    site = installation
    watch = FeedWatch(site, float(P5["poll_s"]))
    for n in range(1, site.stations + 1):
        arrive(site, n, P5["vehicle"])
        watch.wait(float(P5["stagger_s"]))
    watch.wait(float(P5["settle_s"]))
    drawn = shares(site)
    for n in range(1, site.stations + 1):
        site.vehicles.depart(n)
        watch.wait(float(P5["stagger_s"]))
    longest, allowed = watch.longest_over_s(), allowance_s()
    record("PR-05", longest <= allowed, name="sum_within_limit",
           data={"installation": site.name, "stations": site.stations, "fuse_a": site.fuse_a,
                 "peak_a": watch.peak(), "longest_over_fuse_s": longest,
                 "allowance_s": allowed, **watch.plot_data()})
    index = jain(drawn)
    record("PR-05", index if index is not None else 0.0, "1", name="fairness",
           data={"installation": site.name, "shares_a": drawn, "fuse_a": site.fuse_a})


@pytest.mark.requirement("PR-05")
@pytest.mark.lg_feature("installation")
@pytest.mark.parametrize("installation", P5["queue_installations"], indirect=True)
def test_queued_vehicle_starts(installation, record):
    """More vehicles than the fuse can give 6 A each: the last one waits. When a charging vehicle
    leaves, the queued one draws current within the stated time (the vehicle bank's time stamps
    of the departure and of its first current)."""
    site = installation
    for n in range(1, site.stations + 1):
        arrive(site, n, P5["vehicle"])
        site.clock.sleep(float(P5["stagger_s"]))
    site.clock.sleep(float(P5["settle_s"]))
    drawn = shares(site)
    queued = [n for n, a in enumerate(drawn, 1) if a < DRAWING_A]
    charging = [n for n, a in enumerate(drawn, 1) if a >= DRAWING_A]
    if not queued or not charging:
        pytest.fail(f"precondition: with {site.stations} vehicles on {site.fuse_a:g} A one "
                    f"must wait and one charge (drawn {drawn} A)")
    t_left = site.vehicles.depart(charging[0])
    limit = CATALOGUE.limit("PR-05", "queue_start")[1].high or 10.0
    started = site.clock.wait_until(
        lambda: site.vehicles.first_current_at(queued[0]), 3 * limit, poll=QUEUE_POLL_S)
    waited = (started - t_left) if started is not None else site.vehicles.now() - t_left
    record("PR-05", waited, "s", name="queue_start",
           data={"installation": site.name, "queued": queued[0], "left": charging[0],
                 "started": started is not None, "shares_a": drawn})


@pytest.mark.requirement("PR-05")
@pytest.mark.lg_feature("installation")
@pytest.mark.parametrize("installation", P5["day_installations"], indirect=True)
def test_a_day_within_the_fuse(installation, record):
    """The installation file's own day of vehicles (1- and 3-phase, coming and going), played
    through the vehicle bank at its times: the feed analyser and every vehicle's current read
    every ``day_poll_s``; the feed is never above the fuse for longer than TM-04's allowance.
    Kept with it for the report: the feed over the day and each station's charge (Ah)."""
    site = installation
    poll = float(P5["day_poll_s"])
    t0 = site.vehicles.now()
    events = sorted([(v.arrive_s, 1, v) for v in site.spec.vehicles]
                    + [(v.depart_s, 0, v) for v in site.spec.vehicles],
                    key=lambda e: (e[0], e[1]))
    watch = FeedWatch(site, poll)
    charge_ah = [0.0] * site.stations
    for at, arriving, v in events:
        while site.vehicles.now() - t0 < at - 1e-9:
            watch.wait(min(poll, at - (site.vehicles.now() - t0)))
            for n, amps in enumerate(site.vehicles.all_currents()):
                charge_ah[n] += max(amps) * poll / 3600.0
        if arriving:
            arrive(site, v.station, {"phases": v.phases, "current_a": v.current_a,
                                     "energy_kwh": v.energy_kwh})
        else:
            site.vehicles.depart(v.station)
    longest, allowed = watch.longest_over_s(), allowance_s()
    record("PR-05", longest <= allowed, name="sum_within_limit",
           data={"installation": site.name, "stations": site.stations, "fuse_a": site.fuse_a,
                 "vehicles": len(site.spec.vehicles), "peak_a": watch.peak(),
                 "longest_over_fuse_s": longest, "allowance_s": allowed,
                 "station_ah": [round(a, 2) for a in charge_ah], **watch.plot_data()})


# ---- PR-06: a new 1-phase vehicle on the least loaded phase ----------------------------------
@pytest.mark.requirement("PR-06")
@pytest.mark.lg_feature("installation")
@pytest.mark.parametrize("installation", P6["installations"], indirect=True)
def test_new_vehicle_on_least_loaded_phase(installation, record):
    """1-phase vehicles arrive one after another, each asking less than the fuse allows: the feed
    phase each one's current appears on (the analyser, before and after) was among the least
    loaded when it arrived."""
    site = installation
    tolerance = float(P6["tolerance_a"])
    for n in range(1, site.stations + 1):
        before = site.feed_a()
        arrive(site, n, P6["vehicle"])
        site.clock.sleep(float(P6["arrival_gap_s"]))
        after = site.feed_a()
        rise = [after[i] - before[i] for i in range(3)]
        drawing = max(site.vehicles.currents(n)) >= DRAWING_A
        # a vehicle that got no current landed nowhere (a starved vehicle fails the claim too)
        landed = max(range(3), key=lambda i: rise[i]) if drawing else None
        least = [i for i in range(3) if before[i] <= min(before) + tolerance]
        record("PR-06", landed in least, name="least_loaded_phase",
               data={"installation": site.name, "station": n, "before_a": before,
                     "after_a": after, "drawing": drawing,
                     "landed": None if landed is None else f"L{landed + 1}",
                     "least_loaded": [f"L{i + 1}" for i in least]})
