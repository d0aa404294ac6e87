"""The first plan (CP-01..05, TM-01..03) against the emulated bench, in real pytest runs.

The defect cases of these groups are in the defect matrix (defects/cp.yaml, defects/tm.yaml).
"""

from __future__ import annotations

import pytest

from tests.plan.runner import run_plan

CP = ("test_control_pilot.py",)
TM = ("test_timing.py",)
GROUP_CP = ["CP-01", "CP-02", "CP-03", "CP-04", "CP-05"]
GROUP_TM = ["TM-01", "TM-02", "TM-03"]


def test_compliant_charger_passes_everything_it_runs(tmp_path):
    run = run_plan(tmp_path)
    assert run.returncode == 0, run.output
    assert run.executed() == {rid: "PASS" for rid in GROUP_CP + GROUP_TM}
    # every catalogue id is in the file; the ones without a test yet are NOT_RUN with a reason
    assert len(run.verdicts["requirements"]) == 44
    assert run.verdict("RC-01") == "NOT_RUN"
    assert "no test implements" in run.reasons("RC-01")
    assert run.verdicts["charger"]["serial"] == "ZCS000001"
    assert run.verdicts["rig"]["instruments"]["ev"]["serial"] == "EVE1-0042"
    m = run.verdicts["requirements"]["TM-02"]["measurements"][0]
    assert m["unit"] == "s" and m["high"] == 0.1 and 0 < m["value"] < 0.1


def test_measurements_carry_limits_units_and_uncertainty(tmp_path):
    run = run_plan(tmp_path, modules=CP)
    cp05 = {m["name"]: m for m in run.verdicts["requirements"]["CP-05"]["measurements"]}
    assert cp05["rise_time"]["unit"] == "us" and cp05["rise_time"]["high"] == 10
    assert cp05["rise_time"]["value"] == pytest.approx(2.0)
    assert cp05["fall_time"]["high"] == 13
    cp04 = run.verdicts["requirements"]["CP-04"]["measurements"]
    assert sorted(m["data"]["current_a"] for m in cp04) == [6, 10, 13, 16, 20, 25, 32]
    assert all(m["uncertainty"] > 0 for m in cp04)
    assert run.verdicts["summary"]["PASS"] == 5
