"""Residual-current sources: Keithley 2450 SourceMeter (smooth DC) and 6221 (AC) dialects.

Each drives a test wire through the charger's RCD sensor (the 6221's wire makes ``turns`` passes,
so 30 mA x 5 fits its 105 mA peak). Their output relay and source-change triggers are wired to
the EV emulator's trigger input: ``RCI,ON`` / ``RCI,OFF`` / ``RCI,STEP`` in its event trace.

What each accepts is its manual's command table (``rig.bench.manuals.keithley2450`` and
``keithley6221``): the handlers here are that table's ``model`` rows; the parser serves the
``stored`` and ``held`` rows itself.
"""

from __future__ import annotations

import math
import statistics

from rig.bench.manuals.keithley2450 import MANUAL as K2450_MANUAL
from rig.bench.manuals.keithley6221 import MANUAL as K6221_MANUAL
from rig.bench.model import TEST_WIRE_OHM, InjectorState
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument
from .status import StatusSystem

K2450_CURRENT_RANGES = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
K2450_VOLTAGE_RANGES = (0.02, 0.2, 2.0, 20.0, 200.0)
K2450_RESISTANCE_RANGES = (20.0, 200.0, 2e3, 20e3, 200e3, 2e6, 20e6, 200e6)
K6221_CURRENT_RANGES = (2e-9, 20e-9, 200e-9, 2e-6, 20e-6, 200e-6, 2e-3, 20e-3, 100e-3)
#: SCPI's "overflow" reading (a value above the fixed measure range).
OVERFLOW = 9.9e37
#: The 2450's reading buffers (user buffers are not emulated).
BUFFERS = ("DEFBUFFER1", "DEFBUFFER2")
#: Mains frequency of the bench (what ``:SYST:LFR?`` reports).
LINE_HZ = 50


def _pick(value: float, ranges: tuple[float, ...]) -> float:
    """The smallest range that holds ``value`` (the largest if none does)."""
    return next((r for r in ranges if abs(value) <= r * 1.0000001), ranges[-1])


