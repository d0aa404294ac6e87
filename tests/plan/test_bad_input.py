"""Bad input gives one clear message (file, key or address, what was expected) and ERROR
verdicts for the requirements the run selected, never FAIL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plan.runner import ROOT, run_plan

TM = ("test_timing.py",)
GROUP_TM = ["TM-01", "TM-02", "TM-03", "TM-04", "TM-05", "TM-06"]


def assert_all_error(run, message: str) -> None:
    assert run.returncode != 0
    assert run.executed() == {rid: "ERROR" for rid in GROUP_TM}, run.output
    for rid in GROUP_TM:
        assert message in run.reasons(rid), run.reasons(rid)
    assert message in run.output
    assert "FAIL" not in run.executed().values()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("timing.open_after_b=0.15",
         "--charger-set: timing.open_after_b: unknown key (not part of the profile; "
         "did you mean timing.open_after_b_s"),
        ("timing.open_after_b_s=abc",
         "--charger-set: timing.open_after_b_s: Input should be a valid number (got 'abc')"),
        ("rcd.self_test=maybe", "rcd.self_test: Input should be a valid boolean"),
        ("timing.open_after_b_s", "--charger-set: timing.open_after_b_s: KEY=VALUE"),
    ],
)
def test_bad_profile_override(tmp_path, override, message):
    assert_all_error(run_plan(tmp_path, "--charger-set", override, modules=TM), message)


def test_bad_profile_file_names_file_line_and_key(tmp_path):
    profile = tmp_path / "defect.yaml"
    profile.write_text("timing:\n  open_after_b_s: 0.15\n  close_after_c: 1.0\n")
    run = run_plan(tmp_path, "--charger-profile", str(profile), modules=TM)
    assert_all_error(run, f"{profile}:3: timing.close_after_c: unknown key")


def test_profile_file_applies(tmp_path):
    profile = tmp_path / "slow.yaml"
    profile.write_text("timing:\n  open_after_b_s: 0.15\n")
    run = run_plan(tmp_path, "--charger-profile", str(profile), modules=TM)
    expected = {rid: "FAIL" if rid == "TM-02" else "PASS" for rid in GROUP_TM}
    assert run.executed() == expected, run.output


def _rig_file(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "rigs" / "emulator.yaml").read_text()
    assert old in text
    path = tmp_path / "rig.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_malformed_visa_resource_in_rig_file(tmp_path):
    rig = _rig_file(tmp_path, 'resource: !template "$LG_BENCH_EV"', 'resource: "192.168.1.20:5025"')
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_all_error(run, "ScpiInstrument 'ev': resource: a VISA resource string like")
    assert str(rig) in run.reasons("TM-01")


def test_unreachable_instrument_address(tmp_path):
    rig = _rig_file(
        tmp_path, 'resource: !template "$LG_BENCH_EV"', 'resource: "TCPIP0::127.0.0.1::1::SOCKET"'
    )
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_all_error(run, "ev at TCPIP0::127.0.0.1::1::SOCKET")
    assert re.search(r"cannot connect|refused", run.reasons("TM-01"))


def test_unknown_driver_model(tmp_path):
    rig = _rig_file(tmp_path, "model: EVE-1", "model: EVE-9")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_all_error(run, "EVE-9")


def test_rig_file_that_is_not_yaml(tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text("targets: [main\n")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_all_error(run, str(rig))


def test_missing_rig_file(tmp_path):
    run = run_plan(tmp_path, "--lg-env", str(tmp_path / "nope.yaml"), modules=TM)
    assert_all_error(run, "nope.yaml")
