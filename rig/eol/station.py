"""One end-of-line station: a unit's serial in, the EOL plan run, its attempt recorded, a label.

Per unit (:meth:`Station.test_unit`):

1. the serial must be one of this product (:func:`rig.eol.scanner.check_serial`);
2. the retest policy, from every earlier attempt of the serial in the record store
   (:mod:`rig.eol.policy`), may refuse it (already passed, in repair) unless a supervisor
   overrides;
3. the EOL plan (``testplans/eol``) runs in this process, one pytest session per unit, with
   the label (``--unit-label``): a charger that reports another serial is REFUSED, not FAILed;
   the run goes to the record store like any plan run;
4. the attempt is recorded (station, fixture, operator, firmware, outcome, disposition, the
   failing requirements, bench and wall time, the run), then the label is printed (ZPL).

Why in-process pytest sessions: a plan run in a new Python process costs seconds of start-up
per unit; here the second unit onwards costs only its own tests. On the emulated bench the
station starts the bench once (``rigs/emulator.yaml``: ``bench: in-process``) and places each
unit on it through the control port (the unit's profile: its serial, and in the benchmark its
defect); the plan cannot tell it from a real fixture.

The record store going away (a line's database server, its network): the attempt cannot be
written, so the unit is not passed (a unit without its record is not a tested unit) and the
attempt goes to a spool file next to the station's reports (``spool.jsonl``, one JSON line per
attempt, with the unit's folder whose ``verdicts.json`` keeps what was measured); every later
scan first writes the spool to the store, and it is emptied only once the store took it.

Outcomes: PASS; FAIL (a limit failed, or was INCONCLUSIVE: a production unit is never passed
on doubt); ERROR (the rig failed: the unit was not judged, its measurements are kept, it does
not count as an attempt); REFUSED (not tested, or not this unit).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rig.eol import policy
from rig.eol.advice import advice_for
from rig.eol.labels import Printer, PrinterError, zpl_label
from rig.eol.scanner import BadScan, check_serial
from rig.errors import RigError
from rig.records.engine import RecordsError

log = logging.getLogger("rig.eol")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PLAN = ROOT / "testplans" / "eol"
DEFAULT_RIG = ROOT / "rigs" / "emulator.yaml"

Listener = Callable[[dict[str, Any]], None]


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


@dataclass
class StationConfig:
    station: str = field(default_factory=socket.gethostname)
    fixture: str = "1"
    operator: str = field(default_factory=_login)
    rig_file: Path = DEFAULT_RIG
    plan: Path = DEFAULT_PLAN
    records_url: str | None = None  # None: $RIG_RECORDS_URL, else reports/records.sqlite
    retests: int = 1  # a failing unit may be tested again this many times, then repair
    printer: str | None = None  # file:PATH or tcp:HOST:PORT (None: no label)
    reports_dir: Path = ROOT / "reports" / "eol"
    #: Emulated bench only: a scanned serial places a unit with that serial on the bench.
    emulate_units: bool = False
    #: More pytest arguments for every unit's plan run (the framework's fault tests use it).
    plan_args: list[str] = field(default_factory=list)
    #: The fixture fits the unit's factory jumper (a pogo pin of the test nest): the unit boots
    #: in factory mode, seconds instead of minutes (docs/eol.md, "Bench time"). On a real line
    #: the nest does it; on the emulated bench placing a unit sets ``boot.factory_jumper``.
    factory_jumper: bool = True


@dataclass
class UnitResult:
    serial: str
    outcome: str  # PASS FAIL ERROR REFUSED
    disposition: str  # passed retest repair refused rig_error
    reason: str = ""
    failing: list[str] = field(default_factory=list)
    advice: list[dict[str, str]] = field(default_factory=list)
    attempt: int = 0
    firmware: str | None = None
    charger_serial: str | None = None
    bench_s: float | None = None
    wall_s: float = 0.0
    run_id: int | None = None
    attempt_id: int | None = None
    label: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    #: Ctrl-C or SIGTERM ended the unit's plan run: the station stops after recording it.
    interrupted: bool = False
    #: Bench time of each test of the plan (rig clock), for the benchmark's breakdown.
    steps_s: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _UnitPlugin:
    """Follows one unit's plan session: steps for the operator page, the book at the end."""

    def __init__(self, emit: Listener):
        self.emit = emit
        self.book: Any = None
        self.run_id: int | None = None
        self.waited_s: float | None = None
        self.interrupted = False
        self.target: Any = None  # the session's labgrid target (see release_labgrid_session)
        self.config: Any = None
        self.steps_s: dict[str, float] = {}
        self._step_started = 0.0

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        import pytest

        # pytest reports a plan that stopped itself (session.shouldstop: a refused unit) through
        # this hook too, as Session.Interrupted; only a Ctrl-C or SIGTERM/SIGHUP (the plugin
        # makes them one) is the operator ending the shift.
        if isinstance(excinfo.value, pytest.Session.Interrupted):
            return
        self.interrupted = True

    def pytest_configure(self, config: Any) -> None:
        self.config = config

    def _waited(self) -> float:
        from rig.pytest_plugin.plugin import RIG_KEY

        rig = self.config.stash.get(RIG_KEY, None) if self.config is not None else None
        return float(rig.clock.waited_s) if rig is not None else 0.0

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._step_started = self._waited()
        self.emit({"type": "step", "step": nodeid.rsplit("::", 1)[-1], "state": "running"})

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """Bench time of each test (setup to teardown), for the benchmark's breakdown."""
        step = nodeid.rsplit("::", 1)[-1]
        self.steps_s[step] = self._waited() - self._step_started

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            state = "passed" if report.passed else ("skipped" if report.skipped else "failed")
            self.emit({"type": "step", "step": report.nodeid.rsplit("::", 1)[-1],
                       "state": state})

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        from rig.pytest_plugin.plugin import RIG_KEY
        from rig.pytest_plugin.records import recorder_of
        from rig.pytest_plugin.verdicts import book_of

        config = session.config
        self.book = book_of(config)
        recorder = recorder_of(config)
        self.run_id = getattr(recorder, "run_id", None)
        rig = config.stash.get(RIG_KEY, None)
        if rig is not None:
            self.waited_s = rig.clock.waited_s
            self.target = getattr(rig, "target", None)


