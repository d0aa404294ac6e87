"""The defect matrix: every requirement can FAIL, boundaries PASS, guarded cases are
INCONCLUSIVE, and the compliant charger passes (see defects/README.md).

About 100 real pytest runs of the plan: they are started as a pool of subprocesses, one per
CPU, as soon as the first matrix test runs; each test then waits for its own run. The runs are
independent (each has its own in-process bench on its own ports), so the matrix costs the wall
time of the slowest CPU's share instead of the sum.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.plan.runner import ROOT, PlanRun, run_plan

HERE = Path(__file__).resolve().parent

#: A matrix test waits for its own run AND for every run queued before it on the pool (the
#: slow meter runs go first): the suite's per-test hang bound (600 s) counted other tests' work
#: and timed out on a loaded machine. Each run is bounded by itself (run_plan's subprocess
#: timeout), so a hang still ends as an error; this bound only has to cover the queue.
pytestmark = pytest.mark.timeout(3600)
FILES = sorted((HERE / "defects").glob("*.yaml"))


def _groups() -> list[tuple[str, dict[str, Any]]]:
    return [(f.stem, yaml.safe_load(f.read_text())) for f in FILES]


def _case_key(stem: str, case: dict[str, Any]) -> str:
    return f"{stem}: {case['name']}"


def _subprocess_groups() -> list[tuple[str, dict[str, Any]]]:
    """Groups run here, one plan subprocess per case; ``runner: station`` groups (the EOL
    plan, a whole unit per case) run through the station in one process instead
    (tests/eol/test_eol_line.py)."""
    return [(s, g) for s, g in _groups() if g.get("runner") != "station"]


def _cases() -> list[Any]:
    out = []
    for stem, group in _subprocess_groups():
        for case in group["cases"]:
            out.append(pytest.param(group, case, id=_case_key(stem, case)))
    return out


def _args(case: dict[str, Any] | None) -> list[str]:
    args: list[str] = []
    for item in (case or {}).get("set", []):
        args += ["--charger-set", item]
    return args


class MatrixRuns:
    """Runs the selected cases concurrently; ``result(key)`` waits for one."""

    def __init__(self, jobs: dict[str, tuple[dict[str, Any], dict[str, Any] | None]]):
        self._tmp = tempfile.TemporaryDirectory(prefix="defect-matrix-")
        workers = max(1, min(len(jobs), os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="matrix")
        self._futures: dict[str, Future[PlanRun]] = {}
        # slowest groups first, so the pool does not end with one long run alone
        order = sorted(jobs, key=lambda k: jobs[k][0]["module"] != "test_meter.py")
        for n, key in enumerate(order):
            group, case = jobs[key]
            folder = Path(self._tmp.name) / f"run{n}"
            folder.mkdir()
            self._futures[key] = self._pool.submit(
                run_plan, folder, *group.get("args", []), *_args(case),
                modules=(group["module"],),
                plan=ROOT / "testplans" / group.get("plan", "iec61851"),
            )

    def result(self, key: str) -> PlanRun:
        return self._futures[key].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._tmp.cleanup()


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> Any:
    """Start every matrix run this session selected (all of them, or what -k left)."""
    jobs: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if item.module is not request.module or spec is None:
            continue
        if "case" in spec.params:
            group, case = spec.params["group"], spec.params["case"]
            jobs[spec.id] = (group, case)
        elif "group" in spec.params:
            jobs[f"compliant: {spec.id}"] = (spec.params["group"], None)
    runs = MatrixRuns(jobs)
    yield runs
    runs.close()


@pytest.mark.parametrize("group", [g for _, g in _subprocess_groups()],
                         ids=[s for s, _ in _subprocess_groups()])
def test_compliant_charger_passes_the_group(matrix, request, group):
    run = matrix.result(f"compliant: {request.node.callspec.id}")
    assert run.executed() == {rid: "PASS" for rid in group["requirements"]}, run.output
    assert run.returncode == 0


@pytest.mark.parametrize(("group", "case"), _cases())
def test_defect_case(matrix, request, group, case):
    run = matrix.result(request.node.callspec.id)
    expected = {}
    for rid in group["requirements"]:
        if rid in case.get("fail", []):
            expected[rid] = "FAIL"
        elif rid in case.get("inconclusive", []):
            expected[rid] = "INCONCLUSIVE"
        elif rid in case.get("not_run", []):
            continue
        else:
            expected[rid] = "PASS"
    got = {rid: v for rid, v in run.executed().items() if rid in expected}
    assert got == expected, run.output[-4000:]
    notes = run.verdicts.get("notes", [])
    for text in case.get("notes", []):
        assert any(text in note for note in notes), f"no note with {text!r} in {notes}"


def test_every_requirement_of_a_group_can_fail():
    for stem, group in _groups():
        failing = {rid for case in group["cases"] for rid in case.get("fail", [])}
        missing = set(group["requirements"]) - failing
        assert not missing, f"{stem}: no defect case makes {sorted(missing)} fail"
