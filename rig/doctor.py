"""``rig doctor``: check a rig before a run, and say what is wrong and how to fix it.

For the rig file (a labgrid environment, default ``rigs/emulator.yaml``, whose in-process
emulated bench is started for the check like the fixtures do):

* the rig is free (``rig.locks``; the doctor holds the lock while it checks, so no run starts
  under it, and it never probes instruments another run is driving);
* every SCPI instrument: reachable, ``*IDN?`` matching the model the file names
  (``rig.instruments.registry.IDN_PATTERNS``) and the file's ``serial``, no errors queued, its
  watchdog not latched, and its calibration date (overdue, due within 30 days, missing);
* the charger's console answers ``version`` and its CAN status frame arrives. The charger
  talks only when powered: with ``--power`` the doctor switches it on through the AC source
  (watchdogs armed and fed), waits until it is ready, checks, and makes the rig safe again;
  without it, an unpowered charger is reported as SKIP with that reason;
* the rig is safe when the doctor is done (``BENCH:SAFE?`` on the emulated bench; outputs off).

The doctor only *asks* (``*IDN?``, error queues, ``OUTP:PROT:TRIP?``, output states); it
configures nothing, except with ``--power``. Exit code 1 if anything FAILs, else 0.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rig.calibration import MISSING, NOT_APPLICABLE, OVERDUE, SOON, calibration_state
from rig.errors import ConfigError, RigError
from rig.labgrid.builtin import default_rig_file

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
#: How long an instrument may take to answer during the check, s (at most; the rig file's
#: own ``timeout`` when it is shorter).
PROBE_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 240.0
CAN_TIMEOUT_S = 3.0


@dataclass
class Row:
    item: str
    status: str
    what: str = ""
    fix: str = ""


class Doctor:
    def __init__(self, env_path: str | Path | None = None, power: bool = False,
                 out: TextIO | None = None):
        # no --lg-env: ./rigs/emulator.yaml, else the built-in bench's (installed) rig file
        self.env_path = Path(env_path) if env_path else default_rig_file(Path.cwd())
        self.power = power
        self.out = out or sys.stdout
        self.rows: list[Row] = []
        self.host: Any = None
        self.env_backup: dict[str, str | None] = {}
        self.lock: Any = None
        self.target: Any = None
        self.options: dict[str, Any] = {}
        self.drivers: dict[str, Any] = {}
        self.identity_ok: set[str] = set()
        self.control: Any = None

    def add(self, item: str, status: str, what: str = "", fix: str = "") -> Row:
        row = Row(item, status, what, fix)
        self.rows.append(row)
        return row

    # ---- the whole check ---------------------------------------------------------------------
    def run(self) -> int:
        try:
            if self._load() and self._lock():
                for res in self._instruments():
                    self._instrument(res)
                self.control = self.drivers.pop("bench", None)
                self._charger()
                self._tags()
                self._safe_state()
        finally:
            self._cleanup()
        self.print_table()
        return 1 if any(r.status == FAIL for r in self.rows) else 0

    # ---- rig file, bench, lock -----------------------------------------------------------------
    def _load(self) -> bool:
        from labgrid import Environment
        from labgrid.util.yaml import load as yaml_load

        from rig.door import check_rig_file

        path = self.env_path
        try:  # bounded and checked before labgrid builds anything (an alias bomb spun here)
            check_rig_file(path)
        except ConfigError as exc:
            self.add("rig file", FAIL, str(exc), "fix the file (see README, Bad input)")
            return False
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml_load(fh) or {}
            self.options = dict((data.get("options") or {}) if isinstance(data, dict) else {})
        except OSError as exc:
            self.add("rig file", FAIL, f"{path}: {exc}", "give an existing file with --lg-env")
            return False
        except Exception as exc:
            self.add("rig file", FAIL, f"{path}: not valid YAML ({exc})", "fix the file")
            return False
        in_process = self.options.get("bench") == "in-process"
        if in_process and "LG_BENCH_CTRL" not in os.environ and not self._start_bench(path):
            return False
        try:
            from rig.labgrid.loader import build_target

            env = Environment(config_file=str(path))
            self.target = build_target(env, "main")
            target_options = ((data.get("targets") or {}).get("main") or {}).get("options")
            self.options.update(target_options or {})
        except Exception as exc:
            what = str(exc) if isinstance(exc, ConfigError) else f"{path}: {exc}"
            self.add("rig file", FAIL, what, "fix the file (labgrid environment with a target "
                     "'main')")
            return False
        self.add("rig file", OK, str(path))
        return True

    def _start_bench(self, path: Any) -> bool:
        from rig.bench.host import BenchHost

        clock = self.options.get("bench_clock", "virtual")
        try:
            self.host = BenchHost(  # a composite bench's rig file also needs its relay board
                clock=clock, relay_board=self.options.get("bench_relay_board") is True).start()
            self.host.installation_host = None
            site = self.options.get("installation")
            if site is not None:  # the rig's emulated installation (PR-05, PR-06) beside it
                from rig.bench.installation_host import InstallationHost
                from rig.installation import installation_file

                self.host.installation_host = InstallationHost(
                    installation_file(path, site), self.host.bench.profile).start()
        except Exception as exc:
            self.add("emulated bench", FAIL, f"cannot start the in-process bench: {exc}",
                     "check the charger profile and that 127.0.0.1 ports can be opened")
            return False
        env = dict(self.host.environment())
        if self.host.installation_host is not None:
            env.update(self.host.installation_host.environment())
        for name, value in env.items():
            self.env_backup[name] = os.environ.get(name)
            os.environ[name] = value
        self.add("emulated bench", OK, f"in-process bench started for the check ({clock} clock)")
        return True

    def _lock(self) -> bool:
        from rig.locks import RigBusyError, RigLock, lock_dir, rig_keys

        try:
            self.lock = RigLock(rig_keys(self.target)).acquire()
        except RigBusyError as exc:
            self.add("rig lock", FAIL, str(exc).removeprefix("rig in use: "),
                     "wait for that run to end (the doctor does not probe a rig in use); "
                     "`rig lock list` shows every lock")
            return False
        except RigError as exc:
            self.add("rig lock", FAIL, str(exc), "set RIG_LOCK_DIR to a writable directory")
            return False
        self.add("rig lock", OK, f"free (held by this check while it runs; {lock_dir()})")
        return True

    def _instruments(self) -> list[Any]:
        from rig.labgrid import ScpiInstrument

        return [r for r in self.target.resources if isinstance(r, ScpiInstrument)]

    # ---- one SCPI instrument -------------------------------------------------------------------
    def _instrument(self, res: Any) -> None:
        from rig.instruments.registry import MODELS, driver_class, expected_idn, idn_matches
        from rig.safety import has_watchdog

        role = str(res.name)
        where = f"targets.main.resources: {role}"
        try:
            driver_class(res.model)
        except ConfigError:
            self.add(f"{role} model", FAIL, f"unknown model {res.model!r}",
                     f"one of {', '.join(MODELS)} ({where}, model)")
            self._calibration(res)
            return
        try:
            inst = self._open(res)
        except ConfigError as exc:
            self.add(f"{role} options", FAIL, str(exc), f"fix the driver options ({where})")
            return
        except Exception as exc:
            detail = _short(exc).removeprefix(f"{role} at {res.resource}: ")
            self.add(f"{role} reachable", FAIL, f"not reachable at {res.resource}: {detail}",
                     "switch it on, check its LAN cable and the address/port in the rig "
                     f"file ({where}, resource)")
            self._calibration(res)
            return
        self.drivers[role] = inst
        self.add(f"{role} reachable", OK, str(res.resource))
        try:
            ident = inst.identify()
        except Exception as exc:
            self.add(f"{role} identity", FAIL, f"no answer to *IDN?: {_short(exc)}",
                     "check the port is the instrument's SCPI port and the termination (\\n)")
            self._calibration(res)
            return
        said = f"{ident.vendor}, {ident.model}, serial {ident.serial}, firmware {ident.firmware}"
        if not idn_matches(res.model, ident.vendor, ident.model):
            self.add(f"{role} identity", FAIL,
                     f"*IDN? says {said}: not the {res.model} the rig file names "
                     f"(expected {expected_idn(res.model)})",
                     f"the address points at another instrument, or the model is wrong: correct "
                     f"resource or model of {role} in the rig file")
            self._calibration(res)
            return
        if res.serial and str(res.serial).strip() != ident.serial.strip():
            self.add(f"{role} identity", FAIL,
                     f"serial {ident.serial!r}, but the rig file says {res.serial!r}",
                     "another unit is connected: its calibration_due and accuracy in the file "
                     "belong to the one named; connect that one, or update serial, "
                     "calibration_due and accuracy")
        else:
            self.identity_ok.add(role)
            self.add(f"{role} identity", OK, said)
        if role == "bench":
            return
        try:
            errors = inst.read_errors()
        except Exception as exc:
            self.add(f"{role} error queue", FAIL, f"cannot read it: {_short(exc)}",
                     "check the instrument's state (front panel) and reconnect")
        else:
            if errors:
                listed = "; ".join(f'{c},"{t}"' for c, t in errors)
                self.add(f"{role} error queue", WARN, f"errors were queued: {listed} (read and "
                         "cleared now)",
                         "left by an earlier session; if they come back, the run's "
                         "scpi-transcript.log shows the command that causes them")
            else:
                self.add(f"{role} error queue", OK, "empty")
        if has_watchdog(inst):
            try:
                tripped = inst.watchdog_tripped()
            except Exception as exc:
                self.add(f"{role} watchdog", FAIL, f"OUTP:PROT:TRIP? failed: {_short(exc)}",
                         "the rig's safety needs OUTP:PROT:WDOG on this instrument: check "
                         "its firmware/options")
            else:
                if tripped:
                    self.add(f"{role} watchdog", WARN,
                             "tripped and latched (a run was killed, or lost its link)",
                             "nothing to do: the next run clears it when it arms the watchdog "
                             "(or send OUTP:PROT:CLE)")
                else:
                    self.add(f"{role} watchdog", OK, "not tripped; a run arms it with a delay "
                             f"of {self._delay(role):g} s")
        self._calibration(res)

    def _open(self, res: Any) -> Any:
        from rig.instruments.registry import open_instrument

        timeout = min(float(res.timeout), PROBE_TIMEOUT_S)
        return open_instrument(res.model, res.resource, name=str(res.name), timeout_s=timeout,
                               **res.options)

    def _delay(self, role: str) -> float:
        from rig.safety import watchdog_delays

        try:
            return watchdog_delays(self.options, [role])[role]
        except ConfigError:
            return float("nan")

    def _calibration(self, res: Any) -> None:
        state = calibration_state(res)
        role = state.role
        fix_overdue = ("have it calibrated and update calibration_due in the rig file; a run "
                       "refuses it until then, unless --allow-overdue-calibration \"<reason>\"")
        if state.state == NOT_APPLICABLE:
            return
        if state.state == MISSING:
            self.add(f"{role} calibration", WARN, "no calibration_due in the rig file",
                     "add calibration_due: YYYY-MM-DD from its calibration certificate")
        elif state.state == OVERDUE:
            self.add(f"{role} calibration", FAIL,
                     f"overdue: due {state.due}, {-(state.days_left or 0)} days ago", fix_overdue)
        elif state.state == SOON:
            self.add(f"{role} calibration", WARN,
                     f"due soon: {state.due}, in {state.days_left} days",
                     "book its calibration; update calibration_due when it is back")
        else:
            self.add(f"{role} calibration", OK, f"due {state.due} (in {state.days_left} days)")

    # ---- the charger: console and CAN ------------------------------------------------------------
    def _charger(self) -> None:
        from rig.safety import signals_deferred

        console, can = self._console_driver(), self._can_driver()
        if console is None and can is None:
            return
        ac = self.drivers.get("ac_source") if "ac_source" in self.identity_ok else None
        powered = self._is_on(ac)
        if not self.power or powered:
            self._talk(console, can, powered)
            return
        ev = self.drivers.get("ev") if "ev" in self.identity_ok else None
        if ac is None or ev is None:
            self.add("charger power", FAIL, "--power needs a working ac_source and ev",
                     "fix the rows above first")
            return
        guard = None
        try:
            guard = self._power_on(ac, ev)
            if guard is not None:
                self._talk(console, can, True)
        finally:
            with signals_deferred():
                problems = []
                for role, inst in (("ev", ev), ("ac_source", ac)):
                    try:
                        inst.make_safe()
                    except Exception as exc:
                        problems.append(f"{role}: {_short(exc)}")
                if guard is not None:
                    guard.release({p.split(":")[0] for p in problems})
                if problems:
                    self.add("charger power off", FAIL, "; ".join(problems),
                             "switch the AC source off by hand")
                else:
                    self.add("charger power off", OK, "supply off, EV in state A, load off")

    def _is_on(self, ac: Any) -> bool | None:
        if ac is None:
            return None
        try:
            return bool(ac.is_on())
        except Exception:
            return None

    def _power_on(self, ac: Any, ev: Any) -> Any:
        from rig.safety import WatchdogGuard, has_watchdog, watchdog_delays

        armed = {r: i for r, i in (("ac_source", ac), ("ev", ev)) if has_watchdog(i)}
        guard = WatchdogGuard(armed, watchdog_delays(self.options, list(armed))).start()
        ev.make_safe()
        ac.configure(230.0, 50.0, 40.0)
        ac.output_on()
        clock = self._clock()
        ready = clock.wait_until(lambda: ev.measure_pilot().state == "A1", READY_TIMEOUT_S,
                                 poll=1.0)
        if not ready:
            self.add("charger power", FAIL, f"switched on, but not ready (pilot A1) within "
                     f"{READY_TIMEOUT_S:g} s", "check the charger's supply wiring and its LED; "
                     "its console log says why")
            return guard
        self.add("charger power", OK, f"switched on for the check; ready after "
                 f"{clock.waited_s:.1f} s ({type(clock).__name__})")
        return guard

    def _clock(self) -> Any:
        from rig.clock import BenchClock, WallClock

        control = self.control
        if control is not None and "bench" in self.identity_ok:
            with contextlib.suppress(Exception):
                if control.query("BENCH:TIME:MODE?") == "VIRTUAL":
                    return BenchClock(control)
        return WallClock()

    def _console_driver(self) -> Any:
        from labgrid.exceptions import NoDriverFoundError, NoResourceFoundError

        from rig.labgrid import ChargerConsoleDriver

        try:
            drv = self.target.get_driver(ChargerConsoleDriver, name="console", activate=False)
        except (NoDriverFoundError, NoResourceFoundError):
            self.add("console", SKIP, "no charger console in the rig file")
            return None
        try:
            self.target.activate(drv)
        except Exception as exc:
            self.add("console", FAIL, f"cannot open it: {_short(exc)}",
                     "check the serial port in the rig file (prefer /dev/serial/by-id/...), "
                     "that the adapter is plugged in, and that you may open it (group dialout)")
            return None
        return drv.console

    def _can_driver(self) -> Any:
        from labgrid.exceptions import NoDriverFoundError, NoResourceFoundError

        from rig.labgrid import CanDriver

        try:
            drv = self.target.get_driver(CanDriver, name="can", activate=False)
        except (NoDriverFoundError, NoResourceFoundError):
            self.add("CAN", SKIP, "no CAN bus in the rig file")
            return None
        try:
            self.target.activate(drv)
        except Exception as exc:
            self.add("CAN", FAIL, f"cannot open it: {_short(exc)}",
                     "check the interface exists and is up (`ip link set can0 up type can "
                     "bitrate 500000`)")
            return None
        return drv.can

    def _talk(self, console: Any, can: Any, powered: bool | None) -> None:
        unpowered = ("charger not powered (ac_source output off): it cannot answer",
                     "`rig doctor --power` switches it on for the check and off again")
        if powered is False:  # the AC source feeds the charger: no need to wait for silence
            for name, link in (("console", console), ("CAN", can)):
                if link is not None:
                    self.add(name, SKIP, *unpowered)
            return
        if console is not None:
            try:
                version = console.version()
                serial = console.serial()
            except Exception as exc:
                self.add("console", FAIL, f"no answer to 'version': {_short(exc)}",
                         "check the cable and adapter, the port in the rig file and the "
                         "speed (115200 8N1); is the charger powered and booted?")
            else:
                self.add("console", OK, f"{version}, serial {serial}")
        if can is not None:
            frame = self._status_frame(can)
            ident = can.frame_id("Status")
            if frame:
                self.add("CAN", OK, f"status frame 0x{ident:03X} received")
            else:
                self.add("CAN", FAIL, f"no status frame 0x{ident:03X} within {CAN_TIMEOUT_S:g} s",
                         "check the CAN wiring and termination (120 ohm at both ends), the "
                         "bitrate (500 kbit/s) and the node id in the rig file")

    def _status_frame(self, can: Any) -> bool:
        clock = self._clock()
        ident = can.frame_id("Status")  # from the charger's DBC file

        def seen() -> bool:
            return any(m.arbitration_id == ident for m in can.receive(0.1))

        return bool(clock.wait_until(seen, CAN_TIMEOUT_S, poll=0.25))

    # ---- the tag presenter (read only: the doctor moves no arm) ----------------------------------
    def _tags(self) -> None:
        from labgrid.protocol import DigitalOutputProtocol

        from rig.labgrid import RfidTag

        tags = [r for r in self.target.resources if isinstance(r, RfidTag)]
        if not tags:
            return
        down, problems = [], []
        for res in tags:
            try:
                drv = self.target.get_driver(DigitalOutputProtocol, name=res.output,
                                             activate=False)
                self.target.activate(drv)
                if drv.get():
                    down.append(res.name)
            except Exception as exc:  # no driver, unreachable board, an odd reply
                problems.append(f"{res.name} ({res.output}): {_short(exc)}")
        if problems:
            self.add("tag presenter", FAIL, "cannot read " + "; ".join(problems),
                     "check the relay board's address and the RfidTag outputs in the rig file")
        elif down:
            self.add("tag presenter", FAIL, f"tag(s) on the reader with no run holding the rig: "
                     f"{', '.join(down)}", "lift the arm (the safe state is no tag), and find "
                     "out who left it down")
        else:
            self.add("tag presenter", OK, f"{len(tags)} tags ({', '.join(r.name for r in tags)})"
                     ", every arm up")

    # ---- the end ---------------------------------------------------------------------------------
    def _safe_state(self) -> None:
        if self.control is not None and "bench" in self.identity_ok:
            try:
                reply = self.control.query("BENCH:SAFE?")
            except Exception as exc:
                self.add("safe state", FAIL, f"BENCH:SAFE? failed: {_short(exc)}", "")
                return
            if reply == "1":
                self.add("safe state", OK, "BENCH:SAFE? 1 (no output on, EV in state A)")
            else:
                self.add("safe state", FAIL, f"BENCH:SAFE? {reply}",
                         "something drives the rig with no run holding it: switch it off")
            return
        on = [role for role, inst in self.drivers.items()
              if role in self.identity_ok and hasattr(inst, "is_on") and self._is_on(inst)]
        if on:
            self.add("safe state", FAIL, f"output on with no run holding the rig: "
                     f"{', '.join(on)}", "switch it off, and find out who left it on")
        else:
            self.add("safe state", OK, "every source reachable says its output is off")

    def _cleanup(self) -> None:
        for inst in [*self.drivers.values(), self.control]:
            if inst is not None:
                with contextlib.suppress(Exception):
                    inst.close()
        if self.target is not None:
            with contextlib.suppress(Exception):
                self.target.deactivate_all_drivers()
        if self.lock is not None:
            self.lock.release()
        if self.host is not None:
            self.host.stop()
            if getattr(self.host, "installation_host", None) is not None:
                self.host.installation_host.stop()
            for name, value in self.env_backup.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    # ---- the table -----------------------------------------------------------------------------
    def print_table(self) -> None:
        widths = (26, 6, 52, 52)
        out = self.out
        out.write(f"rig doctor: {self.env_path}\n")
        header = ("ITEM", "STATUS", "WHAT", "HOW TO FIX")
        out.write(_line(header, widths) + "\n")
        for row in self.rows:
            out.write(_line((row.item, row.status, row.what, row.fix), widths) + "\n")
        counts = {s: sum(r.status == s for r in self.rows) for s in (OK, WARN, FAIL, SKIP)}
        verdict = "FAIL" if counts[FAIL] else "WARN" if counts[WARN] else "OK"
        out.write(f"doctor: {verdict} ({', '.join(f'{k} {v}' for k, v in counts.items())})\n")
        out.flush()


def _line(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths, strict=True)]
    lines = []
    for i in range(max(len(w) for w in wrapped)):
        parts = [(w[i] if i < len(w) else "").ljust(width)
                 for w, width in zip(wrapped, widths, strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def run_doctor(env_path: str | Path | None = None, power: bool = False,
               out: TextIO | None = None) -> int:
    return Doctor(env_path, power, out).run()
