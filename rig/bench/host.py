"""Start and stop a whole emulated bench: model, instruments, LAN ports, console pty, CAN.

:class:`BenchHost` is what both ``rig bench serve`` (a standalone process) and the in-process
fixture start. Its :meth:`BenchHost.addresses` are what a rig file needs: VISA resource strings
for each instrument, the console's pseudo-terminal and the CAN channel, also exported as
``LG_BENCH_*`` variables that ``rigs/emulator.yaml`` reads with labgrid's ``!template``.

Charger-link faults (set through the control port, ``BENCH:FAULT:CONSOLE|CAN|OCPP``) sit between
the firmware and its links, so the firmware itself is untouched: the console's output garbled
(noise lines, corrupted bytes) or dropped (a mute console), extra CAN frames with a wrong length
or an unknown id, malformed OCPP-J frames sent in between the firmware's own.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import secrets
import select
import threading
import time
import tty
from pathlib import Path
from typing import Any

import can
from zapcharger.profile import ProfileError, load_profile

from rig.bench.bench import Bench, BenchError
from rig.bench.instruments.ac_load import AcLoad
from rig.bench.instruments.ac_source import AC6801B, Asterion
from rig.bench.instruments.chroma import Chroma19032
from rig.bench.instruments.control import BenchControl
from rig.bench.instruments.counter import Counter53220A
from rig.bench.instruments.ev_emulator import EvEmulator
from rig.bench.instruments.keithley import Keithley2450, Keithley6221
from rig.bench.instruments.scope import Scope
from rig.bench.instruments.wt333e import WT333E
from rig.bench.ocpp_link import OcppLink
from rig.bench.scpi import ScpiError
from rig.bench.tcp import ScpiServer
from rig.dut.canlink import open_can, private_channel

log = logging.getLogger(__name__)

#: Environment variable per address, read by ``rigs/emulator*.yaml``.
ENV_NAMES = {
    "ac1": "LG_BENCH_AC1",
    "ac3": "LG_BENCH_AC3",
    "pa": "LG_BENCH_PA",
    "smu": "LG_BENCH_SMU",
    "cs": "LG_BENCH_CS",
    "ev": "LG_BENCH_EV",
    "est": "LG_BENCH_EST",
    "cnt": "LG_BENCH_CNT",
    "ctrl": "LG_BENCH_CTRL",
    "console": "LG_BENCH_CONSOLE",
    "can_interface": "LG_BENCH_CAN_INTERFACE",
    "can_channel": "LG_BENCH_CAN_CHANNEL",
    "relay": "LG_BENCH_RELAY",
    "tags": "LG_BENCH_TAGS",
    "scope": "LG_BENCH_SCOPE",
    "load": "LG_BENCH_LOAD",
}
#: The control port's token, in the environment (and the env file of ``rig bench serve``).
TOKEN_ENV = "LG_BENCH_TOKEN"
_channel_ids = itertools.count(1)

CONSOLE_FAULTS = ("NONE", "GARBLE", "MUTE")
CAN_FAULTS = ("NONE", "BADLEN", "UNKNOWN")
OCPP_FAULTS = ("NONE", "MALFORMED")
#: GARBLE: a noise line before every line the firmware writes, and every CORRUPT_EVERY-th of
#: its lines with one byte destroyed (so some replies are lost, deterministically).
CORRUPT_EVERY = 4
#: The largest firmware image the emulated charger downloads, bytes.
FIRMWARE_IMAGE_MAX = 1 << 20
#: UNKNOWN: the id of the extra frames (no frame type of the charger's protocol).
UNKNOWN_CAN_ID = 0x7E5
#: MALFORMED: what the charger's link sends after each of the firmware's frames, in turn.
MALFORMED_FRAMES = (
    '{"not": "an OCPP-J frame"',  # not JSON at all
    "[2, 17, \"Heartbeat\", {}]",  # a unique id that is not a string
    '[2, "bench-malformed", "StatusNotification", {"connectorId": "one", "errorCode": 7}]',
    '"just a string"',
)


def noise_line(n: int) -> bytes:
    """Line noise on a UART: control characters and bytes that are not UTF-8 (deterministic)."""
    body = bytes(((n * 37 + i * 11) % 31) | 0x80 if i % 2 else (n + i) % 27 + 1
                 for i in range(12))
    return body.replace(b"\n", b"\x1b").replace(b"\r", b"\x1b") + b"\r\n"


def _default_channel(interface: str) -> str:
    """A channel no other bench uses: across processes a private ``udp_multicast`` group and
    port (``rig.dut.canlink``), in-process a unique ``virtual`` channel name."""
    if interface == "udp_multicast":
        return private_channel()
    return f"evse-rig-{os.getpid()}-{next(_channel_ids)}"


class BenchHost:
    """The emulated lab as a running service."""

    def __init__(
        self,
        profile_path: str | Path | None = None,
        overrides: dict[str, Any] | None = None,
        clock: str = "virtual",
        can_interface: str = "virtual",
        can_channel: str | None = None,
        ac_turns: int = 5,
        ocpp_url: str | None = None,
        token: str | None = None,
        relay_board: bool = False,
    ):
        self.profile_path = profile_path
        self.overrides: dict[str, Any] = dict(overrides or {})
        #: What ``BENCH:CHAR:RES`` returns to: the profile and overrides the bench started with.
        self.base_overrides: dict[str, Any] = dict(self.overrides)
        self.bench = Bench(load_profile(profile_path, self.overrides), clock=clock)
        self.can_interface = can_interface
        self.can_channel = can_channel or _default_channel(can_interface)
        self.ac_turns = ac_turns
        self.servers: dict[str, ScpiServer] = {}
        self.console_path = ""
        self._master_fd = -1
        self._slave_fd = -1
        self._bus: can.BusABC | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.console_dropped = 0
        #: Charger-link faults (``BENCH:FAULT:CONSOLE|CAN|OCPP``) and what they did so far.
        self.console_fault = "NONE"
        self.can_fault = "NONE"
        self.ocpp_fault = "NONE"
        self.console_lines = 0  # lines the firmware wrote while GARBLE was on
        self.console_muted = 0  # characters a MUTE console swallowed
        self.can_injected = 0
        self.ocpp_injected = 0
        #: The charger's OCPP websocket; ``ocpp_url`` (or BENCH:OCPP:URL) says where it goes.
        self.ocpp = OcppLink(self.bench)
        self.ocpp_url = ocpp_url
        #: What a client of the control port must show first (``BENCH:AUTH? "<token>"``): only
        #: the rig this bench was started for may cut its supply or change its charger.
        self.token = token or secrets.token_urlsafe(18)
        #: The Modbus TCP relay board of a bench built from common instruments (served only
        #: when asked: pymodbus costs half a second to import; rig.bench.relay_board).
        self.relay_board_wanted = relay_board
        self.relay_board: Any = None
        #: The tag presenter's relay board (HTTP, one relay per RFID tag; rig.bench.tag_board).
        self.tag_board: Any = None

    # ---- life cycle ----------------------------------------------------------------------
    def start(self) -> BenchHost:
        bench = self.bench
        devices = [
            AC6801B(bench), Asterion(bench), WT333E(bench), Keithley2450(bench),
            Keithley6221(bench, turns=self.ac_turns), EvEmulator(bench), Chroma19032(bench),
            Counter53220A(bench), Scope(bench), AcLoad(bench), BenchControl(self),
        ]
        for device in devices:
            token = self.token if device.key == "ctrl" else None
            self.servers[device.key] = ScpiServer(device.key, device, token=token).start()
        self.servers["ctrl"].before_message.append(self._settle_network)
        if self.relay_board_wanted:
            from rig.bench.relay_board import RelayBoardServer

            self.relay_board = RelayBoardServer(bench).start()
        from rig.bench.tag_board import TagBoardServer

        self.tag_board = TagBoardServer(bench).start()
        self._open_console()
        self._open_can()
        self._spawn("bench-watchdog", self._watchdog_loop)
        self.ocpp.start()
        self.bench.ocpp_sink = self._ocpp_write
        self.bench.fetch_sink = self._fetch
        if self.ocpp_url:
            self.ocpp.connect(self.ocpp_url)
        if bench.clock == "realtime":
            self._spawn("bench-realtime", self._realtime_loop)
        log.info("bench started: %s", self.addresses())
        return self

    def stop(self) -> None:
        """Close every port and end every thread; quick (well under a second), because
        ``rig bench serve`` must end soon after SIGTERM: the servers stop side by side."""
        self._stop.set()
        self.ocpp.stop()
        if self.relay_board is not None:
            self.relay_board.stop()
        if self.tag_board is not None:
            self.tag_board.stop()
        stoppers = [threading.Thread(target=server.stop, name=f"stop-{name}")
                    for name, server in self.servers.items()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)
        if self._bus is not None:
            with contextlib.suppress(Exception):
                self._bus.shutdown()
        for fd in (self._master_fd, self._slave_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master_fd = self._slave_fd = -1

    def __enter__(self) -> BenchHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # ---- addresses -----------------------------------------------------------------------
    def addresses(self) -> dict[str, str]:
        out = {name: srv.resource for name, srv in self.servers.items()}
        out["console"] = self.console_path
        out["can_interface"] = self.can_interface
        out["can_channel"] = self.can_channel
        if self.relay_board is not None:
            out["relay"] = self.relay_board.address
        if self.tag_board is not None:
            out["tags"] = self.tag_board.address
        return out

    def environment(self) -> dict[str, str]:
        """The ``LG_BENCH_*`` variables that point ``rigs/emulator.yaml`` at this bench, and
        the control port's token (``LG_BENCH_TOKEN``, read by the BENCH-CONTROL driver)."""
        env = {ENV_NAMES[k]: v for k, v in self.addresses().items() if k in ENV_NAMES}
        env[TOKEN_ENV] = self.token
        return env

    # ---- charger profile -----------------------------------------------------------------
    def apply_profile(self, overrides: dict[str, Any]) -> None:
        """Reload the charger with the base profile plus ``overrides`` (a power cycle)."""
        try:
            profile = load_profile(self.profile_path, overrides)
            self.bench.load_profile(profile)
        except (ProfileError, BenchError) as exc:
            raise ScpiError(-224, str(exc)) from None
        self.overrides = dict(overrides)

    # ---- console: a pseudo-terminal the rig opens with pyserial ---------------------------
    def _open_console(self) -> None:
        self._master_fd, self._slave_fd = os.openpty()
        tty.setraw(self._slave_fd)
        tty.setraw(self._master_fd)
        os.set_blocking(self._master_fd, False)
        self.console_path = os.ttyname(self._slave_fd)
        self.bench.console_sink = self._console_write
        self._spawn("bench-console", self._console_loop)

    def set_link_fault(self, link: str, mode: str) -> None:
        """``console`` NONE|GARBLE|MUTE, ``can`` NONE|BADLEN|UNKNOWN, ``ocpp`` NONE|MALFORMED."""
        modes = {"console": CONSOLE_FAULTS, "can": CAN_FAULTS, "ocpp": OCPP_FAULTS}[link]
        if mode not in modes:
            raise ValueError(f"{link} fault {mode!r}: one of {', '.join(modes)}")
        setattr(self, f"{link}_fault", mode)
        if link == "console":
            self.console_lines = 0

    def _console_write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        if self.console_fault == "MUTE":
            self.console_muted += len(text)  # the firmware talks, nothing leaves the UART
            return
        if self.console_fault == "GARBLE":
            data = self._garble(data)
        try:
            os.write(self._master_fd, data)
        except (BlockingIOError, OSError):
            self.console_dropped += len(text)  # nobody reads the console: the UART drops it

    def _garble(self, data: bytes) -> bytes:
        out = bytearray()
        for line in data.splitlines(keepends=True):
            self.console_lines += 1
            out += noise_line(self.console_lines)
            if self.console_lines % CORRUPT_EVERY == 0 and len(line.rstrip()) > 0:
                line = b"\xff" + line[1:]  # its first byte destroyed
            out += line
        return bytes(out)

    def _console_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master_fd], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(self._master_fd, 4096)
            except (OSError, ValueError):
                if self._stop.is_set():
                    return
                time.sleep(0.05)
                continue
            if not data:
                continue
            with self.bench.lock:
                self.bench.firmware.console_input(data.decode("utf-8", "replace"))
                self.bench.changed()

    # ---- CAN ----------------------------------------------------------------------------
    def _open_can(self) -> None:
        kwargs: dict[str, Any] = {"receive_own_messages": False}
        if self.can_interface == "virtual":
            kwargs["preserve_timestamps"] = True
        self._bus = open_can(self.can_interface, self.can_channel, **kwargs)
        self.bench.can_sink = self._can_write
        self._spawn("bench-can", self._can_loop)

    def _can_write(self, ident: int, data: bytes, now: float) -> None:
        if self._bus is None:
            return
        frames = [(ident, data)]
        if self.can_fault == "BADLEN":  # the same id again, with a wrong length
            frames.append((ident, data[:3] if len(data) > 3 else data + bytes(6)))
        elif self.can_fault == "UNKNOWN":  # an id the charger's protocol does not have
            frames.append((UNKNOWN_CAN_ID, bytes(range(8))))
        self.can_injected += len(frames) - 1
        for frame_id, payload in frames:
            msg = can.Message(arbitration_id=frame_id, data=payload, is_extended_id=False,
                              timestamp=now)
            with contextlib.suppress(can.CanError):
                self._bus.send(msg, timeout=0.01)

    def _ocpp_write(self, text: str) -> None:
        """The firmware's OCPP-J frame to its websocket; MALFORMED sends a bad one after it."""
        self.ocpp.sink(text)
        if self.ocpp_fault == "MALFORMED":
            self.ocpp.sink(MALFORMED_FRAMES[self.ocpp_injected % len(MALFORMED_FRAMES)])
            self.ocpp_injected += 1

    def _fetch(self, url: str) -> None:
        """The charger's HTTP client: download a firmware image in a thread of its own (the
        network runs on the wall clock) and hand it to the firmware that asked for it."""
        downloads = self.bench.downloads

        def download() -> None:
            import urllib.error
            import urllib.request

            data, error = None, ""
            try:
                if not url.startswith(("http://", "https://")):
                    raise ValueError(f"{url!r}: only http:// and https:// locations")
                with urllib.request.urlopen(url, timeout=10) as reply:
                    data = reply.read(FIRMWARE_IMAGE_MAX + 1)
                if len(data) > FIRMWARE_IMAGE_MAX:
                    data, error = None, f"{url}: image larger than {FIRMWARE_IMAGE_MAX} bytes"
            except (OSError, ValueError, urllib.error.URLError) as exc:
                error = f"{url}: {getattr(exc, 'reason', exc)}"
            with self.bench.lock:
                downloads.data, downloads.error = data, error
                self.bench.changed()

        self._spawn("bench-fetch", download)

    def _can_loop(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._bus.recv(timeout=0.2) if self._bus else None
            except (can.CanError, OSError, ValueError):
                if self._stop.is_set():
                    return
                continue
            if msg is None or msg.is_error_frame:
                continue
            with self.bench.lock:
                self.bench.firmware.can_receive(msg.arbitration_id, bytes(msg.data))
                self.bench.changed()

    # ---- wall-clock services: instrument watchdogs, the realtime clock ----------------------
    def _watchdog_loop(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            with self.bench.lock:
                for key in ("ac1", "ac3"):
                    src = self.bench.sources[key]
                    silent = now - self.servers[key].last_message_wall
                    if src.watchdog_on and src.output and silent > src.watchdog_delay_s:
                        src.output = False
                        src.watchdog_tripped = True
                        log.warning("%s watchdog expired after %.1f s: output off", key, silent)
                        self._open_interlock()
                        self.bench.changed()
                ev = self.bench.ev
                silent = now - self.servers["ev"].last_message_wall
                expired = ev.watchdog_on and silent > ev.watchdog_delay_s
                if expired and not ev.watchdog_tripped and (ev.state != "A" or ev.load_on):
                    ev.watchdog_tripped = True
                    ev.state, ev.resistance_ohm, ev.load_on = "A", None, False
                    self.bench.trace.add(self.bench.now, "WDOG", "EXPIRED")
                    log.warning("ev watchdog expired after %.1f s: state A, load off", silent)
                    self.bench.changed()

    def _settle_network(self, line: str) -> None:
        """Before virtual time moves, let the charger's OCPP exchange in flight finish.

        The websocket runs on the wall clock while bench time stands still; without this a
        busy machine could let bench time run past a reply that is on its way, so the charger
        would see a timeout, or act a step later, that an idle machine would not: the run would
        no longer be deterministic. With it, the network answers within the same bench instant.
        Only frames actually on the wire count (``OcppLink.in_flight``), and the wait is capped
        at a wall second, so a central system that never answers costs a second, not a hang."""
        if self.bench.clock != "virtual" or "ADV" not in line.upper():
            return
        deadline = time.monotonic() + 1.0
        while self.ocpp.connected and self.ocpp.in_flight and time.monotonic() < deadline:
            time.sleep(0.0005)

    def _open_interlock(self) -> None:
        """The residual-current sources have no watchdog of their own; on this bench (as on a
        real rig) their interlock inputs are wired through the supply's watchdog relay, so a
        host that died de-energises them together with the AC output."""
        for inj in self.bench.injectors.values():
            if inj.output:
                inj.output = False
                inj.ac_running = False
                self.bench.trace.add(self.bench.now, "RCI", "OFF")
                log.warning("interlock opened by the supply watchdog: residual current off")

    def _realtime_loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(0.002):
            now = time.monotonic()
            self.bench.advance(now - last)
            last = now
