"""Line statistics from the record store: yield, failures, process capability (``rig line``).

**Yield** over the units (serials) with at least one judged attempt (PASS or FAIL; refusals and
rig errors judge nothing) in the period: *first-pass yield* = units whose first judged attempt
PASSed / units; *final yield* = units whose last judged attempt PASSed / units. Failures are
counted per FAIL attempt, by requirement and by hour (local time) of the attempt.

**Process capability** of a key measurement (requirement and measurement name) over every
station attempt's plan run in the period, one value per measurement (MT per phase, CP-04 per
current: as recorded), with the catalogue's limits as specification limits:

    mean m, sample standard deviation s (n - 1);
    Cp  = (USL - LSL) / 6 s                          (two-sided limits only)
    Cpk = min(USL - m, m - LSL) / 3 s                (the one limit there is, if one-sided)

A Cpk is shown only from **n >= 30** values (``MIN_SAMPLES``: below that its confidence
interval is too wide to act on; the usual rule of thumb, e.g. AIAG SPC) and when s > 0; the
sample count is always shown, and why a Cpk is not.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa

from rig.records import schema as t
from rig.records.read import stored_value

MIN_SAMPLES = 30
#: The key measurements of the line (requirement, measurement name).
KEY_MEASUREMENTS: tuple[tuple[str, str], ...] = (
    ("RC-01", "trip_time"), ("RC-05", "trip_time_30ma"), ("TM-01", "close_time"),
    ("TM-02", "open_time"), ("MT-01", "error"), ("MT-02", "error"), ("CP-01", "level"),
    ("CP-02", "level"), ("CP-04", "deviation"), ("ES-01", "pe_resistance"),
    ("ES-02", "insulation"), ("ES-03", "leakage"),
)


def yields(store: Any, since: float | None = None, station: str | None = None
           ) -> dict[str, Any]:
    attempts = store.eol_attempts(station=station, since=since)
    judged = [a for a in attempts if a["outcome"] in ("PASS", "FAIL")]
    by_serial: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in judged:
        by_serial[a["serial"]].append(a)
    units = len(by_serial)
    first = sum(1 for tries in by_serial.values() if tries[0]["outcome"] == "PASS")
    final = sum(1 for tries in by_serial.values() if tries[-1]["outcome"] == "PASS")
    by_req: Counter[str] = Counter()
    by_hour: Counter[str] = Counter()
    for a in judged:
        if a["outcome"] == "FAIL":
            by_req.update(a["failing"] or [])
            by_hour[time.strftime("%Y-%m-%d %H:00", time.localtime(a["started"]))] += 1
    return {
        "attempts": len(attempts), "judged": len(judged), "units": units,
        "first_pass": first, "final_pass": final,
        "first_pass_yield": first / units if units else None,
        "final_yield": final / units if units else None,
        "refused": sum(1 for a in attempts if a["outcome"] == "REFUSED"),
        "rig_errors": sum(1 for a in attempts if a["outcome"] == "ERROR"),
        "failures_by_requirement": dict(by_req.most_common()),
        "failures_by_hour": dict(sorted(by_hour.items())),
    }


def samples(store: Any, requirement: str, name: str, since: float | None = None,
            station: str | None = None) -> tuple[list[float], dict[str, Any]]:
    """Values of one key measurement over the station attempts' runs; and its limits."""
    a, m = t.eol_attempts, t.measurements
    query = (sa.select(m).join(a, a.c.run_id == m.c.run_id)
             .where(m.c.requirement == requirement, m.c.name == name,
                    a.c.outcome.in_(("PASS", "FAIL")))
             .order_by(m.c.id))
    if since is not None:
        query = query.where(a.c.started >= since)
    if station is not None:
        query = query.where(a.c.station == station)
    with store.engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
    values = []
    for row in rows:
        v = stored_value(row)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            values.append(float(v))
    limits = {"low": rows[-1]["low"], "high": rows[-1]["high"],
              "unit": rows[-1]["unit"]} if rows else {"low": None, "high": None, "unit": ""}
    return values, limits


def capability(values: list[float], low: float | None, high: float | None) -> dict[str, Any]:
    """Cp and Cpk of ``values`` against ``low``/``high`` (see the module for the formulas)."""
    n = len(values)
    out: dict[str, Any] = {"n": n, "mean": statistics.fmean(values) if values else None,
                           "s": statistics.stdev(values) if n > 1 else None,
                           "cp": None, "cpk": None, "why": ""}
    if n < MIN_SAMPLES:
        out["why"] = f"n = {n} < {MIN_SAMPLES}: too few values for a Cpk"
        return out
    s, mean = out["s"], out["mean"]
    if not s or s <= 1e-9 * max(abs(mean), 1.0):  # rounding noise is no spread
        out["why"] = "s = 0: every value equal (an emulated unit has no spread)"
        return out
    if low is None and high is None:
        out["why"] = "no limits"
        return out
    if low is not None and high is not None:
        out["cp"] = (high - low) / (6 * s)
    sides = [x for x in ((high - mean) if high is not None else None,
                         (mean - low) if low is not None else None) if x is not None]
    out["cpk"] = min(sides) / (3 * s)
    return out


def histogram(values: list[float], limits: dict[str, Any], title: str) -> bytes:
    """A PNG histogram of ``values`` with the specification limits drawn."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if values:
        ax.hist(values, bins=min(30, max(5, len(values) // 5)), color="#4c78a8")
    for key, colour in (("low", "#d62728"), ("high", "#d62728")):
        if limits.get(key) is not None:
            ax.axvline(limits[key], color=colour, linestyle="--", label=f"{key} limit")
    ax.set_title(title)
    ax.set_xlabel(limits.get("unit") or "")
    ax.set_ylabel("count")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