class _Injector(EmulatedInstrument, StatusSystem):
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
    """Keithley 2450 in its SCPI command set: it sources current into the test wire and
    measures current, voltage across the wire or its resistance (``TEST_WIRE_OHM``)."""

    key = "smu"
    manual = K2450_MANUAL

    def __init__(self, bench, serial: str = "04512345"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"KEITHLEY INSTRUMENTS,MODEL 2450,{serial},1.7.12b"

    def reset(self) -> None:
        self.function = "VOLT"
        self.range_a = 100e-6
        self.auto_range = True
        self.vlim = 21.0
        self.sense = "CURR"
        self.sense_range = {"CURR": 100e-6, "VOLT": 0.02, "RES": 200e3}
        self.sense_auto = dict.fromkeys(self.sense_range, True)
        # *RST clears the reading buffers and restores their capacity
        self.buffers: dict[str, list[tuple[float, float, float, str]]] = {
            b: [] for b in BUFFERS}
        self.buffer_points = dict.fromkeys(BUFFERS, 100000)
        self.inj.dc_a = 0.0
        self.set_output(False)

    # ---- common: *LANG ---------------------------------------------------------------------
    @EmulatedInstrument.command("*LANG")
    def _lang(self, call: Call) -> None:
        call.count(1)
        language = call.choice(0, ["SCPI", "TSP", "SCPI2400"])
        if language != "SCPI":
            raise ScpiError(-221, f"*LANG {language}: only the SCPI command set is emulated")

    @EmulatedInstrument.command("*LANG?")
    def _lang_q(self, call: Call) -> str:
        call.count(0)
        return "SCPI"

    # ---- SOURce ---------------------------------------------------------------------------
    @EmulatedInstrument.command(":SOURce[1]:FUNCtion[:MODE]")
    def _func(self, call: Call) -> None:
        call.count(1)
        function = call.choice(0, {"CURRent": "CURR", "VOLTage": "VOLT"})
        if function != self.function and self.inj.output:
            raise ScpiError(-221, "change the source function with the output off")
        self.function = function

    @EmulatedInstrument.command(":SOURce[1]:FUNCtion[:MODE]?")
    def _func_q(self, call: Call) -> str:
        return self.function

    @EmulatedInstrument.command(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _level(self, call: Call) -> None:
        call.count(1)
        limit = 1.05 if self.auto_range else self.range_a * 1.05
        value = call.number(0, "A", -limit, limit, default=0.0)
        if value != self.inj.dc_a:
            self.inj.dc_a = value
            if self.auto_range:
                self.range_a = _pick(value, K2450_CURRENT_RANGES)
            if self.inj.output and self.function == "CURR":
                self.trigger("STEP")
            self.changed()

    @EmulatedInstrument.command(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]?")
    def _level_q(self, call: Call) -> str:
        return self.fmt(self.inj.dc_a)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe")
    def _range(self, call: Call) -> None:
        call.count(1)
        value = call.number(0, "A", 0.0, 1.05, default=1e-4)
        if abs(self.inj.dc_a) > _pick(value, K2450_CURRENT_RANGES) * 1.05:
            raise ScpiError(-221, "the source level does not fit that range")
        self.range_a = _pick(value, K2450_CURRENT_RANGES)
        self.auto_range = False

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe?")
    def _range_q(self, call: Call) -> str:
        return self.fmt(self.range_a)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe:AUTO")
    def _range_auto(self, call: Call) -> None:
        call.count(1)
        self.auto_range = call.boolean(0)
        if self.auto_range:
            self.range_a = _pick(self.inj.dc_a, K2450_CURRENT_RANGES)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:RANGe:AUTO?")
    def _range_auto_q(self, call: Call) -> str:
        return str(int(self.auto_range))

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]")
    def _vlim(self, call: Call) -> None:
        call.count(1)
        self.vlim = call.number(0, "V", 0.02, 210.0, default=21.0)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]?")
    def _vlim_q(self, call: Call) -> str:
        return self.fmt(self.vlim)

    @EmulatedInstrument.command(":SOURce[1]:CURRent:VLIMit[:LEVel]:TRIPped?",
                                ":SOURce[1]:VOLTage:ILIMit[:LEVel]:TRIPped?")
    def _trip_q(self, call: Call) -> str:
        # the test wire is a few milliohm: the voltage limit is never reached, and the
        # voltage source never drives it (refused at :OUTP ON)
        call.count(0)
        return str(int(self.wire_voltage() > self.vlim))

    # ---- SENSe ----------------------------------------------------------------------------
    _SENSE_NAMES = {"CURR": "CURR", "CURRENT": "CURR", "VOLT": "VOLT", "VOLTAGE": "VOLT",
                    "RES": "RES", "RESISTANCE": "RES"}
    _SENSE_REPLY = {"CURR": '"CURR:DC"', "VOLT": '"VOLT:DC"', "RES": '"RES"'}

    @EmulatedInstrument.command("[:SENSe[1]]:FUNCtion[:ON]")
    def _sense_func(self, call: Call) -> None:
        call.count(1)
        name = call.string(0).upper().removesuffix(":DC")
        if name not in self._SENSE_NAMES:
            raise ScpiError(-224, f"{call.header} {call.raw(0)}")
        self.sense = self._SENSE_NAMES[name]

    @EmulatedInstrument.command("[:SENSe[1]]:FUNCtion[:ON]?")
    def _sense_func_q(self, call: Call) -> str:
        call.count(0)
        return self._SENSE_REPLY[self.sense]

    _SENSE_RANGES = {"CURR": K2450_CURRENT_RANGES, "VOLT": K2450_VOLTAGE_RANGES,
                     "RES": K2450_RESISTANCE_RANGES}
    _SENSE_UNITS = {"CURR": "A", "VOLT": "V", "RES": "OHM"}

    def _sense_of(self, call: Call) -> str:
        """Which function a ``[:SENSe]:<function>:...`` header names."""
        for token in call.header.lstrip(":").split(":"):
            name = self._SENSE_NAMES.get(token.rstrip("?").rstrip("1"))
            if name:
                return name
        raise ScpiError(-113, call.header)  # unreachable: the table names a function

    @EmulatedInstrument.command(
        "[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", "[:SENSe[1]]:VOLTage[:DC]:RANGe[:UPPer]",
        "[:SENSe[1]]:RESistance:RANGe[:UPPer]",
    )
    def _sense_range(self, call: Call) -> None:
        call.count(1)
        function = self._sense_of(call)
        ranges = self._SENSE_RANGES[function]
        value = call.number(0, self._SENSE_UNITS[function], 0.0, ranges[-1] * 1.05,
                            default=ranges[-1])
        self.sense_range[function] = _pick(value, ranges)
        self.sense_auto[function] = False

    @EmulatedInstrument.command(
        "[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]?", "[:SENSe[1]]:VOLTage[:DC]:RANGe[:UPPer]?",
        "[:SENSe[1]]:RESistance:RANGe[:UPPer]?",
    )
    def _sense_range_q(self, call: Call) -> str:
        call.count(0)
        return self.fmt(self.sense_range[self._sense_of(call)])

    @EmulatedInstrument.command(
        "[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", "[:SENSe[1]]:VOLTage[:DC]:RANGe:AUTO",
        "[:SENSe[1]]:RESistance:RANGe:AUTO",
    )
    def _sense_auto(self, call: Call) -> None:
        call.count(1)
        self.sense_auto[self._sense_of(call)] = call.boolean(0)

    @EmulatedInstrument.command(
        "[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO?", "[:SENSe[1]]:VOLTage[:DC]:RANGe:AUTO?",
        "[:SENSe[1]]:RESistance:RANGe:AUTO?",
    )
    def _sense_auto_q(self, call: Call) -> str:
        call.count(0)
        return str(int(self.sense_auto[self._sense_of(call)]))

    # ---- OUTPut ---------------------------------------------------------------------------
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

    # ---- readings -------------------------------------------------------------------------
    def current(self) -> float:
        return self.inj.dc_a if self.inj.output and self.function == "CURR" else 0.0

    def wire_voltage(self) -> float:
        return self.current() * TEST_WIRE_OHM

    def signal(self, function: str) -> float:
        """What the measure function sees on the test wire now."""
        if function == "CURR":
            return self.current()
        if function == "VOLT":
            return self.wire_voltage()
        return TEST_WIRE_OHM if self.current() != 0.0 else OVERFLOW

    def reading(self, function: str) -> float:
        value = self.signal(function)
        if self.sense_auto[function] and value != OVERFLOW:  # auto range: the reading's range
            self.sense_range[function] = _pick(value, self._SENSE_RANGES[function])
        if not self.sense_auto[function] and abs(value) > self.sense_range[function] * 1.05:
            return OVERFLOW  # above a fixed range
        return value

    def _buffer(self, call: Call, index: int) -> str:
        name = call.string(index).upper() if len(call.params) > index else "DEFBUFFER1"
        if name not in BUFFERS:
            raise ScpiError(-224, f"{call.header}: buffer {call.raw(index)} does not exist")
        return name

    def _elements(self, entry: tuple[float, float, float, str], call: Call, first: int) -> str:
        value, source, t, unit = entry
        if len(call.params) <= first:
            return self.fmt(value)
        out = []
        for i in range(first, len(call.params)):
            element = call.choice(i, {"READing": "R", "SOURce": "S", "RELative": "T",
                                      "UNIT": "U", "SOURUNIT": "SU"})
            out.append({"R": self.fmt(value), "S": self.fmt(source),
                        "T": f"{t:.6f}", "U": unit, "SU": "Amp DC"}[element])
        return ",".join(out)

    def take(self, function: str, buffer: str) -> tuple[float, float, float, str]:
        entry = (self.reading(function), self.current(), self.bench.now,
                 {"CURR": "Amp DC", "VOLT": "Volt DC", "RES": "Ohm"}[function])
        data = self.buffers[buffer]
        data.append(entry)
        del data[: max(0, len(data) - self.buffer_points[buffer])]
        return entry

    @EmulatedInstrument.command(":READ?", ":MEASure?")
    def _read(self, call: Call) -> str:
        call.count(0, 12)
        return self._elements(self.take(self.sense, self._buffer(call, 0)), call, 1)

    @EmulatedInstrument.command(":MEASure:CURRent[:DC]?", ":MEASure:VOLTage[:DC]?",
                                ":MEASure:RESistance?")
    def _measure(self, call: Call) -> str:
        call.count(0, 12)
        self.sense = self._sense_of(call)
        return self._elements(self.take(self.sense, self._buffer(call, 0)), call, 1)

    @EmulatedInstrument.command(":FETCh?")
    def _fetch(self, call: Call) -> str:
        call.count(0, 12)
        data = self.buffers[self._buffer(call, 0)]
        if not data:
            raise ScpiError(-230, "the buffer is empty")
        return self._elements(data[-1], call, 1)

    @EmulatedInstrument.command(":INITiate[:IMMediate]")
    def _init(self, call: Call) -> None:
        """The default trigger model: one reading into defbuffer1, finished at once."""
        call.count(0)
        self.take(self.sense, "DEFBUFFER1")

    @EmulatedInstrument.command(":ABORt")
    def _abort(self, call: Call) -> None:
        call.count(0)  # the trigger model is never left running here

    # ---- TRACe ----------------------------------------------------------------------------
    @EmulatedInstrument.command(":TRACe:POINts")
    def _points(self, call: Call) -> None:
        call.count(1, 2)
        points = call.integer(0, 1, 11_000_000)
        buffer = self._buffer(call, 1)
        self.buffer_points[buffer] = points
        self.buffers[buffer].clear()

    @EmulatedInstrument.command(":TRACe:POINts?")
    def _points_q(self, call: Call) -> str:
        call.count(0, 1)
        return str(self.buffer_points[self._buffer(call, 0)])

    @EmulatedInstrument.command(":TRACe:ACTual?")
    def _actual_q(self, call: Call) -> str:
        call.count(0, 1)
        return str(len(self.buffers[self._buffer(call, 0)]))

    @EmulatedInstrument.command(":TRACe:CLEar")
    def _trace_clear(self, call: Call) -> None:
        call.count(0, 1)
        self.buffers[self._buffer(call, 0)].clear()

    @EmulatedInstrument.command(":TRACe:DATA?")
    def _trace_data(self, call: Call) -> str:
        call.count(2, 14)
        data = self.buffers[self._buffer(call, 2)]
        start, end = call.integer(0, 1, None), call.integer(1, 1, None)
        if not data or end > len(data) or start > end:
            raise ScpiError(-222, f"{call.header}: {start} to {end} of {len(data)} readings")
        return ",".join(self._elements(e, call, 3) for e in data[start - 1: end])

    @EmulatedInstrument.command(":TRACe:STATistics:AVERage?", ":TRACe:STATistics:MAXimum?",
                                ":TRACe:STATistics:MINimum?", ":TRACe:STATistics:STDDev?")
    def _stats(self, call: Call) -> str:
        call.count(0, 1)
        values = [e[0] for e in self.buffers[self._buffer(call, 0)]]
        kind = call.header.rstrip("?").split(":")[-1][:3]
        if not values:
            return self.fmt(0.0)
        if kind == "AVE":
            return self.fmt(statistics.fmean(values))
        if kind == "MAX":
            return self.fmt(max(values))
        if kind == "MIN":
            return self.fmt(min(values))
        return self.fmt(statistics.pstdev(values) if len(values) > 1 else 0.0)

    # ---- SYSTem ---------------------------------------------------------------------------
    @EmulatedInstrument.command(":SYSTem:LFRequency?")
    def _lfr(self, call: Call) -> str:
        call.count(0)
        return str(LINE_HZ)

    @EmulatedInstrument.command(":SYSTem:BEEPer[:IMMediate]")
    def _beep(self, call: Call) -> None:
        call.count(2)
        call.number(0, "HZ", 20.0, 8000.0)
        call.number(1, "S", 0.001, 100.0)


