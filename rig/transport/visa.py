"""The VISA session every driver talks through: pyvisa-py, a transcript, errors with context.

:class:`VisaTransport` is a pymeasure :class:`~pymeasure.adapters.VISAAdapter` (so drivers stay
plain pymeasure instruments) that adds what a certification rig needs on top:

- the ``@py`` backend and ``\\n`` read *and* write termination (pyvisa-py's SOCKET defaults are
  none and ``\\r\\n``, with which every query times out), a timeout from the rig description;
- every message, both ways, in a :class:`~rig.transport.transcript.Transcript`;
- VISA and socket failures turned into :class:`~rig.errors.InstrumentTimeout` /
  :class:`~rig.errors.InstrumentError` naming the instrument, its address and the command, so a
  step's ERROR says what to fix;
- replies decoded as ASCII with replacement: bytes that are not printable ASCII (line noise, a
  foreign client's garbage echoed in an error message) are an :class:`~rig.errors.InstrumentError`
  naming the instrument and the command (a step ERROR), never an exception from a decoder and
  never a lost link; the session stays open, since the reply was framed;
- a connection check at open: pyvisa-py reports a refused TCP connection as opened (the
  non-blocking connect looks "ready" to ``select``) and only fails at the first write; we read
  the socket's pending error at once, so a wrong address fails in milliseconds, never hangs;
- a stale session is noticed before a message is sent: if the instrument closed the link since
  the last exchange (a reboot, a LAN drop), the session is reopened first, so no message is
  written into a dead socket and no timeout is waited out to find out;
- resynchronisation: after a timeout the instrument may still send the late reply, which the
  next query would take for its own answer. The session is closed instead and reopened on the
  next use, so a reply always belongs to the query that asked for it;
- recovery from a lost link: every reopening of a session calls :attr:`VisaTransport.on_reconnect`
  (the driver reads its settings back there: an instrument that rebooted must not be driven as
  if it still had them), and a query that only asks (every part of the message a ``...?``
  query, never a write, never one named in :attr:`VisaTransport.no_retry`) is asked once more
  on the new session when the link dropped under it. A timeout is not retried: the instrument
  is busy or hung, and asking again would only double the wait.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import pyvisa
from pymeasure.adapters import VISAAdapter
from pyvisa import constants

from rig.errors import InstrumentError, InstrumentTimeout

from .transcript import RECEIVED, SENT, Transcript

__all__ = [
    "AccessDenied", "ForeignWrites", "InstrumentLinkError", "Transcript", "VisaTransport",
    "idempotent_query", "scpi_float",
]

log = logging.getLogger(__name__)

#: What SCPI instruments send for "not a number" (9.91E+37) and overflow (9.9E+37).
SCPI_NAN_VALUES = (9.91e37, 9.9e37)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class InstrumentLinkError(InstrumentError):
    """The link itself failed: cannot connect, or the connection was lost.

    A subclass so safe-state code can stop at the first dead link instead of waiting out one
    timeout per command.
    """

    def __init__(self, instrument: str, address: str, command: str, detail: str):
        super().__init__(instrument, address, command, detail)
        if not command:  # opening: there is no command to name
            self.args = (f"{instrument} at {address}: {detail}",)


class AccessDenied(InstrumentError):
    """The rig cannot have the instrument to itself: another client holds its lock, or the
    transport refused an exclusive lock the rig file asked for."""


#: Exclusive access to an instrument (the rig file's ``exclusive_access``): ``scpi`` is the
#: session lock in SCPI (Keysight's ``SYSTem:LOCK``, every emulated instrument), ``visa`` the
#: transport's own (``viLock``: VXI-11 with pyvisa-py; HiSLIP and GPIB with a vendor VISA).
EXCLUSIVE_MODES = ("scpi", "visa", "none")
LOCK_REQUEST = "SYST:LOCK:REQ?"
LOCK_OWNER = "SYST:LOCK:OWN?"
LOCK_VIOLATIONS = "SYST:LOCK:VIOL?"
_VIOLATION_REPLY = re.compile(r'^\s*(\d+)\s*,\s*"(.*)"\s*,\s*"(.*)"\s*$', re.S)


class ForeignWrites(NamedTuple):
    """``SYST:LOCK:VIOL?``: how many foreign writes the instrument refused since it started,
    and the last one's sender and message."""

    count: int
    peer: str
    message: str


