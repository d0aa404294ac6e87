"""The counter's gate on the charger's test output, in the bench model (no sockets).

A stand-in firmware emits test-output pulses at a known rate (``hal.meter_pulses``), so what the
gate must count is known exactly: the gate is a model event (a step of bench time ends on it),
a restart of the meter's count is no lost pulse, and a trigger level outside the pulse counts
nothing. The real firmware's pulses against the analyser are in tests/instruments.
"""

from __future__ import annotations

import math

import pytest
from zapcharger.profile import load_profile

from rig.bench.bench import Bench
from rig.bench.instruments.counter import Counter53220A

#: Pulses per second of the stand-in's test output.
RATE = 7.0


class PulseFirmware:
    """Pulses ``RATE`` times a second since power-up (every load); nothing else."""

    def __init__(self, hal, profile):  # type: ignore[no-untyped-def]
        self.hal, self.t = hal, 0.0

    def tick(self, dt: float) -> None:
        self.t += dt
        self.hal.meter_pulses = math.floor(self.t * RATE + 1e-9)

    def next_event_in(self) -> float:
        return 0.37  # steps that fall between gate ends: the gate must end them itself

    def console_input(self, text: str) -> None: ...
    def can_receive(self, arbitration_id: int, data: bytes) -> None: ...
    def ocpp_receive(self, text: str) -> None: ...
    def ocpp_connected(self, connected: bool) -> None: ...


@pytest.fixture
def bench() -> Bench:
    return Bench(load_profile(overrides={
        "firmware_entry": "tests.bench.test_pulse_counter:PulseFirmware"}))


@pytest.fixture
def counter(bench: Bench) -> Counter53220A:
    return Counter53220A(bench)


def run(counter: Counter53220A, message: str) -> str | None:
    reply = counter.process(message)
    assert counter.process("SYST:ERR?") == '+0,"No error"', message
    return reply


def test_a_gate_counts_the_pulses_inside_it_and_ends_on_its_own_time(bench, counter):
    bench.advance(1.05)  # 7 pulses so far, the next at 8/7 s
    run(counter, "CONF:TOT:TIM 2,(@1)")
    run(counter, "INIT")
    assert run(counter, "STAT:OPER:COND?") == "16"
    bench.advance(1.0)
    assert counter.process("FETC?") is None  # the gate is open: no reply, -230
    assert counter.process("SYST:ERR?").startswith("-230,")
    bench.advance(5.0)  # one call across the gate's end: the step ends exactly there
    assert run(counter, "STAT:OPER:COND?") == "0"
    # pulses at k/7 s for 1.05 < k/7 <= 3.05: k = 8 ... 21
    assert float(run(counter, "FETC?")) == 14
    assert bench.counter.gate_end is None and bench.counter.count == 14


def test_a_meter_restart_loses_no_pulse(bench, counter):
    bench.advance(0.5)
    run(counter, "SENS:TOT:GATE:TIME 3")
    run(counter, "INIT")
    bench.advance(1.0)  # 3 pulses so far (k = 4 ... 10 by t = 1.5 s: 7 in the gate)
    bench.load_profile(bench.profile)  # a new firmware image: its count starts from zero
    bench.advance(2.0)  # 14 more
    assert float(run(counter, "FETC?")) == 7 + 14


def test_a_level_outside_the_pulse_counts_nothing_and_abort_discards(bench, counter):
    run(counter, "INP:LEV 5")  # the S0 high level itself: never crossed
    run(counter, "INIT")
    bench.advance(2.0)
    assert float(run(counter, "FETC?")) == 0
    run(counter, "INP:LEV:AUTO ON")
    run(counter, "INIT")
    run(counter, "ABOR")
    assert float(run(counter, "FETC?")) == 9.91e37  # no reading
    run(counter, "INIT")
    assert counter.process("INIT") is None  # a second INIT while measuring
    assert counter.process("SYST:ERR?").startswith("-213,")
    bench.advance(0.1)  # the *RST gate time
    assert float(run(counter, "FETC?")) in (0, 1)


def test_the_gate_is_not_the_safe_state_but_abort_is(bench, counter):
    """A counter only listens: the bench's safe state does not depend on it."""
    run(counter, "INIT")
    assert bench.safe_state()[0]
    run(counter, "*RST")
    assert not bench.counter.running
