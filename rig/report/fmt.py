"""How numbers, limits, accuracy specs and times read in the compliance report.

A measured value is rounded to the decimal place of its expanded uncertainty (two significant
digits of U, as GUM 7.2.6 recommends), so a reader never sees digits the rig cannot vouch for;
without an uncertainty it keeps six significant digits.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

#: A value never shows more significant digits than this, whatever U allows.
MAX_DIGITS = 8


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: float, digits: int = 6) -> str:
    """``value`` with ``digits`` significant digits, no exponent for everyday magnitudes."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


def uncertainty(u: float | None) -> str:
    """U to two significant digits; "-" when none was stated (a bool or text result)."""
    if u is None or not is_number(u) or u == 0:
        return "-"
    return number(float(u), 2)


def value(v: Any, u: float | None = None) -> str:
    """A measured value: bools and text as they are, numbers rounded to U's last digit."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if not is_number(v):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if u is None or not is_number(u) or u <= 0 or not math.isfinite(u):
        return number(v)
    decimals = 1 - math.floor(math.log10(abs(u)))  # the place of U's second digit
    magnitude = math.floor(math.log10(abs(v))) + 1 if v else 1
    decimals = min(decimals, MAX_DIGITS - magnitude)
    if decimals <= 0:
        return f"{round(v, decimals):.0f}"
    return f"{v:.{decimals}f}"


def limit(low: float | None, high: float | None, expected: Any, unit: str | None) -> str:
    """The acceptance limit as the catalogue states it."""
    unit = "" if unit in (None, "bool", "text", "1") else unit
    if expected is not None:
        return f"= {value(expected)}"
    if low is not None and high is not None:
        return f"{number(low)} … {number(high)} {unit}".strip()
    if high is not None:
        return f"≤ {number(high)} {unit}".strip()
    if low is not None:
        return f"≥ {number(low)} {unit}".strip()
    return "-"


def unit_of(unit: str | None) -> str:
    return "" if unit in (None, "bool", "text", "1") else unit


def accuracy(spec: Mapping[str, Any] | None) -> list[str]:
    """One line per quantity of a rig file's ``accuracy``, in the data sheet's words."""
    if not spec:
        return []
    lines = []
    for quantity, terms in spec.items():
        if not isinstance(terms, Mapping):
            lines.append(f"{quantity}: {terms}")
            continue
        parts = []
        if terms.get("reading_pct"):
            parts.append(f"{number(terms['reading_pct'])} % of reading")
        if terms.get("range_pct"):
            if terms.get("ranges"):
                ranges = "/".join(number(r) for r in terms["ranges"])
                parts.append(f"{number(terms['range_pct'])} % of range (ranges {ranges})")
            else:
                parts.append(f"{number(terms['range_pct'])} % of range "
                             f"{number(terms.get('range', 0))}")
        if terms.get("absolute"):
            parts.append(f"{number(terms['absolute'])} absolute")
        if terms.get("power_factor_pct"):
            parts.append(f"tan(φ) × {number(terms['power_factor_pct'])} % of reading "
                         "(power factor)")
        resolution = terms.get("resolution", terms.get("resolution_s"))
        if resolution:
            unit = " s" if "resolution_s" in terms else ""
            parts.append(f"resolution {number(resolution)}{unit}")
        lines.append(f"{quantity}: ± " + " + ".join(parts) if parts else f"{quantity}: -")
    return lines


def when(epoch: float | None) -> str:
    """Local date and time with the UTC offset, as a certificate states it."""
    if epoch is None:
        return "-"
    stamp = dt.datetime.fromtimestamp(epoch).astimezone()
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC%z").replace("UTC+0000", "UTC")


def day(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d")


def duration(seconds: float | None) -> str:
    """``1 h 02 min 05 s`` style; "-" if unknown."""
    if seconds is None or not is_number(seconds) or seconds < 0:
        return "-"
    seconds = round(float(seconds), 1)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{int(hours)} h {int(minutes):02d} min {secs:04.1f} s"
    if minutes:
        return f"{int(minutes)} min {secs:04.1f} s"
    return f"{secs:.1f} s"


def conditions(data: Mapping[str, Any] | None, most: int = 5) -> str:
    """The test point of a measurement from its data (scalar items only: the series kept
    for plots stay out of the table)."""
    if not data:
        return ""
    items = []
    for key, item in data.items():
        if isinstance(item, list | tuple | dict) or item is None:
            continue
        text = value(item) if is_number(item) or isinstance(item, bool) else str(item)
        if len(text) > 24:
            continue
        items.append(f"{key}={text}")
        if len(items) == most:
            break
    return ", ".join(items)


__all__ = ["accuracy", "conditions", "day", "duration", "limit", "uncertainty", "value", "when"]
