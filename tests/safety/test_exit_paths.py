"""Safe state on every exit path: a real pytest run energises a standalone bench (supply on, a
charge in progress, residual current from both sources) and then ends one way each. Afterwards
the bench itself is asked, on its control port (``BENCH:SAFE?``) and on every instrument's own
port, what state the rig is in.

The scenarios run concurrently (one bench and one pytest subprocess each), so the module costs
about as much as its slowest scenario. The watchdog delay is 2 s: every scenario waits longer
than that energised, so it also shows the keep-alive feeding the watchdogs, and it checks that
no watchdog tripped (the *code* made the rig safe, not the watchdog) and that the session's end
disarmed them. The one exception is pytest-timeout's thread method, which ends the process with
``os._exit``: there only the watchdogs act.
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.safety.bench import (
    SAFE_OUTPUTS,
    PlanProcess,
    ServedBench,
    rig_file,
    serve_bench,
    start_plan,
    wait_until,
)

ENERGISED = {"ac3 output on", "smu output on", "cs output on", "ev in state C", "ev load on"}
WATCHDOG_S = 2.0
DISARMED = {"ac3 armed": "0", "ac3 tripped": "0", "ev armed": "0", "ev tripped": "0"}


@dataclass
class Outcome:
    run: PlanProcess
    safe: tuple[bool, str]
    outputs: dict[str, str]
    watchdogs: dict[str, str]
    energised_seen: bool
    seconds: float
    extra: dict[str, str] = field(default_factory=dict)


def _watch(bench: ServedBench, seen: threading.Event, stop: threading.Event, go: Path) -> None:
    """Watch the control port until the rig is energised; then let the run go on."""
    while not stop.is_set() and not seen.is_set():
        try:
            if bench.unsafe_items() >= ENERGISED:
                seen.set()
                go.touch()
        except OSError:
            pass
        time.sleep(0.02)


def scenario(folder: Path, selection: str, send: int | None = None,
             env: dict[str, str] | None = None, wait_s: float = 2.5,
             args: tuple[str, ...] = (), settle_s: float = 0.0) -> Outcome:
    """Run the plan's ``selection``; with ``send``, signal it ``wait_s`` s after the rig is
    energised (longer than the watchdog delay: the keep-alive must hold it). ``settle_s``:
    how long the rig may take to become safe after the run ended (a watchdog's delay)."""
    bench = serve_bench(folder)
    try:
        rig = rig_file(folder, watchdog_s=WATCHDOG_S)
        t0 = time.monotonic()
        go = folder / "go"
        run = start_plan(folder, bench, rig, "-k", selection, *args,
                         env={"RIG_SAFETY_GO": str(go), **(env or {})})
        seen, stop = threading.Event(), threading.Event()
        watcher = threading.Thread(target=_watch, args=(bench, seen, stop, go), daemon=True)
        watcher.start()
        if send is not None:
            wait_until(seen.is_set, 90, "the rig was energised", run)
            time.sleep(wait_s)
            assert bench.unsafe_items() >= ENERGISED, "the rig went safe before the signal"
            run.signal(send)
        run.wait(120)
        ended = time.monotonic()
        stop.set()
        watcher.join()
        no_watchdog = {"smu output on", "cs output on"}  # nothing switches those off
        while (settle_s and bench.unsafe_items() - no_watchdog
               and time.monotonic() - ended < settle_s):
            time.sleep(0.01)
        safe = bench.safe()
        outputs = bench.outputs() if selection != "loses_a_link" else {}
        extra = {}
        if selection == "loses_a_link":  # ask the smu once its link is back
            extra["link"] = bench.query("ctrl", "BENCH:FAUL:LINK? smu")
            bench.write("ctrl", "BENCH:FAUL:LINK smu,NONE")
            outputs = bench.outputs()
        return Outcome(run, safe, outputs, bench.watchdogs(), seen.is_set(),
                       time.monotonic() - t0, extra)
    finally:
        bench.stop()


SCENARIOS = {
    "failure": dict(selection="fails_a_limit"),
    "fixture": dict(selection="fixture_raises"),
    "sigint": dict(selection="waits_for_a_signal", send=signal.SIGINT),
    "sigterm": dict(selection="waits_for_a_signal", send=signal.SIGTERM),
    "sighup": dict(selection="waits_for_a_signal", send=signal.SIGHUP),
    "timeout": dict(selection="hangs_until_the_timeout", env={"RIG_SAFETY_TIMEOUT_S": "9"}),
    "end": dict(selection="passes_energised"),
    "timeout_thread": dict(selection="hangs_until_the_timeout", args=("--timeout-method",
                           "thread"), env={"RIG_SAFETY_TIMEOUT_S": "9"},
                           settle_s=WATCHDOG_S + 1.5),
    "dead_link": dict(selection="loses_a_link"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("exit")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(scenario, base / name, **kw)
                   for name, kw in SCENARIOS.items()}
        return {name: future.result() for name, future in futures.items()}


def assert_safe_by_teardown(outcome: Outcome) -> None:
    assert outcome.energised_seen, outcome.run.output
    assert outcome.safe == (True, "1"), outcome.run.output
    assert outcome.outputs == SAFE_OUTPUTS
    # no watchdog had to step in, and the end of the session disarmed them
    assert outcome.watchdogs == DISARMED, outcome.run.output


def test_a_failing_limit(outcomes):
    out = outcomes["failure"]
    assert_safe_by_teardown(out)
    assert out.run.returncode == 1
    assert out.run.requirement("SF-01")["verdict"] == "FAIL"


def test_an_exception_in_a_fixture(outcomes):
    out = outcomes["fixture"]
    assert_safe_by_teardown(out)
    assert out.run.returncode == 1
    sf02 = out.run.requirement("SF-02")
    assert sf02["verdict"] == "ERROR"
    assert "a fixture broke with the rig energised" in " ".join(sf02["reasons"])


@pytest.mark.parametrize("name", ["sigint", "sigterm", "sighup"])
def test_a_signal(outcomes, name):
    out = outcomes[name]
    assert_safe_by_teardown(out)
    assert out.run.returncode == 2  # pytest: interrupted
    assert "KeyboardInterrupt" in out.run.output
    assert "the run was interrupted" in out.run.verdicts["notes"]
    summary = out.run.verdicts["summary"]  # never PASS for a run that did not end (issue 8)
    assert summary["status"] == "interrupted" and summary["verdict"] == "INCOMPLETE"


def test_a_pytest_timeout(outcomes):
    out = outcomes["timeout"]
    assert_safe_by_teardown(out)
    assert out.run.returncode == 1
    assert "Timeout" in out.run.output
    assert out.run.requirement("SF-04")["verdict"] == "ERROR"


def test_a_pytest_timeout_with_the_thread_method(outcomes):
    """pytest-timeout's thread method ends the process with os._exit: no teardown runs. The
    watchdogs de-energise the rig (AC source, EV emulator); the residual-current sources have
    none of their own but are interlocked through the supply's watchdog relay, so they go off
    with the AC output (README, Safety: the interlock)."""
    out = outcomes["timeout_thread"]
    assert out.energised_seen, out.run.output
    assert out.run.returncode == 1
    assert "Timeout" in out.run.output
    assert "only the instruments' watchdogs make the rig safe" in out.run.output
    assert out.safe == (True, "1"), out.run.output
    assert out.outputs == SAFE_OUTPUTS
    assert out.watchdogs == {"ac3 armed": "1", "ac3 tripped": "1", "ev armed": "1",
                             "ev tripped": "1"}


def test_the_end_of_the_session(outcomes):
    out = outcomes["end"]
    assert_safe_by_teardown(out)
    assert out.run.returncode == 0, out.run.output
    assert out.run.requirement("SF-05")["verdict"] == "PASS"


def test_an_unreachable_instrument_does_not_stop_the_others(outcomes):
    """The smu's link is dropped with everything on: teardown cannot reach it, makes every
    other instrument safe all the same, and the run reports the ERROR naming it."""
    out = outcomes["dead_link"]
    assert out.energised_seen, out.run.output
    assert out.safe == (False, '0,"smu output on"'), out.run.output
    assert out.extra["link"] == "DROP,0"
    assert out.outputs == {**SAFE_OUTPUTS, "smu :OUTP?": "1"}
    assert out.run.returncode == 1
    assert "safe state not reached" in out.run.output and "rcd_dc" in out.run.output
    assert out.run.requirement("SF-06")["verdict"] == "ERROR"
    assert "RigError: safe state not reached: rcd_dc: " in out.run.output
    assert "RIG NOT SAFE" in out.run.output
    assert "safe state not reached at the end of the session: rcd_dc: " in " ".join(
        out.run.verdicts["notes"])
