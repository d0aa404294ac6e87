"""RecordStore on SQLite and PostgreSQL: what goes in comes back, as it happens."""

from __future__ import annotations

import math
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordsError, RecordStore, RunNotFound, RunRecorder
from rig.records import schema as t
from rig.transport.transcript import Transcript

CATALOGUE = [
    {"id": "CP-01", "title": "CP level in state A", "clause": "Annex A", "source": "standard",
     "confirm": False, "decision_rule": "simple"},
    {"id": "TM-02", "title": "Contactor opens", "clause": "Table A.6", "source": "standard",
     "confirm": True, "decision_rule": "simple"},
    {"id": "RC-01", "title": "DC trip", "clause": "IEC 62955", "source": "standard",
     "confirm": False, "decision_rule": "guarded"},
]
INSTRUMENTS = {
    "ev": {"model": "EVE-1", "resource": "TCPIP0::127.0.0.1::5025::SOCKET", "vendor": "Rig",
           "idn_model": "EVE-1", "serial": "EVE1-0042", "firmware": "1.0",
           "calibration_due": "2027-12-31", "accuracy": {"time": {"resolution_s": 1e-6}}},
    "ac_source": {"model": "ASTERION", "resource": "TCPIP0::127.0.0.1::5026::SOCKET",
                  "calibration_due": None, "idn_error": "no answer", "accuracy": {}},
}


