"""Keysight 53220A universal counter, channel 1 on the charger's meter test output (totalize).

The meter lab's pulse method (IEC 62053-21 tests a static meter through its test output): the
counter counts the test output's pulses over a timed gate while the power analyser integrates
the energy over the same time. The gate is a model event of the bench (``Bench.counter``): a
step of bench time ends exactly where the gate closes, and the count is the pulses the
charger's firmware emitted in between (``hal.meter_pulses``). What it accepts is its manual's
command table, ``rig.bench.manuals.keysight53220a``.
"""

from __future__ import annotations

from rig.bench.manuals.keysight53220a import MANUAL
from rig.bench.model import TEST_OUTPUT_HIGH_V
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument

#: Gate times the counter takes, s (c).
GATE_RANGE = (1e-5, 1000.0)
#: The counter's "not a number": a reading it could not make.
NOT_A_NUMBER = 9.91e37
#: STATus:OPERation bit 4: a measurement is running.
MEASURING = 16


def _num(value: float) -> str:
    return fmt_e(value, 14, plus=True)


class Counter53220A(EmulatedInstrument):
    key = "cnt"
    manual = MANUAL
    error_code_format = "{:+d}"

    def __init__(self, bench, serial: str = "MY53220042"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"Keysight Technologies,53220A,{serial},02.05-1519.666-1.19-4.15-127-155-35"

    def format_number(self, value: float) -> str:
        return _num(value)

    def reset(self) -> None:
        self.gate_s = 0.1
        self.level_v = 0.0
        self.auto_level = True
        self.has_reading = False
        self.bench.counter.abort()
        self._wiring()

    def _wiring(self) -> None:
        """Does channel 1 see the pulses: auto level (half the pulse height), or a fixed
        level between the output's low (0 V) and high level."""
        level = TEST_OUTPUT_HIGH_V / 2 if self.auto_level else self.level_v
        self.bench.counter.sees_pulses = 0.0 < level < TEST_OUTPUT_HIGH_V

    @staticmethod
    def _channel(call: Call, index: int) -> None:
        if len(call.params) > index and call.raw(index).replace(" ", "") != "(@1)":
            raise ScpiError(-221, f"{call.header}: only channel 1 is wired on this bench")

    # ---- CONFigure ------------------------------------------------------------------------
    @EmulatedInstrument.command("CONFigure:TOTalize:TIMed")
    def _conf_timed(self, call: Call) -> None:
        call.count(0, 2)
        gate = self.gate_s
        if call.params and not call.params[0].startswith("("):
            gate = call.number(0, "S", *GATE_RANGE, default=1.0)
            self._channel(call, 1)
        else:
            self._channel(call, 0)
        self._abort()
        self.gate_s = gate

    @EmulatedInstrument.command("CONFigure?")
    def _conf_q(self, call: Call) -> str:
        call.count(0)
        return f'"TOT:TIM {_num(self.gate_s)},(@1)"'

    @EmulatedInstrument.command("[SENSe:]TOTalize:GATE:TIME")
    def _gate_time(self, call: Call) -> None:
        call.count(1)
        self.gate_s = call.number(0, "S", *GATE_RANGE, default=0.1)

    @EmulatedInstrument.command("[SENSe:]TOTalize:GATE:TIME?")
    def _gate_time_q(self, call: Call) -> str:
        return _num(self.gate_s)

    # ---- INPut1 ---------------------------------------------------------------------------
    @EmulatedInstrument.command("INPut[1]:LEVel[1][:ABSolute]")
    def _level(self, call: Call) -> None:
        call.count(1)
        self.level_v, self.auto_level = call.number(0, "V", -5.0, 5.0, default=0.0), False
        self._wiring()

    @EmulatedInstrument.command("INPut[1]:LEVel[1][:ABSolute]?")
    def _level_q(self, call: Call) -> str:
        return _num(self.level_v)

    @EmulatedInstrument.command("INPut[1]:LEVel[1]:AUTO")
    def _auto(self, call: Call) -> None:
        call.count(1)
        self.auto_level = call.boolean(0)
        self._wiring()

    @EmulatedInstrument.command("INPut[1]:LEVel[1]:AUTO?")
    def _auto_q(self, call: Call) -> str:
        return str(int(self.auto_level))

    # ---- the measurement ------------------------------------------------------------------
    @EmulatedInstrument.command("INITiate[:IMMediate]")
    def _init(self, call: Call) -> None:
        call.count(0)
        gate = self.bench.counter
        if gate.running:
            raise ScpiError(-213, "a measurement is running")
        gate.open(self.bench.now, self.gate_s, self.bench.test_output_pulses)
        self.has_reading = True

    def _abort(self) -> None:
        self.bench.counter.abort()
        self.has_reading = False

    @EmulatedInstrument.command("ABORt")
    def _abort_cmd(self, call: Call) -> None:
        call.count(0)
        self._abort()

    @EmulatedInstrument.command("FETCh?")
    def _fetch_q(self, call: Call) -> str:
        call.count(0)
        gate = self.bench.counter
        if gate.running:
            raise ScpiError(-230, "the gate is still open (the bench's time stands still "
                                  "inside a query): ask STAT:OPER:COND? first")
        if not self.has_reading or gate.count is None:
            return _num(NOT_A_NUMBER)
        return _num(float(gate.count))

    @EmulatedInstrument.command("STATus:OPERation:CONDition?")
    def _oper_cond_q(self, call: Call) -> str:
        call.count(0)
        return str(MEASURING if self.bench.counter.running else 0)
