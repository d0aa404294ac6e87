"""The compliance test report: one self-contained HTML file built from the record store alone.

Everything a reader needs is inside the file: CSS inline, plots as ``data:`` URIs, no script,
no font or image fetched from anywhere, so it opens from disk years later on a machine with no
network, and Chromium's print-to-PDF (``rig report --pdf``) turns it into a clean document.
The requirement catalogue is read again only for what the store does not keep (standards and
editions, the notes of numbers flagged ``confirm: true``); when it is gone the report says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from rig import uncertainty
from rig.report import fmt, trends

TEMPLATES = Path(__file__).with_name("templates")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp")
VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN")
#: Runs of the same plan shown in the trend section, this one included.
TREND_RUNS = 10

RULES = {
    "simple": (
        "Simple acceptance (ILAC-G8:09/2019, guard band w = 0): PASS when the measured value "
        "lies inside the limit, FAIL otherwise. The uncertainty is stated next to each value "
        "but does not shift the limit: near the limit the risk of a wrong decision is shared "
        "between the lab and its customer."),
    "guarded": (
        "Guarded acceptance (ILAC-G8:09/2019, guard band w = U, a non-binary statement): PASS "
        "only when the whole interval value ± U lies inside the limit, FAIL when it lies wholly "
        "outside, INCONCLUSIVE when it straddles the limit (no statement of conformity)."),
}


def uncertainty_rule() -> str:
    """The one rule every U of the report follows (rig/uncertainty.py), stated once."""
    return (
        "Every uncertainty U in this report is an expanded uncertainty evaluated by GUM type B "
        "from the accuracy data of the rig file: each data-sheet term (% of reading, % of range, "
        "absolute) is the bound a of a rectangular distribution (u = a/√3), a resolution r "
        "contributes r/√12, the terms add in quadrature, and the result is expanded with "
        f"k = {uncertainty.COVERAGE_K:g} (about 95 % coverage). A time difference on one "
        "time base counts the trace resolution twice.")


# ---- the catalogue (only what the store does not keep) -------------------------------------
def load_catalogue(path: str | None) -> tuple[Any, str | None]:
    """(catalogue, None) or (None, why it is not available)."""
    if not path:
        return None, "the run does not name its catalogue"
    if not Path(path).exists():
        return None, f"the catalogue {path} is not available on this machine"
    from rig.catalogue import load_catalogue as load

    try:
        return load(path), None
    except Exception as exc:  # a catalogue edited into something invalid since the run
        first = str(exc).strip().splitlines()
        return None, f"the catalogue {path} cannot be read: {first[0] if first else exc}"


# ---- the run's content -------------------------------------------------------------------
def _measurement_row(m: Mapping[str, Any]) -> dict[str, Any]:
    unit = fmt.unit_of(m["unit"])
    return {
        "name": m["name"],
        "point": fmt.conditions(m["data"]),
        "value": fmt.value(m["value"], m["uncertainty"]),
        "unit": unit,
        "limit": fmt.limit(m["low"], m["high"], m["expected"], m["unit"]),
        "u": fmt.uncertainty(m["uncertainty"]),
        "verdict": m["verdict"],
        "rule": m["rule"],
        "note": m["note"] or "",
        "test": m["test"] or "",
    }


def _images(store: Any, run_id: int) -> tuple[dict[str, list[dict[str, Any]]], list[dict]]:
    """Image artefacts per requirement (as data: URIs), and the other files' metadata."""
    images: dict[str, list[dict[str, Any]]] = {}
    others = []
    for a in store.artefacts(run_id, content=True):
        mime = (a["mime_type"] or "").split(";")[0].strip().lower()
        entry = {"name": a["name"], "mime": mime, "size": a["size"],
                 "requirement": a["requirement"] or "", "test": a["test"] or ""}
        if mime in IMAGE_TYPES and a["content"]:
            entry["src"] = f"data:{mime};base64,{base64.b64encode(a['content']).decode()}"
            images.setdefault(a["requirement"] or "", []).append(entry)
        else:
            others.append(entry)
    return images, others


