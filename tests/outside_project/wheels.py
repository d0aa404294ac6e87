"""Build this project's and the firmware's wheels and install them into a fresh venv.

What a charger maker does in its own repository, minus the download: ``pip install`` of the two
wheels. To stay cheap (no index, no copies of numpy or matplotlib), the fresh venv sees the
third-party packages of the venv running the tests through a ``.pth`` file naming a folder of
links to them, with this repository's own distributions (its editable ``evse-rig`` and
``zapcharger``) left out: ``rig``, ``rig.pytest_plugin`` and ``zapcharger`` can only come from
the wheels, and nothing of this checkout (its ``conftest.py``, ``fixtures/``) is on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware-under-test"
#: Distributions of this repository in the outer venv: never visible to the fresh one.
OWN = ("evse_rig", "zapcharger", "__editable__")


@dataclass
class Installed:
    venv: Path
    wheels: list[Path]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def rig(self) -> Path:
        return self.venv / "bin" / "rig"

    def run(self, *cmd: str | Path, cwd: Path, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """A command of the fresh venv, with nothing of this session in its environment."""
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("LG_", "PYTEST_", "RIG_", "VIRTUAL_ENV", "PYTHON"))}
        clean["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{clean.get('PATH', '')}"
        clean.update(env or {})
        return subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean, capture_output=True,
                              text=True, timeout=timeout)


def _copy(src: Path, dst: Path, names: tuple[str, ...]) -> Path:
    """The files a build needs, copied: a build writes build/ and *.egg-info beside them."""
    dst.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in names:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dst / name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(path, dst / name)
    return dst


def _pip(*args: str | Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    if proc.returncode:
        raise RuntimeError(f"pip {' '.join(map(str, args))}:\n{proc.stdout}\n{proc.stderr}")


def build_and_install(base: Path) -> Installed:
    """Wheels of evse-rig and zapcharger built offline, installed into ``base/venv``."""
    src = base / "src"
    rig_src = _copy(ROOT, src / "evse-rig", ("pyproject.toml", "README.md", "rig", "rigs"))
    fw_src = _copy(FIRMWARE, src / "zapcharger", ("pyproject.toml", "zapcharger"))
    wheelhouse = base / "wheelhouse"
    _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", wheelhouse, rig_src, fw_src)

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    deps = base / "third-party"
    deps.mkdir()
    outer = Path(sysconfig.get_paths()["purelib"])
    for entry in outer.iterdir():
        if not entry.name.startswith(OWN) and not entry.name.endswith(".pth"):
            (deps / entry.name).symlink_to(entry)
    inner = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (inner / "site-packages" / "third-party.pth").write_text(f"{deps}\n")
    # pip of this venv acting on the fresh one: the dependencies must be found installed
    # (--no-index: nothing is downloaded), the two packages only in the wheelhouse
    _pip("--python", venv / "bin" / "python", "install", "--quiet", "--no-index",
         "--find-links", wheelhouse, "evse-rig", "zapcharger")
    return Installed(venv, sorted(wheelhouse.glob("*.whl")))
