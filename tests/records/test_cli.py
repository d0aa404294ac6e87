"""``rig runs`` lists the store's runs, an unfinished one marked incomplete."""

from __future__ import annotations

from rig.cli import main
from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordStore


def test_rig_runs_lists_runs_newest_first(sqlite_url, capsys):
    with RecordStore(sqlite_url) as store:
        done = store.start_run(plan="IEC 61851-1", charger_serial="ZCS000001",
                               charger_firmware="2.14.0", started=1000.0)
        store.finish_run(done, "complete", {"PASS": 8, "FAIL": 0, "INCONCLUSIVE": 0,
                                            "ERROR": 0, "NOT_RUN": 36, "verdict": "PASS"})
        killed = store.start_run(plan="IEC 61851-1", charger_serial="ZCS000002",
                                 requirements=[{"id": "TM-02", "title": "opens"}],
                                 started=2000.0)
        store.add_measurement(killed, Measurement(
            "TM-02", "open_time", 0.2, "s", Limit("s", None, 0.1), 0.0, "simple",
            Verdict.FAIL))
    assert main(["runs", "--records", sqlite_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["id", "started", "status"]
    assert lines[2].split()[0] == str(killed)
    assert "running (incomplete)" in lines[2] and "ZCS000002" in lines[2]
    assert "INCOMPLETE (FAIL so far; PASS 0, FAIL 1" in lines[2]
    assert "complete" in lines[3] and "ZCS000001 2.14.0" in lines[3]
    assert "PASS (PASS 8, FAIL 0, INCONCLUSIVE 0, ERROR 0, NOT_RUN 36)" in lines[3]
    assert main(["runs", "--records", sqlite_url, "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_rig_runs_explains_a_missing_or_unreachable_store(tmp_path, capsys):
    assert main(["runs", "--records", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 0
    assert "no records yet" in capsys.readouterr().out
    assert not (tmp_path / "none.sqlite").exists()
    assert main(["runs", "--records", "postgresql+psycopg://rig:pw@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert "rig runs: records store postgresql+psycopg://rig:***@127.0.0.1:1/x" in err
