"""Which rig file a run uses when none is named: the project's ``rigs/emulator.yaml``, else the
built-in emulated bench's, shipped in the package (``emulator.yaml`` here is a link to this
repository's ``rigs/emulator.yaml``, so the file exists once; the wheel carries its content).
Used by the pytest plugin (relative to its rootdir) and by ``rig doctor`` (working directory)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PROJECT_RIG_FILE = Path("rigs") / "emulator.yaml"


def builtin_rig_file() -> Path:
    """The built-in emulated bench's rig file, as installed."""
    return Path(str(resources.files("rig.labgrid") / "emulator.yaml"))


def default_rig_file(root: Path) -> Path:
    """``<root>/rigs/emulator.yaml`` if the project has one, else the built-in bench's."""
    in_project = Path(root) / PROJECT_RIG_FILE
    return in_project if in_project.is_file() else builtin_rig_file()
