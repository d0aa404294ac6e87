"""A Chroma 63800 AC electronic load on the socket's L1-N: the vehicle's current.

It drives the bench's vehicle load on phase 1 (``EvState.load_*``: the current the model draws
through the power analyser and the charger's meter, with the load's first-order lag), in
constant current mode. The model draws only while the pilot shows a vehicle asking for charge
and the socket is live, and never more than the PWM advertises: the composed EV sets exactly
that (``rig.instruments.composed_ev``), so on this bench the load draws what it is set to.
"""

from __future__ import annotations

from rig.bench.manuals.chroma63800 import MANUAL
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument

#: Largest current of the emulated model, A rms (a 63804: 36 A (c)).
MAX_CURRENT_A = 36.0


class AcLoad(EmulatedInstrument):
    key = "load"
    manual = MANUAL

    def __init__(self, bench, serial: str = "638040001234"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"Chroma,63804,{serial},1.20"

    def reset(self) -> None:
        ev = self.bench.ev
        ev.load_on = False
        ev.load_setpoint_a = [0.0, 0.0, 0.0]
        ev.load_pf = 1.0
        self.mode = "CC"
        self.changed()

    def format_number(self, value: float) -> str:
        return fmt_e(value, 3)

    @EmulatedInstrument.command("LOAD[:STATe]")
    def _load(self, call: Call) -> None:
        on = call.boolean(0)
        if on != self.bench.ev.load_on:
            self.bench.ev.load_on = on
            self.bench.trace.add(self.bench.now, "LOAD", int(on))
            self.changed()

    @EmulatedInstrument.command("LOAD[:STATe]?")
    def _load_q(self, call: Call) -> str:
        return str(int(self.bench.ev.load_on))

    @EmulatedInstrument.command("MODE")
    def _mode(self, call: Call) -> None:
        mode = call.choice(0, {"CC": "CC", "CR": "CR", "CP": "CP", "CV": "CV", "RLC": "RLC"})
        if mode != "CC":
            raise ScpiError(-221, f"MODE {mode}: not emulated on this bench (CC)")

    @EmulatedInstrument.command("MODE?")
    def _mode_q(self, call: Call) -> str:
        return self.mode

    @EmulatedInstrument.command("CURRent[:STATic]")
    def _curr(self, call: Call) -> None:
        self.bench.ev.load_setpoint_a[0] = call.number(0, "A", 0.0, MAX_CURRENT_A)
        self.changed()

    @EmulatedInstrument.command("CURRent[:STATic]?")
    def _curr_q(self, call: Call) -> str:
        return self.format_number(self.bench.ev.load_setpoint_a[0])

    @EmulatedInstrument.command("PFACtor")
    def _pf(self, call: Call) -> None:
        self.bench.ev.load_pf = call.number(0, "", 0.1, 1.0)
        self.changed()

    @EmulatedInstrument.command("PFACtor?")
    def _pf_q(self, call: Call) -> str:
        return self.format_number(self.bench.ev.load_pf)

    @EmulatedInstrument.command("MEASure:CURRent?")
    def _m_curr(self, call: Call) -> str:
        return self.format_number(round(self.bench.ev.load_a[0], 4))

    @EmulatedInstrument.command("MEASure:VOLTage?")
    def _m_volt(self, call: Call) -> str:
        return self.format_number(self.bench.outlet_v()[0])

    @EmulatedInstrument.command("MEASure:POWer?")
    def _m_pow(self, call: Call) -> str:
        ev = self.bench.ev
        return self.format_number(self.bench.outlet_v()[0] * ev.load_a[0] * ev.load_pf)

    @EmulatedInstrument.command("MEASure:FREQuency?")
    def _m_freq(self, call: Call) -> str:
        live = any(v > 50.0 for v in self.bench.outlet_v()[:1])
        freq = next((s.frequency_hz for s in self.bench.sources.values() if s.output), 0.0)
        return self.format_number(freq if live else 0.0)
