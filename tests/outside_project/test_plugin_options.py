"""How a project outside this repository tells the installed plugin where things are: options,
ini keys and its conftest's hooks, and that the plugin is loaded once (entry point) however a
conftest also names it. Cheap in-process runs (pytester; ``--collect-only`` where nothing needs
the bench) in a temporary project, the plugin loaded from its entry point."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLAN = '''
import pytest

@pytest.mark.requirement("REL-01")
def test_release(rig):
    pass
'''
CATALOGUE = '''
plan: "release checks"
groups:
  REL: {title: "Release", clause: "datasheet"}
requirements:
  REL-01:
    title: "contactor closes"
    clause: "datasheet"
    limits:
      close_time: {high: 3, unit: s}
'''
OTHER_CATALOGUE = CATALOGUE.replace("REL-01", "REL-09")


@pytest.fixture(scope="module", autouse=True)
def _pint_loaded() -> None:
    """pint's registry imports dask (when installed: qcodes brings it), which imports the
    importlib_metadata backport, which appends its finder to sys.meta_path and strips the
    stdlib's. Done inside a pytester run (or after pytester's snapshot), the snapshot drops the
    new finder afterwards and no later run of this process finds an entry point (this plugin's
    included). So it is done once here, before any pytester fixture."""
    from rig.measure import units

    units()


@pytest.fixture
def pytest_in(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in list(os.environ):  # a bench another test left running is not this project's
        if name.startswith("LG_") or name == "RIG_RECORDS_URL":
            monkeypatch.delenv(name)

    def run(folder: Path, *args: str) -> tuple[int, str]:
        monkeypatch.chdir(folder)
        # labgrid's own plugin starts a process-wide logger once: not in the inner runs
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:labgrid", *args)
        return int(result.ret), "\n".join(result.outlines + result.errlines)

    return run


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """plans/test_release.py; the catalogue elsewhere (cat/), so it must be named."""
    tmp_path = pytester.path
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "test_release.py").write_text(PLAN)
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "release.yaml").write_text(CATALOGUE)
    (tmp_path / "cat" / "other.yaml").write_text(OTHER_CATALOGUE)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = plans\n")
    return tmp_path


def test_without_a_catalogue_the_error_says_how_to_name_one(project: Path, pytest_in) -> None:
    code, out = pytest_in(project, "--collect-only")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "no requirements.yaml next to the plan" in out and "--catalogue FILE" in out, out


def test_catalogue_from_the_command_line(project: Path, pytest_in) -> None:
    code, out = pytest_in(project, "--collect-only", "--catalogue", "cat/release.yaml")
    assert code == 0, out
    code, out = pytest_in(project, "--collect-only", "--catalogue", "cat/missing.yaml")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "--catalogue: <path>: an existing catalogue file" in out, out


def test_catalogue_from_the_ini_file_relative_to_it(project: Path, pytest_in) -> None:
    (project / "plans" / "pytest.ini").write_text("[pytest]\nrig_catalogue = ../cat/release.yaml\n")
    code, out = pytest_in(project / "plans", "--collect-only")
    assert code == 0, out
    (project / "pytest.ini").write_text("[pytest]\ntestpaths = plans\nrig_catalogue = nope.yaml\n")
    code, out = pytest_in(project, "--collect-only")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert f"{project / 'pytest.ini'}: rig_catalogue: an existing catalogue file" in out, out


def test_the_plans_conftest_hook_beats_the_ini_key(project: Path, pytest_in) -> None:
    (project / "pytest.ini").write_text(
        "[pytest]\ntestpaths = plans\nrig_catalogue = cat/other.yaml\n")
    code, out = pytest_in(project, "--collect-only")
    assert code == pytest.ExitCode.USAGE_ERROR and "'REL-01' is not in" in out, out
    (project / "plans" / "conftest.py").write_text(
        "from pathlib import Path\n\n"
        "def pytest_rig_catalogue(config):\n"
        "    return Path(__file__).parent.parent / 'cat' / 'release.yaml'\n")
    code, out = pytest_in(project, "plans", "--collect-only")
    assert code == 0, out


def test_a_rig_file_that_is_not_there_is_bad_input(project: Path, pytest_in) -> None:
    (project / "pytest.ini").write_text(
        "[pytest]\ntestpaths = plans\nrig_catalogue = cat/release.yaml\nrig_env = rigs/lab.yaml\n")
    code, out = pytest_in(project, "--no-records")
    assert code == pytest.ExitCode.USAGE_ERROR, out  # nothing started, never a FAIL
    assert f"{project / 'pytest.ini'}: rig_env: an existing rig file" in out, out


def test_loaded_once_whether_or_not_a_conftest_names_it_too(project: Path, pytest_in) -> None:
    (project / "conftest.py").write_text('pytest_plugins = ["rig.pytest_plugin"]\n')
    code, out = pytest_in(project, "--collect-only", "--catalogue", "cat/release.yaml")
    assert code == 0, out  # no "Plugin already registered"
    code, out = pytest_in(project, "--collect-only", "-p", "no:rig.pytest_plugin",
                          "--catalogue", "cat/release.yaml")
    assert code == pytest.ExitCode.USAGE_ERROR and "unrecognized arguments" in out, out


def test_without_the_emulated_firmware_the_bench_is_one_clear_error(
    project: Path, pytest_in, monkeypatch: pytest.MonkeyPatch
) -> None:
    """zapcharger is a package of its own: a project that did not install it and asks for the
    built-in bench (no rigs/ of its own) gets an ERROR saying what to install."""
    for name in ("zapcharger", "zapcharger.profile"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    code, out = pytest_in(project, "--no-records", "--catalogue", "cat/release.yaml")
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert "1 error" in out and "failed" not in out, out
    assert "package 'zapcharger' (firmware-under-test/), and it is not installed" in out, out
    code, out = pytest_in(project, "--no-records", "--catalogue", "cat/release.yaml",
                          "--charger-set", "timing.open_after_b_s=0.15")
    assert code == pytest.ExitCode.USAGE_ERROR, out  # a profile needs the firmware: refused
    assert "--charger-set: zapcharger: the emulated charger's package installed" in out, out


def test_the_rig_file_hook_beats_the_ini_key(project: Path, pytest_in) -> None:
    (project / "pytest.ini").write_text(
        "[pytest]\ntestpaths = plans\nrig_catalogue = cat/release.yaml\nrig_env = rigs/a.yaml\n")
    (project / "conftest.py").write_text(
        "from pathlib import Path\n\n"
        "def pytest_rig_env(config):\n"
        "    return Path(__file__).parent / 'rigs' / 'b.yaml'\n")
    code, out = pytest_in(project, "--collect-only")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "pytest_rig_env (conftest.py): <return value>: an existing rig file" in out, out
    assert str(project / "rigs" / "b.yaml") in out and "a.yaml" not in out, out
