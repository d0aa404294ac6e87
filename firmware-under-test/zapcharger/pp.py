"""Proximity pilot: the cable's current rating from its PP-PE resistor (IEC 61851-1 Annex B).

Between two bands the lower rating is taken, so a resistor drifting out of its band can only
make the station more cautious, never advertise more than the cable carries.
"""

from __future__ import annotations

#: Below this the PP reads as shorted, ohm.
PP_MIN_OHM = 60.0
#: Above this the PP reads as open (no cable or broken resistor), ohm.
PP_MAX_OHM = 4500.0
#: (upper resistance bound inclusive, rating A); ordered by resistance. The bands themselves are
#: 80-140 (63 A), 164-308 (32 A), 400-936 (20 A), 1100-2460 (13 A); gaps fall to the next band up.
_RATINGS: tuple[tuple[float, float], ...] = (
    (140.0, 63.0),
    (308.0, 32.0),
    (936.0, 20.0),
    (PP_MAX_OHM, 13.0),
)


def cable_rating(pp_ohm: float | None) -> float | None:
    """Rating (A) of the cable whose PP resistor reads ``pp_ohm``; ``None`` when invalid."""
    if pp_ohm is None or pp_ohm != pp_ohm or pp_ohm < PP_MIN_OHM or pp_ohm > PP_MAX_OHM:
        return None
    for upper, rating in _RATINGS:
        if pp_ohm <= upper:
            return rating
    return None  # pragma: no cover - PP_MAX_OHM is the last band's bound
