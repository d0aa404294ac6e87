"""The product file: how the rig talks to one charger model, and which product claims it makes.

The catalogue holds what is certified; the product file describes the charger in front of the
rig, so the plan assumes nothing about it. It says

* how to set the installation's current limit (``set_limit``), read its meter (``meter``) and
  ask its identity (``identity``): through the ZapCharger's service console (``console``, one
  implementation), through OCPP 1.6J (``ocpp``, the generic one: SetChargingProfile,
  MeterValues by TriggerMessage, BootNotification), or not at all (``none``);
* whether the rig may use the service console the rig file wires up (``console``): its
  command set is the ZapCharger's; another model has another console, or none;
* the constant of its meter's test output (``test_output_imp_kwh``, the LED or S0 output's
  impulses per kWh from the nameplate), which the meter plan counts (the pulse method);
* how to switch it into RFID mode, when it charges freely out of the box (``rfid_mode``: the
  OCPP configuration key that does it);
* which product requirements (catalogue ``source: product``) the model's manual claims
  (``claims``). A product requirement the file does not claim is NOT_RUN for this charger; a
  standard requirement is judged on every charger.

A step that needs a way the product does not offer is NOT_RUN with the reason, never ERROR:
the charger cannot be blamed for a rig that has no way to ask it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rig.catalogue import Catalogue, RequirementId
from rig.errors import ConfigError
from rig.yamlio import load_model

Way = Literal["console", "ocpp", "none"]


class Product(BaseModel):
    """One charger model, as the rig sees it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the charger model")
    console: bool = Field(False, description="the rig may use the ZapCharger service console")
    set_limit: Way = Field("none", description="how to set the installation current limit")
    meter: Way = Field("none", description="how to read the charger's meter")
    identity: Way = Field("none", description="how to ask serial number and firmware version")
    rfid_mode: str | None = Field(
        None, description="the OCPP configuration key (ChangeConfiguration, value true/false) "
        "that switches the charger from free charging to RFID authorisation; none: the rig "
        "cannot switch it, and the RFID flow (PR-02) is NOT_RUN")
    claims: list[RequirementId] = Field(
        default_factory=list, description="product requirements the model's manual claims"
    )
    test_output_imp_kwh: float | None = Field(
        None, gt=0, description="constant of the meter's test output (LED / S0), impulses per "
        "kWh, from its nameplate; none: the meter has no test output")

    _source: str = ""

    def claimed(self, catalogue: Catalogue, rid: str) -> bool:
        """Is ``rid`` judged on this charger: a standard requirement, or a claimed one?"""
        req = catalogue.requirements.get(rid)
        return req is None or req.source != "product" or rid in self.claims

    def why_not(self, rid: str) -> str:
        return (f"{rid} is a product requirement that the product file {self._source} "
                f"({self.name}) does not claim")

    def check(self, catalogue: Catalogue) -> None:
        """Every claim is a product requirement of the catalogue."""
        for n, rid in enumerate(self.claims):
            req = catalogue.requirements.get(rid)
            if req is None:
                raise ConfigError(self._source, f"claims.{n}",
                                  f"a requirement id of the catalogue (got {rid!r})")
            if req.source != "product":
                raise ConfigError(
                    self._source, f"claims.{n}",
                    f"a product requirement ({rid} is source: {req.source}; it is judged on "
                    "every charger and needs no claim)")

    def way(self, what: str) -> Way:
        """How the rig does ``what`` (``set_limit``, ``meter``, ``identity``) on this model."""
        way: Way = getattr(self, what)
        if way == "console" and not self.console:
            return "none"
        return way


def load_product(path: str | Path, catalogue: Catalogue | None = None) -> Product:
    """Load and validate a product file (errors name file, key path and line)."""
    product = load_model(path, Product)
    product._source = str(path)
    if catalogue is not None:
        product.check(catalogue)
    return product