def _requirements(store: Any, run_id: int, catalogue: Any) -> list[dict[str, Any]]:
    measured: dict[str, list[dict[str, Any]]] = {}
    for m in store.measurements(run_id):
        measured.setdefault(m["requirement"], []).append(m)
    outcomes: dict[str, list[dict[str, Any]]] = {}
    for o in store.outcomes(run_id):
        outcomes.setdefault(o["requirement"], []).append(o)
    out = []
    for r in store.requirements(run_id):
        rid = r["requirement"]
        rows = [_measurement_row(m) for m in measured.get(rid, [])]
        errors = [o["reason"] or "no reason recorded" for o in outcomes.get(rid, [])
                  if o["verdict"] == "ERROR"]
        not_run = [o["reason"] or "not executed" for o in outcomes.get(rid, [])
                   if o["verdict"] == "NOT_RUN"]
        entry = {**r, "id": rid, "rows": rows, "errors": _unique(errors),
                 "not_run": _unique(not_run), "reasons": _unique(r["reasons"] or [])}
        entry["executed"] = bool(rows) or r["verdict"] != "NOT_RUN"
        entry["note"] = ""
        entry["limits"] = []
        if catalogue is not None and rid in catalogue.requirements:
            spec = catalogue.requirements[rid]
            entry["note"] = spec.confirm_note
            entry["limits"] = [
                f"{name}: {fmt.limit(lim.low, lim.high, lim.equals, lim.unit)}"
                for name, lim in spec.limits.items()]
        out.append(entry)
    return out


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(i) for i in items if i))


def _instruments(store: Any, run_id: int, run_day: dt.date) -> list[dict[str, Any]]:
    out = []
    for i in store.instruments(run_id):
        due = dt.date.fromisoformat(i["calibration_due"]) if i["calibration_due"] else None
        if due is None:
            valid, state = None, "no due date in the rig file"
        elif due >= run_day:
            valid, state = True, f"valid on {run_day.isoformat()}"
        else:
            valid, state = False, f"OVERDUE on {run_day.isoformat()}"
        out.append({**i, "valid": valid, "state": state,
                    "accuracy_lines": fmt.accuracy(i["accuracy"])})
    return out


def _rules(requirements: Sequence[Mapping[str, Any]], catalogue: Any) -> dict[str, Any]:
    """The groups with their rule, the requirements that deviate from it, and the rules'
    explanations (only of the rules used)."""
    groups = []
    if catalogue is not None:
        groups = [{"id": gid, "title": g.title, "clause": g.clause, "rule": g.decision_rule}
                  for gid, g in catalogue.groups.items()]
    else:  # from the records: each group's most common rule
        seen: dict[str, list[str]] = {}
        for r in requirements:
            seen.setdefault(r["id"].split("-")[0], []).append(r["decision_rule"] or "simple")
        groups = [{"id": gid, "title": "", "clause": "", "rule": max(set(rs), key=rs.count)}
                  for gid, rs in seen.items()]
    by_group = {g["id"]: g["rule"] for g in groups}
    exceptions = [{"id": r["id"], "title": r["title"], "rule": r["decision_rule"]}
                  for r in requirements
                  if r["decision_rule"] and r["decision_rule"] != by_group.get(
                      r["id"].split("-")[0], r["decision_rule"])]
    used = {g["rule"] for g in groups} | {e["rule"] for e in exceptions}
    return {"groups": groups, "exceptions": exceptions,
            "explained": [(rule, RULES[rule]) for rule in RULES if rule in used]}


def _trends(store: Any, run: Mapping[str, Any], requirements: Sequence[Mapping[str, Any]],
            runs: int) -> dict[str, Any]:
    """For each requirement with numeric measurements in this run: its worst value per run
    over the last ``runs`` runs of the plan, as a plot, or as a table without plotting."""
    history = trends.history_runs(store, run["plan"], until=run["started"], limit=runs)
    points = trends.worst_per_run(trends.values(store, history))
    grouped = trends.series(points)
    order = {r["id"]: i for i, r in enumerate(requirements)}
    titles = {r["id"]: r["title"] for r in requirements}
    out = []
    for (rid, name), series in sorted(grouped.items(),
                                      key=lambda kv: (order.get(kv[0][0], 1e9), kv[0][1])):
        if not any(p["run_id"] == run["id"] for p in series):
            continue  # this run did not measure it: no trend to report here
        unit = fmt.unit_of(series[-1]["unit"])
        png = None
        if len(series) >= 2:
            png = trends.trend_png(series, f"{rid} {name}", unit)
        rows = [{
            "run_id": p["run_id"], "this": p["run_id"] == run["id"],
            "started": fmt.when(p["started"]), "firmware": p["firmware"] or "-",
            "status": p["status"] + (" (incomplete)" if p["incomplete"] else ""),
            "value": fmt.value(p["value"], p["uncertainty"]),
            "u": fmt.uncertainty(p["uncertainty"]), "verdict": p["verdict"],
            "margin": _margin(p), "of": p["points"],
        } for p in series]
        out.append({
            "id": rid, "name": name, "title": titles.get(rid, ""), "unit": unit,
            "src": f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else None,
            "limit": fmt.limit(series[-1]["low"], series[-1]["high"], None, series[-1]["unit"]),
            "points": rows, "last": next(r for r in rows if r["this"]),
        })
    return {"runs": len(history), "limit": runs, "series": out,
            "first": fmt.when(history[0]["started"]) if history else "-"}


