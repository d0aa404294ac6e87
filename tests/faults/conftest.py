"""Fault tests: an emulated bench whose instruments and charger links the tests break on purpose.

One bench per test module (the real charger firmware, virtual clock); ``bench_do`` runs a
control-port command (``BENCH:FAULT:LINK ev,DROP``, ``BENCH:FAULT:REBOOT ac3``, ...) and checks
it was accepted. Every test leaves the links repaired: the fixtures set every link fault back to
``NONE`` and the charger-link faults off after each test, whatever happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import pyvisa

from rig.bench.host import BenchHost
from rig.instruments.base import ScpiInstrument
from rig.instruments.registry import open_instrument
from rig.transport import Transcript

KEYS = {
    "AC6801B": "ac1", "ASTERION": "ac3", "WT333E": "pa", "KEITHLEY2450": "smu",
    "KEITHLEY6221": "cs", "EVE-1": "ev",
}


@pytest.fixture(scope="module")
def host() -> Iterator[BenchHost]:
    """A running emulated bench (virtual clock, the real charger firmware)."""
    bench = BenchHost().start()
    try:
        yield bench
    finally:
        bench.stop()


@pytest.fixture(scope="module")
def bench(host: BenchHost) -> dict[str, str]:
    """The bench's addresses by key (ac1, ac3, pa, smu, cs, ev, ctrl, console, ...)."""
    return host.addresses()


@pytest.fixture(scope="module")
def ctrl(bench: dict[str, str], host: BenchHost) -> Iterator[Any]:
    """The bench control port as a plain pyvisa resource."""
    rm = pyvisa.ResourceManager("@py")
    res = rm.open_resource(
        bench["ctrl"], read_termination="\n", write_termination="\n", timeout=20_000
    )
    assert res.query(f'BENCH:AUTH? "{host.token}"') == "1"
    try:
        yield res
    finally:
        res.close()


@pytest.fixture
def bench_do(ctrl: Any, host: BenchHost) -> Iterator[Callable[[str], None]]:
    """Run a control-port command and wait until it took effect; it must not fail. Every link
    fault is repaired after the test."""

    def do(command: str) -> None:
        assert ctrl.query(f"{command};*OPC?;:SYST:ERR?") == '1;0,"No error"', command

    yield do
    for key in KEYS.values():
        do(f"BENCH:FAULT:LINK {key},NONE")
    for fault in ("CONSOLE", "CAN", "OCPP"):
        with contextlib.suppress(AssertionError):
            do(f"BENCH:FAULT:{fault} NONE")


@pytest.fixture
def scpi_transcript() -> Transcript:
    return Transcript()


@pytest.fixture
def driver(
    bench: dict[str, str], scpi_transcript: Transcript, bench_do: Callable[[str], None]
) -> Iterator[Callable[..., ScpiInstrument]]:
    """``driver("EVE-1", timeout_s=0.5)``: a driver on its emulated instrument; made safe and
    closed after the test (after the links are repaired)."""
    opened: list[ScpiInstrument] = []

    def open_(model: str, timeout_s: float = 0.5, **options: Any) -> ScpiInstrument:
        key = KEYS[model]
        inst = open_instrument(model, bench[key], key, scpi_transcript, timeout_s, **options)
        opened.append(inst)
        return inst

    yield open_
    for key in KEYS.values():
        bench_do(f"BENCH:FAULT:LINK {key},NONE")
    for inst in reversed(opened):
        with contextlib.suppress(Exception):
            inst.make_safe()
        with contextlib.suppress(Exception):
            inst.make_safe()  # once more: the first may only have reported lost settings
        inst.close()
