"""``rig doctor`` against benches that are fine and benches that are not.

The broken bench: one instrument's address is a closed port (missing), one names the wrong model
(the rig file says KEITHLEY2450 for the 6221's port), one is past its calibration date; on top,
an error left in a queue, a latched watchdog and a calibration due soon. The doctor must name
each, say how to fix it, and exit 1; and it must not touch a rig another run holds.
"""

from __future__ import annotations

import datetime as dt
import io
import socket
import subprocess
import sys
import time

import pytest

from rig.bench.host import BenchHost
from rig.doctor import run_doctor
from rig.locks import RigLock, rig_keys
from tests.plan.runner import ROOT
from tests.safety.bench import scpi

SOON = (dt.date.today() + dt.timedelta(days=10)).isoformat()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for name in ("LG_BENCH_CTRL", "LG_BENCH_AC3", "LG_BENCH_EV", "LG_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RIG_LOCK_DIR", str(tmp_path / "locks"))


@pytest.fixture
def host(monkeypatch):
    bench = BenchHost(clock="virtual").start()
    monkeypatch.setenv("LG_BENCH_TOKEN", bench.token)  # what the driver shows the control port
    yield bench
    bench.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broken_rig(tmp_path, host) -> tuple:
    a = host.addresses()
    missing = f"TCPIP0::127.0.0.1::{closed_port()}::SOCKET"
    text = f"""
imports: [rig.labgrid]
options: {{watchdog_s: 3}}
targets:
  main:
    resources:
      - ScpiInstrument: {{name: ac_source, model: ASTERION, resource: "{missing}",
                          calibration_due: "2099-06-30", serial: "1742A00315"}}
      - ScpiInstrument: {{name: power_analyser, model: WT333E, resource: "{a['pa']}",
                          calibration_due: "{SOON}", serial: "C2QD12345"}}
      - ScpiInstrument: {{name: rcd_dc, model: KEITHLEY2450, resource: "{a['cs']}",
                          calibration_due: "2099-01-31", serial: "04512345"}}
      - ScpiInstrument: {{name: rcd_ac, model: KEITHLEY6221, resource: "{a['cs']}",
                          options: {{turns: 5}}}}
      - ScpiInstrument: {{name: ev, model: EVE-1, resource: "{a['ev']}",
                          calibration_due: "2020-01-01", serial: "EVE1-0042"}}
      - ScpiInstrument: {{name: bench, model: BENCH-CONTROL, resource: "{a['ctrl']}"}}
      - RawSerialPort: {{name: console, port: "{a['console']}", speed: 115200}}
      - CanBus: {{name: can, interface: virtual, channel: "{a['can_channel']}"}}
      - HttpDigitalOutput: {{name: arm1, url: "{a['tags']}/slot/1", body_asserted: "1",
                             body_deasserted: "0"}}
      - RfidTag: {{name: accepted, uid: "04A1B2C3D4", answer: accepted, output: arm1}}
    drivers:
      - HttpDigitalOutputDriver: {{name: arm1, bindings: {{http: arm1}}}}
      - ScpiInstrumentDriver: {{name: ac_source, bindings: {{res: ac_source}}}}
      - SerialDriver: {{name: console, bindings: {{port: console}}}}
      - ChargerConsoleDriver: {{name: console, bindings: {{port: console}}, timeout: 1.0}}
      - CanDriver: {{name: can, bindings: {{bus: can}}}}
"""
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path, missing


def rows(text: str) -> dict[str, str]:
    """``item -> "STATUS what fix"`` from the doctor's table (wrapped lines joined per column;
    columns as ``rig.doctor.Doctor.print_table`` lays them out)."""
    cuts = ((0, 28), (28, 36), (36, 90), (90, None))
    table: dict[str, list[list[str]]] = {}
    last = None
    for line in text.splitlines()[2:]:
        if line.startswith("doctor: "):
            break
        cells = [line[a:b].strip() for a, b in cuts]
        if cells[0] and cells[1]:
            last = cells[0]
            table[last] = [[c] for c in cells[1:]]
        elif last is not None:
            for column, cell in zip(table[last], cells[1:], strict=True):
                column.append(cell)
    return {item: " ".join(" ".join(" ".join(c).split()) for c in columns if any(c)).strip()
            for item, columns in table.items()}


