"""``rig eol`` as an operator runs it: a barcode scanner on a serial port (a pseudo-terminal), a
raw TCP label printer that goes offline, the retest policy and a supervisor override, every
attempt in the record store."""

from __future__ import annotations

from rig.records import RecordStore


def test_a_shift_at_the_station(tmp_path, scanner, printer, station):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    st = station("--scanner", scanner.port, "--printer", printer.target, "--records", url,
                 "--retests", "0", "--emulate-units", "--station", "line-1", "--fixture", "A",
                 "--operator", "olga", "--defect", "ZCS600002:rcd.self_test=false",
                 "--reports-dir", str(tmp_path / "rep"), "--max-units", "7")
    st.wait_output("scan a unit's label")
    scanner.scan(b"\xff\xfe#garbage")
    st.wait_output("BAD SCAN")
    scanner.scan("ZCS600001")                     # a good unit
    st.wait_output("ZCS600001  PASS")
    scanner.scan("ZCS600002")                     # fails, no retest allowed: repair
    st.wait_output("ZCS600002  FAIL (repair)")
    scanner.scan("ZCS600002")                     # in repair: refused
    st.wait_output("sent to repair: a supervisor must override")
    scanner.scan("ZCS600001")                     # passed already: refused
    st.wait_output("already passed")
    printer.close()                               # the printer goes offline
    scanner.scan("override sam ZCS600001")        # the supervisor lets it in again
    st.wait_output("LABEL NOT PRINTED")
    scanner.scan("ZCS60000")                      # a half scan
    assert st.wait() == 0, st.text
    text = st.text
    assert "RC-06: The residual-current self-test did not run or failed." in text
    assert "label printer tcp:127.0.0.1" in text and "is offline" in text
    assert text.count("BAD SCAN") == 2
    # the printer got the two labels printed while it was online
    assert len(printer.labels) == 2
    assert b"ZCS600001" in printer.labels[0] and b"^FDPASS^FS" in printer.labels[0]
    assert b"FAIL - REPAIR" in printer.labels[1] and b"RC-06" in printer.labels[1]
    with RecordStore(url) as store:
        attempts = store.eol_attempts()
        runs = {r["id"]: r for r in store.runs(limit=10)}
    got = [(a["serial"], a["outcome"], a["disposition"], a["attempt"], a["override_by"])
           for a in attempts]
    assert got == [
        ("ZCS600001", "PASS", "passed", 1, None),
        ("ZCS600002", "FAIL", "repair", 1, None),
        ("ZCS600002", "REFUSED", "refused", 2, None),
        ("ZCS600001", "REFUSED", "refused", 2, None),
        ("ZCS600001", "PASS", "passed", 2, "sam"),
    ]
    for a in attempts:
        assert (a["station"], a["fixture"], a["operator"]) == ("line-1", "A", "olga")
    tested = [a for a in attempts if a["outcome"] != "REFUSED"]
    assert all(a["firmware"] == "2.14.0" and a["run_id"] in runs for a in tested)
    assert runs[tested[1]["run_id"]]["charger_serial"] == "ZCS600002"
    assert tested[1]["failing"] == ["RC-06"]
    assert tested[2]["label"]["printed"] is False and "offline" in tested[2]["label"]["error"]
    assert tested[2]["label"]["zpl"].startswith("^XA")  # kept: print it again later
