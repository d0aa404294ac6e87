"""Bad input gets one clear message: the file, the key path, the line, what was expected.

Rig files (labgrid environment + our resources), charger profiles and the requirement catalogue,
each broken one way at a time: unknown keys, wrong types, missing fields, impossible limits,
bad VISA resource strings, bad dates. Only the project's error types come out
(``rig.errors.ConfigError``; ``zapcharger.profile.ProfileError`` for the firmware package).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from zapcharger.profile import ProfileError, load_profile

from rig.catalogue import load_catalogue
from rig.errors import ConfigError
from rig.labgrid.loader import load_rig

ROOT = Path(__file__).resolve().parents[2]
LAB = (ROOT / "rigs" / "lab-example.yaml").read_text()
CATALOGUE = (ROOT / "testplans" / "iec61851" / "requirements.yaml").read_text()


def changed(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str | tuple[str, int]) -> int:
    """The line holding ``needle`` (or ``(needle, offset)``: that many lines away)."""
    needle, offset = needle if isinstance(needle, tuple) else (needle, 0)
    return offset + next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# ---- rig files -----------------------------------------------------------------------------------
EV = "targets.main.resources[4] ScpiInstrument 'ev'"
RIG_CASES = [
    # (what, old, new, line marker, key path, expected)
    ("unknown key", 'calibration_due: "2027-09-30"', 'calibraton_due: "2027-09-30"',
     "calibraton_due", f"{EV}: calibraton_due",
     "unknown key; did you mean calibration_due? (ScpiInstrument takes: resource, model, "
     "timeout, calibration_due, accuracy, options, serial)"),
    ("missing field", "          model: EVE-1\n", "", ("name: ev", -1), f"{EV}: model",
     "a value (this key is required)"),
    ("wrong type", "timeout: 5.0", "timeout: fast", "timeout: fast",
     "targets.main.resources[0] ScpiInstrument 'ac_source': timeout",
     "seconds, 0.001 ... 600, got 'fast'"),
    ("bad VISA string", "TCPIP0::192.168.10.25::5025::SOCKET", "192.168.10.25:5025",
     "192.168.10.25:5025", f"{EV}: resource",
     "a VISA resource string like TCPIP0::192.168.1.20::5025::SOCKET or "
     "TCPIP0::192.168.1.20::INSTR, got '192.168.10.25:5025' (Could not parse "
     "192.168.10.25:5025: unknown interface type)"),
    ("bad date", 'calibration_due: "2027-09-30"', 'calibration_due: "2027-09-31"', "2027-09-31",
     f"{EV}: calibration_due", "a date YYYY-MM-DD, got '2027-09-31'"),
    ("impossible date for YAML", 'calibration_due: "2027-09-30"', "calibration_due: 2027-13-30",
     "2027-13-30", "targets.main.resources[4].ScpiInstrument.calibration_due",
     "a valid value ('2027-13-30': month must be in 1..12)"),
    ("unknown model", "model: EVE-1", "model: EVE-9", "EVE-9", f"{EV}: model",
     "a driver model, one of AC6801B, ASTERION, WT333E, KEITHLEY2450, KEITHLEY6221, EVE-1, "
     "EVB-100, CHROMA19032, 53220A, INFINIIVISION, CHROMA63800, BENCH-CONTROL (got 'EVE-9')"),
    ("accuracy term", "time: {resolution_s: 1.0e-6}", "time: {resolutoin_s: 1.0e-6}",
     "resolutoin_s", f"{EV}: accuracy.time.resolutoin_s",
     "an accuracy term, one of reading_pct, range_pct, range, ranges, absolute, resolution, "
     "resolution_s, power_factor_pct"),
    ("driver option out of range", "options: {turns: 5}", "options: {turns: 500}",
     "turns: 500", "targets.main.resources[3] ScpiInstrument 'rcd_ac': options.turns",
     "an integer 1 ... 100, got 500 (driver Keithley6221)"),
    ("unknown driver option", "options: {turns: 5}", "options: {turn: 5}", "turn: 5",
     "targets.main.resources[3] ScpiInstrument 'rcd_ac': options.turn",
     "a known option (turns, compliance_v, frequency_hz) (driver Keithley6221)"),
    ("serial as a number", 'serial: "C2QD12345"', "serial: 12345", "serial: 12345",
     "targets.main.resources[1] ScpiInstrument 'power_analyser': serial",
     'a serial number in quotes ("04512345": unquoted, YAML reads a number and drops leading '
     "zeros), got 12345"),
    ("CAN bitrate", "bitrate: 500000", "bitrate: fast", "bitrate: fast",
     "targets.main.resources[6] CanBus 'can': bitrate", "bit/s, 1000 ... 8000000, got 'fast'"),
    ("OCPP port", "port: 9000", "port: 90000", "port: 90000",
     "targets.main.resources[7] OcppCentralSystem 'csms': port",
     "a TCP port 0..65535 (0: pick a free one), got 90000"),
    ("unknown resource class", "- CanBus:", "- CanBuss:", "CanBuss",
     "targets.main.resources[6].CanBuss",
     "a resource class known to labgrid or rig.labgrid; did you mean CanBus?"),
    ("unbound driver", "bindings: {res: ev}", "bindings: {res: evv}", "res: evv",
     "targets.main.drivers[4] ScpiInstrumentDriver 'ev': bindings",
     "resources to bind to (no ScpiInstrument resource named 'evv' found, matching resources "
     "with other names: ['ac_source', 'power_analyser', 'rcd_dc', 'rcd_ac', 'ev', "
     "'safety_tester', 'pulse_counter'])"),
    ("unknown driver key", "ChargerConsoleDriver: {name: console, bindings",
     "ChargerConsoleDriver: {name: console, timout: 3, bindings", "timout",
     "targets.main.drivers[6] ChargerConsoleDriver 'console': timout",
     "unknown key; did you mean timeout? (ChargerConsoleDriver takes: timeout)"),
    ("misspelt top level", "targets:", "target:", "target:", "target",
     "unknown key; did you mean targets? (a rig file takes: targets, options, features, "
     "imports, paths, images, tools)"),
]


@pytest.mark.parametrize(("what", "old", "new", "marker", "key", "expected"), RIG_CASES,
                         ids=[case[0] for case in RIG_CASES])
def test_rig_file_errors_name_file_line_key_and_expectation(
    tmp_path, what, old, new, marker, key, expected
):
    text = changed(LAB, old, new)
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    exc = info.value
    line = line_of(text, marker)
    assert (exc.source, exc.line, exc.key, exc.expected) == (str(path), line, key, expected)
    assert str(exc) == f"{path}:{line}: {key}: {expected}"


def test_a_rig_file_that_loads(tmp_path):
    env, target = load_rig(ROOT / "rigs" / "lab-example.yaml")
    assert sorted(r.name for r in target.resources) == [
        "ac_source", "accepted", "can", "central", "console", "csms", "ev", "power_analyser",
        "pulse_counter", "rcd_ac", "rcd_dc", "refused", "safety_tester", "tag_arm_1",
        "tag_arm_2", "tag_arm_3"]
    assert env.targets["main"] is target  # the fixtures' RigSession gets the same target


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("targets: [main\n", "<file>", "valid YAML ("),
        ("- main\n", "<top level>", "a mapping with 'targets:' (a labgrid environment), got"),
        ("imports: [rig.labgrid]\n", "targets", "a mapping of targets (this key is required)"),
        ("imports: [rig.no_such_module]\ntargets: {main: {}}\n", "imports",
         "importable modules (No module named 'rig.no_such_module')"),
        ("targets:\n  main:\n    resources:\n      - ScpiInstrument:\n"
         "          name: ev\n          model: EVE-1\n"
         "          resource: !template $LG_NO_SUCH_VARIABLE\n",
         "targets.main.resources[0].ScpiInstrument.resource",
         "a value for !template '$LG_NO_SUCH_VARIABLE': the environment variable "
         "LG_NO_SUCH_VARIABLE is not set"),
    ],
)
def test_rig_file_structure_errors(tmp_path, text, key, expected):
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    assert info.value.key == key
    assert info.value.expected.startswith(expected), info.value.expected


def test_a_missing_rig_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: <file>: an existing labgrid environment"):
        load_rig(tmp_path / "nope.yaml")


def test_a_missing_target(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_rig(ROOT / "rigs" / "lab-example.yaml", "bench2")
    assert info.value.key == "targets.bench2"
    assert info.value.expected == "a target named 'bench2' (the file has: main)"


# ---- the requirement catalogue -------------------------------------------------------------------
CATALOGUE_CASES = [
    ("unknown key", "    limits:\n      level: {low: 11.4", "    limts:\n      level: {low: 11.4",
     "limts:", "requirements.CP-01.limts", "unknown key; did you mean limits?"),
    ("low above high", "level: {low: 11.4, high: 12.6, unit: V}",
     "level: {low: 12.6, high: 11.4, unit: V}", "low: 12.6", "requirements.CP-01.limits.level",
     "low (12.6) must not be above high (11.4)"),
    ("wrong type", "level: {low: 11.4, high: 12.6, unit: V}",
     "level: {low: eleven, high: 12.6, unit: V}", "eleven", "requirements.CP-01.limits.level.low",
     "Input should be a valid number, unable to parse string as a number (got 'eleven')"),
    ("not a number", "level: {low: 11.4, high: 12.6, unit: V}",
     "level: {low: .nan, high: 12.6, unit: V}", ".nan", "requirements.CP-01.limits.level.low",
     "Input should be a finite number (got nan)"),
    ("missing field", '    title: "CP positive level with no vehicle (state A, x1)"\n', "",
     "  CP-01:", "requirements.CP-01.title", "a value (this key is required)"),
    ("unknown unit", "unit: V}", "unit: Volt}", "Volt", "requirements.CP-01.limits.level",
     "unknown unit 'Volt'"),
    ("bad id", "  CP-01:", "  CP-1:", "CP-1:", "requirements.CP-1",
     "a valid key: a requirement id must look like CP-01 (its group, a dash, two digits) "
     "(got 'CP-1')"),
    ("id given twice", "  CP-02:", "  CP-01:", None, "requirements.CP-01",
     "a key given once (it is also on line 35)"),
]


@pytest.mark.parametrize(("what", "old", "new", "marker", "key", "expected"), CATALOGUE_CASES,
                         ids=[case[0] for case in CATALOGUE_CASES])
def test_catalogue_errors_name_file_line_key_and_expectation(
    tmp_path, what, old, new, marker, key, expected
):
    text = changed(CATALOGUE, old, new)
    path = tmp_path / "requirements.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    exc = info.value
    line = line_of(text, marker) if marker else line_of(CATALOGUE, "  CP-02:")
    assert (exc.line, exc.key, exc.expected) == (line, key, expected)
    assert str(exc) == f"{path}:{line}: {key}: {expected}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "<top level>: a mapping of keys (plan:, groups:, requirements:), got an empty file"),
        ("- CP-01\n", "<top level>: a mapping of keys (plan:, groups:, requirements:), got a list"),
        ("plan: x\ngroups: {}\nrequirements: {}\nplan: y\n", ":4: plan: a key given once (it "
                                                             "is also on line 1)"),
        ("plan: [\n", ": <file>: valid YAML ("),
    ],
)
def test_catalogue_file_level_errors(tmp_path, text, message):
    path = tmp_path / "requirements.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))


def test_a_catalogue_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "requirements.yaml"
    path.write_bytes(b"plan: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"<file>: UTF-8 text \(invalid start byte at byte 6\)"):
        load_catalogue(path)


# ---- charger profiles ----------------------------------------------------------------------------
PROFILE_CASES = [
    ("unknown key", "timing:\n  open_after_b: 0.15\n", 2, "timing.open_after_b",
     "unknown key (not part of the profile; did you mean timing.open_after_b_s or "
     "timing.open_after_a_s or timing.open_jitter_s?)"),
    ("wrong type", "timing:\n  open_after_b_s: fast\n", 2, "timing.open_after_b_s",
     "Input should be a valid number (got 'fast')"),
    ("a section as a value", "timing: 5\n", 1, "timing",
     "a section: a mapping of its keys (timing.<key>: value) (got 5)"),
    ("impossible window", "supply:\n  min_v: 270\n", 1, "supply",
     "supply.min_v (270 V) must be below supply.max_v (264.5 V)"),
    ("impossible date for YAML", "boot:\n  time_s: 2020-13-01\n", 2, "boot.time_s",
     "a valid value (month must be in 1..12)"),
]


@pytest.mark.parametrize(("what", "text", "line", "key", "expected"), PROFILE_CASES,
                         ids=[case[0] for case in PROFILE_CASES])
def test_profile_errors_name_file_line_key_and_expectation(tmp_path, what, text, line, key,
                                                           expected):
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    exc = info.value
    assert (exc.line, exc.key, exc.expected) == (line, key, expected)
    assert str(exc) == f"{path}:{line}: key '{key}': {expected}"


@pytest.mark.parametrize("name", ["lab-composite.yaml", "lab-composite-example.yaml"])
def test_the_composite_rig_files_load_and_wire_the_board_as_the_bench_does(name, monkeypatch):
    """Both files of a bench from common instruments name every relay the composed EV needs,
    on the coil the emulated board wires it to (rig.bench.relay_board)."""
    from rig.bench.relay_board import FUNCTION_COIL
    from rig.instruments.relay_vehicle import functions
    from rig.labgrid.resources import ComposedEvEmulator

    for var in ("AC3", "PA", "SMU", "CS", "SCOPE", "LOAD", "CTRL", "CAN_CHANNEL"):
        monkeypatch.setenv(f"LG_BENCH_{var}", "TCPIP0::127.0.0.1::5025::SOCKET")
    monkeypatch.setenv("LG_BENCH_RELAY", "127.0.0.1:1502")
    monkeypatch.setenv("LG_BENCH_TOKEN", "t")
    monkeypatch.setenv("LG_BENCH_CONSOLE", "/dev/null")
    monkeypatch.setenv("LG_BENCH_CAN_INTERFACE", "virtual")
    monkeypatch.setenv("LG_BENCH_CAN_CHANNEL", "x")
    _, target = load_rig(ROOT / "rigs" / name)
    ev = next(r for r in target.resources if r.name == "ev")
    assert isinstance(ev, ComposedEvEmulator) and ev.scope == "scope"
    coils = {r.name: r.coil for r in target.resources if type(r).__name__ == "ModbusTCPCoil"}
    assert coils == {f: FUNCTION_COIL[f] for f in functions()}


def test_a_composed_ev_with_a_bad_field_names_it(tmp_path):
    text = changed((ROOT / "rigs" / "lab-composite-example.yaml").read_text(),
                   "probe_skew_s: 1.0e-8", "probe_skew_s: fast")
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    assert info.value.key.endswith("probe_skew_s") and "seconds" in info.value.expected
