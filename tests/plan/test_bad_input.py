"""Bad input is refused at the door (``rig.door``): one clear message (file, key path, line,
what was expected), pytest's usage error (exit 4), no traceback, nothing started, no verdicts
file claiming anything. A rig that is described right but does not work (an instrument that
does not answer) is an ERROR of every requirement the run selected, never FAIL."""

from __future__ import annotations

import json
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


def assert_refused(run, message: str) -> None:
    """Refused at the door: exit 4, the message once, no traceback, nothing written."""
    assert run.returncode == 4, run.output
    assert run.output.startswith("ERROR: bad input, nothing was started: "), run.output
    assert run.output.count(message) == 1, run.output
    assert len(run.output.strip().splitlines()) == 1, run.output
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output
    assert run.verdicts == {}, "a refused run writes no verdicts file"


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
        ("no.such.knob=1", "--charger-set: no.such.knob: unknown key"),
    ],
)
def test_bad_profile_override(tmp_path, override, message):
    assert_refused(run_plan(tmp_path, "--charger-set", override, modules=TM), message)


def test_bad_profile_file_names_file_line_and_key(tmp_path):
    profile = tmp_path / "defect.yaml"
    profile.write_text("timing:\n  open_after_b_s: 0.15\n  close_after_c: 1.0\n")
    run = run_plan(tmp_path, "--charger-profile", str(profile), modules=TM)
    assert_refused(run, f"{profile}:3: timing.close_after_c: unknown key")


def test_a_refused_run_leaves_no_stale_pass(tmp_path):
    """An earlier run's PASS at the same place must not stand for a run the door refused: CI
    that reads only the verdicts file sees the refusal, not yesterday's PASS."""
    for place in (tmp_path / "verdicts.json", tmp_path / "reports" / "verdicts.json"):
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_text(json.dumps({"schema": 2, "status": "complete",
                                     "summary": {"verdict": "PASS", "status": "complete"}}))
    run = run_plan(tmp_path, "--charger-set", "no.such.knob=1", modules=TM)
    assert run.returncode == 4, run.output
    for place in (tmp_path / "verdicts.json", tmp_path / "reports" / "verdicts.json"):
        data = json.loads(place.read_text())
        assert data["status"] == "refused", data
        assert data["summary"]["verdict"] == "INCOMPLETE", data
        assert "no.such.knob: unknown key" in data["refused"], data
        assert data["requirements"] == {}


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
    assert_refused(run, "ScpiInstrument 'ev': resource: a VISA resource string like")
    assert f"{rig}:" in run.output


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
    assert_refused(run, "EVE-9")


def test_rig_file_that_is_not_yaml(tmp_path):
    """Was an INTERNALERROR from the collection hook that reads the rig's features."""
    rig = tmp_path / "rig.yaml"
    rig.write_text("targets: [main\n")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_refused(run, f"{rig}:2: <file>: valid YAML")


def test_missing_rig_file(tmp_path):
    run = run_plan(tmp_path, "--lg-env", str(tmp_path / "nope.yaml"), modules=TM)
    assert_refused(run, "nope.yaml: <file>: an existing labgrid environment file")


def test_resources_that_are_not_a_list(tmp_path):
    """Was 74 ERRORs and 11 skips."""
    rig = tmp_path / "rig.yaml"
    rig.write_text("imports: [rig.labgrid]\ntargets:\n  main:\n    resources: 5\n")
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM)
    assert_refused(run, f"{rig}:4: targets.main.resources: a list of resources, got 5")


def alias_bomb() -> str:
    """Nine levels of nine aliases: 9**9 (387 million) strings once expanded, in 11 lines."""
    lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return ("imports: [rig.labgrid]\noptions:\n  x:\n" + "\n".join("  " + ln for ln in lines)
            + "\ntargets: {main: {resources: *i}}\n")


def test_alias_bomb_in_the_rig_file_is_refused_fast(tmp_path):
    """Was: the plan run grew past 4 GB in under a minute with no output."""
    rig = tmp_path / "rig.yaml"
    rig.write_text(alias_bomb())
    run = run_plan(tmp_path, "--lg-env", str(rig), modules=TM, timeout=60)
    assert_refused(run, "(aliases (*name) multiply it: an alias bomb?)")
    assert f"{rig}:" in run.output
