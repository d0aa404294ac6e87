"""The EOL plan's own option: the serial on the unit's label (the station passes the scan)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("rig").addoption(
        "--unit-label", metavar="SERIAL", default=None,
        help="the serial number on the unit's label (scanned by the EOL station): a charger "
        "that reports another serial is refused, not failed",
    )


@pytest.fixture
def unit_label(request: pytest.FixtureRequest) -> str | None:
    """The scanned label, or None (the plan run by hand: no label to compare)."""
    return request.config.getoption("unit_label")
