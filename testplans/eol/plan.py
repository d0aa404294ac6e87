"""What the production end-of-line (EOL) plan shares: its catalogue, waits and the safety steps.

The plan is built for bench time per unit, not for coverage: the certification has proved the
design; the line proves that this unit was built right. So:

* **one boot**: the unit is powered once, after the routine safety tests (which need it
  unpowered), and never interrupted again (no SU group, no supply changes);
* **one plug-in cycle for many checks**: connected (B2) gives the pilot's levels, frequency
  and the duty at two currents; the first charge gives the close time, the meter at one point
  and the self-test record; the vehicle stopping gives the open time; the second charge the
  self-test again and the AC residual-current trip at 30 mA (which latches, so the cycle ends
  there); the status LED is read at every situation on the way, from no supply to the fault;
* **awaited events, never sleeps**: every wait ends on an event of the EV emulator's trace or a
  reading that has settled, and is bounded by a multiple of the limit;
* **RC-01 as it is**: the 6 mA smooth-DC step that proves detection at or below 6 mA is fast
  on a good unit (tens of ms), so it needs no "faster equivalent"; only a unit that never trips
  costs its 10 s limit (plus a margin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rig.catalogue import Catalogue, load_catalogue
from rig.errors import RigError

CATALOGUE: Catalogue = load_catalogue(Path(__file__).with_name("requirements.yaml"))

#: Margin on a limit for how long to keep watching: a late unit is still measured and FAILs
#: rather than timing out, but a unit that never reacts costs little more than the limit.
WATCH_FACTOR = 1.2
#: How long a routine safety step may overrun its programmed time before the rig gives up.
TESTER_SLACK_S = 2.0


def param(rid: str, name: str) -> Any:
    return CATALOGUE.params(rid)[name]


def budget(rid: str, name: str | None = None, minimum: float = 0.5) -> float:
    """How long to watch for an event judged against ``rid``'s upper limit."""
    _, limit = CATALOGUE.limit(rid, name)
    high = limit.high if limit.high is not None else minimum
    return max(WATCH_FACTOR * high, minimum)


def run_safety_step(tester: Any, clock: Any, rid: str) -> Any:
    """Program and run one routine safety step of ``rid`` on its own (so one defect fails one
    requirement); wait for it in rig time; return the tester's result of the step."""
    p = CATALOGUE.params(rid)
    _, limit = CATALOGUE.limit(rid)
    tester.configure()
    if rid == "ES-01":
        tester.add_ground_bond(float(p["current_a"]), limit.high, float(p["time_s"]))
        length = float(p["time_s"])
    elif rid == "ES-02":
        tester.add_insulation(float(p["voltage_v"]), limit.low * 1e6, float(p["time_s"]))
        length = float(p["time_s"])
    else:
        tester.add_hipot_ac(float(p["voltage_v"]), limit.high * 1e-3, float(p["time_s"]),
                            ramp_s=float(p["ramp_s"]))
        length = float(p["time_s"]) + float(p["ramp_s"])
    tester.start()
    if not clock.wait_until(tester.completed, length + TESTER_SLACK_S, poll=0.1):
        tester.stop()
        raise RigError(f"{rid}: the safety tester did not complete its step within "
                           f"{length + TESTER_SLACK_S:g} s")
    return tester.results()[0]
