"""Error codes of the station: names (console, status) and numbers (``E<n>``, CAN byte 6).

The numbers are part of the console and CAN contract and never change meaning; the order is the
priority in which the first active error is reported where only one fits (CAN).
"""

from __future__ import annotations

CODES: dict[str, int] = {
    "GroundFailure": 1,  # RCD trip (residual current)
    "RcdSelfTestFailed": 2,  # the RCD self-test before a charge cycle failed
    "DiodeFault": 3,  # vehicle diode missing: negative CP level not at the rail
    "CpFault": 4,  # CP shorted to PE (state E) or a CP level outside every window
    "PpInvalid": 5,  # cable coding resistor missing or out of range
    "SupplyVoltage": 6,  # a phase voltage outside the supply window
    "OverTemperature": 7,  # thermal stop
    "VentilationRequired": 8,  # vehicle asks for state D, station has no ventilation
}


def ordered(names: set[str] | list[str]) -> list[str]:
    """Error names in code order (stable output for console and CAN)."""
    return sorted(set(names), key=lambda n: CODES.get(n, 99))


def code(name: str | None) -> int:
    """Number of an error name; 0 for none."""
    return 0 if name is None else CODES.get(name, 99)
