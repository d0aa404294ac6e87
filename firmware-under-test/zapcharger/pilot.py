"""Control pilot: state classifier and the duty-cycle <-> current tables (IEC 61851-1 Annex A).

The classifier works on the nominal plateaus (12/9/6/3/0/-12 V), not on the generator's rails:
a generator at 12.6 V still produces plateaus inside the +/- window of the nominal ones, and a
classifier that followed the rail would hide a rail defect instead of measuring it.
"""

from __future__ import annotations

#: Nominal positive CP plateau of each state, V (F = the EVSE drives -12 V).
PLATEAUS: tuple[tuple[str, float], ...] = (
    ("A", 12.0),
    ("B", 9.0),
    ("C", 6.0),
    ("D", 3.0),
    ("E", 0.0),
    ("F", -12.0),
)
#: Lowest current a PWM may advertise, A (10 % duty).
MIN_CURRENT_A = 6.0
#: Highest current the duty-cycle table can express, A (96 % duty).
MAX_CURRENT_A = 80.0
INVALID = "invalid"


def classify(level_v: float, window_v: float) -> str:
    """State letter for a positive CP plateau; ``"invalid"`` outside every window."""
    for letter, nominal in PLATEAUS:
        if abs(level_v - nominal) <= window_v + 1e-12:
            return letter
    return INVALID


def duty_for_current(current_a: float) -> float:
    """Duty cycle (%) that advertises ``current_a`` (6..80 A); Table A.8 inverted."""
    if current_a <= 51.0:
        return current_a / 0.6
    return current_a / 2.5 + 64.0


def current_for_duty(duty_pct: float) -> float:
    """Current (A) a vehicle reads from ``duty_pct`` in the 10..96 % band."""
    if duty_pct <= 85.0:
        return duty_pct * 0.6
    return (duty_pct - 64.0) * 2.5


def negative_level_ok(low_v: float, rail_low_v: float, window_v: float) -> bool:
    """The negative half-wave is where the rail puts it, i.e. the vehicle's diode blocks it."""
    return abs(low_v - rail_low_v) <= window_v + 1e-12
