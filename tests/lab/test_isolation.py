"""Two benches on one host at once never hear each other, on any link (issue 11, item 3).

Two ``python -m rig.bench`` processes run side by side (as two rigs of a lab PC, or two
engineers' test runs on one CI machine), each charger with its own serial and charging at its
own current (10 A and 20 A). Each rig is opened the way the plugin opens it (``rigs/emulator.yaml``,
real drivers over pyvisa, the console's pty through pyserial, CAN through python-can's
``udp_multicast`` on the bench's private channel, OCPP through a central system of its own), and
every reading of each rig must name its own charger: SCPI (analyser, EV emulator: current and
advertised duty), console (serial, meter), CAN (every identity frame, every status and meter
frame) and OCPP (BootNotification serial, MeterValues current). Then two listeners that are
nobody's rig (python-can's shared default port, and another fresh private channel) must have
heard no frame at all.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import can
import pytest
from labgrid import Environment

from fixtures.charger import Charger, Trace
from fixtures.rig import RigSession
from rig.bench.process import start_bench_process
from rig.dut.can import IDENTITY, METER, STATUS, decode_identity, decode_meter, decode_status
from rig.dut.canlink import is_private, open_can, private_channel
from rig.dut.ocpp import CentralSystem
from rig.transport.visa import Transcript
from tests.plan.runner import ROOT

RIG_FILE = ROOT / "rigs" / "emulator.yaml"
#: Each bench: (serial of its charger, current it charges at, A).
BENCHES = {"a": ("ZCS000111", 10.0), "b": ("ZCS000222", 20.0)}


@dataclass
class OpenRig:
    serial: str
    current_a: float
    env: dict[str, str]
    rig: RigSession
    charger: Charger
    csms: CentralSystem


def _open_rig(stack: ExitStack, folder: Path, key: str) -> OpenRig:
    serial, current = BENCHES[key]
    proc, env = start_bench_process(folder / f"bench-{key}.env", "--set",
                                    f"identity.serial={serial}", cwd=ROOT)
    stack.callback(_stop, proc)
    # labgrid resolves the rig file's !template strings when it loads the file: each rig
    # reads the LG_BENCH_* of its own bench
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        rig = RigSession(Environment(config_file=str(RIG_FILE)), Transcript(keep=1000))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    stack.callback(rig.close)
    rig.open()
    stack.callback(rig.make_safe, True)
    csms = CentralSystem().start()
    stack.callback(csms.stop)
    rig.control.write(f'BENCH:OCPP:URL "{csms.url(serial)}"')
    charger = Charger(rig, Trace(rig.instrument("ev"), rig.clock), rig.clock)
    return OpenRig(serial, current, env, rig, charger, csms)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


@pytest.fixture
def two_rigs(tmp_path: Path) -> Iterator[dict[str, OpenRig]]:
    with ExitStack() as stack:
        yield {key: _open_rig(stack, tmp_path, key) for key in BENCHES}


def _frames(bus: can.BusABC, seconds: float = 0.3) -> list[can.Message]:
    out, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        msg = bus.recv(timeout=0.05)
        if msg is not None:
            out.append(msg)
    return out


def test_two_benches_at_once_each_rig_reads_only_its_own(two_rigs):
    rigs = list(two_rigs.values())
    # every bench has a CAN channel of its own: group and port
    channels = [r.env["LG_BENCH_CAN_CHANNEL"] for r in rigs]
    assert all(is_private("udp_multicast", c) for c in channels), channels
    assert len({c.split(":")[0] for c in channels}) == 2
    assert len({c.split(":")[1] for c in channels}) == 2
    # listeners that are nobody's rig: python-can's default shared port, a fresh private one
    strangers = [can.Bus(interface="udp_multicast", channel="239.74.163.2"),
                 open_can("udp_multicast", private_channel())]
    try:
        for r in rigs:  # both powered, booted and charging at the same time
            r.charger.ensure_ready()
            r.rig.console.set_limit(r.current_a)
            r.charger.start_charging(current_a=r.current_a)
        for r in rigs:
            r.rig.clock.sleep(30.0)  # past the soft start and the load's lag
        for r in rigs:
            r.rig.can.receive(0)  # drop what queued before (booting, soft start)
            r.rig.can.log.clear()
        for r in rigs:
            r.rig.clock.sleep(3.0)  # fresh frames of both chargers, while both charge
        for r in rigs:
            _check_rig(r)
        for r in rigs:
            assert r.csms.wait_connected(r.serial, 5.0), f"{r.serial} never reached its CSMS"
        for r in rigs:
            mark = r.csms.mark()
            assert r.csms.trigger(r.serial, "BootNotification") == "Accepted"
            assert r.csms.trigger(r.serial, "MeterValues") == "Accepted"
            _check_ocpp(r, mark)
        heard = [m for bus in strangers for m in _frames(bus)]
        assert heard == [], f"a listener of no rig heard {len(heard)} frame(s)"
    finally:
        for bus in strangers:
            bus.shutdown()


def _check_rig(r: OpenRig) -> None:
    rig, want = r.rig, r.current_a
    other = ({s for s, _ in BENCHES.values()} - {r.serial}).pop()
    # SCPI: the analyser and the EV emulator see this charger's current and duty
    assert rig.instrument("power_analyser").current(1) == pytest.approx(want, abs=0.5)
    assert rig.instrument("ev").load_current(1) == pytest.approx(want, abs=0.5)
    assert rig.instrument("ev").measure_pilot().duty_pct == pytest.approx(want / 0.6, abs=0.3)
    # console: its serial, its current
    assert rig.console.serial() == r.serial
    assert rig.console.meter()["i"][0] == pytest.approx(want, abs=0.5)
    # CAN: every frame this rig received is its own charger's (asked for its identity too)
    assert rig.can.request_identity().serial == r.serial
    rig.can.receive(0.1)
    frames = rig.can.log
    kinds = {ident & ~0xF for _, ident, _ in frames}
    assert {STATUS, METER, IDENTITY} <= kinds, f"{r.serial}: frames {sorted(kinds)}"
    for _, ident, data in frames:
        base = ident & ~0xF
        if base == IDENTITY:
            assert decode_identity(data).serial == r.serial, f"{other}'s identity on {r.serial}"
        elif base == STATUS:
            status = decode_status(data)
            assert status.state == "C2" and status.current_a == pytest.approx(want, abs=0.1), \
                f"{r.serial} read status {status}"
        elif base == METER:
            assert decode_meter(data).current_l1_a == pytest.approx(want, abs=0.5)
    assert rig.can.bad_frames == 0, rig.can.bad


def _check_ocpp(r: OpenRig, mark: int) -> None:
    boots = r.csms.messages("BootNotification", "in", since=mark)
    assert boots and all(m.payload["chargePointSerialNumber"] == r.serial for m in boots)
    assert r.csms.charge_points() == [r.serial]  # nobody else's charger on this CSMS
    found = r.rig.clock.wait_until(lambda: r.csms.messages("MeterValues", "in", since=mark), 30.0)
    assert found, f"{r.serial}: no MeterValues"
    values = [float(v["value"]) for v in found[0].payload["meterValue"][0]["sampledValue"]
              if v.get("measurand") == "Current.Import"]
    assert values and values[0] == pytest.approx(r.current_a, abs=0.5)
