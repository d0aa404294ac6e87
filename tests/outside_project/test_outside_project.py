"""A charger maker's own project, outside this repository, on the installed wheels.

``examples/own-plans`` (a plan module, its own catalogue named by an ini key, its own
``rigs/emulator.yaml``) is copied to a temporary folder and run with the pytest of a fresh venv
holding only the built wheels of evse-rig and zapcharger (``wheels.py``): no ``conftest.py``,
no ``fixtures/`` of this checkout. The compliant charger passes, a defect override fails exactly
its requirement, and verdicts, records and the report come out where the project is.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.outside_project.wheels import ROOT, Installed, build_and_install

EXAMPLE = ROOT / "examples" / "own-plans"
DEFECT = "timing.open_after_b_s=0.15"  # opens after 150 ms: REL-02 (100 ms) must FAIL


@dataclass
class Project:
    installed: Installed
    path: Path
    locks: Path

    def run(self, *cmd: str | Path, timeout: float = 180) -> tuple[int, str]:
        proc = self.installed.run(*cmd, cwd=self.path, timeout=timeout,
                                  env={"RIG_LOCK_DIR": str(self.locks)})
        return proc.returncode, proc.stdout + proc.stderr

    def pytest(self, *args: str) -> tuple[int, str, dict]:
        code, out = self.run(self.installed.python, "-m", "pytest", "-q", *args)
        verdicts = self.path / "reports" / "latest" / "verdicts.json"
        data = json.loads(verdicts.read_text()) if verdicts.exists() else {}
        verdicts.unlink(missing_ok=True)
        return code, out, data


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    base = tmp_path_factory.mktemp("outside")
    installed = build_and_install(base)
    path = base / "own-plans"
    shutil.copytree(EXAMPLE, path, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    return Project(installed, path, base / "locks")


def verdicts_of(data: dict) -> dict[str, str]:
    return {rid: r["verdict"] for rid, r in data.get("requirements", {}).items()}


def test_the_wheels_alone_provide_rig_plugin_and_charger(project: Project) -> None:
    proc = project.installed.run(project.installed.python, "-c", (
        "import importlib.util as u, rig, rig.pytest_plugin, zapcharger\n"
        "from rig.labgrid.builtin import builtin_rig_file\n"
        "print(rig.__file__); print(zapcharger.__file__); print(builtin_rig_file())\n"
        "print('fixtures' if u.find_spec('fixtures') else 'no-fixtures')"), cwd=project.path)
    assert proc.returncode == 0, proc.stderr
    site = project.installed.venv / "lib"
    rig_file, fw_file, builtin, fixtures = proc.stdout.split()
    # the built-in bench's rig file is in the wheel, with the content of rigs/emulator.yaml
    assert Path(builtin).read_text() == (ROOT / "rigs" / "emulator.yaml").read_text()
    assert Path(rig_file).is_relative_to(site) and Path(fw_file).is_relative_to(site), proc.stdout
    assert fixtures == "no-fixtures"  # nothing of this checkout on the path
    code, out = project.run(project.installed.python, "-m", "pytest", "--help")
    assert code == 0 and "--catalogue" in out and "rig_catalogue" in out, out


def test_a_plan_of_its_own_passes_and_a_defect_fails_it(project: Project) -> None:
    code, out, data = project.pytest()
    assert code == 0, out
    assert verdicts_of(data) == {"REL-01": "PASS", "REL-02": "PASS"}, out
    # its own catalogue (ini rig_catalogue) and its own rig file (rigs/emulator.yaml)
    assert f"catalogue: {project.path / 'catalogue' / 'zap-pro.yaml'}" in data["notes"]
    assert data["rig"]["env"] == str(project.path / "rigs" / "emulator.yaml")
    assert sorted(data["rig"]["instruments"]) == ["ac_source", "ev"]
    assert "PytestUnknownMarkWarning" not in out  # the plugin registers its marker

    code, out, data = project.pytest("--charger-set", DEFECT)
    assert code == 1, out
    assert verdicts_of(data) == {"REL-01": "PASS", "REL-02": "FAIL"}, out
    assert data["charger"]["overrides"] == {"timing.open_after_b_s": 0.15}

    store = project.path / "reports" / "records.sqlite"  # under the project, not the package
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["complete", "complete"]


def test_rig_commands_work_from_the_project(project: Project) -> None:
    if not (project.path / "reports" / "records.sqlite").exists():
        project.pytest()  # this test alone: one run to report on
    code, out = project.run(project.installed.rig, "runs")
    assert code == 0 and "ZapCharger Pro firmware" in out, out

    code, out = project.run(project.installed.rig, "report")
    assert code == 0, out
    html = Path(out.splitlines()[0])
    assert html.parent == project.path / "reports" and html.suffix == ".html", out
    text = html.read_text(encoding="utf-8")
    assert "REL-01" in text and "REL-02" in text

    code, out = project.run(project.installed.rig, "trend", "REL-02")
    assert code == 0 and "open_time" in out, out

    code, out = project.run(project.installed.rig, "doctor")  # ./rigs/emulator.yaml
    assert code == 0, out
    assert str(project.path / "rigs" / "emulator.yaml") in out, out
