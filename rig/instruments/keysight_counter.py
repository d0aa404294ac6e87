"""Keysight 53220A (53200 series) universal counter: totalize over a timed gate, channel 1.

The rig's pulse counter: channel 1 on the charger's meter test output (an S0 output, or a
photo head on the meter LED). Command table (53210A/53220A/53230A User's Guide, SCPI
programming reference, the subset the rig uses; (c): to be confirmed on the manual):

==========================  ============================================  =====================
Purpose                     Command                                       Reply
==========================  ============================================  =====================
identity, errors            ``*IDN?``, ``SYST:ERR?``                      ``+0,"No error"``
totalize, timed gate        ``CONF:TOT:TIM <s>,(@1)``                     sets gate, 1 reading
gate time                   ``SENS:TOT:GATE:TIME <s>`` (1e-5 ... 1000 (c))
input                       ``INP1:COUP DC``, ``INP1:IMP 1E6``,
                            ``INP1:LEV <V>`` / ``INP1:LEV:AUTO ON``,
                            ``INP1:SLOP POS``
run                         ``INIT``, ``ABOR``                            gate opens at INIT
state                       ``STAT:OPER:COND?``                           bit 4 (16) measuring
reading                     ``FETC?``                                     ``+1.00000000000000E+03``;
                                                                          9.91E+37: none
==========================  ============================================  =====================

Why the gate is the counter's: its time base (TCXO) is the gate's length, not the host's
clock, and the reference's integration runs on the analyser's own timer over the same time, so
neither depends on when the host's messages arrive (only their start skew does, which the plan
bounds and puts in the budget). ``FETC?`` would block on the instrument until the gate closes;
:meth:`count` asks :meth:`completed` first so that it never waits inside a query (which would
stall a virtual-time bench and hold a real one's link).
"""

from __future__ import annotations

import math

from rig.errors import InstrumentError
from rig.instruments.base import ScpiInstrument, quantity
from rig.instruments.protocols import PulseCounter

#: ``STAT:OPER:COND?`` bit 4: a measurement is running.
MEASURING = 16
#: A reading at or above this is the counter's "not a number" (9.91E+37): no reading.
NOT_A_NUMBER_ABOVE = 9e37


class Keysight53220A(ScpiInstrument, PulseCounter):
    """Keysight 53220A: totalize on channel 1 over a gate timed by the counter."""

    safe_commands = ("ABOR",)  # it only measures: end a gate, nothing to switch off

    gate_time = quantity("SENS:TOT:GATE:TIME?", "SENS:TOT:GATE:TIME %g", "Totalize gate time",
                         unit="s", range=(1e-5, 1000.0))
    coupling = quantity("INP1:COUP?", "INP1:COUP %s", "Input coupling", str,
                        values=("AC", "DC"))
    impedance = quantity("INP1:IMP?", "INP1:IMP %g", "Input impedance", unit="ohm",
                         values=(50.0, 1e6))
    level = quantity("INP1:LEV?", "INP1:LEV %g", "Trigger level (ends auto level)", unit="V",
                     range=(-5.0, 5.0), changed_by=("INP1:LEV:AUTO",))
    auto_level = quantity("INP1:LEV:AUTO?", "INP1:LEV:AUTO %s", "Auto trigger level", bool,
                          changed_by=("INP1:LEV",))
    slope = quantity("INP1:SLOP?", "INP1:SLOP %s", "The edge that counts", str,
                     values=("POS", "NEG"))

    def configure(self, level_v: float | None = None) -> None:
        """Totalize (timed gate) on channel 1, DC coupled, 1 Mohm, rising edges, the trigger
        level ``level_v`` (None: auto); any gate still open is ended."""
        if level_v is not None:
            type(self).level.validate(level_v)
        self.send("ABOR")
        self.send("CONF:TOT:TIM 1,(@1)")
        self.coupling = "DC"
        self.impedance = 1e6
        self.slope = "POS"
        if level_v is None:
            self.auto_level = True
        else:
            self.level = level_v

    def start(self, gate_s: float) -> None:
        """Open a gate of ``gate_s`` now (validated before anything is sent)."""
        type(self).gate_time.validate(gate_s)
        self.gate_time = gate_s
        self.send("INIT")

    def completed(self) -> bool:
        reply = self.query("STAT:OPER:COND?")
        try:
            condition = int(reply.strip().lstrip("+"))
        except ValueError:
            raise self.bad_reply("STAT:OPER:COND?", reply, "a status register (integer)") \
                from None
        return not condition & MEASURING

    def count(self) -> int:
        """Pulses of the last gate; InstrumentError if the gate is still open or there was
        no reading (never a FAIL of the charger: the rig did not measure)."""
        if not self.completed():
            raise InstrumentError(self.name, self.resource, "FETC?",
                                  "the gate is still open: wait for completed() first")
        value = self.query_float("FETC?")
        if math.isnan(value) or value >= NOT_A_NUMBER_ABOVE:  # 9.91E+37 reads as NaN
            raise InstrumentError(self.name, self.resource, "FETC?",
                                  "no reading (no gate ran since the counter was configured)")
        if value < 0 or value != int(value):
            raise self.bad_reply("FETC?", f"{value!r}", "a whole number of pulses")
        return int(value)

    def abort(self) -> None:
        self.send("ABOR")
