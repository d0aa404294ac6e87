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


def test_lock_check_is_not_run_without_a_lock_sensor(tmp_path):
    rig = _without(tmp_path, "lock-sensor")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=("test_cable.py",))
    assert run.executed() == {"PP-01": "PASS", "PP-02": "PASS"}, run.output
    assert run.verdict("PP-03") == "NOT_RUN"
    assert "unsupported feature(s): lock-sensor" in run.reasons("PP-03")
    assert run.returncode == 0


def test_rfid_is_not_run_without_a_tag_presenter(tmp_path):
    """A rig file without RfidTag resources: PR-02 is NOT_RUN with the reason, and nothing of
    the charger is touched for it (the skip comes before the charger fixture)."""
    text = (ROOT / "rigs" / "emulator.yaml").read_text()
    kept = [ln for ln in text.splitlines() if not ln.strip().startswith("- RfidTag:")]
    assert len(kept) < len(text.splitlines())
    rig = tmp_path / "rig.yaml"
    rig.write_text("\n".join(kept) + "\n")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=("test_authentication.py",))
    assert run.verdict("PR-02") == "NOT_RUN", run.output
    assert "the rig has no tag presenter" in run.reasons("PR-02")
    assert run.returncode == 0
