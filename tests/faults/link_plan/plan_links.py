"""A small plan for the charger-link fault tests: tests of the shipped plan around PR-07.

Not collected by the framework's own test run (no ``test_`` prefix): ``tests/faults`` runs it
as a plan in a pytest subprocess, with and without charger-link faults (a mute console during
CP-07, malformed OCPP frames during PR-07). The PR-07 test is written as a plan test would be
(it can move into ``testplans/iec61851`` with the PR group): a charger that sends a malformed
frame is non-compliant, so PR-07 FAILs, naming the frames.
"""

from __future__ import annotations

import pytest

# tests of the shipped plan before PR-07 and one after it: the rest of the run
from testplans.iec61851.test_control_pilot import test_diode_short_prevents_charging  # noqa: F401
from testplans.iec61851.test_timing import (  # noqa: F401
    test_contactor_closes_after_vehicle_requests_charge,
)

#: How long to wait (rig time) for each message of the session: a MeterValues sample comes
#: every ``ocpp.meter_values_s`` (60 s by default).
MESSAGE_TIMEOUT_S = 120.0


@pytest.mark.requirement("PR-07")
def test_messages_of_a_charge_session_are_valid(charger, csms, clock, record):
    """From plug-in to unplug (StatusNotification, StartTransaction, MeterValues,
    StopTransaction, ...) every frame the charger sends is OCPP-J and valid against the OCPP
    1.6J schemas; the central system checks each one as it arrives."""
    mark = csms.mark()
    charger.start_charging()
    for action in ("StartTransaction", "MeterValues"):
        if csms.wait_for(action, since=mark, timeout=MESSAGE_TIMEOUT_S) is None:
            pytest.fail(f"precondition: no {action} within {MESSAGE_TIMEOUT_S:g} s")
    charger.unplug()
    if csms.wait_for("StopTransaction", since=mark, timeout=MESSAGE_TIMEOUT_S) is None:
        pytest.fail(f"precondition: no StopTransaction within {MESSAGE_TIMEOUT_S:g} s")
    frames = [m for m in csms.messages(direction="in", since=mark)]
    bad = [(m, error) for m, error in csms.violations if m.index >= mark]
    record("PR-07", not bad, "bool",
           note="; ".join(f"{m.raw[:60]!r}: {error}" for m, error in bad[:5]),
           data={"frames": len(frames), "violations": [error for _, error in bad]})


from testplans.iec61851.test_timing import test_pwm_starts_after_vehicle_connects  # noqa: E402,F401
