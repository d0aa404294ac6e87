"""Run a firmware written in C behind the HAL: the loader of ``include/evse_hal.h``.

A firmware team builds its state machine for the host as a shared library exporting the C ABI
of ``firmware-under-test/include/evse_hal.h`` and names it in the profile
(``firmware_entry: "c:build/libmyfw.so"``). :func:`c_firmware_class` returns a class with the
:class:`zapcharger.hal.Firmware` protocol whose instances own one C instance each: before every
call into C the inputs of :class:`~zapcharger.hal.HalIo` are copied into the C ``evse_inputs``
struct, after it the C ``evse_outputs`` are copied back, so the bench cannot tell it from a
Python firmware.

Why ctypes and not cffi: the ABI is a handful of plain structs and functions, ctypes ships with
Python, and the structs below are checked against the header by compiling it
(``tests/test_cabi.py``), which is the check cffi's parser would otherwise give.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from zapcharger.hal import CP_MODES, LED_COLOURS, LED_PATTERNS, FirmwareOptionError, HalIo

#: The ABI version this loader speaks (``EVSE_HAL_ABI_VERSION`` of the header).
ABI_VERSION = 1
#: Where the header lives (for messages and the docs).
HEADER = Path(__file__).resolve().parents[1] / "include" / "evse_hal.h"
#: The example firmware in C (compiled by the test suite, the template for a firmware team).
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "c-evse" / "evse_example.c"
#: Its product file (how the rig talks to it, which product claims it makes; rig/product.py).
EXAMPLE_PRODUCT = EXAMPLE.with_name("product.yaml")
RFID_UID_MAX = 32
REQUIRED = ("evse_abi_version", "evse_create", "evse_destroy", "evse_tick", "evse_next_event_in")
OPTIONAL = ("evse_console_input", "evse_can_receive", "evse_ocpp_receive", "evse_ocpp_connected")

_d3 = ctypes.c_double * 3


class CAbiError(RuntimeError):
    """The library cannot be used as a firmware (missing file or symbol, other ABI version)."""


class Inputs(ctypes.Structure):
    """``struct evse_inputs``: what the MCU reads."""

    _fields_ = [
        ("cp_high_v", ctypes.c_double), ("cp_low_v", ctypes.c_double),
        ("pp_ohm", ctypes.c_double), ("supply_v", _d3), ("supply_hz", ctypes.c_double),
        ("meter_i_a", _d3), ("meter_v_v", _d3), ("meter_p_w", _d3), ("meter_e_wh", _d3),
        ("rcd_dc_ma", ctypes.c_double), ("rcd_ac_ma", ctypes.c_double),
        ("temperature_c", ctypes.c_double), ("relay_feedback", ctypes.c_int32),
        ("rfid_uid", ctypes.c_char * (RFID_UID_MAX + 1)),
    ]


class Outputs(ctypes.Structure):
    """``struct evse_outputs``: what the MCU drives."""

    _fields_ = [
        ("cp_mode", ctypes.c_int32), ("cp_static_v", ctypes.c_double),
        ("cp_duty_pct", ctypes.c_double), ("cp_freq_hz", ctypes.c_double),
        ("cp_rail_high_v", ctypes.c_double), ("cp_rail_low_v", ctypes.c_double),
        ("cp_rise_us", ctypes.c_double), ("cp_fall_us", ctypes.c_double),
        ("contactor", ctypes.c_int32), ("lock", ctypes.c_int32),
        ("rcd_test_winding", ctypes.c_int32), ("led_colour", ctypes.c_int32),
        ("led_pattern", ctypes.c_int32), ("phase_select", ctypes.c_int32),
        ("meter_pulses", ctypes.c_int64),
    ]


CONSOLE_TX = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
CAN_TX = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint8),
                          ctypes.c_size_t)
OCPP_TX = CONSOLE_TX


class Host(ctypes.Structure):
    """``struct evse_host``: the byte-stream callbacks."""

    _fields_ = [("ctx", ctypes.c_void_p), ("console_tx", CONSOLE_TX), ("can_tx", CAN_TX),
                ("ocpp_tx", OCPP_TX)]


class Option(ctypes.Structure):
    """``struct evse_option``."""

    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Error(ctypes.Structure):
    """``struct evse_error``."""

    _fields_ = [("key", ctypes.c_char * 64), ("message", ctypes.c_char * 256)]


#: HalIo fields carried by each struct (the test compares them with the header and HalIo).
INPUT_FIELDS = tuple(name for name, _ in Inputs._fields_)
OUTPUT_FIELDS = tuple(name for name, _ in Outputs._fields_)


def option_items(options: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``firmware_options`` flattened to dotted keys and text values, the way YAML wrote them
    (``true``/``false``, numbers as Python prints them, ``null`` for None)."""
    out: list[tuple[str, str]] = []
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out += option_items(value, name + ".")
        elif isinstance(value, bool):
            out.append((name, "true" if value else "false"))
        elif value is None:
            out.append((name, "null"))
        elif isinstance(value, list | tuple):
            out.append((name, ",".join(str(v) for v in value)))
        else:
            out.append((name, str(value)))
    return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@cache
