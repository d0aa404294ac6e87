"""IEC 61851-1 Annex A/B facts the plans need: duty <-> current, cable coding.

Kept apart from the emulated charger's firmware on purpose: the rig must not share code with
the thing it certifies, or a wrong formula would pass its own test.
"""

from __future__ import annotations


def duty_for_current(current_a: float) -> float:
    """PWM duty cycle (%) that advertises ``current_a`` (Table A.8)."""
    if 6.0 <= current_a <= 51.0:
        return current_a / 0.6
    if 51.0 < current_a <= 80.0:
        return current_a / 2.5 + 64.0
    raise ValueError(f"{current_a} A cannot be advertised by PWM (6 ... 80 A)")


def current_for_duty(duty_pct: float) -> float:
    """Current (A) a vehicle reads from a duty cycle (0 where charging is not allowed)."""
    if 10.0 <= duty_pct <= 85.0:
        return 0.6 * duty_pct
    if 85.0 < duty_pct <= 96.0:
        return (duty_pct - 64.0) * 2.5
    if 96.0 < duty_pct <= 97.0:
        return 80.0
    if 8.0 <= duty_pct < 10.0:
        return 6.0
    return 0.0


#: Vehicle-side resistances (ohm) of the states, diode in series (Annex A).
R2_OHM = 2740.0
R3_STATE_C_OHM = 1300.0
R3_STATE_D_OHM = 270.0


def parallel(*ohms: float) -> float:
    return 1.0 / sum(1.0 / r for r in ohms)
