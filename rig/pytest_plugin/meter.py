"""The ``meter`` fixture: the charger's own meter, read the way its product file says.

The meter plan compares what the charger's meter shows with the power analyser. How the rig
asks for what the meter shows is the product's business, not the plan's: the ZapCharger's
service console (``meter``: per-phase ``i``, ``v`` and the register ``e_wh``), or OCPP 1.6J, the
generic way (TriggerMessage MeterValues, the charger's next MeterValues read by
:func:`rig.dut.meter_values.reading_from_meter_values`). A charger that offers no way, or does
not report what a step needs (it refuses the trigger, its MeterValues lack the phase voltages),
makes the step NOT_RUN with the reason: the charger cannot be blamed for what the rig cannot
ask. A charger that accepts the trigger and then sends nothing is a precondition ERROR.
"""

from __future__ import annotations

from typing import Any

import pytest

from rig.dut.meter_values import missing, reading_from_meter_values
from rig.errors import RigError
from rig.product import Product
from rig.pytest_plugin.verdicts import product_of

#: How long (rig time) a charger may take to send the MeterValues it was asked for: the
#: charger's CALL timeout on the bench (the OCPP profile's ``call_timeout_s`` default).
METER_VALUES_TIMEOUT_S = 30.0
#: The connector whose meter is read (the plan's charger has one).
CONNECTOR_ID = 1


class MeterUnavailable(RigError):
    """The charger accepted a request for meter values and then sent none."""


class ChargerMeter:
    """Read the charger's meter (``read``) through the console or OCPP."""

    def __init__(self, way: str, console: Any = None, csms: Any = None,
                 product: Product | None = None):
        self.way = way
        self.console = console
        self.csms = csms
        self.product = product

    def read(self, *need: str) -> dict[str, Any]:
        """One reading: ``i``, ``v`` (per phase), ``e_wh``, and ``resolution`` per key where
        the charger's own text tells it (OCPP; the console's is in the catalogue). ``need``:
        the keys the step uses; a reading without them is NOT_RUN (a skip with the reason)."""
        if self.way == "console":
            reading = dict(self.console.meter())
            reading.setdefault("resolution", {})
        else:
            reading = self._by_ocpp()
        gaps = missing(reading, need)
        if gaps:
            pytest.skip(f"the charger's meter reading ({self.way}) has no {', '.join(gaps)}")
        return reading

    def _by_ocpp(self) -> dict[str, Any]:
        mark = self.csms.mark()
        status = self.csms.trigger("MeterValues", connector_id=CONNECTOR_ID)
        if status != "Accepted":
            pytest.skip(f"the charger answers TriggerMessage MeterValues with {status}: its "
                        "meter cannot be read by OCPP")
        sent = self.csms.wait_for("MeterValues", since=mark, timeout=METER_VALUES_TIMEOUT_S)
        if sent is None:
            raise MeterUnavailable(
                f"the charger accepted TriggerMessage MeterValues but sent no MeterValues "
                f"within {METER_VALUES_TIMEOUT_S:g} s")
        reading = reading_from_meter_values(sent.payload)
        reading["message"] = sent.unique_id
        return reading


@pytest.fixture
def meter(rig_test: Any, request: pytest.FixtureRequest) -> ChargerMeter:
    """The charger's meter, the way the product file says (``meter: console | ocpp | none``;
    the console without a product file)."""
    product = product_of(request.config)
    way = "console" if product is None else product.way("meter")
    if way == "console":
        return ChargerMeter(way, console=request.getfixturevalue("console"), product=product)
    if way == "ocpp":
        csms = request.getfixturevalue("csms")  # skips on a rig without a central system
        return ChargerMeter(way, csms=csms, product=product)
    name = product.name if product is not None else "the charger"
    pytest.skip(f"the product file says {name} offers no way to read its meter")
