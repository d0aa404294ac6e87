"""Measurement uncertainty from the accuracy data of the rig description (GUM, type B).

The rig file gives each instrument's accuracy per quantity, as the data sheet states it::

    accuracy:
      current: {reading_pct: 0.1, range_pct: 0.1, range: 40}
      time: {resolution_s: 1.0e-6}

An auto-ranging instrument lists its ``ranges`` instead of one ``range``: the range term then
uses the range the reading falls in (the smallest range that holds it), as the instrument does.

A power analyser's active power and energy lose accuracy as the power factor falls: data sheets
(e.g. the WT300E's) add ``tan(phi) x (influence at lambda = 0) %`` of the reading, where
``lambda = cos(phi)``. The term ``power_factor_pct`` is that influence; the caller passes the
measured power factor (1 when not given: the term then vanishes).

Each term is a bound of a rectangular distribution (standard uncertainty a/sqrt(3)); a
resolution r contributes r/sqrt(12). Terms add in quadrature and the result is expanded with
k = 2 (about 95 % coverage). That one rule is used for every measurement of every plan, and the
report states it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

COVERAGE_K = 2.0
TERMS = (
    "reading_pct", "range_pct", "range", "ranges", "absolute", "resolution", "resolution_s",
    "power_factor_pct",
)
MIN_POWER_FACTOR = 0.05  # below it tan(phi) explodes: the data sheet then states % of S


def range_for(spec: Mapping[str, Any], value: float) -> float:
    """The measuring range of a reading: the fixed ``range``, or the smallest of ``ranges``
    that holds the value (the largest if none does)."""
    ranges = sorted(float(r) for r in spec.get("ranges", ()))
    if not ranges:
        return float(spec.get("range", 0.0))
    return next((r for r in ranges if abs(value) <= r), ranges[-1])


def power_factor_bound(spec: Mapping[str, Any], value: float, power_factor: float) -> float:
    """The bound of the power-factor term: |reading| x tan(acos(lambda)) x power_factor_pct."""
    pct = float(spec.get("power_factor_pct", 0.0))
    if pct == 0.0:
        return 0.0
    lam = abs(float(power_factor))
    if not MIN_POWER_FACTOR <= lam <= 1.0 + 1e-9:
        raise ValueError(
            f"power factor {power_factor!r}: {MIN_POWER_FACTOR} <= |lambda| <= 1 is expected "
            "for the power_factor_pct term"
        )
    return abs(value) * math.tan(math.acos(min(lam, 1.0))) * pct / 100.0


def standard_uncertainty(
    spec: Mapping[str, Any], value: float, power_factor: float = 1.0
) -> float:
    """Standard uncertainty u of one reading ``value`` under an accuracy ``spec``."""
    unknown = set(spec) - set(TERMS)
    if unknown:
        raise ValueError(f"unknown accuracy terms {sorted(unknown)} (known: {', '.join(TERMS)})")
    bounds = [
        abs(value) * float(spec.get("reading_pct", 0.0)) / 100.0,
        range_for(spec, value) * float(spec.get("range_pct", 0.0)) / 100.0,
        float(spec.get("absolute", 0.0)),
        power_factor_bound(spec, value, power_factor),
    ]
    resolution = float(spec.get("resolution", spec.get("resolution_s", 0.0)))
    squares = sum((b / math.sqrt(3.0)) ** 2 for b in bounds)
    squares += (resolution / math.sqrt(12.0)) ** 2
    return math.sqrt(squares)


def expanded(
    spec: Mapping[str, Any], value: float, k: float = COVERAGE_K, power_factor: float = 1.0
) -> float:
    """Expanded uncertainty U = k u of one reading."""
    return k * standard_uncertainty(spec, value, power_factor)


def combine(*standard: float, k: float = COVERAGE_K) -> float:
    """Expanded uncertainty of a result from independent standard uncertainties."""
    return k * math.sqrt(sum(u * u for u in standard))


def time_interval(spec: Mapping[str, Any], k: float = COVERAGE_K) -> float:
    """U of the difference of two timestamps of one time base (two resolutions)."""
    u = standard_uncertainty(spec, 0.0)
    return combine(u, u, k=k)
