"""Firmware time: deadlines compared with a tiny tolerance, and OCPP timestamps.

Why a module of its own: the firmware never reads a clock. Its time is the sum of the ``dt`` the
host passes to ``tick``; every delay is a deadline on that time line, and every timestamp the
firmware prints is derived from it, so two runs with the same inputs are byte-identical.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

#: Two instants closer than this are the same instant (float sums of dt are not exact).
EPS = 1e-9
#: Firmware time 0 as wall-clock time (the RTC is set to this at the factory).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def due(deadline: float | None, now: float) -> bool:
    """True when ``deadline`` exists and has been reached at ``now`` (within :data:`EPS`)."""
    return deadline is not None and deadline <= now + EPS


def iso(t: float) -> str:
    """ISO 8601 UTC timestamp (millisecond resolution) of firmware time ``t``."""
    ms = round(t * 1000.0)
    stamp = EPOCH + timedelta(milliseconds=ms)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def parse_iso(text: str) -> float | None:
    """Firmware time of an ISO 8601 timestamp, ``None`` if it cannot be parsed."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    seconds = (stamp - EPOCH).total_seconds()
    return seconds if math.isfinite(seconds) else None
