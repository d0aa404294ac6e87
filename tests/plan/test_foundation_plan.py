"""The whole certification plan against the emulated bench, in a real pytest run.

The defect cases of each group are in the defect matrix (defects/*.yaml).
"""

from __future__ import annotations

import pytest

from tests.plan.runner import run_plan

CP = ("test_control_pilot.py",)
#: Groups the plan covers (the PR product claims come with their own issue).
PLAN_GROUPS = ("CP", "TM", "PP", "RC", "SS", "MT", "SU")
#: Product claims with a test in the plan (the others need several stations).
PR_IN_PLAN = {"PR-01", "PR-02", "PR-03", "PR-04", "PR-07", "PR-08", "PR-09"}


def test_compliant_charger_passes_the_whole_plan(tmp_path):
    run = run_plan(tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    executed = run.executed()
    assert set(executed.values()) == {"PASS"}
    in_plan = {rid for rid in run.verdicts["requirements"]
               if rid.split("-")[0] in PLAN_GROUPS or rid in PR_IN_PLAN}
    assert set(executed) == in_plan, sorted(in_plan - set(executed))
    # every catalogue id is in the file; the ones without a test yet are NOT_RUN with a reason
    assert len(run.verdicts["requirements"]) == 45
    for rid in ("PR-05", "PR-06"):
        assert run.verdict(rid) == "NOT_RUN"
        assert "installation" in run.reasons(rid), run.reasons(rid)
    assert all(r["complete"] for rid, r in run.verdicts["requirements"].items() if rid in in_plan)
    assert run.verdicts["charger"]["serial"] == "ZCS000001"
    assert run.verdicts["rig"]["instruments"]["ev"]["serial"] == "EVE1-0042"
    assert run.verdicts["rig"]["tags"]["refused"] == {"uid": "04BADBADBA", "answer": "refused"}
    m = run.verdicts["requirements"]["TM-02"]["measurements"][0]
    assert m["unit"] == "s" and m["high"] == 0.1 and 0 < m["value"] < 0.1
    # bench time per test (bench/bench_time.py splits it by group): adds up to the run's, the
    # session's power-on kept apart (the profile's 150 s boot)
    times = run.verdicts["rig"]["time"]
    assert sum(times["tests"].values()) == pytest.approx(times["waited_s"], abs=0.1)
    assert 150.0 <= times["start_s"] < 160.0
    # one supply interruption and one boot for PR-01's LED and both SU-03 tests
    shared = [t for t in times["tests"] if "supply_interruption" in t]
    assert len(shared) == 3
    assert 150.0 < sum(times["tests"][t] for t in shared) < 200.0
    paid = times["shared"]["supply interruption 5 s"]
    assert paid["test"] in shared and 155.0 <= paid["bench_s"] < 170.0


def test_measurements_carry_limits_units_and_uncertainty(tmp_path):
    run = run_plan(tmp_path, modules=CP)
    cp05 = {m["name"]: m for m in run.verdicts["requirements"]["CP-05"]["measurements"]}
    assert cp05["rise_time"]["unit"] == "us" and cp05["rise_time"]["high"] == 10
    assert cp05["rise_time"]["value"] == pytest.approx(2.0)
    assert cp05["fall_time"]["high"] == 13
    cp04 = run.verdicts["requirements"]["CP-04"]["measurements"]
    assert sorted(m["data"]["current_a"] for m in cp04) == [6, 10, 13, 16, 20, 25, 32]
    assert all(m["uncertainty"] > 0 for m in cp04)
    assert run.verdicts["summary"]["PASS"] == 10  # CP-01..09 and PR-09 (fault shown)
