"""Service console: a line protocol on the UART, answered by data lines and ``OK``/``ERR``.

Input lines end with ``\\n`` (``\\r`` is ignored); every output line ends with ``\\r\\n``. A
command writes zero or more data lines then ``OK`` or ``ERR <code> <message>``. Unsolicited
event lines start with ``# `` and never appear inside a reply. Codes: 1 unknown command,
2 bad argument, 3 not ready (booting, updating).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from zapcharger.errors import CODES
from zapcharger.meter import format_wh

#: Longest line kept; a longer one is a garbled line and is dropped with ERR 2.
MAX_LINE = 256

HELP = (
    "version            model and firmware version",
    "serial             serial number",
    "status             state, CP, PWM, current, contactor, lock, LED, RCD, error",
    "meter              per-phase v, i, p and the energy register",
    "rcd                RCD state, self-tests, last result, trips",
    "errors             active errors, one per line (E<n> <Name>), or none",
    "limit [A|none]     show or set the installation current limit",
    "rfid <UID>         present an RFID tag",
    "help               this list",
)


class CommandError(Exception):
    """A command refused: becomes ``ERR <code> <message>``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class ConsolePort(Protocol):
    """What the console needs from the firmware."""

    def status(self) -> dict[str, Any]: ...

    def set_installation_limit(self, current_a: float | None) -> None: ...

    def present_tag(self, uid: str) -> bool: ...


def _num(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def status_line(s: dict[str, Any]) -> str:
    """``state=C2 cp=C pwm=53.3 current=32.0 contactor=1 lock=1 led=blue/flash rcd=ok ...``."""
    pwm = "off" if s["duty_pct"] is None else _num(s["duty_pct"], 1)
    errors = ",".join(s["errors"]) or "none"
    return (
        f"state={s['state']} cp={s['cp']} pwm={pwm} current={_num(s['current_a'], 1)} "
        f"contactor={int(s['contactor'])} lock={int(s['lock'])} "
        f"led={s['led'][0]}/{s['led'][1]} rcd={s['rcd']['state']} error={errors}"
    )


def meter_line(s: dict[str, Any]) -> str:
    """``v=230.0,... i=16.00,... p=3680.0,... e_wh=12345``."""
    m = s["meter"]
    v = ",".join(_num(x, 1) for x in m["v"])
    i = ",".join(_num(x, 2) for x in m["i"])
    p = ",".join(_num(x, 1) for x in m["p"])
    return f"v={v} i={i} p={p} e_wh={format_wh(s['energy_wh'])}"


def rcd_line(s: dict[str, Any]) -> str:
    """``state=ok selftests=3 last=pass trips=0``."""
    r = s["rcd"]
    return (
        f"state={r['state']} selftests={r['selftests']} last={r['last'] or 'none'} "
        f"trips={r['trips']}"
    )


class Console:
    """Line assembler and command interpreter."""

    def __init__(self, write: Callable[[str], None], port: ConsolePort):
        self._write = write
        self._port = port
        self._buffer = ""
        self.commands: dict[str, Callable[[list[str]], list[str]]] = {
            "version": self._version,
            "serial": self._serial,
            "status": lambda a: [status_line(self._port.status())],
            "meter": lambda a: [meter_line(self._port.status())],
            "rcd": lambda a: [rcd_line(self._port.status())],
            "errors": self._errors,
            "limit": self._limit,
            "rfid": self._rfid,
            "help": lambda a: list(HELP),
        }

    def feed(self, text: str) -> None:
        """Bytes from the UART: run every complete line."""
        self._buffer += text
        while "\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition("\n")
            self.run(line.replace("\r", ""))
        if len(self._buffer) > MAX_LINE:
            self._buffer = ""
            self._reply([], CommandError(2, "line too long"))

    def event(self, text: str) -> None:
        """Unsolicited event line (``# ...``)."""
        self._write(f"# {text}\r\n")

    def run(self, line: str) -> None:
        """Interpret one command line and write its reply (nothing for an empty line)."""
        words = line.split()
        if not words:
            return
        name, args = words[0].lower(), words[1:]
        handler = self.commands.get(name)
        if handler is None:
            self._reply([], CommandError(1, f"unknown command '{words[0]}'"))
            return
        try:
            self._reply(handler(args), None)
        except CommandError as exc:
            self._reply([], exc)

    def _reply(self, lines: list[str], error: CommandError | None) -> None:
        final = "OK" if error is None else f"ERR {error.code} {error.message}"
        self._write("".join(f"{x}\r\n" for x in [*lines, final]))

    # ---- commands -----------------------------------------------------------------------
    def _version(self, args: list[str]) -> list[str]:
        s = self._port.status()
        return [f"{s['model']} {s['firmware']}"]

    def _serial(self, args: list[str]) -> list[str]:
        return [self._port.status()["serial"]]

    def _errors(self, args: list[str]) -> list[str]:
        names = self._port.status()["errors"]
        return [f"E{CODES[n]} {n}" for n in names] or ["none"]

    def _limit(self, args: list[str]) -> list[str]:
        if not args:
            value = self._port.status()["limits"]["installation"]
            return ["limit=none" if value is None else f"limit={value:.1f}"]
        if len(args) > 1:
            raise CommandError(2, "usage: limit [<A>|none]")
        if args[0].lower() == "none":
            self._port.set_installation_limit(None)
            return []
        try:
            value = float(args[0])
        except ValueError:
            raise CommandError(2, f"bad current '{args[0]}'") from None
        if not (0.0 <= value <= 1000.0):
            raise CommandError(2, f"current out of range '{args[0]}'")
        self._port.set_installation_limit(value)
        return []

    def _rfid(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise CommandError(2, "usage: rfid <UID>")
        if not self._port.present_tag(args[0]):
            raise CommandError(3, "not ready")
        return []
