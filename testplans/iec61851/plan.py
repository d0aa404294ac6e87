"""What every module of the IEC 61851-1 plan shares: its catalogue, test points, waits."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rig.catalogue import Catalogue, load_catalogue

CATALOGUE: Catalogue = load_catalogue(Path(__file__).with_name("requirements.yaml"))


def points(rid: str, name: str) -> list[Any]:
    """Test points of a requirement, from the catalogue (for ``parametrize``)."""
    return list(CATALOGUE.params(rid)[name])


def budget(rid: str, name: str | None = None, factor: float = 3.0, minimum: float = 1.0) -> float:
    """How long to keep watching for an event: a multiple of the requirement's upper limit,
    so a late charger is still measured (and fails) instead of timing out."""
    _, limit = CATALOGUE.limit(rid, name)
    high = limit.high if limit.high is not None else minimum
    return max(factor * high, minimum)


#: Trace events kept with one timing measurement for its plot (a ramp adds one per step).
MAX_TIMELINE_EVENTS = 200


def timeline(trace: Any, t0: float, event: Any, rid: str, start: str,
             name: str | None = None) -> dict[str, Any]:
    """Plot-ready data of a timing measurement: ``t0`` (the interval's start on the trace's
    time base), what happened then, and the trace events from a quarter of the interval (or of
    the limit, whichever is longer) before it to half of it after the end."""
    _, limit = CATALOGUE.limit(rid, name)
    measured = 0.0 if event is None else event.t - t0
    span = max(limit.high or 0.0, measured, 0.01)
    low, high = t0 - 0.25 * span, t0 + 1.5 * span
    events = [[round(e.t, 6), e.kind, e.value] for e in trace.events(low) if e.t <= high]
    return {"t0": t0, "start": start, "events": events[:MAX_TIMELINE_EVENTS]}


def pilot_data(pilot: Any) -> dict[str, Any]:
    """The EV emulator's whole pilot reading (NaN as None), for the CP waveform plot."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(pilot).items()}
