"""The one door for input (``rig.door``, ``rig.yamlio.read_bounded``): hostile YAML is refused
fast from its event stream, outputs that cannot be written are refused before a run, and every
``rig`` sub-command refuses bad input with exit 2 and one message (issue 8)."""

from __future__ import annotations

import time

import pytest

from rig import door
from rig.catalogue import load_catalogue
from rig.cli import commands, main
from rig.errors import ConfigError
from rig.yamlio import MAX_BYTES, MAX_DEPTH
from tests.plan.runner import ROOT
from tests.plan.test_bad_input import alias_bomb

BOMB = "(aliases (*name) multiply it: an alias bomb?)"


def refused(call, *args, match: str, within: float = 60.0) -> ConfigError:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        call(*args)
    # expanded, the bomb would take minutes and gigabytes; refused, milliseconds (the limit
    # leaves room for a loaded CI machine)
    assert time.perf_counter() - started < within, "hostile input must be refused fast"
    assert match in str(info.value), str(info.value)
    return info.value


def test_an_alias_bomb_is_refused_by_every_yaml_loader(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    door.check_rig_file(ROOT / "rigs" / "emulator.yaml")  # imports done before timing
    refused(door.check_rig_file, path, match=BOMB, within=5)  # rig file (and so rig doctor)
    refused(load_catalogue, path, match=BOMB, within=5)  # catalogue
    profile = tmp_path / "profile.yaml"
    profile.write_text(alias_bomb().replace("targets:", "timing:"))
    refused(door.check_profile, profile, [], match=BOMB, within=5)  # charger profile


def test_deep_nesting_and_huge_files_are_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("targets: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")
    err = refused(door.check_rig_file, deep, match=f"YAML nested at most {MAX_DEPTH} levels")
    assert err.line == 1
    huge = tmp_path / "huge.yaml"
    huge.write_text("# " + "x" * MAX_BYTES + "\n")
    refused(load_catalogue, huge, match=f"a YAML file of at most {MAX_BYTES} bytes")


def test_ordinary_anchors_and_aliases_still_work(tmp_path):
    """A lab that shares one accuracy spec between two instruments with an anchor is fine."""
    text = (ROOT / "rigs" / "lab-example.yaml").read_text()
    text = text.replace("accuracy:", "accuracy: &acc", 1)
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    door.check_rig_file(path)
    door.check_rig_file(ROOT / "rigs" / "emulator.yaml")  # the bench's addresses stood in


def test_outputs_that_cannot_be_written_are_refused(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    refused(door.check_output_dir, a_file / "reports", "--reports-dir",
            match="--reports-dir: " + str(a_file / "reports") + ": a directory (a part of")
    refused(door.check_output_dir, a_file, "--reports-dir", match="a directory (it is a file)")
    refused(door.check_output_file, tmp_path, "--verdicts", match="a file name (it is a directory)")
    assert door.check_output_file(tmp_path / "new" / "v.json", "--verdicts").parent.is_dir()


def test_a_records_url_is_checked_and_its_password_never_shown(tmp_path):
    err = refused(door.check_records_url, "mysql://rig:s3cret@db/x", "--records",
                  match="a sqlite:// or postgresql+psycopg:// URL")
    assert "s3cret" not in str(err) and "rig:***@db" in str(err)
    refused(door.check_records_url, "::not a url::", "$RIG_RECORDS_URL",
            match="$RIG_RECORDS_URL")
    refused(door.check_records_url, f"sqlite:///{tmp_path}", "--records",
            match="a database file (it is a directory)")


def test_a_lock_dir_under_a_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("RIG_LOCK_DIR", str(tmp_path / "file" / "locks"))
    refused(door.check_lock_dir, match="$RIG_LOCK_DIR")


#: One bad input per sub-command, and the words its message must have.
BAD = {
    "bench serve": (["--set", "no.such.knob=1"], "--set: no.such.knob: unknown key"),
    "runs": (["--records", "foo://x"], "--records: foo://x: a sqlite://"),
    "lock list": ([], "$RIG_LOCK_DIR"),
    "lock clear": (["--stale"], "$RIG_LOCK_DIR"),
    "doctor": (["--lg-env", "{bomb}"], BOMB),
    "report": (["--out", "{file}/report.html"], "--out: {file}: a directory (it is a file)"),
    "trend": (["TM-02", "--limit", "0"], "--limit: 0: a whole number >= 1"),
    "compare": (["1", "2", "--json", "{file}/c.json"], "--json: {file}: a directory (it is"),
    "build list": None,  # takes no input
    "build args": (["{bomb}"], BOMB),
    "build check": (["{bomb}", "{file}"], BOMB),
    "lab serve": (["--dir", "{file}/lab"], "--dir: {file}/lab: a directory (a part of"),
    "eol": (["--lg-env", "{bomb}"], BOMB),
    "line yield": (["--hours", "-1"], "--hours: -1.0: a number of hours > 0"),
    "line cpk": (["--plots", "{file}/plots"], "--plots: {file}/plots: a directory (a part of"),
}


@pytest.mark.parametrize("command", commands())
def test_every_rig_sub_command_refuses_bad_input_with_exit_2(command, tmp_path, monkeypatch,
                                                           capsys):
    bomb, a_file = tmp_path / "bomb.yaml", tmp_path / "file"
    bomb.write_text(alias_bomb())
    a_file.write_text("x")
    monkeypatch.setenv("RIG_LOCK_DIR", str(a_file / "locks") if command.startswith("lock")
                       else str(tmp_path / "locks"))
    assert command in BAD, f"a new sub-command: add its bad input here and its checks to " \
        f"rig.door.check_command (rig {command})"
    if BAD[command] is None:
        assert main(command.split()) == 0
        return
    args, message = BAD[command]
    args = [a.format(bomb=bomb, file=a_file) for a in args]
    assert main([*command.split(), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rig {command.split()[0]}") and message.format(file=a_file) in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_profile_for_a_rig_without_an_emulated_charger_is_refused(tmp_path):
    """Was an ERROR of every requirement once the rig had opened (and been locked)."""
    lab = ROOT / "rigs" / "lab-example.yaml"
    common = dict(reports_dir=str(tmp_path / "r"), verdicts=None, records=None,
                  records_source="--records")
    refused(lambda: door.check_plan_run(rig_file=lab, profile=None,
                                        overrides=["timing.open_after_b_s=0.1"], **common),
            match="--charger-set: timing.open_after_b_s=0.1: a rig with the emulated bench's "
                  "control port")
    profile = tmp_path / "p.yaml"
    profile.write_text("timing:\n  open_after_b_s: 0.1\n")
    refused(lambda: door.check_plan_run(rig_file=lab, profile=str(profile), overrides=[],
                                        **common),
            match="a rig whose emulated bench runs in-process")
    door.check_plan_run(rig_file=ROOT / "rigs" / "emulator.yaml", profile=str(profile),
                        overrides=["timing.open_after_b_s=0.1"], **common)


SITE = "installation:\n  fuse_a: 63\n  stations: 2\n"


@pytest.mark.parametrize(("body", "line", "says"), [
    (SITE + "vehicles:\n  - {station: 3, arrive_s: 0, depart_s: 9, energy_kwh: 5}\n", None,
     "vehicles.0.station: a station of 1...2 (got 3)"),
    (SITE + "  rotation: [RST, XYZ]\n", 4, "installation.rotation: phase rotations from RST"),
    (SITE + "vehicles:\n  - {station: 1, arrive_s: 0, depart_s: 9, energy_kwh: 5, "
     "current_a: 4}\n", 5, "vehicles.0.current_a"),
    (SITE.replace("fuse_a", "fuse"), 2, "installation.fuse: unknown key; did you mean fuse_a?"),
    (SITE + "vehicles:\n  - {station: 1, arrive_s: 0, depart_s: 90, energy_kwh: 5}\n"
     "  - {station: 1, arrive_s: 60, depart_s: 99, energy_kwh: 5}\n", None,
     "vehicles.1: station 1 is taken from 0 to 90 s"),
    (SITE + "vehicles:\n  - {station: 1, arrive_s: 50, depart_s: 9, energy_kwh: 5}\n", 5,
     "depart_s (9) after arrive_s (50)"),
])
def test_a_bad_installation_file_is_one_line(tmp_path, body, line, says):
    """The installation file (PR-05/PR-06): one ConfigError naming the file, line and key, on
    its own and as the rig file's options.installation (nothing started)."""
    site = tmp_path / "site.yaml"
    site.write_text(body)
    with pytest.raises(ConfigError) as exc:
        door.check_installation(site)
    text = str(exc.value)
    assert says in text and str(site) in text and "\n" not in text
    if line is not None:
        assert f"{site}:{line}:" in text
    rig = tmp_path / "rig.yaml"
    rig.write_text((ROOT / "rigs" / "installation.yaml").read_text().replace(
        "installation: installations/five.yaml", "installation: site.yaml"))
    with pytest.raises(ConfigError, match=r"site\.yaml"):
        door.check_rig_file(rig)
