"""Exclusive access to an emulated instrument: a session lock, as real LAN instruments have.

On hardware, exclusive access is the transport's: a VXI-11 ``device_lock`` or a HiSLIP lock,
taken through pyvisa (``resource.lock_excl()``). The emulated instruments have only a raw
``::SOCKET`` port, which has no such lock, so their port offers the equivalent in SCPI, modelled
on Keysight's (``SYSTem:LOCK:REQuest?`` / ``:RELease`` / ``:OWNer?``, e.g. the 33500B, 34460A
and N6700 programming guides). It belongs to the emulated LAN port, as a VXI-11 lock belongs to
the transport, not to the instrument's command set: the port answers these commands itself
(one a message) and the instrument's parser and command table (``rig.bench.manuals``) never see
them. The rig holds each instrument with it for a run:

==================================  ==============================================================
``SYSTem:LOCK:REQuest?``            ``1``: this connection holds the lock (granted, or already
                                    its own); ``0``: another connection holds it
``SYSTem:LOCK:RELease``             the holder gives it up (it also ends with the connection)
``SYSTem:LOCK:OWNer?``              ``"NONE"`` or the holder's address ``"127.0.0.1:40312"``
``SYSTem:LOCK:VIOLation?``          our extension: ``<n>,"<address>","<message>"``, how many
                                    foreign writes were refused since the instrument started,
                                    the last one's sender and message (``0,"",""`` for none)
``BENCH:AUTHenticate? "<token>"``   the bench control port only: ``1`` if the token is the
                                    bench's (``LG_BENCH_TOKEN``), then the connection may do
                                    anything; before that only ``*IDN?``, ``SYST:ERR?`` and this
==================================  ==============================================================

The control port changes the charger's profile, cuts the supply and breaks instruments: a
lock is not enough there (a client could connect before the rig does), so it accepts nothing
from a connection that has not shown the token ``rig bench serve`` writes into its env file
(mode 0600, readable by its user only) and the in-process bench exports to the fixtures.

While a connection holds the lock, any other connection may still ask (every part of its
message a ``...?`` query: a colleague may read a meter), but a message that would change
anything is refused as a whole with -203 "Command protected", counted, logged, and never
executed. The refused client's errors (and its ``SYST:ERR?``) go to an error queue of its own,
so it can neither read nor clear the rig's. The holder's own queue is the instrument's.

Every message, foreign ones included, still feeds the output watchdogs (as on a real instrument,
where any I/O counts as host activity): the rig's watchdog keep-alive asks on a second
connection of its own, which is foreign to the lock.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rig.bench.scpi import ScpiDevice, ScpiError, printable, split_commands

log = logging.getLogger(__name__)

#: How many refused messages an instrument remembers (the count goes on).
VIOLATIONS_KEPT = 100


@dataclass(eq=False)
class Session:
    """One client connection to an instrument's port."""

    peer: str  #: ``host:port`` of the client
    authenticated: bool = False  #: sent the port's token (``BENCH:AUTH?``)
    errors: deque[tuple[int, str]] = field(default_factory=deque)  #: while it is foreign
    esr: int = 0


@dataclass(frozen=True)
class Violation:
    peer: str
    message: str


def _before_auth(message: str) -> bool:
    """What a session may send before it presented the token: identify, read its errors,
    authenticate (every part of the message one of those)."""
    try:
        parts = split_commands(message)
    except ScpiError:
        return False
    allowed = ("*IDN?", "SYST:ERR?", "SYSTEM:ERROR?", "SYST:ERR:NEXT?", "SYSTEM:ERROR:NEXT?",
               "BENCH:AUTH?", "BENCH:AUTHENTICATE?")
    return bool(parts) and all(
        part.split(None, 1)[0].lstrip(":").upper() in allowed for part in parts)


def only_asks(message: str) -> bool:
    """Is every part of ``message`` a query (its header ends with ``?``)?"""
    try:
        parts = split_commands(message)
    except ScpiError:
        return False
    return bool(parts) and all(part.split(None, 1)[0].endswith("?") for part in parts)