def measurement(rid: str = "TM-02", value: object = 0.05, verdict: Verdict = Verdict.PASS,
                name: str = "open_time", **kw: object) -> Measurement:
    limit = kw.pop("limit", Limit("s", None, 0.1))
    return Measurement(rid, name, value, "s", limit, kw.pop("uncertainty", 1e-6), "simple",
                       verdict, bench_time=kw.pop("bench_time", 12.5), test="t.py::test_x",
                       **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(store_url):
    s = RecordStore(store_url)
    yield s
    s.close()


def test_a_run_round_trips(store):
    run = store.start_run(plan="IEC 61851-1", requirements=CATALOGUE, operator="alice",
                          charger_serial="ZCS000001", overrides={"timing.open_after_b_s": 0.15})
    store.add_instruments(run, INSTRUMENTS)
    store.add_transcript_lines(run, [(1.0, "ev", ">", "*IDN?"), (1.1, "ev", "<", "RIG,EVE-1")])
    store.add_console_lines(run, [(2.0, ">", "version"), (2.1, "<", "ZapCharger Pro 2.14.0")])
    store.add_can_frames(run, [(3.0, 0x101, b"\xa1\x00\x00\x00\x00\x00\x00\x04")])
    store.add_ocpp_messages(run, [
        {"time": 4.0, "cp_id": "ZCS000001", "direction": "in", "message_type": 2,
         "unique_id": "u1", "action": "BootNotification", "payload": {"chargePointModel": "Pro"}},
        [3, "u1", {"status": "Accepted"}],
    ])
    m1 = store.add_measurement(run, measurement(data={"phase": 1, "nan": math.nan}))
    store.add_measurement(run, measurement("CP-01", True, name="state_a",
                                           limit=Limit("", equals=True)))
    store.add_measurement(run, measurement("CP-01", "A1", name="state",
                                           limit=Limit("", equals="A1")))
    store.add_measurement(run, measurement("TM-02", math.inf, Verdict.FAIL, name="late"))
    store.add_outcome(run, "RC-01", "NOT_RUN", "no test implements this requirement yet")
    art = store.add_artefact(run, "trace.csv", "t,kind\n0,STATE\n", "text/csv",
                             requirement="TM-02", test="t.py::test_x")
    store.finish_run(run, "complete", {"PASS": 1, "FAIL": 1, "verdict": "FAIL"}, {
        "CP-01": {"verdict": "PASS", "complete": True, "tests": ["t.py::test_x"], "reasons": []},
        "TM-02": {"verdict": "FAIL", "complete": True, "tests": ["t.py::test_x"], "reasons": []},
        "RC-01": {"verdict": "NOT_RUN", "complete": True, "tests": [],
                  "reasons": ["no test implements this requirement yet"]},
    }, charger_firmware="2.14.0")

    info = store.run(run)
    assert info["status"] == "complete" and info["incomplete"] is False
    assert info["operator"] == "alice" and info["charger_firmware"] == "2.14.0"
    assert info["overrides"] == {"timing.open_after_b_s": 0.15}
    assert info["summary"]["verdict"] == "FAIL" and info["finished"] >= info["started"]

    ms = store.measurements(run)
    assert ms[0]["id"] == m1
    assert [m["value"] for m in ms[:3]] == [0.05, True, "A1"]
    assert ms[0]["high"] == 0.1 and ms[0]["low"] is None and ms[0]["unit"] == "s"
    assert ms[0]["uncertainty"] == 1e-6 and ms[0]["bench_time"] == 12.5
    assert ms[0]["rule"] == "simple" and ms[0]["test"] == "t.py::test_x"
    assert ms[0]["data"] == {"phase": 1, "nan": "nan"}  # PostgreSQL JSON has no NaN
    assert ms[1]["expected"] is True and ms[2]["expected"] == "A1"
    assert ms[3]["value"] == math.inf and ms[3]["verdict"] == "FAIL"

    reqs = {r["requirement"]: r for r in store.requirements(run)}
    assert list(reqs) == ["CP-01", "TM-02", "RC-01"]  # catalogue order
    assert reqs["TM-02"]["verdict"] == "FAIL" and reqs["TM-02"]["confirm"] is True
    assert reqs["RC-01"]["reasons"] == ["no test implements this requirement yet"]
    assert not any(r["derived"] for r in reqs.values())

    inst = {i["role"]: i for i in store.instruments(run)}
    assert inst["ev"]["serial"] == "EVE1-0042" and inst["ev"]["calibration_due"] == "2027-12-31"
    assert inst["ev"]["accuracy"] == {"time": {"resolution_s": 1e-6}}
    assert inst["ac_source"]["idn_error"] == "no answer"

    assert [(x["direction"], x["text"]) for x in store.transcript(run)] == [
        (">", "*IDN?"), ("<", "RIG,EVE-1")]
    assert [x["line"] for x in store.console_log(run)] == ["version", "ZapCharger Pro 2.14.0"]
    assert store.can_log(run)[0]["arbitration_id"] == 0x101
    assert store.can_log(run)[0]["data"] == b"\xa1\x00\x00\x00\x00\x00\x00\x04"
    ocpp = store.ocpp_log(run)
    assert ocpp[0]["message_type"] == "CALL" and ocpp[0]["action"] == "BootNotification"
    assert ocpp[0]["charge_point"] == "ZCS000001"
    assert ocpp[1]["message_type"] == "CALLRESULT" and ocpp[1]["payload"] == {"status": "Accepted"}
    arts = store.artefacts(run)
    assert arts[0]["id"] == art and arts[0]["content"] == b"t,kind\n0,STATE\n"
    assert arts[0]["size"] == 15 and arts[0]["mime_type"] == "text/csv"
    assert "content" not in store.artefacts(run, content=False)[0]
    assert store.outcomes(run)[0]["verdict"] == "NOT_RUN"


def test_an_unfinished_run_reads_as_incomplete_with_derived_verdicts(store):
    run = store.start_run(plan="p", requirements=CATALOGUE)
    store.add_measurement(run, measurement("TM-02", 0.2, Verdict.FAIL))
    store.add_outcome(run, "CP-01", "ERROR", "setup: InstrumentTimeout: ev", "t.py::test_a")
    info = store.run("latest")
    assert info["status"] == "running" and info["incomplete"] is True
    assert info["summary_derived"] is True
    assert info["summary"]["FAIL"] == 1 and info["summary"]["ERROR"] == 1
    # an unfinished run never reads as a verdict of its own: INCOMPLETE, the worst so far kept
    assert info["summary"]["verdict"] == "INCOMPLETE"
    assert info["summary"]["verdict_so_far"] == "ERROR" and info["summary"]["status"] == "running"
    reqs = {r["requirement"]: r for r in store.requirements(run)}
    assert reqs["TM-02"]["verdict"] == "FAIL" and reqs["TM-02"]["derived"] is True
    assert reqs["CP-01"]["reasons"] == ["setup: InstrumentTimeout: ev"]
    assert reqs["RC-01"]["verdict"] == "NOT_RUN"
    assert reqs["RC-01"]["reasons"] == ["not executed in this run"]


def test_log_lines_are_committed_with_the_next_measurement(store, store_url):
    run = store.start_run(plan="p")
    store.add_transcript_lines(run, [(1.0, "ev", ">", "CP:STAT B")])
    store.add_console_lines(run, [(1.0, "<", "# state B1")])
    with RecordStore(store_url) as other:  # another process's view
        assert other.transcript(run) == [] and other.console_log(run) == []
        store.add_measurement(run, measurement())
        assert [x["text"] for x in other.transcript(run)] == ["CP:STAT B"]
        assert [x["line"] for x in other.console_log(run)] == ["# state B1"]
        store.add_transcript_lines(run, [(2.0, "ev", ">", "CP:STAT A")])
        store.flush()
        assert len(other.transcript(run)) == 2


def test_trend_across_runs_oldest_first_with_firmware(store):
    for i, fw in enumerate(["2.13.0", "2.14.0", "2.15.0"]):
        run = store.start_run(plan="p", charger_serial="ZCS000001", charger_firmware=fw,
                              started=1000.0 + i)
        store.add_measurement(run, measurement(value=0.01 * (i + 1)))
        store.add_measurement(run, measurement(value=99.0, name="other"))
        if i < 2:
            store.finish_run(run)
    trend = store.trend("TM-02", "open_time")
    assert [x["value"] for x in trend] == pytest.approx([0.01, 0.02, 0.03])
    assert [x["firmware"] for x in trend] == ["2.13.0", "2.14.0", "2.15.0"]
    assert [x["incomplete"] for x in trend] == [False, False, True]
    assert trend[0]["verdict"] == "PASS" and trend[0]["run_started"] == 1000.0
    assert [x["value"] for x in store.trend("TM-02", "open_time", limit=2)] == pytest.approx(
        [0.02, 0.03])
    assert len(store.trend("TM-02")) == 6


def test_runs_by_id_uuid_and_latest(store):
    first = store.start_run(plan="one", started=100.0)
    second = store.start_run(plan="two", started=200.0)
    assert store.run("latest")["id"] == second
    assert store.run(str(first))["plan"] == "one"
    assert store.run(store.run(first)["uuid"])["id"] == first
    assert [r["id"] for r in store.runs(limit=1)] == [second]
    assert [r["plan"] for r in store.runs()] == ["two", "one"]
    with pytest.raises(RunNotFound):
        store.run(12345)
    with pytest.raises(RunNotFound):
        store.measurements("no-such-uuid")


def test_threads_write_concurrently(store):
    """The transcript sink and the OCPP server call in from their own threads."""
    run = store.start_run(plan="p")
    recorder = RunRecorder(store, run)
    transcript = Transcript(sink=recorder.transcript_sink)

    def talk(name: str) -> None:
        for i in range(200):
            transcript.append(name, ">", f"CMD {i}")

    threads = [threading.Thread(target=talk, args=(f"i{n}",)) for n in range(4)]
    for th in threads:
        th.start()
    for i in range(20):
        recorder.measurement(measurement(value=i * 0.001))
    for th in threads:
        th.join()
    recorder.flush()
    assert len(store.transcript(run)) == 800
    assert len(store.measurements(run)) == 20


def test_recorder_follows_console_can_and_ocpp(store):
    class Console:
        name = "console"

        class log:  # the shape of ChargerConsole.log
            lines: list = []

    class Can:
        name = "can0"
        log: list = []

    class Server:
        def __init__(self) -> None:
            self.log: list[dict] = []

        def messages(self, since: int = 0) -> list[dict]:
            return self.log[since:]

    class Handle:  # the csms fixture's handle: its server has every charge point's messages
        server = Server()

    run = store.start_run(plan="p")
    recorder = RunRecorder(store, run)
    console, can, csms = Console(), Can(), Handle()
    console.log.lines = [(1.0, ">", "status")]
    recorder.follow_console(console)
    recorder.follow_can(can)
    recorder.follow_ocpp(csms)
    can.log.append((1.5, 0x111, b"\x00" * 8))
    csms.server.log.append({"time": 1.6, "cp_id": "A", "direction": "in", "message_type": 2,
                            "unique_id": "1", "action": "Heartbeat", "payload": {}})
    recorder.measurement(measurement())
    console.log.lines.append((2.0, "<", "state=A1"))
    csms.server.log.append({"time": 2.1, "cp_id": "B", "direction": "out", "message_type": 3,
                            "unique_id": "1", "action": "Heartbeat", "payload": {}})
    recorder.flush()
    recorder.flush()  # nothing twice
    assert [x["line"] for x in store.console_log(run)] == ["status", "state=A1"]
    assert [(x["bus"], x["arbitration_id"]) for x in store.can_log(run)] == [("can0", 0x111)]
    assert [x["charge_point"] for x in store.ocpp_log(run)] == ["A", "B"]


def test_bad_urls_are_clear_errors_naming_the_url(tmp_path):
    with pytest.raises(RecordsError, match="not a database URL"):
        RecordStore("no such thing")
    with pytest.raises(RecordsError, match=r"nosuch://"):
        RecordStore("nosuch://x/y")
    url = "postgresql+psycopg://rig:secret@127.0.0.1:1/none"
    with pytest.raises(RecordsError, match=r"records store postgresql\+psycopg://rig:\*\*\*@") as e:
        RecordStore(url)
    assert "secret" not in str(e.value) and "cannot open" in str(e.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RecordsError, match="cannot open"):
        RecordStore(f"sqlite:///{tmp_path / 'file' / 'records.sqlite'}")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url):
    with RecordStore(sqlite_url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    with RecordStore(sqlite_url, synchronous="FULL") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    path = sqlite_url.removeprefix("sqlite:///")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_of_a_newer_schema_is_refused(store_url):
    with RecordStore(store_url) as store, store.engine.begin() as conn:
        conn.execute(t.meta.update().where(t.meta.c.key == "schema"), {"value": "99"})
    with pytest.raises(RecordsError, match="newer rig"):
        RecordStore(store_url)


def test_a_failed_commit_keeps_the_buffered_lines(sqlite_url):
    with RecordStore(sqlite_url) as store:
        run = store.start_run(plan="p")
        store.add_transcript_lines(run, [(1.0, "ev", ">", "X")])
        with pytest.raises(RecordsError, match="cannot store a measurement of TM-02"):
            store.add_measurement(run + 1000, measurement())  # no such run: foreign key
        store.add_measurement(run, measurement())
        assert [x["text"] for x in store.transcript(run)] == ["X"]


def test_a_status_outside_the_four_is_refused(sqlite_url):
    with RecordStore(sqlite_url) as store:
        run = store.start_run(plan="p")
        with pytest.raises(ValueError, match="status"):
            store.finish_run(run, "done")
        with pytest.raises(TypeError, match="unknown run field"):
            store.update_run(run, colour="red")
        store.update_run(run, charger_serial="ZCS000002")
        assert store.run(run)["charger_serial"] == "ZCS000002"


def test_no_per_row_fsync(sqlite_url):
    """What keeps recording cheap, checked as settings rather than timed (bench/record_cost.py
    prints the cost): WAL with synchronous=NORMAL on every connection of the store, so a
    measurement's commit does not flush the disk; and batches of transcript lines all land."""
    with RecordStore(sqlite_url) as store:
        run = store.start_run(plan="p")
        for i in range(20):
            store.add_transcript_lines(run, [(1.0, "ev", ">", f"C {i}")] * 10)
            store.add_measurement(run, measurement(value=i * 1e-4))
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL, not FULL
            assert conn.execute(sa.select(sa.func.count()).select_from(t.transcripts)
                                ).scalar() == 200


def test_runs_opening_a_fresh_store_at_once_all_get_it(store_url, tmp_path):
    """Two rigs (or a pool of plan runs) starting together on a new store: each creates the
    tables and stamps the schema version; the one that loses the race reads the winner's stamp
    instead of failing. Several rounds of eight simultaneous opens, on a fresh store each."""
    import threading

    from sqlalchemy.engine import make_url

    for n in range(5):
        url = store_url
        if make_url(url).get_backend_name() == "sqlite":
            url = f"sqlite:///{tmp_path / f'fresh{n}' / 'records.sqlite'}"
        start = threading.Barrier(8)
        errors: list[BaseException] = []

        def open_it(url: str = url, start: threading.Barrier = start,
                    errors: list[BaseException] = errors) -> None:
            try:
                start.wait()
                RecordStore(url).close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors
        with RecordStore(url) as store:
            assert store.runs() == []
        if make_url(url).get_backend_name() != "sqlite":
            break  # one fresh schema per test on the server
