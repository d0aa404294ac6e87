"""CAN frames of the station, encoded and decoded through the product's DBC file (cantools).

**Why a DBC file.** The frames are the product's contract with whatever sits on its bus (the
installation's controller, a test rig, a fleet logger). A DBC file is how the CAN world writes
such a contract down: every tool (cantools, Vector CANdb++, SavvyCAN, Wireshark) reads it, and
the rig reads the very same file (``rig.dut.can``), so firmware and rig cannot drift apart.
``can/zapcharger.dbc`` is the single source: ids, lengths, bit positions, scales, value tables.
This module only maps the firmware's values to the DBC's signals.

Ids are the DBC's base ids plus the node id ``n`` (``can.node_id``) in the low ``NodeIdBits``
bits (a database attribute of the file): sent ``0x100+n`` status, ``0x110+n`` meter,
``0x120+n`` identity, ``0x130+n`` version; received ``0x200+n`` installation limit and
``0x210+n`` identity request.

A missing or malformed DBC file is a :class:`DbcError` naming the file and what is wrong; the
firmware loads it when it is built, so a broken file never surfaces mid-charge.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import cantools
from cantools.database.can import Database, Message

from zapcharger.hal import LED_COLOURS

#: The product's CAN description (shipped with the package).
DBC_FILE = Path(__file__).with_name("can") / "zapcharger.dbc"
#: Messages (by DBC name) and the signals the firmware fills; the file must have all of them.
MESSAGES: dict[str, tuple[str, ...]] = {
    "Status": ("StateSuffix", "StateLetter", "Contactor", "Lock", "Pwm", "RcdTripped", "Fault",
               "AdvertisedCurrent", "Duty", "ErrorCode", "LedFlashing", "LedColour"),
    "Meter": ("Energy", "CurrentL1", "VoltageL1"),
    "Identity": ("SerialPrefix1", "SerialPrefix2", "SerialPrefix3", "SerialNumber",
                 "FirmwareMajor"),
    "Version": ("Major", "Minor", "Patch"),
    "Limit": ("InstallationLimit",),
    "IdentityRequest": (),
}
FLAG_CONTACTOR, FLAG_LOCK, FLAG_PWM, FLAG_RCD, FLAG_FAULT = 1, 2, 4, 8, 16
_FLAG_SIGNALS = (("Contactor", FLAG_CONTACTOR), ("Lock", FLAG_LOCK), ("Pwm", FLAG_PWM),
                 ("RcdTripped", FLAG_RCD), ("Fault", FLAG_FAULT))

_SERIAL = re.compile(r"^([A-Za-z]{3})(\d{6})$")


class DbcError(ValueError):
    """The DBC file is missing, unreadable, or lacks what the firmware needs."""

    def __init__(self, path: Path | str, what: str):
        self.path, self.what = str(path), what
        super().__init__(f"{path}: {what}")


def load_database(path: Path | str = DBC_FILE) -> Database:
    """Read and check a DBC file: every message and signal of :data:`MESSAGES` must be there."""
    try:
        db = cantools.database.load_file(str(path), database_format="dbc", strict=True)
    except FileNotFoundError:
        raise DbcError(path, "no such file (the product's CAN description)") from None
    except OSError as exc:
        raise DbcError(path, f"cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # cantools raises ParseError, UnsupportedDatabaseFormatError, ...
        detail = " ".join(str(exc).split())[:300]
        raise DbcError(path, f"not a valid DBC file ({detail})") from None
    if not isinstance(db, Database):
        raise DbcError(path, "not a CAN database")
    for name, signals in MESSAGES.items():
        try:
            message = db.get_message_by_name(name)
        except KeyError:
            raise DbcError(path, f"message {name!r} missing (the firmware sends or reads it)"
                           ) from None
        have = {s.name for s in message.signals}
        missing = [s for s in signals if s not in have]
        if missing:
            raise DbcError(path, f"message {name!r}: signal(s) {', '.join(missing)} missing")
    return db


@functools.cache
def database() -> Database:
    """The product's DBC (read once per process)."""
    return load_database(DBC_FILE)


def _message(name: str) -> Message:
    return database().get_message_by_name(name)


def base_id(name: str) -> int:
    """Frame id of message ``name`` for node 0."""
    return int(_message(name).frame_id)


def _u16(value: float) -> int:
    return max(0, min(0xFFFF, round(value)))


def _scaled(value: float, scale: float, raw_max: int = 0xFFFF) -> float:
    """``value`` clamped to what ``raw_max`` raw counts of ``scale`` can hold."""
    return max(0.0, min(raw_max, round(value / scale))) * scale


