"""Exclusive use: one run per rig at a time. Two real plan runs against one served bench (the
second is refused, naming the holder), the lock keys of a rig file, stale locks after a crash,
and the ``rig lock`` commands."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from rig.errors import RigError
from rig.locks import (
    RigBusyError,
    RigLock,
    clear_lock,
    clear_stale,
    file_name,
    list_locks,
    rig_keys,
)
from tests.plan.runner import ROOT
from tests.safety.bench import rig_file, serve_bench, start_plan, wait_until

KEYS = {"visa:TCPIP0::10.0.0.1::5025::SOCKET": "ac_source", "serial:/dev/ttyUSB0": "console"}


def rig_cli(lock_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rig.cli", "lock", *args], cwd=ROOT,
                          env={**os.environ, "RIG_LOCK_DIR": str(lock_dir)},
                          capture_output=True, text=True, timeout=60)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_holder_is_refused_with_the_holder_named(tmp_path):
    first = RigLock(KEYS, tmp_path).acquire()
    try:
        with pytest.raises(RigBusyError) as refused:
            RigLock({"serial:/dev/ttyUSB0": "console"}, tmp_path).acquire()
        text = str(refused.value)
        assert text.startswith(f"rig in use: console (/dev/ttyUSB0) is held by "
                               f"{getpass.getuser()} on {socket.gethostname()} "
                               f"(pid {os.getpid()}, since ")
        assert "Wait for that run to end" in text and "`rig lock list`" in text
        # all or nothing: a refused run keeps none of the keys it got before the busy one
        with pytest.raises(RigBusyError):
            RigLock({"visa:TCPIP0::10.0.0.9::INSTR": "ev", **KEYS}, tmp_path).acquire()
        assert not (tmp_path / file_name("visa:TCPIP0::10.0.0.9::INSTR")).exists()
        (info,) = [i for i in list_locks(tmp_path) if i.key == "serial:/dev/ttyUSB0"]
        assert info.state == "held" and info.holder["role"] == "console"
    finally:
        first.release()
    assert list(tmp_path.glob("*.lock")) == []  # released and removed
    RigLock(KEYS, tmp_path).acquire().release()


def test_stale_locks_block_nobody_and_are_cleared(tmp_path):
    key = "visa:TCPIP0::10.0.0.1::5025::SOCKET"
    pid = dead_pid()
    holder = {"key": key, "role": "ac_source", "user": "alice", "host": socket.gethostname(),
              "pid": pid, "started": "2026-11-25T10:00:00", "command": "pytest testplans"}
    (tmp_path / file_name(key)).write_text(json.dumps(holder))
    (info,) = list_locks(tmp_path)
    assert (info.state, info.stale) == ("stale (holder gone)", True)
    listing = rig_cli(tmp_path, "list")
    assert listing.returncode == 0
    assert f"{key}\n      stale (holder gone): alice on {socket.gethostname()} (pid {pid}, " \
           "since 2026-11-25T10:00:00): pytest testplans" in listing.stdout
    # a crashed run's file blocks nobody: the kernel released its flock with the process
    with RigLock(KEYS, tmp_path):
        (info,) = [i for i in list_locks(tmp_path) if i.key == key]
        assert info.state == "held" and info.holder["pid"] == os.getpid()
        assert clear_stale(tmp_path) == []  # a live holder's lock is never stale
        with pytest.raises(RigError, match=r"is held by .* end that run first"):
            clear_lock(key, tmp_path)
        refused = rig_cli(tmp_path, "clear", key)
        assert refused.returncode == 1 and "end that run first" in refused.stderr
    (tmp_path / file_name(key)).write_text(json.dumps(holder))
    cleared = rig_cli(tmp_path, "clear", "--stale")
    assert cleared.returncode == 0
    assert cleared.stdout.startswith(f"cleared {key} (stale (holder gone): alice on ")
    assert list(tmp_path.glob("*.lock")) == []
    assert rig_cli(tmp_path, "clear", "--stale").stdout.strip() == "no stale locks"
    assert rig_cli(tmp_path, "clear").returncode == 2


def test_keys_of_a_rig_file(tmp_path, monkeypatch):
    from labgrid import Environment

    env = {"LG_BENCH_AC3": "TCPIP0::127.0.0.1::5001::SOCKET", "LG_BENCH_PA": "TCPIP0::127.0.0.1"
           "::5002::SOCKET", "LG_BENCH_SMU": "TCPIP0::127.0.0.1::5003::SOCKET",
           "LG_BENCH_CS": "TCPIP0::127.0.0.1::5004::SOCKET", "LG_BENCH_EV": "TCPIP0::127.0.0.1"
           "::5005::SOCKET", "LG_BENCH_CTRL": "TCPIP0::127.0.0.1::5006::SOCKET",
           "LG_BENCH_CONSOLE": "/dev/pts/77", "LG_BENCH_CAN_INTERFACE": "udp_multicast",
           "LG_BENCH_CAN_CHANNEL": "239.1.2.3", "LG_BENCH_TOKEN": "not-a-key",
           "LG_BENCH_EST": "TCPIP0::127.0.0.1::5007::SOCKET",
           "LG_BENCH_CNT": "TCPIP0::127.0.0.1::5008::SOCKET",
           # every variable the rig file names, set here: one another test left in this
           # process's environment is not there when the file runs alone or on another worker
           "LG_BENCH_TAGS": "http://127.0.0.1:5009"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    target = Environment(config_file=str(ROOT / "rigs" / "emulator.yaml")).get_target("main")
    assert rig_keys(target) == {
        "visa:TCPIP0::127.0.0.1::5001::SOCKET": "ac_source",
        "visa:TCPIP0::127.0.0.1::5002::SOCKET": "power_analyser",
        "visa:TCPIP0::127.0.0.1::5003::SOCKET": "rcd_dc",
        "visa:TCPIP0::127.0.0.1::5004::SOCKET": "rcd_ac",
        "visa:TCPIP0::127.0.0.1::5005::SOCKET": "ev",
        "visa:TCPIP0::127.0.0.1::5006::SOCKET": "bench",
        "visa:TCPIP0::127.0.0.1::5007::SOCKET": "safety_tester",
        "visa:TCPIP0::127.0.0.1::5008::SOCKET": "pulse_counter",
        "serial:/dev/pts/77": "console",
        "can:udp_multicast:239.1.2.3": "can",
    }
    place = type("RemotePlace", (), {})()
    place.name = "charger-lab-2"
    assert rig_keys(SimpleNamespace(resources=[place])) == {"place:charger-lab-2": "place"}


def test_two_runs_against_one_bench(tmp_path):
    """The first run holds the rig; a second one against the same served bench is refused
    (an ERROR of the run naming the holder) and does not touch it; the first ends normally."""
    bench = serve_bench(tmp_path)
    locks = tmp_path / "locks"
    go = tmp_path / "go"
    env = {"RIG_LOCK_DIR": str(locks), "RIG_SAFETY_GO": str(go)}
    try:
        rig = rig_file(tmp_path)
        first = start_plan(tmp_path / "first", bench, rig, "-k", "holds_the_rig", env=env)
        wait_until(lambda: any(i.holder.get("pid") == first.proc.pid
                               for i in list_locks(locks)), 60, "the first run locked the rig",
                   first)
        listing = rig_cli(locks, "list")
        assert f"held: {getpass.getuser()} on {socket.gethostname()} (pid {first.proc.pid}, " \
               in listing.stdout
        second = start_plan(tmp_path / "second", bench, rig, "-k", "holds_the_rig",
                            env=env).wait(120)
        go.touch()
        first.wait(120)
    finally:
        bench.stop()
    assert first.returncode == 0, first.output
    assert first.requirement("SF-08")["verdict"] == "PASS"
    assert second.returncode == 1, second.output
    reason = " ".join(second.requirement("SF-08")["reasons"])
    assert re.match(r"setup: RigBusyError: rig in use: (ac_source|power_analyser|rcd_dc"
                    r"|rcd_ac|pulse_counter|ev|bench) "
                    r"\(TCPIP0::127\.0\.0\.1::\d+::SOCKET\) is held by ", reason)
    assert (f"is held by {getpass.getuser()} on {socket.gethostname()} (pid {first.proc.pid}, "
            in reason)
    assert "pytest" in reason and "holds_the_rig" in reason  # the holder's command line
    assert list(locks.glob("*.lock")) == []
