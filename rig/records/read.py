"""Reading the record store, for reports, trends and ``rig runs``: plain dicts, oldest first.

A run is named by its id, its UUID or ``"latest"``. A run that never finished (killed with
SIGKILL, a power loss) keeps ``status == "running"`` and ``finished is None``; every run dict
carries ``incomplete`` (True then) so nobody mistakes it for a finished one. Its requirement
verdicts and summary are derived from what was recorded, with the same rules as the verdicts
file.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from rig.measure import Verdict
from rig.records import schema as t
from rig.verdicts import RequirementResult, summarize


class RunNotFound(LookupError):
    """No run of that id, UUID (or no run at all for ``latest``) in the store."""


def stored_value(row: Mapping[str, Any]) -> Any:
    """A measured value as it was recorded: a bool, text, or a number (nan/inf kept as text)."""
    kind, text = row["value_kind"], row["text_value"]
    if kind == "bool":
        return text == "true"
    if kind == "text":
        return text
    if kind == "number" and row["value"] is None and text is not None:
        return float(text)  # nan / inf
    return row["value"]


def derive(
    measured: list[str], outcomes: list[tuple[str, str]]
) -> tuple[str, bool, list[str]]:
    """(verdict, complete, reasons) of one requirement from its measurement verdicts and its
    outcomes (verdict, reason), by the verdict book's own rules."""
    result = RequirementResult(
        measurements=[SimpleNamespace(verdict=Verdict(v)) for v in measured],  # type: ignore[misc]
        outcomes=[(Verdict(v), r or "") for v, r in outcomes],
    )
    reasons = [r for _, r in outcomes if r]
    if result.verdict is Verdict.NOT_RUN and not reasons:
        reasons = ["not executed in this run"]
    return str(result.verdict), result.complete, reasons


