"""Charger builds (``rig build``): a build fails exactly its expected requirements or the
nightly job fails; a bad build file names file, line and key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rig.builds import check, load_build, plan_args, profile_args
from tests.plan.runner import ROOT


def rig(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rig.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60)


def verdicts(firmware: str, **verdict: str) -> dict:
    reqs = {rid.replace("_", "-"): {"verdict": v, "reasons": ["lost link"] if v == "ERROR"
                                    else []} for rid, v in verdict.items()}
    return {"charger": {"firmware": firmware}, "requirements": reqs}


def test_the_builds_make_the_charger_what_they_say():
    build = load_build("late-open")
    assert build.firmware == "2.14.0-lateopen" and build.expect_fail == ["TM-02"]
    path = str(ROOT / "firmware-under-test" / "builds" / "late-open.yaml")
    assert plan_args(build) == ["--firmware-build", path]
    assert profile_args(build) == ["--charger-set", "identity.firmware=2.14.0-lateopen",
                                   "--charger-set", "timing.open_after_b_s=0.15"]
    assert rig("build", "args", "late-open").stdout.strip() == f"--firmware-build {path}"
    assert rig("build", "args", "late-open", "--profile").stdout.strip() == (
        "--charger-set identity.firmware=2.14.0-lateopen --charger-set "
        "timing.open_after_b_s=0.15")


@pytest.mark.parametrize(("run", "problems"), [
    (verdicts("2.14.0-lateopen", TM_01="PASS", TM_02="FAIL"), []),
    (verdicts("2.14.0-lateopen", TM_01="PASS", TM_02="PASS"),
     ["expected to FAIL but did not: TM-02 (PASS)"]),
    (verdicts("2.14.0-lateopen", TM_01="FAIL", TM_02="FAIL"), ["FAIL but not expected: TM-01"]),
    (verdicts("2.14.0-lateopen", TM_01="ERROR", TM_02="FAIL"),
     ["ERROR (the rig, not the charger): TM-01 (lost link)"]),
    (verdicts("2.14.0", TM_01="PASS", TM_02="FAIL"),
     ["the run certified firmware '2.14.0', the build is '2.14.0-lateopen'"]),
])
def test_check_wants_exactly_the_expected_fails(run, problems):
    assert check(load_build("late-open"), run) == problems


def test_check_command_exit_status(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(verdicts("2.14.0-lateopen", TM_01="PASS", TM_02="FAIL")))
    ok = rig("build", "check", "late-open", str(good))
    assert ok.returncode == 0 and "as expected (FAIL: TM-02)" in ok.stdout
    worse = tmp_path / "worse.json"
    worse.write_text(json.dumps(verdicts("2.14.0", TM_01="PASS", TM_02="PASS")))
    bad = rig("build", "check", "compliant", str(worse))
    assert bad.returncode == 0  # the compliant build: nothing FAILs, firmware 2.14.0
    missed = rig("build", "check", "late-open", str(worse))
    assert missed.returncode == 1 and "expected to FAIL but did not: TM-02" in missed.stdout


@pytest.mark.parametrize(("text", "says"), [
    ("firmware: 2.15.0\nprofile: {timing.open_after_b: 0.15}\n",
     ":2: profile.timing.open_after_b: unknown key"),
    ("firmware: 2.15.0\nexpect_fial: [TM-02]\n", ":2: expect_fial"),
    ("firmware: 2 15\n", ":1: firmware"),
    ("firmware: 2.15.0\nexpect_fail: [TM-02, TM-02]\n", "each requirement id once"),
])
def test_a_bad_build_file_is_exit_2_naming_it(tmp_path: Path, text: str, says: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    result = rig("build", "args", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert str(path) in result.stderr and says in result.stderr, result.stderr


def test_an_unknown_build_lists_the_known_ones():
    result = rig("build", "args", "nightly-2")
    assert result.returncode == 2
    assert "builds: compliant, late-open, slow-dc-rcd" in result.stderr
