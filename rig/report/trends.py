"""A requirement's measured values across runs, for ``rig trend`` and the report's trend section.

History is taken per plan (a requirement id means what its plan's catalogue says) and up to a
given run, so the report of an old run shows the history that led to it, never later runs. A
requirement with several test points per run (CP-04's seven currents) gives one point per run
and measurement name in a plot: the value with the least margin to its limit (the worst
verdict first), because that is the one that fails first when the charger drifts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from rig.records import schema as t
from rig.records.read import stored_value

SEVERITY = {"NOT_RUN": 0, "PASS": 1, "INCONCLUSIVE": 2, "FAIL": 3, "ERROR": 4}


def history_runs(
    store: Any, plan: str | None, until: float | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The last ``limit`` runs of ``plan`` started no later than ``until``, oldest first."""
    r = t.runs
    query = sa.select(r.c.id, r.c.uuid, r.c.started, r.c.finished, r.c.status,
                      r.c.charger_serial, r.c.charger_firmware)
    query = query.where(r.c.plan.is_(None) if plan is None else r.c.plan == plan)
    if until is not None:
        query = query.where(r.c.started <= until)
    query = query.order_by(r.c.started.desc(), r.c.id.desc()).limit(max(1, int(limit)))
    with store.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    return list(reversed(rows))


def plan_of_latest(store: Any, requirement: str) -> str | None:
    """The plan of the newest run that measured ``requirement`` (None if none did)."""
    m, r = t.measurements, t.runs
    query = (sa.select(r.c.plan).join(m, m.c.run_id == r.c.id)
             .where(m.c.requirement == requirement)
             .order_by(r.c.started.desc(), r.c.id.desc()).limit(1))
    with store.engine.connect() as conn:
        return conn.execute(query).scalar()


def values(
    store: Any,
    runs: Sequence[Mapping[str, Any]],
    requirement: str | None = None,
    name: str | None = None,
) -> list[dict[str, Any]]:
    """Every measurement of ``runs`` (one requirement and name, or all), run by run in the
    order of ``runs``, each with its run's start, status and charger."""
    if not runs:
        return []
    m = t.measurements
    query = sa.select(m).where(m.c.run_id.in_([run["id"] for run in runs]))
    if requirement is not None:
        query = query.where(m.c.requirement == requirement)
    if name is not None:
        query = query.where(m.c.name == name)
    with store.engine.connect() as conn:
        rows = list(conn.execute(query.order_by(m.c.id)).mappings())
    by_run = {run["id"]: run for run in runs}
    order = {run["id"]: i for i, run in enumerate(runs)}
    out = []
    for row in sorted(rows, key=lambda row: (order[row["run_id"]], row["id"])):
        run = by_run[row["run_id"]]
        out.append({
            "run_id": run["id"], "run_uuid": run["uuid"], "started": run["started"],
            "status": run["status"], "incomplete": run["finished"] is None,
            "firmware": run["charger_firmware"], "serial": run["charger_serial"],
            "requirement": row["requirement"], "name": row["name"], "value": stored_value(row),
            "unit": row["unit"], "low": row["low"], "high": row["high"],
            "uncertainty": row["uncertainty"], "verdict": row["verdict"],
            "data": row["data"] or {},
        })
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)


def margin(point: Mapping[str, Any]) -> float:
    """Distance of a value to its nearest limit, in its unit (negative outside)."""
    value, low, high = point["value"], point.get("low"), point.get("high")
    if not is_number(value):
        return math.inf
    sides = [value - low] if low is not None else []
    sides += [high - value] if high is not None else []
    return min(sides, default=math.inf)


def worst_per_run(points: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One numeric point per (run, requirement, name): worst verdict, then least margin."""
    chosen: dict[tuple[Any, str, str], dict[str, Any]] = {}
    counts: dict[tuple[Any, str, str], int] = {}
    for p in points:
        if not is_number(p["value"]):
            continue
        key = (p["run_id"], p["requirement"], p["name"])
        counts[key] = counts.get(key, 0) + 1
        best = chosen.get(key)
        rank = (SEVERITY.get(p["verdict"], 0), -margin(p))
        if best is None or rank >= (SEVERITY.get(best["verdict"], 0), -margin(best)):
            chosen[key] = dict(p)
    for key, point in chosen.items():
        point["points"] = counts[key]
    return list(chosen.values())


def series(points: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Points grouped by (requirement, name), each list oldest first."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in points:
        out.setdefault((p["requirement"], p["name"]), []).append(dict(p))
    return out


def plot_points(points: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The points as ``rig.report.plots.trend`` takes them."""
    return [{k: p.get(k) for k in ("started", "value", "low", "high", "uncertainty", "verdict",
                                   "firmware")} for p in points]


def trend_png(points: Sequence[Mapping[str, Any]], title: str, unit: str) -> bytes | None:
    """A PNG of the points through ``rig.report.plots.trend``; None when plotting is not
    available (matplotlib or the plots module missing) or it failed: the caller then shows
    a table, never no report."""
    try:
        from rig.report import plots
    except Exception:
        return None
    draw = getattr(plots, "trend", None)
    if draw is None:
        return None
    try:
        return bytes(draw(plot_points(points), title, unit))
    except Exception:
        return None


def fmt(value: Any, digits: int = 6) -> str:
    """A value as a reader wants it: bools and text as they are, numbers to ``digits``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else "-"


def format_table(points: Sequence[Mapping[str, Any]]) -> str:
    """The values of ``rig trend``, oldest first, one line per measurement (with its test
    point when a run has several)."""
    from rig.report.fmt import conditions

    header = ["run", "started", "status", "firmware", "name", "value", "unit", "U", "verdict",
              "test point"]
    rows = [header]
    for p in points:
        status = f"{p['status']} (incomplete)" if p["incomplete"] else str(p["status"])
        rows.append([str(p["run_id"]), when(p["started"]), status, p["firmware"] or "-",
                     p["name"], fmt(p["value"]), p["unit"] or "", fmt(p["uncertainty"], 2),
                     p["verdict"], conditions(p.get("data"), most=3)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {0, 5, 7}
    return "\n".join(
        "  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                  for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    )


__all__ = ["format_table", "history_runs", "plan_of_latest", "series", "trend_png", "values",
           "worst_per_run"]
