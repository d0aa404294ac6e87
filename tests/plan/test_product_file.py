"""The product file (rig/product.py): a charger is described, not assumed.

* A second product file (``products/ocpp-generic.yaml``: OCPP 1.6J only, no console, no
  claims) runs the plan on the emulated charger through OCPP alone, on a rig file that has no
  console at all: the limit goes by SetChargingProfile (CP-04, TM-04 PASS), the identity comes
  from the BootNotification, and the product claims (TM-06, CP-08, PR-09) are NOT_RUN with the
  reason, never ERROR.
* A charger that offers no way to set a limit or read its meter makes the steps that need it
  NOT_RUN, never ERROR.
* The meter read through OCPP alone (TriggerMessage MeterValues, no console on the rig): MT-01
  and MT-02 PASS on the compliant charger and MT-01 FAILs with the meter's current gain 1.5 %
  high.
* A bad product file is refused at the door: file, key, line.
"""

from __future__ import annotations

import pytest

from rig.catalogue import load_catalogue
from rig.errors import ConfigError
from rig.product import load_product
from tests.plan.runner import PLAN, ROOT, run_plan

PRODUCTS = PLAN / "products"
#: Two tests that need a current limit, and two product claims, of two modules.
SELECTION = ("test_duty_cycle_for_current and (6 or 32) or new_current_limit"
             " or pwm_starts or diode_short")


def rig_without_console(tmp_path):
    """rigs/emulator.yaml with its console resource and drivers removed."""
    text = (ROOT / "rigs" / "emulator.yaml").read_text()
    lines = text.splitlines()
    out, skip = [], 0
    for line in lines:
        if skip:
            skip -= 1
            continue
        if line.strip() == "- RawSerialPort:":
            skip = 3  # name, port, speed
            continue
        if "name: console" in line and "Driver" in line:
            continue
        out.append(line)
    rig = tmp_path / "no-console.yaml"
    rig.write_text("\n".join(out) + "\n")
    assert "console" not in rig.read_text().split("targets:")[1]
    return rig


def test_the_plan_runs_through_ocpp_alone(tmp_path):
    run = run_plan(tmp_path, "--product", str(PRODUCTS / "ocpp-generic.yaml"),
                   "--lg-env", str(rig_without_console(tmp_path)), "-k", SELECTION,
                   modules=("test_control_pilot.py", "test_timing.py"))
    got = {rid: run.verdict(rid) for rid in ("CP-04", "TM-04", "CP-07", "TM-06", "PR-09")}
    assert got == {"CP-04": "PASS", "TM-04": "PASS", "CP-07": "PASS", "TM-06": "NOT_RUN",
                   "PR-09": "NOT_RUN"}, run.output[-3000:]
    for rid in ("TM-06", "PR-09"):
        assert "does not claim" in run.reasons(rid), run.reasons(rid)
    assert run.verdicts["charger"]["serial"] == "ZCS000001"  # from the BootNotification
    assert run.verdicts["charger"]["product"] == "OCPP 1.6J charger (generic)"


def test_a_way_the_charger_does_not_offer_is_not_run(tmp_path):
    product = tmp_path / "no-limit.yaml"
    product.write_text("name: Fixed-current charger\nset_limit: none\nidentity: ocpp\n"
                       "meter: none\nclaims: [MT-01]\n")
    run = run_plan(tmp_path, "--product", str(product), "-k",
                   "new_current_limit or pwm_starts or current_reading and 16",
                   modules=("test_timing.py", "test_meter.py"))
    assert run.verdict("TM-04") == "NOT_RUN", run.output[-3000:]
    assert "offers no way to set a current limit" in run.reasons("TM-04")
    assert run.verdict("MT-01") == "NOT_RUN", run.output[-3000:]
    assert "offers no way to read its meter" in run.reasons("MT-01")
    assert "ERROR" not in run.executed().values()


#: The meter steps that read the charger's meter: one current point, one voltage point.
METER_SELECTION = "current_reading and 16 or voltage_reading and 230"


def ocpp_meter_product(tmp_path):
    """The generic OCPP product file, for a charger whose datasheet claims the meter's +/-1 %
    (MT-01, MT-02 are product requirements: the generic file claims nothing)."""
    text = (PRODUCTS / "ocpp-generic.yaml").read_text()
    assert "meter: ocpp" in text and "claims: []" in text
    product = tmp_path / "ocpp-meter.yaml"
    product.write_text(text.replace("claims: []", "claims: [MT-01, MT-02]"))
    return product


@pytest.mark.parametrize(("defect", "expected"), [
    ([], {"MT-01": "PASS", "MT-02": "PASS"}),
    (["--charger-set", "meter.current_gain_pct=1.5"], {"MT-01": "FAIL", "MT-02": "PASS"}),
], ids=["compliant", "current-gain-1.5pct"])
def test_the_meter_is_read_through_ocpp_alone(tmp_path, defect, expected):
    """No console on the rig at all: the meter steps read the charger's meter by
    TriggerMessage MeterValues over the real websocket, and judge it (a 1.5 % current gain,
    the meter defect row of mt.yaml, FAILs MT-01 through OCPP too)."""
    run = run_plan(tmp_path, "--product", str(ocpp_meter_product(tmp_path)),
                   "--lg-env", str(rig_without_console(tmp_path)), "-k", METER_SELECTION,
                   *defect, modules=("test_meter.py",))
    assert {rid: run.verdict(rid) for rid in expected} == expected, run.output[-3000:]
    readings = run.verdicts["requirements"]["MT-01"]["measurements"]
    assert len(readings) == 3 and all(m["data"]["meter_a"] > 15.0 for m in readings)


def test_bad_product_files_name_file_key_and_line(tmp_path):
    catalogue = load_catalogue(PLAN / "requirements.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: X\nset_limt: console\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:2: set_limt"):
        load_product(bad)
    bad.write_text("name: X\nset_limit: modbus\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:2: set_limit"):
        load_product(bad)
    bad.write_text("name: X\nclaims: [CP-04]\n")
    with pytest.raises(ConfigError, match=r"claims.0: a product requirement \(CP-04 is source"):
        load_product(bad, catalogue)
    bad.write_text("name: X\nclaims: [PR-99]\n")
    with pytest.raises(ConfigError, match=r"claims.0: a requirement id of the catalogue"):
        load_product(bad, catalogue)


def test_every_product_requirement_of_the_plan_is_claimed_by_the_zapcharger():
    catalogue = load_catalogue(PLAN / "requirements.yaml")
    product = load_product(PLAN / catalogue.product, catalogue)
    wanted = {rid for rid, r in catalogue.requirements.items() if r.source == "product"}
    assert set(product.claims) == wanted
