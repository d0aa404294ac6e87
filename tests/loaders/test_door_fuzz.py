"""Malformed files and values through the real entry points (issue 8, "one door for input").

hypothesis draws a malformed input (random bytes, random YAML documents, an alias bomb, a deep
nesting, a path under a file, an unknown profile key, a URL that is none) and hands it to a
real ``pytest`` process running the plan and to a real ``rig`` process for every sub-command
(``rig.cli.commands()``). Each must be refused at the door: the usage-error status (4 for the
plan, 2 for ``rig``), one line naming what is wrong, no traceback, nothing written, within
seconds. Derandomized and few examples (each is a process start, about 1-3 s of CPU), so the
module stays cheap on a 2-core CI machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rig.cli import commands
from tests.plan.runner import PLAN, ROOT
from tests.plan.test_bad_input import alias_bomb

RIG = [sys.executable, "-c", "import sys; from rig.cli import main; sys.exit(main())"]


def few(examples: int) -> settings:
    # no shrinking: a failing example is reported as drawn (shrinking would start dozens more
    # processes)
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- malformed files: never a valid rig file, profile, build file or verdicts file ----------
leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.text(max_size=8), st.sampled_from([".nan", "2027-13-01", "*x", "!!binary"]))
documents = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6).map(lambda k: f"zz{k}"), inner, min_size=1, max_size=3),
    max_leaves=8,
).filter(lambda doc: doc is not None).map(  # an empty profile is a valid one (the default)
    lambda doc: yaml.safe_dump(doc, allow_unicode=True))
malformed = st.one_of(
    documents,
    st.binary(min_size=1, max_size=64).map(lambda b: b"\xff\xfe" + b),  # not UTF-8
    st.just(alias_bomb()),
    st.integers(70, 400).map(lambda n: "targets: " + "[" * n + "]" * n + "\n"),
    st.text(min_size=1, max_size=40).map(lambda t: "targets: [" + t),  # YAML cut short
)


def _write(folder: Path, content: str | bytes) -> Path:
    path = folder / "input.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_", "RIG_"))}
    env.update(extra)
    return env


def _refused(proc: subprocess.CompletedProcess[str], status: int, prefix: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode == status, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), output
    assert "Traceback" not in output and "INTERNALERROR" not in output


# ---- the plan: pytest testplans/iec61851 -------------------------------------------------------
plan_inputs = st.one_of(
    malformed.map(lambda c: ("--lg-env", c)),
    malformed.map(lambda c: ("--charger-profile", c)),
    st.from_regex(r"[a-z]{1,6}(\.[a-z_]{1,8}){0,2}", fullmatch=True)
    .map(lambda k: ("--charger-set", f"zz{k}=1")),
    st.sampled_from(["--reports-dir", "--verdicts"]).map(lambda o: (o, "under-a-file")),
)


@few(5)
@given(plan_inputs)
def test_the_plan_refuses_malformed_input_at_the_door(case):
    option, value = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reports = folder / "reports"
        if option in ("--lg-env", "--charger-profile"):
            value = str(_write(folder, value))
        elif value == "under-a-file":
            (folder / "file").write_text("x")
            value = str(folder / "file" / "out")
        args = [option, value] if option != "--reports-dir" else []
        reports_dir = value if option == "--reports-dir" else str(reports)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(PLAN / "test_timing.py"), "-q",
             "-p", "no:cacheprovider", "--reports-dir", reports_dir, "--no-records", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=30, env=_env())
        _refused(proc, 4, "ERROR: bad input, nothing was started: ")
        assert not reports.exists(), "a refused run writes nothing"


# ---- every rig sub-command ---------------------------------------------------------------------
def _rig_argv(command: str, path: Path, text: str) -> tuple[list[str], dict[str, str]]:
    """The sub-command with the malformed input where it takes one."""
    under = str(path / "sub")  # a path under a file
    bad_url = f"zz{text}://" if text else "::"
    table: dict[str, tuple[list[str], dict[str, str]]] = {
        "bench serve": (["--profile", str(path)], {}),
        "runs": (["--records", bad_url], {}),
        "lock list": ([], {"RIG_LOCK_DIR": under}),
        "lock clear": (["--stale"], {"RIG_LOCK_DIR": under}),
        "doctor": (["--lg-env", str(path)], {}),
        "report": (["--out", under + "/r.html"], {}),
        "trend": (["TM-02", "--records", bad_url], {}),
        "compare": ([str(path), str(path)], {}),
        "build list": ([], {}),
        "build args": ([str(path)], {}),
        "build check": ([str(path), str(path)], {}),
        "lab serve": (["--dir", under], {}),
        "eol": (["--lg-env", str(path)], {}),
        "line yield": (["--records", bad_url], {}),
        "line cpk": (["--plots", under], {}),
    }
    assert command in table, f"a new sub-command: give it a malformed input here (rig {command})"
    args, env = table[command]
    return [*command.split(), *args], env


TAKES_INPUT = [c for c in commands() if c != "build list"]


@pytest.mark.parametrize("command", TAKES_INPUT)
@few(2)
@given(content=malformed, text=st.text("abc:/@ ", max_size=6))
def test_every_rig_sub_command_refuses_malformed_input(command, content, text):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), content)
        argv, extra = _rig_argv(command, path, text)
        proc = subprocess.run([*RIG, *argv], cwd=tmp, capture_output=True, text=True,
                              timeout=30, env=_env(**extra))
        _refused(proc, 2, f"rig {command.split()[0]}")
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["input.yaml"]
