"""The charger's CAN frames: decoding status, meter and identity frames (python-can).

Ids, lengths and bit layouts come from the charger's DBC file (``rig.dut.dbc``; the
ZapCharger's by default, another model's named by the rig file's ``CanBus: dbc:``), decoded by
cantools: ``0x100+n`` status, ``0x110+n`` meter, ``0x120+n`` identity, ``0x130+n`` version;
received ``0x200+n`` installation limit, ``0x210+n`` identity request (node id ``n``).

A bus carries what it carries: a frame of the charger's node with the wrong length, or an id
that is no frame of the protocol at all, is logged, counted (:attr:`ChargerCan.bad_frames`,
reasons in :attr:`ChargerCan.bad`) and never decoded. Frames of the protocol for another node
(a second charger on the bus) are logged and ignored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import can

from rig.dut.canlink import open_can
from rig.dut.dbc import CanProtocol, default_protocol
from rig.errors import ChargerLinkError

#: DBC message name of each frame the rig reads or sends.
STATUS_NAME, METER_NAME, IDENTITY_NAME, VERSION_NAME = "Status", "Meter", "Identity", "Version"
LIMIT_NAME, IDENTITY_REQUEST_NAME = "Limit", "IdentityRequest"
_BASE_NAMES = {"STATUS": STATUS_NAME, "METER": METER_NAME, "IDENTITY": IDENTITY_NAME,
               "VERSION": VERSION_NAME, "LIMIT": LIMIT_NAME,
               "IDENTITY_REQUEST": IDENTITY_REQUEST_NAME}


def __getattr__(name: str) -> Any:
    """``STATUS``, ``METER``, ... : base ids of the default DBC, read when first asked (a
    broken file is then a ConfigError where it is used, not an import error of the rig)."""
    if name in _BASE_NAMES:
        return default_protocol().base(_BASE_NAMES[name])
    if name == "FRAME_LENGTHS":
        return default_protocol().lengths()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _protocol(protocol: CanProtocol | None) -> CanProtocol:
    return protocol if protocol is not None else default_protocol()


def _check_length(protocol: CanProtocol, name: str, data: bytes) -> None:
    size = protocol.message(name).length
    if len(data) != size:
        raise ValueError(f"{name.lower()} frame needs {size} bytes, got {len(data)}")


def decode_status(data: bytes, protocol: CanProtocol | None = None) -> StatusFrame:
    p = _protocol(protocol)
    _check_length(p, STATUS_NAME, data)
    raw = p.message(STATUS_NAME).decode(bytes(data), decode_choices=False)
    v = p.decode(STATUS_NAME, data)
    letter_raw = int(raw["StateLetter"])
    letter = "ABCDEF"[letter_raw - 0xA] if 0xA <= letter_raw <= 0xF else "?"
    suffix = int(raw["StateSuffix"])
    colour = v["LedColour"] if isinstance(v["LedColour"], str) else "?"
    return StatusFrame(
        state=letter + (str(suffix) if suffix in (1, 2) else ""),
        contactor=bool(v["Contactor"]),
        lock=bool(v["Lock"]),
        pwm=bool(v["Pwm"]),
        rcd_tripped=bool(v["RcdTripped"]),
        fault=bool(v["Fault"]),
        current_a=float(v["AdvertisedCurrent"]),
        duty_pct=float(v["Duty"]),
        error_code=int(raw["ErrorCode"]),
        led=f"{colour}/{'flash' if v['LedFlashing'] else 'solid'}",
    )


def decode_meter(data: bytes, protocol: CanProtocol | None = None) -> MeterFrame:
    p = _protocol(protocol)
    _check_length(p, METER_NAME, data)
    v = p.decode(METER_NAME, data)
    return MeterFrame(int(v["Energy"]), float(v["CurrentL1"]), float(v["VoltageL1"]))


def decode_identity(data: bytes, protocol: CanProtocol | None = None) -> IdentityFrame:
    p = _protocol(protocol)
    _check_length(p, IDENTITY_NAME, data)
    raw = p.message(IDENTITY_NAME).decode(bytes(data), decode_choices=False)
    prefix = bytes(int(raw[f"SerialPrefix{i}"]) for i in (1, 2, 3)).decode("ascii", "replace")
    number = int(raw["SerialNumber"])
    serial = prefix + ("?" * 6 if number == 0xFFFFFFFF else f"{number:06d}")
    return IdentityFrame(serial, int(raw["FirmwareMajor"]))


class ChargerCan:
    """Listen to (and talk to) the charger on its CAN bus, in the frames of its DBC file."""

    def __init__(self, bus: can.BusABC, node_id: int = 1, name: str = "can",
                 protocol: CanProtocol | None = None):
        self.bus = bus
        self.node = node_id
        self.name = name
        self.protocol = _protocol(protocol)
        self._lengths = self.protocol.lengths()
        self.log: list[tuple[float, int, bytes]] = []
        self.bad_frames = 0
        #: Why each bad frame was ignored (the last 100).
        self.bad: list[str] = []

    def frame_id(self, name: str) -> int:
        """This charger's id of DBC message ``name``."""
        return self.protocol.base(name) + self.node

    def check(self, msg: can.Message) -> str | None:
        """Why a frame is not one of this charger's (None: it is)."""
        ident, size = msg.arbitration_id, len(msg.data)
        if msg.is_extended_id or msg.is_error_frame or msg.is_remote_frame:
            return f"frame 0x{ident:X}: not a standard data frame"
        mask = self.protocol.node_mask
        base, node = ident & ~mask, ident & mask
        if base not in self._lengths:
            return f"frame 0x{ident:03X}: unknown id"
        if node != self.node:
            return "other node"
        if size != self._lengths[base]:
            return f"frame 0x{ident:03X}: {size} bytes, {self._lengths[base]} expected"
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

    def latest(self, name: str | int, timeout_s: float = 2.0) -> bytes:
        """Data of the newest frame of DBC message ``name`` (or of base id ``name``), waiting
        up to ``timeout_s``."""
        if isinstance(name, int):
            message = self.protocol.by_base(name)
            if message is None:
                raise ValueError(f"0x{name:03X} is no message of {self.protocol.source}")
            name = str(message.name)
        ident = self.frame_id(name)
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
                f"{self.name}: no valid frame 0x{ident:03X} ({name}) within {timeout_s:g} s"
                f"{ignored}")
        return found

    def send(self, name: str, values: dict[str, Any] | None = None) -> None:
        """Send DBC message ``name`` to the charger, encoded from ``values`` by cantools."""
        data = self.protocol.encode(name, values or {})
        self.bus.send(can.Message(arbitration_id=self.frame_id(name), data=data,
                                  is_extended_id=False))

    def request_identity(self, timeout_s: float = 2.0) -> IdentityFrame:
        self.receive(0)
        self.send(IDENTITY_REQUEST_NAME)
        return decode_identity(self.latest(IDENTITY_NAME, timeout_s), self.protocol)

    def status(self, timeout_s: float = 2.0) -> StatusFrame:
        return decode_status(self.latest(STATUS_NAME, timeout_s), self.protocol)

    def meter(self, timeout_s: float = 2.0) -> MeterFrame:
        return decode_meter(self.latest(METER_NAME, timeout_s), self.protocol)

    def set_limit(self, current_a: float | None) -> None:
        """The installation's current limit (``None``: no limit, the value table's ``None``)."""
        self.send(LIMIT_NAME, {"InstallationLimit": "None" if current_a is None
                               else round(current_a, 1)})

    def close(self) -> None:
        self.bus.shutdown()


def open_bus(interface: str, channel: str, **kwargs: Any) -> can.BusABC:
    """Open a python-can bus with a rig error (not a traceback) when it cannot be opened."""
    try:
        return open_can(interface, channel, **kwargs)
    except Exception as exc:  # python-can raises many types per interface
        raise ChargerLinkError(f"cannot open CAN bus {interface}:{channel}: {exc}") from exc
