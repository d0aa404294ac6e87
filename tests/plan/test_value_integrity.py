"""Verdict integrity (issue 8): a recorded value that is not a number is an ERROR of the rig,
never a FAIL of the charger; the one infinity a plan may record on purpose, NOT_REACHED, is
judged. One real pytest run of a purpose-built plan (tests/plan/values_plan/)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.plan.runner import ROOT

PLAN = Path(__file__).with_name("values_plan") / "plan_values.py"


def test_values_that_are_not_numbers_are_errors_of_the_rig(tmp_path):
    verdicts = tmp_path / "verdicts.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(PLAN), "-q", "-p", "no:cacheprovider",
         "--no-records", "--verdicts", str(verdicts), "--reports-dir", str(tmp_path / "r")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    output = proc.stdout + proc.stderr
    data = json.loads(verdicts.read_text())
    reqs = data["requirements"]
    got = {rid: r["verdict"] for rid, r in reqs.items()}
    assert got == {"VI-01": "PASS", "VI-02": "ERROR", "VI-03": "ERROR", "VI-04": "ERROR",
                   "VI-05": "FAIL", "VG-01": "ERROR"}, output
    nan = reqs["VI-02"]
    # kept as measured, with the reason; the test stopped at record() (no AssertionError)
    assert nan["measurements"][0]["value"] == "nan"
    assert nan["measurements"][0]["verdict"] == "ERROR"
    assert "MeasurementError: VI-02 duty_pct: NaN is not a number" in nan["reasons"][0]
    assert "AssertionError" not in " ".join(nan["reasons"])
    assert "NOT_REACHED" in reqs["VI-03"]["reasons"][0]
    assert "'9.91E37 OVER' is not a number" in reqs["VI-04"]["reasons"][0]
    assert reqs["VI-05"]["measurements"][0]["value"] == "inf"  # as the store keeps it
    assert "RIG ERROR in call (not a failure of the charger): MeasurementError" in output
    # VI-05 only; counted at line starts (a wide terminal repeats it in the short summary)
    assert len(re.findall(r"^CHARGER FAIL", output, re.M)) == 1
    assert data["schema"] == 2 and data["status"] == "complete"
    assert data["summary"]["verdict"] == "ERROR" and data["summary"]["status"] == "complete"
    assert proc.returncode == 1
