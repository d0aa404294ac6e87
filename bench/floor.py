"""The floor of the certification plan's bench time: what physics makes any rig wait out.

A real rig pays bench time for waits that no organisation of the plan can avoid: the charger's
boot, a soft start before a reading that needs a settled charge, windows in which something
must NOT happen (watched for the whole window), ramps up to a trip, the jitter waits of
repeated timings, the charger's reporting intervals, the thermal rise, and integrations long
enough for the required resolution. The floor is their sum, computed here from the catalogue
(``testplans/iec61851/requirements.yaml``: observation windows, ramps, test points,
resolutions) and the charger's profile (``firmware-under-test``: boot time, soft-start ramp,
response delays, trip thresholds, power). The plan's bench time is judged against it: a plan
close to its floor spends its time on physics, not on the rig.

What counts (one soft start per *session*, not per reading):
* a soft start before each reading that needs a new charge session: one per cable (PP-01: a
  cable changes only between sessions), one per supply point (SU-01: the charger must start at
  that voltage), one per vehicle phase count (PR-03), and one per requirement otherwise (its
  points can follow one another within one session: CP-04, MT-01, MT-02, TM-04, SS, PR-04);
* every watch for an absence, for its whole window (PP-02, CP-07, CP-09, RC-05, RC-06,
  RC-07, PR-02);
* ramps to the compliant trip threshold at the catalogue's rate (RC-04, RC-05);
* the waits of repeated timings (TM-01, TM-06: the catalogue's phase offsets);
* the charger's own response where the requirement waits for it (TM-05's PWM-stop opening,
  the MeterValues interval of PR-07, PR-04's soak time once the ambient is hot);
* energy integrations at the point's power: MT-03's pulse gates (``min_pulses`` of the
  charger's test output), and the one transaction in which MT-04's OCPP values and MT-03's
  register each count under ``max_resolution_share`` of the energy.

Usage: python bench/floor.py [--charger-set KEY=VALUE ...]   (prints the items and the sum)
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rig.catalogue import Catalogue, load_catalogue  # noqa: E402

CATALOGUE_PATH = ROOT / "testplans" / "iec61851" / "requirements.yaml"
#: The golden-ratio spread of repeated timings' waits (testplans/iec61851/plan.py).
GOLDEN = (5 ** 0.5 - 1) / 2


@dataclass
class FloorItem:
    """One wait the plan cannot avoid."""

    group: str  # requirement group (or "start" for the session's power-on)
    what: str
    seconds: float  # one occurrence
    count: int  # how many times the plan must wait it out
    source: str  # where the figure comes from (catalogue or profile key)

    @property
    def total(self) -> float:
        return self.seconds * self.count


def _offsets(cat: Catalogue, rid: str) -> float:
    """Sum of the waits before each repetition of ``rid`` (testplans/iec61851/plan.py: spread
    over twice the limit; the largest upper limit where the requirement has several)."""
    repeats = int(cat.params(rid)["repeats"])
    highs = [lim.high for lim in cat.requirement(rid).limits.values() if lim.high is not None]
    span = 2.0 * float(max(highs, default=0.0))
    return sum(((k * GOLDEN) % 1.0) * span for k in range(repeats))


def _energy_s(resolution_wh: float, share: float, power_w: float) -> float:
    """Integration time so that one count of ``resolution_wh`` is ``share`` of the energy."""
    return resolution_wh / share / power_w * 3600.0


def items(cat: Catalogue | None = None, profile: Any = None) -> list[FloorItem]:
    """Every wait of the plan's floor, from the catalogue and the charger's profile."""
    from zapcharger.profile import load_profile

    cat = cat or load_catalogue(CATALOGUE_PATH)
    prof = profile or load_profile()
    p = cat.params
    ramp = float(prof.soft_start.ramp_s) if prof.soft_start.enabled else 0.0
    boot = float(prof.boot.time_s)
    nominal = float(p("SU-01")["nominal_v"])
    out = [FloorItem("start", "power-on: the charger boots", boot, 1, "profile boot.time_s")]
    add = out.append
    # SU: one interruption shared by SU-03 and PR-01 (testplans/iec61851/interruption.py)
    lengths = {float(p("SU-03")["interruption_s"]), float(p("PR-01")["interruption_s"])}
    for seconds in sorted(lengths):
        add(FloorItem("shared", f"supply interruption {seconds:g} s, then the boot",
                      seconds + boot,
                      1, "catalogue SU-03/PR-01 interruption_s + profile boot.time_s"))
    su_points = len(p("SU-01")["phase_voltages_v"]) + len(p("SU-01")["line_voltages_v"])
    add(FloorItem("SU", "soft start at each supply point (SU-01)", ramp, su_points,
                  "profile soft_start.ramp_s x catalogue SU-01 points"))
    # PP: a cable changes only between sessions
    pp_sessions = len(p("PP-01")["points"]) + len(p("PP-01")["swap_ohm"])
    add(FloorItem("PP", "soft start per cable (PP-01 points and the swap)", ramp, pp_sessions,
                  "profile soft_start.ramp_s x catalogue PP-01 points + swap_ohm"))
    add(FloorItem("PP", "no PWM in B, no close in C, watched (PP-02)",
                  2 * float(p("PP-02")["observe_s"]), len(p("PP-02")["pp_ohm"]),
                  "catalogue PP-02 observe_s x pp_ohm"))
    # CP
    add(FloorItem("CP", "soft start before the duty points (CP-04)", ramp, 1,
                  "profile soft_start.ramp_s"))
    add(FloorItem("CP", "duty update per limit (CP-04)", float(prof.timing.duty_update_s),
                  len(p("CP-04")["currents_a"]), "profile timing.duty_update_s x CP-04 points"))
    for rid in ("CP-07", "CP-09"):
        add(FloorItem("CP", f"contactor stays open, watched ({rid})",
                      float(p(rid)["observe_s"]), 1, f"catalogue {rid} observe_s"))
    # TM
    # every timing measured at several phases (``repeats``: TM-01, TM-02, TM-03, TM-06, ...)
    for rid, req in cat.requirements.items():
        if "repeats" in req.parameters:
            add(FloorItem(rid.split("-")[0], f"phase offsets of the repeated timing ({rid})",
                          _offsets(cat, rid), 1, f"catalogue {rid} repeats x limit"))
    add(FloorItem("TM", "soft start, then the limit lowered and raised (TM-04)",
                  ramp + 2 * float(prof.timing.duty_update_s), 1,
                  "profile soft_start.ramp_s + 2 x timing.duty_update_s"))
    add(FloorItem("TM", "PWM stopped: the charger opens (TM-05)",
                  float(prof.timing.open_after_pwm_stop_s), 1,
                  "profile timing.open_after_pwm_stop_s"))
    # RC
    rc4 = p("RC-04")
    add(FloorItem("RC", "DC ramp to the trip (RC-04)",
                  (float(prof.rcd.dc_trip_ma) - float(rc4["start_ma"])) / float(
                      rc4["rate_ma_per_s"]), 1, "profile rcd.dc_trip_ma, catalogue RC-04 rate"))
    rc5 = p("RC-05")
    add(FloorItem("RC", "AC ramp to the trip (RC-05)",
                  (float(prof.rcd.ac_trip_ma) - float(rc5["ramp_start_ma"])) / float(
                      rc5["ramp_rate_ma_per_s"]), 1,
                  "profile rcd.ac_trip_ma, catalogue RC-05 ramp"))
    add(FloorItem("RC", "no trip at 15 mA, watched (RC-05)", float(rc5["no_trip_observe_s"]), 1,
                  "catalogue RC-05 no_trip_observe_s"))
    for rid in ("RC-06", "RC-07"):
        add(FloorItem("RC", f"stays open, watched ({rid})", float(p(rid)["observe_s"]), 1,
                      f"catalogue {rid} observe_s"))
    # SS
    add(FloorItem("SS", "the soft start itself (SS-01..03)", ramp, 1, "profile soft_start.ramp_s"))
    # MT
    add(FloorItem("MT", "soft start before the readings (MT-01, MT-02)", ramp, 2,
                  "profile soft_start.ramp_s"))
    mt3 = p("MT-03")
    pulse_wh = 1000.0 / float(prof.meter.test_output_imp_kwh)
    for amps, pf in mt3["points"]:
        power = 3 * nominal * float(amps) * float(pf)
        add(FloorItem("MT", f"pulse gate at {amps:g} A PF {pf:g} (MT-03)",
                      _energy_s(pulse_wh, 1.0 / float(mt3["min_pulses"]), power), 1,
                      "catalogue MT-03 min_pulses, profile meter.test_output_imp_kwh"))
    mt4 = p("MT-04")
    add(FloorItem("MT", "one transaction: OCPP energy (MT-04) and register (MT-03)",
                  max(_energy_s(float(mt4["ocpp_resolution_wh"]),
                                       float(mt4["max_resolution_share"]),
                                       3 * nominal * float(mt4["current_a"])),
                             _energy_s(float(mt3["register_resolution_wh"]),
                                       float(mt3["max_resolution_share"]),
                                       3 * nominal * float(mt4["current_a"]))), 1,
                  "catalogue MT-04 ocpp_resolution_wh / max_resolution_share, MT-03 register"))
    # PR
    add(FloorItem("PR", "soft start per vehicle phase count (PR-03)", ramp, 2,
                  "profile soft_start.ramp_s"))
    pr4 = p("PR-04")
    add(FloorItem("PR", "soft start, then the heat soaks in at the hot ambient (PR-04)",
                  ramp + float(pr4["settle_s"]), 1,
                  "profile soft_start.ramp_s + catalogue PR-04 settle_s"))
    if "PR-02" in cat.requirements:
        add(FloorItem("PR", "no charge without a tag, watched (PR-02)",
                      float(p("PR-02")["wait_s"]), 1, "catalogue PR-02 wait_s"))
    add(FloorItem("PR", "one MeterValues interval (PR-07)", float(prof.ocpp.meter_values_s), 1,
                  "profile ocpp.meter_values_s"))
    return [item for item in out if math.isfinite(item.total)]


def by_group(floor: list[FloorItem]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in floor:
        out[item.group] = out.get(item.group, 0.0) + item.total
    return out


def total(floor: list[FloorItem]) -> float:
    return sum(item.total for item in floor)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--charger-set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    from zapcharger.profile import load_profile

    floor = items(profile=load_profile(overrides=args.charger_set or None))
    for item in floor:
        print(f"{item.group:6s} {item.total:8.1f} s  {item.what} ({item.count} x "
              f"{item.seconds:.3g} s; {item.source})")
    print(f"floor: {total(floor):.1f} s ({total(floor) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
