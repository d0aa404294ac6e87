"""Chroma 19032 electrical safety analyser: ground bond, insulation resistance, AC hipot.

Wired, as on a production fixture, between the charger's supply terminals (L1-L3 and N tied
together by the fixture) and its PE terminal; the ground-bond leads go from the PE terminal to
the socket's PE contact. What it measures comes from the unit's profile (``safety.*``): PE
resistance, insulation resistance, and the hipot leakage at 1500 V AC, which scales with the
test voltage (it is mostly the EMC filter's Y capacitors).

**Interlock.** The tester's interlock input is wired, as it must be on a real station, through
the AC source's output relay and the EV emulator's disconnect: ``SAFE:STAR`` with the supply on
or the vehicle connected is refused (-221, nothing is energised), and a test that is running
stops at once (code 114, CAN NOT TEST) when either appears.

A test's steps run one after the other in bench time, each for its ramp plus its test time; a
failing step ends the test (the instrument's default FAIL STOP). Results are judged against
the step's own limits like the instrument does; the rig records the values against its
catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rig.bench.manuals.chroma19032 import MANUAL
from rig.bench.scpi import Call, Handler, ScpiError, fmt_e

from .base import EmulatedInstrument

#: Index of the ``STEP<n>`` node in ``[SOURce:]SAFEty:STEP<n>:...`` (its suffix is the step).
STEP_NODE = 2
#: SCPI "not a number": the reading of a step that never ran.
SCPI_NAN = 9.91e37
#: Result codes (manual's result code table; the GB column as printed for the 19032).
PASS, TESTING, CAN_NOT_TEST, USER_STOP, STOPPED = 116, 115, 114, 113, 112
HIGH_FAIL = {"AC": 33, "IR": 65, "GB": 97}
LOW_FAIL = {"AC": 34, "IR": 66, "GB": 98}
#: Leakage reference voltage of the profile's ``safety.hipot_leakage_ma``, V rms.
HIPOT_REFERENCE_V = 1500.0
#: Largest insulation resistance the IR meter resolves, ohm (50 Gohm); above: this value.
IR_MAX_OHM = 50e9
#: Ground bond reading with nothing between the clips (a unit taken off the fixture), ohm.
GB_OPEN_OHM = 9.999

#: Per mode: parameter -> (unit, low, high, default). Levels are V (AC, IR) or A (GB).
RANGES: dict[str, dict[str, tuple[str, float, float, float]]] = {
    "AC": {"level": ("V", 50.0, 5000.0, 1500.0), "high": ("A", 1e-6, 0.02, 0.005),
           "low": ("A", 0.0, 0.02, 0.0), "time": ("S", 0.3, 999.0, 1.0),
           "ramp": ("S", 0.0, 999.0, 0.1)},
    "IR": {"level": ("V", 50.0, 1000.0, 500.0), "low": ("OHM", 1e5, 5e10, 1e6),
           "high": ("OHM", 0.0, 5e10, 0.0), "time": ("S", 0.3, 999.0, 1.0),
           "ramp": ("S", 0.0, 999.0, 0.0)},
    "GB": {"level": ("A", 3.0, 30.0, 25.0), "high": ("OHM", 1e-4, 0.51, 0.1),
           "low": ("OHM", 0.0, 0.51, 0.0), "time": ("S", 0.3, 999.0, 1.0),
           "ramp": ("S", 0.0, 999.0, 0.0)},
}

#: The step parameters' commands (``?`` appended: the query): mode, parameter, header.
PARAMETERS = [
    (mode, name, f"[SOURce:]SAFEty:STEP<n>:{mode}{header}")
    for mode, table in (
        ("AC", {"level": "[:LEVel]", "high": ":LIMit[:HIGH]", "low": ":LIMit:LOW",
                "time": ":TIME[:TEST]", "ramp": ":TIME:RAMP"}),
        ("IR", {"level": "[:LEVel]", "low": ":LIMit[:LOW]", "high": ":LIMit:HIGH",
                "time": ":TIME[:TEST]", "ramp": ":TIME:RAMP"}),
        ("GB", {"level": "[:LEVel]", "high": ":LIMit[:HIGH]", "low": ":LIMit:LOW",
                "time": ":TIME[:TEST]", "ramp": ":TIME:RAMP"}),
    )
    for name, header in table.items()
]


@dataclass
class Step:
    mode: str
    values: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, (_, _, _, default) in RANGES[self.mode].items():
            self.values.setdefault(name, default)

    @property
    def duration(self) -> float:
        return self.values["ramp"] + self.values["time"]


@dataclass
class Result:
    code: int = STOPPED
    output: float = SCPI_NAN
    measured: float = SCPI_NAN
    elapsed: float = 0.0


class Chroma19032(EmulatedInstrument):
    """The ``SOURce:SAFEty`` subsystem of the Chroma 19032, the subset a routine test uses."""

    key = "est"
    manual = MANUAL  # rig.bench.manuals.chroma19032: the parser registers exactly its rows
    instance_patterns = tuple(p + q for _, _, p in PARAMETERS for q in ("", "?"))

    def __init__(self, bench, serial: str = "190320004711"):  # type: ignore[no-untyped-def]
        super().__init__(bench, serial)
        self.idn = f"Chroma,19032,{serial},1.60"
        bench.listeners.append(self._follow)

    def instance_handlers(self) -> list[tuple[str, Handler]]:
        """The step parameters' set and query handlers, one pair per row of PARAMETERS."""
        return [pair for mode, name, pattern in PARAMETERS
                for pair in ((pattern, self._setter(mode, name)),
                             (pattern + "?", self._getter(mode, name)))]

    def reset(self) -> None:
        self.steps: list[Step] = []
        self.results: list[Result] = []
        self.started_at: float | None = None
        self.running = False
        self._set_output(False, "")

    # ---- the test -------------------------------------------------------------------------
    def _set_output(self, on: bool, mode: str) -> None:
        state = self.bench.safety_tester
        if state.output != on or state.mode != mode:
            state.output, state.mode = on, mode
            self.bench.trace.add(self.bench.now, "EST", f"{mode} ON" if on else "OFF")

    def _interlock(self) -> str:
        """Why the interlock is open now ('' when closed)."""
        if self.bench.supply_live():
            return "interlock open: the AC supply is on"
        if self.bench.ev_connected():
            return "interlock open: the EV emulator is connected"
        return ""

    def _reading(self, step: Step) -> tuple[float, float]:
        """(output, measured) of a step on this unit: A and ohm (GB), V and ohm (IR), V and A
        (AC)."""
        safety = self.bench.profile.safety
        level = step.values["level"]
        if not self.bench.unit_present:  # the probes touch nothing: open bond, no leakage
            return level, {"GB": GB_OPEN_OHM, "IR": IR_MAX_OHM, "AC": 0.0}[step.mode]
        if step.mode == "GB":
            return level, safety.pe_resistance_ohm
        if step.mode == "IR":
            return level, min(safety.insulation_mohm * 1e6, IR_MAX_OHM)
        return level, safety.hipot_leakage_ma * 1e-3 * level / HIPOT_REFERENCE_V

    def _judge(self, step: Step, value: float) -> int:
        high, low = step.values["high"], step.values["low"]
        if high > 0 and value > high:
            return HIGH_FAIL[step.mode]
        if low > 0 and value < low:
            return LOW_FAIL[step.mode]
        return PASS

    def _follow(self) -> None:
        """After every change of the bench: advance the running test to the bench's now."""
        if not self.running or self.started_at is None:
            return
        why = self._interlock()
        t = self.started_at
        for step, result in zip(self.steps, self.results, strict=True):
            if result.code != TESTING and result.code != STOPPED:
                t += result.elapsed
                continue
            end = t + step.duration
            if why:  # the interlock opened under the test: output off at once
                result.code, result.elapsed = CAN_NOT_TEST, max(self.bench.now - t, 0.0)
                self._finish()
                return
            if self.bench.now < end - 1e-12:
                result.code = TESTING
                self._set_output(True, step.mode)
                return
            result.output, result.measured = self._reading(step)
            result.code, result.elapsed = self._judge(step, result.measured), step.duration
            t = end
            if result.code != PASS:  # FAIL STOP: the remaining steps never run
                self._finish()
                return
        self._finish()

    def _finish(self) -> None:
        self.running = False
        self._set_output(False, "")

    # ---- step memory ------------------------------------------------------------------------
    def _step(self, call: Call, mode: str) -> Step:
        n = call.suffix(STEP_NODE, default=1, valid=range(1, 100))
        if self.running:
            raise ScpiError(-221, "steps cannot change while a test runs")
        if n > len(self.steps) + 1:
            raise ScpiError(-222, f"STEP{n}: the memory has {len(self.steps)} step(s)")
        if n == len(self.steps) + 1:
            self.steps.append(Step(mode))
        elif self.steps[n - 1].mode != mode:
            self.steps[n - 1] = Step(mode)  # a new mode for the step: its defaults
        return self.steps[n - 1]

    def _set(self, call: Call, mode: str, name: str) -> None:
        call.count(1)
        unit, low, high, default = RANGES[mode][name]
        value = call.number(0, unit, low, high, default=default)
        self._step(call, mode).values[name] = value

    def _get(self, call: Call, mode: str, name: str) -> str:
        n = call.suffix(STEP_NODE, default=1)
        if n > len(self.steps) or self.steps[n - 1].mode != mode:
            raise ScpiError(-221, f"STEP{n} is not a {mode} step")
        return fmt_e(self.steps[n - 1].values[name], 6)

    def _setter(self, mode: str, name: str):  # type: ignore[no-untyped-def]
        return lambda call: self._set(call, mode, name)

    def _getter(self, mode: str, name: str):  # type: ignore[no-untyped-def]
        return lambda call: self._get(call, mode, name)

    @EmulatedInstrument.command("[SOURce:]SAFEty:STEP<n>:DELete")
    def _delete(self, call: Call) -> None:
        n = call.suffix(STEP_NODE, default=1)
        if self.running:
            raise ScpiError(-221, "steps cannot change while a test runs")
        if n > len(self.steps):
            raise ScpiError(-222, f"STEP{n}: no such step")
        del self.steps[n - 1]

    @EmulatedInstrument.command("[SOURce:]SAFEty:STEP<n>:MODE?")
    def _mode_q(self, call: Call) -> str:
        n = call.suffix(STEP_NODE, default=1)
        if n > len(self.steps):
            raise ScpiError(-222, f"STEP{n}: no such step")
        return self.steps[n - 1].mode

    @EmulatedInstrument.command("[SOURce:]SAFEty:SNUMber?")
    def _snum_q(self, call: Call) -> str:
        return f"+{len(self.steps)}"

    # ---- run ------------------------------------------------------------------------------
    @EmulatedInstrument.command("[SOURce:]SAFEty:STARt[:ONCE]")
    def _start(self, call: Call) -> None:
        if self.running:
            raise ScpiError(-221, "a test is already running")
        if not self.steps:
            raise ScpiError(-221, "no step in the memory")
        why = self._interlock()
        if why:
            raise ScpiError(-221, why)
        self.results = [Result() for _ in self.steps]
        self.started_at = self.bench.now
        self.running = True
        self._follow()

    @EmulatedInstrument.command("[SOURce:]SAFEty:STOP")
    def _stop(self, call: Call) -> None:
        if self.running:
            for result in self.results:
                if result.code == TESTING:
                    result.code = USER_STOP
            self._finish()

    @EmulatedInstrument.command("[SOURce:]SAFEty:STATus?")
    def _status_q(self, call: Call) -> str:
        return "RUNNING" if self.running else "STOPPED"

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:COMPleted?")
    def _completed_q(self, call: Call) -> str:
        return "0" if self.running or not self.results else "1"

    def _all(self, values: list[str]) -> str:
        if not self.results:
            raise ScpiError(-221, "no test has run")
        return ",".join(values)

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:ALL[:JUDGment]?")
    def _judgment_q(self, call: Call) -> str:
        return self._all([str(r.code) for r in self.results])

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:ALL:MMETerage?")
    def _mmet_q(self, call: Call) -> str:
        return self._all([fmt_e(r.measured, 6) for r in self.results])

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:ALL:OMETerage?")
    def _omet_q(self, call: Call) -> str:
        return self._all([fmt_e(r.output, 6) for r in self.results])

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:ALL:MODE?")
    def _modes_q(self, call: Call) -> str:
        return self._all([s.mode for s in self.steps[: len(self.results)]])

    @EmulatedInstrument.command("[SOURce:]SAFEty:RESult:ALL:TIME[:ELAPsed][:TEST]?")
    def _time_q(self, call: Call) -> str:
        return self._all([fmt_e(r.elapsed, 6) for r in self.results])

