"""The requirement catalogue: complete, consistent, and strict about bad input."""

from pathlib import Path

import pytest
import yaml

from rig.catalogue import load_catalogue
from rig.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "testplans" / "iec61851" / "requirements.yaml"

#: Every id of the project's requirement list (spec/requirements.md), by group.
SPEC_IDS = (
    [f"CP-{i:02d}" for i in range(1, 10)]
    + [f"TM-{i:02d}" for i in range(1, 7)]
    + [f"PP-{i:02d}" for i in range(1, 4)]
    + [f"RC-{i:02d}" for i in range(1, 9)]
    + [f"SS-{i:02d}" for i in range(1, 4)]
    + [f"MT-{i:02d}" for i in range(1, 5)]
    + [f"SU-{i:02d}" for i in range(1, 4)]
    + [f"PR-{i:02d}" for i in range(1, 9)]
    # beyond the spec's list: CP-07's "fault shown", the ZapCharger manual's claim, is a
    # product requirement of its own (issue 14: the standard apart from the product)
    + ["PR-09"]
)


def test_catalogue_has_every_requirement_id():
    cat = load_catalogue(CATALOGUE)
    assert sorted(cat.requirements) == sorted(SPEC_IDS)


def test_limits_from_the_spec():
    cat = load_catalogue(CATALOGUE)
    assert cat.limit("CP-01")[1].low == 11.4 and cat.limit("CP-01")[1].high == 12.6
    assert cat.limit("CP-03")[1].low == 980 and cat.limit("CP-03")[1].high == 1020
    assert cat.limit("TM-02")[1].high == 0.1 and cat.limit("TM-02")[1].unit == "s"
    assert cat.limit("CP-05", "fall_time")[1].high == 13
    assert cat.limit("RC-04")[1].unit == "mA"
    assert cat.rule("MT-03") == "guarded" and cat.rule("TM-01") == "simple"


def test_confirm_flags_marked_c_in_the_spec():
    cat = load_catalogue(CATALOGUE)
    flagged = {rid for rid, req in cat.requirements.items() if req.confirm}
    assert {"CP-04", "CP-08", "TM-04", "TM-05", "RC-01", "RC-02", "RC-03"} <= flagged


def test_ambiguous_limit_lookup_names_the_choices():
    cat = load_catalogue(CATALOGUE)
    with pytest.raises(ConfigError, match="rise_time, fall_time"):
        cat.limit("CP-05")
    with pytest.raises(ConfigError, match="a requirement id"):
        cat.limit("XX-99")


HEAD = (
    "plan: p\ngroups: {CP: {title: t, clause: c}}\nrequirements:\n"
    "  CP-01:\n    title: t\n    clause: c\n"
)


@pytest.mark.parametrize(
    ("body", "key", "expected", "line"),
    [
        ("    limits:\n      v: {low: 2, high: 1, unit: V}\n", "requirements.CP-01.limits.v",
         "low (2) must not be above high (1)", 8),
        ("    limts:\n      v: {low: 1, unit: V}\n", "requirements.CP-01.limts",
         "did you mean limits", 7),
        ("    limits:\n      v: {low: one, unit: V}\n", "requirements.CP-01.limits.v.low",
         "valid number", 8),
        ("    limits:\n      v: {low: 1, unit: wombats}\n", "requirements.CP-01.limits.v",
         "unknown unit", 8),
        ("    limits:\n      v: {unit: V}\n", "requirements.CP-01.limits.v",
         "needs low, high or equals", 8),
        ("    limits: {}\n", "requirements.CP-01.limits", "at least 1 item", 7),
        ("    limits:\n      v: {low: 1}\n    decision_rule: lenient\n",
         "requirements.CP-01.decision_rule", "simple", 9),
    ],
)
def test_bad_catalogue_names_file_key_line(tmp_path, body, key, expected, line):
    path = tmp_path / "requirements.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert err.value.source == str(path)
    assert err.value.key == key
    assert expected in err.value.expected
    assert err.value.line == line


def test_bad_yaml_and_missing_file(tmp_path):
    path = tmp_path / "requirements.yaml"
    path.write_text("plan: [unclosed\n")
    with pytest.raises(ConfigError, match="valid YAML"):
        load_catalogue(path)
    with pytest.raises(ConfigError, match="readable file"):
        load_catalogue(tmp_path / "missing.yaml")


def test_requirement_without_group_and_bad_id(tmp_path):
    path = tmp_path / "requirements.yaml"
    path.write_text(HEAD.replace("CP-01", "XY-01") + "    limits:\n      v: {low: 1}\n")
    with pytest.raises(ConfigError, match="belongs to no group"):
        load_catalogue(path)
    path.write_text(HEAD.replace("CP-01", "CP1") + "    limits:\n      v: {low: 1}\n")
    with pytest.raises(ConfigError, match="must look like CP-01"):
        load_catalogue(path)


def test_every_requirement_says_where_it_comes_from():
    """Issue 14: the standard apart from the product. The plan's catalogue states the source of
    every requirement, and CP-07 (the standard) no longer asks for a fault shown (PR-09's)."""
    raw = yaml.safe_load(CATALOGUE.read_text())["requirements"]
    cat = load_catalogue(CATALOGUE)
    for rid in cat.requirements:
        assert "source" in raw[rid], f"{rid} does not say its source"
    assert set(cat.requirement("CP-07").limits) == {"contactor_closed"}
    assert cat.requirement("PR-09").source == "product"
