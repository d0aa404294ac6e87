"""fixtures/allure_rig.py in real plan runs (``--alluredir``), and the single-file Allure 3 report.

The runs are real pytest runs of plan modules against the emulated bench: a compliant one, a
defect one (the contactor opens 150 ms after the vehicle stops: TM-02 FAILs) and one with a rig
file whose EV emulator cannot be reached (a rig ERROR). The checks read the result files allure
writes (labels, links, parameters, steps, attachments, categories.json, environment.properties),
then build the HTML report with the pinned Allure 3 CLI (tools/allure) and read the data it
carries inline.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pytest

from fixtures import allure_rig
from fixtures.allure_rig import CATEGORIES, Stepped, category, describe_call
from fixtures.verdicts import RECORDER_KEY, VerdictFailure
from rig.errors import RigError
from rig.measure import Verdict
from rig.records import RecordStore
from tests.plan.runner import ROOT, run_plan

TOOL = ROOT / "tools" / "allure"
MODULES = ("test_control_pilot.py", "test_timing.py", "test_residual_current.py",
           "test_soft_start.py", "test_meter.py")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---- reading allure's results -------------------------------------------------------------------
class Results:
    """An allure results directory: results by test name, containers, attachments, files."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.results = [json.loads(p.read_text()) for p in folder.glob("*-result.json")]
        self.containers = [json.loads(p.read_text()) for p in folder.glob("*-container.json")]

    def test(self, name: str) -> dict[str, Any]:
        found = [r for r in self.results if r["name"] == name]
        assert len(found) == 1, (name, sorted(r["name"] for r in self.results))
        return found[0]

    def attachment(self, att: dict[str, Any]) -> bytes:
        return (self.folder / att["source"]).read_bytes()

    def categories(self) -> list[dict[str, Any]]:
        return json.loads((self.folder / "categories.json").read_text())

    def environment(self) -> dict[str, str]:
        lines = (self.folder / "environment.properties").read_text("ascii").splitlines()
        return dict(line.split("=", 1) for line in lines if line)


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def steps(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every step, nested ones too."""
    out = []
    for s in items:
        out.append(s)
        out += steps(s.get("steps", []))
    return out


def category_of(result: dict[str, Any], cats: list[dict[str, Any]]) -> str | None:
    """The first category that matches, the way Allure 2 (whole message) and Allure 3 (search)
    both match it."""
    message = (result.get("statusDetails") or {}).get("message", "")
    for c in cats:
        if result["status"] not in c.get("matchedStatuses", []):
            continue
        regex = c.get("messageRegex")
        if regex is None:
            return c["name"]
        java = re.fullmatch(regex, message) is not None
        js = re.search(regex, message) is not None
        assert java == js, (regex, message)
        if java:
            return c["name"]
    return None


# ---- the runs ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path]:
    folder = tmp_path_factory.mktemp("allure-ok")
    url = f"sqlite:///{folder}/records.sqlite"
    run = run_plan(folder, "--alluredir", str(folder / "results"), "--records", url,
                   modules=MODULES)
    assert run.returncode == 0, run.output[-3000:]
    return Results(folder / "results"), folder / "records.sqlite"


@pytest.fixture(scope="module")
def defect(tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("allure-defect")
    run = run_plan(folder, "--alluredir", str(folder / "results"), "--no-records",
                   "--charger-set", "timing.open_after_b_s=0.15", modules=("test_timing.py",))
    assert run.verdict("TM-02") == "FAIL", run.output[-3000:]
    return Results(folder / "results")


def test_labels_from_the_catalogue(compliant):
    results, _ = compliant
    r = results.test("test_contactor_opens_when_vehicle_stops")
    assert labels(r, "epic") == [
        "ZapCharger Pro - IEC 61851-1:2017 / IEC 62955:2018 certification"]
    assert labels(r, "feature") == ["TM Sequence timing"]
    assert labels(r, "story") == ["TM-02 C2 -> B2 (vehicle stops): contactor opens"]
    assert labels(r, "standard") == ["IEC 61851-1:2017"]
    assert "TM-02" in labels(r, "tag")
    assert labels(r, "severity") == ["critical"]
    rc = results.test("test_dc_step_trip_time[RC-02]")  # the id is on the pytest.param
    assert labels(rc, "standard") == ["IEC 62955:2018"]
    assert labels(rc, "severity") == ["blocker"]
    assert "confirm" in labels(rc, "tag")
    several = results.test("test_pwm_levels_frequency_and_edges")
    assert set(labels(several, "tag")) >= {"CP-02", "CP-03", "CP-05"}


def test_a_link_per_requirement_named_by_its_clause(compliant):
    results, _ = compliant
    (link,) = results.test("test_contactor_opens_when_vehicle_stops")["links"]
    assert link["type"] == "tms"
    assert link["name"] == "TM-02: IEC 61851-1:2017 Table A.6, sequence 8.1"
    assert link["url"].startswith("file://") and link["url"].endswith(
        "testplans/iec61851/requirements.yaml#TM-02")


def test_parameters_pytest_and_rig(compliant):
    results, _ = compliant
    r = results.test("test_duty_cycle_for_current[16]")
    params = {p["name"]: p for p in r["parameters"]}
    assert params["current_a"]["value"] == "16"
    assert params["rig"]["value"] == "'rigs/emulator.yaml'" and params["rig"]["excluded"]


def test_steps_of_instrument_actions_and_waits(compliant):
    results, _ = compliant
    r = results.test("test_contactor_closes_after_vehicle_requests_charge")
    names = [s["name"] for s in steps(r["steps"])]
    assert "ev.set_state('C')" in names
    wait = next(s for s in steps(r["steps"]) if s["name"].startswith("trace.wait_for('CONTACTOR'"))
    assert "timeout=9" in wait["name"]  # budget("TM-01"): 3 x the 3 s limit
    params = {p["name"]: p["value"] for p in wait["parameters"]}
    assert params["timeout"] == "9 s"
    assert params["returned"].startswith("Event(") and "CONTACTOR" in params["returned"]
    # a wait inside a wait is not a second step; the charger's own waits are steps of its setup
    assert not any(s["name"].startswith("clock.wait_until") for s in steps(wait.get("steps", [])))
    befores = [b for c in results.containers for b in c.get("befores", [])]
    setup = [s["name"] for b in befores if b["name"] == "charger" for s in steps(b["steps"])]
    assert "clock.wait_until(is_ready, timeout=240, poll=1)" in setup
    soft = results.test("test_soft_start_ramp")
    names = [s["name"] for s in steps(soft["steps"])]
    assert "power_analyser.current(1)" in names
    assert not any(n.startswith("ev.time(") for n in names)  # reads of time are no steps


def test_measurements_and_plots_attached_and_stored(compliant):
    results, store_path = compliant
    for test, plot in [("test_pwm_levels_frequency_and_edges", "cp-waveform.png"),
                       ("test_contactor_opens_when_vehicle_stops", "timeline-tm-02-open_time.png"),
                       ("test_dc_step_trip_time[RC-01]", "trip-curve.png"),
                       ("test_soft_start_ramp", "soft-start-ramp.png"),
                       ("test_current_reading[16]", "meter-errors.png")]:
        atts = {a["name"]: a for a in results.test(test)["attachments"]}
        assert atts[plot]["type"] == "image/png", test
        assert results.attachment(atts[plot]).startswith(PNG_MAGIC), test
        table = results.attachment(atts["measurements"]).decode()
        assert table.startswith("requirement,name,value,unit,low,high"), test
    store = RecordStore(f"sqlite:///{store_path}")
    stored = {(a["requirement"], a["name"]) for a in store.artefacts("latest")}
    store.engine.dispose()
    assert ("TM-02", "timeline-tm-02-open_time.png") in stored
    assert ("RC-01", "trip-curve.png") in stored
    assert ("SS-01", "soft-start-ramp.png") in stored


def test_categories_and_environment(compliant):
    results, _ = compliant
    assert [c["name"] for c in results.categories()] == [
        "Charger failure (FAIL)", "Inconclusive (guarded acceptance)", "Rig error (ERROR)",
        "Framework bug"]
    env = results.environment()
    assert env["plan"].startswith("ZapCharger Pro")
    assert env["rig.file"] == "rigs/emulator.yaml"
    assert env["instrument.ev"].startswith("EVE-1") and "serial EVE1-0042" in env["instrument.ev"]
    assert "calibration due 2099-12-31" in env["instrument.ev"]
    assert "firmware" in env["instrument.power_analyser"]
    assert env["charger.serial"] == "ZCS000001" and env["charger.firmware"] == "2.14.0"
    assert env["charger.overrides"] == "none"
    assert env["plan.verdict"].startswith("PASS")


def test_a_defect_is_a_charger_failure(defect):
    r = defect.test("test_contactor_opens_when_vehicle_stops")
    assert r["status"] == "failed"
    assert r["statusDetails"]["message"].startswith("CHARGER FAIL: ")
    assert category_of(r, defect.categories()) == "Charger failure (FAIL)"
    params = {p["name"]: p["value"] for p in r["parameters"]}
    assert params["charger-set timing.open_after_b_s"] == "'0.15'"
    assert defect.environment()["charger.overrides"] == "timing.open_after_b_s=0.15"
    ok = defect.test("test_contactor_closes_after_vehicle_requests_charge")
    assert ok["status"] == "passed" and category_of(ok, defect.categories()) is None


def test_an_unreachable_instrument_is_a_rig_error(tmp_path):
    text = (ROOT / "rigs" / "emulator.yaml").read_text()
    old = 'resource: !template "$LG_BENCH_EV"'
    assert old in text
    rig = tmp_path / "rig.yaml"
    rig.write_text(text.replace(old, 'resource: "TCPIP0::127.0.0.1::1::SOCKET"', 1))
    run = run_plan(tmp_path, "--alluredir", str(tmp_path / "results"), "--no-records",
                   "--lg-env", str(rig), modules=("test_timing.py",))
    assert run.verdict("TM-01") == "ERROR"
    results = Results(tmp_path / "results")
    (r,) = results.results  # the run stops at the first test: the rig is not usable
    assert r["status"] == "broken"
    assert r["statusDetails"]["message"].startswith("RIG ERROR: ")
    assert "TCPIP0::127.0.0.1::1::SOCKET" in r["statusDetails"]["message"]
    assert category_of(r, results.categories()) == "Rig error (ERROR)"
    assert results.environment()["plan.verdict"].startswith("ERROR")


# ---- units: categories of the other outcomes, the proxy -----------------------------------------
class _Item:
    def __init__(self, verdicts: list[Verdict]):
        self.stash = {RECORDER_KEY: type("R", (), {"measurements": [
            type("M", (), {"verdict": v})() for v in verdicts]})()}


@pytest.mark.parametrize(("exc", "verdicts", "expected"), [
    (VerdictFailure("x"), [Verdict.FAIL, Verdict.INCONCLUSIVE], ("CHARGER FAIL", False)),
    (VerdictFailure("x"), [Verdict.INCONCLUSIVE, Verdict.PASS],
     ("INCONCLUSIVE (guarded acceptance)", False)),
    (RigError("x"), [], ("RIG ERROR", True)),
    (pytest.fail.Exception("precondition: no PWM"), [], ("RIG ERROR", True)),
    (TypeError("x"), [], ("FRAMEWORK BUG", True)),
])
def test_category_of_each_outcome(exc, verdicts, expected):
    prefix, broken = category(_Item(verdicts), exc)  # type: ignore[arg-type]
    assert (prefix, broken) == expected
    result = {"status": "broken" if broken else "failed",
              "statusDetails": {"message": f"{prefix}: {type(exc).__name__}: x"}}
    wanted = {"CHARGER FAIL": "Charger failure (FAIL)", "RIG ERROR": "Rig error (ERROR)",
              "FRAMEWORK BUG": "Framework bug"}.get(prefix, "Inconclusive (guarded acceptance)")
    assert category_of(result, CATEGORIES) == wanted


class _Protocol(ABC):
    @abstractmethod
    def set_state(self, state: str) -> float: ...


class _Driver(_Protocol):
    def __init__(self) -> None:
        self.turns = 1

    def set_state(self, state: str) -> float:
        return 1.5

    def time(self) -> float:
        return 2.0


class _Steps:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def call_step(self, role: str, name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(describe_call(role, name, func, args, kwargs, False)[0])
        return func(*args, **kwargs)


def test_the_proxy_is_transparent():
    driver, rig = _Driver(), _Steps()
    proxy = Stepped(driver, "ev", None, rig)  # type: ignore[arg-type]
    assert isinstance(proxy, _Protocol) and isinstance(proxy, _Driver)
    assert proxy == driver and hash(proxy) == hash(driver) and repr(proxy) == repr(driver)
    assert proxy.set_state("C") == 1.5 and proxy.time() == 2.0
    assert rig.calls == ["ev.set_state('C')"]  # time() is a read, not a step
    proxy.turns = 3
    assert driver.turns == 3 and proxy.turns == 3
    only_waits = Stepped(driver, "trace", frozenset({"wait_for"}), rig)  # type: ignore[arg-type]
    assert only_waits.set_state("B") == 1.5 and len(rig.calls) == 1


def test_a_wait_shows_its_default_timeout():
    def wait_for(kind: str, value: Any = None, after: float | None = None,
                 timeout: float = 5.0, poll: float = 0.05) -> None: ...

    title, timeout = describe_call("trace", "wait_for", wait_for, ("PWM",), {"after": 1.25}, True)
    assert title == "trace.wait_for('PWM', after=1.25, timeout=5)" and timeout == 5.0


def test_nothing_is_registered_without_alluredir():
    registered = []
    config = type("C", (), {"option": type("O", (), {"allure_report_dir": None})(),
                            "pluginmanager": type("P", (), {
                                "get_plugin": lambda self, n: object(),
                                "register": lambda self, p, n: registered.append(n)})()})()
    allure_rig.pytest_configure(config)  # type: ignore[arg-type]
    assert registered == []


# ---- the single-file HTML report ----------------------------------------------------------------
def _allure_cli() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (Allure 3 runs on Node.js; see README, Reports)")
    if not (TOOL / "node_modules" / "allure" / "cli.js").exists():
        if os.environ.get("RIG_TEST_ALLURE_REQUIRED"):
            pytest.fail(f"Allure 3 is not installed in {TOOL} (npm ci) but CI requires it")
        pytest.skip(f"Allure 3 is not installed: run `npm ci` in {TOOL} (make report does)")


def test_single_file_html_report(defect, tmp_path):
    _allure_cli()
    out = tmp_path / "allure-report"
    proc = subprocess.run(["node", str(TOOL / "build.mjs"), str(defect.folder), str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = out / "index.html"
    assert index.is_file()
    assert [p for p in out.iterdir() if p.is_dir()] == []  # no asset folder next to it
    html = index.read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", html)  # offline
    data = {m.group(1): base64.b64decode(m.group(2))
            for m in re.finditer(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)}
    tests = [json.loads(v) for k, v in data.items() if k.startswith("data/test-results/")]
    assert len(tests) == 6
    ids = {label["value"] for t in tests for label in t["labels"] if label["name"] == "tag"}
    assert {"TM-01", "TM-02", "TM-03", "TM-04", "TM-05", "TM-06"} <= ids
    failed = next(t for t in tests if t["status"] == "failed")
    assert failed["categories"][0]["name"] == "Charger failure (FAIL)"
    assert any(k.endswith(".png") and v.startswith(PNG_MAGIC) for k, v in data.items())
    env = json.loads(data["widgets/allure_environment.json"])
    assert {"name": "charger.overrides", "values": ["timing.open_after_b_s=0.15"]} in env
