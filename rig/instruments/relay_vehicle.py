"""The vehicle side built from relays: CP states, faults, arbitrary CP resistance, PP coding.

A lab without an EV emulator switches the vehicle's resistors with a relay board (README, "A
bench from common instruments"). Each relay is a labgrid digital output (``ModbusTCPCoil`` and
labgrid's own ``ModbusCoilDriver``, or any other ``DigitalOutputProtocol`` driver such as a USB
HID relay), named in the rig file by its function (:data:`FUNCTIONS`). This module knows the
circuit, never the board: which outputs to switch, and in which order, for a vehicle state.

**Order matters.** Relays switch one after another, so every change passes through the states
in between. The sequences here pass only through states that mean the same to a charger:

* between B, C and D the CP circuit stays connected (R2 and 270 ohm are added in parallel
  before the other is taken away), so the charger never sees a vehicle leave (A) on the way;
* a ladder value is programmed while the ladder is out of the circuit (behind the changeover
  relay ``cp_ladder``, or with the cable out for PP), then switched in by one relay;
* a fault relay (diode short, CP-PE short) is one output.

**What a ladder costs** (``docs/composite-bench.md``): a resistance in 1 ohm steps (half a
step of error), the ladder resistors' tolerance (0.1 %), the contact resistance of the closed
contacts that short the unused bits (13 x 50 mohm at most), and, to change the CP value while
the ladder is already in the circuit, a moment in R3's state B between the two values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rig.instruments.base import check_choice, check_range

STATES = ("A", "B", "C", "D")
FAULTS = ("NONE", "DIODE_SHORT", "CP_PE_SHORT")


class RelayError(RuntimeError):
    """A relay did not do what it was told (the rig's ERROR, never the charger's FAIL)."""


class DigitalOutput(Protocol):
    """labgrid's ``DigitalOutputProtocol``: what a relay driver offers."""

    def set(self, status: bool) -> None: ...

    def get(self) -> bool: ...


@dataclass(frozen=True)
class Circuit:
    """The resistors a lab put on its board (defaults: IEC 61851-1 Annex A values and a 13-bit,
    1 ohm ladder); a rig file's ``options`` may give its own."""

    r3_ohm: float = 2740.0
    r2_ohm: float = 1300.0
    rd_ohm: float = 270.0
    ladder_bits: int = 13
    ladder_step_ohm: float = 1.0

    @property
    def ladder_max_ohm(self) -> float:
        return (2 ** self.ladder_bits - 1) * self.ladder_step_ohm

    def ladder_code(self, ohm: float) -> int:
        return round(ohm / self.ladder_step_ohm)


def ladder_functions(prefix: str, bits: int) -> tuple[str, ...]:
    return tuple(f"{prefix}_r{k}" for k in range(bits))


#: Output names the rig file gives its relays (resource and driver names).
CONTROL_FUNCTIONS = ("cp_connect", "cp_c", "cp_d", "cp_ladder", "diode_short", "cp_pe_short",
                     "pp_connect")


def functions(circuit: Circuit = Circuit()) -> tuple[str, ...]:
    """Every output the board must have for ``circuit``."""
    return (CONTROL_FUNCTIONS + ladder_functions("cp", circuit.ladder_bits)
            + ladder_functions("pp", circuit.ladder_bits))


