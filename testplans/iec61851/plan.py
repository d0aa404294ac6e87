"""What every module of the IEC 61851-1 plan shares: its catalogue, test points, waits."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fixtures.charger import SETTLE_QUIET_S
from rig.catalogue import Catalogue, load_catalogue
from rig.standards.iec61851 import duty_for_current

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


# ---- settle-aware readings ---------------------------------------------------------------------
# A quantity the charger changes in answer to something (the duty after a new limit or a new
# cable, the soft-start ramp) is read once the charger has answered, within what the catalogue
# allows it: TM-04's update time for a new limit, SS-02's reach time for the soft start. The
# value is judged by its own requirement (CP-04, PP-01); the time it took is kept with it and
# judged by the timing requirement alone, so a slow but compliant charger passes both and a
# too slow one fails TM-04, not CP-04.


def allowance(rid: str, name: str | None = None) -> float:
    """The upper limit (s) the catalogue gives a charger for a response."""
    _, limit = CATALOGUE.limit(rid, name)
    if limit.high is None:
        raise ValueError(f"{rid} has no upper limit to wait for")
    return float(limit.high)


def duty_within(rid: str, current_a: float) -> Any:
    """Acceptance of a reading: the duty encodes ``current_a`` within ``rid``'s deviation."""
    _, limit = CATALOGUE.limit(rid)
    target = duty_for_current(current_a)
    low = limit.low if limit.low is not None else -math.inf
    high = limit.high if limit.high is not None else math.inf
    return lambda duty: low <= duty - target <= high


def limit_watch(t_close: float, t_set: float) -> float:
    """How long to watch for the answer to a change made at ``t_set`` during a charge whose
    contactor closed at ``t_close``: a late charger is still read (three times TM-04's
    allowance), and a soft start the catalogue allows (SS-02) is over first."""
    ramp_left = t_close + allowance("SS-02", "reach_time") - t_set
    return max(budget("TM-04"), ramp_left + allowance("TM-04"))


def settle_duty(trace: Any, rid: str, current_a: float, t_close: float, t_set: float) -> Any:
    """The duty once the charger has answered a change at ``t_set`` that must make it
    advertise ``current_a`` (judged by ``rid``'s deviation limit): read when it does, else
    when its PWM has not changed for three times TM-04's allowance, else at ``limit_watch``."""
    return trace.settle_pwm(t_set, duty_within(rid, current_a),
                            timeout=limit_watch(t_close, t_set), idle=budget("TM-04"))


def reached(old_a: float, new_a: float, share: float | None = None) -> Any:
    """Acceptance for a timing: the duty has covered ``share`` (TM-04's ``reached_share``) of
    the way from ``old_a``'s duty to ``new_a``'s, or is within CP-04's tolerance of it,
    whichever is wider. A duty that is a little off is CP-04's FAIL, not a late answer."""
    if share is None:
        share = float(CATALOGUE.params("TM-04")["reached_share"])
    old, new = duty_for_current(old_a), duty_for_current(new_a)
    _, tolerance = CATALOGUE.limit("CP-04")
    slack = max(float(tolerance.high or 0.0), (1.0 - share) * abs(new - old))
    return lambda duty: abs(duty - new) <= slack


def soft_start_over(trace: Any, t_close: float) -> Any:
    """Wait for the end of the soft start: the ramp from SS-01's first current has reached
    SS-02's target (the plan's cable), or SS-02's reach time is over. Returns the reading."""
    first = float(CATALOGUE.limit("SS-01")[1].low or 0.0)
    target = float(CATALOGUE.params("SS-02")["target_a"])
    return trace.settle_pwm(t_close, reached(first, target),
                            timeout=allowance("SS-02", "reach_time") + SETTLE_QUIET_S)


# ---- repeated measurements ---------------------------------------------------------------------
# A charger whose firmware acts on its own task ticks answers after the configured delay plus
# up to one tick: measured once, it passes or fails by where the test happened to land in its
# cycle. So such timings are measured ``repeats`` times (catalogue), each started after a
# different wait, spread over twice the limit by the golden ratio (no common period with the
# charger's); the worst is judged and the spread kept.

GOLDEN = (5 ** 0.5 - 1) / 2


def phase_offsets(rid: str) -> list[float]:
    """The waits (s, rig time) before each repetition of ``rid``'s measurement."""
    repeats = int(CATALOGUE.params(rid)["repeats"])
    span = 2.0 * allowance(rid)
    return [round(((k * GOLDEN) % 1.0) * span, 6) for k in range(repeats)]


def worst_of(values: list[float], offsets: list[float]) -> tuple[float, dict[str, Any]]:
    """The worst (largest) of repeated times, and what to keep with it."""
    worst = max(values)
    finite = [v for v in values if math.isfinite(v)]
    spread = max(finite) - min(finite) if len(finite) == len(values) else None
    return worst, {"repeats_s": [round(v, 6) if math.isfinite(v) else None for v in values],
                   "offsets_s": offsets, "spread_s": spread}
