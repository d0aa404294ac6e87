"""Programmable AC sources: Keysight AC6801B (1-phase) and AMETEK Asterion (3-phase) dialects.

Both feed the charger's supply terminals through the bench's changeover: only one source may be
energised at a time (switching a second one on is a settings conflict, -221), as on a rig with
one supply bus. The output watchdog (``OUTP:PROT:WDOG``) runs on wall-clock time, like the
instrument's own firmware: if the host goes silent for longer than the delay the output latches
off until ``OUTP:PROT:CLE``. What each accepts is its manual's command table
(``rig.bench.manuals.ac_sources``).
"""

from __future__ import annotations

import math

from rig.bench.manuals.ac_sources import AC6801B_MANUAL, ASTERION_MANUAL
from rig.bench.model import STANDBY_CURRENT_A, AcSourceState
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument


class _AcSource(EmulatedInstrument):
    """Commands both dialects share; the state lives in the bench model."""

    max_voltage = 310.0

    @property
    def state(self) -> AcSourceState:
        return self.bench.sources[self.key]

    # which phases a setting applies to (Asterion: INST:COUP / INST:NSEL)
    def targets(self) -> list[int]:
        return [0]

    def selected(self) -> int:
        return 0

    def reset(self) -> None:
        st = self.state
        st.output = False
        st.voltage_v = [0.0, 0.0, 0.0]
        st.frequency_hz = 50.0
        st.current_limit_a = 40.0
        st.phase_deg = [0.0, 240.0, 120.0]
        st.drop_until = None
        self.current_protection = False
        self.changed()

    def fmt(self, value: float) -> str:
        return fmt_e(value, 5, plus=True)

    @EmulatedInstrument.command("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude][:AC]")
    def _volt(self, call: Call) -> None:
        call.count(1)
        value = call.number(0, "V", 0.0, self.max_voltage, default=0.0)
        for i in self.targets():
            self.state.voltage_v[i] = value
        self.changed()

    @EmulatedInstrument.command("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude][:AC]?")
    def _volt_q(self, call: Call) -> str:
        return self.fmt(self.state.voltage_v[self.selected()])

    @EmulatedInstrument.command("[SOURce:]FREQuency[:CW]", "[SOURce:]FREQuency:IMMediate")
    def _freq(self, call: Call) -> None:
        call.count(1)
        self.state.frequency_hz = call.number(0, "HZ", 40.0, 500.0, default=50.0)
        self.changed()

    @EmulatedInstrument.command("[SOURce:]FREQuency[:CW]?", "[SOURce:]FREQuency:IMMediate?")
    def _freq_q(self, call: Call) -> str:
        return self.fmt(self.state.frequency_hz)

    @EmulatedInstrument.command("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _curr(self, call: Call) -> None:
        call.count(1)
        self.state.current_limit_a = call.number(0, "A", 0.0, 60.0, default=40.0)

    @EmulatedInstrument.command("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]?")
    def _curr_q(self, call: Call) -> str:
        return self.fmt(self.state.current_limit_a)

    @EmulatedInstrument.command("[SOURce:]CURRent:PROTection:STATe")
    def _curr_prot(self, call: Call) -> None:
        self.current_protection = call.boolean(0)

    @EmulatedInstrument.command("[SOURce:]CURRent:PROTection:STATe?")
    def _curr_prot_q(self, call: Call) -> str:
        return str(int(getattr(self, "current_protection", False)))

    @EmulatedInstrument.command("OUTPut[:STATe]")
    def _outp(self, call: Call) -> None:
        call.count(1)
        on = call.boolean(0)
        st = self.state
        if on and st.watchdog_tripped:
            raise ScpiError(-221, "watchdog tripped; send OUTP:PROT:CLE")
        if on and any(s.output for s in self.bench.sources.values() if s is not st):
            raise ScpiError(-221, "another source already feeds the supply bus")
        st.output = on
        self.changed()

    @EmulatedInstrument.command("OUTPut[:STATe]?")
    def _outp_q(self, call: Call) -> str:
        return str(int(self.state.output))

    # ---- watchdog (the (c) commands of the AC6800B guide; the Asterion uses the same) ----
    @EmulatedInstrument.command("OUTPut:PROTection:WDOG[:STATe]")
    def _wdog(self, call: Call) -> None:
        self.state.watchdog_on = call.boolean(0)

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG[:STATe]?")
    def _wdog_q(self, call: Call) -> str:
        return str(int(self.state.watchdog_on))

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG:DELay")
    def _wdog_del(self, call: Call) -> None:
        self.state.watchdog_delay_s = call.number(0, "S", 0.1, 3600.0, default=5.0)

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG:DELay?")
    def _wdog_del_q(self, call: Call) -> str:
        return self.fmt(self.state.watchdog_delay_s)

    @EmulatedInstrument.command("OUTPut:PROTection:CLEar")
    def _prot_clear(self, call: Call) -> None:
        self.state.watchdog_tripped = False

    @EmulatedInstrument.command("OUTPut:PROTection:TRIPped?")
    def _prot_trip_q(self, call: Call) -> str:
        return str(int(self.state.watchdog_tripped))

    # ---- measurements (the output terminals, where the charger is connected) -----------
    def _phase_current(self, i: int) -> float:
        if not self.state.output:
            return 0.0
        volts = self.state.terminal_v(self.bench.now)
        if volts[i] <= 0:
            return 0.0
        load = self.bench.ev.load_a[i] if self.bench.hal.contactor else 0.0
        standby = STANDBY_CURRENT_A if i == 0 and self.bench.hal.supply_v[0] > 0 else 0.0
        return load + standby

    def _phase_power(self, i: int) -> float:
        volts = self.state.terminal_v(self.bench.now)[i]
        load = self.bench.ev.load_a[i] if self.bench.hal.contactor else 0.0
        standby = STANDBY_CURRENT_A if i == 0 and volts > 0 else 0.0
        return volts * (load * self.bench.ev.load_pf + standby)

    @EmulatedInstrument.command(
        "MEASure[:SCALar]:VOLTage[:AC]?", "FETCh[:SCALar]:VOLTage[:AC]?"
    )
    def _meas_v(self, call: Call) -> str:
        return self.fmt(self.state.terminal_v(self.bench.now)[self.selected()])

    @EmulatedInstrument.command(
        "MEASure[:SCALar]:CURRent[:AC]?", "FETCh[:SCALar]:CURRent[:AC]?"
    )
    def _meas_i(self, call: Call) -> str:
        return self.fmt(self._phase_current(self.selected()))

    @EmulatedInstrument.command(
        "MEASure[:SCALar]:POWer[:AC][:REAL]?", "FETCh[:SCALar]:POWer[:AC][:REAL]?"
    )
    def _meas_p(self, call: Call) -> str:
        return self.fmt(self._phase_power(self.selected()))

    @EmulatedInstrument.command(
        "MEASure[:SCALar]:POWer[:AC]:PFACtor?", "FETCh[:SCALar]:POWer[:AC]:PFACtor?"
    )
    def _meas_pf(self, call: Call) -> str:
        i = self.selected()
        s = self.state.terminal_v(self.bench.now)[i] * self._phase_current(i)
        return self.fmt(self._phase_power(i) / s if s > 0 else math.nan)

    @EmulatedInstrument.command("MEASure[:SCALar]:FREQuency?", "FETCh[:SCALar]:FREQuency?")
    def _meas_f(self, call: Call) -> str:
        on = self.state.terminal_v(self.bench.now)[self.selected()] > 0
        return self.fmt(self.state.frequency_hz if on else 0.0)


class AC6801B(_AcSource):
    """Keysight AC6801B: 1-phase, 310 V, replies ``+2.30000E+02``, errors ``+0,"No error"``."""

    key = "ac1"
    error_code_format = "{:+d}"
    manual = AC6801B_MANUAL

    def __init__(self, bench, serial: str = "MY56001234"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"Keysight Technologies,AC6801B,{serial},A.02.01"


class Asterion(_AcSource):
    """AMETEK Asterion 3-phase: per-phase programming through ``INST:COUP`` / ``INST:NSEL``."""

    key = "ac3"
    max_voltage = 300.0
    manual = ASTERION_MANUAL

    def __init__(self, bench, serial: str = "1742A00315"):  # type: ignore[no-untyped-def]
        self.coupled = True
        self.nsel = 1
        super().__init__(bench, serial)
        self.idn = f"AMETEK Programmable Power,AST3003,{serial},3.1.4"

    def reset(self) -> None:
        self.coupled, self.nsel = True, 1
        super().reset()

    def targets(self) -> list[int]:
        return [0, 1, 2] if self.coupled else [self.nsel - 1]

    def selected(self) -> int:
        return self.nsel - 1

    def fmt(self, value: float) -> str:
        return fmt_e(value, 4)

    @EmulatedInstrument.command("INSTrument:COUPle")
    def _coup(self, call: Call) -> None:
        self.coupled = call.choice(0, {"ALL": "ALL", "NONE": "NONE"}) == "ALL"

    @EmulatedInstrument.command("INSTrument:COUPle?")
    def _coup_q(self, call: Call) -> str:
        return "ALL" if self.coupled else "NONE"

    @EmulatedInstrument.command("INSTrument:NSELect")
    def _nsel(self, call: Call) -> None:
        self.nsel = call.integer(0, 1, 3)

    @EmulatedInstrument.command("INSTrument:NSELect?")
    def _nsel_q(self, call: Call) -> str:
        return str(self.nsel)

    @EmulatedInstrument.command("[SOURce:]PHASe[:ADJust]")
    def _phase(self, call: Call) -> None:
        value = call.number(0, "", 0.0, 360.0)
        for i in self.targets():
            self.state.phase_deg[i] = value

    @EmulatedInstrument.command("[SOURce:]PHASe[:ADJust]?")
    def _phase_q(self, call: Call) -> str:
        return self.fmt(self.state.phase_deg[self.selected()])

    @EmulatedInstrument.command("OUTPut:DROP")
    def _drop(self, call: Call) -> None:
        seconds = call.number(0, "S", 0.0, 3600.0)
        if not self.state.output:
            raise ScpiError(-221, "output is off")
        self.state.drop_until = self.bench.now + seconds
        self.changed()
