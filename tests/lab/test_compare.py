"""``rig compare OLD NEW``: real plan runs compared through their verdicts files and through
the record store, the classification on hand-made files, exit status and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rig.compare import compare, from_verdicts_file
from tests.plan.runner import ROOT, run_plan


def rig(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rig.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, Path]:
    """Three nights of TM-01 and TM-02 into one store: compliant (TM-02's contactor opens after
    50 ms), drifting (90 ms, still PASS) and broken (150 ms, FAIL)."""
    folder = tmp_path_factory.mktemp("nights")
    store = f"sqlite:///{folder / 'records.sqlite'}"
    out = {"store": store}
    for name, open_s in (("good", 0.05), ("drift", 0.09), ("bad", 0.15)):
        night = folder / name
        run = run_plan(night, "--charger-set", f"timing.open_after_b_s={open_s}",
                       "--records", store, "-k", "vehicle_requests_charge or vehicle_stops",
                       modules=("test_timing.py",))
        assert run.verdicts, run.output
        out[name] = night / "verdicts.json"
    return out


def test_a_new_fail_fails_ci_and_names_the_requirement(nights):
    result = rig("compare", str(nights["drift"]), str(nights["bad"]))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TM-02   PASS         -> FAIL" in result.stdout
    assert "regressions (new FAIL or ERROR): TM-02 FAIL" in result.stdout


def test_a_drift_that_still_passes_shows_as_a_moved_measurement(nights):
    result = rig("compare", str(nights["good"]), str(nights["drift"]), "--json",
                 str(nights["good"].parent / "cmp.json"))
    assert result.returncode == 0, result.stdout + result.stderr  # nothing got worse
    data = json.loads((nights["good"].parent / "cmp.json").read_text())
    assert data["changes"] == [] and data["regressions"] == []
    moved = {(m["requirement"], m["name"]): m for m in data["moved"]}
    tm02 = moved[("TM-02", "open_time")]
    assert tm02["old"] == pytest.approx(0.05) and tm02["new"] == pytest.approx(0.09)
    assert tm02["en"] > 1
    assert all(m["requirement"] == "TM-02" for m in data["moved"]), data["moved"]


def test_better_is_not_a_failure(nights):
    result = rig("compare", str(nights["bad"]), str(nights["good"]))
    assert result.returncode == 0
    assert "better: 1" in result.stdout and "TM-02   FAIL         -> PASS" in result.stdout


def test_runs_of_the_record_store(nights):
    by_id = rig("compare", "1", "3", "--records", nights["store"])
    assert by_id.returncode == 1 and "TM-02   PASS         -> FAIL" in by_id.stdout
    assert by_id.stdout.startswith("old: run 1 (")
    back = rig("compare", "latest~1", "latest", "--records", nights["store"])
    assert back.returncode == 1 and "old: run 2 (" in back.stdout
    assert "open_time" in back.stdout  # 0.09 -> 0.15 s moved too
    mixed = rig("compare", str(nights["good"]), "latest~2", "--records", nights["store"])
    assert mixed.returncode == 0 and "moved by more than their uncertainty: 0" in mixed.stdout


def _file(folder: Path, name: str, verdicts: dict[str, str],
          values: dict[str, tuple[float, float]] | None = None) -> Path:
    reqs = {}
    for rid, verdict in verdicts.items():
        ms = []
        if values and rid in values:
            value, u = values[rid]
            ms = [{"name": "x", "value": value, "unit": "s", "uncertainty": u,
                   "verdict": verdict, "test": f"t::{rid}"}]
        reqs[rid] = {"verdict": verdict, "title": f"title {rid}", "measurements": ms}
    path = folder / name
    path.write_text(json.dumps({"schema": 1, "plan": "p", "requirements": reqs}))
    return path


def test_every_kind_of_change(tmp_path):
    old = _file(tmp_path, "old.json", {"A": "PASS", "B": "FAIL", "C": "NOT_RUN", "D": "PASS",
                                       "E": "PASS", "F": "INCONCLUSIVE", "G": "PASS"},
                {"G": (1.00, 0.02), "A": (5.0, 0.5)})
    new = _file(tmp_path, "new.json", {"A": "PASS", "B": "PASS", "C": "ERROR", "D": "NOT_RUN",
                                       "E": "INCONCLUSIVE", "F": "FAIL", "G": "PASS",
                                       "H": "PASS"},
                {"G": (1.02, 0.02), "A": (5.9, 0.5)})
    result = compare(from_verdicts_file(old), from_verdicts_file(new))
    kinds = {c.requirement: c.kind for c in result.changes}
    assert kinds == {"B": "better", "C": "new", "D": "gone", "E": "worse", "F": "worse",
                     "H": "new"}
    assert [c.requirement for c in result.regressions()] == ["C", "F"]
    # G moved 0.02 with U 0.02 on both sides: E_n 0.71, within; A moved 0.9 with U 0.5: 1.27
    assert [(m.requirement, round(m.en, 2)) for m in result.moved] == [("A", 1.27)]
    assert result.status("new-fail") == 1 and result.status("never") == 0
    only_worse = compare(from_verdicts_file(old), from_verdicts_file(_file(
        tmp_path, "w.json", {"A": "PASS", "B": "FAIL", "E": "INCONCLUSIVE"})))
    assert only_worse.status("new-fail") == 0  # INCONCLUSIVE is no FAIL
    assert only_worse.status("worse") == 1  # E worse; D, F, G gone


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "not JSON"),
    ('{"requirements": []}', "a mapping with 'requirements'"),
    ('{"requirements": {"TM-02": {"verdict": "OK"}}}',
     "requirements.TM-02.verdict: a verdict, one of PASS, INCONCLUSIVE, FAIL, ERROR, NOT_RUN; "
     "got 'OK'"),
    ('{"requirements": {"TM-02": {"verdict": "PASS", "measurements": {}}}}',
     "requirements.TM-02.measurements: a list"),
])
def test_a_bad_verdicts_file_is_exit_2_naming_file_and_key(tmp_path, content, says):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = _file(tmp_path, "good.json", {"A": "PASS"})
    result = rig("compare", str(good), str(bad))
    assert result.returncode == 2 and result.stdout == ""
    assert f"rig compare: {bad}: " in result.stderr and says in result.stderr, result.stderr


def test_missing_file_and_missing_run(tmp_path):
    good = _file(tmp_path, "good.json", {"A": "PASS"})
    gone = rig("compare", str(tmp_path / "last-night.json"), str(good))
    assert gone.returncode == 2 and "last-night.json: no such verdicts file" in gone.stderr
    store = f"sqlite:///{tmp_path / 'none.sqlite'}"
    no_store = rig("compare", "latest~1", str(good), "--records", store)
    assert no_store.returncode == 2 and "does not exist" in no_store.stderr