def release_labgrid_session(target: Any) -> None:
    """Let go of what labgrid keeps of a finished pytest session (the station's memory leak:
    about 1 MB per unit, for ever; found with ``gc.get_referrers`` chains between units,
    ``bench/eol_line.py`` prints the RSS). Two references keep every unit's whole target (every
    instrument, transcript, console and CAN log) alive (labgrid 26.0):

    * a ``Target`` registers ``atexit.register(self._atexit_cleanup)`` and never unregisters
      it; the rig session has closed the target's drivers itself, so the at-exit cleanup is
      not needed and is unregistered;
    * labgrid's pytest plugin calls ``StepLogger.start()`` per session, which subscribes a new
      ``SerialLoggingReporter`` to the global ``labgrid.step.steps``; ``StepLogger.stop()``
      unsubscribes only the StepLogger, not that reporter, which keeps its session's serial
      driver (and through it the target) in its dicts: once no session runs, every reporter is
      unsubscribed and dropped;
    * pyvisa-py's ``close()`` of a session leaves it in the library's ``sessions`` (with its
      interface set to None), ten per unit: closed ones are dropped;
    * pymeasure's ``Adapter()`` adds a ``NullHandler`` to the shared ``Adapter`` logger per
      instrument opened: one is kept.
    """
    import atexit

    from labgrid.logging import SerialLoggingReporter, StepLogger
    from labgrid.step import steps

    if target is not None:
        atexit.unregister(target._atexit_cleanup)
    from pyvisa.highlevel import VisaLibraryBase

    adapter_log = logging.getLogger("Adapter")
    nulls = [h for h in adapter_log.handlers if type(h) is logging.NullHandler]
    for handler in nulls[1:]:
        adapter_log.removeHandler(handler)

    for library in list(VisaLibraryBase._registry.values()):
        sessions = getattr(library, "sessions", {})
        for key, session in list(sessions.items()):
            if session is not library and getattr(session, "interface", True) is None:
                sessions.pop(key, None)
    if StepLogger._started:  # a session still runs (not the station's case): leave it
        return
    for callback in list(steps._subscribers):
        if isinstance(getattr(callback, "__self__", None), SerialLoggingReporter):
            steps.unsubscribe(callback)
    StepLogger._serial_logger = None


