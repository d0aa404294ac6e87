"""``rig runs``: the runs of a record store as a table, newest first."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rig.records.engine import RecordsError, default_url, safe_url
from rig.records.store import RecordStore

COUNTS = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN")


def status_text(run: Mapping[str, Any]) -> str:
    """``complete``, ``interrupted``, ``failed``; ``running (incomplete)`` for a run that never
    finished (killed, or still going)."""
    return f"{run['status']} (incomplete)" if run["incomplete"] else str(run["status"])


def verdict_text(summary: Mapping[str, Any] | None, derived: bool = False) -> str:
    """``PASS (PASS 36, ...)``; a run that did not end normally: ``INCOMPLETE (PASS so far;
    PASS 15, ...)``, never a bare PASS."""
    if not summary:
        return "-"
    counts = ", ".join(f"{k} {summary.get(k, 0)}" for k in COUNTS)
    verdict = summary.get("verdict", "?")
    if verdict == "INCOMPLETE" or (derived and verdict == "PASS"):
        so_far = summary.get("verdict_so_far", verdict)
        return f"INCOMPLETE ({so_far} so far; {counts})"
    return f"{verdict} ({counts})"


def format_runs(runs: list[dict[str, Any]]) -> str:
    header = (f"{'id':>5}  {'started':19}  {'status':20}  {'plan':32}  {'charger':22}  "
              "verdicts")
    lines = [header]
    for run in runs:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["started"]))
        plan = (run["plan"] or "-")
        plan = plan if len(plan) <= 32 else plan[:31] + "…"
        charger = " ".join(x for x in (run["charger_serial"], run["charger_firmware"]) if x)
        lines.append(
            f"{run['id']:>5}  {started:19}  {status_text(run):20}  {plan:32}  "
            f"{charger or '-':22}  {verdict_text(run['summary'], run.get('summary_derived'))}"
        )
    return "\n".join(lines)


def list_runs(url: str | None, limit: int) -> str:
    """The table for ``rig runs`` (raises RecordsError if the store cannot be opened)."""
    url = url or default_url()
    try:
        parsed = sa.make_url(url)
    except Exception:  # RecordStore names what is wrong with it
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite" and parsed.database and \
            not Path(parsed.database).exists():
        return f"no records yet: {parsed.database} does not exist"
    with RecordStore(url) as store:
        runs = store.runs(limit=limit)
    if not runs:
        return f"no runs in {safe_url(url)}"
    return f"records: {safe_url(url)}\n" + format_runs(runs)


__all__ = ["RecordsError", "format_runs", "list_runs", "status_text", "verdict_text"]
