"""``rig line``: yield, failures by requirement and hour, Cp/Cpk against the limits (formulas
checked against hand-computed numbers), on a store filled like a station fills it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.eol import stats
from rig.measure import Limit, Measurement, Verdict
from rig.records import RecordStore

ROOT = Path(__file__).resolve().parents[2]


def test_cp_and_cpk_by_hand():
    values = [0.9, 1.0, 1.1] * 10  # n = 30, mean 1.0, s = sqrt(0.2/29... ) computed below
    mean = 1.0
    s = (sum((v - mean) ** 2 for v in values) / 29) ** 0.5
    cap = stats.capability(values, 0.0, 3.0)
    assert cap["n"] == 30 and cap["mean"] == pytest.approx(mean) and cap["s"] == pytest.approx(s)
    assert cap["cp"] == pytest.approx(3.0 / (6 * s))
    assert cap["cpk"] == pytest.approx(1.0 / (3 * s))  # nearer the low limit
    one_sided = stats.capability(values, None, 3.0)
    assert one_sided["cp"] is None and one_sided["cpk"] == pytest.approx(2.0 / (3 * s))


def test_no_cpk_from_too_few_values_or_no_spread():
    assert "n = 29 < 30" in stats.capability([1.0, 2.0] * 14 + [1.0], 0, 3)["why"]
    assert stats.capability([1.0, 2.0] * 14 + [1.0], 0, 3)["cpk"] is None
    flat = stats.capability([5.0] * 40, 0, 10)
    assert flat["cpk"] is None and "s = 0" in flat["why"]
    noise = stats.capability([0.05, 0.05 + 1e-15] * 20, None, 0.1)
    assert noise["cpk"] is None  # rounding noise is no spread


def fill(store: RecordStore) -> None:
    """Three units: A passes at once, B fails (RC-06) then passes, C fails twice (ES-01)."""
    t0 = time.mktime((2026, 12, 3, 9, 10, 0, 0, 0, -1))
    plan = [("ZCS000010", "PASS", [], 0), ("ZCS000011", "FAIL", ["RC-06"], 60),
            ("ZCS000012", "FAIL", ["ES-01"], 120), ("ZCS000011", "PASS", [], 3700),
            ("ZCS000012", "FAIL", ["ES-01"], 3760), ("ZCS000012", "REFUSED", [], 3800)]
    for i, (serial, outcome, failing, dt) in enumerate(plan):
        run = store.start_run(plan="eol", charger_serial=serial) if outcome != "REFUSED" \
            else None
        if run is not None:
            for k in range(12):  # 12 values per run: 60 in all
                value = 0.03 + 0.001 * ((i * 12 + k) % 7 - 3)
                store.add_measurement(run, Measurement(
                    "ES-01", "pe_resistance", value, "ohm", Limit("ohm", None, 0.1), 0.0,
                    "simple", Verdict.PASS))
        store.add_eol_attempt(serial=serial, station="s1", started=t0 + dt, attempt=1,
                              outcome=outcome, failing=failing, run_id=run)


def test_yield_and_failures(store_url):
    with RecordStore(store_url) as store:
        fill(store)
        y = stats.yields(store)
    assert (y["units"], y["first_pass"], y["final_pass"]) == (3, 1, 2)
    assert y["first_pass_yield"] == pytest.approx(1 / 3)
    assert y["final_yield"] == pytest.approx(2 / 3)
    assert y["failures_by_requirement"] == {"ES-01": 2, "RC-06": 1}
    assert list(y["failures_by_hour"].values()) == [2, 1]
    assert y["refused"] == 1


def test_rig_line_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    with RecordStore(url) as store:
        fill(store)
    out = subprocess.run([sys.executable, "-m", "rig.cli", "line", "yield", "--records", url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "first-pass yield: 33.3 % (1/3)   final yield: 66.7 % (2/3)" in out.stdout
    assert "ES-01   2" in out.stdout
    plots = tmp_path / "plots"
    out = subprocess.run([sys.executable, "-m", "rig.cli", "line", "cpk", "--records", url,
                          "--plots", str(plots)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith("ES-01 pe_resistance"))
    values = [0.03 + 0.001 * ((i * 12 + k) % 7 - 3) for i in range(5) for k in range(12)]
    cap = stats.capability(values, None, 0.1)
    assert f" {len(values):4d} " in row and f"{cap['cpk']:.2f}" in row
    assert "RC-01 trip_time" in out.stdout and "n = 0 < 30" in out.stdout
    assert (plots / "ES-01-pe_resistance.png").read_bytes()[:4] == b"\x89PNG"
