"""The same plan on a rig that lacks a capability: the steps that need it are NOT_RUN with the
reason, the rest runs unchanged (no branch on "is this the emulator")."""

from __future__ import annotations

from tests.plan.runner import ROOT, run_plan


def _without(tmp_path, *features: str):
    text = (ROOT / "rigs" / "emulator.yaml").read_text()
    for feature in features:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"- {feature}"))
        text = text.replace(line + "\n", "")
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    return path


def test_lock_check_and_rfid_are_not_run_without_a_lock_sensor_or_tag_presenter(tmp_path):
    """One run (a plan process is the expensive part): a rig without a lock sensor, and without
    RfidTag resources. PR-02 is NOT_RUN with the reason, decided before the charger fixture
    touches anything."""
    rig = _without(tmp_path, "lock-sensor")
    text = rig.read_text()
    kept = [ln for ln in text.splitlines() if not ln.strip().startswith("- RfidTag:")]
    assert len(kept) < len(text.splitlines())
    rig.write_text("\n".join(kept) + "\n")
    run = run_plan(tmp_path, "--lg-env", str(rig),
                   modules=("test_cable.py", "test_authentication.py"))
    assert run.executed() == {"PP-01": "PASS", "PP-02": "PASS"}, run.output
    assert run.verdict("PP-03") == "NOT_RUN"
    assert "unsupported feature(s): lock-sensor" in run.reasons("PP-03")
    assert run.verdict("PR-02") == "NOT_RUN"
    assert "the rig has no tag presenter" in run.reasons("PR-02")
    assert run.returncode == 0

