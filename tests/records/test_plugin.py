"""The plugin writes real plan runs (pytest subprocesses) to the store as they happen.

The SIGKILL test is the point of the store: a run killed in the middle keeps every measurement
committed before the kill, and reads as incomplete.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.catalogue import load_catalogue
from rig.cli import main
from rig.records import RecordStore
from tests.plan.runner import PLAN, ROOT, run_plan

CP_TM = ("test_control_pilot.py", "test_timing.py")
TM = ("test_timing.py",)


def assert_matches_verdicts(store: RecordStore, run_id: int, verdicts: dict) -> None:
    """Every measurement and every requirement verdict of verdicts.json is in the store."""
    stored = store.measurements(run_id)
    expected = [
        (rid, m["name"], m["value"], m["unit"], m["low"], m["high"], m["uncertainty"],
         m["verdict"], m["test"], m["bench_time"], m["wall_time"])
        for rid, req in verdicts["requirements"].items() for m in req["measurements"]
    ]
    got = [(m["requirement"], m["name"], m["value"], m["unit"], m["low"], m["high"],
            m["uncertainty"], m["verdict"], m["test"], m["bench_time"], m["wall_time"])
           for m in stored]
    assert expected and sorted(got, key=repr) == sorted(expected, key=repr)
    reqs = {r["requirement"]: r for r in store.requirements(run_id)}
    assert {rid: r["verdict"] for rid, r in reqs.items()} == {
        rid: r["verdict"] for rid, r in verdicts["requirements"].items()}
    assert all(not r["derived"] for r in reqs.values())


def check_complete_run(url: str, verdicts: dict) -> dict:
    with RecordStore(url) as store:
        run = store.run("latest")
        assert run["status"] == "complete" and run["incomplete"] is False
        assert run["summary"] == verdicts["summary"]
        assert run["charger_serial"] == "ZCS000001" and run["charger_firmware"] == "2.14.0"
        assert run["plan"] == verdicts["plan"] and run["target"] == "main"
        assert run["rig_env"].endswith("rigs/emulator.yaml")
        assert run["clock"] == "BenchClock" and run["bench_waited_s"] > 0
        assert_matches_verdicts(store, run["id"], verdicts)
        inst = {i["role"]: i for i in store.instruments(run["id"])}
        assert set(inst) == {"ac_source", "power_analyser", "rcd_dc", "rcd_ac", "ev",
                             "safety_tester", "pulse_counter"}
        for role, described in verdicts["rig"]["instruments"].items():
            for key in ("model", "resource", "vendor", "idn_model", "serial", "firmware",
                        "calibration_due", "accuracy"):
                assert inst[role][key] == described[key], (role, key)
        assert inst["ev"]["serial"] == "EVE1-0042" and inst["ev"]["firmware"]
        assert inst["ev"]["calibration_due"] == "2099-12-31"
        assert inst["ac_source"]["calibration_due"] == "2099-06-30"
        assert inst["power_analyser"]["accuracy"]["current"]  # the rig file's spec
        transcript = store.transcript(run["id"])
        assert {"ev", "ac_source", "bench"} <= {x["instrument"] for x in transcript}
        assert any(x["text"] == "*IDN?" for x in transcript)
        console = [x["line"] for x in store.console_log(run["id"])]
        assert "serial" in console and "ZCS000001" in console
        ocpp = store.ocpp_log(run["id"])  # the charger fixture brings the central system up
        boot = next(m for m in ocpp if m["action"] == "BootNotification")
        assert boot["direction"] == "in" and boot["message_type"] == "CALL"
        assert boot["charge_point"] == "ZCS000001"
        assert boot["payload"]["chargePointSerialNumber"] == "ZCS000001"
        return run


def test_a_plan_run_is_recorded_completely(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    plan = run_plan(tmp_path, "--records", url, "--operator", "alice", modules=CP_TM)
    assert plan.returncode == 0, plan.output
    assert f"records: run 1 (complete) in {url}" in plan.output
    run = check_complete_run(url, plan.verdicts)
    assert run["operator"] == "alice"
    assert "--operator alice" in run["command_line"]


def test_the_run_is_killed_with_sigkill_and_keeps_what_it_measured(tmp_path):
    path = tmp_path / "records.sqlite"
    verdicts = tmp_path / "verdicts.json"
    cmd = [sys.executable, "-m", "pytest", str(PLAN), "-q", "-p", "no:cacheprovider",
           "--records", f"sqlite:///{path}", "--verdicts", str(verdicts),
           "--reports-dir", str(tmp_path / "reports")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen: list[tuple] = []
    try:
        deadline = time.monotonic() + 120
        while len(seen) < 8:
            assert proc.poll() is None, "the plan ended before it could be killed"
            assert time.monotonic() < deadline, "no measurements recorded within 120 s"
            seen = _measurements_so_far(path)
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with RecordStore(f"sqlite:///{path}") as store:
        run = store.run("latest")
        assert run["status"] == "running" and run["incomplete"] is True
        assert run["finished"] is None and run["summary_derived"] is True
        stored = store.measurements(run["id"])
        # everything seen before the kill is there, unchanged
        assert [(m["id"], m["requirement"], m["name"], m["wall_time"]) for m in stored][
            : len(seen)] == seen
        # and everything the verdicts file (rewritten after each test) knew of
        if verdicts.exists():
            snapshot = json.loads(verdicts.read_text())
            known = {(rid, m["name"], m["wall_time"])
                     for rid, req in snapshot["requirements"].items()
                     for m in req["measurements"]}
            assert known <= {(m["requirement"], m["name"], m["wall_time"]) for m in stored}
            # a killed run's verdicts file never says PASS (issue 8): it was left running
            assert snapshot["schema"] == 2 and snapshot["status"] == "running"
            assert snapshot["summary"]["verdict"] == "INCOMPLETE"
            assert snapshot["summary"]["verdict_so_far"] == "PASS"
        # with the rig, the charger and the log lines that led to them
        assert len(store.instruments(run["id"])) == 7
        assert run["charger_serial"] == "ZCS000001"
        transcript = store.transcript(run["id"])
        assert transcript and transcript[0]["wall_time"] <= stored[0]["wall_time"]
        # the transcript file, streamed and flushed after each test, survives the kill too
        # (a last line may be cut by the kill), in the same order as the store's
        streamed = (tmp_path / "reports" / "scpi-transcript.log").read_text().splitlines()[:-1]
        assert len(streamed) > 100, len(streamed)
        common = min(len(streamed), len(transcript))
        assert [ln.split(" ", 1)[1] for ln in streamed[:common]] == [
            f"{x['instrument']} {x['direction']} {x['text']}" for x in transcript[:common]]
        # the verdicts the report shows for an unfinished run are derived from the records
        derived = {r["requirement"]: r for r in store.requirements(run["id"])}
        first = stored[0]["requirement"]
        assert derived[first]["derived"] and derived[first]["verdict"] == "PASS"
        assert sum(r["measurements"] for r in derived.values()) == len(stored)
        assert run["summary"]["total"] == len(load_catalogue(PLAN / "requirements.yaml")
                                              .requirements)
        assert run["summary"]["verdict"] == "INCOMPLETE"
        assert run["summary"]["verdict_so_far"] == "PASS" and run["summary"]["PASS"] >= 1
    integrity = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert integrity == "ok"


def _measurements_so_far(path: Path) -> list[tuple]:
    """What another process sees committed (read-only: never create the file)."""
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(
                "SELECT id, requirement, name, wall_time FROM measurements ORDER BY id").fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the tables are being created
        return []


def test_sigterm_ends_the_run_as_interrupted(tmp_path, capsys):
    path = tmp_path / "records.sqlite"
    cmd = [sys.executable, "-m", "pytest", str(PLAN), "-q", "-p", "no:cacheprovider",
           "--records", f"sqlite:///{path}", "--reports-dir", str(tmp_path / "reports")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while len(_measurements_so_far(path)) < 3:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    with RecordStore(f"sqlite:///{path}") as store:
        run = store.run("latest")
        assert run["status"] == "interrupted", output
        assert run["incomplete"] is False and run["finished"] is not None
        assert run["summary"]["verdict"] == "INCOMPLETE" and run["summary"]["status"] == (
            "interrupted")
        assert len(store.measurements(run["id"])) >= 3
    assert "plan verdict: INCOMPLETE" in output
    assert main(["runs", "--records", f"sqlite:///{path}"]) == 0
    listed = capsys.readouterr().out
    assert "interrupted" in listed and "INCOMPLETE (" in listed and " so far; PASS " in listed


def test_a_store_that_cannot_be_opened_is_an_error_of_the_run(tmp_path):
    url = "postgresql+psycopg://rig:secret@127.0.0.1:1/nowhere"
    plan = run_plan(tmp_path, "--records", url, modules=TM)
    assert plan.returncode != 0
    shown = "records store postgresql+psycopg://rig:***@127.0.0.1:1/nowhere: cannot open"
    assert set(plan.executed().values()) == {"ERROR"}, plan.output
    for rid in plan.executed():
        assert shown in plan.reasons(rid)
    assert shown in plan.output and "secret" not in plan.output
    assert "INTERNALERROR" not in plan.output and "Traceback" not in plan.output


def test_a_rig_that_never_opens_is_a_failed_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    rig_file = tmp_path / "rig.yaml"  # a rig file that is right, but no ev answers there
    rig_file.write_text((ROOT / "rigs" / "emulator.yaml").read_text().replace(
        'resource: !template "$LG_BENCH_EV"', 'resource: "TCPIP0::127.0.0.1::1::SOCKET"'))
    plan = run_plan(tmp_path, "--records", url, "--lg-env", str(rig_file), modules=TM)
    assert plan.returncode != 0
    with RecordStore(url) as store:
        run = store.run("latest")
        assert run["status"] == "failed" and run["incomplete"] is False
        assert run["rig_env"] == str(rig_file)
        assert run["summary"] == plan.verdicts["summary"] and run["summary"]["ERROR"] >= 3
        assert {o["verdict"] for o in store.outcomes(run["id"])} >= {"ERROR", "NOT_RUN"}


def test_records_url_from_the_environment_and_no_records(tmp_path):
    path = tmp_path / "env.sqlite"
    one = ("-k", "test_contactor_opens_when_vehicle_stops")
    env = {"RIG_RECORDS_URL": f"sqlite:///{path}"}
    run_plan(tmp_path, *one, "--no-records", modules=TM, env=env)
    assert not path.exists()
    plan = run_plan(tmp_path, *one, modules=TM, env=env)
    assert plan.returncode == 0, plan.output
    with RecordStore(f"sqlite:///{path}") as store:
        assert [m["requirement"] for m in store.measurements("latest")] == ["TM-02"]


def test_a_plan_run_is_recorded_in_postgresql(tmp_path, postgres_url):
    plan = run_plan(tmp_path, "--records", postgres_url, modules=TM)
    assert plan.returncode == 0, plan.output
    assert "records: run 1 (complete) in postgresql+psycopg://" in plan.output
    check_complete_run(postgres_url, plan.verdicts)


@pytest.mark.parametrize("flag", ["--collect-only"])
def test_collecting_only_records_nothing(tmp_path, flag):
    path = tmp_path / "records.sqlite"
    run_plan(tmp_path, flag, "--records", f"sqlite:///{path}", modules=TM)
    assert not path.exists()


def test_artefacts_and_the_ocpp_log_of_a_plan_reach_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    module = Path(__file__).with_name("artefact_plan") / "plan_records.py"
    cmd = [sys.executable, "-m", "pytest", str(module), "-q", "-p", "no:cacheprovider",
           "--records", url, "--reports-dir", str(tmp_path / "reports")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with RecordStore(url) as store:
        run = store.run("latest")
        assert run["status"] == "complete" and run["plan"] == "Record store self-test"
        arts = {a["name"]: a for a in store.artefacts(run["id"])}
        assert arts["trace.csv"]["content"] == b"t,kind,value\n0.0,STATE,A\n"
        assert arts["trace.csv"]["requirement"] == "RS-01"
        assert arts["trace.csv"]["test"].endswith("::test_measurement_artefact_and_ocpp")
        assert arts["plot.png"]["mime_type"] == "image/png"
        assert [m["value"] for m in store.measurements(run["id"])] == [5.0]
        actions = [m["action"] for m in store.ocpp_log(run["id"])]
        assert "BootNotification" in actions and "StatusNotification" in actions


def test_the_calibration_note_names_an_override_or_the_overdue_instruments():
    from fixtures.records import _calibration_note

    override = {"operator": "alice", "date": "2026-11-25", "reason": "recalibration booked",
                "instruments": [{"role": "rcd_dc", "model": "KEITHLEY2450",
                                 "calibration_due": "2025-01-31"}]}
    assert _calibration_note({"calibration_override": override}) == (
        "calibration override by alice on 2026-11-25: rcd_dc (due 2025-01-31); "
        "reason: recalibration booked")

    class Session:
        def calibration_overdue(self) -> list[str]:
            return ["ev (due 2020-01-01)"]

    assert _calibration_note({}, Session()) == "calibration overdue: ev (due 2020-01-01)"
    assert _calibration_note({}, None) is None