class Keithley6221(_Injector):
    """Keithley 6221 AC/DC current source: sine waveform mode for AC residual current."""

    key = "cs"
    manual = K6221_MANUAL

    def __init__(self, bench, serial: str = "4101234", turns: int = 5):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.inj.turns = turns
        self.idn = f"KEITHLEY INSTRUMENTS INC.,MODEL 6221,{serial},D03  /700x "

    def reset(self) -> None:
        self.compliance = 10.0
        self.range_a = 0.1
        self.auto_range = False
        self.wave_function = "SIN"
        self.wave_freq = 1000.0
        self.wave_offset = 0.0
        self.wave_duration = math.inf
        self.armed = False
        inj = self.inj
        inj.dc_a = 0.0
        inj.ac_peak_a = 2e-3
        inj.ac_running = False
        self.set_output(False)

    @EmulatedInstrument.command(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _level(self, call: Call) -> None:
        call.count(1)
        limit = 0.105 if self.auto_range else min(0.105, self.range_a * 1.05)
        value = call.number(0, "A", -limit, limit, default=0.0)
        if self.auto_range:
            self.range_a = _pick(value, K6221_CURRENT_RANGES)
        if value != self.inj.dc_a:
            self.inj.dc_a = value
            if self.inj.output and not self.inj.ac_running:
                self.trigger("STEP")
            self.changed()

    @EmulatedInstrument.command(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]?")
    def _level_q(self, call: Call) -> str:
        return self.fmt(self.inj.dc_a)

    @EmulatedInstrument.command(":SOURce:CURRent:RANGe")
    def _range(self, call: Call) -> None:
        call.count(1)
        value = call.number(0, "A", 0.0, 0.105, default=0.105)
        new = _pick(value, K6221_CURRENT_RANGES)
        if abs(self.inj.dc_a) > new * 1.05:
            raise ScpiError(-221, "the source level does not fit that range")
        self.range_a, self.auto_range = new, False

    @EmulatedInstrument.command(":SOURce:CURRent:RANGe?")
    def _range_q(self, call: Call) -> str:
        return self.fmt(self.range_a)

    @EmulatedInstrument.command(":SOURce:CURRent:RANGe:AUTO")
    def _range_auto(self, call: Call) -> None:
        call.count(1)
        self.auto_range = call.boolean(0)

    @EmulatedInstrument.command(":SOURce:CURRent:RANGe:AUTO?")
    def _range_auto_q(self, call: Call) -> str:
        return str(int(self.auto_range))

    @EmulatedInstrument.command(":SOURce:CURRent:COMPliance")
    def _comp(self, call: Call) -> None:
        call.count(1)
        self.compliance = call.number(0, "V", 0.1, 105.0, default=10.0)

    @EmulatedInstrument.command(":SOURce:CURRent:COMPliance?")
    def _comp_q(self, call: Call) -> str:
        return self.fmt(self.compliance)

    @EmulatedInstrument.command(":SOURce:CLEar[:IMMediate]")
    def _clear(self, call: Call) -> None:
        """Output off: what ``:SOUR:CLE`` does (and the waveform stops with it)."""
        call.count(0)
        self.inj.ac_running = False
        self.armed = False
        self.set_output(False)

    @EmulatedInstrument.command(":SOURce:WAVE:FUNCtion")
    def _wfunc(self, call: Call) -> None:
        call.count(1)
        self.wave_function = call.choice(0, {"SIN": "SIN", "SQUare": "SQU", "RAMP": "RAMP"})

    @EmulatedInstrument.command(":SOURce:WAVE:FUNCtion?")
    def _wfunc_q(self, call: Call) -> str:
        return self.wave_function

    @EmulatedInstrument.command(":SOURce:WAVE:FREQuency")
    def _wfreq(self, call: Call) -> None:
        call.count(1)
        self.wave_freq = call.number(0, "HZ", 1e-3, 1e5, default=1000.0)

    @EmulatedInstrument.command(":SOURce:WAVE:FREQuency?")
    def _wfreq_q(self, call: Call) -> str:
        return self.fmt(self.wave_freq)

    @EmulatedInstrument.command(":SOURce:WAVE:AMPLitude")
    def _wampl(self, call: Call) -> None:
        call.count(1)
        value = call.number(0, "A", 2e-12, 0.105, default=2e-3)
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
        call.count(1)
        self.wave_offset = call.number(0, "A", -0.105, 0.105, default=0.0)

    @EmulatedInstrument.command(":SOURce:WAVE:OFFSet?")
    def _woff_q(self, call: Call) -> str:
        return self.fmt(self.wave_offset)

    @EmulatedInstrument.command(":SOURce:WAVE:DURation:TIME", ":SOURce:WAVE:DURation:CYCLes")
    def _wdur(self, call: Call) -> None:
        call.count(1)
        # INF (run until ABOR) is a value of its own, outside the finite range
        if call.raw(0).strip().upper() not in ("INF", "+INF", "9.9E37", "9.9E+37"):
            call.number(0, "", 1e-7, 999999.999)  # -222 outside the finite range
            what = "DUR:TIME" if "TIME" in call.pattern.upper() else "DUR:CYCL"
            raise ScpiError(-221, f"this bench runs waveforms with {what} INF only")
        self.wave_duration = math.inf

    @EmulatedInstrument.command(":SOURce:WAVE:DURation:TIME?", ":SOURce:WAVE:DURation:CYCLes?")
    def _wdur_q(self, call: Call) -> str:
        return self.fmt(self.wave_duration)

    @EmulatedInstrument.command(":SOURce:WAVE:ARM")
    def _arm(self, call: Call) -> None:
        call.count(0)
        if self.wave_function != "SIN":
            raise ScpiError(-221, "only SIN waveforms reach the sensor model")
        self.armed = True

    @EmulatedInstrument.command(":SOURce:WAVE:ARM?")
    def _arm_q(self, call: Call) -> str:
        return str(int(self.armed))

    @EmulatedInstrument.command(":SOURce:WAVE:INITiate")
    def _init(self, call: Call) -> None:
        call.count(0)
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
        call.count(0)
        self.armed = False
        self.inj.ac_running = False
        self.set_output(False)
        self.changed()

    @EmulatedInstrument.command(":OUTPut[:STATe]")
    def _outp(self, call: Call) -> None:
        call.count(1)
        on = call.boolean(0)
        if not on:
            self.inj.ac_running = False
            self.armed = False
        self.set_output(on)

    @EmulatedInstrument.command(":OUTPut[:STATe]?")
    def _outp_q(self, call: Call) -> str:
        return str(int(self.inj.output))
