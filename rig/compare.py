"""``rig compare OLD NEW``: what changed between two runs, and whether CI must fail.

Each side is a verdicts file (``reports/latest/verdicts.json``, last night's artefact) or a run
of the record store (an id, a UUID, ``latest`` or ``latest~N``, the N-th run before the newest;
``--records URL``). The comparison lists

* requirements that got **worse** or **better** (both executed, the verdict's severity
  changed: PASS < INCONCLUSIVE < FAIL < ERROR), that are **new** (executed now, not before)
  and **gone** (executed before, not now: NOT_RUN or absent);
* measurements that **moved by more than their uncertainty**: the same measurement (same
  requirement, name, test and position in it) whose values differ by more than the combined
  expanded uncertainty of the two, ``|new - old| > sqrt(U_old^2 + U_new^2)``: the E_n > 1 of
  ISO/IEC 17043, the usual test of whether two results of a lab disagree. Without any U, any
  change counts. A drift the charger still passes with shows here before it fails.

The exit status is for CI: 1 when NEW has a FAIL or ERROR that OLD did not have (a requirement
newly FAIL/ERROR, or new with FAIL/ERROR); ``--fail-on worse`` also fails on any requirement
that got worse or went away, ``--fail-on never`` only reports; 2 when a side cannot be read
(which file or run, what was expected). ``--json FILE`` writes the comparison for dashboards.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rig.errors import RigError

#: Severity of the executed verdicts; NOT_RUN is "not executed", never better or worse.
SEVERITY = {"PASS": 0, "INCONCLUSIVE": 1, "FAIL": 2, "ERROR": 3}
VERDICTS = (*SEVERITY, "NOT_RUN")
BAD = ("FAIL", "ERROR")
FAIL_ON = ("new-fail", "worse", "never")


class CompareError(RigError):
    """A side of the comparison cannot be read: which file or run, what was expected."""

    def __init__(self, source: str, expected: str):
        self.source, self.expected = source, expected
        super().__init__(f"{source}: {expected}")


@dataclass
class Side:
    """One run, as the comparison needs it."""

    label: str
    plan: str | None
    charger: dict[str, Any]
    #: requirement -> verdict, title
    verdicts: dict[str, str]
    titles: dict[str, str]
    #: (requirement, name, test, n) -> measurement dict (value, unit, uncertainty, verdict)
    measurements: dict[tuple[str, str, str, int], dict[str, Any]]


@dataclass
class Change:
    requirement: str
    kind: str  # worse, better, new, gone
    old: str
    new: str
    title: str = ""


@dataclass
class Moved:
    requirement: str
    name: str
    test: str
    old: float
    new: float
    unit: str
    u_old: float
    u_new: float
    en: float | None  # |new - old| / sqrt(U_old^2 + U_new^2); None without any U
    old_verdict: str = ""
    new_verdict: str = ""


@dataclass
class Comparison:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    unchanged: int = 0
    old_firmware: str | None = None
    new_firmware: str | None = None

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def regressions(self) -> list[Change]:
        """Requirements FAIL or ERROR now that were not before (worse or new)."""
        return [c for c in self.changes
                if c.kind in ("worse", "new") and c.new in BAD and c.old not in BAD]

    def status(self, fail_on: str = "new-fail") -> int:
        if fail_on == "never":
            return 0
        if fail_on == "worse":
            return 1 if self.of("worse") or self.of("gone") or self.regressions() else 0
        return 1 if self.regressions() else 0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["regressions"] = [c.requirement for c in self.regressions()]
        return out


# ---- reading a side -------------------------------------------------------------------------
def _check_verdict(source: str, key: str, value: Any) -> str:
    if value not in VERDICTS:
        raise CompareError(source, f"{key}: a verdict, one of {', '.join(VERDICTS)}; got "
                                   f"{value!r}")
    return str(value)


def _index(source: str, rows: list[tuple[str, Mapping[str, Any]]]
           ) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    out = {}
    for rid, m in rows:
        if not isinstance(m, Mapping):
            raise CompareError(source, f"requirements.{rid}.measurements: a list of mappings "
                                       f"(name, value, unit, uncertainty, verdict)")
        base = (rid, str(m.get("name", "")), str(m.get("test") or ""))
        out[(*base, seen[base])] = dict(m)
        seen[base] += 1
    return out


def from_verdicts_file(path: Path) -> Side:
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CompareError(source, f"cannot read the verdicts file ({exc.strerror})") from None
    except ValueError as exc:
        raise CompareError(source, f"a verdicts file (JSON) written by a plan run; not JSON "
                                   f"({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), dict):
        raise CompareError(source, "a verdicts file: a mapping with 'requirements' "
                                   "(requirement id -> verdict and measurements)")
    verdicts, titles, rows = {}, {}, []
    for rid, req in data["requirements"].items():
        if not isinstance(req, dict):
            raise CompareError(source, f"requirements.{rid}: a mapping with 'verdict'")
        verdicts[rid] = _check_verdict(source, f"requirements.{rid}.verdict", req.get("verdict"))
        titles[rid] = str(req.get("title") or "")
        measurements = req.get("measurements", [])
        measurements = [] if measurements is None else measurements
        if not isinstance(measurements, list):
            raise CompareError(source, f"requirements.{rid}.measurements: a list")
        rows += [(rid, m) for m in measurements]
    charger = data.get("charger") if isinstance(data.get("charger"), dict) else {}
    return Side(source, data.get("plan"), charger, verdicts, titles, _index(source, rows))


def _resolve_run(store: Any, spec: str) -> Any:
    if spec.startswith("latest~"):
        back = spec.removeprefix("latest~")
        if not back.isdigit():
            raise CompareError(spec, "latest~N with N a number of runs back (latest~1: the "
                                     "run before the newest)")
        runs = store.runs(limit=int(back) + 1)
        if len(runs) <= int(back):
            raise CompareError(spec, f"a run {back} before the newest, but the store has "
                                     f"{len(runs)} run(s)")
        return runs[int(back)]["id"]
    return spec


def from_store(url: str, spec: str) -> Side:
    from rig.records import RecordsError, RecordStore, RunNotFound

    try:
        with RecordStore(url) as store:
            run = store.run(_resolve_run(store, spec))
            reqs = store.requirements(run["id"])
            measured = store.measurements(run["id"])
    except RunNotFound as exc:
        raise CompareError(spec, f"a run of the record store (id, UUID, latest or latest~N): "
                                 f"{exc}") from None
    except RecordsError as exc:
        raise CompareError(spec, str(exc)) from None
    verdicts = {r["requirement"]: str(r["verdict"]) for r in reqs}
    titles = {r["requirement"]: str(r.get("title") or "") for r in reqs}
    rows = [(m["requirement"], m) for m in measured]
    label = f"run {run['id']} ({run['uuid']})"
    charger = {"serial": run.get("charger_serial"), "firmware": run.get("charger_firmware")}
    return Side(label, run.get("plan"), charger, verdicts, titles, _index(spec, rows))


def load_side(spec: str, records_url: str | None = None) -> Side:
    """A verdicts file if ``spec`` is a path to one, else a run of the record store."""
    path = Path(spec)
    if path.is_file():
        return from_verdicts_file(path)
    looks_like_file = spec.endswith(".json") or os.sep in spec
    if looks_like_file:
        raise CompareError(spec, "no such verdicts file")
    from rig.records import default_url

    url = records_url or os.environ.get("RIG_RECORDS_URL") or default_url()
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except Exception:
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite" and parsed.database and \
            not Path(parsed.database).exists():
        raise CompareError(spec, f"not a verdicts file, and the record store {parsed.database} "
                                 "does not exist")
    return from_store(url, spec)


# ---- comparing ------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def compare(old: Side, new: Side) -> Comparison:
    out = Comparison(old.label, new.label, old_firmware=old.charger.get("firmware"),
                     new_firmware=new.charger.get("firmware"))
    for rid in [*old.verdicts, *(r for r in new.verdicts if r not in old.verdicts)]:
        before, after = old.verdicts.get(rid, "NOT_RUN"), new.verdicts.get(rid, "NOT_RUN")
        title = new.titles.get(rid) or old.titles.get(rid, "")
        ran_before, ran_now = before in SEVERITY, after in SEVERITY
        if ran_before and ran_now:
            delta = SEVERITY[after] - SEVERITY[before]
            if delta:
                out.changes.append(Change(rid, "worse" if delta > 0 else "better", before, after,
                                          title))
            else:
                out.unchanged += 1
        elif ran_now:
            out.changes.append(Change(rid, "new", before, after, title))
        elif ran_before:
            out.changes.append(Change(rid, "gone", before, after, title))
    for key, m_new in new.measurements.items():
        m_old = old.measurements.get(key)
        if m_old is None:
            continue
        a, b = _number(m_old.get("value")), _number(m_new.get("value"))
        if a is None or b is None or a == b:
            continue
        u_old = abs(_number(m_old.get("uncertainty")) or 0.0)
        u_new = abs(_number(m_new.get("uncertainty")) or 0.0)
        combined = math.hypot(u_old, u_new)
        en = abs(b - a) / combined if combined else None
        if en is None or en > 1.0:
            out.moved.append(Moved(key[0], key[1], key[2], a, b, str(m_new.get("unit") or ""),
                                   u_old, u_new, en, str(m_old.get("verdict") or ""),
                                   str(m_new.get("verdict") or "")))
    return out


# ---- output ---------------------------------------------------------------------------------
def _g(x: float) -> str:
    return f"{x:.6g}"


def format_text(c: Comparison) -> str:
    lines = [f"old: {c.old}" + (f"  (firmware {c.old_firmware})" if c.old_firmware else ""),
             f"new: {c.new}" + (f"  (firmware {c.new_firmware})" if c.new_firmware else "")]
    for kind, what in (("worse", "worse"), ("better", "better"), ("new", "new (executed now, "
                       "not before)"), ("gone", "gone (executed before, not now)")):
        rows = c.of(kind)
        lines.append(f"{what}: {len(rows)}")
        for ch in rows:
            lines.append(f"  {ch.requirement:7s} {ch.old:12s} -> {ch.new:12s} {ch.title[:60]}")
    lines.append(f"unchanged: {c.unchanged}")
    lines.append(f"measurements moved by more than their uncertainty: {len(c.moved)}")
    for m in c.moved:
        en = f"E_n {m.en:.1f}" if m.en is not None else "no U"
        lines.append(f"  {m.requirement:7s} {m.name:18s} {_g(m.old)} -> {_g(m.new)} {m.unit} "
                     f"(U {_g(m.u_old)} / {_g(m.u_new)}, {en}) {m.old_verdict} -> "
                     f"{m.new_verdict}  {m.test}")
    bad = c.regressions()
    lines.append("regressions (new FAIL or ERROR): " + (", ".join(
        f"{ch.requirement} {ch.new}" for ch in bad) if bad else "none"))
    return "\n".join(lines)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="what changed between two runs (verdicts files or runs "
                       "of the record store); exit 1 on a new FAIL or ERROR, for CI")
    p.add_argument("old", help="verdicts file, or a run: id, UUID, latest, latest~N")
    p.add_argument("new", help="verdicts file, or a run: id, UUID, latest, latest~N")
    p.add_argument("--records", metavar="URL",
                   help="the store for runs (default $RIG_RECORDS_URL, else "
                   "reports/records.sqlite)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="new-fail",
                   help="exit 1 on: a new FAIL/ERROR (default); also anything worse or gone; "
                   "never")
    p.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        old = load_side(args.old, args.records)
        new = load_side(args.new, args.records)
    except CompareError as exc:
        print(f"rig compare: {exc}", file=sys.stderr)
        return 2
    if old.plan and new.plan and old.plan != new.plan:
        print(f"rig compare: note: different plans ({old.plan!r} / {new.plan!r})",
              file=sys.stderr)
    result = compare(old, new)
    print(format_text(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return result.status(args.fail_on)
