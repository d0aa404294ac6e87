"""Where serial numbers come from: a barcode scanner on a serial port, or the keyboard.

A scanner in keyboard-wedge or serial mode sends the code followed by CR and/or LF. What is not
a serial of this product (``ZCS`` + 6 digits: noise, a half scan, another product's code) is a
:class:`BadScan` with what was read, never a unit: the operator scans again.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

from rig.errors import RigError

SERIAL = re.compile(r"^ZCS[0-9]{6}$")
#: Commands an operator or supervisor may type instead of a serial (keyboard).
#: ``override <NAME> <SERIAL>`` lets a refused unit in; ``quit`` ends the shift.


class BadScan(RigError):
    """What was read is not a serial number of this product."""


def check_serial(text: str) -> str:
    code = text.strip()
    if not SERIAL.fullmatch(code):
        shown = code if code.isprintable() and len(code) <= 40 else repr(code[:40])
        raise BadScan(f"scanned {shown!r}: not a serial number (ZCS and 6 digits); scan the "
                      "unit's label again")
    return code


class SerialScanner:
    """A scanner on a serial port (pyserial; ``/dev/ttyACM0``, or a pseudo-terminal in tests)."""

    def __init__(self, port: str, baudrate: int = 9600, timeout_s: float = 0.2):
        import serial  # labgrid's pyserial fork provides the module

        self.port = serial.Serial(port, baudrate=baudrate, timeout=timeout_s)
        self._buffer = b""

    def lines(self, stop: Any = None) -> Iterator[str]:
        """Each line the scanner sends (decoded leniently); ends when ``stop()`` is true."""
        while stop is None or not stop():
            chunk = self.port.read(256)
            if not chunk:
                continue
            self._buffer += chunk
            while True:
                cut = min((i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n"))
                           if i >= 0), default=-1)
                if cut < 0:
                    break
                line, self._buffer = self._buffer[:cut], self._buffer[cut + 1:]
                if line.strip():
                    yield line.decode("utf-8", "replace")

    def close(self) -> None:
        self.port.close()


class KeyboardScanner:
    """The operator types the serial (or a scanner in keyboard-wedge mode does)."""

    def __init__(self, stream: Any = None):
        self.stream = stream or sys.stdin

    def lines(self, stop: Any = None) -> Iterator[str]:
        for line in self.stream:
            if stop is not None and stop():
                return
            if line.strip():
                yield line.rstrip("\r\n")

    def close(self) -> None:
        pass
