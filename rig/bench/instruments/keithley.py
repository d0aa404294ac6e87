"""Residual-current sources: Keithley 2450 SourceMeter (smooth DC) and 6221 (AC) dialects.

Each drives a test wire through the charger's RCD sensor (the 6221's wire makes ``turns`` passes,
so 30 mA x 5 fits its 105 mA peak). Their output relay and source-change triggers are wired to
the EV emulator's trigger input: ``RCI,ON`` / ``RCI,OFF`` / ``RCI,STEP`` in its event trace.
"""

from __future__ import annotations

import math

from rig.bench.model import InjectorState
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument

K2450_CURRENT_RANGES = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)


class _Injector(EmulatedInstrument):
    @property
    def inj(self) -> InjectorState:
        return self.bench.injectors[self.key]

    def trigger(self, what: str) -> None:
        """Pulse on the trigger line to the EV emulator (time-stamped in its trace)."""
        self.bench.trace.add(self.bench.now, "RCI", what)

    def set_output(self, on: bool) -> None:
        if on != self.inj.output:
            self.inj.output = on
            self.trigger("ON" if on else "OFF")
            self.changed()

    def fmt(self, value: float) -> str:
        return fmt_e(value, 6)


class Keithley2450(_Injector):
    """Keithley 2450: ``:SOUR:FUNC CURR``, ``:SOUR:CURR:LEV``, ``:OUTP ON``."""

    key = "smu"

    def __init__(self, bench, serial: str = "04512345"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"KEITHLEY INSTRUMENTS,MODEL 2450,{serial},1.7.12b"

    def reset(self) -> None:
        self.function = "VOLT"
        self.range_a = 100e-6
        self.auto_range = True
        self.vlim = 21.0
        self.sense = "CURR"
        self.inj.dc_a = 0.0
        self.set_output(False)

    @EmulatedInstrument.command(":SOURce[1]:FUNCtion[:MODE]")
    def _func(self, call: Call) -> None:
        function = call.choice(0, {"CURRent": "CURR", "VOLTage": "VOLT"})
        if function != self.function and self.inj.output:
            raise ScpiError(-221, "change the source function with the output off")
        self.function = function

    @EmulatedInstrument.command(":SOURce[1]:FUNCtion[:MODE]?")
    def _func_q(self, call: Call) -> str:
        return self.function

    @EmulatedInstrument.command(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _level(self, call: Call) -> None:
        limit = 1.05 if self.auto_range else self.range_a * 1.05
        value = call.number(0, "A", -limit, limit, default=0.0)
        if value != self.inj.dc_a:
            self.inj.dc_a = value
            if self.auto_range:
                self.range_a = next((r for r in K2450_CURRENT_RANGES if abs(value) <= r), 1.0)
            if self.inj.output and self.function == "CURR":
                self.trigger("STEP")
            self.changed()

    @EmulatedInstrument.command(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]?")
    def _level_q(self, call: Call) -> str:
        return self.fmt(self.inj.dc_a)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe")
    def _range(self, call: Call) -> None:
        value = call.number(0, "A", 0.0, 1.05)
        self.range_a = next((r for r in K2450_CURRENT_RANGES if value <= r), 1.0)
        self.auto_range = False

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe?")
    def _range_q(self, call: Call) -> str:
        return self.fmt(self.range_a)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe:AUTO")
    def _range_auto(self, call: Call) -> None:
        self.auto_range = call.boolean(0)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe:AUTO?")
    def _range_auto_q(self, call: Call) -> str:
        return str(int(self.auto_range))

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]")
    def _vlim(self, call: Call) -> None:
        self.vlim = call.number(0, "V", 0.02, 210.0, default=21.0)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]?")
    def _vlim_q(self, call: Call) -> str:
        return self.fmt(self.vlim)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]:TRIPped?")
    def _vlim_trip_q(self, call: Call) -> str:
        # the sensor's test wire is a few milliohm: compliance is never reached
        return "0"

    @EmulatedInstrument.command(":SOURce[1]:CURRent:DELay")
    def _delay(self, call: Call) -> None:
        call.number(0, "S", 0.0, 10000.0)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:DELay:AUTO")
    def _delay_auto(self, call: Call) -> None:
        call.boolean(0)

    @EmulatedInstrument.command(":SENSe[1]:FUNCtion[:ON]")
    def _sense(self, call: Call) -> None:
        name = call.string(0).upper()
        names = {"CURR": "CURR", "CURRENT": "CURR", "VOLT": "VOLT", "VOLTAGE": "VOLT",
                 "RES": "RES", "RESISTANCE": "RES"}
        if name not in names:
            raise ScpiError(-224, f":SENS:FUNC {call.raw(0)}")
        self.sense = names[name]

    @EmulatedInstrument.command(":OUTPut[1][:STATe]")
    def _outp(self, call: Call) -> None:
        call.count(1)
        on = call.boolean(0)
        if on and self.function != "CURR":
            # the test wire is a short circuit: sourcing voltage into it is a wiring fault
            raise ScpiError(-221, "set :SOUR:FUNC CURR before :OUTP ON (test wire is a short)")
        self.set_output(on)

    @EmulatedInstrument.command(":OUTPut[1][:STATe]?")
    def _outp_q(self, call: Call) -> str:
        return str(int(self.inj.output))

    @EmulatedInstrument.command(":READ?", ":MEASure[:CURRent]?")
    def _read(self, call: Call) -> str:
        return self.fmt(self.inj.dc_a if self.inj.output else 0.0)


