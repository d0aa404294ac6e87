"""The operator page in headless Chromium (Debian's, through Playwright) through a shift: a good
unit, a failing unit, its retest (sent to repair), a bad scan; what the operator sees, and a
screenshot kept as an artefact (reports/artefacts/eol-operator-page.png)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.report.browser import chromium_and_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTEFACT = ROOT / "reports" / "artefacts" / "eol-operator-page.png"


def test_the_operator_sees_each_unit_and_what_to_do(tmp_path, scanner, station):
    binary, sync_api = chromium_and_playwright()
    st = station("--scanner", scanner.port, "--page-port", "0",
                 "--records", f"sqlite:///{tmp_path / 'records.sqlite'}", "--retests", "1",
                 "--emulate-units", "--station", "line-7", "--operator", "olga",
                 "--defect", "ZCS900002:rcd.self_test=false",
                 "--reports-dir", str(tmp_path / "rep"))
    st.wait_output("scan a unit's label")
    url = re.search(r"operator page: (http://127\.0\.0\.1:\d+/)", st.text).group(1)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=binary,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        verdict = page.locator("#verdict")
        sync_api.expect(verdict).to_have_text("SCAN A UNIT", timeout=20_000)
        sync_api.expect(page.locator("#station")).to_contain_text("line-7", timeout=20_000)
        assert "olga" in page.inner_text("#operator")
        assert "safety_tester (CHROMA19032)" in page.inner_text("#calibration")

        scanner.scan("ZCS900001")
        sync_api.expect(page.locator("#serial")).to_have_text("ZCS900001", timeout=60_000)
        sync_api.expect(verdict).to_have_text("PASS", timeout=120_000)
        assert "test one plug in cycle" in page.inner_text("#steps")
        assert page.locator("#steps li.passed").count() == 4

        scanner.scan("ZCS900002")
        sync_api.expect(verdict).to_have_text("FAIL", timeout=120_000)
        advice = page.inner_text("#advice")
        assert "RC-06: The residual-current self-test did not run or failed." in advice
        assert "What to do: Check the residual-current sensor" in advice
        assert page.inner_text("#disposition") == "Test it again (a retest is allowed)."
        background = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(198, 40, 40)"  # large and red

        scanner.scan("garbage")
        sync_api.expect(page.locator("#message")).to_contain_text("not a serial number",
                                                                  timeout=30_000)
        scanner.scan("ZCS900002")  # its one retest: fails again, to repair
        sync_api.expect(page.locator("#attempt")).to_have_text("attempt 2",
                                                               timeout=60_000)
        sync_api.expect(verdict).to_have_text("FAIL", timeout=120_000)
        sync_api.expect(page.locator("#disposition")).to_have_text(
            "Take the unit to repair.", timeout=30_000)
        counters = page.inner_text("#counters")
        assert re.search(r"tested\s+3", counters) and re.search(r"passed\s+1", counters)
        assert re.search(r"failed\s+2", counters)
        ARTEFACT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACT), full_page=True)
        page.goto(url + "line")  # the line statistics, from the same store
        assert "First-pass yield: 50.0 % (1/2); final yield: 50.0 % (1/2)" in \
            page.inner_text("#yield")
        assert "RC-06" in page.inner_text("#by-requirement")
        assert "n = 3 < 30" in page.inner_text("#cpk")
        assert page.locator("img[alt='ES-01 pe_resistance']").count() == 1
        browser.close()
    scanner.scan("quit")
    assert st.wait(120) == 0, st.text
    assert ARTEFACT.read_bytes()[:4] == b"\x89PNG"