class RelayVehicle:
    """Vehicle state, faults and cable coding through relay outputs, in a safe order."""

    def __init__(self, outputs: Mapping[str, DigitalOutput], circuit: Circuit = Circuit()):
        missing = [f for f in functions(circuit) if f not in outputs]
        if missing:
            raise ValueError(f"relay outputs missing for: {', '.join(missing)}")
        self.outputs = dict(outputs)
        self.circuit = circuit
        #: What the rig last set (the relays are read back by ``read``).
        self.state = "A"
        self.resistance_ohm: float | None = None
        self.fault = "NONE"
        self.pp_ohm: float | None = None

    # ---- outputs -------------------------------------------------------------------------
    def _set(self, function: str, on: bool) -> None:
        """Switch one relay and read it back: labgrid's ``ModbusCoilDriver`` takes a refused
        write for a success with pyModbusTCP 0.3 (which returns False, not None, on a Modbus
        exception), while a refused read still raises; so a write is trusted once read back."""
        output = self.outputs[function]
        output.set(bool(on))
        reported = output.get()
        if bool(reported) != bool(on):
            raise RelayError(f"relay '{function}': switched {'on' if on else 'off'}, the board "
                             f"reports {'on' if reported else 'off'}")

    def read(self) -> dict[str, bool]:
        """Every relay as the board reports it."""
        return {name: bool(out.get()) for name, out in self.outputs.items()}

    def _program(self, prefix: str, ohm: float) -> None:
        code = self.circuit.ladder_code(ohm)
        for k, function in enumerate(ladder_functions(prefix, self.circuit.ladder_bits)):
            self._set(function, bool(code >> k & 1))

    # ---- vehicle -------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """A/B/C/D with the nominal resistors (the ladder switched out first, in B)."""
        state = check_choice("state", state, STATES)
        if state == "A":
            self._set("cp_connect", False)
            self._set("cp_c", False)
            self._set("cp_d", False)
            self._set("cp_ladder", False)
        else:
            self._set("cp_ladder", False)  # R3 back in; from A this is not yet on the line
            want_c, want_d = state == "C", state == "D"
            # add what is wanted before removing what is not: never through A or B by accident
            if want_c:
                self._set("cp_c", True)
            if want_d:
                self._set("cp_d", True)
            self._set("cp_connect", True)
            if not want_c:
                self._set("cp_c", False)
            if not want_d:
                self._set("cp_d", False)
        self.state, self.resistance_ohm = state, None

    def set_resistance(self, ohm: float | None) -> None:
        """An arbitrary vehicle CP resistance (diode in series) from the ladder; None = open."""
        if ohm is None:
            self.set_state("A")
            return
        value = check_range("ohm", ohm, "ohm", 50.0, self.circuit.ladder_max_ohm)
        connected = self.state != "A"
        if connected and self.state == "R":
            self._set("cp_ladder", False)  # R3 (B) for the moment the ladder changes
        self._program("cp", value)
        if connected:
            self._set("cp_ladder", True)  # one relay: from the old value to the new
            self._set("cp_c", False)
            self._set("cp_d", False)
        else:
            self._set("cp_c", False)
            self._set("cp_d", False)
            self._set("cp_ladder", True)
            self._set("cp_connect", True)
        self.state, self.resistance_ohm = "R", value

    def set_fault(self, fault: str) -> None:
        """NONE, DIODE_SHORT or CP_PE_SHORT (the faults a relay can make)."""
        fault = check_choice("fault", fault, FAULTS)
        self._set("diode_short", fault == "DIODE_SHORT")
        self._set("cp_pe_short", fault == "CP_PE_SHORT")
        self.fault = fault

    def set_cable(self, pp_ohm: float | None) -> None:
        """The cable's PP coding from the PP ladder (None: no cable); the cable comes out while
        the ladder changes, as when a person swaps cables."""
        if pp_ohm is not None:
            pp_ohm = check_range("pp_ohm", pp_ohm, "ohm", 0.0, self.circuit.ladder_max_ohm)
        self._set("pp_connect", False)
        if pp_ohm is not None:
            self._program("pp", pp_ohm)
            self._set("pp_connect", True)
        self.pp_ohm = pp_ohm

    def make_safe(self) -> list[str]:
        """Every relay open (vehicle gone, no fault, no cable); tries them all, returns what
        failed."""
        problems = []
        order = ("cp_connect", "cp_pe_short", "diode_short", "cp_c", "cp_d", "cp_ladder",
                 "pp_connect")
        for function in (*order, *(f for f in self.outputs if f not in order)):
            try:
                self._set(function, False)
            except Exception as exc:  # keep going: every relay must be tried
                problems.append(f"{function}: {exc}")
        self.state, self.resistance_ohm, self.fault, self.pp_ohm = "A", None, "NONE", None
        return problems


def circuit_from_options(options: Mapping[str, Any]) -> Circuit:
    """The board's resistors from a rig file's driver options (unknown keys refused)."""
    known = set(Circuit.__dataclass_fields__)
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"unknown circuit options {sorted(unknown)} (known: {sorted(known)})")
    return Circuit(**options)
