"""Model name (as a rig file writes it) -> driver class; and opening a driver by model.

The rig description names models, never classes, so a rig file stays valid when a driver moves.
"""

from __future__ import annotations

import re
from typing import Any

from rig.errors import ConfigError
from rig.instruments.ametek import Asterion
from rig.instruments.base import ScpiInstrument
from rig.instruments.bench_control import BenchControl
from rig.instruments.chroma import Chroma19032
from rig.instruments.chroma_load import Chroma63800
from rig.instruments.ev_bank import EVB100
from rig.instruments.ev_emulator import EVE1
from rig.instruments.infiniivision import InfiniiVision
from rig.instruments.keithley import Keithley2450, Keithley6221
from rig.instruments.keysight import AC6801B
from rig.instruments.keysight_counter import Keysight53220A
from rig.instruments.yokogawa import WT333E
from rig.transport import Transcript

MODELS: dict[str, type[ScpiInstrument]] = {
    "AC6801B": AC6801B,
    "ASTERION": Asterion,
    "WT333E": WT333E,
    "KEITHLEY2450": Keithley2450,
    "KEITHLEY6221": Keithley6221,
    "EVE-1": EVE1,
    "EVB-100": EVB100,
    "CHROMA19032": Chroma19032,
    "53220A": Keysight53220A,
    "INFINIIVISION": InfiniiVision,
    "CHROMA63800": Chroma63800,
    "BENCH-CONTROL": BenchControl,
}


#: What ``*IDN?`` of each model says: (vendor, model field) as regular expressions, matched
#: case-insensitively at the start of the field, and how a person reads it. ``rig doctor``
#: refuses an instrument whose identity does not match the model the rig file names.
IDN_PATTERNS: dict[str, tuple[str, str, str]] = {
    "AC6801B": (r"keysight|agilent", r"AC6801B", "Keysight AC6801B"),
    "ASTERION": (r"ametek|california instruments", r"AST\d+|ASTERION",
                 "AMETEK Asterion (AST...)"),
    "WT333E": (r"yokogawa", r"WT333E", "YOKOGAWA WT333E"),
    "KEITHLEY2450": (r"keithley", r"(MODEL )?2450", "KEITHLEY MODEL 2450"),
    "KEITHLEY6221": (r"keithley", r"(MODEL )?6221", "KEITHLEY MODEL 6221"),
    "EVE-1": (r"evse-rig", r"EVE-1", "evse-rig EVE-1"),
    "EVB-100": (r"evse-rig", r"EVB-100", "evse-rig EVB-100"),
    "CHROMA19032": (r"chroma", r"19032", "Chroma 19032"),
    "53220A": (r"keysight|agilent", r"53220A", "Keysight 53220A"),
    "CHROMA63800": (r"chroma", r"638\d\d", "Chroma 63802/63803/63804"),
    "INFINIIVISION": (r"keysight|agilent", r"[DM]SO-?X\d{4}[A-Z]?",
                      "Keysight InfiniiVision DSOX/MSOX"),
    "BENCH-CONTROL": (r"evse-rig", r"emulated bench control", "evse-rig bench control"),
}


def idn_matches(model: str, vendor: str, idn_model: str) -> bool:
    """Does an instrument that answers ``vendor,idn_model,...`` to ``*IDN?`` fit ``model``?"""
    patterns = IDN_PATTERNS.get(model.strip().upper()) if isinstance(model, str) else None
    if patterns is None:
        return False
    want_vendor, want_model, _ = patterns
    return bool(re.match(want_vendor, vendor.strip(), re.I)
                and re.match(rf"(?:{want_model})\b", idn_model.strip(), re.I))


def expected_idn(model: str) -> str:
    """What ``*IDN?`` of ``model`` should say, as a person reads it."""
    return IDN_PATTERNS.get(model.strip().upper(), ("", "", model))[2]


def driver_class(model: str) -> type[ScpiInstrument]:
    """The driver of ``model`` (case-insensitive); ConfigError listing the known models."""
    cls = MODELS.get(model.strip().upper()) if isinstance(model, str) else None
    if cls is None:
        raise ConfigError(
            "rig description", "model", f"one of {', '.join(MODELS)} (got {model!r})"
        )
    return cls


def open_instrument(
    model: str,
    resource: str,
    name: str,
    transcript: Transcript | None = None,
    timeout_s: float = 2.0,
    **options: Any,
) -> ScpiInstrument:
    """Open the driver of ``model`` on ``resource`` as the rig role ``name``."""
    return driver_class(model)(resource, name, transcript, timeout_s, **options)
