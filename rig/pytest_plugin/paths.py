"""Where a run finds its catalogue, its rig file and its reports folder.

The plugin is installed, so nothing here may point into this repository: every default is
relative to the project pytest runs in (its ``rootdir``, the folder of its ``pytest.ini`` /
``pyproject.toml``). Each path is taken from the first place that gives it:

* catalogue: ``--catalogue FILE`` > a ``pytest_rig_catalogue`` hook (the plan's conftest.py) >
  the ini key ``rig_catalogue`` > the ``requirements.yaml`` next to the plan module or in a
  folder above it (up to the project's root);
* rig file: ``--lg-env FILE`` / ``$LG_ENV`` (labgrid's own) > a ``pytest_rig_env`` hook > the
  ini key ``rig_env`` > ``<rootdir>/rigs/emulator.yaml`` > the built-in emulated bench's rig file
  shipped in the package (``rig/labgrid/emulator.yaml``);
* reports folder: ``--reports-dir DIR`` > the ini key ``rig_reports_dir`` >
  ``<rootdir>/reports/latest``; the record store's SQLite file goes next to it
  (``<rootdir>/reports/records.sqlite``) unless ``--records`` / ``$RIG_RECORDS_URL`` says
  otherwise.

Command-line paths are relative to the working directory, ini paths to the ini file's folder,
hook results to the working directory unless absolute (a conftest returns
``Path(__file__).parent / ...``). A conftest hook beats the ini key: it is the plan's own,
more specific than the project's settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.errors import ConfigError
from rig.labgrid.builtin import default_rig_file as project_or_builtin_rig_file


class RigPathSpecs:
    """Hooks a plan's ``conftest.py`` may implement (first non-None answer wins)."""

    @pytest.hookspec(firstresult=True)
    def pytest_rig_catalogue(self, config: pytest.Config) -> str | Path | None:
        """The plan's requirement catalogue (``requirements.yaml``-style file)."""

    @pytest.hookspec(firstresult=True)
    def pytest_rig_env(self, config: pytest.Config) -> str | Path | None:
        """The rig file (labgrid environment) the plan runs on."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(RigPathSpecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig", "EV charger test rig")
    group.addoption(
        "--catalogue", metavar="FILE", default=None,
        help="the plan's requirement catalogue (default: ini rig_catalogue, else the "
        "requirements.yaml next to the plan module or above it)",
    )
    parser.addini("rig_catalogue", "the plan's requirement catalogue, relative to this file",
                  default="")
    parser.addini("rig_env", "the rig file (labgrid environment) when --lg-env is not given, "
                  "relative to this file (default rigs/emulator.yaml, else the built-in bench)",
                  default="")
    parser.addini("rig_reports_dir", "where verdicts, transcripts and logs go, relative to this "
                  "file (default reports/latest)", default="")


def project_root(config: pytest.Config) -> Path:
    return Path(config.rootpath)


def _ini_path(config: pytest.Config, key: str) -> Path | None:
    value = str(config.getini(key) or "").strip()
    if not value:
        return None
    base = Path(config.inipath).parent if config.inipath else project_root(config)
    return base / value


def _ini_source(config: pytest.Config) -> str:
    return str(config.inipath) if config.inipath else "ini"


def _checked(path: Path, source: str, key: str, what: str) -> Path:
    if not path.is_file():
        raise ConfigError(source, key, f"an existing {what} file, got {path}")
    return path


def catalogue_path(config: pytest.Config) -> Path | None:
    """The catalogue the options or a hook name, checked to exist; None: find it by the plan."""
    option = config.getoption("catalogue", None)
    if option:
        return _checked(Path(option).absolute(), "--catalogue", "<path>", "catalogue")
    hooked = config.hook.pytest_rig_catalogue(config=config)
    if hooked:
        return _checked(Path(hooked).absolute(), "pytest_rig_catalogue (conftest.py)",
                        "<return value>", "catalogue")
    ini = _ini_path(config, "rig_catalogue")
    if ini is not None:
        return _checked(ini, _ini_source(config), "rig_catalogue", "catalogue")
    return None


def default_rig_file(config: pytest.Config) -> tuple[Path, ConfigError | None]:
    """The rig file when neither ``--lg-env`` nor ``$LG_ENV`` gives one (see module doc), and
    what is wrong with it (a hook or ini key naming a file that is not there)."""
    hooked = config.hook.pytest_rig_env(config=config)
    if hooked:
        found = (Path(hooked).absolute(), "pytest_rig_env (conftest.py)", "<return value>")
    elif (ini := _ini_path(config, "rig_env")) is not None:
        found = (ini, _ini_source(config), "rig_env")
    else:
        return project_or_builtin_rig_file(project_root(config)), None
    path, source, key = found
    try:
        return _checked(path, source, key, "rig"), None
    except ConfigError as exc:
        return path, exc


def reports_dir(config: pytest.Config) -> Path:
    option = config.getoption("reports_dir", None)
    if option:
        return Path(option)
    return _ini_path(config, "rig_reports_dir") or project_root(config) / "reports" / "latest"


def settle_reports_dir(config: pytest.Config) -> None:
    """Called first thing at configure: everything that reads ``--reports-dir`` (the door, the
    transcript, the verdict files) gets the project's folder, not the package's."""
    if getattr(config.option, "reports_dir", None) is None:
        config.option.reports_dir = str(reports_dir(config))
