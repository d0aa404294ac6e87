"""Helpers of the station tests: an emulated label printer (a TCP server that keeps what it
received) and a pseudo-terminal barcode scanner."""

from __future__ import annotations

import os
import socket
import threading
import tty
from collections.abc import Iterator

import pytest


class LabelPrinter:
    """A raw TCP printer port on 127.0.0.1 that keeps every label (one connection each)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.labels: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def target(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(4096):
                    data += chunk
                self.labels.append(data)

    def close(self) -> None:
        """The printer goes offline: its port refuses connections from now on (shutdown first:
        a close alone leaves the socket listening under the thread blocked in accept)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)


@pytest.fixture
def printer() -> Iterator[LabelPrinter]:
    p = LabelPrinter()
    yield p
    p.close()


class PtyScanner:
    """A barcode scanner as the station sees it: a serial port (the pty's slave side)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)

    def scan(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        os.write(self.master, data + b"\r\n")

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def scanner() -> Iterator[PtyScanner]:
    s = PtyScanner()
    yield s
    s.close()


# the record store on both databases (PostgreSQL: the CI's server, else skipped)
from tests.records.conftest import postgres_url, sqlite_url, store_url  # noqa: E402, F401
