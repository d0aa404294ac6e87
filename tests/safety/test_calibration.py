"""Calibration discipline: a run refuses an instrument past its due date, naming it, unless the
engineer overrides it with a reason, which is then part of the report."""

from __future__ import annotations

import datetime as dt
import getpass
from types import SimpleNamespace

from rig.calibration import calibration_state
from tests.safety.bench import rig_file, start_plan

TODAY = dt.date(2026, 11, 25)


def _res(due, model="EVE-1", name="ev", serial="EVE1-0042"):  # type: ignore[no-untyped-def]
    return SimpleNamespace(name=name, model=model, calibration_due=due, serial=serial)


def test_states():
    assert calibration_state(_res("2027-12-31"), TODAY).state == "ok"
    soon = calibration_state(_res("2026-12-25"), TODAY)
    assert (soon.state, soon.days_left) == ("due soon", 30)
    assert calibration_state(_res("2026-11-25"), TODAY).state == "due soon"  # valid that day
    late = calibration_state(_res("2026-11-24"), TODAY)
    assert (late.state, late.days_left) == ("overdue", -1)
    assert late.describe() == "ev (EVE-1, serial EVE1-0042) due 2026-11-24"
    assert calibration_state(_res(None), TODAY).state == "missing"
    assert calibration_state(_res(None, model="BENCH-CONTROL", name="bench"), TODAY).state == "n/a"


def test_overdue_refused_and_overridden(tmp_path):
    rig = rig_file(tmp_path, replace={'calibration_due: "2099-12-31"':
                                      'calibration_due: "2020-01-01"'})
    refused = start_plan(tmp_path / "refused", None, rig, "-k", "holds_the_rig")
    reason = "recalibration booked for 2026-12-01, approved by the lab manager"
    overridden = start_plan(tmp_path / "overridden", None, rig, "-k", "holds_the_rig",
                            "--allow-overdue-calibration", reason)
    refused.wait(120)
    overridden.wait(120)
    today = dt.date.today().isoformat()

    message = (f"calibration overdue on {today}: ev (EVE-1, serial EVE1-0042) due 2020-01-01. "
               "Have it calibrated and update calibration_due in the rig file, or run with "
               "--allow-overdue-calibration \"<reason>\" (the override is printed on the report)")
    assert refused.returncode == 1, refused.output
    assert message in refused.output
    sf08 = refused.requirement("SF-08")
    assert sf08["verdict"] == "ERROR"
    assert sf08["reasons"] == [f"setup: RigError: {message}"]

    assert overridden.returncode == 0, overridden.output
    assert overridden.requirement("SF-08")["verdict"] == "PASS"
    override = overridden.verdicts["rig"]["calibration_override"]
    assert override == {
        "reason": reason, "date": today, "operator": getpass.getuser(),
        "instruments": [{"role": "ev", "model": "EVE-1", "serial": "EVE1-0042",
                         "calibration_due": "2020-01-01"}],
    }
    assert (f"CALIBRATION OVERRIDE by {getpass.getuser()} on {today}: ev (EVE-1, serial "
            f"EVE1-0042) due 2020-01-01; reason: {reason}") in overridden.output
