"""Soak: hundreds of charge cycles against the emulated bench, looking for leaks.

One rig session, opened the way the fixtures open it (``rigs/emulator.yaml``,
``fixtures.rig.RigSession``: real drivers over real sockets, the console over its
pseudo-terminal, CAN, the watchdogs armed and fed by their keep-alive thread), against a bench
in virtual time in its own process (``python -m rig.bench``, as a lab's instruments are apart
from the rig PC). Each cycle does what a test does: arm the watchdogs (``rig_test`` setup),
charger ready, plug in (B), PWM, charge (C), contactor closed, charge briefly, read the
console's meter and a CAN status frame, unplug (A), contactor open, then the per-test safe
state.

Prints this process's open file descriptors (``/proc/self/fd``), threads and resident memory
at the start, after a warm-up, every 100 cycles and at the end (with the bench process's
memory beside it), and exits 1 on clear growth of the rig process between warm-up and end: any
new file descriptor or thread, or memory beyond ``--rss-noise-kb``.

The SCPI transcript is the plugin's: streamed to a file as it happens, with only the last
``--transcript-keep`` entries in memory (the plugin keeps 100 000; the soak keeps fewer so the
bound is reached within the run and its memory is part of the measurement). The console log and
the CAN frame log are kept *by design*; they are kept out of the measurement and reported per
cycle. The bench's own memory grows with the EV emulator's event
trace, a ring buffer of 100 000 events (as an instrument's trace memory is).
Usage: python bench/soak.py [--cycles 500] [--warmup 50]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.charger import Charger, Trace  # noqa: E402
from fixtures.rig import RigSession  # noqa: E402
from fixtures.safety import rig_options  # noqa: E402
from rig.bench.process import start_bench_process  # noqa: E402
from rig.transport import Transcript  # noqa: E402


def _status(pid: int | str) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def sample(bench_pid: int) -> dict[str, int]:
    fields = _status("self")
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": int(fields["Threads"].strip()),
        "py_threads": threading.active_count(),
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "bench_rss_kb": int(_status(bench_pid)["VmRSS"].split()[0]),
    }


def show(label: str, s: dict[str, int], bench_s: float, ms_per_cycle: float | None,
         say: Any = print) -> None:
    pace = f"   {ms_per_cycle:5.1f} ms/cycle" if ms_per_cycle is not None else ""
    say(f"{label:10s} fds {s['fds']:4d}   threads {s['threads']:3d} "
          f"(python {s['py_threads']:3d})   rss {s['rss_kb'] / 1024:6.1f} MiB   "
          f"[bench process rss {s['bench_rss_kb'] / 1024:6.1f} MiB]   bench time "
          f"{bench_s:7.0f} s{pace}")


def serve_bench(folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    try:
        return start_bench_process(folder / "bench.env", cwd=ROOT, stderr=None)
    except RuntimeError as exc:
        raise SystemExit(f"the bench did not start: {exc}") from None


def cycle(rig: RigSession, charger: Charger, kept: dict[str, int]) -> None:
    if rig.guard is not None:
        rig.guard.ensure_armed()
    charger.ensure_ready()
    charger.start_charging(current_a=16.0)
    charger.clock.sleep(2.0)
    rig.console.meter()
    rig.can.status(timeout_s=2.0)
    charger.unplug()
    if not charger.clock.wait_until(charger.contactor_open, 5.0, poll=0.01):
        raise RuntimeError("the contactor did not open after unplugging")
    problems = rig.make_safe(supply_off=False)
    if problems:
        raise RuntimeError("; ".join(problems))
    # the logs a run keeps by design (the record store drains them as it goes)
    kept["can_frames"] += len(rig.can.log)
    rig.can.log.clear()
    log: Any = rig.console.log
    for name in ("lines", "events"):
        items = getattr(log, name, None)
        if isinstance(items, list):
            kept[f"console_{name}"] += len(items)
            items.clear()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--transcript-keep", type=int, default=5_000,
                        help="SCPI transcript entries kept in memory (all go to the file)")
    parser.add_argument("--rss-noise-kb", type=int, default=4096,
                        help="memory growth after the warm-up still counted as noise")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return 1 if run(parse(argv))["leaks"] else 0


def run(args: argparse.Namespace, say: Any = None) -> dict[str, Any]:
    """The soak; prints as it goes (``say``), returns the figures (``leaks``: what grew)."""
    from labgrid import Environment

    if say is None:
        def say(text: str) -> None:
            print(text, flush=True)

    folder = Path(tempfile.mkdtemp(prefix="rig-soak-"))
    bench, bench_env = serve_bench(folder)
    os.environ.update(bench_env)
    os.environ.setdefault("RIG_LOCK_DIR", str(folder / "locks"))
    transcript = Transcript(keep=args.transcript_keep)
    transcript_file = transcript.stream_to(folder / "scpi-transcript.log")
    env = Environment(config_file=str(ROOT / "rigs" / "emulator.yaml"))
    rig = RigSession(env, transcript)
    kept = {"can_frames": 0, "console_lines": 0, "console_events": 0, "console_garbled": 0}
    try:
        rig.open()
        rig.start_watchdogs(rig_options(env))
        charger = Charger(rig, Trace(rig.instrument("ev"), rig.clock), rig.clock)
        say(f"soak: {args.cycles} charge cycles, virtual time, bench pid {bench.pid}, "
            f"watchdogs {rig.guard.delays if rig.guard else {}}")
        gc.collect()
        start = sample(bench.pid)
        show("start", start, rig.clock.waited_s, None, say)
        t0 = last = time.perf_counter()
        last_i = 0
        warm: dict[str, int] = {}
        for i in range(1, args.cycles + 1):
            cycle(rig, charger, kept)
            if i == args.warmup or i % 100 == 0 or i == args.cycles:
                now = time.perf_counter()
                pace = (now - last) / (i - last_i) * 1000
                last, last_i = now, i
                gc.collect()
                point = sample(bench.pid)
                if i == args.warmup:
                    warm = point
                label = "warm-up" if i == args.warmup else "cycle"
                show(f"{label} {i}", point, rig.clock.waited_s, pace, say)
        wall = time.perf_counter() - t0
        end = point
        transcript.flush()
        streamed = transcript_file.stat().st_size
    finally:
        transcript.close()
        rig.make_safe(supply_off=True)
        rig.close()
        bench.terminate()
        bench.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    cycles_measured = args.cycles - args.warmup
    say(f"wall {wall:.1f} s for {args.cycles} cycles ({wall / args.cycles * 1000:.0f} ms each), "
          f"bench time {rig.clock.waited_s:.0f} s ({rig.clock.waited_s / wall:.0f}x)")
    say(f"transcript: {transcript.mark() / args.cycles:.0f} entries per cycle streamed to its "
          f"file ({streamed / args.cycles / 1024:.1f} KiB per cycle), {len(transcript.lines())} "
          f"kept in memory (keep {args.transcript_keep})")
    say(f"kept by design, per cycle: {kept['can_frames'] / args.cycles:.1f} CAN frames, "
          f"{kept['console_lines'] / args.cycles:.1f} console lines")
    growth = {k: end[k] - warm[k] for k in ("fds", "threads", "py_threads", "rss_kb")}
    say(f"growth warm-up -> end ({cycles_measured} cycles): fds {growth['fds']:+d}, threads "
          f"{growth['threads']:+d} (python {growth['py_threads']:+d}), rss "
          f"{growth['rss_kb']:+d} KiB ({growth['rss_kb'] / cycles_measured:+.2f} KiB/cycle)")
    leaks = []
    if growth["fds"] > 0:
        leaks.append(f"{growth['fds']} file descriptors")
    if growth["threads"] > 0 or growth["py_threads"] > 0:
        leaks.append(f"{max(growth['threads'], growth['py_threads'])} threads")
    if growth["rss_kb"] > args.rss_noise_kb:
        leaks.append(f"{growth['rss_kb']} KiB of memory (noise: {args.rss_noise_kb} KiB)")
    say("soak: GROWTH: " + ", ".join(leaks) if leaks else "soak: OK (no growth beyond noise)")
    return {"cycles": args.cycles, "wall_s": wall, "ms_per_cycle": wall / args.cycles * 1000,
            "bench_s": rig.clock.waited_s, "growth": growth, "leaks": leaks,
            "end": end, "warm": warm}


if __name__ == "__main__":
    raise SystemExit(main())
