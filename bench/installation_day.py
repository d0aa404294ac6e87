"""A full working day of a 100-station installation on 63 A, in virtual time (PR-05/PR-06 at
the manual's scale): ``.venv/bin/python bench/installation_day.py [--stations 100]
[--fuse 63] [--day-s 86400] [--seed 1] [--plots DIR] [--set KEY=VALUE ...]``.

Every station is a whole emulated charger (its own firmware instance and OCPP identity), the
product's installation controller distributes the fuse, all on one bench clock
(:mod:`rig.bench.installation`). Prints the wall time, the bench time, peak memory, the fuse
violations (the feed's settled current per phase above the fuse: how many, the longest) and the
fairness figure (Jain's index over the vehicles the controller holds below what they ask,
sampled every minute: mean and lowest). ``--plots DIR`` writes the feed against the fuse over
the day and the energy each station delivered (the report's plots). ``--set`` takes profile
overrides, e.g. ``installation.respect_fuse=false`` (the defect: violations all day).
Target: under 60 s of wall time and under 1 GiB on the 2-core CI machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from zapcharger.profile import load_profile  # noqa: E402

from rig.bench.installation import simulate_day  # noqa: E402
from rig.installation import Site, day_scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--fuse", type=float, default=63.0)
    ap.add_argument("--day-s", type=float, default=86400.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plots", type=Path)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", action="store_true", help="one JSON line instead of the text")
    args = ap.parse_args(argv)
    site = Site(fuse_a=args.fuse, stations=args.stations, rotation=["RST", "STR", "TRS"])
    profile = load_profile(overrides=args.set)
    vehicles = day_scenario(site, seed=args.seed, day_s=args.day_s)
    start, cpu0 = time.perf_counter(), time.process_time()
    day = simulate_day(site, profile, vehicles, args.day_s)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    figures = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mib": round(peak_mib, 1),
               **day.summary()}
    if args.plots:
        from rig.report.plots import feed_plot, shares_plot

        args.plots.mkdir(parents=True, exist_ok=True)
        t_h = [s[0] / 3600.0 for s in day.feed]
        phases = [[s[i] for s in day.feed] for i in (1, 2, 3)]
        (args.plots / "feed.png").write_bytes(feed_plot(
            t_h, phases, day.fuse_a, f"{day.stations} stations on {day.fuse_a:g} A: feed "
            "current per phase over the day", "bench time (h)"))
        (args.plots / "shares.png").write_bytes(shares_plot(
            day.energy_kwh, "energy each station delivered over the day", "energy (kWh)"))
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"installation day: {day.stations} stations on {day.fuse_a:g} A, "
          f"{day.vehicles} vehicles, {day.events} events")
    print(f"  wall time        {wall:8.2f} s   (target < 60 s; CPU {cpu:.2f} s: on a shared "
          "machine the wall time is the CPU time stretched by the load)")
    print(f"  bench time       {day.bench_s:8.0f} s   ({day.bench_s / max(wall, 1e-9):,.0f} x "
          "real time)")
    print(f"  peak memory      {peak_mib:8.1f} MiB (target < 1024 MiB)")
    print(f"  fuse violations  {len(day.violations):8d}     (longest "
          f"{day.longest_violation_s:.3f} s; peak feed {figures['peak_feed_a']} A)")
    print(f"  fairness (Jain)  mean {figures['fairness_mean']}, lowest "
          f"{figures['fairness_min']} over {len(day.fairness)} samples")
    print(f"  vehicles         {day.started} of {day.vehicles} started, {day.satisfied} got all "
          f"they wanted, longest wait {day.longest_wait_s:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