def _margin(point: Mapping[str, Any]) -> str:
    m = trends.margin(point)
    return "-" if not math.isfinite(m) else fmt.number(m, 3)


# ---- the report -------------------------------------------------------------------------
def report_context(store: Any, run_ref: int | str = "latest", *,
                   trend_runs: int = TREND_RUNS) -> dict[str, Any]:
    """Everything the template shows, read from the store (and the catalogue, if present)."""
    run = store.run(run_ref)
    run_id = run["id"]
    catalogue, catalogue_problem = load_catalogue(run["catalogue"])
    requirements = _requirements(store, run_id, catalogue)
    images, other_files = _images(store, run_id)
    known = {r["id"] for r in requirements}
    run_day = dt.datetime.fromtimestamp(run["started"]).astimezone().date()
    summary = dict(run["summary"] or {})
    last = max((m["wall_time"] for m in store.measurements(run_id)), default=None) if run[
        "incomplete"] else None
    status = "incomplete" if run["incomplete"] else run["status"]
    plot_groups = [(r, images[r["id"]]) for r in requirements if r["id"] in images]
    plot_groups += [({"id": rid or "(no requirement)", "title": ""}, imgs)
                    for rid, imgs in images.items() if rid not in known]
    return {
        "run": run,
        "status": status,
        "last_record": fmt.when(last),
        "started": fmt.when(run["started"]),
        "finished": fmt.when(run["finished"]),
        "wall": fmt.duration(run["finished"] - run["started"]) if run["finished"] else "-",
        "bench": fmt.duration(run["bench_waited_s"]),
        "catalogue": catalogue,
        "catalogue_problem": catalogue_problem,
        "plan_mismatch": catalogue is not None and run["plan"] not in (None, catalogue.plan),
        "standards": list(catalogue.standards) if catalogue is not None else [],
        "instruments": _instruments(store, run_id, run_day),
        "rules": _rules(requirements, catalogue),
        "uncertainty_rule": uncertainty_rule(),
        "summary": summary,
        "counts": [(v, summary.get(v, 0)) for v in VERDICTS],
        "measurement_count": sum(len(r["rows"]) for r in requirements),
        "executed": [r for r in requirements if r["executed"]],
        "not_run": [r for r in requirements if r["verdict"] == "NOT_RUN"],
        "errors": [r for r in requirements if r["verdict"] == "ERROR"],
        "incomplete_reqs": [r for r in requirements if r["executed"] and not r["complete"]],
        "confirm": [r for r in requirements if r["confirm"]],
        "plot_groups": plot_groups,
        "other_files": other_files,
        "trends": _trends(store, run, requirements, trend_runs) if trend_runs > 0 else None,
        "records_url": getattr(store, "display_url", ""),
        "generated": fmt.when(time.time()),
        "generator_host": platform.node(),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(("html", "j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vclass"] = lambda v: f"verdict verdict-{str(v or 'NOT_RUN').lower()}"
    env.filters["when"] = fmt.when
    return env


def build_report(store: Any, run_ref: int | str = "latest", *,
                 trend_runs: int = TREND_RUNS) -> str:
    """The report of one run (id, UUID or "latest") as one self-contained HTML string."""
    context = report_context(store, run_ref, trend_runs=trend_runs)
    context["css"] = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(**context)


def default_path(run: Mapping[str, Any], folder: Path) -> Path:
    """``reports/report-<uuid>.html`` (the id for a run without a UUID)."""
    return folder / f"report-{run.get('uuid') or run['id']}.html"


__all__ = ["build_report", "default_path", "load_catalogue", "report_context",
           "uncertainty_rule"]