class Keithley6221(_Injector):
    """Keithley 6221 AC/DC current source: sine waveform mode for AC residual current."""

    key = "cs"

    def __init__(self, bench, serial: str = "4101234", turns: int = 5):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.inj.turns = turns
        self.idn = f"KEITHLEY INSTRUMENTS INC.,MODEL 6221,{serial},D03  /700x "

    def reset(self) -> None:
        self.compliance = 10.0
        self.wave_function = "SIN"
        self.wave_freq = 1000.0
        self.wave_offset = 0.0
        self.wave_duration = float("inf")
        self.armed = False
        inj = self.inj
        inj.dc_a = 0.0
        inj.ac_peak_a = 2e-3
        inj.ac_running = False
        self.set_output(False)

    @EmulatedInstrument.command(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _level(self, call: Call) -> None:
        value = call.number(0, "A", -0.105, 0.105, default=0.0)
        if value != self.inj.dc_a:
            self.inj.dc_a = value
            if self.inj.output and not self.inj.ac_running:
                self.trigger("STEP")
            self.changed()

    @EmulatedInstrument.command(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]?")
    def _level_q(self, call: Call) -> str:
        return self.fmt(self.inj.dc_a)

    @EmulatedInstrument.command(":SOURce:CURRent:COMPliance")
    def _comp(self, call: Call) -> None:
        self.compliance = call.number(0, "V", 0.1, 105.0)

    @EmulatedInstrument.command(":SOURce:CURRent:COMPliance?")
    def _comp_q(self, call: Call) -> str:
        return self.fmt(self.compliance)

    @EmulatedInstrument.command(":SOURce:WAVE:FUNCtion")
    def _wfunc(self, call: Call) -> None:
        self.wave_function = call.choice(0, {"SIN": "SIN", "SQUare": "SQU", "RAMP": "RAMP"})

    @EmulatedInstrument.command(":SOURce:WAVE:FUNCtion?")
    def _wfunc_q(self, call: Call) -> str:
        return self.wave_function

    @EmulatedInstrument.command(":SOURce:WAVE:FREQuency")
    def _wfreq(self, call: Call) -> None:
        self.wave_freq = call.number(0, "HZ", 1e-3, 1e5)

    @EmulatedInstrument.command(":SOURce:WAVE:FREQuency?")
    def _wfreq_q(self, call: Call) -> str:
        return self.fmt(self.wave_freq)

    @EmulatedInstrument.command(":SOURce:WAVE:AMPLitude")
    def _wampl(self, call: Call) -> None:
        value = call.number(0, "A", 2e-12, 0.105)
        if value != self.inj.ac_peak_a:
            self.inj.ac_peak_a = value
            if self.inj.ac_running:
                self.trigger("STEP")
            self.changed()

    @EmulatedInstrument.command(":SOURce:WAVE:AMPLitude?")
    def _wampl_q(self, call: Call) -> str:
        return self.fmt(self.inj.ac_peak_a)

    @EmulatedInstrument.command(":SOURce:WAVE:OFFSet")
    def _woff(self, call: Call) -> None:
        self.wave_offset = call.number(0, "A", -0.105, 0.105)

    @EmulatedInstrument.command(":SOURce:WAVE:DURation:TIME")
    def _wdur(self, call: Call) -> None:
        call.count(1)
        # INF (run until ABOR) is a value of its own, outside the finite range 100 ns ... 1e6 s
        if call.raw(0).strip().upper() not in ("INF", "+INF", "9.9E37", "9.9E+37"):
            call.number(0, "S", 1e-7, 1e6)  # -222 outside the finite range
            raise ScpiError(-221, "this bench runs waveforms with DUR:TIME INF only")
        self.wave_duration = math.inf

    @EmulatedInstrument.command(":SOURce:WAVE:ARM")
    def _arm(self, call: Call) -> None:
        if self.wave_function != "SIN":
            raise ScpiError(-221, "only SIN waveforms reach the sensor model")
        self.armed = True

    @EmulatedInstrument.command(":SOURce:WAVE:ARM?")
    def _arm_q(self, call: Call) -> str:
        return str(int(self.armed))

    @EmulatedInstrument.command(":SOURce:WAVE:INITiate")
    def _init(self, call: Call) -> None:
        if not self.armed:
            raise ScpiError(-221, "waveform not armed")
        self.inj.ac_running = True
        if self.inj.output:
            self.trigger("STEP")
            self.changed()
        else:
            self.set_output(True)

    @EmulatedInstrument.command(":SOURce:WAVE:ABORt")
    def _abort(self, call: Call) -> None:
        self.armed = False
        self.inj.ac_running = False
        self.set_output(False)
        self.changed()

    @EmulatedInstrument.command(":OUTPut[:STATe]")
    def _outp(self, call: Call) -> None:
        on = call.boolean(0)
        if not on:
            self.inj.ac_running = False
            self.armed = False
        self.set_output(on)

    @EmulatedInstrument.command(":OUTPut[:STATe]?")
    def _outp_q(self, call: Call) -> str:
        return str(int(self.inj.output))
