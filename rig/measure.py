"""Measurements, limits, uncertainty and the decision rules that turn them into verdicts.

Decision rules (ILAC-G8:09/2019):

* ``simple`` (simple acceptance, shared risk): PASS if the measured value lies within the
  limits, FAIL otherwise. The uncertainty is reported, not used.
* ``guarded`` (guarded acceptance, guard band w = U): PASS if the whole interval
  ``value +/- U`` lies within the limits; FAIL if the whole interval lies outside; otherwise
  INCONCLUSIVE (the instruments cannot tell).

A value that is not a number where the limit wants one (NaN, an infinity an instrument or a
parser produced, None, a bool or text against a range) is an ERROR: it says nothing about the
charger. The one infinity a plan may record on purpose is :data:`NOT_REACHED` (the event did not
happen within the observation: a contactor that never opened, a ramp that never tripped),
which is judged like any value above every limit.

Verdict severity, worst first: ERROR > FAIL > INCONCLUSIVE > PASS > NOT_RUN. A requirement
takes the worst verdict of its measurements; ERROR ranks first because a requirement whose test
hit a rig failure must be run again before anything is certified, whatever it measured before.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


class Verdict(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"
    NOT_RUN = "NOT_RUN"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Verdict.NOT_RUN: 0,
    Verdict.PASS: 1,
    Verdict.INCONCLUSIVE: 2,
    Verdict.FAIL: 3,
    Verdict.ERROR: 4,
}


def worst(verdicts: list[Verdict]) -> Verdict:
    """The verdict a requirement takes from several (NOT_RUN if there are none)."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.NOT_RUN)


class _NotReached(float):
    """+inf with a meaning: the awaited event did not happen within the observation window."""

    def __new__(cls) -> _NotReached:
        return super().__new__(cls, math.inf)

    def __repr__(self) -> str:
        return "NOT_REACHED"

    def __str__(self) -> str:  # the verdicts file and the record store keep "inf"
        return "inf"

    def __reduce__(self) -> str:
        return "NOT_REACHED"


#: What a plan records when the event it waited for never came (judged: beyond every limit).
NOT_REACHED = _NotReached()


def not_a_number(value: Any) -> str | None:
    """Why ``value`` cannot be judged against a numeric limit, or None if it can."""
    if isinstance(value, _NotReached):
        return None
    if value is None:
        return "no value (None)"
    if isinstance(value, bool | str | bytes):
        return f"{value!r} is not a number"
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return f"{value!r} is not a number"
    if math.isnan(number):
        return "NaN is not a number"
    if math.isinf(number):
        return (f"{number} is not a measured value (a plan that means 'did not happen' records "
                "rig.measure.NOT_REACHED)")
    return None


@lru_cache(maxsize=1)
def units() -> Any:
    """The shared pint registry (built once: it takes a few hundred ms)."""
    import pint

    return pint.UnitRegistry()


def convert(value: float, unit: str, to: str) -> float:
    """Convert between units of the same dimension (``"us"`` -> ``"s"``, ``"mA"`` -> ``"A"``)."""
    if unit == to or not unit or not to:
        return value
    ureg = units()
    try:
        return float(ureg.Quantity(value, pint_unit(unit)).to(pint_unit(to)).magnitude)
    except Exception as exc:
        raise ValueError(f"cannot convert {unit!r} to {to!r}: {exc}") from None


def pint_unit(unit: str) -> str:
    return {"%": "percent", "1": "dimensionless", "pct": "percent"}.get(unit, unit)


@dataclass(frozen=True)
class Limit:
    """Acceptance limits of one measured quantity: a range, or an exact expected value."""

    unit: str = ""
    low: float | None = None
    high: float | None = None
    equals: Any = None

    def contains(self, value: Any, margin: float = 0.0) -> bool:
        if self.equals is not None:
            return value == self.equals
        if self.low is not None and value < self.low + margin:
            return False
        return not (self.high is not None and value > self.high - margin)

    def describe(self) -> str:
        if self.equals is not None:
            return f"= {self.equals}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g} ... {self.high:g} {self.unit}".strip()
        if self.high is not None:
            return f"<= {self.high:g} {self.unit}".strip()
        if self.low is not None:
            return f">= {self.low:g} {self.unit}".strip()
        return "(no limit)"


def decide(value: Any, limit: Limit, uncertainty: float = 0.0, rule: str = "simple") -> Verdict:
    """Apply a decision rule to one value (in the limit's unit); a value that is not a number
    where the limit wants one is an ERROR (:func:`not_a_number`)."""
    if limit.equals is not None:
        if isinstance(value, float) and math.isnan(value):
            return Verdict.ERROR
        return Verdict.PASS if value == limit.equals else Verdict.FAIL
    if not_a_number(value) is not None:
        return Verdict.ERROR
    if rule == "simple" or not uncertainty:
        return Verdict.PASS if limit.contains(value) else Verdict.FAIL
    if rule != "guarded":
        raise ValueError(f"unknown decision rule {rule!r} (simple or guarded)")
    u = abs(uncertainty)
    if limit.contains(value, margin=u):
        return Verdict.PASS
    if not limit.contains(value, margin=-u):
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


@dataclass
class Measurement:
    """One recorded value, judged against its limit; what a report row shows."""

    requirement: str
    name: str
    value: Any
    unit: str
    limit: Limit
    uncertainty: float
    rule: str
    verdict: Verdict
    bench_time: float | None = None
    wall_time: float = field(default_factory=time.time)
    test: str = ""
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            value = str(value)  # JSON has no NaN or infinity: "nan", "inf"
        out = {
            "name": self.name,
            "value": value,
            "unit": self.unit,
            "low": self.limit.low,
            "high": self.limit.high,
            "uncertainty": self.uncertainty,
            "verdict": str(self.verdict),
            "rule": self.rule,
            "test": self.test,
            "bench_time": self.bench_time,
            "wall_time": self.wall_time,
        }
        if self.limit.equals is not None:
            out["expected"] = self.limit.equals
        if self.note:
            out["note"] = self.note
        if self.data:
            out["data"] = self.data
        return out
