"""Model name (as a rig file writes it) -> driver class; and opening a driver by model.

The rig description names models, never classes, so a rig file stays valid when a driver moves.
"""

from __future__ import annotations

from typing import Any

from rig.errors import ConfigError
from rig.instruments.ametek import Asterion
from rig.instruments.base import ScpiInstrument
from rig.instruments.bench_control import BenchControl
from rig.instruments.ev_emulator import EVE1
from rig.instruments.keithley import Keithley2450, Keithley6221
from rig.instruments.keysight import AC6801B
from rig.instruments.yokogawa import WT333E
from rig.transport import Transcript

MODELS: dict[str, type[ScpiInstrument]] = {
    "AC6801B": AC6801B,
    "ASTERION": Asterion,
    "WT333E": WT333E,
    "KEITHLEY2450": Keithley2450,
    "KEITHLEY6221": Keithley6221,
    "EVE-1": EVE1,
    "BENCH-CONTROL": BenchControl,
}


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
