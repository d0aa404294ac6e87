"""Plan-style tests that energise the rig and then end one way each, run in pytest subprocesses
against a standalone bench by ``tests/safety`` (selected with ``-k``). Energised means: supply
on, a charge in progress (EV in C2, load on, contactor closed) and residual current flowing from
both sources, below the charger's trip levels."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

#: The DC and AC residual currents the tests leave flowing: well below the trip levels (6 mA DC,
#: 30 mA AC), so the charger keeps charging.
RC_DC_A = 0.002
RC_AC_A = 0.005
#: Seconds of wall time a test hangs before pytest-timeout (signal method) ends it.
TIMEOUT_S = float(os.environ.get("RIG_SAFETY_TIMEOUT_S", "6"))


def _wait_forever() -> None:
    """Hang on the wall clock (the bench's virtual clock stands still: the charge goes on)."""
    while True:
        time.sleep(0.02)


def _go_file() -> Path | None:
    name = os.environ.get("RIG_SAFETY_GO")
    return Path(name) if name else None


def _hold(timeout: float = 60.0) -> None:
    """Wait until the go file exists (the test that started this run has seen what it needed
    on the bench's control port), if one is named."""
    go = _go_file()
    deadline = time.monotonic() + timeout
    while go is not None and not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture
def energised(charging, rcd_dc, rcd_ac):  # type: ignore[no-untyped-def]
    rcd_dc.apply(RC_DC_A)
    rcd_ac.apply(RC_AC_A)
    _hold()
    return charging


@pytest.mark.requirement("SF-01")
def test_fails_a_limit(energised, record):  # type: ignore[no-untyped-def]
    record("SF-01", 1.0, "V")


@pytest.fixture
def broken(energised):  # type: ignore[no-untyped-def]
    raise RuntimeError("a fixture broke with the rig energised")


@pytest.mark.requirement("SF-02")
def test_fixture_raises(broken):  # type: ignore[no-untyped-def]
    raise AssertionError("never reached")


@pytest.mark.requirement("SF-03")
def test_waits_for_a_signal(energised):  # type: ignore[no-untyped-def]
    _wait_forever()


@pytest.mark.requirement("SF-04")
@pytest.mark.timeout(TIMEOUT_S)
def test_hangs_until_the_timeout(energised):  # type: ignore[no-untyped-def]
    _wait_forever()


@pytest.mark.requirement("SF-05")
def test_passes_energised(energised, record, ac_source):  # type: ignore[no-untyped-def]
    assert ac_source.is_on()
    record("SF-05", 0.0, "V")


@pytest.mark.requirement("SF-06")
@pytest.mark.lg_feature("bench-faults")
def test_loses_a_link(energised, bench_control, record):  # type: ignore[no-untyped-def]
    bench_control.link_fault("smu", "DROP")
    record("SF-06", 1.0, "V")


@pytest.mark.requirement("SF-07")
def test_charges_until_killed(charging):  # type: ignore[no-untyped-def]
    _wait_forever()


@pytest.mark.requirement("SF-08")
def test_holds_the_rig(ev, record):  # type: ignore[no-untyped-def]
    """Holds the rig (and its lock) until the go file appears."""
    _hold()
    record("SF-08", 0.0, "V")
