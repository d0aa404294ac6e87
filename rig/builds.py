"""Charger builds the nightly matrix certifies: ``firmware-under-test/builds/<name>.yaml``.

For the emulated charger a build is a firmware version plus the profile it runs (a defect is a
profile line, as in the defect matrix); each file also says which requirements the build must
FAIL, exactly. The compliant build must fail none; a known-defective one must fail exactly its
own, so a nightly run proves both that the plan still catches the defect and that nothing else
broke::

    description: contactor opens 150 ms after the vehicle stops (C -> B)
    firmware: 2.14.0-tm02
    profile: {timing.open_after_b_s: 0.15}
    expect_fail: [TM-02]

``rig build list`` names the builds, ``rig build args NAME`` prints the plan's arguments for one
(``--firmware-build <file>``: the charger is brought to the build by OCPP UpdateFirmware before
the plan; ``--profile`` prints ``--charger-set`` overrides instead) and ``rig build check
NAME VERDICTS`` exits 1 unless the run certified that firmware and its FAILs are exactly the
expected ones (and nothing is ERROR). A bad build file is exit 2 naming file, line and key.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rig.errors import ConfigError
from rig.yamlio import load_model, read_yaml

ROOT = Path(__file__).resolve().parent.parent
BUILDS_DIR = ROOT / "firmware-under-test" / "builds"


class Build(BaseModel):
    """One build file."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    firmware: str = Field(min_length=1, pattern=r"^[0-9A-Za-z.+_-]+$")
    profile: dict[str, str | int | float | bool] = Field(default_factory=dict)
    expect_fail: list[str] = Field(default_factory=list)

    @field_validator("expect_fail")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each requirement id once")
        return value

    name: str = Field(default="", exclude=True)
    source: str = Field(default="", exclude=True)


def build_path(name: str) -> Path:
    """``NAME`` (in ``firmware-under-test/builds/``) or a path to a build file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return BUILDS_DIR / f"{name}.yaml"


def load_build(name: str) -> Build:
    """The build, validated: keys, types, profile keys the emulated charger knows."""
    from zapcharger.profile import ProfileError, load_profile

    path = build_path(name)
    if not path.is_file():
        known = ", ".join(names()) or "none"
        raise ConfigError(str(path), "<file>", f"a build file (builds: {known})")
    build = load_model(path, Build)
    build.name, build.source = path.stem, str(path)
    try:
        load_profile(None, {"identity.firmware": build.firmware, **build.profile})
    except ProfileError as exc:
        key = f"profile.{exc.key}".removesuffix(".")
        lines = read_yaml(path)[1]
        raise ConfigError(str(path), key, exc.expected, lines.get(key) or lines.get("profile")
                          ) from None
    return build


def names() -> list[str]:
    return sorted(p.stem for p in BUILDS_DIR.glob("*.yaml"))


def plan_args(build: Build) -> list[str]:
    """pytest arguments that make the charger this build: ``--firmware-build``, an OCPP
    UpdateFirmware to the build's image before the plan (``rig.firmware_update``)."""
    return ["--firmware-build", build.source or build.name]


def profile_args(build: Build) -> list[str]:
    """The same build as ``--charger-set`` overrides (no update: the emulated charger starts
    as this build), for a rig without an OCPP central system."""
    out = ["--charger-set", f"identity.firmware={build.firmware}"]
    for key, value in build.profile.items():
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        out += ["--charger-set", f"{key}={text}"]
    return out


def check(build: Build, verdicts: dict[str, Any]) -> list[str]:
    """What is wrong with a run of ``build`` (empty: it failed exactly as expected)."""
    problems = []
    firmware = (verdicts.get("charger") or {}).get("firmware")
    if firmware != build.firmware:
        problems.append(f"the run certified firmware {firmware!r}, the build is "
                        f"{build.firmware!r}")
    reqs = verdicts.get("requirements") or {}
    failed = sorted(r for r, v in reqs.items() if v.get("verdict") == "FAIL")
    errors = sorted(r for r, v in reqs.items() if v.get("verdict") == "ERROR")
    unknown = sorted(set(build.expect_fail) - set(reqs))
    if unknown:
        problems.append(f"expect_fail names requirements the plan does not have: "
                        f"{', '.join(unknown)}")
    missed = sorted(set(build.expect_fail) - set(failed) - set(unknown))
    extra = sorted(set(failed) - set(build.expect_fail))
    if missed:
        problems.append("expected to FAIL but did not: " + ", ".join(
            f"{r} ({reqs[r].get('verdict')})" for r in missed))
    if extra:
        problems.append("FAIL but not expected: " + ", ".join(extra))
    if errors:
        problems.append("ERROR (the rig, not the charger): " + ", ".join(
            f"{r} ({'; '.join(reqs[r].get('reasons') or [])[:200]})" for r in errors))
    return problems


def add_parser(sub: Any) -> None:
    p = sub.add_parser("build", help="charger builds of the nightly matrix "
                       "(firmware-under-test/builds/)")
    bsub = p.add_subparsers(dest="build_command", required=True)
    bsub.add_parser("list", help="the builds, one per line")
    args = bsub.add_parser("args", help="pytest arguments that make the charger a build "
                           "(--firmware-build: OCPP UpdateFirmware before the plan)")
    args.add_argument("build", help="a build name or file")
    args.add_argument("--profile", action="store_true",
                      help="--charger-set overrides instead (no firmware update)")
    chk = bsub.add_parser("check", help="exit 1 unless a run of the build FAILed exactly its "
                          "expected requirements, with no ERROR, on its firmware")
    chk.add_argument("build", help="a build name or file")
    chk.add_argument("verdicts", help="the run's verdicts file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.build_command == "list":
            print("\n".join(names()))
            return 0
        build = load_build(args.build)
        if args.build_command == "args":
            print(shlex.join(profile_args(build) if args.profile else plan_args(build)))
            return 0
        path = Path(args.verdicts)
        try:
            verdicts = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(str(path), "<file>", f"the run's verdicts file ({exc})") from None
        if not isinstance(verdicts, dict):
            raise ConfigError(str(path), "<top level>", "a verdicts file (a mapping)")
    except ConfigError as exc:
        print(f"rig build: {exc}", file=sys.stderr)
        return 2
    problems = check(build, verdicts)
    expected = ", ".join(build.expect_fail) or "none"
    if problems:
        print(f"build {build.name} ({build.firmware}): NOT as expected (expected FAIL: "
              f"{expected})")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"build {build.name} ({build.firmware}): as expected (FAIL: {expected})")
    return 0
