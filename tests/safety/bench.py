"""A standalone emulated bench (``python -m rig.bench``) and plan runs against it, for the
safety, lock and doctor tests: the run under test is a real pytest subprocess, and what the rig
is left in is asked afterwards through the bench's own ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.bench.process import start_bench_process
from tests.plan.runner import ROOT

PLANS = Path(__file__).resolve().parent / "plans"
EMULATOR_RIG = ROOT / "rigs" / "emulator.yaml"


def scpi(resource: str, *commands: str, timeout: float = 10.0,
         token: str | None = None) -> list[str]:
    """Send each command on a fresh connection to ``resource`` and return the replies of the
    queries (a plain socket: the test must not depend on the drivers it checks). ``token``:
    the control port's, shown first."""
    _, host, port, _ = resource.split("::")
    replies = []
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        stream = sock.makefile("rwb")
        if token is not None:
            stream.write(f'BENCH:AUTH? "{token}"\n'.encode())
            stream.flush()
            assert stream.readline().strip() == b"1", "the bench refused its own token"
        for command in commands:
            stream.write((command + "\n").encode())
            stream.flush()
            if "?" in command:
                replies.append(stream.readline().decode().strip())
    return replies


@dataclass
class ServedBench:
    env: dict[str, str]
    proc: subprocess.Popen

    def _token(self, key: str) -> str | None:
        return self.env.get("LG_BENCH_TOKEN") if key == "ctrl" else None

    def query(self, key: str, command: str) -> str:
        return scpi(self.env[f"LG_BENCH_{key.upper()}"], command, token=self._token(key))[0]

    def write(self, key: str, *commands: str) -> None:
        """Send commands and wait until the instrument has processed them (``*OPC?``)."""
        scpi(self.env[f"LG_BENCH_{key.upper()}"], *commands, "*OPC?", token=self._token(key))

    def safe(self) -> tuple[bool, str]:
        reply = self.query("ctrl", "BENCH:SAFE?")
        return reply == "1", reply

    def unsafe_items(self) -> set[str]:
        ok, reply = self.safe()
        if ok:
            return set()
        return {p.strip() for p in reply.partition(",")[2].strip('"').split(";")}

    def outputs(self) -> dict[str, str]:
        """What each instrument says it does, asked on its own port."""
        return {
            "ac3 OUTP?": self.query("ac3", "OUTP?"),
            "smu :OUTP?": self.query("smu", ":OUTP?"),
            "cs :OUTP?": self.query("cs", ":OUTP?"),
            "ev SOUR:CP:STAT?": self.query("ev", "SOUR:CP:STAT?"),
            "ev OUTP:LOAD?": self.query("ev", "OUTP:LOAD?"),
        }

    def watchdogs(self) -> dict[str, str]:
        """Armed and tripped, AC source and EV emulator (asking pets them: ask last)."""
        out = {}
        for key in ("ac3", "ev"):
            armed, tripped = scpi(self.env[f"LG_BENCH_{key.upper()}"], "OUTP:PROT:WDOG?",
                                  "OUTP:PROT:TRIP?")
            out[f"{key} armed"] = armed
            out[f"{key} tripped"] = tripped
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


SAFE_OUTPUTS = {"ac3 OUTP?": "0", "smu :OUTP?": "0", "cs :OUTP?": "0", "ev SOUR:CP:STAT?": "A",
                "ev OUTP:LOAD?": "0"}


def serve_bench(folder: Path, *args: str) -> ServedBench:
    """``python -m rig.bench --clock virtual`` with its LG_BENCH_* environment."""
    folder.mkdir(parents=True, exist_ok=True)
    env_file = folder / f"bench-{time.monotonic_ns()}.env"
    proc, env = start_bench_process(env_file, *args, cwd=ROOT)
    return ServedBench(env, proc)


def rig_file(folder: Path, name: str = "rig.yaml", watchdog_s: float | None = None,
             replace: dict[str, str] | None = None) -> Path:
    """A copy of rigs/emulator.yaml with a watchdog delay and text replacements."""
    text = EMULATOR_RIG.read_text()
    if watchdog_s is not None:
        text = text.replace("\n  watchdog_s: 5", f"\n  watchdog_s: {watchdog_s:g}")
        assert f"watchdog_s: {watchdog_s:g}" in text
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text)
    return path


@dataclass
class PlanProcess:
    """A pytest subprocess running a plan module against a served bench."""

    proc: subprocess.Popen
    folder: Path
    output: str = ""
    verdicts: dict[str, Any] = field(default_factory=dict)

    def wait(self, timeout: float = 120) -> PlanProcess:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(f"the run did not end within {timeout} s:\n{out}") from None
        self.output = out
        path = self.folder / "verdicts.json"
        if path.exists():
            import json

            self.verdicts = json.loads(path.read_text())
        return self

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def requirement(self, rid: str) -> dict[str, Any]:
        return self.verdicts["requirements"][rid]


def start_plan(folder: Path, bench: ServedBench | None, rig: Path, *args: str,
               module: str = "plan_exit.py", env: dict[str, str] | None = None) -> PlanProcess:
    """``pytest tests/safety/plans/<module> --lg-env rig args`` against ``bench`` (None: the rig
    file's own in-process bench)."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", str(PLANS / module), "-q", "-p", "no:cacheprovider",
           "--lg-env", str(rig), "--verdicts", str(folder / "verdicts.json"),
           "--reports-dir", str(folder / "reports"), "--no-records", *args]
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    if bench is not None:
        run_env.update(bench.env)
    run_env.setdefault("RIG_LOCK_DIR", str(folder / "locks"))
    run_env.update(env or {})
    proc = subprocess.Popen(cmd, cwd=ROOT, env=run_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return PlanProcess(proc, folder)


def wait_until(predicate: Any, timeout: float, what: str, proc: PlanProcess | None = None,
               poll: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.proc.poll() is not None:
            proc.wait()
            raise AssertionError(f"the run ended before {what}:\n{proc.output}")
        if time.monotonic() > deadline:
            if proc is not None:
                os.killpg(proc.proc.pid, signal.SIGKILL)
                proc.wait()
            raise AssertionError(f"not within {timeout} s: {what}\n"
                                 f"{proc.output if proc else ''}")
        time.sleep(poll)
