"""The charger's CAN described by its DBC file (``rig.dut.dbc``): the README's table is the
file's, the rig decodes what the firmware encodes from the one file, another model's file
(other ids) is followed, and a missing or malformed file is a clear error."""

from __future__ import annotations

import uuid
from pathlib import Path

import can
import pytest

from rig.dut.can import ChargerCan, decode_identity, decode_meter, decode_status
from rig.dut.dbc import DEFAULT_DBC, default_protocol, frames_table, load_protocol, main
from rig.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_DBC = ROOT / "firmware-under-test" / "zapcharger" / "can" / "zapcharger.dbc"
canbus = pytest.importorskip("zapcharger.canbus")


def test_the_rig_reads_the_firmwares_own_file():
    assert DEFAULT_DBC.resolve() == FIRMWARE_DBC.resolve()
    assert Path(canbus.DBC_FILE).resolve() == FIRMWARE_DBC.resolve()


def test_the_readmes_can_tables_are_generated_from_the_dbc_file(capsys):
    assert main(["--check", str(ROOT / "docs" / "emulated-bench.md"),
                 str(ROOT / "firmware-under-test" / "README.md")]) == 0
    table = frames_table(default_protocol())
    readme = (ROOT / "docs" / "emulated-bench.md").read_text(encoding="utf-8")
    assert table in readme and "| `0x100+n` | Status | 8 |" in table


def test_a_stale_readme_table_is_found(tmp_path, capsys):
    page = tmp_path / "page.md"
    table = frames_table(default_protocol()).replace("x0.1 A", "x0.01 A", 1)
    page.write_text(f"text\n<!-- dbc:frames -->\n{table}\n<!-- /dbc:frames -->\n")
    assert main(["--check", str(page)]) == 1
    assert "differs from" in capsys.readouterr().err
    assert main(["--write", str(page)]) == 0 and main([str(page)]) == 0


def test_what_the_firmware_encodes_the_rig_decodes():
    status = decode_status(canbus.encode_status("C2", canbus.FLAG_CONTACTOR | canbus.FLAG_PWM,
                                                16.0, 26.7, 3, "blue", "flash"))
    assert (status.state, status.contactor, status.lock, status.pwm) == ("C2", True, False, True)
    assert (status.current_a, status.duty_pct, status.error_code, status.led) == (
        16.0, 26.7, 3, "blue/flash")
    off = decode_status(canbus.encode_status("BOOT", 0, 0.0, None, 0, "yellow", "flash"))
    assert (off.state, off.duty_pct, off.led) == ("F", 100.0, "yellow/flash")
    meter = decode_meter(canbus.encode_meter(123456.7, 15.98, 231.46))
    assert (meter.energy_wh, meter.current_l1_a, meter.voltage_l1_v) == (123456, 15.98, 231.5)
    assert decode_identity(canbus.encode_identity("ZCS004711", "2.14.0")).serial == "ZCS004711"
    assert decode_identity(canbus.encode_identity("X-1", "2.14.0")).serial == "X-1??????"
    limit = default_protocol().encode("Limit", {"InstallationLimit": 12.5})
    assert canbus.decode_limit(limit) == 12.5
    assert canbus.decode_limit(default_protocol().encode("Limit", {"InstallationLimit": "None"})
                               ) is None


def test_the_firmwares_value_tables_are_the_files():
    from zapcharger.errors import CODES
    from zapcharger.hal import LED_COLOURS

    status = default_protocol().message("Status")
    colours = status.get_signal_by_name("LedColour").choices
    assert [str(colours[i]) for i in range(len(LED_COLOURS))] == list(LED_COLOURS)
    errors = status.get_signal_by_name("ErrorCode").choices
    assert {str(errors[n]): n for n in CODES.values()} == CODES


