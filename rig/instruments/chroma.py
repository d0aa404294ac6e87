"""Chroma 19032 electrical safety analyser (19032 / 19032-P): the rig's routine safety tester.

Command table: Chroma "Electrical Safety Analyzer 19032 / 19032-P User's Manual", chapter
"Remote interface" (SCPI command summary, ``SOURce:SAFEty`` subsystem); the same subsystem the
Chroma 19050 hipot series documents. Numbers marked (c) could not be checked against the
manual's own pages and are to be confirmed on the instrument:

==========================  ==================================================  ==============
Purpose                     Command                                             Reply
==========================  ==================================================  ==============
identity, errors            ``*IDN?``, ``SYST:ERR?``                            ``0,"No error"``
ground bond step n          ``SOUR:SAFE:STEP<n>:GB <A>`` (3 ... 30 A),
                            ``:GB:LIM <ohm>`` (high, 0.1 mohm ... 510 mohm),
                            ``:GB:TIME <s>``
insulation step n           ``SOUR:SAFE:STEP<n>:IR <V>`` (50 ... 1000 V DC),
                            ``:IR:LIM <ohm>`` (low, 0.1 Mohm ... 50 Gohm),
                            ``:IR:TIME <s>``
AC hipot step n             ``SOUR:SAFE:STEP<n>:AC <V>`` (50 ... 5000 V),
                            ``:AC:LIM <A>`` (high, up to 20 mA (c)),
                            ``:AC:TIME <s>``, ``:AC:TIME:RAMP <s>``
step memory                 ``SOUR:SAFE:STEP<n>:DEL``, ``SOUR:SAFE:SNUM?``      ``+3``
run                         ``SOUR:SAFE:STAR``, ``SOUR:SAFE:STOP``,
                            ``SOUR:SAFE:STAT?``                                 ``RUNNING`` /
                                                                                ``STOPPED``
results (all steps)         ``SOUR:SAFE:RES:ALL?`` (judgement codes),           ``116,116,33``
                            ``:RES:ALL:MMET?`` (measured), ``:RES:ALL:OMET?``
                            (output), ``:RES:ALL:MODE?``, ``:RES:ALL:TIME?``
==========================  ==================================================  ==============

Judgement codes (manual's result code table): 116 PASS, 115 TESTING, 114 CAN NOT TEST,
113 USER STOP, 112 STOP (step not reached); HIGH FAIL 33 (AC), 65 (IR), 97 (GB (c)); LOW FAIL
34, 66, 98 (c).

**Interlock.** The 19032's interlock input (rear panel) must be wired through the AC source's
output relay and the EV emulator's disconnect, so ``SAFE:STAR`` is refused (and a running test
stops) while the supply is on or a vehicle is connected. The emulated bench is wired that way;
the refusal arrives as the instrument's -221 in the error queue (an ``InstrumentError``).
"""

from __future__ import annotations

import math

from rig.instruments.base import ScpiInstrument, check_range
from rig.instruments.protocols import ElectricalSafetyTester, SafetyResult

#: One line per step parameter: (mode, parameter) -> (command suffix, unit, low, high).
STEP_PARAMETERS: dict[tuple[str, str], tuple[str, str, float, float]] = {
    ("GB", "level"): ("GB", "A", 3.0, 30.0),
    ("GB", "high"): ("GB:LIM", "ohm", 1e-4, 0.51),
    ("GB", "time"): ("GB:TIME", "s", 0.3, 999.0),
    ("IR", "level"): ("IR", "V", 50.0, 1000.0),
    ("IR", "low"): ("IR:LIM", "ohm", 1e5, 5e10),
    ("IR", "time"): ("IR:TIME", "s", 0.3, 999.0),
    ("AC", "level"): ("AC", "V", 50.0, 5000.0),
    ("AC", "high"): ("AC:LIM", "A", 1e-6, 0.02),
    ("AC", "time"): ("AC:TIME", "s", 0.3, 999.0),
    ("AC", "ramp"): ("AC:TIME:RAMP", "s", 0.0, 999.0),
}
JUDGEMENTS = {
    116: "PASS", 115: "TESTING", 114: "CAN NOT TEST", 113: "USER STOP", 112: "NOT RUN",
    33: "HIGH FAIL", 65: "HIGH FAIL", 97: "HIGH FAIL", 34: "LOW FAIL", 66: "LOW FAIL",
    98: "LOW FAIL",
}
#: What the instrument returns for a value it has not measured.
SCPI_NAN_ABOVE = 9e37


