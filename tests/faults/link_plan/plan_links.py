"""A small plan for the charger-link fault tests: tests of the shipped plan around PR-07.

Not collected by the framework's own test run (no ``test_`` prefix): ``tests/faults`` runs it
as a plan in a pytest subprocess, with and without charger-link faults (a mute console during
PR-09, malformed OCPP frames during PR-07's charge session): a charger that sends a malformed
frame is non-compliant, so PR-07 FAILs, naming the frames.
"""

from __future__ import annotations

# tests of the shipped plan: two before PR-07's charge session and one after it
from testplans.iec61851.test_control_pilot import (  # noqa: F401
    test_diode_short_is_shown_as_a_fault,
    test_diode_short_prevents_charging,
)
from testplans.iec61851.test_ocpp import test_messages_of_a_charge_session_are_valid  # noqa: F401
from testplans.iec61851.test_timing import (  # noqa: F401
    test_contactor_closes_after_vehicle_requests_charge,
    test_pwm_starts_after_vehicle_connects,
)
