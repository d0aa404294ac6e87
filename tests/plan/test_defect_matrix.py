"""The defect matrix: every requirement can FAIL, boundaries PASS, guarded cases are
INCONCLUSIVE, and the compliant charger passes (see defects/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.plan.runner import run_plan

HERE = Path(__file__).resolve().parent
FILES = sorted((HERE / "defects").glob("*.yaml"))


def _groups() -> list[tuple[str, dict[str, Any]]]:
    return [(f.stem, yaml.safe_load(f.read_text())) for f in FILES]


def _cases() -> list[Any]:
    out = []
    for stem, group in _groups():
        for case in group["cases"]:
            label = f"{stem}: {case['name']}"
            out.append(pytest.param(group, case, id=label))
    return out


@pytest.mark.parametrize("group", [g for _, g in _groups()], ids=[s for s, _ in _groups()])
def test_compliant_charger_passes_the_group(tmp_path, group):
    run = run_plan(tmp_path, modules=(group["module"],))
    assert run.executed() == {rid: "PASS" for rid in group["requirements"]}, run.output
    assert run.returncode == 0


@pytest.mark.parametrize(("group", "case"), _cases())
def test_defect_case(tmp_path, group, case):
    args: list[str] = []
    for item in case["set"]:
        args += ["--charger-set", item]
    run = run_plan(tmp_path, *args, modules=(group["module"],))
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


def test_every_requirement_of_a_group_can_fail():
    for stem, group in _groups():
        failing = {rid for case in group["cases"] for rid in case.get("fail", [])}
        missing = set(group["requirements"]) - failing
        assert not missing, f"{stem}: no defect case makes {sorted(missing)} fail"
