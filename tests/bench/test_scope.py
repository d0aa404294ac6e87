"""The oscilloscope of a bench from common instruments: driver, emulated twin, timing.

Real parts: the InfiniiVision driver over pyvisa to the emulated scope's SCPI port, the relays
through labgrid's ModbusCoilDriver to the bench's Modbus TCP board, the emulated charger
firmware (zapcharger) behind its HAL. Timing comes from triggered acquisitions only (the scope
triggers on the pilot's state edge; the contactor is found in channel 2's record); it must
PASS TM-01/TM-02's limits on the compliant charger and FAIL TM-02's on a charger that opens
150 ms late.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from labgrid import Environment
from labgrid.protocol import DigitalOutputProtocol

from rig.bench.host import TOKEN_ENV, BenchHost
from rig.instruments.infiniivision import InfiniiVision
from rig.instruments.relay_vehicle import RelayVehicle, functions
from rig.scope_timing import delay
from testplans.iec61851.plan import CATALOGUE
from tests.bench.test_relay_board import relay_env

#: TM-01 (close after C) and TM-02 (open after B) upper limits, s, from the plan's catalogue.
TM01_S, TM02_S = (CATALOGUE.limit(rid)[1].high for rid in ("TM-01", "TM-02"))


class Rig:
    """A bench with the relay board, the scope driver and the relays through labgrid."""

    def __init__(self, overrides: dict, tmp_path):  # type: ignore[no-untyped-def]
        self.host = BenchHost(overrides=overrides, relay_board=True).start()
        self.bench = self.host.bench
        env = relay_env(tmp_path / "relays.yaml", self.host.relay_board.address)
        self.target = Environment(str(env)).get_target("main")
        self.ev = RelayVehicle({f: self.target.get_driver(DigitalOutputProtocol, name=f)
                                for f in functions()})
        self.scope = InfiniiVision(self.host.servers["scope"].resource, "scope")

    def power_up(self) -> None:
        supply = self.bench.sources["ac1"]
        supply.voltage_v, supply.output = [230.0, 0.0, 0.0], True
        self.bench.changed()
        for _ in range(400):  # boot in virtual time, until the pilot is at +12 V (A1)
            if self.scope.measure("top") > 11.0:
                break
            self.bench.advance(1.0)

    def acquire(self, arm, act, settle_s: float):  # type: ignore[no-untyped-def]
        """Arm, act (a relay), let bench time pass, read channel 2's record."""
        arm()
        act()
        self.bench.advance(settle_s)
        assert self.scope.complete()
        return self.scope.record(2, points=20000)

    def close(self) -> None:
        self.scope.close()
        self.target.deactivate_all_drivers()
        self.host.stop()


@pytest.fixture(scope="module")
def compliant(tmp_path_factory) -> Iterator[Rig]:  # type: ignore[no-untyped-def]
    """One bench with the compliant charger, powered up, for the tests that share it."""
    rig = Rig({}, tmp_path_factory.mktemp("compliant"))
    rig.power_up()
    yield rig
    rig.close()


def charge_timings(rig: Rig) -> tuple:  # type: ignore[type-arg]
    """TM-01 (B2 -> C2, runt trigger) and TM-02 (C2 -> B2, rising edge) from acquisitions."""
    scope, ev = rig.scope, rig.ev
    scope.configure_channel(1, 5.0)
    scope.configure_channel(2, 100.0, probe=100.0)
    ev.set_cable(220.0)
    ev.set_state("B")
    rig.bench.advance(2.0)
    freq, duty = scope.measure("frequency"), scope.measure("duty") / 100.0
    assert freq == pytest.approx(1000.0, rel=0.01)
    scope.configure_timebase(0.1, pretrigger_s=0.05)  # 1 s record: TM-01's 0.5 s fits
    record = rig.acquire(lambda: scope.arm_runt(0.0, 7.5), lambda: ev.set_state("C"), 1.2)
    closed = delay(record, closing=True, trigger="runt", pwm_hz=freq, duty=duty)
    rig.bench.advance(3.0)
    scope.configure_timebase(0.02, pretrigger_s=0.01)  # 200 ms record, 10 us per point
    record = rig.acquire(lambda: scope.arm_edge(7.5, rising=True), lambda: ev.set_state("B"),
                         0.3)
    opened = delay(record, closing=False, trigger="edge", pwm_hz=freq, duty=duty)
    ev.make_safe()
    return closed, opened


def test_measurements_of_the_live_pilot(compliant):
    rig = compliant
    assert rig.scope.measure("top") == pytest.approx(12.0, abs=0.2)
    assert math.isnan(rig.scope.measure("frequency"))  # A1: no edges
    rig.ev.set_cable(220.0)
    rig.ev.set_state("B")
    rig.bench.advance(2.0)
    assert rig.scope.measure("top") == pytest.approx(9.0, abs=0.3)
    assert rig.scope.measure("base") == pytest.approx(-12.0, abs=0.3)
    assert rig.scope.measure("duty") == pytest.approx(rig.bench.hal.cp_duty_pct, abs=0.01)
    rig.ev.make_safe()


def test_timing_from_triggered_acquisitions_passes_the_compliant_charger(compliant):
    rig = compliant
    rig.bench.advance(2.0)
    closed, opened = charge_timings(rig)
    # the profile: close 0.5 s after C, open 0.05 s after B (firmware-under-test profiles)
    # within the sum of the bounds (the worst case; U combines them as rectangles)
    assert closed.delay_s == pytest.approx(0.5, abs=sum(closed.bounds_s.values()))
    assert opened.delay_s == pytest.approx(0.05, abs=sum(opened.bounds_s.values()))
    assert closed.delay_s + closed.uncertainty_s < TM01_S
    assert opened.delay_s + opened.uncertainty_s < TM02_S
    # a quarter of a mains period dominates the opening; the PWM period the closing
    assert 0.005 < opened.uncertainty_s < 0.012
    assert closed.bounds_s["state_change"] == pytest.approx(0.0005)


def test_a_late_opening_is_measured_late(tmp_path):
    rig = Rig({"timing.open_after_b_s": 0.15}, tmp_path)
    try:
        rig.power_up()
        _, opened = charge_timings(rig)
    finally:
        rig.close()
    assert opened.delay_s == pytest.approx(0.15, abs=sum(opened.bounds_s.values()))
    assert opened.delay_s - opened.uncertainty_s > TM02_S  # TM-02 FAILs with this scope


def test_a_record_without_the_contactor_says_so(compliant):
    rig = compliant
    rig.bench.advance(2.0)
    rig.scope.configure_timebase(0.01, pretrigger_s=0.0)
    record = rig.acquire(lambda: rig.scope.arm_edge(10.5, rising=False),
                         lambda: rig.ev.set_state("B"), 0.2)
    assert delay(record, closing=True, trigger="edge", pwm_hz=None, duty=1.0).delay_s is None
    rig.ev.make_safe()


def test_the_waveform_before_an_acquisition_is_a_clear_error(compliant):
    from rig.errors import InstrumentError

    rig = compliant
    rig.scope.send(":SINGle")
    with pytest.raises(InstrumentError, match=r"the acquisition has not completed"):
        rig.scope.record(2, points=1000)
    rig.scope.run()


@pytest.fixture(autouse=True)
def _no_token() -> Iterator[None]:
    yield
    import os

    os.environ.pop(TOKEN_ENV, None)
