"""`rig bench serve` in its own process: real sockets, a real pty, CAN across processes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import pyvisa

from rig.bench.process import start_bench_process
from rig.dut.canlink import open_can
from tests.plan.runner import ROOT, run_plan


@pytest.fixture
def served_bench(tmp_path):
    """Start `rig bench serve --clock virtual` and return its LG_BENCH_* environment."""
    try:
        proc, env = start_bench_process(tmp_path / "bench.env", cwd=ROOT,
                                        stdout=subprocess.PIPE)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield env, proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_prints_addresses_and_answers_scpi(served_bench):
    env, _ = served_bench
    assert set(env) >= {"LG_BENCH_AC3", "LG_BENCH_EV", "LG_BENCH_CTRL", "LG_BENCH_CONSOLE",
                        "LG_BENCH_CAN_INTERFACE", "LG_BENCH_CAN_CHANNEL"}
    assert Path(env["LG_BENCH_CONSOLE"]).exists()
    rm = pyvisa.ResourceManager("@py")
    ctrl = rm.open_resource(env["LG_BENCH_CTRL"], read_termination="\n",
                            write_termination="\n", timeout=5000)
    try:
        assert ctrl.query(f'BENCH:AUTH? "{env["LG_BENCH_TOKEN"]}"') == "1"
        assert ctrl.query("BENCH:TIME:MODE?") == "VIRTUAL"
        ctrl.write("BENCH:TIME:ADV 12.5")
        assert float(ctrl.query("BENCH:TIME?")) == pytest.approx(12.5)
    finally:
        ctrl.close()


def test_can_frames_cross_processes(served_bench):
    """The charger's CAN status frames reach another process over udp_multicast."""
    env, _ = served_bench
    bus = open_can(env["LG_BENCH_CAN_INTERFACE"], env["LG_BENCH_CAN_CHANNEL"])
    rm = pyvisa.ResourceManager("@py")
    ctrl = rm.open_resource(env["LG_BENCH_CTRL"], read_termination="\n",
                            write_termination="\n", timeout=5000)
    ac = rm.open_resource(env["LG_BENCH_AC3"], read_termination="\n",
                          write_termination="\n", timeout=5000)
    try:
        assert ctrl.query(f'BENCH:AUTH? "{env["LG_BENCH_TOKEN"]}"') == "1"
        ac.write("VOLT 230;:OUTP ON")
        seen = set()
        deadline = time.monotonic() + 10
        while not {0x101, 0x111} <= seen and time.monotonic() < deadline:
            ctrl.query("BENCH:TIME:ADV 1;*OPC?")
            msg = bus.recv(timeout=0.2)
            while msg is not None:
                seen.add(msg.arbitration_id)
                msg = bus.recv(timeout=0)
        assert {0x101, 0x111} <= seen, f"frames seen: {sorted(hex(i) for i in seen)}"
        ac.write("OUTP OFF")
    finally:
        bus.shutdown()
        ctrl.close()
        ac.close()


def test_plan_against_a_served_bench(served_bench, tmp_path):
    """The same plan, pointed at a bench in another process; overrides go over its port."""
    env, _ = served_bench
    run = run_plan(
        tmp_path, "--lg-env", str(ROOT / "rigs" / "emulator.yaml"),
        "--charger-set", "timing.open_after_b_s=0.15",
        modules=("test_timing.py",), env=env,
    )
    expected = {f"TM-0{i}": "FAIL" if i == 2 else "PASS" for i in range(1, 7)}
    assert run.executed() == expected, run.output
    assert run.verdicts["charger"]["serial"] == "ZCS000001"
    assert os.environ.get("LG_BENCH_CTRL") is None  # the test process itself started no bench
