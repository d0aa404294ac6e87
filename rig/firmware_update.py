"""Bring the charger to the firmware a run certifies, the way a backend does: OCPP UpdateFirmware.

The firmware under test is chosen, not assumed. Before the plan, :func:`bring_to_build` serves
the build's image from an HTTP server the rig starts (:class:`FirmwareServer`, 127.0.0.1, a free
port), sends the charger ``UpdateFirmware`` with its URL through the rig's central system, and
follows what a charger must do: ``FirmwareStatusNotification`` Downloading (status LED purple),
Downloaded, Installing, Installed, a reboot, and a ``BootNotification`` that reports the new
version, which the console must confirm. A download or an install that fails, a charger that
never asks for the image, or one that comes back with another version is a
:class:`FirmwareUpdateError` (a rig ERROR of the run, with the reason): the plan never
certifies a firmware other than the one asked for.

For the emulated charger an image is a build file of ``firmware-under-test/builds/`` (version
and profile); a real charger's image is its binary, served the same way.
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.errors import RigError

#: Rig time allowed for download, install, reboot and boot, s (the charger boots in ~150 s).
UPDATE_TIMEOUT_S = 600.0
DONE = ("Installed", "DownloadFailed", "InstallationFailed")
RETRIEVE_NOW = "2000-01-01T00:00:00Z"


class FirmwareUpdateError(RigError):
    """The charger could not be brought to the requested firmware."""


class FirmwareServer:
    """Serves firmware images over HTTP on 127.0.0.1 (``url(name)``) and logs every request."""

    def __init__(self, images: dict[str, bytes], host: str = "127.0.0.1"):
        self.images = dict(images)
        self.requests: list[tuple[str, int]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                body = server.images.get(name)
                code = 200 if body is not None else 404
                server.requests.append((self.path, code))
                self.send_response(code)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="firmware-http",
                                        daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/firmware/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=2)


@dataclass
class UpdateResult:
    """What the update did, for the verdicts file and the report."""

    build: str
    requested: str
    before: str
    after: str
    statuses: list[str] = field(default_factory=list)
    led_while_downloading: str | None = None
    url: str = ""
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def bring_to_build(rig: Any, csms: Any, charger: Any, build: Any, image: bytes,
                   timeout_s: float = UPDATE_TIMEOUT_S) -> UpdateResult:
    """Update the charger to ``build`` (``rig.builds.Build``) with ``image`` (see module doc).

    ``charger`` is a ``fixtures.charger.Charger``; ``csms`` the ``csms`` fixture's handle."""
    from ocpp.v16 import call

    clock, console, ev = rig.clock, rig.console, rig.instrument("ev")
    charger.ensure_ready()
    if not csms.wait_connected(10.0):
        raise FirmwareUpdateError("firmware update: the charger is not connected to the rig's "
                                  "OCPP central system")
    before = console.firmware()
    result = UpdateResult(build.name, build.firmware, before, before)
    if before == build.firmware:
        result.skipped = True
        return result
    name = f"{build.name}.yaml"
    server = FirmwareServer({name: image})
    try:
        result.url = server.url(name)
        mark = csms.mark()
        # a retrieve date in the past means "now" to any charger, whatever its clock says
        # (the emulated charger's runs on bench time)
        csms.call(call.UpdateFirmware(location=result.url, retrieve_date=RETRIEVE_NOW))

        def statuses() -> list[str]:
            return [m.payload.get("status") for m in
                    csms.messages("FirmwareStatusNotification", "in", since=mark)]

        def progressed() -> bool:
            seen = statuses()
            if "Downloading" in seen and "Downloaded" not in seen and \
                    result.led_while_downloading is None:
                result.led_while_downloading = "/".join(ev.led())
            return any(s in DONE for s in seen)

        finished = clock.wait_until(progressed, timeout_s, poll=0.5)
        result.statuses = statuses()
        asked = ", ".join(f"{path} -> HTTP {code}" for path, code in server.requests) or \
            "the charger never asked the server for it"
        if not finished:
            raise FirmwareUpdateError(
                f"firmware update to {build.firmware} ({build.name}): no end within "
                f"{timeout_s:g} s; FirmwareStatusNotification so far: {result.statuses or 'none'};"
                f" {asked}")
        failed = [s for s in result.statuses if s in ("DownloadFailed", "InstallationFailed")]
        if failed:
            raise FirmwareUpdateError(
                f"firmware update to {build.firmware} ({build.name}) failed: {failed[0]}"
                f"{_charger_says(console)} (image {result.url}: {asked})")
    finally:
        server.close()

    def booted() -> Any:
        return csms.find("BootNotification", mark,
                         where=lambda m: m.payload.get("firmwareVersion") == build.firmware)

    if not clock.wait_until(booted, timeout_s, poll=1.0):
        boots = [m.payload.get("firmwareVersion") for m in
                 csms.messages("BootNotification", "in", since=mark)]
        raise FirmwareUpdateError(
            f"firmware update to {build.firmware}: Installed, but no BootNotification with "
            f"that version within {timeout_s:g} s (versions reported: {boots or 'none'})")
    charger.ensure_ready()
    result.after = console.firmware()
    if result.after != build.firmware:
        raise FirmwareUpdateError(f"firmware update to {build.firmware}: the console reports "
                                  f"{result.after}")
    return result


def _charger_says(console: Any) -> str:
    """The charger's own reason, from its console's event lines (``# update failed: ...``)."""
    try:
        console.firmware()  # reading the console collects the events it printed meanwhile
    except RigError:
        pass
    said = [e for e in console.log.events if "update failed" in e]
    return f"; the charger says: {said[-1].split('update failed:', 1)[-1].strip()}" if said else ""


def build_image(build: Any) -> bytes:
    """The image of a build of the emulated charger: its build file."""
    return Path(build.source).read_bytes()
