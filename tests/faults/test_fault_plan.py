"""Faults in the middle of a real plan run (a pytest subprocess of a plan).

``tests/faults/inject.py`` breaks the emulated bench right before the body of one test and
repairs it after. An instrument fault makes the requirement of that test ERROR (never FAIL)
with the instrument, its address and the command in the reason; a charger whose console stops
answering is an ERROR naming the command; a charger that sends malformed OCPP fails PR-07.
Every other test of the run passes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.plan.runner import ROOT, PlanRun, run_plan

TM = ("test_timing.py",)
EV = r"ev at TCPIP0::127\.0\.0\.1::\d+::SOCKET"


def run_with_faults(tmp_path, *faults: str):
    args = ["-p", "tests.faults.inject"]
    for fault in faults:
        args += ["--rig-fault", fault]
    return run_plan(tmp_path, *args, modules=TM)


def test_drop_garbage_and_reboot_are_errors_of_their_step_and_the_run_goes_on(tmp_path):
    run = run_with_faults(tmp_path, "TM-01=drop:ev", "TM-03=garbage:ev", "TM-05=reboot:ev")
    assert run.executed() == {
        "TM-01": "ERROR", "TM-02": "PASS", "TM-03": "ERROR", "TM-04": "PASS",
        "TM-05": "ERROR", "TM-06": "PASS",
    }, run.output
    assert run.returncode == 1
    assert re.fullmatch(
        rf"call: InstrumentLinkError: {EV}: 'SOUR:PP:RES 220': reconnected, but reading the "
        r"settings back failed: '[^']+\?': connection closed by the instrument",
        run.reasons("TM-01"),
    ), run.reasons("TM-01")
    assert re.fullmatch(
        rf"call: InstrumentError: {EV}: 'SOUR:CP:STAT A;:TRAC:EVEN:LAST\? STATE': unexpected "
        r"reply '.+' \(code,\"message\" expected\) \(checking the error queue after it\)",
        run.reasons("TM-03"),
    ), run.reasons("TM-03")
    lost = run.reasons("TM-05")
    assert re.match(rf"call: SettingsLost: {EV}: settings lost after reconnect: ", lost), lost
    assert "vehicle_state is A, expected C (last command 'SOUR:CP:STAT C')" in lost
    assert "load is OFF, expected ON (last command 'OUTP:LOAD ON')" in lost
    assert "pp_resistance is NONE, expected 220 ohm (last command 'SOUR:PP:RES 220')" in lost
    # Line starts only: with a wide terminal pytest repeats the message in its short summary.
    assert len(re.findall(r"^RIG ERROR in call \(not a failure of the charger\)", run.output,
                          re.MULTILINE)) == 3, run.output
    assert "CHARGER FAIL" not in run.output


def test_late_replies_and_queued_errors_are_errors_and_a_blip_is_recovered(tmp_path):
    run = run_with_faults(tmp_path, "TM-02=late:ev", "TM-06=error:ev", "TM-04=blip:ev")
    assert run.executed() == {
        "TM-01": "PASS", "TM-02": "ERROR", "TM-03": "PASS", "TM-04": "PASS",
        "TM-05": "PASS", "TM-06": "ERROR",
    }, run.output
    assert re.fullmatch(
        rf"call: InstrumentTimeout: {EV}: 'SOUR:CP:STAT B;:TRAC:EVEN:LAST\? STATE': "
        r"no reply within 2 s",
        run.reasons("TM-02"),
    ), run.reasons("TM-02")
    assert re.fullmatch(
        rf"call: InstrumentError: {EV}: 'SOUR:PP:RES 220': instrument error "
        r"-310,\"System error; injected by the bench\"",
        run.reasons("TM-06"),
    ), run.reasons("TM-06")
    assert run.reasons("TM-04") == ""  # the link dropped and came back: nothing to report
    transcript = (tmp_path / "reports" / "scpi-transcript.log").read_text()
    assert " ev > SOUR:CP:STAT?" in transcript  # ... after the settings were read back
    assert "CHARGER FAIL" not in run.output


# ---- the charger's own links misbehave -----------------------------------------------------------
LINK_PLAN = Path(__file__).with_name("link_plan") / "plan_links.py"


def run_link_plan(tmp_path, *args: str) -> PlanRun:
    """``pytest tests/faults/link_plan/plan_links.py`` as a plan run (verdicts in tmp_path)."""
    verdicts = tmp_path / "verdicts.json"
    cmd = [sys.executable, "-m", "pytest", str(LINK_PLAN), "-q", "-p", "no:cacheprovider",
           "--verdicts", str(verdicts), "--reports-dir", str(tmp_path / "reports"), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    data = json.loads(verdicts.read_text()) if verdicts.exists() else {}
    return PlanRun(proc.returncode, proc.stdout + proc.stderr, data)


def test_the_link_plan_passes_on_a_well_behaved_charger(tmp_path):
    run = run_link_plan(tmp_path)
    assert run.executed() == {
        "TM-01": "PASS", "CP-07": "PASS", "PR-09": "PASS", "PR-07": "PASS", "TM-06": "PASS"
    }, run.output
    valid, flow = run.verdicts["requirements"]["PR-07"]["measurements"]
    assert valid["name"] == "valid" and flow["name"] == "flow"
    assert valid["data"]["violations"] == [] and valid["data"]["frames"] >= 4
    assert flow["value"] is True


def test_a_mute_console_is_an_error_and_malformed_ocpp_a_failure(tmp_path):
    run = run_link_plan(tmp_path, "-p", "tests.faults.inject",
                        "--rig-fault", "PR-09=console:MUTE", "--rig-fault", "PR-07=ocpp:MALFORMED")
    assert run.executed() == {
        "TM-01": "PASS", "CP-07": "PASS", "PR-09": "ERROR", "PR-07": "FAIL", "TM-06": "PASS"
    }, run.output
    # the console stopped answering: the rig cannot tell, so ERROR, naming command and timeout
    assert run.reasons("PR-09") == (
        "call: ChargerLinkError: console: no reply to 'errors' within 3 s "
        "(the console is silent)")
    # the charger sent frames that are not OCPP-J: non-compliant, PR-07 FAILs naming them
    valid = next(m for m in run.verdicts["requirements"]["PR-07"]["measurements"]
                 if m["name"] == "valid")
    assert valid["value"] is False and valid["verdict"] == "FAIL"
    assert "malformed frame: FormatViolation: Message is not valid JSON" in valid["note"]
    assert "unique id 17 is not a string" in valid["note"]
    assert "StatusNotification: TypeConstraintViolation" in valid["note"]
    assert "CHARGER FAIL" in run.output and "PR-07 valid: False" in run.output
