"""Two stations at once, each on its own emulated bench, one shared record store (SQLite on one
PC; PostgreSQL for a line): every unit of both is recorded once, with its own station and run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rig.eol import stats
from rig.records import RecordStore

ROOT = Path(__file__).resolve().parents[2]


def test_two_stations_share_one_store(store_url, tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "eol_line.py"), "--units", "2", "--spread",
             "--seed", str(seed), "--station", station, "--serial-base", str(base),
             "--records", store_url],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for station, base, seed in (("line-A", 710000, 1), ("line-B", 720000, 2))
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, text in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, text[-4000:]
    with RecordStore(store_url) as store:
        attempts = store.eol_attempts()
        runs = {r["id"]: r for r in store.runs(limit=20)}
        y = stats.yields(store)
        values, _ = stats.samples(store, "ES-01", "pe_resistance")
    assert sorted((a["station"], a["serial"]) for a in attempts) == sorted(
        [("line-A", f"ZCS{710000 + i}") for i in range(2)]
        + [("line-B", f"ZCS{720000 + i}") for i in range(2)])
    assert len({a["run_id"] for a in attempts}) == 4
    for a in attempts:
        assert runs[a["run_id"]]["charger_serial"] == a["serial"]
    assert y["units"] == 4
    assert len(values) == 4 and len(set(values)) == 4  # each unit its own PE resistance
