"""Scale: the plan on 1, 2 and 4 labgrid places at once, and the coordinator's latency.

One lab on this host (``rig.labgrid.lab.LocalLab``: a real ``labgrid-coordinator``, one
emulated bench and one exporter per place). For each count N it starts N pytest processes at
once, each running the plan on its own place (``--lg-env rigs/place.yaml``), and prints the wall
time until the last one ends, its ratio to one place, and the runs' verdicts. Then it measures,
on one place, what a run pays the coordinator: a reservation (create, poll until allocated),
acquire (with the holder comment) and release, each ``--repeat`` times; median and worst in ms.

Usage: python bench/scale.py [--counts 1 2 4] [--repeat 20] [-k EXPR]   (-k: a subset of the plan)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rig.labgrid.lab import PLACE_RIG, LocalLab  # noqa: E402
from rig.labgrid.places import Coordinator  # noqa: E402


def run_plans(lab: LocalLab, names: list[str], folder: Path, select: str | None
              ) -> tuple[float, list[str]]:
    procs = []
    start = time.perf_counter()
    for name in names:
        out = folder / name
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LG_", "PYTEST_"))}
        env.update(lab.client_env(name), RIG_LOCK_DIR=str(folder / "locks"))
        cmd = [sys.executable, "-m", "pytest", "testplans/iec61851", "-q", "-p",
               "no:cacheprovider", "--lg-env", str(PLACE_RIG), "--no-records",
               "--reports-dir", str(out), *(["-k", select] if select else [])]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait()
    wall = time.perf_counter() - start
    verdicts = []
    for name in names:
        path = folder / name / "verdicts.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        verdicts.append(data.get("summary", {}).get("verdict", "no verdicts file"))
    return wall, verdicts


def latency(lab: LocalLab, place: str, repeat: int) -> dict[str, list[float]]:
    from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

    coord = Coordinator(lab.address)
    out: dict[str, list[float]] = {"reserve": [], "acquire": [], "release": []}
    stub, run = coord.session.stub, coord._run
    for _ in range(repeat):
        t0 = time.perf_counter()
        request = pb.CreateReservationRequest(
            filters={"main": pb.Reservation.Filter(filter={"name": place})}, prio=0)
        token = run(stub.CreateReservation(request)).reservation.token
        while True:
            res = run(stub.PollReservation(pb.PollReservationRequest(token=token))).reservation
            if res.state != 0:  # ReservationState.waiting
                break
            time.sleep(0.005)
        t1 = time.perf_counter()
        coord.acquire(place, {"pid": os.getpid(), "host": "bench"})
        t2 = time.perf_counter()
        coord.release(place)
        t3 = time.perf_counter()
        run(stub.CancelReservation(pb.CancelReservationRequest(token=token)))
        out["reserve"].append(t1 - t0)
        out["acquire"].append(t2 - t1)
        out["release"].append(t3 - t2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("-k", dest="select", default=None, help="pytest -k: a subset of the plan")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rig-scale-"))
    names = [f"rig-{i + 1}" for i in range(max(args.counts))]
    t0 = time.perf_counter()
    lab = LocalLab(folder, names).start()
    print(f"lab: coordinator {lab.address}, {len(names)} benches and exporters up in "
          f"{time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        base = None
        for n in args.counts:
            wall, verdicts = run_plans(lab, names[:n], folder / f"x{n}", args.select)
            base = base or wall
            print(f"plan on {n} place(s) at once: {wall:6.1f} s wall ({wall / base:.2f} x one "
                  f"place, {wall / n:.1f} s per plan); verdicts {', '.join(verdicts)}; load "
                  f"average {os.getloadavg()[0]:.1f}", flush=True)
        figures = latency(lab, names[0], args.repeat)
        for what, values in figures.items():
            ms = [v * 1000 for v in values]
            print(f"coordinator {what:8s}: median {statistics.median(ms):6.1f} ms, worst "
                  f"{max(ms):6.1f} ms ({len(ms)} times)")
    finally:
        lab.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
