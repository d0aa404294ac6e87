"""The unit's label in ZPL II, and the printers it goes to: a file, or a raw TCP port (9100).

ZPL because the line's label printers (Zebra and compatibles) take it as plain text on their
raw port: no driver, and the exact bytes are testable. A printer that cannot be reached is a
:class:`PrinterError` with the address: the station shows it, keeps the unit's record, and the
label can be printed again from the record.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from rig.errors import RigError

#: How long a label printer may take to accept the connection and the label, s.
PRINTER_TIMEOUT_S = 3.0


class PrinterError(RigError):
    """The label printer is offline or refused the label."""


def _field(text: str) -> str:
    """ZPL field data: ``^`` and ``~`` are commands; keep them out of the unit's text."""
    return "".join(c for c in str(text) if c not in "^~" and c.isprintable())


def zpl_label(serial: str, outcome: str, station: str, when: float, firmware: str | None,
              detail: str = "") -> str:
    """A 4 x 2 inch label at 203 dpi: serial (text and Code 128), outcome, station, date."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(when))
    lines = [
        "^XA",
        "^CI28",
        "^FO30,20^A0N,40,40^FDZapCharger Pro^FS",
        f"^FO30,70^A0N,50,50^FD{_field(serial)}^FS",
        f"^FO30,130^BY2^BCN,80,N,N,N^FD{_field(serial)}^FS",
        f"^FO30,230^A0N,70,70^FD{_field(outcome)}^FS",
        f"^FO30,310^A0N,25,25^FDEOL {_field(station)} {stamp} fw {_field(firmware or '-')}^FS",
    ]
    if detail:
        lines.append(f"^FO30,345^A0N,25,25^FD{_field(detail)[:60]}^FS")
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


class Printer:
    """Where labels go: ``file:PATH`` (appended), ``tcp:HOST:PORT`` (raw, e.g. port 9100)."""

    def __init__(self, target: str):
        kind, _, rest = target.partition(":")
        if kind == "file" and rest:
            self.kind, self.path, self.address = "file", Path(rest), ("", 0)
        elif kind == "tcp" and rest.rpartition(":")[2].isdigit():
            host, _, port = rest.rpartition(":")
            self.kind, self.path, self.address = "tcp", None, (host, int(port))
        else:
            raise ValueError(f"printer {target!r}: file:PATH or tcp:HOST:PORT expected")
        self.target = target

    def print(self, zpl: str) -> None:
        data = zpl.encode("utf-8")
        if self.kind == "file":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
                with open(self.path, "ab") as fh:  # type: ignore[arg-type]
                    fh.write(data)
            except OSError as exc:
                raise PrinterError(f"label printer {self.target}: cannot write ({exc})") from None
            return
        try:
            with socket.create_connection(self.address, timeout=PRINTER_TIMEOUT_S) as conn:
                conn.sendall(data)
        except OSError as exc:
            raise PrinterError(f"label printer {self.target} is offline ({exc}); the unit's "
                               "record is kept, print the label again when it is back") from None
