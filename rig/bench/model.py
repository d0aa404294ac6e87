"""The electrical model of the emulated bench: what each instrument sees and does.

Wiring (DESIGN.md): AC source -> charger (firmware behind its HAL: CP generator, contactor,
RCD sensor, meter IC) -> Type 2 socket -> cable (PP resistor) -> power analyser -> EV emulator
(CP resistors and diode, per-phase load). The residual-current sources drive a test wire through
the charger's RCD sensor. The EV emulator's trigger input is wired to the residual-current
sources' output relays, so its event trace time-stamps injection on the same time base as the
contactor it watches.

The model is piecewise analytic: between two instants where something changes (an instrument
command, a firmware deadline, the end of a supply dip) every quantity is either constant or
follows a first-order lag that is integrated exactly. So time can jump by any amount in one step
without losing accuracy, which is what makes virtual time both fast and deterministic.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

#: Nominal resistances of the vehicle side (IEC 61851-1 Annex A), ohm; None = open.
EV_STATE_OHM: dict[str, float | None] = {"A": None, "B": 2740.0, "C": 882.0, "D": 246.0}
#: The EVSE's CP source resistor, ohm, and the vehicle diode's forward drop, V.
CP_SOURCE_OHM = 1000.0
DIODE_DROP_V = 0.7
#: Supply below this (V) counts as "no voltage" for the EV emulator's inlet sense.
VOLTAGE_PRESENT_V = 50.0
#: Current the charger's electronics draw from L1 while powered, A.
STANDBY_CURRENT_A = 0.04


def classify_cp(level_v: float) -> str:
    """The state letter a vehicle-side (or EVSE-side) classifier reads from the CP plateau."""
    if level_v >= 10.5:
        return "A"
    if level_v >= 7.5:
        return "B"
    if level_v >= 4.5:
        return "C"
    if level_v >= 1.5:
        return "D"
    if level_v >= -1.5:
        return "E"
    return "F"


def current_from_duty(duty_pct: float) -> float:
    """Current (A) a vehicle reads from a PWM duty cycle (IEC 61851-1 Table A.8)."""
    if duty_pct < 8.0 or duty_pct > 97.0:
        return 0.0
    if duty_pct < 10.0:
        return 6.0
    if duty_pct <= 85.0:
        return 0.6 * duty_pct
    if duty_pct <= 96.0:
        return (duty_pct - 64.0) * 2.5
    return 80.0


@dataclass
class AcSourceState:
    """A programmable AC source's output stage (1 or 3 phases)."""

    name: str
    phases: int
    output: bool = False
    voltage_v: list[float] = field(default_factory=lambda: [230.0, 230.0, 230.0])
    frequency_hz: float = 50.0
    current_limit_a: float = 40.0
    phase_deg: list[float] = field(default_factory=lambda: [0.0, 240.0, 120.0])
    #: End of an ``OUTP:DROP`` interruption (bench time), or None.
    drop_until: float | None = None
    watchdog_on: bool = False
    watchdog_delay_s: float = 5.0
    watchdog_tripped: bool = False

    def terminal_v(self, now: float) -> list[float]:
        """Phase voltages at the output terminals now."""
        if not self.output or (self.drop_until is not None and now < self.drop_until):
            return [0.0, 0.0, 0.0]
        volts = [v if i < self.phases else 0.0 for i, v in enumerate(self.voltage_v)]
        return volts


@dataclass
class EvState:
    """The EV emulator: vehicle CP circuit, cable coding, load and watchdog."""

    state: str = "A"  # A B C D, or "R" when an arbitrary resistance is set
    resistance_ohm: float | None = None
    fault: str = "NONE"  # NONE DIODE_SHORT CP_PE_SHORT CP_OPEN PE_OPEN
    pp_ohm: float | None = None
    load_on: bool = False
    load_setpoint_a: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    load_pf: float = 1.0
    load_lag_s: float = 0.5
    load_a: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    watchdog_on: bool = False
    watchdog_delay_s: float = 5.0
    watchdog_tripped: bool = False


#: Resistance of a residual-current test wire (a short loop through the RCD sensor), ohm: what
#: a source-measure unit driving it reads back as voltage (I x R) and resistance.
TEST_WIRE_OHM = 0.02


@dataclass
class InjectorState:
    """Residual current driven through the RCD sensor by one current source."""

    output: bool = False
    dc_a: float = 0.0  # smooth DC level, A
    ac_peak_a: float = 0.0  # sine amplitude (peak), A
    ac_running: bool = False
    turns: int = 1  # turns of the test wire through the sensor

    @property
    def dc_ma(self) -> float:
        return abs(self.dc_a) * 1000.0 * self.turns if self.output else 0.0

    @property
    def ac_ma(self) -> float:
        if not (self.output and self.ac_running):
            return 0.0
        return self.ac_peak_a / math.sqrt(2.0) * 1000.0 * self.turns


@dataclass
class SafetyTesterState:
    """The electrical safety tester's high-voltage / high-current output (for the safe state)."""

    output: bool = False
    mode: str = ""  # GB, IR or AC while a step runs


