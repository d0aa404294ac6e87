"""The ``csms`` fixture as a plan uses it, on the default (emulated) rig, asked for early and
late: two pytest subprocesses, run side by side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAN = Path(__file__).with_name("plan_csms.py")


def test_csms_fixture_early_and_late(tmp_path):
    runs = {}
    for order in ("early", "late"):
        cmd = [sys.executable, "-m", "pytest", str(PLAN), "-q", "-p", "no:cacheprovider",
               "-k", f"{order} or charge", "--charger-set", "identity.serial=ZCS000042",
               "--reports-dir", str(tmp_path / order)]
        runs[order] = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
    for order, proc in runs.items():
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{order}:\n{output}"
        assert "2 passed" in output, f"{order}:\n{output}"
