"""The compliance report, built from real plan runs' records and read in headless Chromium.

The runs are real pytest runs of plan modules against the emulated bench (a compliant one, a
defect one with a FAIL and INCONCLUSIVEs); a killed run and an interrupted one with a rig ERROR,
a calibration override and a lost catalogue are written through the store's own API, the way
the plugin leaves them. Chromium (Debian's, through Playwright's ``executable_path``) opens
each report from disk, and the checks read what a reader sees: visible text, the verdict
cells and their classes, that every image decoded, that nothing was fetched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rig.cli import main
from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordStore
from rig.report import fmt
from rig.report.html import build_report
from rig.report.pdf import find_chromium
from tests.plan.runner import run_plan
from tests.report.browser import chromium_and_playwright

OPERATOR = "Ada Tester"
DEFECT = ("timing.open_after_b_s=0.15", "meter.current_gain_pct=0.9")
CATALOGUE = Path(__file__).resolve().parents[2] / "testplans/iec61851/requirements.yaml"


# ---- the records: two real runs, a killed one and an interrupted one ----------------------------
def _plan(folder: Path, url: str, *args: str, modules: tuple[str, ...]) -> None:
    folder.mkdir(parents=True)
    result = run_plan(folder, "--records", url, "--operator", OPERATOR, *args, modules=modules)
    assert result.verdicts, result.output[-3000:]


def _add_plots(store: RecordStore, run: int) -> None:
    """The plots of each test, kept as the allure plugin keeps them (``plots_for`` per test and
    group, stored as artefacts of the run), and a file that is not an image."""
    from rig.report.plots import plots_for

    by_test: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in store.measurements(run):
        by_test.setdefault((m["test"], m["requirement"].split("-")[0]), []).append(m)
    for (test, group), measured in by_test.items():
        for name, png in plots_for(group, measured):
            store.add_artefact(run, name, png, "image/png",
                               requirement=measured[0]["requirement"], test=test)
    store.add_artefact(run, "trace.csv", "t,kind,value\n0.0,STATE,A\n", "text/csv",
                       requirement="TM-02")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{tmp / 'records.sqlite'}"
    _plan(tmp / "good", url, modules=("test_timing.py", "test_control_pilot.py"))
    sets = [arg for item in DEFECT for arg in ("--charger-set", item)]
    _plan(tmp / "defect", url, *sets,
          modules=("test_timing.py", "test_control_pilot.py", "test_meter.py"))
    with RecordStore(url) as store:
        defect = store.run("latest")
        _add_plots(store, defect["id"])
        catalogue = [{"id": r["requirement"], **{k: r[k] for k in (
            "title", "clause", "source", "confirm", "decision_rule")}}
            for r in store.requirements(defect["id"])]
        killed = store.start_run(
            plan=defect["plan"], catalogue=str(CATALOGUE), requirements=catalogue,
            operator=OPERATOR, charger_serial="ZCS000001", charger_firmware="2.14.0")
        store.add_measurement(killed, Measurement(
            "TM-02", "open_time", 0.05, "s", Limit("s", None, 0.1), 8.2e-7, "simple",
            Verdict.PASS))
        broken = store.start_run(
            plan=defect["plan"], catalogue="/nowhere/requirements.yaml", requirements=catalogue,
            operator=OPERATOR, charger_serial="ZCS000001", charger_firmware="2.14.0",
            calibration_note="calibration override by alice on 2026-11-25: ev (due "
            "2020-01-01); reason: recalibration booked")
        store.add_measurement(broken, Measurement(
            "TM-02", "open_time", 0.05, "s", Limit("s", None, 0.1), 8.2e-7, "simple",
            Verdict.PASS))
        store.add_outcome(broken, "TM-01", Verdict.ERROR,
                          "RigError: ev: no answer to MEAS:CP:STAT? within 5 s")
        store.finish_run(broken, "interrupted")
        return {"url": url, "tmp": tmp, "defect": defect["id"], "killed": killed,
                "broken": broken, "good": defect["id"] - 1}


@pytest.fixture(scope="module")
def browser() -> Any:
    binary, sync_api = chromium_and_playwright()
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=binary,
                                      args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


class Opened:
    """A report open in Chromium, with every request the page made."""

    def __init__(self, browser: Any, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def text(self, selector: str) -> str:
        """What a reader sees of an element (inner_text: rendered, hidden parts left out)."""
        element = self.page.locator(selector)
        assert element.count() >= 1, f"{selector} not in the report"
        assert element.first.is_visible(), f"{selector} is not visible"
        return " ".join(element.first.inner_text().split())


def _open(browser: Any, records: dict[str, Any], run: str, name: str) -> Opened:
    out = records["tmp"] / f"{name}.html"
    assert main(["report", str(records[run]), "--records", records["url"],
                 "--out", str(out)]) == 0
    return Opened(browser, out)


@pytest.fixture(scope="module")
def defect_report(browser: Any, records: dict[str, Any]) -> Opened:
    opened = _open(browser, records, "defect", "defect")
    yield opened
    opened.page.close()


# ---- what a reader sees ------------------------------------------------------------------------
def test_cover_shows_the_charger_date_operator_and_standards(defect_report, records):
    with RecordStore(records["url"]) as store:
        run = store.run(records["defect"])
    cover = defect_report.text("#cover")
    assert "COMPLIANCE TEST REPORT" in cover  # as the reader sees it (CSS upper case)
    assert run["plan"] in cover
    assert defect_report.text("#dut-serial") == "ZCS000001"
    assert defect_report.text("#dut-firmware") == "2.14.0"
    assert fmt.when(run["started"]) in defect_report.text("#run-date")
    assert defect_report.text("#operator") == OPERATOR
    for item in DEFECT:
        assert item in defect_report.text("#overrides")
    standards = defect_report.text("#standards")
    for standard, edition in (("IEC 61851-1", "2017"), ("IEC 62955", "2018")):
        assert re.search(rf"{standard} {edition}\b", standards), standards
    assert "rigs/emulator.yaml" in cover
    assert defect_report.page.locator("#status-banner").count() == 0


def test_summary_shows_the_counts_and_the_overall_verdict(defect_report, records):
    with RecordStore(records["url"]) as store:
        summary = store.run(records["defect"])["summary"]
    assert summary["FAIL"] == 1 and summary["INCONCLUSIVE"] >= 1
    for verdict in ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN"):
        assert defect_report.text(f"#summary td[data-verdict={verdict}]") == str(summary[verdict])
    assert defect_report.text("#summary td[data-verdict=total]") == "45"
    overall = defect_report.page.locator("#overall-verdict")
    assert overall.inner_text() == "FAIL" and "verdict-fail" in overall.get_attribute("class")
    assert re.search(r"Bench time (\d+ h )?\d+ min", defect_report.text("#summary"))


def test_clause_table_has_one_row_per_measurement_with_its_verdict(defect_report, records):
    with RecordStore(records["url"]) as store:  # catalogue order, then as measured
        order = [r["requirement"] for r in store.requirements(records["defect"])]
        taken = store.measurements(records["defect"])
    measured = [m for rid in order for m in taken if m["requirement"] == rid]
    rows = defect_report.page.locator("#clauses tr.measurement")
    assert rows.count() == len(measured) > 40
    for i, m in enumerate(measured):
        row = rows.nth(i)
        assert row.get_attribute("data-requirement") == m["requirement"]
        assert row.get_attribute("data-name") == m["name"]
        cell = row.locator("td.c-verdict span")
        assert cell.inner_text() == m["verdict"]
        assert f"verdict-{m['verdict'].lower()}" in cell.get_attribute("class")
    tm02 = " ".join(defect_report.page.locator(
        "#clauses tr.measurement[data-requirement=TM-02]").inner_text().split())
    assert tm02.startswith("open_time") and "0.15000000 s" in tm02 and "≤ 0.1 s" in tm02
    assert "8.2e-07 s" in tm02 and tm02.endswith("FAIL")
    cp04 = defect_report.page.locator("#clauses tr.measurement[data-requirement=CP-04]")
    assert cp04.count() == 7 and "current_a=32" in cp04.nth(6).inner_text()
    head = defect_report.text("#req-MT-01 tr.req-head")
    assert "IEC 62053-21" in head and "rule guarded" in head and head.endswith("INCONCLUSIVE")


def test_inconclusive_and_error_look_different_from_pass_and_fail(defect_report):
    def style(selector: str) -> tuple[str, ...]:
        return tuple(defect_report.page.locator(selector).first.evaluate(
            "e => { const s = getComputedStyle(e);"
            " return [s.color, s.backgroundColor, s.borderTopStyle]; }"))

    looks = {v: style(f"#summary td[data-verdict={v}]") for v in (
        "PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN")}
    assert len(set(looks.values())) == 5, looks
    inconclusive = style("#clauses span.verdict-inconclusive")
    fail = style("#clauses span.verdict-fail")
    assert inconclusive[2] == "dashed" and inconclusive[:2] != fail[:2]


def test_every_image_loaded_and_nothing_was_fetched(defect_report, records):
    images = defect_report.page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth, i.src.slice(0, 15)])")
    assert len(images) >= 20 + 10  # the run's plots and the trend plots
    for alt, complete, width, src in images:
        assert complete and width > 0, f"image {alt} did not load"
        assert src.startswith("data:image/"), alt
    alts = {alt for alt, *_ in images}
    assert {"TM-02 timeline-tm-02-open_time.png", "MT-01 meter-errors.png",
            "CP-04 cp-waveform.png", "trend of TM-02 open_time"} <= alts
    page_url = defect_report.page.url
    assert all(u == page_url or u.startswith("data:") for u in defect_report.requests), (
        defect_report.requests)
    with RecordStore(records["url"]) as store:
        kept = [a for a in store.artefacts(records["defect"], content=False)
                if a["mime_type"] == "image/png"]
    assert defect_report.page.locator("#plots figure img").count() == len(kept)
    cp04 = defect_report.page.locator("#plots .plot-group[data-requirement=CP-04] img")
    assert cp04.count() == 7
    assert "trace.csv" in defect_report.text("#plots")


def test_not_run_errors_and_confirm_sections(defect_report):
    pr02 = defect_report.text("#not-run tr[data-requirement=PR-02]")
    assert pr02.startswith("PR-02") and "no test implements this requirement yet" in pr02
    assert defect_report.page.locator("#not-run tr[data-requirement=TM-02]").count() == 0
    assert "No requirement ended in ERROR" in defect_report.text("#errors")
    cp04 = defect_report.text("#confirm tr[data-requirement=CP-04]")
    assert "consensus" in cp04 and "deviation: -0.5 … 0.5 %" in cp04
    assert "Tolerance +/-0.5 % points" in cp04
    rules = defect_report.text("#decision-rules")
    assert "ILAC-G8" in rules and "INCONCLUSIVE" in rules and "k = 2" in rules
    assert rules.count("rectangular") == 1 and "SU-01 guarded" in rules


def test_instruments_with_calibration_and_accuracy(defect_report, records):
    with RecordStore(records["url"]) as store:
        due = {i["role"]: i["calibration_due"] for i in store.instruments(records["defect"])}
    ev = defect_report.text("#instruments tr[data-role=ev]")
    assert "EVE-1" in ev and "EVE1-0042" in ev and f"{due['ev']} valid on" in ev
    analyser = defect_report.text("#instruments tr[data-role=power_analyser]")
    assert "YOKOGAWA" in analyser and "current: ± 0.1 % of reading + 0.1 % of range" in analyser


def test_a_killed_run_shows_the_incomplete_banner(browser, records):
    opened = _open(browser, records, "killed", "killed")
    banner = opened.text("#status-banner")
    assert banner.startswith("INCOMPLETE RUN.") and "never finished" in banner
    assert "Overall verdict (so far)" in opened.text("#cover")
    assert opened.page.locator("#clauses tr.measurement").count() == 1
    opened.page.close()


def test_an_interrupted_run_with_an_error_override_and_no_catalogue(browser, records):
    opened = _open(browser, records, "broken", "broken")
    assert opened.text("#status-banner").startswith("INTERRUPTED RUN.")
    notice = opened.text("#calibration-notice")
    assert "CALIBRATION OVERRIDE" in notice and "recalibration booked" in notice
    assert "/nowhere/requirements.yaml is not available" in opened.text("#catalogue-problem")
    assert "Standards and editions cannot be listed" in opened.text("#standards")
    error = opened.text("#errors tr[data-requirement=TM-01]")
    assert "no answer to MEAS:CP:STAT? within 5 s" in error
    cell = opened.page.locator("#req-TM-01 td.c-verdict span").first
    assert cell.inner_text() == "ERROR" and "verdict-error" in cell.get_attribute("class")
    assert "note not available" in opened.text("#confirm tr[data-requirement=CP-04]")
    opened.page.close()


# ---- the HTML itself, the command, the PDF -----------------------------------------------------
def test_the_html_is_self_contained(records):
    with RecordStore(records["url"]) as store:
        html = build_report(store, records["defect"])
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert not re.search(r"url\(", html)


def test_text_from_the_records_never_becomes_markup(tmp_path):
    with RecordStore(f"sqlite:///{tmp_path / 'records.sqlite'}") as store:
        run = store.start_run(plan="<b>plan</b>", operator="<script>alert(1)</script>",
                              requirements=[{"id": "TM-02", "title": "<img src=x>"}])
        store.finish_run(run, "failed", notes=["<iframe>"])
        html = build_report(store, run)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html and "<iframe>" not in html and "<b>plan</b>" not in html
    assert 'id="status-banner" class="banner banner-failed"' in html


def test_rig_report_writes_reports_report_uuid_html_by_default(records, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.setattr("rig.report.commands.reports_dir", lambda: tmp_path / "reports")
    assert main(["report", "--records", records["url"], "--trend-runs", "0"]) == 0
    with RecordStore(records["url"]) as store:
        latest = store.run("latest")
    expected = tmp_path / "reports" / f"report-{latest['uuid']}.html"
    assert capsys.readouterr().out.strip() == str(expected)
    assert expected.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_rig_report_names_what_is_missing(records, tmp_path, capsys):
    assert main(["report", "9999", "--records", records["url"]]) == 2
    assert "no run '9999'" in capsys.readouterr().err
    assert main(["report", "--records", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    assert "no records yet" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_pdf_through_chromium(records, tmp_path, capsys):
    out = tmp_path / "report.html"
    code = main(["report", str(records["defect"]), "--records", records["url"],
                 "--out", str(out), "--pdf", "--trend-runs", "0"])
    printed = capsys.readouterr()
    if find_chromium() is None:
        assert code == 1 and "PDF needs Chromium" in printed.err and out.exists()
        pytest.skip("no Chromium: the message is checked, not the PDF")
    assert code == 0, printed.err
    pdf = tmp_path / "report.pdf"
    assert printed.out.split() == [str(out), str(pdf)]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 4
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "ZCS000001" in text and "Results clause by clause" in text


def test_without_chromium_the_pdf_is_refused_clearly(records, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("rig.report.pdf.find_chromium", lambda: None)
    out = tmp_path / "report.html"
    assert main(["report", str(records["good"]), "--records", records["url"], "--out",
                 str(out), "--pdf", "--trend-runs", "0"]) == 1
    err = capsys.readouterr().err
    assert "PDF needs Chromium (apt-get install chromium)" in err and str(out) in err
    assert out.exists() and not out.with_suffix(".pdf").exists()


# ---- numbers as a certificate shows them --------------------------------------------------------
@pytest.mark.parametrize(("value", "u", "shown"), [
    (0.15000000000000568, 8.2e-7, "0.15000000"),
    (12.0, 0.011547, "12.000"),
    (0.9057971, 0.137, "0.91"),
    (1000.0, 0.115, "1000.00"),
    (6.0097, None, "6.0097"),
    (1234.6, 12.0, "1235"),
    (1234.6, 120.0, "1230"),
    (True, 0.0, "true"),
    ("BLUE,FLASH", None, "BLUE,FLASH"),
    (float("inf"), None, "inf"),
])
def test_values_are_rounded_to_their_uncertainty(value, u, shown):
    assert fmt.value(value, u) == shown
