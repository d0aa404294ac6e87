"""The verdict book of a run, and the verdicts file it writes (a stable contract for CI).

``verdicts.json``::

    {"schema": 1, "plan": ..., "rig": {...}, "charger": {"serial", "firmware", "overrides"},
     "requirements": {"CP-03": {"verdict": "PASS", "title", "clause", "confirm", "reasons": [],
                                "measurements": [{"name", "value", "unit", "low", "high",
                                                  "uncertainty", "verdict", ...}],
                                "complete": true}},
     "summary": {"PASS": n, "FAIL": n, "INCONCLUSIVE": n, "ERROR": n, "NOT_RUN": n, "total": n,
                 "status": "complete" | "running" | "interrupted",
                 "verdict": "PASS" | "FAIL" | ... | "INCOMPLETE", "verdict_so_far": ...}}

Every requirement of the catalogue appears; one that was not executed is NOT_RUN with a reason.
The file is rewritten atomically after every test, so a run that dies keeps what it measured.

Schema 2 (schema 1 had no ``status``): a run that has not ended normally (still running, killed,
interrupted) never says PASS. Its ``summary.verdict`` is ``INCOMPLETE`` and
``verdict_so_far`` keeps the worst verdict of what was executed; a CI that reads only
``summary.verdict == "PASS"`` cannot mistake a half run for a pass.

A run the door refuses (bad input, nothing started) replaces a verdicts file already at its
destination with one whose ``status`` is ``refused`` (``write_refused``): a stale PASS of an
earlier run must not stand in ``reports/latest`` for a run that never happened.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rig.catalogue import Catalogue
from rig.measure import Measurement, Verdict, worst
from rig.redact import redact

SCHEMA_VERSION = 2
#: The summary verdict of a run that did not end normally (never PASS, whatever it measured).
INCOMPLETE = "INCOMPLETE"
#: Run states whose summary verdict stands; any other (running, interrupted) is INCOMPLETE.
FINISHED = ("complete", "failed")


def write_refused(paths: list[Path], reason: str) -> list[Path]:
    """Replace each verdicts file that exists at ``paths`` with a refusal: schema 2, status
    ``refused``, no requirements, summary verdict INCOMPLETE. A path with no file is left alone
    (bad input creates nothing); a file that cannot be written is skipped (the refusal itself is
    the message the user sees). Returns the files replaced."""
    now = time.time()
    body = {
        "schema": SCHEMA_VERSION, "plan": None, "started": now, "finished": now,
        "status": "refused", "refused": reason, "rig": {}, "charger": {},
        "requirements": {}, "summary": summarize([], "refused"), "notes": [reason],
    }
    text = redact(json.dumps(body, indent=2, default=str))
    replaced = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            continue
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".verdicts-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except OSError:
            continue
        replaced.append(path)
    return replaced


def summarize(verdicts: list[Verdict], status: str) -> dict[str, Any]:
    """Counts per verdict, the plan verdict (the worst executed) and the run's status: the one
    rule for the verdicts file, the record store and ``rig runs``."""
    counts: dict[str, Any] = {str(v): 0 for v in Verdict}
    for v in verdicts:
        counts[str(v)] += 1
    executed = [v for v in verdicts if v is not Verdict.NOT_RUN]
    so_far = str(worst(executed)) if executed else str(Verdict.NOT_RUN)
    counts["total"] = len(verdicts)
    counts["status"] = status
    counts["verdict"] = so_far if status in FINISHED else INCOMPLETE
    counts["verdict_so_far"] = so_far
    return counts


@dataclass
class RequirementResult:
    measurements: list[Measurement] = field(default_factory=list)
    #: Verdicts that come from the test outcome itself (ERROR, NOT_RUN) with their reasons.
    outcomes: list[tuple[Verdict, str]] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        """False when some of the requirement's tests ran and others were NOT_RUN (a rig
        without a feature): the verdict then covers only what was executed."""
        ran = bool(self.measurements) or any(v is not Verdict.NOT_RUN for v, _ in self.outcomes)
        return not (ran and any(v is Verdict.NOT_RUN for v, _ in self.outcomes))

    @property
    def verdict(self) -> Verdict:
        verdicts = [m.verdict for m in self.measurements] + [v for v, _ in self.outcomes]
        executed = [v for v in verdicts if v is not Verdict.NOT_RUN]
        return worst(executed) if executed else worst(verdicts)


class BookListener(Protocol):
    """Told of every measurement and outcome as it is added (the record store)."""

    def measurement(self, m: Measurement) -> None: ...

    def outcome(self, rid: str, verdict: Verdict, reason: str, test: str = "") -> None: ...


class VerdictBook:
    """Collects measurements and outcomes per requirement; thread-safe.

    ``listeners`` are called after each ``add``/``outcome``, outside the book's lock; an
    exception of a listener reaches the caller (the measurement stays in the book).
    """

    def __init__(self, catalogue: Catalogue, plan_name: str | None = None):
        self.catalogue = catalogue
        self.plan = plan_name or catalogue.plan
        self.results: dict[str, RequirementResult] = {
            rid: RequirementResult() for rid in catalogue.requirements
        }
        self.rig: dict[str, Any] = {}
        self.charger: dict[str, Any] = {"serial": None, "firmware": None, "overrides": {}}
        self.started = time.time()
        self.finished: float | None = None
        #: ``running`` until the session ends: ``complete``, or ``interrupted`` (Ctrl-C,
        #: SIGTERM); a file left ``running`` is a run that died.
        self.status = "running"
        self.notes: list[str] = []
        self.listeners: list[BookListener] = []
        self._lock = threading.Lock()

    def add(self, measurement: Measurement) -> None:
        with self._lock:
            result = self.results[measurement.requirement]
            result.measurements.append(measurement)
            if measurement.test:
                result.tests.add(measurement.test)
        for listener in list(self.listeners):
            listener.measurement(measurement)

    def outcome(self, rid: str, verdict: Verdict, reason: str, test: str = "") -> None:
        with self._lock:
            result = self.results[rid]
            result.outcomes.append((verdict, reason))
            if test:
                result.tests.add(test)
        for listener in list(self.listeners):
            listener.outcome(rid, verdict, reason, test)

    def verdict(self, rid: str) -> Verdict:
        return self.results[rid].verdict

    def summary(self) -> dict[str, Any]:
        return summarize([r.verdict for r in self.results.values()], self.status)

    def as_dict(self) -> dict[str, Any]:
        reqs = {}
        for rid, result in self.results.items():
            req = self.catalogue.requirements[rid]
            reasons = [reason for _, reason in result.outcomes if reason]
            if result.verdict is Verdict.NOT_RUN and not reasons:
                reasons = ["not executed in this run"]
            reqs[rid] = {
                "verdict": str(result.verdict),
                "title": req.title,
                "clause": req.clause,
                "source": req.source,
                "confirm": req.confirm,
                "decision_rule": self.catalogue.rule(rid),
                "complete": result.complete,
                "tests": sorted(result.tests),
                "reasons": reasons,
                "measurements": [m.as_dict() for m in result.measurements],
            }
        return {
            "schema": SCHEMA_VERSION,
            "plan": self.plan,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "rig": self.rig,
            "charger": self.charger,
            "requirements": reqs,
            "summary": self.summary(),
            "notes": self.notes,
        }

    def write(self, *paths: str | Path) -> None:
        """Write the verdicts file atomically to each path (directories are created)."""
        with self._lock:
            text = redact(json.dumps(self.as_dict(), indent=2, default=str))
        for path in paths:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".verdicts-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
