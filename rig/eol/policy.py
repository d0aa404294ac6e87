"""Retest policy: who may be tested, decided from every earlier attempt in the record store.

* A unit that PASSed is refused (it is in a box already, or should be).
* A unit that FAILed may be tested again ``retests`` times; the failure after that sends it to
  repair, and a unit in repair is refused.
* A supervisor override lets a refused unit in once; it is recorded with the attempt, and the
  counting starts again from it (a repaired unit gets its retests again).
* Refused attempts and rig errors (ERROR: the rig failed, the unit was not judged) never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    allowed: bool
    attempt: int  # the number this attempt gets (1 = first test of the serial)
    reason: str = ""  # why refused, in plain words
    state: str = "new"  # new | retest | passed | repair


def decide(history: Sequence[dict[str, Any]], retests: int,
           override_by: str | None = None) -> Decision:
    """May this serial be tested now? ``history``: its attempts, oldest first."""
    judged = [a for a in history if a["outcome"] in ("PASS", "FAIL")]
    since = judged
    for i, a in enumerate(history):  # counting restarts at the last override
        if a.get("override_by"):
            since = [b for b in history[i:] if b["outcome"] in ("PASS", "FAIL")]
    attempt = len(judged) + 1
    fails = sum(1 for a in since if a["outcome"] == "FAIL")
    if any(a["outcome"] == "PASS" for a in since):
        state, why = "passed", "this unit has already passed"
    elif fails > retests:
        state, why = "repair", (f"this unit failed {fails} time{'s' if fails != 1 else ''} "
                                 "and was sent to repair")
    else:
        return Decision(True, attempt, state="retest" if fails else "new")
    if override_by:
        return Decision(True, attempt, f"{why}; let in by {override_by}", state)
    return Decision(False, attempt, f"{why}: a supervisor must override to test it again",
                    state)


def disposition(outcome: str, fails_before: int, retests: int) -> str:
    """What happens to the unit after this attempt: passed, retest, repair, rig_error."""
    if outcome == "PASS":
        return "passed"
    if outcome == "FAIL":
        return "repair" if fails_before + 1 > retests else "retest"
    if outcome == "ERROR":
        return "rig_error"
    return "refused"


def fails_since_override(history: Sequence[dict[str, Any]]) -> int:
    start = 0
    for i, a in enumerate(history):
        if a.get("override_by"):
            start = i
    return sum(1 for a in history[start:] if a["outcome"] == "FAIL")
