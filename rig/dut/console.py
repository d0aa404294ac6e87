"""The charger's service console: line commands answered by data lines and ``OK``/``ERR``.

Transport-agnostic on purpose: it takes ``write(bytes)`` and ``read(timeout) -> bytes``, so the
same parser runs over labgrid's ``SerialDriver`` (the rig), a bare pyserial port (a factory
script), or anything else that moves bytes. Unsolicited lines (``# ...``) are kept in a log and
skipped; anything that is neither a reply nor an event is a garbled line and counted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rig.errors import ChargerLinkError

_ERR = re.compile(r"^ERR (\d+) ?(.*)$")


class ConsoleCommandError(ChargerLinkError):
    """The charger answered ``ERR``: the command was refused."""

    def __init__(self, command: str, code: int, message: str):
        self.command, self.code, self.message = command, code, message
        super().__init__(f"console command '{command}' refused: ERR {code} {message}")


@dataclass
class ConsoleLog:
    """Everything that crossed the console, for the records (direction, wall time, line)."""

    lines: list[tuple[float, str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def add(self, direction: str, line: str) -> None:
        self.lines.append((time.time(), direction, line))


class ChargerConsole:
    """Ask the charger's console and parse what it says."""

    def __init__(
        self,
        write: Callable[[bytes], object],
        read: Callable[[float], bytes],
        timeout_s: float = 3.0,
        name: str = "console",
    ):
        self._write = write
        self._read = read
        self.timeout_s = timeout_s
        self.name = name
        self.log = ConsoleLog()
        self._buffer = ""

    def _next_line(self, deadline: float) -> str:
        while "\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChargerLinkError(
                    f"{self.name}: no complete reply within {self.timeout_s:g} s "
                    f"(received so far: {self._buffer!r})"
                )
            chunk = self._read(min(remaining, 0.5))
            if chunk:
                self._buffer += chunk.decode("utf-8", "replace")
        line, _, self._buffer = self._buffer.partition("\n")
        return line.rstrip("\r")

    def command(self, text: str) -> list[str]:
        """Send one command; return its data lines. ``ERR`` raises :class:`ConsoleCommandError`."""
        self._write((text + "\n").encode())
        self.log.add(">", text)
        deadline = time.monotonic() + self.timeout_s
        data: list[str] = []
        while True:
            line = self._next_line(deadline)
            self.log.add("<", line)
            if line.startswith("# "):
                self.log.events.append(line[2:])
                continue
            if line == "OK":
                return data
            m = _ERR.match(line)
            if m:
                raise ConsoleCommandError(text, int(m.group(1)), m.group(2))
            if line.strip():
                data.append(line)

    def one(self, text: str) -> str:
        """A command that answers exactly one data line."""
        lines = self.command(text)
        if len(lines) != 1:
            raise ChargerLinkError(f"{self.name}: '{text}' answered {lines!r}, expected one line")
        return lines[0]

    @staticmethod
    def pairs(line: str) -> dict[str, str]:
        """``"state=C2 pwm=53.3"`` -> ``{"state": "C2", "pwm": "53.3"}``."""
        out = {}
        for token in line.split():
            key, sep, value = token.partition("=")
            if sep:
                out[key] = value
        return out

    # ---- the commands a plan uses -------------------------------------------------------
    def serial(self) -> str:
        return self.one("serial")

    def version(self) -> str:
        """Model and firmware version, e.g. ``ZapCharger Pro 2.14.0``."""
        return self.one("version")

    def firmware(self) -> str:
        return self.version().rsplit(" ", 1)[-1]

    def status(self) -> dict[str, str]:
        return self.pairs(self.one("status"))

    def meter(self) -> dict[str, list[float] | float]:
        """Per-phase ``v``, ``i``, ``p`` lists and the energy register ``e_wh``."""
        raw = self.pairs(self.one("meter"))
        out: dict[str, list[float] | float] = {}
        for key, value in raw.items():
            if "," in value:
                out[key] = [float(x) for x in value.split(",")]
            else:
                out[key] = float(value)
        return out

    def rcd(self) -> dict[str, str]:
        return self.pairs(self.one("rcd"))

    def errors(self) -> list[str]:
        lines = self.command("errors")
        return [] if lines == ["none"] else lines

    def set_limit(self, current_a: float | None) -> None:
        """Installation limit (load balancing); None clears it."""
        self.command("limit none" if current_a is None else f"limit {current_a:g}")