def test_a_bench_with_a_missing_a_wrong_and_an_expired_instrument(tmp_path, host):
    path, missing = broken_rig(tmp_path, host)
    a = host.addresses()
    scpi(a["ctrl"], "BENCH:FAUL:ERR cs,-222", "*OPC?", token=host.token)
    # a run that lost the EV emulator's link with the vehicle in B: its watchdog latched
    scpi(a["ev"], "OUTP:PROT:WDOG:DEL 0.2", "OUTP:PROT:WDOG ON", "SOUR:CP:STAT B", "*OPC?")
    time.sleep(0.5)
    assert scpi(a["ev"], "OUTP:PROT:TRIP?") == ["1"]
    host.tag_board.move(0, True)  # a tag left on the charger's reader

    out = io.StringIO()
    code = run_doctor(path, out=out)
    text = out.getvalue()
    print(text)
    table = rows(text)
    assert code == 1
    assert table["ac_source reachable"].startswith(f"FAIL not reachable at {missing}: ")
    assert "refused" in table["ac_source reachable"]
    assert "switch it on, check its LAN cable and the address/port" in table[
        "ac_source reachable"]
    assert table["ac_source calibration"].startswith("OK due 2099-06-30")
    assert table["rcd_dc reachable"].startswith("OK")
    assert table["rcd_dc identity"].startswith(
        "FAIL *IDN? says KEITHLEY INSTRUMENTS INC., MODEL 6221, serial 4101234")
    assert "not the KEITHLEY2450 the rig file names (expected KEITHLEY MODEL 2450)" in table[
        "rcd_dc identity"]
    assert "correct resource or model of rcd_dc" in table["rcd_dc identity"]
    assert "rcd_dc error queue" not in table  # not asked: it is not the instrument named
    assert table["rcd_ac identity"].startswith("OK KEITHLEY INSTRUMENTS INC., MODEL 6221")
    assert table["rcd_ac error queue"].startswith(
        'WARN errors were queued: -222,"Data out of range')
    assert table["rcd_ac calibration"].startswith("WARN no calibration_due in the rig file")
    assert table["ev calibration"].startswith("FAIL overdue: due 2020-01-01, ")
    assert "--allow-overdue-calibration" in table["ev calibration"]
    assert table["ev watchdog"].startswith("WARN tripped and latched")
    assert table["ev identity"].startswith("OK evse-rig, EVE-1 EV emulator, serial EVE1-0042")
    assert table["power_analyser calibration"].startswith(f"WARN due soon: {SOON}, in 10 days")
    assert table["bench identity"].startswith("OK")
    assert "bench calibration" not in table  # the control port measures nothing
    # the AC source cannot say whether the charger is powered: the console is asked, and the
    # unpowered charger does not answer
    assert table["console"].startswith("FAIL no answer to 'version'")
    assert table["CAN"].startswith("FAIL no status frame 0x101 within 3 s")
    assert table["tag presenter"].startswith(
        "FAIL tag(s) on the reader with no run holding the rig: accepted")
    # the watchdog put the vehicle back in state A
    assert table["safe state"].startswith("OK BENCH:SAFE? 1")
    assert text.rstrip().splitlines()[-1].startswith("doctor: FAIL (OK ")


def test_the_default_rig_with_power(tmp_path):
    """rigs/emulator.yaml: its in-process bench is started; --power checks console and CAN and
    leaves the rig safe."""
    out = io.StringIO()
    code = run_doctor(ROOT / "rigs" / "emulator.yaml", power=True, out=out)
    text = out.getvalue()
    table = rows(text)
    assert code == 0, text
    assert not [k for k, v in table.items() if not v.startswith("OK")], text
    assert table["console"] == "OK ZapCharger Pro 2.14.0, serial ZCS000001"
    assert table["CAN"] == "OK status frame 0x101 received"
    assert table["charger power"].startswith("OK switched on for the check; ready after")
    assert table["charger power off"] == "OK supply off, EV in state A, load off"
    assert table["safe state"].startswith("OK BENCH:SAFE? 1")
    assert table["ac_source watchdog"] == "OK not tripped; a run arms it with a delay of 5 s"


def test_without_power_the_charger_is_skipped_with_the_reason(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "rig.cli", "doctor", "--lg-env", str(ROOT / "rigs" /
                                                                   "emulator.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    table = rows(completed.stdout)
    for item in ("console", "CAN"):
        assert table[item] == ("SKIP charger not powered (ac_source output off): it cannot "
                               "answer `rig doctor --power` switches it on for the check and "
                               "off again")
    assert table["tag presenter"] == "OK 3 tags (accepted, refused, central), every arm up"
    assert completed.stdout.rstrip().endswith("doctor: OK (OK 37, WARN 0, FAIL 0, SKIP 2)")


def test_a_rig_in_use_is_not_probed(tmp_path, host):
    path, _ = broken_rig(tmp_path, host)
    from labgrid import Environment

    target = Environment(config_file=str(path)).get_target("main")
    with RigLock(rig_keys(target)):
        out = io.StringIO()
        code = run_doctor(path, out=out)
    table = rows(out.getvalue())
    assert code == 1
    assert table["rig lock"].startswith("FAIL ")
    assert "is held by " in table["rig lock"] and "wait for that run to end" in table["rig lock"]
    assert not any(k.endswith(("reachable", "identity")) for k in table)
