"""What a plan may ask of each class of instrument, in SI units, whatever the model.

Plans and fixtures type against these classes only; a model driver (``rig.instruments.<vendor>``)
implements one of them in its own dialect. Adding a new model means writing a driver for one of
these protocols and naming it in the rig file; no plan changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """What ``*IDN?`` says: kept with every run so a report names the exact instrument."""

    vendor: str
    model: str
    serial: str
    firmware: str

    @classmethod
    def parse(cls, idn: str) -> Identity:
        parts = [p.strip() for p in idn.split(",")]
        parts += [""] * (4 - len(parts))
        return cls(parts[0], parts[1], parts[2], ",".join(parts[3:]).strip(","))


@dataclass(frozen=True)
class Event:
    """One entry of the EV emulator's trace: bench time base, kind, value."""

    t: float
    kind: str
    value: str


@dataclass(frozen=True)
class PilotMeasurement:
    """The control pilot as the EV emulator measures it (NaN where there is nothing to see)."""

    frequency_hz: float
    duty_pct: float
    high_v: float
    low_v: float
    rise_s: float
    fall_s: float
    state: str  # e.g. "B2", "C1", "E", "F"


class Instrument(ABC):
    """Shared by every driver: identity, safe state and error check."""

    #: Role name on the rig (the labgrid resource name, e.g. ``ac_source``).
    name: str

    @abstractmethod
    def identify(self) -> Identity:
        """Query and return the instrument's identity."""

    @abstractmethod
    def make_safe(self) -> None:
        """Put the instrument in its safe state (outputs off). Must not raise on a live link."""

    @abstractmethod
    def raise_errors(self, command: str = "") -> None:
        """Read the error queue; raise InstrumentError naming ``command`` if it is not empty."""


class AcSource(Instrument):
    """A programmable AC source feeding the charger's supply terminals."""

    phases: int

    @abstractmethod
    def configure(
        self, voltage_v: float, frequency_hz: float = 50.0, current_limit_a: float = 40.0
    ) -> None:
        """Program voltage (every phase), frequency and current limit; output unchanged."""

    @abstractmethod
    def set_voltage(self, voltage_v: float, phase: int | None = None) -> None:
        """Program one phase (1-based) or all phases (None)."""

    @abstractmethod
    def output_on(self) -> None: ...

    @abstractmethod
    def output_off(self) -> None: ...

    @abstractmethod
    def is_on(self) -> bool: ...

    @abstractmethod
    def measure_voltage(self, phase: int = 1) -> float: ...

    @abstractmethod
    def measure_current(self, phase: int = 1) -> float: ...

    @abstractmethod
    def measure_power(self, phase: int = 1) -> float: ...

    @abstractmethod
    def arm_watchdog(self, delay_s: float) -> None:
        """Output latches off if the host is silent for ``delay_s`` (survives a killed host)."""

    @abstractmethod
    def disarm_watchdog(self) -> None: ...


class PowerAnalyser(Instrument):
    """A power analyser between the socket and the EV, one element per phase."""

    @abstractmethod
    def configure(self, wiring: str = "P3W4") -> None: ...

    @abstractmethod
    def read(self, items: list[tuple[str, str | int]]) -> list[float]:
        """Numeric items as (function, element) pairs, e.g. ``[("U", 1), ("P", "SIGMA")]``."""

    @abstractmethod
    def voltage(self, element: int | str = 1) -> float: ...

    @abstractmethod
    def current(self, element: int | str = 1) -> float: ...

    @abstractmethod
    def power(self, element: int | str = 1) -> float: ...

    @abstractmethod
    def start_integration(self, timer_s: int = 0) -> None:
        """Reset and start energy integration: manual (``timer_s`` 0) or ending by itself
        after ``timer_s`` whole seconds of the analyser's own time base."""

    @abstractmethod
    def stop_integration(self) -> None: ...

    @abstractmethod
    def integration_state(self) -> str:
        """``RESET``, ``START`` (integrating), ``STOP``, ``TIMEUP`` (the timer ended it) or
        ``ERROR``."""

    @abstractmethod
    def energy_wh(self, element: int | str = "SIGMA") -> float:
        """Integrated active energy since :meth:`start_integration`, Wh."""

    @abstractmethod
    def integration_time_s(self) -> float: ...


class ResidualCurrentSource(Instrument):
    """Drives residual current through the charger's RCD sensor (DC or AC 50 Hz)."""

    #: ``"dc"`` (smooth DC) or ``"ac"`` (sine); a plan picks the source by waveform.
    waveform: str

    @abstractmethod
    def configure(self) -> None:
        """Prepare the source (function, ranges, compliance) with the output off."""

    @abstractmethod
    def apply(self, current_a: float) -> None:
        """Start injecting ``current_a`` (DC, or r.m.s. for AC) or step to it if running."""

    @abstractmethod
    def stop(self) -> None:
        """Stop injecting (output off)."""

    @abstractmethod
    def is_on(self) -> bool: ...