def idempotent_query(message: str) -> bool:
    """Does ``message`` only ask? Every ``;``-separated part must be a query (its header ends
    with ``?``): ``MEAS:VOLT?;:MEAS:CURR?`` and ``TRAC:EVEN:DATA? 12.5`` do, a message that
    also sets something (``SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE``, ``BENCH:TIME:ADV 1;*OPC?``)
    does not and is never sent twice."""
    parts = [part.strip() for part in message.split(";")]
    return bool(message.strip()) and all(
        part and part.split(None, 1)[0].endswith("?") for part in parts
    )


def scpi_float(text: str) -> float:
    """Parse one SCPI number; ``9.91E+37`` / ``9.9E+37`` / ``NAN`` become ``nan``.

    ``INF`` / ``-INF`` (an analyser's over-range) stay infinite. Raises ValueError for text that
    is not an SCPI number (Python's ``float`` would also take ``"1_0"`` or ``"infinity"``).
    """
    key = text.strip().upper()
    if key in ("NAN", "+NAN", "-NAN"):
        return math.nan
    if key in ("INF", "+INF"):
        return math.inf
    if key == "-INF":
        return -math.inf
    if not _NUMBER.fullmatch(key):
        raise ValueError(f"not an SCPI number: {text!r}")
    value = float(key)
    if abs(value) in SCPI_NAN_VALUES:
        return math.nan
    return value


