"""Rigs as labgrid places behind a real coordinator (issue 11, items 1 and 2).

One lab for the module (``rig.labgrid.lab.LocalLab``): ``labgrid-coordinator`` on 127.0.0.1 (a
free port, its own working directory), two emulated benches in their own processes, one
exporter per bench (``python -m rig.labgrid.exporter``, ``rigs/places/exporter-emulator.yaml``)
and the places ``rig-a`` and ``rig-b``. Every plan run is a real pytest process with
``--lg-env rigs/place.yaml``: it acquires its place through the coordinator, reads the place's
resources (``RemotePlace``), runs, and releases.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.labgrid.lab import PLACE_RIG, LocalLab
from rig.labgrid.places import Coordinator, holder_of
from rig.locks import PlaceLock
from tests.plan.runner import PLAN, ROOT

PLACES = ["rig-a", "rig-b"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> LocalLab:
    folder = tmp_path_factory.mktemp("lab")
    lab = LocalLab(folder, PLACES).start()
    yield lab
    lab.stop()


def start_run(lab: LocalLab, place: str, folder: Path, *args: str,
              target: str = str(PLAN)) -> subprocess.Popen[str]:
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
    env.update(lab.client_env(place), RIG_LOCK_DIR=str(folder / "locks"))
    cmd = [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider",
           "--lg-env", str(PLACE_RIG), "--no-records", "--reports-dir", str(folder),
           *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(proc: subprocess.Popen[str], folder: Path, timeout: float = 300
           ) -> tuple[int, str, dict]:
    out, _ = proc.communicate(timeout=timeout)
    path = folder / "verdicts.json"
    return proc.returncode, out, json.loads(path.read_text()) if path.exists() else {}


def executed(verdicts: dict) -> dict[str, str]:
    return {rid: r["verdict"] for rid, r in verdicts["requirements"].items()
            if r["verdict"] != "NOT_RUN"}


def places(lab: LocalLab) -> dict:
    return Coordinator(lab.address).places()


def wait_acquired(lab: LocalLab, place: str, proc: subprocess.Popen[str], timeout: float = 60
                  ) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        holder = holder_of(places(lab)[place])
        if holder.get("pid") == proc.pid:
            return holder
        time.sleep(0.2)
    raise AssertionError(f"{place} never acquired by pid {proc.pid}")


ONE_TEST = str(PLAN / "test_timing.py::test_contactor_opens_when_vehicle_stops")


def test_the_plan_on_two_places_at_once(lab, tmp_path):
    """The whole certification plan on both places in parallel: rig-a compliant, rig-b with
    its contactor opening 150 ms late; each run's verdicts are its own bench's."""
    a = start_run(lab, "rig-a", tmp_path / "a")
    b = start_run(lab, "rig-b", tmp_path / "b", "--charger-set", "timing.open_after_b_s=0.15")
    holders = {"rig-a": wait_acquired(lab, "rig-a", a), "rig-b": wait_acquired(lab, "rig-b", b)}
    assert {h["pid"] for h in holders.values()} == {a.pid, b.pid}
    assert all(p.acquired for p in places(lab).values())  # both held at the same time
    code_a, out_a, verdicts_a = finish(a, tmp_path / "a")
    code_b, out_b, verdicts_b = finish(b, tmp_path / "b")
    assert code_a == 0, out_a[-3000:]
    assert set(executed(verdicts_a).values()) == {"PASS"} and len(executed(verdicts_a)) >= 40
    assert code_b == 1, out_b[-3000:]
    assert {r for r, v in executed(verdicts_b).items() if v != "PASS"} == {"TM-02"}, out_b[-3000:]
    assert verdicts_a["rig"]["env"].endswith("place.yaml")
    after = places(lab)
    assert not after["rig-a"].acquired and not after["rig-b"].acquired  # released
    assert holder_of(after["rig-a"]) == {}


def test_a_busy_place_refuses_or_waits(lab, tmp_path):
    """A run that asks for a place another run holds is refused at once, naming the holder,
    or, with --place-wait, waits for it: a clear ERROR when the time is up, the run itself
    when the place comes free."""
    hold = PlaceLock(["rig-a"], lab.address).acquire()  # another run holds rig-a
    try:
        code, out, verdicts = finish(start_run(lab, "rig-a", tmp_path / "refused",
                                               target=ONE_TEST), tmp_path / "refused", 120)
        assert code == 1, out[-3000:]
        reason = verdicts["requirements"]["TM-02"]["reasons"][0]
        assert "place rig-a is in use" in reason and f"pid {os.getpid()}" in reason, reason
        assert "not waiting (--place-wait 0)" in reason
        code, out, verdicts = finish(start_run(lab, "rig-a", tmp_path / "timeout", "--place-wait",
                                               "1", target=ONE_TEST), tmp_path / "timeout", 120)
        assert code == 1 and "waited 1 s" in verdicts["requirements"]["TM-02"]["reasons"][0]
        waiting = start_run(lab, "rig-a", tmp_path / "waits", "--place-wait", "120",
                            target=ONE_TEST)
        # the run's transcript file appears just before it asks for the place
        deadline = time.monotonic() + 60
        while not (tmp_path / "waits" / "scpi-transcript.log").exists():
            assert waiting.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(2)
        assert waiting.poll() is None  # still waiting for the place
    finally:
        hold.release()
    code, out, verdicts = finish(waiting, tmp_path / "waits")
    assert code == 0 and executed(verdicts) == {"TM-02": "PASS"}, out[-3000:]
    waited = [n for n in verdicts["notes"] if n.startswith("waited ")]
    assert waited and "for place rig-a, held by" in waited[0] and str(os.getpid()) in waited[0]


def test_a_place_left_locked_by_a_killed_run_is_recovered(lab, tmp_path):
    """labgrid never expires a lock: a run killed with SIGKILL leaves its place acquired. The
    next run on the same host sees that the holder's process is gone, releases the place and
    takes it, and says so in its verdicts file."""
    compliant = ("--charger-set", "timing.open_after_b_s=0.05")  # rig-b's bench had 0.15
    victim = start_run(lab, "rig-b", tmp_path / "killed", *compliant, target=ONE_TEST)
    holder = wait_acquired(lab, "rig-b", victim)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    left = places(lab)["rig-b"]
    assert left.acquired and holder_of(left)["pid"] == holder["pid"]  # still locked
    code, out, verdicts = finish(start_run(lab, "rig-b", tmp_path / "next", *compliant,
                                           target=ONE_TEST), tmp_path / "next")
    assert code == 0, out[-3000:]
    notes = " ".join(verdicts.get("notes", []))
    assert "recovered place rig-b from a run that is gone" in notes and str(victim.pid) in notes
    assert not places(lab)["rig-b"].acquired