class EvEmulator(Instrument):
    """The vehicle side: CP state and resistance, faults, cable coding, load, event trace."""

    @abstractmethod
    def set_state(self, state: str) -> float:
        """Vehicle state A/B/C/D; returns the instrument's timestamp of the change, s."""

    @abstractmethod
    def set_resistance(self, ohm: float | None) -> float:
        """An arbitrary CP resistance (None = open); returns the timestamp, s."""

    @abstractmethod
    def set_fault(self, fault: str) -> float:
        """NONE, DIODE_SHORT, CP_PE_SHORT, CP_OPEN or PE_OPEN; returns the timestamp, s."""

    @abstractmethod
    def set_cable(self, pp_ohm: float | None) -> None:
        """PP resistor of the cable in the socket (None = no cable)."""

    @abstractmethod
    def set_load(
        self, current_a: float | list[float], phases: int = 3, power_factor: float = 1.0
    ) -> None:
        """What the vehicle wants to draw per phase (it never exceeds the advertised current)."""

    @abstractmethod
    def load_on(self) -> None: ...

    @abstractmethod
    def load_off(self) -> None: ...

    @abstractmethod
    def load_current(self, phase: int = 1) -> float: ...

    @abstractmethod
    def measure_pilot(self) -> PilotMeasurement: ...

    @abstractmethod
    def led(self) -> tuple[str, str]:
        """Colour and pattern of the charger's status LED (colour sensor), lower case."""

    @abstractmethod
    def time(self) -> float:
        """Now, on the instrument's own time base (the trace's), s."""

    @abstractmethod
    def events(self, since: float | None = None) -> list[Event]:
        """The trace since ``since`` (inclusive), oldest first."""

    @abstractmethod
    def clear_events(self) -> None: ...

    @abstractmethod
    def arm_watchdog(self, delay_s: float) -> None: ...

    @abstractmethod
    def disarm_watchdog(self) -> None: ...


class PulseCounter(Instrument):
    """Counts the pulses of a meter's test output (LED / S0) over a gate of its own time
    base: the meter lab's pulse method (IEC 62053-21) against a reference's energy."""

    @abstractmethod
    def configure(self, level_v: float | None = None) -> None:
        """Totalize on the input wired to the test output, DC coupled, triggering at
        ``level_v`` (None: the counter's auto level); no gate open."""

    @abstractmethod
    def start(self, gate_s: float) -> None:
        """Open a gate of ``gate_s`` seconds now (ends by the counter's time base)."""

    @abstractmethod
    def completed(self) -> bool:
        """Has the last gate closed?"""

    @abstractmethod
    def count(self) -> int:
        """Pulses counted in the last gate that closed (InstrumentError if there is none)."""

    @abstractmethod
    def abort(self) -> None:
        """Close the gate at once, discarding its count."""


@dataclass(frozen=True)
class SafetyResult:
    """One step of an electrical safety test, as the tester reports it (SI units)."""

    step: int
    mode: str  # "GB" ground bond, "IR" insulation resistance, "AC" AC hipot
    judgement: str  # "PASS", "HIGH FAIL", "LOW FAIL", "CAN NOT TEST", "USER STOP", "NOT RUN"
    output: float  # what it applied: A (GB) or V (IR, AC); NaN if the step never ran
    value: float  # what it measured: ohm (GB, IR) or A rms (AC); NaN if the step never ran
    elapsed_s: float


class ElectricalSafetyTester(Instrument):
    """Production routine tests between the unit's live parts / PE: ground bond (PE continuity),
    insulation resistance, AC dielectric strength (hipot).

    A test is a list of steps programmed first, then started; it runs on the instrument's own
    timebase, so the plan waits for it in rig time (``clock.wait_until(tester.completed)``).
    The tester's interlock must be open while the AC supply is on or the EV emulator is
    connected: :meth:`start` is refused then, and nothing is energised.
    """

    @abstractmethod
    def configure(self) -> None:
        """Empty the step memory, output off."""

    @abstractmethod
    def add_ground_bond(self, current_a: float, high_ohm: float, time_s: float) -> int:
        """Append a ground-bond step (test current, highest PE resistance); its number."""

    @abstractmethod
    def add_insulation(self, voltage_v: float, low_ohm: float, time_s: float) -> int:
        """Append an insulation-resistance step (DC test voltage, lowest resistance)."""

    @abstractmethod
    def add_hipot_ac(
        self, voltage_v: float, high_a: float, time_s: float, ramp_s: float = 0.1
    ) -> int:
        """Append an AC dielectric-strength step (test voltage, highest leakage, A rms)."""

    @abstractmethod
    def start(self) -> None:
        """Run the programmed steps (InstrumentError if the interlock refuses)."""

    @abstractmethod
    def stop(self) -> None:
        """Abort a running test: output off at once."""

    @abstractmethod
    def completed(self) -> bool:
        """Has the last test ended (passed, failed, stopped)?"""

    @abstractmethod
    def results(self) -> list[SafetyResult]:
        """Every step of the last test, in order."""


