"""Helpers of the station tests: an emulated label printer (a TCP server that keeps what it
received), a pseudo-terminal barcode scanner, and ``rig eol`` started as an operator starts it
(one helper for every test that runs a station: start, read its output, wait for a line, stop)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


class Station:
    """``rig eol ARGS`` in a subprocess (from the repository root), its output collected line by
    line by a reader thread as the operator would see it."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rig.cli", "eol", *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout),
                                        daemon=True)
        self._reader.start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_output(self, text: str, timeout: float = 300.0) -> None:
        """Until a line has ``text``; fails naming what it waited for if the station ends
        without it (once its last lines are read) or ``timeout`` passes. The timeout bounds a
        wait for an event, it is not a speed limit: generous, for a machine under load."""
        deadline = time.monotonic() + timeout
        while not self.saw(text):
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)  # its last lines may still be on their way
                assert self.saw(text), (
                    f"the station ended ({self.proc.returncode}) without {text!r}:\n{self.text}")
                return
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s:\n{self.text}"
            time.sleep(0.05)

    def wait(self, timeout: float = 300.0) -> int:
        """The station's exit status, once its output is read to the end."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._reader.join(timeout=5)


@pytest.fixture
def station() -> Iterator[Callable[..., Station]]:
    """``station(*args)`` starts ``rig eol`` with ``args``; whatever ends the test, every
    station it started is stopped."""
    started: list[Station] = []

    def start(*args: str) -> Station:
        started.append(Station(*args))
        return started[-1]

    yield start
    for s in started:
        s.close()


# the record store on both databases (PostgreSQL: the CI's server, else skipped)
from tests.records.conftest import postgres_url, sqlite_url, store_url  # noqa: E402, F401
