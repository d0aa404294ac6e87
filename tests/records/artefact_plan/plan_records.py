"""A plan-style module run in a pytest subprocess by ``tests/records/test_plugin.py`` (not
collected by the suite itself): the ``artefact`` and ``records`` fixtures, and the ``csms``
fixture's OCPP log, reach the record store."""

from __future__ import annotations

import pytest


@pytest.mark.requirement("RS-01")
def test_measurement_artefact_and_ocpp(charger, csms, record, artefact, records):
    assert records is not None and records.run_id >= 1
    assert csms.wait_for("BootNotification", timeout=60) is not None
    record("RS-01", 5.0, "V")
    assert artefact("trace.csv", "t,kind,value\n0.0,STATE,A\n", "text/csv") is not None
    assert artefact("plot.png", b"\x89PNG\r\n", "image/png", requirement="RS-01")
