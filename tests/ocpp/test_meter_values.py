"""A MeterValues payload read as a meter reading (rig/dut/meter_values.py): measurands, phases,
units, the resolution the charger's text shows, what is missing, what is ignored."""

from __future__ import annotations

import pytest

from rig.dut.meter_values import missing, reading_from_meter_values


def sample(value: str, measurand: str | None = None, **kw: str) -> dict[str, str]:
    out = {"value": value, **kw}
    if measurand is not None:
        out["measurand"] = measurand
    return out


def payload(*sampled: dict[str, str]) -> dict:
    return {"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
                                              "sampledValue": list(sampled)}]}


def test_phases_units_and_resolution_from_the_text():
    got = reading_from_meter_values(payload(
        sample("12.345", unit="kWh"),  # the schema's default measurand: the register
        *(sample(f"16.0{n}", "Current.Import", phase=f"L{n}", unit="A") for n in (1, 2, 3)),
        *(sample(f"23{n}.5", "Voltage", phase=f"L{n}-N", unit="V") for n in (1, 2, 3)),
        sample("11000", "Power.Active.Import", unit="W"),  # not read by the plan
    ))
    assert got["e_wh"] == pytest.approx(12345.0)
    assert got["i"] == pytest.approx([16.01, 16.02, 16.03])
    assert got["v"] == pytest.approx([231.5, 232.5, 233.5])
    assert got["resolution"] == pytest.approx({"e_wh": 1.0, "i": 0.01, "v": 0.1})
    assert missing(got, ("i", "v", "e_wh")) == []


def test_a_coarse_display_counts_as_its_resolution():
    got = reading_from_meter_values(payload(
        *(sample("16", "Current.Import", phase=f"L{n}") for n in (1, 2, 3))))
    assert got["resolution"]["i"] == 1.0


def test_what_the_charger_does_not_report_is_named():
    got = reading_from_meter_values(payload(
        sample("16.00", "Current.Import", phase="L1", unit="A"),
        sample("230.0", "Voltage", unit="V"),  # no phase: a total the plan does not read
        sample("abc", "Current.Import", phase="L2", unit="A"),
        sample("7", "Current.Import", phase="L3", unit="mA"),  # a unit the plan cannot use
        sample("QUJD", format="SignedData"),
    ))
    assert got["i"] == [16.0, None, None]
    assert got["e_wh"] is None
    assert missing(got, ("i", "v", "e_wh")) == [
        "Current.Import per phase (L1, L2, L3)", "Voltage per phase (L1-N ... L3-N)",
        "Energy.Active.Import.Register"]
    assert got["ignored"] == ["Current.Import 'abc' A", "Current.Import '7' mA"]
