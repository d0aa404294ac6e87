"""CAN frames of the station (classic frames, little-endian): encoding and decoding only.

Ids are a base plus the node id ``n`` (``can.node_id``): sent ``0x100+n`` status, ``0x110+n``
meter, ``0x120+n`` identity, ``0x130+n`` version; received ``0x200+n`` installation limit and
``0x210+n`` identity request. Layouts are in the README; this module is the single source.
"""

from __future__ import annotations

import re
import struct

from zapcharger.hal import LED_COLOURS

STATUS, METER, IDENTITY, VERSION = 0x100, 0x110, 0x120, 0x130
SET_LIMIT, ID_REQUEST = 0x200, 0x210
LIMIT_NONE = 0xFFFF
FLAG_CONTACTOR, FLAG_LOCK, FLAG_PWM, FLAG_RCD, FLAG_FAULT = 1, 2, 4, 8, 16

_SERIAL = re.compile(r"^([A-Za-z]{3})(\d{6})$")


def _u16(value: float) -> int:
    return max(0, min(0xFFFF, round(value)))


def state_byte(state: str) -> int:
    """``"C2"`` -> 0xC2; ``"E"`` -> 0xE0; ``"BOOT"`` (CP at -12 V, state F) -> 0xF0."""
    if state in ("BOOT", "OFF"):
        return 0xF0
    letter = state[:1]
    if letter not in "ABCDEF" or not letter:
        return 0x00
    suffix = int(state[1]) if len(state) > 1 and state[1] in "12" else 0
    return (0xA + "ABCDEF".index(letter)) << 4 | suffix


def led_byte(colour: str, pattern: str) -> int:
    """Colour index in ``hal.LED_COLOURS`` shifted left, bit 0 set when flashing."""
    index = LED_COLOURS.index(colour) if colour in LED_COLOURS else 0
    return index << 1 | (1 if pattern == "flash" else 0)


def encode_status(
    state: str,
    flags: int,
    current_a: float,
    duty_pct: float | None,
    error_code: int,
    led_colour: str,
    led_pattern: str,
) -> bytes:
    """Status frame: state, flags, advertised current x10, duty x10 (1000 = off), error, LED."""
    duty = 1000 if duty_pct is None else _u16(duty_pct * 10.0)
    return struct.pack(
        "<BBHHBB",
        state_byte(state),
        flags & 0xFF,
        _u16(current_a * 10.0),
        duty,
        max(0, min(0xFF, error_code)),
        led_byte(led_colour, led_pattern),
    )


def encode_meter(register_wh: float, current_l1_a: float, voltage_l1_v: float) -> bytes:
    """Meter frame: energy register Wh (uint32), L1 current x100, L1 voltage x10."""
    energy = max(0, min(0xFFFFFFFF, int(register_wh)))
    return struct.pack("<IHH", energy, _u16(current_l1_a * 100.0), _u16(voltage_l1_v * 10.0))


def version_numbers(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) from the leading numbers of a version string (missing -> 0)."""
    numbers = [int(x) for x in re.findall(r"\d+", version.split("+")[0].split("-")[0])[:3]]
    numbers += [0] * (3 - len(numbers))
    return (min(numbers[0], 255), min(numbers[1], 255), min(numbers[2], 255))


def encode_identity(serial: str, firmware: str) -> bytes:
    """Identity frame: 3 ASCII letters, the 6-digit number (uint32), firmware major."""
    m = _SERIAL.match(serial)
    if m:
        prefix, number = m.group(1).encode("ascii"), int(m.group(2))
    else:
        prefix = serial.encode("ascii", "replace")[:3].ljust(3, b"\0")
        number = 0xFFFFFFFF
    return prefix + struct.pack("<IB", number, version_numbers(firmware)[0])


def encode_version(firmware: str) -> bytes:
    """Version frame: major, minor, patch, then five reserved zero bytes."""
    return bytes(version_numbers(firmware)) + bytes(5)


def decode_limit(data: bytes) -> float | None:
    """Installation limit frame -> A (``None`` = no limit); ``ValueError`` on a wrong length."""
    if len(data) != 2:
        raise ValueError(f"limit frame needs 2 bytes, got {len(data)}")
    (raw,) = struct.unpack("<H", data)
    return None if raw == LIMIT_NONE else raw / 10.0