def _moved(tmp_path: Path) -> Path:
    """The ZapCharger's file with the status frame moved to 0x180 (another model)."""
    text = FIRMWARE_DBC.read_text(encoding="utf-8").replace("BO_ 256 Status", "BO_ 384 Status")
    text = text.replace(" BO_ 256 ", " BO_ 384 ").replace("VAL_ 256 ", "VAL_ 384 ")
    text = text.replace("SG_ 256 ", "SG_ 384 ")
    path = tmp_path / "other.dbc"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_reader_follows_another_models_file(tmp_path):
    protocol = load_protocol(_moved(tmp_path))
    channel = f"dbc-{uuid.uuid4().hex}"
    sender = can.Bus(interface="virtual", channel=channel)
    reader = ChargerCan(can.Bus(interface="virtual", channel=channel), 2, protocol=protocol)
    try:
        data = canbus.encode_status("B1", 0, 0.0, None, 0, "blue", "solid")
        sender.send(can.Message(arbitration_id=0x102, data=data, is_extended_id=False))
        sender.send(can.Message(arbitration_id=0x182, data=data, is_extended_id=False))
        assert reader.status(timeout_s=1.0).state == "B1"
        assert reader.bad == ["frame 0x102: unknown id"]
        reader.set_limit(None)
        sent = sender.recv(timeout=1.0)
        assert sent is not None and (sent.arbitration_id, bytes(sent.data)) == (0x202, b"\xff\xff")
    finally:
        sender.shutdown()
        reader.close()


@pytest.mark.parametrize(("text", "says"), [
    (None, "no such file"),
    ("BO_ 256 Status: 8 ZapCharger\n SG_ Broken : 0|4@1+ (1,0 [0|2] \"\" Rig\n",
     "a valid DBC file"),
    ('VERSION ""\nBU_: A\nBO_ 257 Other: 8 A\n SG_ X : 0|8@1+ (1,0) [0|255] "" A\n',
     "dbc: message Status: present in"),
])
def test_a_missing_or_malformed_file_is_a_clear_error(tmp_path, text, says):
    path = tmp_path / "charger.dbc"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert says in str(err.value) and str(path) in str(err.value)
    with pytest.raises(canbus.DbcError) as fw_err:
        canbus.load_database(path)
    assert str(fw_err.value).startswith(f"{path}: ")


def test_a_signal_missing_from_the_file_is_named(tmp_path):
    path = tmp_path / "charger.dbc"
    path.write_text(FIRMWARE_DBC.read_text(encoding="utf-8").replace("SG_ Duty ", "SG_ DutyX "))
    with pytest.raises(ConfigError, match=r"dbc: message Status: signal\(s\) Duty in "):
        load_protocol(path)
    with pytest.raises(canbus.DbcError, match=r"message 'Status': signal\(s\) Duty missing"):
        canbus.load_database(path)


def _rig(tmp_path: Path, dbc: str) -> Path:
    rig = tmp_path / "rig.yaml"
    rig.write_text("imports: [rig.labgrid]\ntargets:\n  main:\n    resources:\n"
                   "      - CanBus: {name: can, interface: virtual, channel: x,\n"
                   f"                 dbc: {dbc}}}\n"
                   "    drivers:\n      - CanDriver: {name: can, bindings: {bus: can}}\n")
    return rig


def test_the_rig_file_names_its_dbc_relative_to_itself(tmp_path):
    from rig.labgrid.loader import load_rig

    _moved(tmp_path)
    _, target = load_rig(_rig(tmp_path, "other.dbc"))
    assert target.get_resource("CanBus").dbc == str(tmp_path / "other.dbc")
    with pytest.raises(ConfigError) as err:
        load_rig(_rig(tmp_path, "missing.dbc"))
    text = str(err.value)
    assert "rig.yaml:6" in text and "CanBus 'can'" in text and "dbc" in text
    assert "missing.dbc: no such file" in text


def test_the_table_tool_names_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "broken.dbc"
    broken.write_text("BO_ 256 Status: 8 X\n SG_ A : 0|4@1+ (1,0 [0|2] \"\" Y\n")
    assert main(["--dbc", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "a valid DBC file" in err
    assert main(["--check", str(tmp_path / "nope.md")]) == 2
    assert "nope.md: cannot be read" in capsys.readouterr().err
    (tmp_path / "plain.md").write_text("no table here\n")
    assert main(["--check", str(tmp_path / "plain.md")]) == 2
    assert "no <!-- dbc:frames --> ... <!-- /dbc:frames --> block" in capsys.readouterr().err
