"""The emulated bench in a process of its own, as scripts and tests start it.

``rig bench serve --env-file F`` writes the ``LG_BENCH_*`` addresses as ``export`` lines once it
listens; :func:`start_bench_process` starts ``python -m rig.bench`` and waits for that file, so a
benchmark, a safety test or a plan run drives a bench that lives apart from it (as a lab's
instruments do) without each of them parsing the file its own way.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

#: How long a bench process may take to start listening, s.
START_TIMEOUT_S = 30.0


def write_env_file(path: str | Path, environment: Mapping[str, str]) -> None:
    """``export KEY=value`` lines, shell-quoted (``source`` it, or :func:`read_env_file`).

    Mode 0600: it holds the control port's token, which only this user's runs may read. The
    text goes into a new file that is renamed into place, so a reader never sees half of it."""
    path = Path(path)
    text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in environment.items())
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(partial, 0o600)  # an existing file keeps its mode through O_CREAT
    os.replace(partial, path)


def read_env_file(path: str | Path) -> dict[str, str]:
    """The environment :func:`write_env_file` wrote."""
    env = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0]
    return env


def start_bench_process(
    env_file: str | Path,
    *args: str,
    cwd: str | Path | None = None,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``python -m rig.bench --clock virtual`` with CAN on a private ``udp_multicast`` group
    and port of its own (``rig.dut.canlink``; ``args`` are added); returns the process and its
    ``LG_BENCH_*`` environment once it listens. RuntimeError, with what the process said, if it
    does not start in time."""
    env_file = Path(env_file)
    env_file.unlink(missing_ok=True)  # a file left by an earlier bench is not this one's
    cmd = [sys.executable, "-m", "rig.bench", "--clock", "virtual", "--env-file", str(env_file),
           "--can-interface", "udp_multicast", *args]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=stderr, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not env_file.exists() or not env_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"rig bench serve did not start: {proc.communicate()}")
        time.sleep(0.02)
    return proc, read_env_file(env_file)
