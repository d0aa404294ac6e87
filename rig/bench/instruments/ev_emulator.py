"""The EV emulator ("evse-rig EVE-1"): vehicle side of the socket, with a time-stamped trace.

No vendor publishes a command set for EV emulators, so this one is ours (README: "EV emulator
command set"). It sets the vehicle's CP state or an arbitrary CP resistance, CP faults, the
cable's PP coding and a per-phase load that follows the advertised current with a first-order
lag; it measures the pilot like an oscilloscope would; and it keeps an event trace on its own
time base (state commands, PWM, AC voltage at the inlet = contactor, lock, LED colour sensor,
residual-current trigger input), which is where every timing verdict comes from.
"""

from __future__ import annotations

import math

from rig.bench.manuals.eve1 import MANUAL
from rig.bench.model import EV_STATE_OHM
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument

FAULTS = {
    "NONE": "NONE", "DIODE_SHORT": "DIODE_SHORT", "CP_PE_SHORT": "CP_PE_SHORT",
    "CP_OPEN": "CP_OPEN", "PE_OPEN": "PE_OPEN",
}
#: SCPI's "not a number": what a measurement returns when there is nothing to measure.
SCPI_NAN = 9.91e37


def _fmt(value: float) -> str:
    if math.isnan(value):
        return fmt_e(SCPI_NAN, 5)
    return fmt_e(value, 5)


