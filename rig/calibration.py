"""Calibration discipline: every instrument of a rig file carries its calibration due date.

A certification run refuses an instrument past its date (an ERROR of the run naming it) unless
the engineer passes ``--allow-overdue-calibration "<reason>"``; the override is then part of
the run's report (``verdicts.json`` -> ``rig.calibration_override``, and the record store). An
instrument without a date is a warning. The emulated bench's control port is no instrument and
has none. ``rig doctor`` shows the same states, plus "due soon" within :data:`DUE_SOON_DAYS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: ``rig doctor`` warns this many days before a due date.
DUE_SOON_DAYS = 30
#: Models that are not measuring instruments: nothing to calibrate.
NOT_CALIBRATED = frozenset({"BENCH-CONTROL"})

OK, SOON, OVERDUE, MISSING, NOT_APPLICABLE = "ok", "due soon", "overdue", "missing", "n/a"


@dataclass(frozen=True)
class CalibrationState:
    role: str
    model: str
    serial: str | None
    due: dt.date | None
    state: str  # ok, due soon, overdue, missing, n/a
    days_left: int | None

    def describe(self) -> str:
        """``rcd_dc (KEITHLEY2450, serial 04512345) due 2025-01-31``."""
        ident = self.model + (f", serial {self.serial}" if self.serial else "")
        due = f"due {self.due.isoformat()}" if self.due else "no calibration_due"
        return f"{self.role} ({ident}) {due}"


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def calibration_state(resource: Any, today: dt.date | None = None) -> CalibrationState:
    """The state of one ``ScpiInstrument`` resource of a rig file."""
    today = today or dt.date.today()
    model = str(getattr(resource, "model", "") or "")
    due = _date(getattr(resource, "calibration_due", None))
    serial = getattr(resource, "serial", None)
    if model.strip().upper() in NOT_CALIBRATED:
        state, left = NOT_APPLICABLE, None
    elif due is None:
        state, left = MISSING, None
    else:
        left = (due - today).days
        state = OVERDUE if left < 0 else SOON if left <= DUE_SOON_DAYS else OK
    return CalibrationState(str(resource.name), model, str(serial) if serial else None, due,
                            state, left)


def calibration_states(
    resources: list[Any], today: dt.date | None = None
) -> list[CalibrationState]:
    return [calibration_state(r, today) for r in resources]


def overdue_message(overdue: list[CalibrationState], today: dt.date | None = None) -> str:
    """The ERROR a run without an override gets."""
    today = today or dt.date.today()
    names = "; ".join(s.describe() for s in overdue)
    return (
        f"calibration overdue on {today.isoformat()}: {names}. Have it calibrated and update "
        "calibration_due in the rig file, or run with --allow-overdue-calibration \"<reason>\" "
        "(the override is printed on the report)"
    )