#: High level of the charger's test output as the rig's pick-up delivers it (an S0 output
#: pulled up to 5 V, or a photo head on the LED), V: a counter counts it only with its trigger
#: level between 0 V and this.
TEST_OUTPUT_HIGH_V = 5.0


@dataclass
class PulseCounterState:
    """A counter's totalize gate on the charger's test output (pulses seen on the bench)."""

    running: bool = False
    gate_s: float = 0.0
    gate_end: float | None = None
    start_pulses: int = 0
    #: Pulses counted by the last gate that closed (None: none closed since the last start).
    count: int | None = None
    #: Does the input's trigger level see the pulses at all (set by the counter's settings)?
    sees_pulses: bool = True

    def open(self, now: float, gate_s: float, pulses: int) -> None:
        self.running, self.gate_s, self.gate_end = True, gate_s, now + gate_s
        self.start_pulses, self.count = pulses, None

    def close(self, pulses: int) -> None:
        self.running, self.gate_end = False, None
        self.count = pulses - self.start_pulses if self.sees_pulses else 0

    def abort(self) -> None:
        self.running, self.gate_end = False, None


@dataclass
class Integrator:
    """The power analyser's energy integration (per element and sigma)."""

    state: str = "RESET"  # RESET START STOP TIMEUP ERROR
    preset_s: float = 0.0  # 0 = manual (no timer)
    elapsed_s: float = 0.0
    wh_pos: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    wh_neg: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    ah: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    def reset(self) -> None:
        self.state, self.elapsed_s = "RESET", 0.0
        self.wh_pos, self.wh_neg, self.ah = [0.0] * 3, [0.0] * 3, [0.0] * 3


@dataclass
class Event:
    t: float
    kind: str
    value: str


class EventTrace:
    """The EV emulator's time-stamped event memory (a ring buffer)."""

    def __init__(self, size: int = 100_000):
        self.size = size
        self.events: list[Event] = []
        self.dropped = 0

    def add(self, t: float, kind: str, value: object) -> Event:
        text = f"{value:g}" if isinstance(value, float) else str(value)
        event = Event(t, kind, text)
        self.events.append(event)
        if len(self.events) > self.size:
            drop = len(self.events) - self.size
            del self.events[:drop]
            self.dropped += drop
        return event

    def since(self, t: float) -> list[Event]:
        """Events at or after ``t`` at the printed resolution (1 us), found by bisection: the
        trace is in time order, and a long session must not make every query slower."""
        start = bisect.bisect_left(self.events, t, key=lambda e: round(e.t, 6))
        return self.events[start:]

    def clear(self) -> None:
        self.events.clear()
        self.dropped = 0


@dataclass
class ElectricalState:
    """Quantities derived from the instruments and the charger's outputs at one instant."""

    supply_v: list[float]
    outlet_v: list[float]
    cp_high_v: float
    cp_low_v: float
    load_target_a: list[float]


def cp_levels(
    mode: str,
    static_v: float,
    rail_high: float,
    rail_low: float,
    ev_ohm: float | None,
    fault: str,
) -> tuple[float, float]:
    """Positive and negative CP plateaus for the generator output and the vehicle circuit.

    ``mode`` is the HAL's ``cp_mode``: ``static``, ``pwm`` or ``disconnected``. A disconnected
    generator (high impedance) drives nothing: the line is pulled to PE through the vehicle's
    resistors (or floats at 0 V without a vehicle), so both sides read 0 V, state E."""
    if mode not in ("static", "pwm", "disconnected"):
        raise ValueError(f"CP generator mode {mode!r}: one of static, pwm, disconnected")
    if fault == "CP_PE_SHORT" or mode == "disconnected":
        return 0.0, 0.0
    if fault in ("CP_OPEN", "PE_OPEN"):
        ev_ohm = None
    diode = fault != "DIODE_SHORT"
    high_src = static_v if mode == "static" else rail_high
    low_src = static_v if mode == "static" else rail_low

    def plateau(src: float) -> float:
        if ev_ohm is None:
            return src
        if src > 0:
            if diode:
                if src <= DIODE_DROP_V:
                    return src
                current = (src - DIODE_DROP_V) / (CP_SOURCE_OHM + ev_ohm)
                return src - CP_SOURCE_OHM * current
            return src * ev_ohm / (CP_SOURCE_OHM + ev_ohm)
        # negative half-wave: the diode blocks, unless it is shorted
        return src if diode else src * ev_ohm / (CP_SOURCE_OHM + ev_ohm)

    return plateau(high_src), plateau(low_src)


def lag_step(value: float, target: float, tau: float, h: float) -> tuple[float, float]:
    """First-order lag over ``h`` seconds: (value at the end, integral of value over h)."""
    if h <= 0:
        return value, 0.0
    if tau <= 0:
        return target, target * h
    decay = math.exp(-h / tau)
    end = target + (value - target) * decay
    integral = target * h + (value - target) * tau * (1.0 - decay)
    return end, integral
