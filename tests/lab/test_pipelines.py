"""The nightly pipelines (GitHub Actions, GitLab CI) are linted: valid YAML, valid shell, a job
per charger build, and every make target, rig sub-command and file they call exists.

Nothing here runs the plan (``make nightly`` costs a whole plan run per build); what the
pipelines rely on is tested where it lives: ``rig compare`` (test_compare.py) and
``rig build check`` (test_builds.py), and ``make -n nightly`` here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from rig import builds
from rig.cli import build_parser
from tests.plan.runner import ROOT

GITHUB = ROOT / ".github" / "workflows" / "nightly.yml"
GITLAB = ROOT / ".gitlab-ci.yml"


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.MULTILINE))


def rig_commands() -> dict[str, set[str]]:
    """``rig`` sub-commands and, where they have them, their own sub-commands."""
    import argparse

    out: dict[str, set[str]] = {}
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                subs = {n for a in sub._actions if isinstance(a, argparse._SubParsersAction)
                        for n in a.choices}
                out[name] = subs
    return out


def github() -> dict[str, Any]:
    return yaml.safe_load(GITHUB.read_text())


def gitlab() -> dict[str, Any]:
    return yaml.safe_load(GITLAB.read_text())


def github_scripts() -> list[str]:
    return [step["run"] for job in github()["jobs"].values() for step in job["steps"]
            if "run" in step]


def gitlab_scripts() -> list[str]:
    return ["\n".join(job["script"]) for name, job in gitlab().items()
            if isinstance(job, dict) and "script" in job]


def _expand(script: str, build: str = "late-open") -> str:
    """The script as the runner hands it to the shell (one build of the matrix)."""
    return (script.replace("${{ matrix.build }}", build)
            .replace("${{ env.NIGHTLY_DIR }}", f"reports/nightly/{build}"))


def check_script(script: str) -> list[str]:
    """What in a pipeline's shell script names something that does not exist."""
    problems = []
    targets = make_targets()
    for target in re.findall(r"\bmake\s+(?:-\S+\s+)*([A-Za-z][\w-]*)", script):
        if target not in targets:
            problems.append(f"make {target}: no such target in the Makefile")
    commands = rig_commands()
    for cmd, sub in re.findall(r"(?:^|[\s;&|(])(?:\.venv/bin/)?rig\s+([a-z-]+)(?:\s+([a-z-]+))?",
                               script):
        if cmd not in commands:
            problems.append(f"rig {cmd}: no such sub-command")
        elif commands[cmd] and sub not in commands[cmd]:
            problems.append(f"rig {cmd} {sub}: no such sub-command of rig {cmd}")
    for tool in re.findall(r"\.venv/bin/([\w-]+)", script):
        if tool not in ("rig", "pytest", "python", "ruff"):
            problems.append(f".venv/bin/{tool}: not installed by make venv")
    for path in re.findall(r"\b((?:firmware-under-test|rigs|testplans|tests|bench|\.ci)"
                           r"/[\w./-]+)", script):
        if not (ROOT / path).exists():
            problems.append(f"{path}: no such file")
    shell = subprocess.run(["bash", "-n"], input=_expand(script), text=True,
                           capture_output=True)
    if shell.returncode:
        problems.append(f"not valid shell: {shell.stderr.strip()}")
    return problems


def test_both_pipelines_are_valid_yaml_with_their_required_keys():
    gh = github()
    on = gh.get("on", gh.get(True))  # YAML 1.1 reads the key `on` as true
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    job = gh["jobs"]["certify"]
    assert job["strategy"]["fail-fast"] is False
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w/-]+@v\d+", step["uses"]), step["uses"]
    gl = gitlab()
    assert gl["stages"] == ["nightly"] and gl["nightly"]["stage"] == "nightly"
    assert {r["if"] for r in gl["nightly"]["rules"]} >= {'$CI_PIPELINE_SOURCE == "schedule"'}


def test_every_build_is_in_both_matrices():
    names = builds.names()
    assert "compliant" in names and len(names) >= 3  # the compliant one and defective ones
    assert github()["jobs"]["certify"]["strategy"]["matrix"]["build"] == names
    assert gitlab()["nightly"]["parallel"]["matrix"][0]["BUILD"] == names
    for name in names:
        build = builds.load_build(name)
        assert (name == "compliant") == (build.expect_fail == []), name


@pytest.mark.parametrize("which", ["github", "gitlab"])
def test_every_command_the_pipelines_call_exists(which):
    scripts = github_scripts() if which == "github" else gitlab_scripts()
    text = "\n".join(scripts)
    assert "make nightly" in text and "rig compare previous/verdicts.json" in text
    problems = [p for s in scripts for p in check_script(s)]
    assert problems == []


def test_the_linter_catches_what_it_claims():
    bad = ("make nightlies BUILD=x\n.venv/bin/rig comprae a b\n.venv/bin/rig build chek x y\n"
           "cp firmware-under-test/builds/nope.yaml x\n.venv/bin/allure x\nif [ -f x ]; then\n")
    problems = check_script(bad)
    assert [p.split(":")[0] for p in problems] == [
        "make nightlies", "rig comprae", "rig build chek", ".venv/bin/allure",
        "firmware-under-test/builds/nope.yaml", "not valid shell"], problems


def test_the_artefacts_are_what_make_nightly_writes():
    recipe = subprocess.run([shutil.which("make") or "make", "-n", "-o", "venv", "-o",
                             ".venv/.installed", "nightly",
                             "BUILD=late-open"], cwd=ROOT, text=True, capture_output=True)
    assert recipe.returncode == 0, recipe.stderr
    assert "rig build args late-open" in recipe.stdout
    assert "--out reports/nightly/late-open/report.html" in recipe.stdout
    assert "rig build check late-open reports/nightly/late-open/verdicts.json" in recipe.stdout
    assert check_script(recipe.stdout) == []
    uploaded = github()["jobs"]["certify"]["steps"][-1]["with"]["path"]
    assert "report.html" in uploaded and "verdicts.json" in uploaded
    assert "$NIGHTLY_DIR/report.html" in gitlab()["nightly"]["artifacts"]["paths"]