class EvEmulator(EmulatedInstrument):
    key = "ev"
    manual = MANUAL

    def __init__(self, bench, serial: str = "EVE1-0042"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"evse-rig,EVE-1 EV emulator,{serial},1.0.0"

    def reset(self) -> None:
        ev = self.bench.ev
        ev.state, ev.resistance_ohm, ev.fault = "A", None, "NONE"
        ev.pp_ohm = None
        ev.load_on = False
        ev.load_setpoint_a = [0.0, 0.0, 0.0]
        ev.load_pf = 1.0
        ev.load_lag_s = 0.5
        ev.watchdog_on = False
        self.changed()

    def event(self, kind: str, value: object) -> None:
        self.bench.trace.add(self.bench.now, kind, value)

    # ---- vehicle CP circuit ---------------------------------------------------------------
    @EmulatedInstrument.command("[SOURce:]CP:STATe")
    def _state(self, call: Call) -> None:
        call.count(1)
        state = call.choice(0, ["A", "B", "C", "D"])
        ev = self.bench.ev
        if state != "A" and ev.watchdog_tripped:
            raise ScpiError(-221, "watchdog tripped; send OUTP:PROT:CLE")
        ev.state, ev.resistance_ohm = state, EV_STATE_OHM[state]
        self.event("STATE", state)  # every command is traced, changed or not
        self.changed()

    @EmulatedInstrument.command("[SOURce:]CP:STATe?")
    def _state_q(self, call: Call) -> str:
        ev = self.bench.ev
        return ev.state if ev.state != "R" else "R"

    @EmulatedInstrument.command("[SOURce:]CP:RESistance")
    def _res(self, call: Call) -> None:
        call.count(1)
        ev = self.bench.ev
        if call.raw(0).strip().upper() in ("INF", "OPEN", "NONE"):
            ev.state, ev.resistance_ohm = "A", None
            self.event("STATE", "A")
        else:
            if ev.watchdog_tripped:
                raise ScpiError(-221, "watchdog tripped; send OUTP:PROT:CLE")
            ohm = call.number(0, "OHM", 50.0, 100_000.0)
            ev.state, ev.resistance_ohm = "R", ohm
            self.event("STATE", f"R{ohm:g}")
        self.changed()

    @EmulatedInstrument.command("[SOURce:]CP:RESistance?")
    def _res_q(self, call: Call) -> str:
        ohm = self.bench.ev_ohm()
        return "INF" if ohm is None else _fmt(ohm)

    @EmulatedInstrument.command("[SOURce:]CP:FAULt")
    def _fault(self, call: Call) -> None:
        fault = call.choice(0, FAULTS)
        self.bench.ev.fault = fault
        self.event("FAULT", fault)
        self.changed()

    @EmulatedInstrument.command("[SOURce:]CP:FAULt?")
    def _fault_q(self, call: Call) -> str:
        return self.bench.ev.fault

    @EmulatedInstrument.command("[SOURce:]PP:RESistance")
    def _pp(self, call: Call) -> None:
        call.count(1)
        if call.raw(0).strip().upper() in ("NONE", "INF", "OPEN"):
            self.bench.ev.pp_ohm = None
            self.event("PP", "NONE")
        else:
            self.bench.ev.pp_ohm = call.number(0, "OHM", 0.0, 100_000.0)
            self.event("PP", f"{self.bench.ev.pp_ohm:g}")
        self.changed()

    @EmulatedInstrument.command("[SOURce:]PP:RESistance?")
    def _pp_q(self, call: Call) -> str:
        ohm = self.bench.ev.pp_ohm
        return "NONE" if ohm is None else _fmt(ohm)

    # ---- pilot measurements -------------------------------------------------------------
    def _pwm(self) -> bool:
        high, _ = self.bench.cp()
        return self.bench.hal.cp_mode == "pwm" and high > 1.5

    @EmulatedInstrument.command("MEASure:CP:FREQuency?")
    def _m_freq(self, call: Call) -> str:
        return _fmt(round(self.bench.hal.cp_freq_hz, 2) if self._pwm() else math.nan)

    @EmulatedInstrument.command("MEASure:CP:DCYCle?")
    def _m_duty(self, call: Call) -> str:
        return _fmt(round(self.bench.hal.cp_duty_pct, 2) if self._pwm() else math.nan)

    @EmulatedInstrument.command("MEASure:CP:VOLTage:HIGH?")
    def _m_high(self, call: Call) -> str:
        return _fmt(round(self.bench.cp()[0], 3))

    @EmulatedInstrument.command("MEASure:CP:VOLTage:LOW?")
    def _m_low(self, call: Call) -> str:
        return _fmt(round(self.bench.cp()[1], 3))

    @EmulatedInstrument.command("MEASure:CP:RTIMe?")
    def _m_rise(self, call: Call) -> str:
        return _fmt(round(self.bench.hal.cp_rise_us, 2) * 1e-6 if self._pwm() else math.nan)

    @EmulatedInstrument.command("MEASure:CP:FTIMe?")
    def _m_fall(self, call: Call) -> str:
        return _fmt(round(self.bench.hal.cp_fall_us, 2) * 1e-6 if self._pwm() else math.nan)

    @EmulatedInstrument.command("MEASure:CP:STATe?")
    def _m_state(self, call: Call) -> str:
        return self.bench.ev_sees_state()

    @EmulatedInstrument.command("MEASure:LED?")
    def _m_led(self, call: Call) -> str:
        hal = self.bench.hal
        return f"{hal.led_colour.upper()},{hal.led_pattern.upper()}"

    @EmulatedInstrument.command("MEASure:LOCK?")
    def _m_lock(self, call: Call) -> str:
        return str(int(self.bench.hal.lock))

    @EmulatedInstrument.command("MEASure:AC:VOLTage<n>?")
    def _m_inlet(self, call: Call) -> str:
        n = call.suffix(valid=range(1, 4))
        return _fmt(self.bench.outlet_v()[n - 1])

    # ---- load ---------------------------------------------------------------------------
    @EmulatedInstrument.command("[SOURce:]LOAD:CURRent<n>")
    def _load(self, call: Call) -> None:
        n = call.suffix(valid=range(1, 4))
        self.bench.ev.load_setpoint_a[n - 1] = call.number(0, "A", 0.0, 80.0)
        self.changed()

    @EmulatedInstrument.command("[SOURce:]LOAD:CURRent<n>?")
    def _load_q(self, call: Call) -> str:
        n = call.suffix(valid=range(1, 4))
        return _fmt(self.bench.ev.load_setpoint_a[n - 1])

    @EmulatedInstrument.command("[SOURce:]LOAD:PFACtor")
    def _pf(self, call: Call) -> None:
        self.bench.ev.load_pf = call.number(0, "", 0.1, 1.0)
        self.changed()

    @EmulatedInstrument.command("[SOURce:]LOAD:PFACtor?")
    def _pf_q(self, call: Call) -> str:
        return _fmt(self.bench.ev.load_pf)

    @EmulatedInstrument.command("[SOURce:]LOAD:LAG")
    def _lag(self, call: Call) -> None:
        self.bench.ev.load_lag_s = call.number(0, "S", 0.0, 60.0)

    @EmulatedInstrument.command("[SOURce:]LOAD:LAG?")
    def _lag_q(self, call: Call) -> str:
        return _fmt(self.bench.ev.load_lag_s)

    @EmulatedInstrument.command("OUTPut:LOAD[:STATe]")
    def _load_on(self, call: Call) -> None:
        on = call.boolean(0)
        if on and self.bench.ev.watchdog_tripped:
            raise ScpiError(-221, "watchdog tripped; send OUTP:PROT:CLE")
        if on != self.bench.ev.load_on:
            self.bench.ev.load_on = on
            self.event("LOAD", int(on))
            self.changed()

    @EmulatedInstrument.command("OUTPut:LOAD[:STATe]?")
    def _load_on_q(self, call: Call) -> str:
        return str(int(self.bench.ev.load_on))

    @EmulatedInstrument.command("MEASure:LOAD:CURRent<n>?")
    def _m_load(self, call: Call) -> str:
        n = call.suffix(valid=range(1, 4))
        return _fmt(round(self.bench.ev.load_a[n - 1], 4))

    # ---- trace and time base ------------------------------------------------------------
    @EmulatedInstrument.command("SYSTem:TIME?")
    def _time_q(self, call: Call) -> str:
        return f"{self.bench.now:.6f}"

    @EmulatedInstrument.command("TRACe:EVENt:CLEar")
    def _trace_clear(self, call: Call) -> None:
        self.bench.trace.clear()

    @EmulatedInstrument.command("TRACe:EVENt:COUNt?")
    def _trace_count(self, call: Call) -> str:
        return str(len(self.bench.trace.events))

    @EmulatedInstrument.command("TRACe:EVENt:DATA?")
    def _trace_data(self, call: Call) -> str:
        since = call.number(0) if call.params else -math.inf
        # compare at the printed resolution, so "since" is inclusive of what a client saw
        events = self.bench.trace.since(since)
        if not events:
            return "NONE"
        return ",".join(f"{e.t:.6f},{e.kind},{e.value}" for e in events)

    @EmulatedInstrument.command("TRACe:EVENt:LAST?")
    def _trace_last(self, call: Call) -> str:
        kind = call.string(0).upper() if call.params else None
        for e in reversed(self.bench.trace.events):
            if kind is None or e.kind == kind:
                return f"{e.t:.6f},{e.kind},{e.value}"
        return "NONE"

    # ---- watchdog ------------------------------------------------------------------------
    @EmulatedInstrument.command("OUTPut:PROTection:WDOG[:STATe]")
    def _wdog(self, call: Call) -> None:
        self.bench.ev.watchdog_on = call.boolean(0)

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG[:STATe]?")
    def _wdog_q(self, call: Call) -> str:
        return str(int(self.bench.ev.watchdog_on))

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG:DELay")
    def _wdog_del(self, call: Call) -> None:
        self.bench.ev.watchdog_delay_s = call.number(0, "S", 0.1, 3600.0)

    @EmulatedInstrument.command("OUTPut:PROTection:WDOG:DELay?")
    def _wdog_del_q(self, call: Call) -> str:
        return _fmt(self.bench.ev.watchdog_delay_s)

    @EmulatedInstrument.command("OUTPut:PROTection:CLEar")
    def _prot_clear(self, call: Call) -> None:
        self.bench.ev.watchdog_tripped = False

    @EmulatedInstrument.command("OUTPut:PROTection:TRIPped?")
    def _prot_trip_q(self, call: Call) -> str:
        return str(int(self.bench.ev.watchdog_tripped))
