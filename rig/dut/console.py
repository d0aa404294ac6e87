"""The charger's service console: line commands answered by data lines and ``OK``/``ERR``.

Transport-agnostic on purpose: it takes ``write(bytes)`` and ``read(timeout) -> bytes``, so the
same parser runs over labgrid's ``SerialDriver`` (the rig), a bare pyserial port (a factory
script), or anything else that moves bytes. Unsolicited lines (``# ...``) are kept in a log and
skipped. A garbled line (line noise: control characters, bytes that are not UTF-8; the charger
only ever writes printable text) is skipped too, kept in the log and counted
(:attr:`ChargerConsole.garbled`): it can neither answer a command nor pass for its data. A
console that does not finish its reply within the timeout is a :class:`ChargerLinkError` naming
the command, the timeout and what did arrive.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rig.errors import ChargerLinkError

_ERR = re.compile(r"^ERR (\d+) ?(.*)$")
#: What a line of the charger never holds: control characters (tab aside), DEL, C1 controls,
#: and U+FFFD (bytes that were not UTF-8).
_GARBLED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffd]")


def garbled(line: str) -> bool:
    """Is ``line`` (without its line end) line noise rather than something the charger said?"""
    return bool(_GARBLED.search(line))


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
    #: Garbled lines received (also in ``lines``), skipped by the parser.
    garbled: list[str] = field(default_factory=list)

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
        self._buffer = b""

    @property
    def garbled(self) -> int:
        """How many garbled lines were skipped so far."""
        return len(self.log.garbled)

    def _next_line(self, deadline: float) -> str | None:
        """The next complete line, or None at the deadline."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            chunk = self._read(min(remaining, 0.5))
            if chunk:
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        return raw.decode("utf-8", "replace").rstrip("\r")

    def _no_reply(self, command: str, data: list[str], skipped: int) -> ChargerLinkError:
        partial = self._buffer.decode("utf-8", "replace")
        if not (data or partial or skipped):
            return ChargerLinkError(
                f"{self.name}: no reply to '{command}' within {self.timeout_s:g} s "
                "(the console is silent)")
        got = [f"lines so far: {data!r}"]
        if partial:
            got.append(f"incomplete line: {partial!r}")
        if skipped:
            got.append(f"{skipped} garbled line(s) skipped")
        return ChargerLinkError(
            f"{self.name}: no complete reply to '{command}' within {self.timeout_s:g} s "
            f"({'; '.join(got)})")

    def _stale(self) -> None:
        """Complete lines left over from before this command (late output) go to the log."""
        while b"\n" in self._buffer:
            raw, _, self._buffer = self._buffer.partition(b"\n")
            line = raw.decode("utf-8", "replace").rstrip("\r")
            self._received(line)

    def _received(self, line: str) -> str | None:
        """Log a line; None if it is not part of a reply (an event, a garbled line)."""
        self.log.add("<", line)
        if garbled(line):
            self.log.garbled.append(line)
            return None
        if line.startswith("# "):
            self.log.events.append(line[2:])
            return None
        return line

    def command(self, text: str) -> list[str]:
        """Send one command; return its data lines. ``ERR`` raises :class:`ConsoleCommandError`."""
        self._stale()
        self._write((text + "\n").encode())
        self.log.add(">", text)
        deadline = time.monotonic() + self.timeout_s
        skipped = self.garbled
        data: list[str] = []
        while True:
            raw = self._next_line(deadline)
            if raw is None:
                raise self._no_reply(text, data, self.garbled - skipped)
            line = self._received(raw)
            if line is None:
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
        before = self.garbled
        lines = self.command(text)
        if len(lines) != 1:
            skipped = self.garbled - before
            noise = f" ({skipped} garbled line(s) skipped)" if skipped else ""
            raise ChargerLinkError(
                f"{self.name}: '{text}' answered {lines!r}, expected one line{noise}")
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

    def present_tag(self, uid: str) -> None:
        """An RFID tag held to the reader (``rfid <UID>``): the service console's stand-in for
        a card, so a rig needs no tag presenter for the OCPP Authorize exchange."""
        self.command(f"rfid {uid}")

    def set_limit(self, current_a: float | None) -> None:
        """Installation limit (load balancing); None clears it."""
        self.command("limit none" if current_a is None else f"limit {current_a:g}")
