"""Run a plan in a real pytest subprocess and read its verdicts file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "testplans" / "iec61851"


@dataclass
class PlanRun:
    returncode: int
    output: str
    verdicts: dict[str, Any]

    def verdict(self, rid: str) -> str:
        return self.verdicts["requirements"][rid]["verdict"]

    def executed(self) -> dict[str, str]:
        return {
            rid: r["verdict"]
            for rid, r in self.verdicts["requirements"].items()
            if r["verdict"] != "NOT_RUN"
        }

    def reasons(self, rid: str) -> str:
        return " | ".join(self.verdicts["requirements"][rid]["reasons"])


def run_plan(tmp_path: Path, *args: str, modules: tuple[str, ...] = (), timeout: float = 300,
             env: dict[str, str] | None = None, plan: Path = PLAN) -> PlanRun:
    """``pytest testplans/iec61851[/module] args`` (or another ``plan`` folder) in a
    subprocess; verdicts from tmp_path."""
    targets = [str(plan / m) for m in modules] or [str(plan)]
    verdicts = tmp_path / "verdicts.json"
    cmd = [
        sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider",
        "--verdicts", str(verdicts), "--reports-dir", str(tmp_path / "reports"), *args,
    ]
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    run_env.update(env or {})
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=run_env
    )
    data = json.loads(verdicts.read_text()) if verdicts.exists() else {}
    return PlanRun(proc.returncode, proc.stdout + proc.stderr, data)