@dataclass(frozen=True)
class Record:
    """One channel of an acquisition: ``values[i]`` (V at the probe tip) at ``x0 + i * dx``
    seconds from the trigger."""

    x0: float
    dx: float
    values: tuple[float, ...]
    y_step: float  # vertical resolution (one ADC step), V

    def time(self, index: int) -> float:
        return self.x0 + index * self.dx


class Oscilloscope(Instrument):
    """A digital oscilloscope: automatic measurements and triggered single acquisitions."""

    @abstractmethod
    def configure_channel(self, channel: int, scale_v: float, offset_v: float = 0.0,
                          probe: float = 1.0) -> None:
        """Vertical set-up of one channel (V/div and offset at the tip, probe attenuation)."""

    @abstractmethod
    def configure_timebase(self, scale_s: float, pretrigger_s: float = 0.0) -> None:
        """Record of 10 x ``scale_s``, starting ``pretrigger_s`` before the trigger."""

    @abstractmethod
    def arm_edge(self, level_v: float, rising: bool) -> None:
        """One acquisition triggered by the pilot (ch1) crossing ``level_v``."""

    @abstractmethod
    def arm_runt(self, low_v: float, high_v: float, positive: bool = True) -> None:
        """One acquisition triggered by a pulse that crosses ``low_v`` and not ``high_v``."""

    @abstractmethod
    def triggered(self) -> bool:
        """Has the armed acquisition triggered (since the last call)?"""

    @abstractmethod
    def complete(self) -> bool:
        """Has the armed acquisition filled its record?"""

    @abstractmethod
    def record(self, channel: int, points: int = 10000) -> Record:
        """The last acquisition of one channel."""

    @abstractmethod
    def measure(self, item: str, channel: int = 1) -> float:
        """An automatic measurement (``frequency``, ``duty``, ``top``, ``base``, ``rise``,
        ``fall``, ``rms``) of the live signal; NaN where there is nothing to measure."""

    @abstractmethod
    def run(self) -> None:
        """Acquire continuously (what :meth:`measure` reads)."""


ANSWERS = ("accepted", "refused", "central")


@dataclass(frozen=True)
class Tag:
    """One physical RFID tag of the rig, and what the charger is expected to answer to it:
    ``accepted`` (on the charger's local list), ``refused`` (the central system refuses it),
    ``central`` (unknown to the local list: the charger asks the central system, which
    accepts it)."""

    name: str
    uid: str
    answer: str


class TagPresenter(ABC):
    """Puts one of the rig's RFID tags on the charger's reader, or none (the safe state).

    The charger's own reader must see the tag (no console command, no OCPP shortcut): on
    hardware an actuator moves a real tag, on the emulated bench its twin sets the reader's
    input of the model."""

    tags: dict[str, Tag]

    @abstractmethod
    def present(self, name: str) -> None:
        """Tag ``name`` on the reader (any other taken away first)."""

    @abstractmethod
    def withdraw(self) -> None:
        """No tag on the reader."""

    @abstractmethod
    def presented(self) -> str | None:
        """The tag on the reader now (read back from the actuators), None for none."""

    def make_safe(self) -> None:
        self.withdraw()

    def tag(self, answer: str) -> Tag | None:
        """The first tag with the expected ``answer`` (None: the rig has none)."""
        return next((t for t in self.tags.values() if t.answer == answer), None)


class VehicleBank(Instrument):
    """The vehicles of an installation (PR-05, PR-06): one EV emulator channel per station."""

    @abstractmethod
    def channels(self) -> int:
        """Number of stations (channels)."""

    @abstractmethod
    def now(self) -> float:
        """The bank's time base, s."""

    @abstractmethod
    def arrive(self, station: int, phases: int, current_a: float, energy_kwh: float) -> None:
        """Plug a vehicle in at ``station`` and let it ask for current (state C)."""

    @abstractmethod
    def depart(self, station: int) -> float:
        """Unplug the vehicle at ``station``; returns the bank's time stamp of it, s."""

    @abstractmethod
    def depart_all(self) -> None: ...

    @abstractmethod
    def state(self, station: int) -> str:
        """The pilot state the channel reads (``A1``: a ready station, no vehicle)."""

    @abstractmethod
    def currents(self, station: int) -> list[float]:
        """The current per phase the vehicle at ``station`` draws, A."""

    @abstractmethod
    def all_currents(self) -> list[list[float]]: ...

    @abstractmethod
    def first_current_at(self, station: int) -> float | None:
        """The bank's time stamp of the vehicle's first current (None: none yet), s."""


class AcLoad(Instrument):
    """An AC electronic load drawing a vehicle's current (constant current, one phase)."""

    @abstractmethod
    def configure(self) -> None:
        """Constant-current mode, input off, nothing drawn."""

    @abstractmethod
    def set_current(self, current_a: float) -> None:
        """The current to draw, A rms."""

    @abstractmethod
    def set_power_factor(self, power_factor: float) -> None: ...

    @abstractmethod
    def load_on(self) -> None: ...

    @abstractmethod
    def load_off(self) -> None: ...

    @abstractmethod
    def measure_current(self) -> float:
        """What it draws now, A rms."""

    @abstractmethod
    def measure_voltage(self) -> float:
        """At its input, V rms."""
