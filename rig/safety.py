"""What keeps the rig safe when the code that drives it cannot: instrument watchdogs fed by a
keep-alive, and safe-state sections that a signal cannot cut in half.

Three layers, from the most to the least that can go wrong:

1. **Teardown code** (``fixtures``): after every test, at the end of the session, on Ctrl-C,
   SIGTERM, SIGHUP and a pytest-timeout (signal method) the fixtures send every instrument its
   safe commands. :func:`signals_deferred` holds further signals while they do, so a second
   Ctrl-C (or the timeout's SIGALRM) cannot leave the AC source on half-way through.
2. **Instrument watchdogs** (this module): for what no code survives (SIGKILL, the OOM killer,
   pytest-timeout's ``thread`` method, which calls ``os._exit``, a crash of the interpreter, the
   PC losing power). The AC source and the EV emulator have an output watchdog
   (``OUTP:PROT:WDOG``): when the host is silent on their port for longer than the delay, the AC
   output latches off, and the EV emulator goes to state A with its load off. The latch holds
   until it is cleared explicitly (``OUTP:PROT:CLE``, which arming does); an output that
   tripped refuses ``OUTP ON``. :class:`WatchdogGuard` arms them and :class:`KeepAlive` feeds
   them while the process lives; when the process dies, the feeding stops with it.
3. **Wiring**: the residual-current sources have no watchdog; their interlock inputs are wired
   through the AC source's watchdog relay (as the emulated bench models it), so they go off
   when the supply's watchdog trips. What none of this covers: a rig without that wiring, and
   a host that hangs while alive (the keep-alive thread keeps feeding; pytest-timeout with the
   signal method ends the test).

**Why a second session for the keep-alive.** The keep-alive must keep talking to each armed
instrument while the main thread is busy, including during a long wait and in the middle of a
``send`` (a write, then an error-queue query: two exchanges). On the main session it would have
to take the transport's lock between those exchanges, its queries would fill the run's SCPI
transcript, and a main-thread exchange stuck in a 120 s timeout would starve it (the watchdog
would trip under a run that is alive). So it opens a *second* connection to the instrument
(the emulated instruments and typical LAN instruments accept several; VXI-11 and HiSLIP
always do) with a transcript of its own that keeps nothing. The instrument counts any message
on any connection as the host being alive. An instrument that refuses a second connection
gets the fallback: the main session, one whole query at a time under its lock
(:meth:`rig.instruments.base.ScpiInstrument.ask` is atomic), logged as a warning.

The keep-alive asks ``OUTP:PROT:TRIP?``: a query without side effects, that also tells the
rig at once if a watchdog tripped anyway.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from rig.errors import ConfigError, RigError
from rig.transport import Transcript, VisaTransport
from rig.transport.transcript import TranscriptEntry

log = logging.getLogger("rig.safety")

#: Watchdog delay when the rig file names none, s: long enough for a slow instrument or a busy
#: PC never to trip it by accident, short enough that a killed run de-energises quickly.
DEFAULT_WATCHDOG_S = 5.0
#: The rig file's option (top-level ``options:`` of the labgrid environment).
WATCHDOG_OPTION = "watchdog_s"
WATCHDOG_RANGE_S = (0.5, 3600.0)
#: The keep-alive's query: no side effect, and it reports a trip.
PET_QUERY = "OUTP:PROT:TRIP?"


# ---- the watchdog delay from the rig file ----------------------------------------------------
def watchdog_delays(
    options: Mapping[str, Any], roles: list[str], source: str = "rig file"
) -> dict[str, float]:
    """Delay per role from the rig file's ``options: {watchdog_s: ...}``.

    ``watchdog_s: 5`` applies to every instrument with a watchdog; ``watchdog_s: {ac_source: 5,
    ev: 3}`` sets them one by one (roles not named get :data:`DEFAULT_WATCHDOG_S`).
    """
    raw = options.get(WATCHDOG_OPTION, DEFAULT_WATCHDOG_S)
    low, high = WATCHDOG_RANGE_S

    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            low <= float(value) <= high
        ):
            raise ConfigError(source, key, f"seconds in [{low:g}, {high:g}], got {value!r}")
        return float(value)

    if isinstance(raw, Mapping):
        unknown = sorted(set(raw) - set(roles))
        if unknown:
            raise ConfigError(source, f"options.{WATCHDOG_OPTION}.{unknown[0]}",
                              f"an instrument with a watchdog ({', '.join(roles) or 'none'})")
        return {
            role: check(f"options.{WATCHDOG_OPTION}.{role}", raw.get(role, DEFAULT_WATCHDOG_S))
            for role in roles
        }
    delay = check(f"options.{WATCHDOG_OPTION}", raw)
    return dict.fromkeys(roles, delay)


def has_watchdog(instrument: Any) -> bool:
    """Does the driver implement ``OUTP:PROT:WDOG`` (``rig.instruments.base.OutputWatchdog``)?"""
    return all(hasattr(instrument, name) for name in ("arm_watchdog", "disarm_watchdog",
                                                      "watchdog_tripped"))


# ---- the keep-alive --------------------------------------------------------------------------
class _NothingKept(Transcript):
    """A transcript that keeps nothing: the keep-alive's queries are not the run's exchanges."""

    def append(self, instrument: str, direction: str, text: str) -> TranscriptEntry:
        return TranscriptEntry(time.time(), instrument, direction, text)


class _Peer:
    """One instrument the keep-alive feeds: its own session, or the main one as a fallback."""

    def __init__(self, role: str, instrument: Any, delay_s: float):
        self.role = role
        self.instrument = instrument
        self.delay_s = delay_s
        self.session: VisaTransport | None = None
        self.paused = False
        self.failures = 0
        self.last_ok = time.monotonic()
        self.tripped_seen = False
        timeout = max(0.5, min(2.0, delay_s / 2))
        try:
            self.session = VisaTransport(
                instrument.resource, f"{role} (keep-alive)", _NothingKept(), timeout_s=timeout
            )
        except Exception as exc:  # one connection only: feed it on the main session
            log.warning("%s: no second session for the watchdog keep-alive (%s); using the "
                        "main session, one query at a time under its lock", role, exc)

    @property
    def shared(self) -> bool:
        return self.session is None

    def pet(self) -> None:
        if self.paused:
            return
        try:
            if self.session is not None:
                reply = self.session.ask(PET_QUERY).strip()
            else:
                reply = self.instrument.ask(PET_QUERY).strip()
        except Exception as exc:  # the session reopens by itself on the next query
            self.failures += 1
            if self.failures == 1:
                log.warning("%s: watchdog keep-alive failed (%s); retrying", self.role, exc)
            if time.monotonic() - self.last_ok > self.delay_s:
                log.error("%s: no keep-alive answer for %.1f s: its watchdog may trip",
                          self.role, time.monotonic() - self.last_ok)
            return
        if self.failures:
            log.info("%s: watchdog keep-alive answers again", self.role)
        self.failures = 0
        self.last_ok = time.monotonic()
        tripped = reply in ("1", "+1")
        if tripped and not self.tripped_seen:
            log.error("%s: its watchdog has tripped (output latched off)", self.role)
        self.tripped_seen = tripped

    def close(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                self.session.close()
            self.session = None


class KeepAlive:
    """A daemon thread that queries every armed instrument every ``period_s`` (default: a fifth
    of the shortest delay, at most 1 s), so the watchdogs never trip while this process lives.
    It dies with the process: that is the point."""

    def __init__(self, instruments: Mapping[str, tuple[Any, float]], period_s: float | None = None):
        shortest = min((d for _, d in instruments.values()), default=DEFAULT_WATCHDOG_S)
        self.period_s = period_s if period_s is not None else max(0.05, min(1.0, shortest / 5))
        self.peers = {role: _Peer(role, inst, delay) for role, (inst, delay) in
                      instruments.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rig-watchdog-keepalive",
                                        daemon=True)

    def start(self) -> KeepAlive:
        for peer in self.peers.values():
            peer.pet()  # feed at once: arming may have come a while after opening
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            for peer in list(self.peers.values()):
                peer.pet()

    def pause(self, role: str) -> None:
        """Stop feeding ``role``: its watchdog de-energises it after the delay."""
        if role in self.peers:
            self.peers[role].paused = True

    def resume(self, role: str) -> None:
        if role in self.peers:
            peer = self.peers[role]
            peer.paused = False
            peer.pet()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        for peer in self.peers.values():
            peer.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


# ---- the guard: arm, feed, check, disarm -------------------------------------------------------
class WatchdogGuard:
    """The watchdogs of a rig's instruments for one session.

    ``WatchdogGuard({"ac_source": ac, "ev": ev}, {"ac_source": 5.0, "ev": 5.0}).start()`` clears a
    trip latched by an earlier run (and says so), arms every watchdog and starts the keep-alive.
    :meth:`ensure_armed` before each test re-arms what a safe state switched off (the AC
    sources' safe commands disarm their watchdog with the output). :meth:`tripped` says which
    tripped under a test. :meth:`release` disarms the instruments that were made safe and stops
    the feeding; an instrument that could not be made safe is left armed and unfed, so its own
    watchdog switches it off.
    """

    def __init__(self, instruments: Mapping[str, Any], delays: Mapping[str, float]):
        self.instruments = {r: i for r, i in instruments.items() if has_watchdog(i)}
        self.delays = {r: float(delays.get(r, DEFAULT_WATCHDOG_S)) for r in self.instruments}
        self.keepalive: KeepAlive | None = None
        #: What :meth:`start` found: trips latched before this session (role -> message).
        self.found_tripped: dict[str, str] = {}

    @property
    def roles(self) -> list[str]:
        return list(self.instruments)

    def start(self) -> WatchdogGuard:
        if not self.instruments:
            return self  # nothing to arm: no keep-alive thread either
        problems = []
        for role, inst in self.instruments.items():
            try:
                if inst.watchdog_tripped():
                    self.found_tripped[role] = (
                        f"{role}: its watchdog had tripped before this run (a run ended without "
                        "its teardown, or lost its link); cleared"
                    )
                    log.warning("%s", self.found_tripped[role])
                inst.arm_watchdog(self.delays[role])
            except RigError as exc:
                problems.append(f"{role}: cannot arm its watchdog: {exc}")
        if problems:
            raise RigError("; ".join(problems))
        self.keepalive = KeepAlive(
            {r: (i, self.delays[r]) for r, i in self.instruments.items()}
        ).start()
        return self

    def ensure_armed(self) -> list[str]:
        """Arm every watchdog that is off or latched (a latch is cleared and reported: a latched
        output refuses to switch on); feed them all."""
        notes = []
        for role, inst in self.instruments.items():
            tripped = inst.watchdog_tripped()
            if tripped or not inst.watchdog:
                if tripped:
                    notes.append(f"{role}: its watchdog was latched (it tripped earlier in "
                                 "this session); cleared")
                    log.warning("%s", notes[-1])
                inst.arm_watchdog(self.delays[role])
            if self.keepalive is not None:
                self.keepalive.resume(role)
        return notes

    def tripped(self) -> list[str]:
        """Roles whose watchdog is latched (asked on the main session)."""
        out = []
        for role, inst in self.instruments.items():
            try:
                if inst.watchdog_tripped():
                    out.append(role)
            except RigError as exc:
                log.error("%s: cannot ask its watchdog: %s", role, exc)
        return out

    def abandon(self, role: str) -> None:
        """``role`` could not be made safe: stop feeding it, its watchdog takes over."""
        if self.keepalive is not None and role in self.instruments:
            log.error("%s: not made safe; its watchdog switches it off within %.1f s",
                      role, self.delays[role])
            self.keepalive.pause(role)

    def release(self, unsafe: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Disarm the watchdogs of the instruments made safe, then stop feeding all of them."""
        problems = []
        for role, inst in self.instruments.items():
            if role in unsafe:
                self.abandon(role)
                continue
            try:
                inst.disarm_watchdog()
            except RigError as exc:
                problems.append(f"{role}: cannot disarm its watchdog: {exc}")
        if self.keepalive is not None:
            self.keepalive.stop()
            self.keepalive = None
        return problems


# ---- safe-state sections a signal cannot cut --------------------------------------------------
DEFERRED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGALRM")
    if hasattr(signal, name)
)
#: Ctrl-C this many times during a safe-state section and it gives in (the watchdogs remain).
FORCE_AFTER = 3


@contextlib.contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT, SIGTERM, SIGHUP and SIGALRM (pytest-timeout) until the block is done, then
    deliver them to the handlers that were in place.

    A safe-state sequence is bounded by the VISA timeouts (a dead link stops an instrument at
    its first command); cutting it in half would leave the AC source on. A third Ctrl-C within
    the block is delivered at once: the operator insists, and the watchdogs still stand.
    Outside the main thread (where signals cannot be handled) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    pending: list[int] = []
    previous: dict[int, Any] = {}
    forced: list[bool] = []

    def hold(signum: int, frame: Any) -> None:
        pending.append(signum)
        if pending.count(signal.SIGINT) >= FORCE_AFTER and signum == signal.SIGINT:
            forced.append(True)
            raise KeyboardInterrupt("forced during the safe state")
        if len(pending) == 1:
            with contextlib.suppress(Exception):
                sys.stderr.write(f"\nrig: {signal.Signals(signum).name} held until the rig is "
                                 "safe\n")

    try:
        for sig in DEFERRED_SIGNALS:
            previous[sig] = signal.signal(sig, hold)
    except ValueError:  # not the main interpreter
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        yield []
        return
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys([] if forced else pending):  # each once, in arrival order
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
