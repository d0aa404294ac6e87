"""The charger's CAN frames: decoding status, meter and identity frames (python-can).

Frame layout (little-endian), node id ``n``; documented in firmware-under-test/README.md:
``0x100+n`` status, ``0x110+n`` meter, ``0x120+n`` identity, ``0x130+n`` version; received
``0x200+n`` installation limit, ``0x210+n`` identity request.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

import can

from rig.errors import ChargerLinkError

LED_COLOURS = ("off", "green", "blue", "yellow", "red", "purple")


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

    def receive(self, timeout_s: float = 0.1) -> list[can.Message]:
        """Drain what has arrived (waiting at most ``timeout_s`` for the first frame)."""
        out = []
        msg = self.bus.recv(timeout=timeout_s)
        while msg is not None:
            self.log.append((time.time(), msg.arbitration_id, bytes(msg.data)))
            out.append(msg)
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
            raise ChargerLinkError(f"{self.name}: no frame 0x{ident:03X} within {timeout_s:g} s")
        return found

    def request_identity(self, timeout_s: float = 2.0) -> IdentityFrame:
        self.receive(0)
        self.bus.send(can.Message(arbitration_id=0x210 + self.node, data=b"", is_extended_id=False))
        return decode_identity(self.latest(0x120, timeout_s))

    def status(self, timeout_s: float = 2.0) -> StatusFrame:
        return decode_status(self.latest(0x100, timeout_s))

    def set_limit(self, current_a: float | None) -> None:
        raw = 0xFFFF if current_a is None else round(current_a * 10)
        self.bus.send(
            can.Message(
                arbitration_id=0x200 + self.node, data=struct.pack("<H", raw),
                is_extended_id=False,
            )
        )

    def close(self) -> None:
        self.bus.shutdown()


def open_bus(interface: str, channel: str, **kwargs: Any) -> can.BusABC:
    """Open a python-can bus with a rig error (not a traceback) when it cannot be opened."""
    try:
        return can.Bus(interface=interface, channel=channel, **kwargs)
    except Exception as exc:  # python-can raises many types per interface
        raise ChargerLinkError(f"cannot open CAN bus {interface}:{channel}: {exc}") from exc
