"""The station's parts on their own: retest policy, ZPL labels and printers, the scanner on a
pseudo-terminal, the catalogue inheritance of the EOL plan, the record store's schema 2."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from rig.catalogue import load_catalogue
from rig.eol import policy
from rig.eol.labels import Printer, PrinterError, zpl_label
from rig.eol.scanner import BadScan, SerialScanner, check_serial
from rig.errors import ConfigError
from rig.records import RecordStore
from rig.records import schema as t

PASS = {"outcome": "PASS"}
FAIL = {"outcome": "FAIL"}
REFUSED = {"outcome": "REFUSED"}
ERROR = {"outcome": "ERROR"}


# ---- retest policy ----------------------------------------------------------------------------
def test_a_new_unit_and_its_retests():
    assert policy.decide([], retests=1) == policy.Decision(True, 1, state="new")
    assert policy.decide([FAIL], retests=1).allowed  # one retest
    d = policy.decide([FAIL, FAIL], retests=1)
    assert not d.allowed and d.state == "repair"
    assert "failed 2 times and was sent to repair" in d.reason
    assert "supervisor" in d.reason


def test_rig_errors_and_refusals_never_count_as_attempts():
    d = policy.decide([ERROR, REFUSED, ERROR, FAIL], retests=1)
    assert d.allowed and d.attempt == 2 and d.state == "retest"


def test_a_passed_unit_is_refused_until_a_supervisor_overrides():
    d = policy.decide([FAIL, PASS], retests=3)
    assert not d.allowed and d.state == "passed" and "already passed" in d.reason
    d = policy.decide([FAIL, PASS], retests=3, override_by="alice")
    assert d.allowed and "let in by alice" in d.reason and d.attempt == 3


def test_an_override_starts_the_count_again():
    history = [FAIL, FAIL, {"outcome": "FAIL", "override_by": "alice"}]
    assert policy.fails_since_override(history) == 1
    assert policy.decide(history, retests=1).allowed  # repaired: its retest again
    assert policy.disposition("FAIL", 1, retests=1) == "repair"
    assert policy.disposition("FAIL", 0, retests=1) == "retest"
    assert policy.disposition("PASS", 5, retests=1) == "passed"
    assert policy.disposition("ERROR", 0, retests=1) == "rig_error"


# ---- labels and printers ----------------------------------------------------------------------
def test_zpl_label_holds_serial_barcode_outcome_and_no_injected_commands():
    zpl = zpl_label("ZCS123456", "PASS", "line-1^XZ", 0.0, "2.14.0", "ES-01~JA")
    assert zpl.startswith("^XA\n") and zpl.endswith("^XZ\n")
    assert "^FDZCS123456^FS" in zpl and "^BCN,80,N,N,N^FDZCS123456^FS" in zpl
    assert "^FDPASS^FS" in zpl and "fw 2.14.0" in zpl
    assert zpl.count("^XZ") == 1 and "~JA" not in zpl  # the station name cannot end the label


def test_a_label_reaches_a_raw_tcp_printer(printer):
    Printer(printer.target).print(zpl_label("ZCS123456", "PASS", "s", 0.0, None))
    deadline = time.monotonic() + 5
    while not printer.labels and time.monotonic() < deadline:
        time.sleep(0.01)
    assert printer.labels[0].startswith(b"^XA") and b"ZCS123456" in printer.labels[0]


def test_an_offline_printer_is_one_clear_error(printer):
    target = printer.target
    printer.close()
    with pytest.raises(PrinterError, match=r"label printer tcp:127\.0\.0\.1:\d+ is offline"):
        Printer(target).print("^XA^XZ")


def test_a_file_printer_appends(tmp_path):
    out = tmp_path / "labels" / "line.zpl"
    Printer(f"file:{out}").print("^XA^FDone^FS^XZ\n")
    Printer(f"file:{out}").print("^XA^FDtwo^FS^XZ\n")
    assert out.read_text().count("^XA") == 2
    with pytest.raises(ValueError, match="file:PATH or tcp:HOST:PORT"):
        Printer("lpt1")


# ---- scanner -----------------------------------------------------------------------------------
def test_scanner_on_a_serial_port_separates_garbage_from_serials(scanner):
    port = SerialScanner(scanner.port)  # opening a port flushes what came before
    scanner.scan(b"\x1b\xff\x00ZC")
    scanner.scan("ZCS000042")
    scanner.scan("  ")
    scanner.scan("ZCS0000421")
    deadline = time.monotonic() + 10
    try:
        lines = port.lines(stop=lambda: time.monotonic() > deadline)
        first = next(lines)
        with pytest.raises(BadScan, match=r"not a serial number \(ZCS and 6 digits\)"):
            check_serial(first)
        assert check_serial(next(lines)) == "ZCS000042"
        with pytest.raises(BadScan, match="'ZCS0000421'"):
            check_serial(next(lines))
    finally:
        port.close()


# ---- catalogue inheritance --------------------------------------------------------------------
BASE = "testplans/iec61851/requirements.yaml"


def _catalogue(tmp_path, inherit: str, own: str = "") -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "requirements.yaml"
    path.write_text(f"plan: x\ninherit:\n  catalogue: {root / BASE}\n{inherit}"
                    f"groups: {{}}\nrequirements:\n{own or '  {}'}\n".replace(
                        "requirements:\n  {}", "requirements: {}"))
    return str(path)


def test_the_eol_catalogue_inherits_limits_instead_of_copying_them():
    eol = load_catalogue("testplans/eol/requirements.yaml")
    cert = load_catalogue(BASE)
    assert set(eol.requirements) == {
        "PR-08", "CP-01", "CP-02", "CP-03", "CP-04", "TM-01", "TM-02", "RC-01", "RC-05",
        "RC-06", "MT-01", "MT-02", "PR-01", "ES-01", "ES-02", "ES-03", "ID-01"}
    for rid in ("TM-02", "RC-01", "MT-01"):
        assert eol.requirements[rid].limits == cert.requirements[rid].limits
        assert eol.rule(rid) == cert.rule(rid)
    assert eol.params("CP-04")["currents_a"] == [10, 32]
    assert cert.params("CP-04")["currents_a"] == [6, 10, 13, 16, 20, 25, 32]  # untouched
    assert all(eol.requirements[r].confirm for r in ("ES-01", "ES-02", "ES-03"))


@pytest.mark.parametrize(("inherit", "key", "expected"), [
    ("  requirements: [CP-01, XX-01]\n", "inherit.requirements", "it has no XX-01"),
    ("  requirements: [CP-01]\n  parameters: {CP-01: {nope: 1}}\n",
     "inherit.parameters.CP-01.nope", "a parameter of CP-01"),
    ("  requirements: [CP-01]\n  parameters: {CP-04: {currents_a: [6]}}\n",
     "inherit.parameters.CP-04", "an id listed in inherit.requirements"),
])
def test_inheritance_mistakes_name_the_file_and_key(tmp_path, inherit, key, expected):
    path = _catalogue(tmp_path, inherit)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert info.value.source == path and info.value.key == key
    assert expected in info.value.expected


# ---- the record store: schema 2 ----------------------------------------------------------------
def test_a_version_1_store_is_read_and_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    with RecordStore(url) as store:  # make it look like a store written before the station
        with store.engine.begin() as conn:
            conn.execute(t.eol_attempts.delete())
            conn.execute(sa.text("DROP TABLE eol_attempts"))
            conn.execute(t.meta.update().where(t.meta.c.key == "schema"), {"value": "1"})
        run = store.start_run(plan="old plan")
        store.finish_run(run, summary={"verdict": "PASS"})
    with RecordStore(url) as store:
        assert store.run(run)["plan"] == "old plan"  # still readable
        with store.engine.begin() as conn:
            assert conn.execute(sa.select(t.meta.c.value)).scalar() == "2"
        attempt = store.add_eol_attempt(serial="ZCS000001", station="s1", started=1.0,
                                        attempt=1, outcome="PASS", disposition="passed")
        rows = store.eol_attempts(serial="ZCS000001")
        assert [(r["id"], r["outcome"], r["station"]) for r in rows] == [(attempt, "PASS", "s1")]


def test_keyboard_entry_gives_lines_as_typed():
    import io

    from rig.eol.scanner import KeyboardScanner

    typed = io.StringIO("ZCS000042\n\n  \noverride alice ZCS000042\r\nquit\n")
    assert list(KeyboardScanner(typed).lines()) == [
        "ZCS000042", "override alice ZCS000042", "quit"]  # blank lines are no scans
