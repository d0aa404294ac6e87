"""Trends: a requirement's values across real runs, as ``rig trend`` prints and plots them and
as the report's trend section shows them (in headless Chromium).

Three runs of the timing module against the emulated charger drift the way a nightly run
would see it: TM-02 opens after 50 ms, then 80 ms (still a PASS, with less margin), then
150 ms with new firmware (FAIL). A fourth run is killed after its first measurement.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rig.cli import main
from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordStore
from rig.report import trends
from rig.report.html import build_report
from tests.plan.runner import run_plan
from tests.report.browser import chromium_and_playwright

DRIFT = (("0.05", "2.14.0"), ("0.08", "2.14.0"), ("0.15", "2.15.0"))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("trend")
    url = f"sqlite:///{tmp / 'records.sqlite'}"
    for i, (open_s, firmware) in enumerate(DRIFT):
        folder = tmp / f"run{i}"
        folder.mkdir()
        result = run_plan(folder, "--records", url, "--charger-set",
                          f"timing.open_after_b_s={open_s}", "--charger-set",
                          f"identity.firmware={firmware}", modules=("test_timing.py",))
        assert result.verdict("TM-02") == ("FAIL" if open_s == "0.15" else "PASS"), (
            result.output[-2000:])
    with RecordStore(url) as store:
        plan = store.run("latest")["plan"]
        killed = store.start_run(plan=plan, charger_firmware="2.15.0")
        store.add_measurement(killed, Measurement(
            "TM-02", "open_time", 0.09, "s", Limit("s", None, 0.1), 8.2e-7, "simple",
            Verdict.PASS))
    return {"url": url, "tmp": tmp, "killed": killed}


ROW = re.compile(r"^\s*(\d+)\s+\S+ \S+\s+(.+?)\s+(\S+)\s+open_time\s+(\S+)\s+s\s+(\S+)\s+"
                 r"(PASS|FAIL|INCONCLUSIVE|ERROR)\b")


def _table(out: str) -> list[tuple[str, ...]]:
    """(run, status, firmware, value, U, verdict) of each TM-02 line of ``rig trend``."""
    return [m.groups() for m in map(ROW.match, out.splitlines()) if m]


def test_rig_trend_prints_the_values_oldest_first_and_plots_them(history, tmp_path, capsys):
    png = tmp_path / "tm02.png"
    assert main(["trend", "TM-02", "--records", history["url"], "--out", str(png)]) == 0
    out = capsys.readouterr().out
    assert "plan: ZapCharger Pro" in out
    rows = _table(out)
    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        ("complete", "2.14.0", "0.05", "PASS"), ("complete", "2.14.0", "0.08", "PASS"),
        ("complete", "2.15.0", "0.15", "FAIL"), ("running (incomplete)", "2.15.0", "0.09", "PASS")]
    assert all(r[4] == "8.2e-07" for r in rows)
    assert f"plot: {png}" in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_rig_trend_limit_name_and_a_requirement_never_measured(history, tmp_path, capsys):
    png = tmp_path / "last2.png"
    assert main(["trend", "TM-02", "--records", history["url"], "--limit", "2",
                 "--name", "open_time", "--out", str(png)]) == 0
    rows = _table(capsys.readouterr().out)
    assert [r[3] for r in rows] == ["0.15", "0.09"] and png.exists()
    assert main(["trend", "TM-02", "--records", history["url"], "--name", "nothing"]) == 1
    assert "no measurement of TM-02 nothing" in capsys.readouterr().err
    assert main(["trend", "PR-02", "--records", history["url"]]) == 1


def test_one_point_per_run_the_worst_test_point():
    def point(run: int, value: float, verdict: str = "PASS") -> dict[str, Any]:
        return {"run_id": run, "requirement": "CP-04", "name": "deviation", "value": value,
                "low": -0.5, "high": 0.5, "verdict": verdict}

    points = [point(1, 0.0), point(1, -0.4), point(1, 0.2), point(2, 0.45),
              point(2, 0.49, "INCONCLUSIVE"), point(2, 0.1, "FAIL"), point(3, True)]
    worst = trends.worst_per_run(points)
    assert [(p["run_id"], p["value"], p["points"]) for p in worst] == [(1, -0.4, 3), (2, 0.1, 3)]
    assert trends.margin(point(1, 0.6)) == pytest.approx(-0.1)


def test_the_report_shows_history_up_to_its_run_only(history):
    with RecordStore(history["url"]) as store:
        first = store.runs(limit=10)[-1]["id"]
        context_first = _trend_of(store, first)
        context_last = _trend_of(store, "latest")
    assert [p["value"] for p in context_first["points"]] == ["0.05000000"]
    assert [p["value"] for p in context_last["points"]] == [
        "0.05000000", "0.08000000", "0.15000000", "0.09000000"]
    assert context_last["points"][-1]["status"] == "running (incomplete)"
    assert context_last["src"] is not None and context_first["src"] is None


def _trend_of(store: RecordStore, run: int | str) -> dict[str, Any]:
    from rig.report.html import report_context

    series = report_context(store, run)["trends"]["series"]
    return next(s for s in series if (s["id"], s["name"]) == ("TM-02", "open_time"))


def test_without_plots_the_trend_is_a_table(history, monkeypatch):
    monkeypatch.setattr(trends, "trend_png", lambda *a, **k: None)
    with RecordStore(history["url"]) as store:
        html = build_report(store, "latest")
    section = html[html.index('<section id="trends"'):]
    assert "<img" not in section and 'class="grid small trend-table"' in section
    assert "<details>" not in section


@pytest.fixture(scope="module")
def page(history: dict[str, Any]) -> Any:
    binary, sync_api = chromium_and_playwright()
    out = Path(history["tmp"]) / "report.html"
    with RecordStore(history["url"]) as store:
        out.write_text(build_report(store, "latest"), encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=binary,
                                      args=["--no-sandbox", "--disable-gpu"])
        tab = chromium.new_page()
        requests: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto(out.resolve().as_uri(), wait_until="load")
        tab.requests = requests  # type: ignore[attr-defined]
        yield tab
        chromium.close()


def test_the_trend_section_in_chromium(page):
    card = page.locator("#trends .trend[data-requirement=TM-02][data-name=open_time]")
    assert card.is_visible()
    summary = " ".join(card.locator(".trend-summary").inner_text().split())
    assert "≤ 0.1 s · 4 run(s) · this run 0.09000000 s PASS" in summary
    assert "margin to the limit 0.05 → 0.01" in summary
    image = card.locator("img")
    assert image.evaluate("i => i.complete && i.naturalWidth > 0")
    assert not card.locator("table").is_visible()  # the values fold under the plot
    card.locator("summary").click()
    rows = card.locator("table tbody tr")
    assert rows.count() == 4 and "(this)" in rows.nth(3).inner_text()
    assert rows.nth(2).locator("span.verdict-fail").inner_text() == "FAIL"
    assert all(u == page.url or u.startswith("data:") for u in page.requests)
