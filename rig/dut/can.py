"""The charger's CAN frames: decoding status, meter and identity frames (python-can).

Frame layout (little-endian), node id ``n``; documented in firmware-under-test/README.md:
``0x100+n`` status, ``0x110+n`` meter, ``0x120+n`` identity, ``0x130+n`` version; received
``0x200+n`` installation limit, ``0x210+n`` identity request.

A bus carries what it carries: a frame of the charger's node with the wrong length, or an id
that is no frame of the protocol at all, is logged, counted (:attr:`ChargerCan.bad_frames`,
reasons in :attr:`ChargerCan.bad`) and never decoded. Frames of the protocol for another node
(a second charger on the bus) are logged and ignored.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

import can

from rig.dut.canlink import open_can
from rig.errors import ChargerLinkError

LED_COLOURS = ("off", "green", "blue", "yellow", "red", "purple")
STATUS, METER, IDENTITY, VERSION = 0x100, 0x110, 0x120, 0x130
LIMIT, IDENTITY_REQUEST = 0x200, 0x210
#: Data length of each frame type of the protocol (by base id).
FRAME_LENGTHS = {STATUS: 8, METER: 8, IDENTITY: 8, VERSION: 8, LIMIT: 2, IDENTITY_REQUEST: 0}


@dataclass(frozen=True)
class StatusFrame:
    state: str  # e.g. "C2", "A1", "E"
    contactor: bool
    lock: bool
    pwm: bool
    rcd_tripped: bool
    fault: bool
    current_a: float
    duty_pct: float
    error_code: int
    led: str  # "blue/flash"


@dataclass(frozen=True)
class MeterFrame:
    energy_wh: int
    current_l1_a: float
    voltage_l1_v: float


@dataclass(frozen=True)
class IdentityFrame:
    serial: str
    firmware_major: int


def decode_status(data: bytes) -> StatusFrame:
    if len(data) != 8:
        raise ValueError(f"status frame needs 8 bytes, got {len(data)}")
    state_byte, flags = data[0], data[1]
    current, duty = struct.unpack_from("<HH", data, 2)
    letter = "ABCDEF"[(state_byte >> 4) - 0xA] if 0xA <= state_byte >> 4 <= 0xF else "?"
    x = state_byte & 0x0F
    state = letter + (str(x) if x in (1, 2) else "")
    led_byte = data[7]
    colour = LED_COLOURS[led_byte >> 1] if (led_byte >> 1) < len(LED_COLOURS) else "?"
    return StatusFrame(
        state=state,
        contactor=bool(flags & 1),
        lock=bool(flags & 2),
        pwm=bool(flags & 4),
        rcd_tripped=bool(flags & 8),
        fault=bool(flags & 16),
        current_a=current / 10,
        duty_pct=duty / 10,
        error_code=data[6],
        led=f"{colour}/{'flash' if led_byte & 1 else 'solid'}",
    )


def decode_meter(data: bytes) -> MeterFrame:
    if len(data) != 8:
        raise ValueError(f"meter frame needs 8 bytes, got {len(data)}")
    energy, current, voltage = struct.unpack("<IHH", data)
    return MeterFrame(energy, current / 100, voltage / 10)


def decode_identity(data: bytes) -> IdentityFrame:
    if len(data) != 8:
        raise ValueError(f"identity frame needs 8 bytes, got {len(data)}")
    prefix = data[:3].decode("ascii", "replace")
    (number,) = struct.unpack_from("<I", data, 3)
    serial = prefix + ("?" * 6 if number == 0xFFFFFFFF else f"{number:06d}")
    return IdentityFrame(serial, data[7])


class ChargerCan:
    """Listen to (and talk to) the charger on its CAN bus."""

    def __init__(self, bus: can.BusABC, node_id: int = 1, name: str = "can"):
        self.bus = bus
        self.node = node_id
        self.name = name
        self.log: list[tuple[float, int, bytes]] = []
        self.bad_frames = 0
        #: Why each bad frame was ignored (the last 100).
        self.bad: list[str] = []

    def check(self, msg: can.Message) -> str | None:
        """Why a frame is not one of this charger's (None: it is)."""
        ident, size = msg.arbitration_id, len(msg.data)
        if msg.is_extended_id or msg.is_error_frame or msg.is_remote_frame:
            return f"frame 0x{ident:X}: not a standard data frame"
        base, node = ident & ~0xF, ident & 0xF
        if base not in FRAME_LENGTHS:
            return f"frame 0x{ident:03X}: unknown id"
        if node != self.node:
            return "other node"
        if size != FRAME_LENGTHS[base]:
            return f"frame 0x{ident:03X}: {size} bytes, {FRAME_LENGTHS[base]} expected"
        return None

    def receive(self, timeout_s: float = 0.1) -> list[can.Message]:
        """Drain what has arrived (waiting at most ``timeout_s`` for the first frame); only the
        charger's valid frames are returned, every frame is logged."""
        out = []
        msg = self.bus.recv(timeout=timeout_s)
        while msg is not None:
            self.log.append((time.time(), msg.arbitration_id, bytes(msg.data)))
            problem = self.check(msg)
            if problem is None:
                out.append(msg)
            elif problem != "other node":
                self.bad_frames += 1
                self.bad.append(problem)
                del self.bad[:-100]
            msg = self.bus.recv(timeout=0)
        return out

    def latest(self, base_id: int, timeout_s: float = 2.0) -> bytes:
        """Data of the newest frame with id ``base_id + node`` (waiting up to ``timeout_s``)."""
        ident = base_id + self.node
        deadline = time.monotonic() + timeout_s
        found: bytes | None = None
        while True:
            for msg in self.receive(0.05):
                if msg.arbitration_id == ident:
                    found = bytes(msg.data)
            if found is not None or time.monotonic() > deadline:
                break
        if found is None:
            ignored = f" ({self.bad_frames} bad frames ignored so far)" if self.bad_frames else ""
            raise ChargerLinkError(
                f"{self.name}: no valid frame 0x{ident:03X} within {timeout_s:g} s{ignored}")
        return found

    def request_identity(self, timeout_s: float = 2.0) -> IdentityFrame:
        self.receive(0)
        self.bus.send(can.Message(arbitration_id=IDENTITY_REQUEST + self.node, data=b"",
                                  is_extended_id=False))
        return decode_identity(self.latest(IDENTITY, timeout_s))

    def status(self, timeout_s: float = 2.0) -> StatusFrame:
        return decode_status(self.latest(STATUS, timeout_s))

    def meter(self, timeout_s: float = 2.0) -> MeterFrame:
        return decode_meter(self.latest(METER, timeout_s))

    def set_limit(self, current_a: float | None) -> None:
        raw = 0xFFFF if current_a is None else round(current_a * 10)
        self.bus.send(
            can.Message(
                arbitration_id=LIMIT + self.node, data=struct.pack("<H", raw),
                is_extended_id=False,
            )
        )

    def close(self) -> None:
        self.bus.shutdown()


def open_bus(interface: str, channel: str, **kwargs: Any) -> can.BusABC:
    """Open a python-can bus with a rig error (not a traceback) when it cannot be opened."""
    try:
        return open_can(interface, channel, **kwargs)
    except Exception as exc:  # python-can raises many types per interface
        raise ChargerLinkError(f"cannot open CAN bus {interface}:{channel}: {exc}") from exc
