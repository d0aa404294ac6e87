"""Fuzz the loaders: whatever a file holds, only the project's own error type comes out.

Valid files are mutated (keys deleted, values replaced by values of other types, unknown keys
inserted, low and high swapped, random strings as VISA resources and dates) and random documents
and raw text are tried: ``load_catalogue`` and ``load_rig`` may raise ConfigError only,
``load_profile`` ProfileError only, each naming the file. Derandomized (the same examples on
every run, in CI too) and modest in size, so the suite stays fast on a 2-core machine.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zapcharger.profile import DEFAULT_PROFILE, ProfileError, load_profile

from rig.catalogue import load_catalogue
from rig.errors import ConfigError
from rig.labgrid.loader import load_rig

ROOT = Path(__file__).resolve().parents[2]
SMALL_CATALOGUE = ROOT / "tests" / "faults" / "link_plan" / "requirements.yaml"
CATALOGUE = ROOT / "testplans" / "iec61851" / "requirements.yaml"
LAB = ROOT / "rigs" / "lab-example.yaml"


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples, derandomize=True, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.data_too_large],
    )


# ---- what goes into a file -----------------------------------------------------------------------
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=16)
tricky = st.sampled_from([
    "", "~", "null", "NaN", ".nan", ".inf", "-.inf", "1e999", "0x1F", "2027-13-01", "2027-02-30",
    "yes", "on", "[", "{", "*anchor", "!!binary AAAA", "TCPIP0::192.168.1.2::INSTR",
    "TCPIP0::host::5025::SOCKET", "GPIB0::12::INSTR", "USB0::0x1234::0x5678::SN::INSTR",
    "192.168.1.2:5025", "TCPIP::::SOCKET", "ASRL/dev/ttyUSB0::INSTR", "EVE-1", "CP-01",
])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True), text, tricky,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(text, tricky), inner, max_size=4)),
    max_leaves=10,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a tree of dicts and lists (not the root)."""
    out = []
    items = node.items() if isinstance(node, dict) else (
        enumerate(node) if isinstance(node, list) else ())
    for key, value in items:
        out.append((*prefix, key))
        out += paths(value, (*prefix, key))
    return out


def parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        tree = tree[key]
    return tree


@st.composite
def mutated(draw: st.DrawFn, seed: Any, frozen: tuple[str, ...] = ()) -> Any:
    """``seed`` with one to three mutations (never below a top-level key in ``frozen``)."""
    tree = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(tree) if p[0] not in frozen]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        holder, key = parent(tree, path), path[-1]
        kind = draw(st.sampled_from(
            ["delete", "replace", "insert", "retype", "swap", "string"]))
        if kind == "delete":
            del holder[key]
        elif kind == "replace":
            holder[key] = draw(values)
        elif kind == "insert" and isinstance(holder, dict):
            new_key = draw(st.one_of(text, tricky).filter(lambda k: k not in frozen))
            holder[new_key] = draw(values)
        elif kind == "retype":
            old = holder[key]
            holder[key] = draw(st.sampled_from([str(old), [old], {"value": old}, None]))
        elif kind == "swap" and isinstance(holder, dict) and {"low", "high"} <= set(holder):
            holder["low"], holder["high"] = holder["high"], holder["low"]
        elif kind == "swap" and isinstance(holder[key], (int, float)) and not isinstance(
            holder[key], bool
        ):
            holder[key] = -holder[key] if holder[key] else math.nan
        else:  # a random string where something else was (a VISA name, a date, a model)
            holder[key] = draw(st.one_of(text, tricky))
    return tree


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def only(errors: type[Exception] | tuple[type[Exception], ...], call: Any, path: Path) -> None:
    """``call(path)`` returns, or raises one of ``errors`` naming the file."""
    try:
        call(path)
    except errors as exc:
        assert str(exc).startswith(str(path)), str(exc)
        assert str(exc).strip(), "an empty message"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---- the requirement catalogue -------------------------------------------------------------------
SMALL_SEED = yaml.safe_load(SMALL_CATALOGUE.read_text())
FULL_SEED = yaml.safe_load(CATALOGUE.read_text())


@fuzz(150)
@given(data=mutated(SMALL_SEED))
def test_mutated_catalogues_give_config_errors_only(folder, data):
    only(ConfigError, load_catalogue, write(folder / "requirements.yaml", data))


@fuzz(25)
@given(data=mutated(FULL_SEED))
def test_mutated_plan_catalogues_give_config_errors_only(folder, data):
    only(ConfigError, load_catalogue, write(folder / "requirements.yaml", data))


@fuzz(60)
@given(data=values)
def test_random_documents_as_catalogues_give_config_errors_only(folder, data):
    only(ConfigError, load_catalogue, write(folder / "requirements.yaml", data))


@fuzz(60)
@given(raw=st.one_of(text.map(str.encode), st.binary(max_size=64)))
def test_random_bytes_as_catalogues_give_config_errors_only(folder, raw):
    path = folder / "requirements.yaml"
    path.write_bytes(raw)
    only(ConfigError, load_catalogue, path)


# ---- charger profiles ----------------------------------------------------------------------------
PROFILE_SEED = yaml.safe_load(DEFAULT_PROFILE.read_text())


@fuzz(100)
@given(data=mutated(PROFILE_SEED))
def test_mutated_profiles_give_profile_errors_only(folder, data):
    only(ProfileError, load_profile, write(folder / "profile.yaml", data))


@fuzz(50)
@given(data=values)
def test_random_documents_as_profiles_give_profile_errors_only(folder, data):
    only(ProfileError, load_profile, write(folder / "profile.yaml", data))


@fuzz(60)
@given(items=st.lists(st.one_of(text, tricky, st.builds("{}={}".format, text, text),
                                st.builds("timing.{}={}".format, text, tricky)), max_size=3))
def test_random_overrides_give_profile_errors_only(items):
    try:
        load_profile(None, overrides=items)
    except ProfileError as exc:
        assert str(exc).startswith("--charger-set"), str(exc)


# ---- rig files -----------------------------------------------------------------------------------
# never fuzz ``imports``: a rig file names modules to import, and a random name could be one
RIG_SEED = yaml.safe_load(LAB.read_text())


@fuzz(80)
@given(data=mutated(RIG_SEED, frozen=("imports",)))
def test_mutated_rig_files_give_config_errors_only(folder, data):
    only(ConfigError, load_rig, write(folder / "rig.yaml", data))


@fuzz(40)
@given(data=values.filter(lambda v: not (isinstance(v, dict) and "imports" in v)))
def test_random_documents_as_rig_files_give_config_errors_only(folder, data):
    only(ConfigError, load_rig, write(folder / "rig.yaml", data))
