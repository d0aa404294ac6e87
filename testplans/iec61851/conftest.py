"""Fixtures the plan's modules share: the residual-current sources, released after each test
(RC trips them on purpose, PR-01 trips the RCD to see the fault LED)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rig.errors import RigError
from testplans.iec61851.plan import budget

#: How long a vehicle stays unplugged after a trip test before the next test plugs in (a real
#: unplug takes longer; the charger's sensor needs a few tens of ms to see the current gone).
UNPLUGGED_S = 0.5


def release(source: Any, ev: Any, clock: Any) -> None:
    """After a trip test: injection off, vehicle unplugged for a moment. On the virtual clock
    the next test would otherwise plug in again at the same instant, before the charger's
    sensor has seen the residual current go, and the charger would trip again at once."""
    source.stop()
    ev.set_state("A")
    clock.sleep(UNPLUGGED_S)


@pytest.fixture
def dc_source(rcd_dc: Any, ev: Any, clock: Any) -> Iterator[Any]:
    """The smooth-DC source, configured (output off, level 0); released after the test."""
    rcd_dc.configure()
    yield rcd_dc
    release(rcd_dc, ev, clock)


@pytest.fixture
def ac_source_rc(rcd_ac: Any, ev: Any, clock: Any) -> Iterator[Any]:
    """The AC residual-current source, configured (waveform stopped); released after."""
    rcd_ac.configure()
    yield rcd_ac
    release(rcd_ac, ev, clock)


# ---- installations (PR-05, PR-06) ------------------------------------------------------------
class Installation:
    """One installation in front of the rig: its fuse and size (the installation file), the
    analyser on its feed, its vehicle bank and its clock."""

    def __init__(self, name: str, spec: Any, feed: Any, vehicles: Any, clock: Any):
        self.name, self.spec = name, spec
        self.fuse_a = float(spec.installation.fuse_a)
        self.stations = int(spec.installation.stations)
        self.feed, self.vehicles, self.clock = feed, vehicles, clock

    def feed_a(self) -> list[float]:
        """The feed's current per phase, A (the analyser, through its CTs)."""
        return self.feed.read([("I", 1), ("I", 2), ("I", 3)])

    def wait_ready(self, timeout_s: float) -> None:
        """Every station's pilot at +12 V (ready: booted, no vehicle), or a rig ERROR."""
        ready = self.clock.wait_until(
            lambda: all(self.vehicles.state(n) == "A1" for n in range(1, self.stations + 1)),
            timeout_s, poll=1.0)
        if not ready:
            states = [self.vehicles.state(n) for n in range(1, self.stations + 1)]
            raise RigError(f"installation {self.name}: stations not ready after {timeout_s:g} s "
                           f"(pilot states {states})")


@pytest.fixture
def installation(request: pytest.FixtureRequest, rig_test: Any) -> Iterator[Installation]:
    """The installation named by the test's parameter (``rigs/installations/<name>.yaml`` beside
    the rig file). The emulated rig loads it through the installation's control port (its
    stations start from power-on); a rig whose installation is wired for good runs only the
    name its ``options.installation`` file has. Every vehicle unplugged afterwards."""
    from pathlib import Path

    from rig.installation import installation_file, load_installation
    from rig.pytest_plugin.emulator import rig_file_options

    name = request.param
    feed = rig_test.instruments.get("feed_analyser")
    vehicles = rig_test.instruments.get("vehicles")
    if feed is None or vehicles is None:
        pytest.skip("the rig has no installation (a feed analyser and a vehicle bank)")
    rig_file = Path(rig_test.env.config_file)
    control = rig_test.instruments.get("installation_control")
    file = rig_file.parent / "installations" / f"{name}.yaml"
    if control is None:
        fixed = rig_file_options(rig_file).get("installation")
        if fixed is None or Path(str(fixed)).stem != name:
            pytest.skip(f"this rig's installation is {fixed} (the test runs on '{name}')")
        file = installation_file(rig_file, fixed)
    spec = load_installation(file)
    if control is not None:
        control.send(f'BENCH:INST:LOAD "{file}"')
    feed.configure()
    site = Installation(name, spec, feed, vehicles, rig_test.installation_clock)
    site.wait_ready(budget("SU-03", "ready_time"))
    try:
        yield site
    finally:
        vehicles.depart_all()
