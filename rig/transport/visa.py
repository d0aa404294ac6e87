"""The VISA session every driver talks through: pyvisa-py, a transcript, errors with context.

:class:`VisaTransport` is a pymeasure :class:`~pymeasure.adapters.VISAAdapter` (so drivers stay
plain pymeasure instruments) that adds what a certification rig needs on top:

- the ``@py`` backend and ``\\n`` read *and* write termination (pyvisa-py's SOCKET defaults are
  none and ``\\r\\n``, with which every query times out), a timeout from the rig description;
- every message, both ways, in a :class:`~rig.transport.transcript.Transcript`;
- VISA and socket failures turned into :class:`~rig.errors.InstrumentTimeout` /
  :class:`~rig.errors.InstrumentError` naming the instrument, its address and the command, so a
  step's ERROR says what to fix;
- a connection check at open: pyvisa-py reports a refused TCP connection as opened (the
  non-blocking connect looks "ready" to ``select``) and only fails at the first write; we read
  the socket's pending error at once, so a wrong address fails in milliseconds, never hangs;
- resynchronisation: after a timeout the instrument may still send the late reply, which the
  next query would take for its own answer. The session is closed instead and reopened on the
  next use, so a reply always belongs to the query that asked for it.
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
from typing import Any

import pyvisa
from pymeasure.adapters import VISAAdapter
from pyvisa import constants

from rig.errors import InstrumentError, InstrumentTimeout

from .transcript import RECEIVED, SENT, Transcript

__all__ = ["InstrumentLinkError", "Transcript", "VisaTransport", "scpi_float"]

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
        self._timeout_s = float(timeout_s)
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

    def _ensure_open(self, command: str) -> None:
        if self._closed:
            raise InstrumentError(self.name, self.resource, command, "session is closed")
        if getattr(self, "connection", None) is None:
            self._reopen()

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
        interruption anywhere between the two leaves no reply behind for the next query."""
        with self._lock:
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
                text = self.connection.read(**kwargs)
            except pyvisa.errors.VisaIOError as exc:
                raise self._read_failed(command, exc) from exc
            except (OSError, UnicodeDecodeError) as exc:
                self._drop()
                raise InstrumentLinkError(
                    self.name, self.resource, command, f"connection lost: {exc}"
                ) from exc
            except BaseException:
                # interrupted mid-read (Ctrl-C, a test timeout): the reply may still come and
                # would answer the next query; start that one on a fresh session
                self._drop()
                raise
            self.transcript.append(self.name, RECEIVED, text)
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
