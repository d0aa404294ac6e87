"""The emulated tag presenter: a relay board with an HTTP interface, one relay per RFID tag.

On a real rig each tag sits on a small solenoid (or servo) arm next to the charger's reader; a
relay swings the arm so the tag lies on the reader, its release takes it away. The relays
are the outputs of a network relay board that speaks plain HTTP (as many do: ``PUT`` the body
``1`` or ``0`` to an output's URL, ``GET`` it back), driven through labgrid's own
``HttpDigitalOutputDriver`` (``rig.instruments.tag_presenter``).

This twin is that board as the rig sees it: a real HTTP server on 127.0.0.1 (the standard
library's; no import cost, so every bench serves it), ``/slot/<k>`` for k = 1..len(TAGS), each
slot loaded with one tag of :data:`TAGS`. What the charger's reader sees is the model's
``rfid_uid`` input (the HAL's, as the reader chip reports it): the UID of the one tag on the
reader, none when no arm is down, and none when two are (two tags in the field collide and a
Mifare reader reads neither reliably). A write moves the arm under the bench's lock and the
charger reacts at that instant, exactly as to any other input.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rig.bench.bench import Bench

log = logging.getLogger(__name__)

#: The tags loaded in the emulated presenter, slot 1 first: (UID, what it is on the bench).
#: The emulator's rig file (rigs/emulator.yaml) names the same UIDs with their expected answers.
TAGS: tuple[tuple[str, str], ...] = (
    ("04A1B2C3D4", "on the emulated charger's local list (profile auth.accepted_tags)"),
    ("04BADBADBA", "unknown to the charger; the rig's central system refuses it"),
    ("04C0FFEE42", "unknown to the charger; the rig's central system accepts it"),
)


def tag_on_reader(slots: list[bool]) -> str | None:
    """The UID the reader reads: the one tag whose arm is down (none, or a collision: None)."""
    down = [TAGS[i][0] for i, on in enumerate(slots) if on]
    return down[0] if len(down) == 1 else None


class TagBoardServer:
    """The tag presenter's relay board on 127.0.0.1 (port 0: the kernel picks one)."""

    def __init__(self, bench: Bench, host: str = "127.0.0.1", port: int = 0):
        self.bench = bench
        self.slots = [False] * len(TAGS)
        self.writes = 0
        #: Slots whose arm is jammed (a fault the framework's own tests inject): a write is
        #: acknowledged, the arm stays where it is, a read shows the truth.
        self.stuck: set[int] = set()
        board = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                log.debug("tag board: " + format, *args)

            def _slot(self) -> int | None:
                parts = self.path.strip("/").split("/")
                if len(parts) == 2 and parts[0] == "slot" and parts[1].isdigit():
                    k = int(parts[1])
                    if 1 <= k <= len(TAGS):
                        return k - 1
                self._reply(HTTPStatus.NOT_FOUND, f"no output {self.path}\n")
                return None

            def _reply(self, status: HTTPStatus, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                k = self._slot()
                if k is not None:
                    self._reply(HTTPStatus.OK, "1" if board.slots[k] else "0")

            def do_PUT(self) -> None:
                k = self._slot()
                if k is None:
                    return
                size = min(int(self.headers.get("Content-Length") or 0), 16)
                value = self.rfile.read(size).decode("ascii", "replace").strip()
                if value not in ("0", "1"):
                    self._reply(HTTPStatus.BAD_REQUEST, "body 1 (arm down) or 0 (arm up)\n")
                    return
                board.move(k, value == "1")
                self._reply(HTTPStatus.OK, value)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="tag-board",
                                        daemon=True)

    @property
    def address(self) -> str:
        """Base URL of the board (the rig file appends ``/slot/<k>``)."""
        return f"http://{self.host}:{self.port}"

    def move(self, k: int, down: bool) -> None:
        """Arm ``k`` (0-based) down onto the reader or up; the charger sees it at this instant."""
        with self.bench.lock:
            if k not in self.stuck:
                self.slots[k] = down
            self.writes += 1
            self.bench.tag_uid = tag_on_reader(self.slots)
            self.bench.changed()

    def start(self) -> TagBoardServer:
        self._thread.start()
        log.info("tag presenter board (HTTP) on %s", self.address)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
