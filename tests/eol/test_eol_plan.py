"""The EOL plan on its own (no station): PR-08 FAILs on a badly programmed serial. (At the
station the same unit is refused at the label check: tests/eol/test_eol_line.py.)"""

from __future__ import annotations

from tests.plan.runner import ROOT, run_plan

EOL = ROOT / "testplans" / "eol"


def test_a_serial_with_five_digits_fails_pr08_and_only_it(tmp_path):
    run = run_plan(tmp_path, "--charger-set", "identity.serial=ZCS12345", "--no-records",
                   plan=EOL)
    executed = run.executed()
    assert executed.pop("PR-08") == "FAIL", run.output[-3000:]
    assert set(executed.values()) == {"PASS"} and len(executed) == 16, executed
    assert run.returncode == 1

