"""Fixtures the plan's modules share: the residual-current sources, released after each test
(RC trips them on purpose, PR-01 trips the RCD to see the fault LED)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
