"""The requirement catalogue: ids, clauses, limits, units, test points and decision rules.

One YAML file per plan (``testplans/iec61851/requirements.yaml``) is the only place a limit is
written. Tests look limits up by requirement id (and measurement name); a lab that owns the
standard corrects a number marked ``confirm: true`` in that file and nowhere else.

A plan that checks a subset of another plan's requirements (the production end-of-line plan
checks a few of the certification's) **inherits** them instead of copying them, so a limit is
still written once::

    inherit:
      catalogue: ../iec61851/requirements.yaml   # relative to this file
      requirements: [CP-01, TM-02]                # same ids, clauses, limits, rules
      parameters:                                 # its own test points (keys of the base's)
        CP-04: {currents_a: [10, 32]}

An inherited id that the base does not have, an id defined in both files, or a parameter the
base requirement does not have is one ConfigError naming the file and the key.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rig.errors import ConfigError
from rig.measure import Limit, pint_unit, units
from rig.yamlio import load_model

RULES = ("simple", "guarded")
SOURCES = ("standard", "consensus", "product", "regulation")


def _requirement_id(rid: str) -> str:
    if not re.fullmatch(r"[A-Z]{2,4}-\d{2}", rid):
        raise ValueError("a requirement id must look like CP-01 (its group, a dash, two digits)")
    return rid


def _group_id(gid: str) -> str:
    if not re.fullmatch(r"[A-Z]{2,4}", gid):
        raise ValueError("a group id must look like CP (2-4 capital letters)")
    return gid


@functools.lru_cache(maxsize=256)
def _known_unit(unit: str) -> bool:
    try:
        units().Unit(pint_unit(unit))
    except Exception:
        return False
    return True


RequirementId = Annotated[str, AfterValidator(_requirement_id)]
GroupId = Annotated[str, AfterValidator(_group_id)]
#: A limit is a finite number: NaN would pass every comparison's "not outside" silently.
LimitNumber = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitSpec(_Strict):
    unit: str = ""
    low: LimitNumber | None = None
    high: LimitNumber | None = None
    equals: Any = None

    @model_validator(mode="after")
    def _sane(self) -> LimitSpec:
        if isinstance(self.equals, float) and not math.isfinite(self.equals):
            raise ValueError(f"equals must be a finite number, got {self.equals!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not be above high ({self.high:g})")
        if self.equals is None and self.low is None and self.high is None:
            raise ValueError("a limit needs low, high or equals")
        if self.equals is not None and (self.low is not None or self.high is not None):
            raise ValueError("a limit is either a range (low/high) or equals, not both")
        if self.unit and self.unit not in ("1", "%", "bool", "text") and not _known_unit(
            self.unit
        ):
            raise ValueError(f"unknown unit {self.unit!r}")
        return self

    def limit(self) -> Limit:
        return Limit(self.unit, self.low, self.high, self.equals)


class Group(_Strict):
    title: str
    clause: str
    decision_rule: Literal["simple", "guarded"] = "simple"


class Standard(_Strict):
    id: str
    edition: str
    title: str = ""


class Requirement(_Strict):
    title: str
    clause: str
    source: Literal["standard", "consensus", "product", "regulation"] = "standard"
    confirm: bool = False
    confirm_note: str = ""
    decision_rule: Literal["simple", "guarded"] | None = None
    limits: dict[str, LimitSpec] = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    needs: list[str] = Field(default_factory=list, description="rig features the test needs")


class Inherit(_Strict):
    catalogue: str = Field(description="the base catalogue, relative to this file")
    requirements: list[RequirementId] = Field(min_length=1)
    parameters: dict[RequirementId, dict[str, Any]] = Field(default_factory=dict)


class Catalogue(_Strict):
    plan: str
    #: The plan's default product file, relative to the catalogue (``--product`` names another).
    product: str | None = None
    standards: list[Standard] = Field(default_factory=list)
    inherit: Inherit | None = None
    groups: dict[GroupId, Group]  # an inheriting plan may leave both empty: {}
    requirements: dict[RequirementId, Requirement]

    @field_validator("requirements")
    @classmethod
    def _groups_exist(
        cls, value: dict[str, Requirement], info: ValidationInfo
    ) -> dict[str, Requirement]:
        groups = info.data.get("groups")
        if groups is None:  # groups is wrong itself: that is the error to report
            return value
        for rid in value:
            if rid.split("-")[0] not in groups:
                raise ValueError(
                    f"requirement {rid} belongs to no group of 'groups' "
                    f"(groups: {', '.join(groups) or 'none'})")
        return value

    # ---- lookups ---------------------------------------------------------------------------
    def requirement(self, rid: str) -> Requirement:
        try:
            return self.requirements[rid]
        except KeyError:
            raise ConfigError(
                self._source, rid, "a requirement id of the catalogue"
            ) from None

    def group_of(self, rid: str) -> Group:
        return self.groups[rid.split("-")[0]]

    def rule(self, rid: str) -> str:
        req = self.requirement(rid)
        return req.decision_rule or self.group_of(rid).decision_rule

    def limit(self, rid: str, name: str | None = None) -> tuple[str, Limit]:
        """(measurement name, limit) of a requirement; the only limit if ``name`` is None."""
        req = self.requirement(rid)
        if name is None:
            if len(req.limits) != 1:
                raise ConfigError(
                    self._source, f"requirements.{rid}.limits",
                    f"a measurement name: {rid} has several limits ({', '.join(req.limits)})",
                )
            name = next(iter(req.limits))
        if name not in req.limits:
            raise ConfigError(
                self._source, f"requirements.{rid}.limits.{name}",
                f"one of {', '.join(req.limits)}",
            )
        return name, req.limits[name].limit()

    def params(self, rid: str) -> dict[str, Any]:
        return self.requirement(rid).parameters

    _source: str = ""


def load_catalogue(path: str | Path, _seen: tuple[Path, ...] = ()) -> Catalogue:
    """Load and validate a catalogue file (errors name file, key path and line)."""
    cat = load_model(path, Catalogue)
    if cat.inherit is not None:
        cat = _inherited(cat, Path(path), _seen)
    if not cat.requirements:
        raise ConfigError(str(path), "requirements", "at least one requirement (own or inherited)")
    cat._source = str(path)
    return cat


def _inherited(cat: Catalogue, path: Path, seen: tuple[Path, ...]) -> Catalogue:
    """``cat`` with the requirements it inherits from its base catalogue (see the module)."""
    spec = cat.inherit
    assert spec is not None
    base_path = (path.parent / spec.catalogue).resolve()
    if base_path in (*seen, path.resolve()):
        raise ConfigError(str(path), "inherit.catalogue", f"a catalogue that does not inherit "
                          f"from this one ({spec.catalogue} leads back here)")
    if not base_path.is_file():
        raise ConfigError(str(path), "inherit.catalogue",
                          f"an existing catalogue file (not found: {base_path})")
    base = load_catalogue(base_path, (*seen, path.resolve()))
    requirements: dict[str, Requirement] = {}
    groups = dict(cat.groups)
    for rid in spec.requirements:
        if rid not in base.requirements:
            raise ConfigError(str(path), "inherit.requirements",
                              f"requirement ids of {spec.catalogue} (it has no {rid})")
        if rid in cat.requirements:
            raise ConfigError(str(path), f"requirements.{rid}",
                              f"an id given once: it is inherited from {spec.catalogue}")
        req = base.requirements[rid].model_copy(deep=True)
        for name, value in spec.parameters.get(rid, {}).items():
            if name not in req.parameters:
                raise ConfigError(
                    str(path), f"inherit.parameters.{rid}.{name}",
                    f"a parameter of {rid} in {spec.catalogue} "
                    f"({', '.join(req.parameters) or 'it has none'})")
            req.parameters[name] = value
        requirements[rid] = req
        gid = rid.split("-")[0]
        groups.setdefault(gid, base.groups[gid])
    for rid in spec.parameters:
        if rid not in spec.requirements:
            raise ConfigError(str(path), f"inherit.parameters.{rid}",
                              "an id listed in inherit.requirements")
    known = {s.id for s in cat.standards}
    standards = cat.standards + [s for s in base.standards if s.id not in known]
    requirements.update(cat.requirements)
    return cat.model_copy(update={"requirements": requirements, "groups": groups,
                                  "standards": standards})