#: A reply character no SCPI instrument sends: not ASCII (decoded as U+FFFD) or a control
#: character other than tab and carriage return.
_GARBAGE = re.compile(r"[\ufffd\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_SHOWN_MAX = 80


def _shown(text: str) -> str:
    """A reply as an error message shows it: escaped ASCII, cut to a readable length."""
    return ascii(text) if len(text) <= _SHOWN_MAX else ascii(text[:_SHOWN_MAX]) + "..."


#: What a failed reconnection raises (a subclass, e.g. lost settings, is the driver's verdict).
_LINK_FAILURES = (InstrumentError, InstrumentLinkError, InstrumentTimeout)


class VisaTransport(VISAAdapter):
    """A pyvisa-py session to one instrument, recording a transcript (see the module doc).

    ``name`` is the instrument's role on the rig (``ac_source``, ``ev``): it is what the
    transcript and every error say. ``timeout_s`` bounds each read and the TCP connect.
    """

    def __init__(
        self,
        resource: str,
        name: str,
        transcript: Transcript | None = None,
        timeout_s: float = 2.0,
        visa_library: str = "@py",
    ):
        self.name = name
        self.resource = resource
        self.transcript = transcript if transcript is not None else Transcript()
        self.last_command = ""
        #: Called after every reopening of the session (not the first opening), before the
        #: command that needed the session is sent: the driver verifies its settings there.
        self.on_reconnect: Callable[[], None] | None = None
        #: Queries never asked twice even though they only ask: their reply depends on state a
        #: reconnect may have lost, or reading them changes the instrument (an error queue).
        self.no_retry: set[str] = set()
        #: How many times the session was reopened after a failure.
        self.reconnects = 0
        self._reconnecting = False
        self._timeout_s = float(timeout_s)
        #: How the rig holds the instrument (:data:`EXCLUSIVE_MODES`); taken again after every
        #: reconnection, since a lock ends with the session that held it.
        self.exclusive = "none"
        #: Called first on every reopened session, before the lock (a port that wants a token
        #: is shown it here: the bench control driver).
        self.on_open: Callable[[], None] | None = None
        self._closed = False
        self._lock = threading.RLock()
        self._open_kwargs: dict[str, Any] = {
            "read_termination": "\n",
            "write_termination": "\n",
            "timeout": self._timeout_ms(),
            "open_timeout": self._timeout_ms(),
        }
        try:
            super().__init__(resource, visa_library=visa_library, **self._open_kwargs)
        except Exception as exc:  # pyvisa raises bare Exception("could not connect: ...")
            raise self._cannot_connect(exc) from exc
        self._after_open()

    # ---- session life cycle ---------------------------------------------------------------
    def _timeout_ms(self) -> int:
        return max(1, round(self._timeout_s * 1000))

    def _cannot_connect(self, exc: BaseException) -> InstrumentLinkError:
        detail = str(exc) or type(exc).__name__
        detail = detail.removeprefix("could not connect: ")
        return InstrumentLinkError(self.name, self.resource, "", f"cannot connect: {detail}")

    def _socket(self) -> socket.socket | None:
        """The TCP socket of a pyvisa-py SOCKET session (None for other sessions/backends)."""
        connection = getattr(self, "connection", None)
        sessions = getattr(getattr(self.manager, "visalib", None), "sessions", {})
        session = sessions.get(getattr(connection, "session", None)) if connection else None
        sock = getattr(session, "interface", None)
        return sock if isinstance(sock, socket.socket) else None

    def _after_open(self) -> None:
        sock = self._socket()
        if sock is not None:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                self._drop()
                raise self._cannot_connect(OSError(error, os.strerror(error)))
            with contextlib.suppress(OSError):  # small messages: never wait for Nagle
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _reopen(self) -> None:
        log.warning("%s: reopening the session to %s", self.name, self.resource)
        try:
            self.connection = self.manager.open_resource(self.resource, **self._open_kwargs)
        except Exception as exc:
            self.connection = None  # type: ignore[assignment]
            raise self._cannot_connect(exc) from exc
        self._after_open()
        self.reconnects += 1
        if not self._reconnecting:
            self._reconnecting = True  # its queries are never retried, nor do they nest
            try:
                self._take_hold()  # before anything else: the lock ended with the old session
                if self.on_reconnect is not None:
                    self.on_reconnect()
            finally:
                self._reconnecting = False

    def _reconnect(self, command: str) -> None:
        """Reopen the session for ``command``. A failure names that command, and says whether
        connecting or reading the settings back failed; the driver's own verdict on its
        settings (:class:`~rig.instruments.base.SettingsLost`) propagates as it is."""
        try:
            self._reopen()
        except InstrumentError as exc:
            if type(exc) not in _LINK_FAILURES or not command:
                raise
            if exc.command and exc.command != command:
                detail = (f"reconnected, but reading the settings back failed: "
                          f"'{exc.command}': {exc.detail}")
            else:
                detail = f"reconnecting failed: {exc.detail}"
            failed = type(exc)(self.name, self.resource, command, detail)
            failed.recovery = True  # type: ignore[attr-defined]  # no second attempt for it
            failed.recovery_failed = failed  # type: ignore[attr-defined]
            raise failed from exc

    def _ensure_open(self, command: str) -> None:
        if self._closed:
            raise InstrumentError(self.name, self.resource, command, "session is closed")
        if getattr(self, "connection", None) is None:
            self._reconnect(command)

    def _drop(self) -> None:
        """Close the session after a failure; the next use reopens it."""
        connection = getattr(self, "connection", None)
        self.connection = None  # type: ignore[assignment]
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        """Close the session for good (idempotent; later I/O raises InstrumentError)."""
        self._closed = True
        self._drop()

    # ---- exclusive access -------------------------------------------------------------------
    def hold(self, mode: str) -> None:
        """Take the instrument for this rig (``scpi``, ``visa`` or ``none``; see
        :data:`EXCLUSIVE_MODES`), and again after every reconnection. :class:`AccessDenied`
        names who holds it, or why the transport cannot lock."""
        if mode not in EXCLUSIVE_MODES:
            raise ValueError(f"exclusive access {mode!r}: one of {', '.join(EXCLUSIVE_MODES)}")
        with self._lock:
            self.exclusive = mode
            self._ensure_open(LOCK_REQUEST if mode == "scpi" else "")
            if mode != "none":
                self._take_hold()

    def _take_hold(self) -> None:
        if self.on_open is not None:
            self.on_open()
        if self.exclusive == "scpi":
            if self._ask_once(LOCK_REQUEST, None).strip() != "1":
                owner = self._ask_once(LOCK_OWNER, None).strip().strip('"')
                raise AccessDenied(
                    self.name, self.resource, LOCK_REQUEST,
                    f"locked by another client ({owner}): the rig needs the instrument to "
                    "itself for the run",
                )
        elif self.exclusive == "visa":
            try:
                self.connection.lock_excl(timeout=self._timeout_ms())
            except Exception as exc:  # VisaIOError, or NotImplementedError of a session type
                raise AccessDenied(
                    self.name, self.resource, "viLock",
                    f"exclusive VISA lock refused: {exc or type(exc).__name__} (locked by "
                    "another client, or this resource type has no lock: see exclusive_access)",
                ) from exc

    def foreign_writes(self) -> ForeignWrites:
        """What the instrument refused from other clients while the rig held it (``scpi``
        only; other modes have no such record and return a count of 0)."""
        if self.exclusive != "scpi":
            return ForeignWrites(0, "", "")
        reply = self.ask(LOCK_VIOLATIONS)
        match = _VIOLATION_REPLY.match(reply)
        if not match:
            raise InstrumentError(self.name, self.resource, LOCK_VIOLATIONS,
                                  f"unexpected reply {reply!r} (n,\"peer\",\"message\" expected)")
        return ForeignWrites(int(match.group(1)), match.group(2), match.group(3))

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    @timeout_s.setter
    def timeout_s(self, value: float) -> None:
        self._timeout_s = float(value)
        self._open_kwargs["timeout"] = self._timeout_ms()
        self._open_kwargs["open_timeout"] = self._timeout_ms()
        if getattr(self, "connection", None) is not None:
            self.connection.timeout = self._timeout_ms()

    @property
    def lock(self) -> threading.RLock:
        """Held by a driver across a write and its read, so threads never mix replies."""
        return self._lock

    # ---- I/O (pymeasure's Adapter.write/read call these) ----------------------------------
    def ask(self, command: str, delay_s: float | None = None) -> str:
        """Write a query and read its reply as one unit: no other thread in between, and an
        interruption anywhere between the two leaves no reply behind for the next query.

        If the link drops under it, the session is reopened at once (the driver verifies its
        settings: an instrument that lost them raises there). A query that only asks
        (:func:`idempotent_query`) is then asked once more; if that fails too, the error says
        so. Anything else raises the lost link: a write is never sent twice."""
        with self._lock:
            try:
                return self._ask_once(command, delay_s)
            except InstrumentLinkError as first:
                if self._reconnecting or self._closed:
                    raise
                failed = self._recover(first)
                if not self._may_retry(command):
                    raise
                if failed is first:
                    raise
                if failed is not None:
                    detail = f"{first.detail}; {failed.detail}"
                    raise InstrumentLinkError(self.name, self.resource, command, detail) from first
                log.warning("%s: %s; asking once more on a new session", self.name, first)
                try:
                    return self._ask_once(command, delay_s)
                except InstrumentLinkError as again:
                    detail = f"{first.detail}; retried once after reconnecting: {again.detail}"
                    raise InstrumentLinkError(self.name, self.resource, command, detail) from again

    def write(self, command: str, **kwargs: Any) -> None:
        """Write a message; a lost link reopens the session at once (see :meth:`ask`)."""
        with self._lock:
            try:
                super().write(command, **kwargs)
            except InstrumentLinkError as exc:
                if not (self._reconnecting or self._closed):
                    self._recover(exc)
                raise

    def _recover(self, lost: InstrumentLinkError) -> InstrumentError | None:
        """Reopen the session after ``lost`` (once per failure) and let the driver verify its
        settings (its verdict propagates). Returns why reopening failed (the session then stays
        closed and the next use tries again), or None."""
        if getattr(lost, "recovery", False):
            return getattr(lost, "recovery_failed", None)
        lost.recovery = True  # type: ignore[attr-defined]
        self._drop()
        try:
            self._reconnect(lost.command)
        except InstrumentError as exc:
            if type(exc) not in _LINK_FAILURES:
                raise
            self._drop()
            lost.recovery_failed = exc  # type: ignore[attr-defined]
            return exc
        return None

    def _may_retry(self, command: str) -> bool:
        return (
            not self._closed
            and not self._reconnecting
            and idempotent_query(command)
            and command.strip().upper() not in {q.upper() for q in self.no_retry}
        )

    def _ask_once(self, command: str, delay_s: float | None) -> str:
        self.write(command)
        try:
            if delay_s:
                time.sleep(delay_s)
            return self.read()
        except BaseException:
            self._drop()
            raise

    def _write(self, command: str, **kwargs: Any) -> None:
        with self._lock:
            self._ensure_open(command)
            if self._peer_closed():
                # the instrument closed the link since the last message (it rebooted, or its
                # LAN dropped): reopen before sending, so nothing is lost in a dead socket
                log.warning("%s: the instrument closed the link; reconnecting", self.name)
                self._drop()
                self._ensure_open(command)
            self.last_command = command
            self.transcript.append(self.name, SENT, command)
            try:
                self.connection.write(command, **kwargs)
            except (pyvisa.errors.VisaIOError, OSError) as exc:
                self._drop()
                raise InstrumentLinkError(
                    self.name, self.resource, command, f"connection lost: {exc}"
                ) from exc
            except BaseException:  # interrupted (Ctrl-C, test timeout): state unknown
                self._drop()
                raise

    def _read(self, **kwargs: Any) -> str:
        with self._lock:
            command = self.last_command
            self._ensure_open(command)
            try:
                raw = bytes(self.connection.read_raw(**kwargs))
            except pyvisa.errors.VisaIOError as exc:
                raise self._read_failed(command, exc) from exc
            except OSError as exc:
                self._drop()
                raise InstrumentLinkError(
                    self.name, self.resource, command, f"connection lost: {exc}"
                ) from exc
            except BaseException:
                # interrupted mid-read (Ctrl-C, a test timeout): the reply may still come and
                # would answer the next query; start that one on a fresh session
                self._drop()
                raise
            text = raw.decode("ascii", "replace").removesuffix("\n")
            self.transcript.append(self.name, RECEIVED, text)
            if _GARBAGE.search(text):
                raise InstrumentError(
                    self.name, self.resource, command,
                    f"garbled reply {_shown(text)}: bytes that are not printable ASCII "
                    "(an instrument fault, or another client's garbage echoed back)",
                )
            return text

    def _read_failed(self, command: str, exc: pyvisa.errors.VisaIOError) -> InstrumentError:
        peer_closed = self._peer_closed()
        self._drop()  # a late reply must not answer the next query: start a fresh session
        if peer_closed:
            return InstrumentLinkError(
                self.name, self.resource, command, "connection closed by the instrument"
            )
        if exc.error_code == constants.StatusCode.error_timeout:
            return InstrumentTimeout(
                self.name, self.resource, command, f"no reply within {self._timeout_s:g} s"
            )
        return InstrumentLinkError(self.name, self.resource, command, f"read failed: {exc}")

    def _peer_closed(self) -> bool:
        """pyvisa-py waits out the timeout on a closed socket; tell that apart from silence."""
        sock = self._socket()
        if sock is None:
            return False
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def __repr__(self) -> str:
        return f"<VisaTransport {self.name} at {self.resource}>"