class Chroma19032(ScpiInstrument, ElectricalSafetyTester):
    """Chroma 19032: ground bond, insulation resistance, AC/DC hipot in one sequence."""

    safe_commands = ("SOUR:SAFE:STOP",)

    def configure(self) -> None:
        """Stop anything running and empty the step memory (programmed afresh per unit)."""
        self.send("SOUR:SAFE:STOP")
        for _ in range(self.step_count()):
            self.send("SOUR:SAFE:STEP1:DEL")

    def step_count(self) -> int:
        reply = self.query("SOUR:SAFE:SNUM?")
        try:
            return int(reply.strip().lstrip("+"))
        except ValueError:
            raise self.bad_reply("SOUR:SAFE:SNUM?", reply, "a step count") from None

    def _program(self, mode: str, **values: float) -> int:
        """Validate every value first, then write the new step's commands (checked)."""
        commands = []
        step = self.step_count() + 1
        for name, value in values.items():
            suffix, unit, low, high = STEP_PARAMETERS[(mode, name)]
            number = check_range(f"{mode} {name}", value, unit, low, high)
            commands.append(f"SOUR:SAFE:STEP{step}:{suffix} {number:g}")
        for command in commands:
            self.send(command)
        return step

    def add_ground_bond(self, current_a: float, high_ohm: float, time_s: float) -> int:
        return self._program("GB", level=current_a, high=high_ohm, time=time_s)

    def add_insulation(self, voltage_v: float, low_ohm: float, time_s: float) -> int:
        return self._program("IR", level=voltage_v, low=low_ohm, time=time_s)

    def add_hipot_ac(
        self, voltage_v: float, high_a: float, time_s: float, ramp_s: float = 0.1
    ) -> int:
        return self._program("AC", level=voltage_v, high=high_a, time=time_s, ramp=ramp_s)

    def start(self) -> None:
        self.send("SOUR:SAFE:STAR")

    def stop(self) -> None:
        self.send("SOUR:SAFE:STOP")

    def running(self) -> bool:
        reply = self.query("SOUR:SAFE:STAT?").upper()
        if reply not in ("RUNNING", "STOPPED"):
            raise self.bad_reply("SOUR:SAFE:STAT?", reply, "RUNNING or STOPPED")
        return reply == "RUNNING"

    def completed(self) -> bool:
        return not self.running()

    def _values(self, command: str, count: int) -> list[float]:
        values = self.query_floats(command, count)
        return [math.nan if abs(v) >= SCPI_NAN_ABOVE else v for v in values]

    def results(self) -> list[SafetyResult]:
        modes = [m.strip().upper() for m in self.query("SOUR:SAFE:RES:ALL:MODE?").split(",")]
        count = len(modes)
        codes = self.query("SOUR:SAFE:RES:ALL?").split(",")
        if len(codes) != count or not all(c.strip().lstrip("+").isdigit() for c in codes):
            raise self.bad_reply("SOUR:SAFE:RES:ALL?", ",".join(codes),
                                 f"{count} judgement codes")
        measured = self._values("SOUR:SAFE:RES:ALL:MMET?", count)
        output = self._values("SOUR:SAFE:RES:ALL:OMET?", count)
        elapsed = self._values("SOUR:SAFE:RES:ALL:TIME?", count)
        return [
            SafetyResult(
                step=i + 1, mode=modes[i],
                judgement=JUDGEMENTS.get(int(codes[i].strip().lstrip("+")), f"CODE {codes[i]}"),
                output=output[i], value=measured[i], elapsed_s=elapsed[i],
            )
            for i in range(count)
        ]
