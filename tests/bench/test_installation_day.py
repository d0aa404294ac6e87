"""A shortened day of the manual's installation (100 stations on 63 A, the day squeezed into
an hour of bench time): the product's controller keeps the settled feed within the fuse, serves
the vehicles in turn and shares fairly; the same day with a controller that ignores the fuse
(20 stations are enough) puts the feed far above it. The full day is bench/installation_day.py."""

from __future__ import annotations

import pytest
from zapcharger.profile import load_profile

from rig.bench.installation import simulate_day
from rig.door import check_installation
from rig.installation import Site, day_scenario, jain
from testplans.iec61851.plan import CATALOGUE

SHORT_DAY_S = 3600.0


def test_a_shortened_day_of_100_stations_on_63_a():
    site = Site(fuse_a=63, stations=100, rotation=["RST", "STR", "TRS"])
    vehicles = day_scenario(site, day_s=SHORT_DAY_S)
    day = simulate_day(site, load_profile(), vehicles, SHORT_DAY_S)
    assert day.stations == 100 and day.vehicles == len(vehicles) > 100
    assert day.violations == []  # the settled feed never passes the fuse
    peak = day.summary()["peak_feed_a"]
    assert max(peak) == pytest.approx(63.0, abs=0.1)  # and the fuse is used, not wasted
    assert day.started > 60  # a hundred vehicles on 63 A: they take turns
    limit = CATALOGUE.limit("PR-05", "fairness")[1].low
    assert limit is not None and day.fairness_mean is not None
    assert day.fairness_mean >= limit, day.summary()
    # the vehicles are there for about 25 minutes of the squeezed day: the feed's 43.5 kW for
    # most of that, never more than the fuse allows in the whole hour
    assert 15 < sum(day.energy_kwh) <= 63 * 3 * 230 * SHORT_DAY_S / 3.6e6


def test_the_same_day_with_a_controller_that_ignores_the_fuse():
    site = Site(fuse_a=63, stations=20, rotation=["RST", "STR", "TRS"])
    day = simulate_day(site, load_profile(overrides={"installation.respect_fuse": False}),
                       day_scenario(site, day_s=SHORT_DAY_S), SHORT_DAY_S)
    assert day.violations and day.longest_violation_s > 600
    assert max(day.summary()["peak_feed_a"]) > 2 * 63


def test_the_100_station_file_passes_the_door():
    spec = check_installation("rigs/installations/site-100.yaml")
    assert spec.installation.stations == 100 and spec.installation.fuse_a == 63
    assert spec.installation.wiring(2) == (1, 2, 0)  # STR: its L1 terminal on feed L2


def test_jain_index():
    assert jain([10, 10, 10]) == 1.0
    assert jain([32, 0, 0, 0, 0]) == pytest.approx(0.2)
    assert jain([]) is None
