"""Driver tests against the emulated bench over real sockets: one bench per test module.

Each test drives a real driver through pyvisa-py to an emulated instrument and compares the
transcript (every message sent and received) and the parsed values. The bench loads the charger
firmware its profile names (``zapcharger:Firmware``); set ``RIG_TEST_FIRMWARE=module:Class`` to
run the same driver tests against another firmware image.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import pyvisa

from rig.bench.host import TOKEN_ENV, BenchHost
from rig.instruments.base import ScpiInstrument
from rig.instruments.registry import open_instrument
from rig.transport import Transcript

KEYS = {
    "AC6801B": "ac1", "ASTERION": "ac3", "WT333E": "pa", "KEITHLEY2450": "smu",
    "KEITHLEY6221": "cs", "EVE-1": "ev", "CHROMA19032": "est", "53220A": "cnt",
    "BENCH-CONTROL": "ctrl",
}


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, str]]:
    """A running emulated bench (virtual clock); its addresses by key (ac1, ac3, pa, ...)."""
    firmware = os.environ.get("RIG_TEST_FIRMWARE")
    host = BenchHost(overrides={"firmware_entry": firmware} if firmware else None).start()
    os.environ[TOKEN_ENV] = host.token  # as the in-process bench does: the drivers read it
    try:
        yield host.addresses()
    finally:
        os.environ.pop(TOKEN_ENV, None)
        host.stop()


@pytest.fixture(scope="module")
def ctrl(bench: dict[str, str]) -> Iterator[Any]:
    """The bench control port as a plain pyvisa resource (virtual time, fault injection)."""
    rm = pyvisa.ResourceManager("@py")
    res = rm.open_resource(
        bench["ctrl"], read_termination="\n", write_termination="\n", timeout=20_000
    )
    assert res.query(f'BENCH:AUTH? "{os.environ[TOKEN_ENV]}"') == "1"
    try:
        yield res
    finally:
        res.close()


@pytest.fixture
def bench_do(ctrl: Any) -> Callable[[str], None]:
    """Run a control-port command and wait until it took effect; it must not fail."""

    def do(command: str) -> None:
        assert ctrl.query(f"{command};*OPC?;:SYST:ERR?") == '1;0,"No error"', command

    return do


@pytest.fixture
def advance(bench_do: Callable[[str], None]) -> Callable[[float], None]:
    """Advance the bench's virtual time (synchronous)."""

    def advance_(seconds: float) -> None:
        bench_do(f"BENCH:TIME:ADV {seconds}")

    return advance_


@pytest.fixture
def wait_for(advance: Callable[[float], None]) -> Callable[..., Any]:
    """``wait_for(predicate, within_s, step_s=0.5)``: advance virtual time until ``predicate()``
    is truthy (returns it) or fail. For the few tests that need the charger to react: how long
    it takes (boot, self-test) is the firmware's business, not the driver's."""

    def wait(predicate: Callable[[], Any], within_s: float, step_s: float = 0.5) -> Any:
        waited = 0.0
        while not (value := predicate()):
            assert waited < within_s, f"not within {within_s} s of bench time"
            advance(step_s)
            waited += step_s
        return value

    return wait


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


@pytest.fixture
def driver(
    bench: dict[str, str], transcript: Transcript
) -> Iterator[Callable[..., ScpiInstrument]]:
    """``driver("AC6801B", **options)``: open a driver on its emulated instrument; made safe
    and closed after the test."""
    opened: list[ScpiInstrument] = []

    def open_(model: str, timeout_s: float = 2.0, **options: Any) -> ScpiInstrument:
        key = KEYS[model]
        inst = open_instrument(model, bench[key], key, transcript, timeout_s, **options)
        opened.append(inst)
        return inst

    yield open_
    for inst in reversed(opened):
        with contextlib.suppress(Exception):
            inst.make_safe()
        inst.close()


@pytest.fixture
def checked() -> Callable[..., list[str]]:
    """``checked("VOLT 230", ok)``: transcript lines of a configuration write followed by its
    error-queue check."""

    def lines(command: str, ok: str = '0,"No error"', query: str = "SYST:ERR?") -> list[str]:
        return [f"> {command}", f"> {query}", f"< {ok}"]

    return lines
