"""What a charger maker's own project costs to set up and run from the wheels (docs/own-plans.md).

Times each step of ``tests/outside_project`` once: building the evse-rig and zapcharger wheels
offline, the fresh venv with its link folder, installing the wheels, then in a copy of
``examples/own-plans`` outside this repository: the plan's pytest run (compliant charger) and
``rig report``. The target: set-up (build + venv + install) well under 60 s on the 2-core
machine, so the test stays cheap in CI.

Usage: .venv/bin/python bench/outside_project.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.outside_project

from tests.outside_project import wheels


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="rig-outside-") as tmp:
        base = Path(tmp)
        marks: list[tuple[str, float]] = []
        started = time.perf_counter()
        original_pip = wheels._pip

        def timed_pip(*args: object) -> None:
            t0 = time.perf_counter()
            original_pip(*args)
            marks.append((f"pip {args[0] if args[0] != '--python' else 'install'}",
                          time.perf_counter() - t0))

        wheels._pip = timed_pip  # type: ignore[assignment]
        installed = wheels.build_and_install(base)
        setup = time.perf_counter() - started
        project = base / "own-plans"
        shutil.copytree(wheels.ROOT / "examples" / "own-plans", project)
        env = {"RIG_LOCK_DIR": str(base / "locks")}
        t0 = time.perf_counter()
        run = installed.run(installed.python, "-m", "pytest", "-q", cwd=project, env=env)
        plan = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = installed.run(installed.rig, "report", cwd=project, env=env)
        rep = time.perf_counter() - t0
    for name, seconds in marks:
        print(f"{name:28s} {seconds:6.1f} s")
    print(f"{'set-up (build+venv+install)':28s} {setup:6.1f} s")
    print(f"{'plan run (2 tests)':28s} {plan:6.1f} s  exit {run.returncode}")
    print(f"{'rig report':28s} {rep:6.1f} s  exit {report.returncode}")
    print(f"wheels: {', '.join(w.name for w in installed.wheels)}")
    return 0 if run.returncode == 0 and report.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