class SessionLock:
    """The lock of one instrument's port, and the record of what it refused."""

    def __init__(self, name: str, token: str | None = None):
        self.name = name
        #: A secret a session must present (``BENCH:AUTH? "<token>"``) before anything else;
        #: None: no such gate (the instruments: their lock is enough).
        self.token = token
        self.owner: Session | None = None
        self.refused = 0
        self.violations: deque[Violation] = deque(maxlen=VIOLATIONS_KEPT)
        self._lock = threading.Lock()

    # ---- the admission check (the server calls it before a message is parsed) --------------
    def admit(self, session: Session, message: str) -> bool:
        """May ``session`` run ``message``? No for a foreign write while the lock is held, and
        for anything but ``*IDN?``, ``SYST:ERR?`` and ``BENCH:AUTH?`` from a session without
        the token on a port that has one. A refusal is counted, logged and queued as -203 in
        the session's own error queue."""
        if self.token is not None and not session.authenticated and not _before_auth(message):
            self._refuse(session, message, "this port needs BENCH:AUTH? <token> first (the "
                         "LG_BENCH_TOKEN of the bench's env file)")
            return False
        owner = self.owner
        if owner is None or owner is session or only_asks(message):
            return True
        self._refuse(session, message, f"locked by {owner.peer}")
        return False

    def _refuse(self, session: Session, message: str, why: str) -> None:
        with self._lock:
            self.refused += 1
            self.violations.append(Violation(session.peer, printable(message, 120)))
        detail = printable(f"Command protected; {why}; refused: {message}")
        if len(session.errors) >= ScpiDevice.error_queue_size:  # full: -350, as SCPI-99 says
            session.errors.pop()
            session.errors.append((-350, "Queue overflow"))
        else:
            session.errors.append((-203, detail))
        session.esr |= 0x20
        log.warning("%s: message from %s refused (%s): %s", self.name, session.peer, why,
                    printable(message, 120))

    def private(self, session: Session) -> bool:
        """Does ``session`` get an error queue of its own (it is not the one the rig uses)?"""
        if self.token is not None and not session.authenticated:
            return True
        return self.owner is not None and self.owner is not session

    @contextmanager
    def queue_of(self, session: Session, device: ScpiDevice) -> Iterator[None]:
        """While a foreign session is served, the device's error queue is that session's."""
        if not self.private(session):
            yield
            return
        errors, esr = device.errors, device.esr
        device.errors, device.esr = session.errors, session.esr
        try:
            yield
        finally:
            session.esr = device.esr
            device.errors, device.esr = errors, esr

    def closed(self, session: Session) -> None:
        """The connection ended: a lock it held is released (as a VXI-11 link's is)."""
        if self.owner is session:
            self.owner = None
            log.info("%s: lock released (%s disconnected)", self.name, session.peer)

    def release_all(self) -> None:
        """The instrument rebooted or dropped its connections: nobody holds it."""
        self.owner = None

    # ---- the commands (handled by the port, before the instrument's parser) --------------
    def handle(self, session: Session, message: str) -> tuple[bool, str | None]:
        """``(True, reply)`` if ``message`` is one of this port's own commands (one command a
        message), else ``(False, None)``: the instrument's parser takes it."""
        match = _PORT_COMMAND.fullmatch(message.strip())
        if match is None:
            return False, None
        name, arg = match.group("name").upper(), (match.group("arg") or "").strip()
        kind = next(k for k, pattern in _PORT_COMMANDS.items() if re.fullmatch(pattern, name))
        if kind == "AUTH":
            return (True, self._auth(session, arg)) if self.token is not None else (False, None)
        if arg:
            return False, None  # none of the others takes a parameter: the parser says -108
        if kind == "REQUEST":
            if self.owner is None:
                self.owner = session
                log.info("%s: locked by %s", self.name, session.peer)
            return True, "1" if self.owner is session else "0"
        if kind == "RELEASE":
            if self.owner is session:
                self.owner = None
            return True, None
        if kind == "OWNER":
            return True, f'"{self.owner.peer}"' if self.owner is not None else '"NONE"'
        with self._lock:  # VIOLATION
            last = self.violations[-1] if self.violations else Violation("", "")
            return True, f'{self.refused},"{last.peer}","{last.message}"'

    def _auth(self, session: Session, given: str) -> str:
        """``1``: the token is right, this connection may do anything; ``0``: it is not (the
        attempt is counted like a refused write)."""
        if len(given) >= 2 and given[0] == given[-1] and given[0] in "'\"":
            given = given[1:-1]
        if self.token is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            session.authenticated = True
            return "1"
        with self._lock:
            self.refused += 1
            self.violations.append(Violation(session.peer, "BENCH:AUTH? (a wrong token)"))
        log.warning("%s: wrong token from %s", self.name, session.peer)
        return "0"


#: The port's own commands (upper case; short or long form of each mnemonic).
_PORT_COMMANDS = {
    "REQUEST": r":?SYST(EM)?:LOCK:REQ(UEST)?\?",
    "RELEASE": r":?SYST(EM)?:LOCK:REL(EASE)?",
    "OWNER": r":?SYST(EM)?:LOCK:OWN(ER)?\?",
    "VIOLATION": r":?SYST(EM)?:LOCK:VIOL(ATION)?\?",
    "AUTH": r":?BENCH:AUTH(ENTICATE)?\?",
}
_PORT_COMMAND = re.compile(
    r"(?P<name>" + "|".join(f"(?:{p})" for p in _PORT_COMMANDS.values()) + r")(?:\s+(?P<arg>.*))?",
    re.I | re.S,
)
