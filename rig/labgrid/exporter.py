"""``python -m rig.labgrid.exporter``: labgrid's exporter with the rig's resources registered.

labgrid's ``labgrid-exporter`` takes no plugins, so it cannot know the rig's resource classes;
this is the same program (``labgrid.remote.exporter.main``, the same options and config file)
after two export kinds are registered:

* ``ScpiInstrument``, ``CanBus``, ``OcppCentralSystem``: checked on the exporter with the very
  classes the client builds (``rig.labgrid.resources``), so a wrong field fails when the
  exporter starts, naming the resource; mappings (accuracy, driver options) are sent as JSON
  text, because a coordinator carries resource parameters as scalars only.
* ``ChargerConsolePort``: the charger's console (a local serial device, here the bench's pty)
  shared over TCP while a place holds it, the way a lab's console server does: a raw TCP port on
  the exporter's ``--hostname`` address, one client at a time; the client sees a labgrid
  ``NetworkSerialPort`` (``protocol: raw``) and opens it with labgrid's ``SerialDriver``. No
  ser2net needed (labgrid's own ``RawSerialPort`` export runs ser2net, which listens on every
  address of the host).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import socket
import sys
import termios
import threading
import tty
from typing import Any

import attr
from labgrid.remote import exporter as lg_exporter

import rig.labgrid  # noqa: F401  (registers the resource classes)
from rig.labgrid import resources

log = logging.getLogger(__name__)


def _wire(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


@attr.s(eq=False)
class RigResourceExport(lg_exporter.ResourceExport):
    """One of the rig's resources, validated here and passed on as it is."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        cls = getattr(resources, self.cls)
        self.local = cls(target=None, name=None, **self.local_params)

    def _get_params(self) -> dict[str, Any]:
        return {k: _wire(v) for k, v in self.local_params.items()}


@attr.s(eq=False)
class ChargerConsolePort(resources.Resource):
    """The charger's console on the exporter's host: a serial device (or the bench's pty)."""

    port = attr.ib(validator=attr.validators.instance_of(str))
    speed = attr.ib(default=115200, validator=attr.validators.instance_of(int))


class ConsoleBridge:
    """A TCP port that is the serial device: bytes both ways, one client at a time."""

    def __init__(self, device: str, host: str):
        self.device = device
        self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        with contextlib.suppress(termios.error):
            tty.setraw(self.fd)
        self.server = socket.create_server((host, 0))
        self.port = int(self.server.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"console-{self.port}",
                                        daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.server], [], [], 0.2)
            if not ready:
                continue
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                self._pump(conn)

    def _pump(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([conn, self.fd], [], [], 0.2)
            try:
                if conn in ready:
                    data = conn.recv(4096)
                    if not data:
                        return  # the client closed: wait for the next one
                    os.write(self.fd, data)
                if self.fd in ready:
                    with contextlib.suppress(BlockingIOError):
                        conn.sendall(os.read(self.fd, 4096))
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.server.close()
        self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self.fd)


@attr.s(eq=False)
class ConsolePortExport(lg_exporter.ResourceExport):
    """Exports a :class:`ChargerConsolePort` as a ``NetworkSerialPort`` (raw TCP) while the
    place that holds it is acquired."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.local = ChargerConsolePort(target=None, name=None, **self.local_params)
        self.data["cls"] = "NetworkSerialPort"
        self.bridge: ConsoleBridge | None = None

    def _get_start_params(self) -> dict[str, Any]:
        return {"path": self.local.port}

    def _get_params(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.bridge.port if self.bridge else None,
                "speed": self.local.speed, "protocol": "raw",
                "extra": {"path": self.local.port}}

    def _start(self, start_params: dict[str, Any]) -> None:
        self.bridge = ConsoleBridge(start_params["path"], self.host)

    def _stop(self, start_params: dict[str, Any]) -> None:
        bridge, self.bridge = self.bridge, None
        if bridge is not None:
            bridge.close()


def register() -> None:
    for name in ("ScpiInstrument", "CanBus", "OcppCentralSystem"):
        lg_exporter.exports[name] = RigResourceExport
    lg_exporter.exports["ChargerConsolePort"] = ConsolePortExport


def main() -> None:
    register()
    sys.argv[0] = "rig-labgrid-exporter"
    lg_exporter.main()


if __name__ == "__main__":
    main()