def state_fields(state: str) -> tuple[int, int]:
    """(letter, suffix): ``"C2"`` -> (0xC, 2); ``"E"`` -> (0xE, 0); ``"BOOT"`` -> (0xF, 0)."""
    if state in ("BOOT", "OFF"):
        return 0xF, 0
    letter = state[:1]
    if not letter or letter not in "ABCDEF":
        return 0, 0
    suffix = int(state[1]) if len(state) > 1 and state[1] in "12" else 0
    return 0xA + "ABCDEF".index(letter), suffix


@functools.lru_cache(maxsize=256)
def encode_status(
    state: str,
    flags: int,
    current_a: float,
    duty_pct: float | None,
    error_code: int,
    led_colour: str,
    led_pattern: str,
) -> bytes:
    """Status frame: state, flags, advertised current, duty (100 % = off), error, LED.

    Cached: the periodic frame repeats the same content most of the time, and cantools
    encodes a 12-signal frame in about 0.1 ms."""
    letter, suffix = state_fields(state)
    values: dict[str, Any] = {name: int(bool(flags & bit)) for name, bit in _FLAG_SIGNALS}
    values.update(
        StateLetter=letter,
        StateSuffix=suffix,
        AdvertisedCurrent=_scaled(current_a, _scale("Status", "AdvertisedCurrent")),
        Duty=100.0 if duty_pct is None else _scaled(duty_pct, _scale("Status", "Duty")),
        ErrorCode=max(0, min(0xFF, error_code)),
        LedFlashing=1 if led_pattern == "flash" else 0,
        LedColour=LED_COLOURS.index(led_colour) if led_colour in LED_COLOURS else 0,
    )
    return bytes(_message("Status").encode(values))


def encode_meter(register_wh: float, current_l1_a: float, voltage_l1_v: float) -> bytes:
    """Meter frame: energy register Wh, L1 current and voltage (clamped at 0)."""
    return _meter_raw(max(0, min(0xFFFFFFFF, int(register_wh))),
                      _u16(current_l1_a / _scale("Meter", "CurrentL1")),
                      _u16(voltage_l1_v / _scale("Meter", "VoltageL1")))


@functools.lru_cache(maxsize=64)
def _meter_raw(energy: int, current: int, voltage: int) -> bytes:
    """The meter frame from raw counts, cached: an idle station (most stations of an
    installation, most of a day) sends the same frame every period, and cantools costs tens of
    microseconds a frame (bench/can_codec.py)."""
    return bytes(_message("Meter").encode(
        {"Energy": energy, "CurrentL1": current, "VoltageL1": voltage}, scaling=False,
        strict=False))  # the counts are clamped to the signals' 32/16 bits above


@functools.cache
def _scale(message: str, signal: str) -> float:
    """The DBC's scale of ``signal`` (physical value per count), read once."""
    return float(_message(message).get_signal_by_name(signal).scale)


def version_numbers(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) from the leading numbers of a version string (missing -> 0)."""
    numbers = [int(x) for x in re.findall(r"\d+", version.split("+")[0].split("-")[0])[:3]]
    numbers += [0] * (3 - len(numbers))
    return (min(numbers[0], 255), min(numbers[1], 255), min(numbers[2], 255))


def encode_identity(serial: str, firmware: str) -> bytes:
    """Identity frame: 3 ASCII letters, the 6-digit number, firmware major; a serial of another
    form: its first 3 bytes (NUL padded) and the number 0xFFFFFFFF."""
    m = _SERIAL.match(serial)
    if m:
        prefix, number = m.group(1).encode("ascii"), int(m.group(2))
    else:
        prefix = serial.encode("ascii", "replace")[:3].ljust(3, b"\0")
        number = 0xFFFFFFFF
    return bytes(_message("Identity").encode({
        "SerialPrefix1": prefix[0], "SerialPrefix2": prefix[1], "SerialPrefix3": prefix[2],
        "SerialNumber": number, "FirmwareMajor": version_numbers(firmware)[0],
    }))


def encode_version(firmware: str) -> bytes:
    """Version frame: major, minor, patch; the rest zero."""
    major, minor, patch = version_numbers(firmware)
    return bytes(_message("Version").encode({"Major": major, "Minor": minor, "Patch": patch}))


def decode_limit(data: bytes) -> float | None:
    """Installation limit frame -> A (``None`` = no limit); ``ValueError`` on a wrong length."""
    message = _message("Limit")
    if len(data) != message.length:
        raise ValueError(f"limit frame needs {message.length} bytes, got {len(data)}")
    value = message.decode(bytes(data), decode_choices=True)["InstallationLimit"]
    if not isinstance(value, (int, float)):  # the value table's "None" (0xFFFF)
        return None
    return round(float(value), 1)
