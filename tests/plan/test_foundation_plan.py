"""The first plan (CP-01..05, TM-01..03) against the emulated bench, in real pytest runs.

Each defect is one profile override; it must make exactly its requirement FAIL while the others
of its group stay PASS. Boundary cases just inside a limit must PASS. Bad input must give one
clear message and ERROR verdicts, never FAIL.
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


@pytest.mark.parametrize(
    ("override", "modules", "group", "failing"),
    [
        ("timing.open_after_b_s=0.15", TM, GROUP_TM, "TM-02"),
        ("timing.close_after_c_s=3.5", TM, GROUP_TM, "TM-01"),
        ("timing.open_after_a_s=0.2", TM, GROUP_TM, "TM-03"),
        ("pilot.pwm_frequency_hz=1030", CP, GROUP_CP, "CP-03"),
        ("pilot.duty_offset_pct=1.0", CP, GROUP_CP, "CP-04"),
        ("pilot.high_v=13.0", CP, GROUP_CP, "CP-01"),
        ("pilot.low_v=-11.0", CP, GROUP_CP, "CP-02"),
        ("pilot.rise_time_us=15", CP, GROUP_CP, "CP-05"),
    ],
)
def test_each_defect_fails_exactly_its_requirement(tmp_path, override, modules, group, failing):
    run = run_plan(tmp_path, "--charger-set", override, modules=modules)
    expected = {rid: "FAIL" if rid == failing else "PASS" for rid in group}
    assert run.executed() == expected, run.output
    assert run.returncode == 1
    assert run.verdicts["charger"]["overrides"] == {
        override.split("=")[0]: pytest.approx(float(override.split("=")[1]))
    }


@pytest.mark.parametrize(
    ("override", "modules", "group"),
    [
        ("timing.open_after_b_s=0.095", TM, GROUP_TM),
        ("timing.close_after_c_s=2.9", TM, GROUP_TM),
        ("pilot.pwm_frequency_hz=1019.5", CP, GROUP_CP),
        ("pilot.duty_offset_pct=-0.45", CP, GROUP_CP),
        ("pilot.high_v=12.55", CP, GROUP_CP),
    ],
)
def test_just_inside_the_limit_passes(tmp_path, override, modules, group):
    run = run_plan(tmp_path, "--charger-set", override, modules=modules)
    assert run.executed() == {rid: "PASS" for rid in group}, run.output
    assert run.returncode == 0


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
