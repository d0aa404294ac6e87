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


#: The note a station reads: the unit left the fixture in the middle of its plan.
UNIT_LOST = "unit lost"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """After each test body that had the unit powered: is the unit still on the fixture?

    A unit taken off the fixture mid-test (an operator's hand, a nest that opened) stops
    answering on its console although the supply is on. Whatever the step measured then is not
    this unit's fault: the plan notes ``unit lost`` and stops, and the station records the
    attempt as a rig error (not judged, never PASS; the measurements so far are kept). A unit
    that is there answers with its serial in milliseconds; the check asks only when the body
    left the supply on (the routine safety tests run unpowered: an open ground bond is ES-01's).
    """
    try:
        return (yield)
    finally:
        _check_unit_present(item)


def _check_unit_present(item: pytest.Item) -> None:
    from rig.errors import RigError
    from rig.pytest_plugin.verdicts import book_of

    rig_test = getattr(item, "funcargs", {}).get("rig_test")
    console = getattr(rig_test, "console", None)
    if console is None:
        return
    try:
        if not rig_test.instrument("ac_source").is_on():
            return
        console.serial()
    except RigError as exc:
        why = (f"{UNIT_LOST}: during {item.name} the unit stopped answering on its console with "
               f"the supply on ({exc}); was it taken off the fixture?")
        book = book_of(item.config)
        if book is not None and not any(n.startswith(UNIT_LOST) for n in book.notes):
            book.notes.append(why)
        item.session.shouldstop = why
