"""Security profile 1 end to end: the rig file's ``password_env`` and the charger's profile keys.

The plan's OCPP group (PR-07) runs against the emulated charger logging in with basic auth: the
rig file names the variable holding the password (``OcppCentralSystem: password_env``), the
charger gets it as ``ocpp.authorization_key`` with ``ocpp.security_profile=1``. The password is
a secret: no file the run writes (verdicts, transcript, records) and nothing it prints holds it.
"""

from __future__ import annotations

from tests.plan.runner import ROOT, run_plan

PASSWORD = "0123456789abcdef0123"


def test_the_plans_ocpp_group_passes_with_basic_auth(tmp_path):
    rig = (ROOT / "rigs" / "emulator.yaml").read_text()
    marker = "          port: 0               # any free port\n"
    assert marker in rig
    rig_file = tmp_path / "emulator-auth.yaml"
    rig_file.write_text(rig.replace(marker, marker + "          password_env: RIG_OCPP_PW\n"))
    run = run_plan(tmp_path, "--lg-env", str(rig_file),
                   "--charger-set", "ocpp.security_profile=1",
                   "--charger-set", f"ocpp.authorization_key={PASSWORD}",
                   "--records", f"sqlite:///{tmp_path}/records.sqlite",
                   modules=("test_ocpp.py",), env={"RIG_OCPP_PW": PASSWORD})
    assert run.executed() == {"PR-07": "PASS"}, run.output[-3000:]
    # the password is a secret: nothing the run wrote or printed holds it
    assert PASSWORD not in run.output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert '"ocpp.authorization_key": "***"' in (tmp_path / "verdicts.json").read_text()
    assert (tmp_path / "records.sqlite").stat().st_size > 0  # the runs table was searched too
