"""A fault in the middle of a unit: the EV emulator's link drops during the plug-in cycle. One
clear message, the unit never PASS (ERROR: not judged, not counted), its record keeps what was
measured before, the rig ends safe and the station goes on with the next scan."""

from __future__ import annotations

from rig.records import RecordStore


def test_an_instrument_dropping_out_mid_unit(tmp_path, scanner, station):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    st = station("--scanner", scanner.port, "--records", url, "--emulate-units",
                 "--reports-dir", str(tmp_path / "rep"), "--max-units", "2",
                 "--plan-arg=-p", "--plan-arg=tests.faults.inject", "--plan-arg=--rig-fault",
                 "--plan-arg=TM-02=drop:ev")
    st.wait_output("scan a unit's label")
    scanner.scan("ZCS970001")
    st.wait_output("ZCS970001  ERROR")
    scanner.scan("ZCS970001")  # not counted: the same unit may be tested again at once
    assert st.wait() == 0, st.text
    text = st.text
    assert "the rig failed, the unit was not judged" in text and "ev at TCPIP0" in text
    with RecordStore(url) as store:
        attempts = store.eol_attempts(serial="ZCS970001")
        first = attempts[0]
        measured = {m["requirement"] for m in store.measurements(first["run_id"])}
        notes = store.run(first["run_id"])["notes"] or []
    assert [(a["outcome"], a["disposition"], a["attempt"]) for a in attempts] == [
        ("ERROR", "rig_error", 1), ("ERROR", "rig_error", 1)]
    assert {"ES-01", "ES-02", "ES-03", "CP-01", "PR-08"} <= measured  # kept
    assert not any("safe state not reached" in n for n in notes), notes