def _library(path: str) -> ctypes.CDLL:
    file = Path(path)
    if not file.is_file():
        raise CAbiError(f"no such shared library: {file} (build it against {HEADER})")
    try:
        lib = ctypes.CDLL(str(file.resolve()))
    except OSError as exc:
        raise CAbiError(f"cannot load {file}: {exc}") from None
    missing = [name for name in REQUIRED if not hasattr(lib, name)]
    if missing:
        raise CAbiError(f"{file} does not export {', '.join(missing)} (see {HEADER.name})")
    lib.evse_abi_version.restype = ctypes.c_uint32
    lib.evse_abi_version.argtypes = []
    version = lib.evse_abi_version()
    if version != ABI_VERSION:
        raise CAbiError(f"{file} was built for HAL ABI version {version}; this rig speaks "
                        f"version {ABI_VERSION} ({HEADER.name})")
    fw = ctypes.c_void_p
    lib.evse_create.restype = fw
    lib.evse_create.argtypes = [ctypes.POINTER(Host), ctypes.POINTER(Inputs),
                                ctypes.POINTER(Outputs), ctypes.POINTER(Option), ctypes.c_size_t,
                                ctypes.POINTER(Error)]
    lib.evse_destroy.argtypes, lib.evse_destroy.restype = [fw], None
    lib.evse_tick.argtypes, lib.evse_tick.restype = [fw, ctypes.c_double], None
    lib.evse_next_event_in.argtypes, lib.evse_next_event_in.restype = [fw], ctypes.c_double
    signatures = {
        "evse_console_input": [fw, ctypes.c_char_p, ctypes.c_size_t],
        "evse_can_receive": [fw, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t],
        "evse_ocpp_receive": [fw, ctypes.c_char_p, ctypes.c_size_t],
        "evse_ocpp_connected": [fw, ctypes.c_int],
    }
    for name, args in signatures.items():
        if hasattr(lib, name):
            func = getattr(lib, name)
            func.argtypes, func.restype = args, None
    return lib


