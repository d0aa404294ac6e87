"""``python -m bench`` (``make bench``): one table, JSON of the right shape, numbers for figures.

Runs the command for real on two cheap parts (the per-exchange cost through the driver stack,
pyvisa-py and a raw socket on an emulated instrument; the plan's floor) and one that is not
available without ``--full``, and reads its JSON. The floor and the per-group split are
checked in-process: the floor follows the profile (not a typed-in number), the groups add up
to the run's bench time.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_time  # noqa: E402
import floor  # noqa: E402


def test_quick_run_writes_one_table_and_its_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--parts", "query,floor,places",
         "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    data = json.loads(out.read_text())
    assert {"machine", "settings", "parts", "load_average_before", "started"} <= set(data)
    assert data["machine"]["cores"] >= 1 and data["settings"]["quick"] is True
    parts = {p["name"]: p for p in data["parts"]}
    assert list(parts) == ["query", "floor", "places"]
    assert parts["places"]["status"] == "not available" and "--full" in parts["places"]["reason"]
    for name in ("query", "floor"):
        assert parts[name]["status"] == "ok", parts[name]
        for figure in parts[name]["figures"]:
            numbers = [figure["min"], figure["median"], figure["max"], *figure["values"]]
            assert all(isinstance(v, float) and math.isfinite(v) for v in numbers), figure
            assert figure["min"] <= figure["median"] <= figure["max"]
            if "target" in figure:
                assert figure["target"][0] in ("<=", ">=") and isinstance(figure["pass"], bool)
    names = {f["name"] for f in parts["query"]["figures"]}
    for kind in ("query", "checked write"):
        assert {f"{kind}: driver", f"{kind}: pyvisa", f"{kind}: socket"} <= names
        ratio = next(f for f in parts["query"]["figures"]
                     if f["name"] == f"{kind}: driver / pyvisa")
        assert ratio["target"] == ["<=", 1.3] and ratio["median"] > 0
    failed = any(not f.get("pass", True) for p in data["parts"] for f in p.get("figures", []))
    assert proc.returncode == (1 if failed else 0), proc.stdout + proc.stderr
    table = proc.stdout
    assert "driver / pyvisa" in table
    assert any(line.startswith("places") and "not available: opt-in" in line
               for line in table.splitlines())
    assert "load average" in table


def test_floor_comes_from_the_profile_and_the_catalogue():
    from zapcharger.profile import load_profile

    base = floor.items()
    assert floor.total(base) > 0 and all(i.total >= 0 and i.source for i in base)
    slower = floor.items(profile=load_profile(overrides=["boot.time_s=200"]))
    # two boots in the floor: the session's power-on and the one shared interruption
    assert floor.total(slower) - floor.total(base) == pytest.approx(2 * 50.0)
    no_ramp = floor.items(profile=load_profile(overrides=["soft_start.enabled=false"]))
    assert floor.total(no_ramp) < floor.total(base)


def test_bench_time_per_group_adds_up_to_the_run():
    verdicts = {
        "requirements": {
            "CP-01": {"tests": ["t.py::a"]}, "CP-02": {"tests": ["t.py::a"]},
            "SU-03": {"tests": ["t.py::b", "t.py::c"]},
        },
        "rig": {"time": {"waited_s": 180.0, "start_s": 150.5,
                         "tests": {"t.py::a": 152.0, "t.py::b": 20.0, "t.py::c": 6.0,
                                   "t.py::d": 2.0},
                         "shared": {"supply interruption 5 s": {"bench_s": 15.0,
                                                                "test": "t.py::b"}}}},
    }
    groups = bench_time.per_group(verdicts)
    assert groups == {"start": 150.5, "shared": 15.0, "CP": 1.5, "SU": 11.0, "other": 2.0}
    assert sum(groups.values()) == pytest.approx(180.0)
    with pytest.raises(ValueError, match=r"rig\.time\.tests"):
        bench_time.per_group({"rig": {"time": {"waited_s": 1.0}}})
