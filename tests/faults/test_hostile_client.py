"""A colleague's script on every instrument during a real plan run: ERRORs naming it, no FAIL.

The break this reproduces: a second SCPI client sending ``SOUR:CP:STAT A`` to the EV emulator
every 0.5 s during a run produced three FAIL verdicts blamed on the charger (CP-06, PP-01,
PR-07), and a second websocket as the charger's identity took its OCPP session over.
``tests/faults/hostile.py`` now does that and worse to every instrument and the bench control
port at once (``*RST``, a supply cut), every 0.2 s of wall time, over its own TCP connections,
and tries to connect as the charger. The rig holds every instrument (``exclusive_access: scpi`` in
``rigs/emulator.yaml``): the writes are refused, and each step during which one was tried is an
ERROR naming the instrument, the client's address and its message.

The subset (control pilot, cable and OCPP, about 30 s) touches every instrument and the OCPP
link: the hostile client writes to all instruments whatever the test, tries to connect as the
charger once the central system is up, and the check after each test asks all of them.
"""

from __future__ import annotations

import re

from tests.plan.runner import run_plan

MODULES = ("test_control_pilot.py", "test_cable.py", "test_ocpp.py")
HELD = ("ac_source", "power_analyser", "rcd_dc", "rcd_ac", "ev", "bench")


def test_a_hostile_client_on_every_instrument_makes_errors_naming_it_and_no_fail(tmp_path):
    run = run_plan(tmp_path, "-p", "tests.faults.hostile", "--hostile-period", "0.2",
                   modules=MODULES)
    verdicts = run.executed()
    assert "FAIL" not in verdicts.values() and "INCONCLUSIVE" not in verdicts.values(), (
        verdicts, run.output[-3000:])
    errors = [rid for rid, verdict in verdicts.items() if verdict == "ERROR"]
    assert len(errors) >= len(verdicts) // 2, verdicts  # the script runs all along
    for rid in errors:
        reason = run.reasons(rid)
        assert reason.startswith("call: ForeignControl: another client tried to drive the rig "
                                 "during this step"), (rid, reason)
    named = " | ".join(run.reasons(rid) for rid in errors)
    for role in HELD:  # each instrument names the client and what it sent
        assert re.search(rf"{role}: \d+ write\(s\) by another client refused \(last from "
                         r"127\.0\.0\.1:\d+: '(\*RST|SOUR:CP:STAT A|BENCH:SUPP:CUT 1)'\)",
                         named), role
    # and the websocket that asked to be the charger while it was connected
    assert re.search(r"ocpp: \d+ connection\(s\) as charge point ZCS\d+ refused \(last from "
                     r"127\.0\.0\.1:\d+: the charger is connected from 127\.0\.0\.1:\d+\)",
                     named)
    assert run.verdicts["summary"]["verdict"] == "ERROR"
    assert re.search(r"hostile client: \d+ foreign writes sent", run.output)
