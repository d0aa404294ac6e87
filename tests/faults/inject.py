"""A pytest plugin for the framework's own fault tests: break the rig in the middle of a plan.

Not part of any plan: a test of the framework loads it into a plan run it starts
(``pytest testplans/iec61851 -p tests.faults.inject --rig-fault TM-03=garbage:ev``). Right
before the body of the test of that requirement (its fixtures are set up: the charger is
powered, a charge may be running), the plugin sends the fault to the bench control port; right
after the body, before teardown, it repairs the link. Kinds (``<kind>:<bench key>``):

==========  ===========================================  =====================================
kind        before the test body                         after it
==========  ===========================================  =====================================
drop        ``BENCH:FAULT:LINK <i>,DROP`` (stays down)    ``BENCH:FAULT:LINK <i>,NONE``
blip        the link drops and comes back at once         -
late        ``BENCH:FAULT:LINK <i>,DELAY,<s>``            ``BENCH:FAULT:LINK <i>,NONE``
garbage     ``BENCH:FAULT:LINK <i>,GARBLE``               ``BENCH:FAULT:LINK <i>,NONE``
error       ``BENCH:FAULT:ERROR <i>,-310``                -
reboot      ``BENCH:FAULT:REBOOT <i>``                    -
console     ``BENCH:FAULT:CONSOLE <mode>``                ``BENCH:FAULT:CONSOLE NONE``
can         ``BENCH:FAULT:CAN <mode>``                    ``BENCH:FAULT:CAN NONE``
ocpp        ``BENCH:FAULT:OCPP <mode>``                   ``BENCH:FAULT:OCPP NONE``
pull        ``BENCH:FIXTURE:PULL`` (the unit taken off    - (the next unit loaded is there)
            the fixture; argument ignored: ``pull:unit``)
==========  ===========================================  =====================================

``late`` delays replies by ``--rig-fault-delay`` seconds (default 2.5: beyond the rig file's
2 s timeout). For the charger-link kinds the argument is the mode (``console:MUTE``).
"""

from __future__ import annotations

from typing import Any

import pytest

FAULTS_KEY = pytest.StashKey[dict[str, tuple[str, str]]]()


def commands(kind: str, arg: str, delay_s: float) -> tuple[list[str], list[str]]:
    """(before the body, after it) control-port commands of one fault."""
    table: dict[str, tuple[list[str], list[str]]] = {
        "drop": ([f"BENCH:FAULT:LINK {arg},DROP"], [f"BENCH:FAULT:LINK {arg},NONE"]),
        "blip": ([f"BENCH:FAULT:LINK {arg},DROP", f"BENCH:FAULT:LINK {arg},NONE"], []),
        "late": ([f"BENCH:FAULT:LINK {arg},DELAY,{delay_s:g}"], [f"BENCH:FAULT:LINK {arg},NONE"]),
        "garbage": ([f"BENCH:FAULT:LINK {arg},GARBLE"], [f"BENCH:FAULT:LINK {arg},NONE"]),
        "error": ([f"BENCH:FAULT:ERROR {arg},-310"], []),
        "reboot": ([f"BENCH:FAULT:REBOOT {arg}"], []),
        "console": ([f"BENCH:FAULT:CONSOLE {arg}"], ["BENCH:FAULT:CONSOLE NONE"]),
        "can": ([f"BENCH:FAULT:CAN {arg}"], ["BENCH:FAULT:CAN NONE"]),
        "ocpp": ([f"BENCH:FAULT:OCPP {arg}"], ["BENCH:FAULT:OCPP NONE"]),
        "pull": (["BENCH:FIXTURE:PULL"], []),
    }
    if kind not in table:
        raise pytest.UsageError(f"--rig-fault: kind {kind!r}, one of {', '.join(table)}")
    return table[kind]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig-faults", "fault injection (the framework's own tests only)")
    group.addoption(
        "--rig-fault", action="append", default=[], metavar="REQ=KIND:ARG",
        help="break the rig right before the body of the test of REQ (e.g. TM-03=drop:ev)",
    )
    group.addoption("--rig-fault-delay", type=float, default=2.5, metavar="S",
                    help="seconds a 'late' instrument waits before it answers")


def pytest_configure(config: pytest.Config) -> None:
    faults: dict[str, tuple[str, str]] = {}
    for item in config.getoption("rig_fault"):
        rid, sep, fault = item.partition("=")
        kind, sep2, arg = fault.partition(":")
        if not (sep and sep2 and rid and arg):
            raise pytest.UsageError(f"--rig-fault {item!r}: REQ=KIND:ARG expected")
        faults[rid.strip()] = (kind.strip(), arg.strip())
    config.stash[FAULTS_KEY] = faults


def _control(item: pytest.Item) -> Any:
    from fixtures.plugin import RIG_KEY  # imported late: the plan's conftest loads it first

    session = item.config.stash.get(RIG_KEY, None)
    if session is None or session.control is None:
        raise RuntimeError("--rig-fault needs the emulated bench's control port")
    return session.control


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    from fixtures.verdicts import requirement_ids

    faults = item.config.stash.get(FAULTS_KEY, {})
    chosen = next((faults[rid] for rid in requirement_ids(item) if rid in faults), None)
    if chosen is None:
        return (yield)
    before, after = commands(*chosen, item.config.getoption("rig_fault_delay"))
    control = _control(item)
    for command in before:
        control.send(command)
    try:
        return (yield)
    finally:
        for command in after:
            control.send(command)