class Station:
    """The station: open once, then :meth:`test_unit` per scanned label."""

    def __init__(self, config: StationConfig, listeners: list[Listener] | None = None):
        self.config = config
        self.listeners: list[Listener] = list(listeners or [])
        self.store: Any = None
        self.host: Any = None  # the emulated bench, when this station started it
        self.printer = Printer(config.printer) if config.printer else None
        self.counters = {"tested": 0, "passed": 0, "failed": 0, "first_pass": 0,
                         "refused": 0, "errors": 0}
        self._env_before: dict[str, str | None] = {}

    @property
    def spool_path(self) -> Path:
        """Attempts the record store could not take yet (JSON lines), see the module."""
        return self.config.reports_dir / self.config.station / "spool.jsonl"

    # ---- life cycle ----------------------------------------------------------------------------
    def open(self) -> Station:
        # the plan (testplans/eol) lives in the checkout, not in the installed package: the
        # station runs it from there, as `make certify` does
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from rig.pytest_plugin.emulator import start_bench, wants_in_process_bench
        from rig.records import RecordStore

        self.store = RecordStore(self.config.records_url)
        if wants_in_process_bench(self.config.rig_file):
            self.host = start_bench(self.config.rig_file, None, {})
        self.emit({"type": "station", "state": "waiting", "station": self.config.station,
                   "fixture": self.config.fixture, "operator": self.config.operator,
                   "counters": dict(self.counters)})
        return self

    def close(self) -> None:
        if self.host is not None:
            from rig.pytest_plugin.emulator import stop_bench

            stop_bench(self.host)
            self.host = None
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Station:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def emit(self, event: dict[str, Any]) -> None:
        event.setdefault("time", time.time())
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # the page must never stop the line
                log.exception("station listener failed")

    # ---- the emulated line ------------------------------------------------------------------
    def place_unit(self, serial: str, defects: dict[str, Any] | None = None) -> None:
        """Emulated bench only: put a unit with ``serial`` (and ``defects``: profile keys) on
        the fixture. A real line has an operator for this."""
        from rig.instruments.registry import open_instrument

        address = os.environ.get("LG_BENCH_CTRL")
        if not address:
            raise RigError("placing a unit needs the emulated bench (LG_BENCH_CTRL is not set)")
        ctrl = open_instrument("BENCH-CONTROL", address, "bench", timeout_s=30.0)
        try:
            ctrl.send("BENCH:CHAR:RES")
            items: dict[str, Any] = {"identity.serial": serial}
            if self.config.factory_jumper:
                items["boot.factory_jumper"] = "true"
            items.update(defects or {})
            ctrl.send("BENCH:CHAR:SET " + ",".join(f'"{k}={v}"' for k, v in items.items()))
        finally:
            ctrl.close()

    # ---- one unit ------------------------------------------------------------------------------
    def test_unit(self, scanned: str, override_by: str | None = None,
                  defects: dict[str, Any] | None = None) -> UnitResult:
        """Everything the station does with one scanned label (see the module)."""
        started = time.time()
        try:
            serial = check_serial(scanned)
        except BadScan as exc:
            self.emit({"type": "message", "level": "error", "text": str(exc)})
            log.error("%s", exc)
            raise
        try:
            self._unspool()
            history = self._history(serial)
        except RecordsError as exc:
            self._alarm(f"{serial}: not tested, the record store is unreachable ({exc}); "
                        "scan the unit again when the store is back")
            raise
        decision = policy.decide(history, self.config.retests, override_by)
        self.emit({"type": "unit", "serial": serial, "state": "scanned",
                   "attempt": decision.attempt})
        if not decision.allowed:
            result = UnitResult(serial, "REFUSED", "refused", decision.reason,
                                attempt=decision.attempt)
            return self._finish(result, started, override_by)
        if self.config.emulate_units or defects:
            self.place_unit(serial, defects)
        result = self._run_plan(serial, decision.attempt)
        result.attempt = decision.attempt
        if result.outcome == "FAIL":
            result.disposition = policy.disposition(
                "FAIL", policy.fails_since_override(history), self.config.retests)
        if decision.reason:
            result.reason = "; ".join(r for r in (decision.reason, result.reason) if r)
        self._finish(result, started, override_by)
        if result.interrupted:  # recorded; now the shift ends as the operator asked
            raise KeyboardInterrupt(f"interrupted while testing {serial}")
        return result

    def _run_plan(self, serial: str, attempt: int) -> UnitResult:
        import pytest

        cfg = self.config
        folder = cfg.reports_dir / cfg.station / f"{serial}-{attempt}"
        folder.mkdir(parents=True, exist_ok=True)
        plugin = _UnitPlugin(self.emit)
        args = [str(cfg.plan), "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                "-c", str(ROOT / "pyproject.toml"), "--lg-env", str(cfg.rig_file),
                "--reports-dir", str(folder), "--operator", cfg.operator,
                "--unit-label", serial]
        args += ["--records", self.store.url, *cfg.plan_args]
        self.emit({"type": "unit", "serial": serial, "state": "testing", "attempt": attempt})
        with open(folder / "pytest.log", "w", encoding="utf-8") as out, \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = pytest.main(args, plugins=[plugin])
        release_labgrid_session(plugin.target)
        plugin.target = plugin.config = None
        result = self._judge(serial, plugin, int(code), folder)
        result.steps_s = dict(plugin.steps_s)
        return result

    def _judge(self, serial: str, plugin: _UnitPlugin, code: int, folder: Path) -> UnitResult:
        book = plugin.book
        if book is None:
            return UnitResult(serial, "ERROR", "rig_error",
                              f"the EOL plan did not run (pytest exit {code}; see "
                              f"{folder / 'pytest.log'})")
        verdicts = {rid: str(r.verdict) for rid, r in book.results.items()}
        refused = [n for n in book.notes if n.startswith("unit refused:")]
        failing = [rid for rid, v in verdicts.items() if v in ("FAIL", "INCONCLUSIVE")]
        errors = [rid for rid, v in verdicts.items() if v in ("ERROR", "NOT_RUN")]
        base = {"verdicts": verdicts, "run_id": plugin.run_id, "bench_s": plugin.waited_s,
                "firmware": book.charger.get("firmware"),
                "charger_serial": book.charger.get("serial")}
        if plugin.interrupted:
            return UnitResult(serial, "ERROR", "rig_error", "interrupted (Ctrl-C or SIGTERM): "
                              "the unit was not judged; the rig was made safe",
                              interrupted=True, **base)
        lost = [n for n in book.notes if n.startswith("unit lost:")]
        if lost:  # whatever FAILed after that is not the unit's: not judged, never PASS
            return UnitResult(serial, "ERROR", "rig_error",
                              "the unit was taken off the fixture mid-test, it was not judged: "
                              "put it back and scan it again (" + lost[0] + ")", **base)
        if refused:
            return UnitResult(serial, "REFUSED", "refused", refused[0].split(": ", 1)[1],
                              **base)
        if failing:
            return UnitResult(serial, "FAIL", "retest", failing=failing,
                              advice=[advice_for(rid, book) for rid in failing], **base)
        if errors:
            first = next((r for rid in errors for v, r in book.results[rid].outcomes
                          if r and str(v) == "ERROR"), "")
            return UnitResult(serial, "ERROR", "rig_error",
                              f"the rig failed, the unit was not judged: {first}".rstrip(": "),
                              failing=errors, **base)
        return UnitResult(serial, "PASS", "passed", **base)

    def _finish(self, result: UnitResult, started: float, override_by: str | None) -> UnitResult:
        result.wall_s = time.time() - started
        if result.outcome in ("PASS", "FAIL") and not self._store_reachable(result):
            result.outcome, result.disposition = "ERROR", "rig_error"
        if result.outcome in ("PASS", "FAIL"):
            result.label = self._print(result, started)
        self._count(result)
        fields = dict(
            serial=result.serial, station=self.config.station, fixture=self.config.fixture,
            operator=self.config.operator, firmware=result.firmware,
            charger_serial=result.charger_serial, started=started, finished=time.time(),
            attempt=result.attempt, outcome=result.outcome, disposition=result.disposition,
            failing=result.failing, reason=result.reason, override_by=override_by,
            run_id=result.run_id, bench_s=result.bench_s, wall_s=result.wall_s,
            label=result.label or None,
        )
        try:
            result.attempt_id = self.store.add_eol_attempt(**fields)
        except RecordsError as exc:
            self._spool(fields, exc)
        level = logging.ERROR if result.outcome == "ERROR" else logging.INFO
        log.log(level, "unit %s: %s (%s) %s", result.serial, result.outcome,
                result.disposition, result.reason)
        self.emit({"type": "result", **result.as_dict(), "counters": dict(self.counters)})
        return result

    # ---- the record store going away ------------------------------------------------------------
    def _alarm(self, text: str) -> None:
        """One message for the operator: on the page and in the log."""
        self.emit({"type": "message", "level": "error", "text": text})
        log.error("%s", text)

    def _store_reachable(self, result: UnitResult) -> bool:
        """Before a judged unit gets its label: can its attempt be recorded? If not, it is not
        passed (nor failed): a unit without its record is not a tested unit."""
        try:
            self._history(result.serial)
            return True
        except RecordsError as exc:
            result.reason = "; ".join(r for r in (
                result.reason, f"the record store is unreachable, so the unit was not judged "
                f"(the plan said {result.outcome}; {exc})") if r)
            return False

    def _history(self, serial: str) -> list[dict[str, Any]]:
        """Every earlier attempt of ``serial``; a store that cannot be read is a RecordsError
        naming it (the reader lets SQLAlchemy's own errors through)."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return self.store.eol_attempts(serial=serial)
        except SQLAlchemyError as exc:
            first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
            raise RecordsError(f"records store {self.store.display_url}: cannot read the "
                               f"unit's attempts ({type(exc).__name__}: {first})") from None

    def _spool(self, fields: dict[str, Any], exc: Exception) -> None:
        """The store refused the attempt: keep it in the spool file (fsynced), say so once."""
        folder = self.config.reports_dir / self.config.station / \
            f"{fields['serial']}-{fields['attempt']}"
        entry = {**fields, "spooled": time.time(), "spool_reason": str(exc),
                 "unit_folder": str(folder)}
        self.spool_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.spool_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, default=str) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self._alarm(f"{fields['serial']}: the record store is unreachable ({exc}); the attempt "
                    f"({fields['outcome']}) is kept in {self.spool_path} and written to the "
                    "store when it is back")

    def _unspool(self) -> None:
        """Write the spooled attempts to the store (each once); the file goes only when all
        are in. Raises RecordsError while the store is still away (the spool stays)."""
        path = self.spool_path
        if not path.exists():
            return
        entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                   if line.strip()]
        from rig.records.schema import eol_attempts

        columns = {c.name for c in eol_attempts.columns} - {"id"}
        done = 0
        try:
            for entry in entries:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry["spooled"]))
                note = (f"recorded late: spooled {when} ({entry['spool_reason']}); what was "
                        f"measured: {entry['unit_folder']}")
                fields = {k: v for k, v in entry.items() if k in columns}
                fields["reason"] = "; ".join(r for r in (fields.get("reason"), note) if r)
                self.store.add_eol_attempt(**fields)
                done += 1
        finally:
            rest = entries[done:]
            if rest:
                path.write_text("".join(json.dumps(e, default=str) + "\n" for e in rest),
                                encoding="utf-8")
            elif done:
                path.unlink()
        if done:
            self.emit({"type": "message", "level": "info",
                       "text": f"the record store is back: {done} spooled attempt(s) written"})
            log.warning("the record store is back: %d spooled attempt(s) written", done)

    def _print(self, result: UnitResult, when: float) -> dict[str, Any]:
        if self.printer is None:
            return {}
        text = {"passed": "PASS", "retest": "FAIL - RETEST", "repair": "FAIL - REPAIR"}.get(
            result.disposition, result.outcome)
        zpl = zpl_label(result.serial, text, self.config.station, when, result.firmware,
                        ", ".join(result.failing))
        try:
            self.printer.print(zpl)
        except PrinterError as exc:
            self.emit({"type": "message", "level": "error", "text": str(exc)})
            log.error("%s", exc)
            return {"printed": False, "printer": self.printer.target, "error": str(exc),
                    "zpl": zpl}
        return {"printed": True, "printer": self.printer.target, "zpl": zpl}

    def _count(self, result: UnitResult) -> None:
        c = self.counters
        if result.outcome == "REFUSED":
            c["refused"] += 1
        elif result.outcome == "ERROR":
            c["errors"] += 1
        else:
            c["tested"] += 1
            if result.outcome == "PASS":
                c["passed"] += 1
                if result.attempt == 1:
                    c["first_pass"] += 1
            else:
                c["failed"] += 1