class CFirmware:
    """One instance of a C firmware behind a :class:`HalIo` (see the module docstring)."""

    library_path = ""

    def __init__(self, hal: HalIo, profile: Any) -> None:
        self.hal = hal
        self._lib = _library(self.library_path)
        self._in, self._out = Inputs(), Outputs()
        self.ignored = {name: 0 for name in OPTIONAL}  # inputs for links the image lacks
        self._host = Host(
            None,
            CONSOLE_TX(lambda ctx, data, n: self.hal.console_tx(_text(ctypes.string_at(data, n)))),
            CAN_TX(lambda ctx, ident, data, n: self.hal.can_tx(int(ident),
                                                               ctypes.string_at(data, n))),
            OCPP_TX(lambda ctx, data, n: self.hal.ocpp_tx(_text(ctypes.string_at(data, n)))),
        )
        items = option_items(getattr(profile, "firmware_options", {}) or {})
        keep = [(k.encode(), v.encode()) for k, v in items]  # alive while C reads them
        options = (Option * max(len(keep), 1))(*[Option(k, v) for k, v in keep])
        error = Error()
        self._to_c()
        handle = self._lib.evse_create(ctypes.byref(self._host), ctypes.byref(self._in),
                                       ctypes.byref(self._out), options, len(keep),
                                       ctypes.byref(error))
        if not handle:
            key, message = _text(error.key), _text(error.message) or "refused to start"
            if key:
                raise FirmwareOptionError(key, message)
            raise CAbiError(f"evse_create failed: {message}")
        self._fw = ctypes.c_void_p(handle)
        self._from_c()

    def __del__(self) -> None:
        fw = getattr(self, "_fw", None)
        if fw is not None:
            self._lib.evse_destroy(fw)
            self._fw = None

    # ---- the copies across the boundary ----------------------------------------------------
    def _to_c(self) -> None:
        hal, c = self.hal, self._in
        c.cp_high_v, c.cp_low_v = hal.cp_high_v, hal.cp_low_v
        c.pp_ohm = -1.0 if hal.pp_ohm is None else hal.pp_ohm
        c.supply_v[:] = hal.supply_v
        c.supply_hz = hal.supply_hz
        c.meter_i_a[:], c.meter_v_v[:] = hal.meter_i_a, hal.meter_v_v
        c.meter_p_w[:], c.meter_e_wh[:] = hal.meter_p_w, hal.meter_e_wh
        c.rcd_dc_ma, c.rcd_ac_ma = hal.rcd_dc_ma, hal.rcd_ac_ma
        c.temperature_c = hal.temperature_c
        c.relay_feedback = int(bool(hal.relay_feedback))
        c.rfid_uid = (hal.rfid_uid or "").encode()[:RFID_UID_MAX]

    def _from_c(self) -> None:
        hal, c = self.hal, self._out
        hal.cp_mode = _enum(CP_MODES, c.cp_mode, "cp_mode")
        hal.cp_static_v, hal.cp_duty_pct = c.cp_static_v, c.cp_duty_pct
        hal.cp_freq_hz = c.cp_freq_hz
        hal.cp_rail_high_v, hal.cp_rail_low_v = c.cp_rail_high_v, c.cp_rail_low_v
        hal.cp_rise_us, hal.cp_fall_us = c.cp_rise_us, c.cp_fall_us
        hal.contactor, hal.lock = bool(c.contactor), bool(c.lock)
        hal.rcd_test_winding = bool(c.rcd_test_winding)
        hal.led_colour = _enum(LED_COLOURS, c.led_colour, "led_colour")
        hal.led_pattern = _enum(LED_PATTERNS, c.led_pattern, "led_pattern")
        hal.phase_select = c.phase_select if c.phase_select in (0, 1, 2) else 0
        hal.meter_pulses = int(c.meter_pulses)

    def _call(self, name: str, *args: Any) -> None:
        if not hasattr(self._lib, name):
            self.ignored[name] += 1
            return
        self._to_c()
        getattr(self._lib, name)(self._fw, *args)
        self._from_c()

    # ---- the Firmware protocol ---------------------------------------------------------------
    def tick(self, dt: float) -> None:
        self._to_c()
        self._lib.evse_tick(self._fw, float(dt))
        self._from_c()

    def next_event_in(self) -> float:
        return float(self._lib.evse_next_event_in(self._fw))  # the bench checks the contract

    def console_input(self, text: str) -> None:
        data = text.encode()
        self._call("evse_console_input", data, len(data))

    def can_receive(self, arbitration_id: int, data: bytes) -> None:
        self._call("evse_can_receive", arbitration_id, bytes(data), len(data))

    def ocpp_receive(self, text: str) -> None:
        data = text.encode()
        self._call("evse_ocpp_receive", data, len(data))

    def ocpp_connected(self, connected: bool) -> None:
        self._call("evse_ocpp_connected", int(connected))

    def status(self) -> dict[str, Any]:
        """What the bench's ``BENCH:CHAR:STAT?`` shows: the HAL outputs (a C image has no
        status of its own in the ABI) and the inputs dropped for links it does not have."""
        hal = self.hal
        return {"library": self.library_path, "cp_mode": hal.cp_mode,
                "duty_pct": hal.cp_duty_pct if hal.cp_mode == "pwm" else None,
                "contactor": hal.contactor, "lock": hal.lock,
                "led": f"{hal.led_colour}/{hal.led_pattern}",
                "next_event_in": self.next_event_in(), "ignored": dict(self.ignored)}


def _enum(names: tuple[str, ...], value: int, field: str) -> str:
    if 0 <= value < len(names):
        return names[value]
    raise CAbiError(f"the C firmware wrote {field} = {value}; expected 0..{len(names) - 1} "
                    f"({', '.join(names)})")


def compiler() -> str | None:
    """The C compiler to build with: ``$CC``, else ``cc``, else ``gcc`` (None if none)."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(shlex.split(name)[0]):
            return name
    return None


def build_library(sources: Sequence[str | Path], output: str | Path) -> Path:
    """Compile C ``sources`` against the HAL header into the shared library ``output`` (what
    ``firmware_entry: "c:<output>"`` then loads). Warnings are errors: a firmware built for a
    certification run should not carry any. A failing build raises :class:`CAbiError` with the
    compiler's own message."""
    cc = compiler()
    if cc is None:
        raise CAbiError("no C compiler found ($CC, cc or gcc)")
    out = Path(output)
    cmd = [*shlex.split(cc), "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared",
           "-fPIC", "-I", str(HEADER.parent), *map(str, sources), "-o", str(out), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CAbiError(f"{' '.join(cmd)} failed:\n{proc.stderr.strip()}")
    return out


@cache
def c_firmware_class(path: str) -> type[CFirmware]:
    """A :class:`CFirmware` subclass bound to the library at ``path`` (loaded and checked now,
    so a wrong path or ABI is refused before the bench changes anything)."""
    _library(path)
    return type(f"CFirmware[{Path(path).name}]", (CFirmware,), {"library_path": path})


__all__ = ["ABI_VERSION", "EXAMPLE", "EXAMPLE_PRODUCT", "HEADER", "CAbiError", "CFirmware",
           "build_library", "c_firmware_class", "compiler", "option_items"]