class RecordReader:
    """The read half of :class:`~rig.records.RecordStore` (needs ``self.engine``)."""

    engine: Engine

    def _rows(self, query: sa.Select) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(query).mappings())

    def _run_id(self, run: int | str) -> int:
        with self.engine.connect() as conn:
            if run == "latest":
                found = conn.execute(
                    sa.select(t.runs.c.id).order_by(t.runs.c.started.desc(), t.runs.c.id.desc())
                    .limit(1)
                ).scalar()
            elif isinstance(run, int) or str(run).isdigit():
                found = conn.execute(sa.select(t.runs.c.id).where(t.runs.c.id == int(run))
                                     ).scalar()
            else:
                found = conn.execute(sa.select(t.runs.c.id).where(t.runs.c.uuid == str(run))
                                     ).scalar()
        if found is None:
            raise RunNotFound(f"no run {run!r} in the records store")
        return int(found)

    # ---- runs --------------------------------------------------------------------------------
    def eol_attempts(
        self, serial: str | None = None, station: str | None = None, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Attempts at end-of-line stations, oldest first (of one serial, one station, since an
        epoch time)."""
        a = t.eol_attempts
        query = sa.select(a).order_by(a.c.started, a.c.id)
        if serial is not None:
            query = query.where(a.c.serial == serial)
        if station is not None:
            query = query.where(a.c.station == station)
        if since is not None:
            query = query.where(a.c.started >= since)
        return [dict(row) for row in self._rows(query)]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest runs first; an unfinished run's summary is derived from its records."""
        rows = self._rows(
            sa.select(t.runs).order_by(t.runs.c.started.desc(), t.runs.c.id.desc()).limit(limit)
        )
        return [self._run_dict(row) for row in rows]

    def run(self, run: int | str = "latest") -> dict[str, Any]:
        """One run by id, UUID or ``"latest"``; raises :class:`RunNotFound`."""
        run_id = self._run_id(run)
        return self._run_dict(self._rows(sa.select(t.runs).where(t.runs.c.id == run_id))[0])

    def _run_dict(self, row: RowMapping) -> dict[str, Any]:
        out = dict(row)
        out["incomplete"] = row["finished"] is None
        out["summary_derived"] = out["summary"] is None
        if out["summary_derived"]:
            out["summary"] = self.summary(row["id"])
        return out

    def summary(self, run: int | str) -> dict[str, Any]:
        """Counts per verdict and the plan verdict, as in the verdicts file."""
        run_id = self._run_id(run)
        reqs = self.requirements(run_id)
        row = self._rows(sa.select(t.runs.c.status, t.runs.c.finished)
                         .where(t.runs.c.id == run_id))[0]
        status = str(row["status"]) if row["finished"] is not None else "running"
        return summarize([Verdict(r["verdict"]) for r in reqs], status)

    # ---- what was measured -------------------------------------------------------------------
    def measurements(self, run: int | str, requirement: str | None = None) -> list[dict[str, Any]]:
        """Measurements in the order they were taken (the verdicts file's fields plus id and
        requirement)."""
        m = t.measurements
        query = sa.select(m).where(m.c.run_id == self._run_id(run)).order_by(m.c.id)
        if requirement is not None:
            query = query.where(m.c.requirement == requirement)
        out = []
        for row in self._rows(query):
            d = {k: row[k] for k in ("id", "requirement", "name", "unit", "low", "high",
                                     "expected", "uncertainty", "verdict", "bench_time",
                                     "wall_time", "test", "note")}
            d["value"] = stored_value(row)
            d["rule"] = row["decision_rule"]
            d["data"] = row["data"] or {}
            out.append(d)
        return out

    def outcomes(self, run: int | str) -> list[dict[str, Any]]:
        o = t.outcomes
        query = sa.select(o).where(o.c.run_id == self._run_id(run)).order_by(o.c.id)
        return [{k: row[k] for k in ("requirement", "verdict", "reason", "test", "wall_time")}
                for row in self._rows(query)]

    def requirements(self, run: int | str) -> list[dict[str, Any]]:
        """Every requirement of the run in catalogue order, with its verdict: the final one
        of a finished run, derived from measurements and outcomes otherwise (``derived``)."""
        run_id = self._run_id(run)
        r = t.requirements
        stored = self._rows(sa.select(r).where(r.c.run_id == run_id).order_by(r.c.position))
        measured: dict[str, list[str]] = {}
        for row in self._rows(sa.select(t.measurements.c.requirement, t.measurements.c.verdict)
                              .where(t.measurements.c.run_id == run_id)
                              .order_by(t.measurements.c.id)):
            measured.setdefault(row["requirement"], []).append(row["verdict"])
        outcomes: dict[str, list[tuple[str, str]]] = {}
        for o in self.outcomes(run_id):
            outcomes.setdefault(o["requirement"], []).append((o["verdict"], o["reason"]))
        known = {row["requirement"] for row in stored}
        extra = sorted((set(measured) | set(outcomes)) - known)
        out = []
        for row in [*stored, *({"requirement": rid} for rid in extra)]:
            rid = row["requirement"]
            d = {k: row.get(k) for k in ("requirement", "title", "clause", "source", "confirm",
                                          "decision_rule", "verdict", "complete", "tests",
                                          "reasons")}
            d["measurements"] = len(measured.get(rid, []))
            d["derived"] = d["verdict"] is None
            if d["derived"]:
                d["verdict"], d["complete"], d["reasons"] = derive(
                    measured.get(rid, []), outcomes.get(rid, []))
            out.append(d)
        return out

    # ---- the rig and its logs ----------------------------------------------------------------
    def instruments(self, run: int | str) -> list[dict[str, Any]]:
        i = t.instruments
        query = sa.select(i).where(i.c.run_id == self._run_id(run)).order_by(i.c.id)
        out = []
        for row in self._rows(query):
            d = {k: v for k, v in row.items() if k not in ("id", "run_id")}
            d["calibration_due"] = row["calibration_due"].isoformat() if row[
                "calibration_due"] else None
            out.append(d)
        return out

    def artefacts(self, run: int | str, content: bool = True) -> list[dict[str, Any]]:
        a = t.artefacts
        cols = [c for c in a.columns if content or c.name != "content"]
        query = sa.select(*cols).where(a.c.run_id == self._run_id(run)).order_by(a.c.id)
        return [{k: (bytes(v) if k == "content" else v) for k, v in row.items() if k != "run_id"}
                for row in self._rows(query)]

    def _log(self, table: sa.Table, run: int | str, *columns: str) -> list[dict[str, Any]]:
        query = sa.select(*(table.c[c] for c in columns)).where(
            table.c.run_id == self._run_id(run)).order_by(table.c.id)
        return [dict(row) for row in self._rows(query)]

    def transcript(self, run: int | str) -> list[dict[str, Any]]:
        """SCPI exchanges in order: wall_time, instrument, direction, text."""
        return self._log(t.transcripts, run, "wall_time", "instrument", "direction", "text")

    def console_log(self, run: int | str) -> list[dict[str, Any]]:
        return self._log(t.console_log, run, "wall_time", "console", "direction", "line")

    def can_log(self, run: int | str) -> list[dict[str, Any]]:
        rows = self._log(t.can_log, run, "wall_time", "bus", "arbitration_id", "data")
        for row in rows:
            row["data"] = bytes(row["data"])
        return rows

    def ocpp_log(self, run: int | str) -> list[dict[str, Any]]:
        return self._log(t.ocpp_log, run, "wall_time", "direction", "charge_point",
                         "message_type", "action", "unique_id", "payload")

    # ---- across runs -------------------------------------------------------------------------
    def trend(
        self, requirement: str, name: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The last ``limit`` values of a requirement (one measurement name, or all) across
        runs, oldest first, with the run's time, status, charger serial and firmware."""
        m, r = t.measurements, t.runs
        query = (
            sa.select(m, r.c.uuid.label("run_uuid"), r.c.started.label("run_started"),
                      r.c.status.label("run_status"), r.c.finished.label("run_finished"),
                      r.c.charger_serial, r.c.charger_firmware)
            .join(r, r.c.id == m.c.run_id)
            .where(m.c.requirement == requirement)
            .order_by(r.c.started.desc(), m.c.id.desc())
            .limit(limit)
        )
        if name is not None:
            query = query.where(m.c.name == name)
        out = []
        for row in reversed(self._rows(query)):
            out.append({
                "run_id": row["run_id"], "run_uuid": row["run_uuid"],
                "run_started": row["run_started"], "run_status": row["run_status"],
                "incomplete": row["run_finished"] is None,
                "firmware": row["charger_firmware"], "serial": row["charger_serial"],
                "requirement": row["requirement"], "name": row["name"], "value": stored_value(row),
                "unit": row["unit"], "low": row["low"], "high": row["high"],
                "uncertainty": row["uncertainty"], "verdict": row["verdict"],
                "wall_time": row["wall_time"], "bench_time": row["bench_time"],
            })
        return out
