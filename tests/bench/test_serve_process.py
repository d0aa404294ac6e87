"""``rig bench serve`` as a real process: its control port accepts only its own rig, its env
file is its user's alone, and SIGTERM ends it (and everything it started) within a second.

Reproduces two breaks: the control port (fault injection, profile changes, supply cuts) had no
access control, so any local client could drive it; and ``rig bench serve`` did not exit on
SIGTERM within a second (its seven ports were shut down one after the other, each waiting for
its server loop's next poll).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.bench.process import read_env_file
from tests.bench.conftest import Link
from tests.plan.runner import ROOT


@pytest.fixture
def served(tmp_path: Path):
    env_file = tmp_path / "bench.env"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rig.bench", "--clock", "virtual", "--env-file", str(env_file),
         "--can-interface", "udp_multicast"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: whatever it starts is in it
    )
    deadline = time.monotonic() + 30
    while not env_file.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    yield proc, env_file
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


def test_the_control_port_accepts_only_a_client_with_the_token(served):
    _, env_file = served
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # the token is its user's alone
    env = read_env_file(env_file)
    foreign = Link(env["LG_BENCH_CTRL"])
    try:
        foreign.send_raw(b"BENCH:AMB 60\n")
        assert foreign.query("*IDN?").startswith("evse-rig,")  # it may ask who this is
        code, text = foreign.error()
        assert code == -203 and "this port needs BENCH:AUTH? <token> first" in text
        foreign.send_raw(b"BENCH:TIME?\n")  # not even a query
        assert foreign.query('BENCH:AUTH? "guessed"') == "0"
        assert foreign.errors() == [-203]
    finally:
        foreign.close()
    rig = Link(env["LG_BENCH_CTRL"], token=env["LG_BENCH_TOKEN"])
    try:
        assert rig.query("BENCH:AMB?") == "25"  # the foreign write never happened
        count, _, message = rig.query("SYST:LOCK:VIOL?").split(",")
        assert int(count) == 3  # the write, the time query, the guessed token
        assert message == '"BENCH:AUTH? (a wrong token)"'
    finally:
        rig.close()


def test_sigterm_ends_it_within_a_second_and_its_children_too(served):
    proc, _ = served
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    took = time.monotonic() - started
    print(f"rig bench serve ended {took:.3f} s after SIGTERM")
    assert proc.returncode == 0, proc.stderr.read()
    assert took < 1.0
    with pytest.raises(ProcessLookupError):  # nothing of its process group is left
        os.killpg(proc.pid, 0)
