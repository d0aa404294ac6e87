"""Raw-socket SCPI servers (the LAN port of an emulated instrument) and their fault hooks.

One :class:`ScpiServer` per instrument, listening on 127.0.0.1 (port 0: the kernel picks a free
port and :attr:`ScpiServer.port` reports it), speaking newline-terminated messages exactly like
the ``::5025::SOCKET`` port of a real instrument.

Locks: each instrument has its own (:attr:`ScpiServer.lock`): one message of one client at a
time, parsed and answered with that instrument's error queue. Only the execution of each command
takes the bench model's lock (:meth:`ScpiDevice.executing`), so a slow or hostile client of one
instrument never stalls another instrument (one lock for the whole bench did: a 1 MB line froze
every instrument for seconds).

Input buffer: like a real instrument's, it holds :data:`MAX_MESSAGE` bytes. A longer line is an
input buffer overrun (-363): it is read to its end and thrown away unparsed, nothing of it is
executed or kept, and the port answers the next message as usual.

The :class:`LinkFault` hook is how the bench control port breaks an instrument on purpose
(drop the link, answer late, answer garbage, reboot) for the framework's own fault tests.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rig.bench.access import Session, SessionLock
from rig.bench.scpi import ScpiDevice

log = logging.getLogger(__name__)

#: Input buffer of an emulated instrument, bytes per message (terminator included). Real ones
#: hold a few kB to 64 kB; the longest message a driver of this rig sends is well under 1 kB.
MAX_MESSAGE = 16 * 1024
#: How much of an overrunning line is read at a time while it is thrown away.
_DISCARD_CHUNK = 64 * 1024

@dataclass
class LinkFault:
    """What the instrument's LAN port does wrong, set through the bench control port."""

    mode: str = "NONE"  # NONE | DROP | DELAY | GARBLE | REBOOT
    value: float = 0.0  # DELAY: seconds of wall time added before each reply


class _Handler(socketserver.StreamRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        owner = self.server.owner
        owner.connections.add(self.connection)
        access = owner.access
        session = Session(f"{self.client_address[0]}:{self.client_address[1]}")
        try:
            while True:
                raw = self.rfile.readline(MAX_MESSAGE + 1)
                if not raw or owner.fault.mode == "DROP":
                    return
                if len(raw) > MAX_MESSAGE and not raw.endswith(b"\n"):
                    dropped = len(raw) + self._discard_line()
                    owner.overrun(session, dropped)
                    continue
                line = raw.decode("latin-1").rstrip("\r\n")
                if not line.strip():
                    continue
                for hook in owner.before_message:  # outside the lock: hooks may wait
                    hook(line)
                with owner.lock:
                    owner.last_message_wall = time.monotonic()
                    if not access.admit(session, line):
                        continue  # a foreign write while the rig holds the instrument
                    handled, reply = access.handle(session, line)  # SYST:LOCK, BENCH:AUTH?
                    if not handled:
                        with access.queue_of(session, owner.device):
                            reply = owner.device.process(line)
                    for hook in owner.on_message:
                        hook(line)
                if reply is None:
                    continue
                fault = owner.fault
                if fault.mode == "DELAY" and fault.value > 0:
                    time.sleep(fault.value)
                if fault.mode == "GARBLE":
                    reply = "".join(chr((ord(c) * 7 + 3) % 94 + 33) for c in reply)
                self.wfile.write((reply + "\n").encode("latin-1", "replace"))
                self.wfile.flush()
        except OSError:
            return
        finally:
            owner.connections.discard(self.connection)
            with owner.lock:
                access.closed(session)

    def _discard_line(self) -> int:
        """Read the rest of an overrunning line and drop it; how many bytes that was."""
        dropped = 0
        while True:
            chunk = self.rfile.readline(_DISCARD_CHUNK)
            dropped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return dropped


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ScpiServer


class ScpiServer:
    """Serve one :class:`ScpiDevice` on a TCP port of 127.0.0.1."""

    def __init__(
        self, name: str, device: ScpiDevice, lock: threading.RLock | None = None,
        host: str = "127.0.0.1", port: int = 0, token: str | None = None,
    ):
        self.name = name
        self.device = device
        #: This instrument's own lock (one message at a time), not the bench's.
        self.lock = lock if lock is not None else threading.RLock()
        #: Lines longer than :data:`MAX_MESSAGE` thrown away (-363 each).
        self.overruns = 0
        #: Exclusive access (``SYSTem:LOCK``): who holds the instrument, what it refused.
        self.access = SessionLock(name, token)
        self.fault = LinkFault()
        self.connections: set[socket.socket] = set()
        self.on_message: list[Callable[[str], None]] = []
        #: Called with each message before the bench lock is taken (may block briefly).
        self.before_message: list[Callable[[str], None]] = []
        self.last_message_wall = time.monotonic()
        self._server = _TcpServer((host, port), _Handler, bind_and_activate=True)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"scpi-{name}", daemon=True,
            kwargs={"poll_interval": 0.2},
        )

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def resource(self) -> str:
        """The VISA resource string a driver opens to reach this instrument."""
        return f"TCPIP0::{self.host}::{self.port}::SOCKET"

    def overrun(self, session: Session, dropped: int) -> None:
        """A line did not fit the input buffer: -363, nothing of it executed or kept."""
        with self.lock, self.access.queue_of(session, self.device):
            self.overruns += 1
            self.device.push_error(-363, f"{dropped} bytes, {MAX_MESSAGE} fit; line discarded")
        log.warning("%s: input buffer overrun from %s, %d bytes discarded",
                    self.name, session.peer, dropped)

    def start(self) -> ScpiServer:
        self._thread.start()
        return self

    def drop_connections(self) -> None:
        """Close every open client connection (the instrument's LAN link went down)."""
        self.access.release_all()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        self.connections.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self.drop_connections()
        self._server.server_close()
