"""SIGKILL during a charge: no code runs, the instruments' watchdogs de-energise the rig.

A real pytest run charges on a standalone bench with the rig file's ``watchdog_s: 1``; the
keep-alive holds the watchdogs off for longer than their delay; then the run is killed with
SIGKILL. The bench is polled on the wall clock: it must be safe within the delay plus a margin,
and stay latched (``OUTP:PROT:TRIP?`` = 1, ``OUTP ON`` refused) until cleared. The next run
clears the latch when it arms the watchdogs, and says so; the killed run's lock files are
stale and block nobody.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.plan.runner import ROOT
from tests.safety.bench import rig_file, scpi, serve_bench, start_plan, wait_until

WATCHDOG_S = 1.0
#: The emulated watchdogs look every 50 ms; the rest is the poll and a loaded CI machine.
MARGIN_S = 0.75
CHARGING = {"ac3 output on", "ev in state C", "ev load on"}


def test_sigkill_while_charging_de_energises_the_rig(tmp_path):
    bench = serve_bench(tmp_path)
    try:
        rig = rig_file(tmp_path, watchdog_s=WATCHDOG_S)
        locks = tmp_path / "locks"
        run = start_plan(tmp_path / "killed", bench, rig, "-k", "charges_until_killed",
                         env={"RIG_LOCK_DIR": str(locks)})
        wait_until(lambda: bench.unsafe_items() >= CHARGING, 90, "the charge started", run)
        # longer than the delay: the keep-alive feeds the watchdogs while the run lives
        time.sleep(2 * WATCHDOG_S)
        assert bench.unsafe_items() >= CHARGING

        os.killpg(run.proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        run.wait(30)
        assert run.returncode == -signal.SIGKILL
        while not bench.safe()[0]:
            assert time.monotonic() - killed < 10 * WATCHDOG_S, bench.safe()
            time.sleep(0.01)
        to_safe = time.monotonic() - killed
        print(f"safe {to_safe:.3f} s after SIGKILL (watchdog delay {WATCHDOG_S:g} s)")
        assert to_safe <= WATCHDOG_S + MARGIN_S
        # the keep-alive fed them up to the kill: it was the watchdogs, not something else
        assert to_safe >= WATCHDOG_S - 0.25

        # latched: still safe a while later, and refusing to switch on until cleared
        time.sleep(0.5)
        assert bench.safe() == (True, "1")
        assert bench.query("ac3", "OUTP:PROT:TRIP?") == "1"
        assert bench.query("ev", "OUTP:PROT:TRIP?") == "1"
        assert scpi(bench.env["LG_BENCH_AC3"], "OUTP ON", "SYST:ERR?", "OUTP?") == [
            '-221,"Settings conflict; watchdog tripped; send OUTP:PROT:CLE"', "0"]
        assert scpi(bench.env["LG_BENCH_EV"], "SOUR:CP:STAT C", "SYST:ERR?")[0].startswith(
            "-221,")
        assert bench.safe() == (True, "1")
        events = bench.query("ev", "TRAC:EVEN:LAST? WDOG")
        assert events.endswith(",WDOG,EXPIRED"), events

        # the killed run's locks: the kernel released them; the files say who held them
        listing = subprocess.run([sys.executable, "-m", "rig.cli", "lock", "list"], cwd=ROOT,
                                 env={**os.environ, "RIG_LOCK_DIR": str(locks)},
                                 capture_output=True, text=True)
        assert listing.returncode == 0, listing.stderr
        assert "stale (holder gone)" in listing.stdout
        assert f"(pid {run.proc.pid}," in listing.stdout
        assert "visa:TCPIP0::127.0.0.1::" in listing.stdout

        # the next run is not blocked, clears the latch when it arms, and says so
        again = start_plan(tmp_path / "next", bench, rig, "-k", "holds_the_rig",
                           env={"RIG_LOCK_DIR": str(locks)}).wait(120)
        assert again.returncode == 0, again.output
        notes = " ".join(again.verdicts["notes"])
        assert "ac_source: its watchdog had tripped before this run" in notes
        assert "ev: its watchdog had tripped before this run" in notes
        assert bench.query("ac3", "OUTP:PROT:TRIP?") == "0"
        assert bench.watchdogs() == {"ac3 armed": "0", "ac3 tripped": "0", "ev armed": "0",
                                     "ev tripped": "0"}
        assert list(locks.glob("*.lock")) == []  # released and removed at its end
    finally:
        bench.stop()
