"""rig.report.plots on what a real plan run records: valid PNGs of the promised size, the same
bytes for the same input, and a "no data" image (never an exception) for input without data."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from rig.report import plots
from tests.plan.runner import run_plan

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MODULES = ("test_control_pilot.py", "test_timing.py", "test_residual_current.py",
           "test_soft_start.py", "test_meter.py")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the magic)."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_png(data: bytes) -> None:
    assert png_size(data) == (800, 400)
    assert 2_000 < len(data) < 400_000


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """verdicts.json of a real run of the plan modules that have plots (emulated bench)."""
    folder = tmp_path_factory.mktemp("plots-run")
    run = run_plan(folder, "--no-records", modules=MODULES)
    assert run.verdicts, run.output[-3000:]
    return run.verdicts


def measurements(verdicts: dict[str, Any], *rids: str) -> list[dict[str, Any]]:
    """The measurements of ``rids`` as the store gives them (with their requirement)."""
    out = []
    for rid in rids:
        for m in verdicts["requirements"][rid]["measurements"]:
            out.append({"requirement": rid, **m})
    assert out, rids
    return out


def test_cp_waveform_from_the_pwm_tests(verdicts):
    pwm = measurements(verdicts, "CP-02", "CP-03", "CP-05")
    assert pwm[0]["data"]["pilot"]["high_v"] > 0  # the plan keeps the whole pilot reading
    assert_png(plots.cp_waveform(pwm))
    assert_png(plots.cp_waveform(measurements(verdicts, "CP-04")[:1]))
    assert_png(plots.cp_waveform(measurements(verdicts, "CP-01")))  # state A: a flat line


def test_timeline_of_every_timing_test(verdicts):
    # TM-01/TM-06 are repeated at several phases and TM-04 lowers and raises the limit: a
    # timeline for each of their measurements
    for rid in ("TM-01", "TM-02", "TM-03", "TM-04", "TM-05", "TM-06", "CP-08"):
        found = measurements(verdicts, rid)
        assert found, rid
        for m in found:
            data = m["data"]
            assert data["t0"] is not None and data["events"], rid
            assert any(e[1] == "CONTACTOR" or e[1] == "PWM" for e in data["events"]), rid
            assert_png(plots.timing_timeline(m))


def test_trip_curve_with_the_limit_curve(verdicts):
    rc = measurements(verdicts, "RC-01", "RC-02", "RC-03", "RC-04", "RC-05")
    assert_png(plots.trip_curve(rc))
    limits = [{"waveform": "dc", "current_ma": 6, "high_s": 10},
              {"waveform": "ac", "current_ma": 30, "high_s": 0.3}]
    assert_png(plots.trip_curve(measurements(verdicts, "RC-02"), limits))


def test_soft_start_ramp(verdicts):
    assert_png(plots.soft_start_ramp(measurements(verdicts, "SS-01", "SS-02", "SS-03")))


def test_meter_errors(verdicts):
    assert_png(plots.meter_errors(measurements(verdicts, "MT-01")))
    assert_png(plots.meter_errors(measurements(verdicts, "MT-01", "MT-02", "MT-03", "MT-04")))


def test_trend_takes_the_report_modules_points():
    points = [{"started": 1_790_000_000 + 86_400 * i, "value": 0.05 + 0.01 * i, "low": None,
               "high": 0.1, "uncertainty": 1e-3, "verdict": "PASS" if i < 4 else "FAIL",
               "firmware": "2.14.0" if i < 3 else "2.15.0"} for i in range(6)]
    assert_png(plots.trend(points, "TM-02 open_time", "s"))
    assert_png(plots.trend(points[:1], "one run", "s"))


def test_plots_for_picks_the_plot_of_the_group(verdicts):
    assert [n for n, _ in plots.plots_for("CP", measurements(verdicts, "CP-02", "CP-03"))] == [
        "cp-waveform.png"]
    assert [n for n, _ in plots.plots_for("TM", measurements(verdicts, "TM-02"))] == [
        "timeline-tm-02-open_time.png"]
    assert [n for n, _ in plots.plots_for("RC", measurements(verdicts, "RC-01"))] == [
        "trip-curve.png"]
    assert [n for n, _ in plots.plots_for("SS", measurements(verdicts, "SS-03"))] == [
        "soft-start-ramp.png"]
    assert [n for n, _ in plots.plots_for("MT", measurements(verdicts, "MT-03"))] == [
        "meter-errors.png"]
    assert plots.plots_for("CP", measurements(verdicts, "CP-07")) == []  # nothing to draw


def test_same_input_same_bytes(verdicts):
    rc = measurements(verdicts, "RC-01", "RC-02", "RC-03")
    assert plots.trip_curve(rc) == plots.trip_curve(rc)
    (tm,) = measurements(verdicts, "TM-02")
    assert plots.timing_timeline(tm) == plots.timing_timeline(tm)


@pytest.mark.parametrize("draw", [plots.cp_waveform, plots.trip_curve, plots.soft_start_ramp,
                                  plots.meter_errors])
def test_no_data_is_an_image_not_an_exception(draw):
    assert_png(draw([]))
    assert_png(draw([{"name": "x", "value": "nan", "unit": "", "verdict": "ERROR"}]))


def test_a_timing_measurement_without_events_and_an_infinite_one():
    assert_png(plots.timing_timeline({"name": "open_time", "value": 0.05, "unit": "s"}))
    never = {"requirement": "TM-02", "name": "open_time", "value": "inf", "unit": "s",
             "high": 0.1, "verdict": "FAIL",
             "data": {"t0": 10.0, "events": [[10.0, "CP", "B2"]], "start": "ev.set_state('B')"}}
    assert_png(plots.timing_timeline(never))


def test_the_module_docstring_lists_every_function():
    doc = plots.__doc__ or ""
    for name in ("cp_waveform", "timing_timeline", "trip_curve", "soft_start_ramp",
                 "meter_errors", "trend", "plots_for"):
        assert f"``{name}(" in doc, name
    assert Path(plots.__file__).name == "plots.py"


def test_installation_feed_and_shares():
    """PR-05's measurements (as test_installation.py records them): the feed per phase against
    the fuse and the per-station shares, one of each per installation; a bare boolean without
    data gets none."""
    feed = [[0.0, 0.0, 0.0, 0.0], [0.5, 8.0, 8.0, 8.0], [1.0, 16.0, 16.0, 16.0]]
    rows = [
        {"requirement": "PR-05", "name": "sum_within_limit", "value": True, "verdict": "PASS",
         "data": {"installation": "two", "fuse_a": 16.0, "feed": feed}},
        {"requirement": "PR-05", "name": "fairness", "value": 1.0, "unit": "1",
         "verdict": "PASS", "data": {"installation": "two", "shares_a": [8.0, 8.0]}},
        {"requirement": "PR-06", "name": "least_loaded_phase", "value": True, "data": {}},
    ]
    out = dict(plots.plots_for("PR", rows))
    assert sorted(out) == ["feed-two.png", "shares-two.png"]
    for png in out.values():
        assert_png(png)
    assert plots.plots_for("PR", rows[2:]) == []
    assert_png(plots.feed_plot([], [[], [], []], 63.0, "empty"))  # "no data", no exception
