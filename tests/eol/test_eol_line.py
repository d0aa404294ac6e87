"""The proof: the EOL defect rows and a small seeded line, through one station in one process.

``bench/eol_line.py --cases tests/plan/defects/eol.yaml --units 2`` runs a good unit, every
defect row of the EOL plan (each must FAIL exactly its requirement, or be REFUSED at the
label check where its row says so), a good unit after them (nothing leaks from one unit to the
next), then 2 seeded random units; it exits 1 on any unit judged wrong (the memory figures are
printed; their bound is the 200-unit benchmark's).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROWS = ROOT / "tests" / "plan" / "defects" / "eol.yaml"


def test_every_defect_row_is_caught_by_its_requirement_and_good_units_pass(tmp_path):
    out = tmp_path / "line.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "eol_line.py"), "--cases", str(ROWS),
         "--units", "2", "--seed", "11", "--json", str(out), "--warmup", "5",
         "--max-growth-kb", "100000"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    group = yaml.safe_load(ROWS.read_text())
    assert len(rows) == len(group["cases"]) + 2 + 2
    by_name = {r["defect"]: r for r in rows if r["defect"]}
    for case in group["cases"]:
        row = by_name[case["name"]]
        if case.get("station") == "refused":
            assert row["outcome"] == "REFUSED" and "the label says" in row["reason"], row
        elif case.get("fail"):
            assert (row["outcome"], row["failing"]) == ("FAIL", sorted(case["fail"])), row
        else:
            assert row["outcome"] == "PASS", row
    good = [r for r in rows if r["defect"] is None]
    assert good and all(r["outcome"] == "PASS" for r in good)
    # a good unit: one boot in factory mode (5 s, the fixture's jumper) and the plan's own
    # checks: inside the 60 s target and the 30 s moonshot; a failing one inside the target
    assert all(5.0 < r["bench_s"] < 30.0 for r in good), [r["bench_s"] for r in good]
    assert all(r["bench_s"] < 60.0 for r in rows if r["bench_s"] is not None), rows
    text = proc.stdout
    assert "units/hour of wall time" in text and "bench time per unit: median" in text
    assert "confusion matrix" in text and "WRONG" not in text
    assert re.search(r"(TARGET|MOONSHOT) MET", text) and "units/hour of bench time" in text
    # memory: measured and printed (the bound is the 200-unit benchmark's: a short run of
    # mostly defective units is too noisy to judge a leak of a few hundred KiB per unit)
    assert re.search(r"memory: RSS [\d.]+ MiB after the warm-up", text), text
    caught = re.search(r"defective units caught by the right requirement: (\d+)/(\d+)", text)
    assert caught and caught.group(1) == caught.group(2) and int(caught.group(1)) >= 17, text
