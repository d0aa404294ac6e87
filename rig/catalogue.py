"""The requirement catalogue: ids, clauses, limits, units, test points and decision rules.

One YAML file per plan (``testplans/iec61851/requirements.yaml``) is the only place a limit is
written. Tests look limits up by requirement id (and measurement name); a lab that owns the
standard corrects a number marked ``confirm: true`` in that file and nowhere else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rig.errors import ConfigError
from rig.measure import Limit, pint_unit, units
from rig.yamlio import load_model

RULES = ("simple", "guarded")
SOURCES = ("standard", "consensus", "product", "regulation")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitSpec(_Strict):
    unit: str = ""
    low: float | None = None
    high: float | None = None
    equals: Any = None

    @model_validator(mode="after")
    def _sane(self) -> LimitSpec:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not be above high ({self.high:g})")
        if self.equals is None and self.low is None and self.high is None:
            raise ValueError("a limit needs low, high or equals")
        if self.equals is not None and (self.low is not None or self.high is not None):
            raise ValueError("a limit is either a range (low/high) or equals, not both")
        if self.unit and self.unit not in ("1", "%", "bool", "text"):
            try:
                units().Unit(pint_unit(self.unit))
            except Exception:
                raise ValueError(f"unknown unit {self.unit!r}") from None
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


class Catalogue(_Strict):
    plan: str
    standards: list[Standard] = Field(default_factory=list)
    groups: dict[str, Group]
    requirements: dict[str, Requirement]

    @field_validator("requirements")
    @classmethod
    def _ids(cls, value: dict[str, Requirement]) -> dict[str, Requirement]:
        for rid in value:
            if not re.fullmatch(r"[A-Z]{2,4}-\d{2}", rid):
                raise ValueError(f"requirement id {rid!r} must look like CP-01")
        return value

    @model_validator(mode="after")
    def _groups_exist(self) -> Catalogue:
        for rid in self.requirements:
            if rid.split("-")[0] not in self.groups:
                raise ValueError(f"requirement {rid} belongs to no group of 'groups'")
        return self

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


def load_catalogue(path: str | Path) -> Catalogue:
    """Load and validate a catalogue file (errors name file, key path and line)."""
    cat = load_model(path, Catalogue)
    cat._source = str(path)
    return cat
