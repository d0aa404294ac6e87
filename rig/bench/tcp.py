"""Raw-socket SCPI servers (the LAN port of an emulated instrument) and their fault hooks.

One :class:`ScpiServer` per instrument, listening on 127.0.0.1 (port 0: the kernel picks a free
port and :attr:`ScpiServer.port` reports it), speaking newline-terminated messages exactly like
the ``::5025::SOCKET`` port of a real instrument. Every message is processed under the bench
lock, so the instrument sees a consistent electrical model.

The :class:`LinkFault` hook is how the bench control port breaks an instrument on purpose
(drop the link, answer late, answer garbage, reboot) for the framework's own fault tests.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rig.bench.scpi import ScpiDevice


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
        try:
            for raw in self.rfile:
                if owner.fault.mode == "DROP":
                    return
                line = raw.decode("latin-1").rstrip("\r\n")
                if not line.strip():
                    continue
                for hook in owner.before_message:  # outside the lock: hooks may wait
                    hook(line)
                with owner.lock:
                    owner.last_message_wall = time.monotonic()
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


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ScpiServer


class ScpiServer:
    """Serve one :class:`ScpiDevice` on a TCP port of 127.0.0.1."""

    def __init__(
        self, name: str, device: ScpiDevice, lock: threading.RLock, host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.name = name
        self.device = device
        self.lock = lock
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

    def start(self) -> ScpiServer:
        self._thread.start()
        return self

    def drop_connections(self) -> None:
        """Close every open client connection (the instrument's LAN link went down)."""
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
