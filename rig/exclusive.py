"""Exclusive use of each instrument for a run: which lock the rig file asks for, per role.

The rig file's ``options: {exclusive_access: ...}`` (one value for every instrument, or a
mapping per role, like ``watchdog_s``):

``auto`` (default)
    the transport's own lock where pyvisa-py has one (``visa`` for a VXI-11 ``TCPIP::...::INSTR``
    resource), none elsewhere (a raw ``::SOCKET`` port has no lock; pyvisa-py's HiSLIP none yet)
``scpi``
    the instrument's session lock in SCPI (Keysight's ``SYSTem:LOCK:REQuest?``/``:RELease``;
    every emulated instrument has it, and reports the writes it refused: see
    :mod:`rig.bench.access`)
``visa``
    ``viLock`` exclusive through pyvisa: VXI-11 with pyvisa-py; HiSLIP and GPIB with a vendor
    VISA (NI, Keysight). A resource type without one fails the run at the start.
``none``
    no lock: another client can change the instrument under the run; the verdicts file says
    so in its notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rig.errors import ConfigError

EXCLUSIVE_OPTION = "exclusive_access"
CHOICES = ("auto", "scpi", "visa", "none")


def resolve(choice: str, resource: str) -> str:
    """The lock ``auto`` stands for on ``resource`` (other choices stand for themselves)."""
    if choice != "auto":
        return choice
    text = resource.upper()
    if text.startswith("TCPIP") and text.endswith("::INSTR") and "HISLIP" not in text:
        return "visa"  # VXI-11: device_lock, implemented by pyvisa-py
    return "none"


def exclusive_modes(
    options: Mapping[str, Any], resources: Mapping[str, str], source: str = "rig file"
) -> dict[str, str]:
    """``scpi``/``visa``/``none`` per role, from the rig file's ``exclusive_access`` option;
    ``resources`` maps each role to its VISA resource string."""
    raw = options.get(EXCLUSIVE_OPTION, "auto")

    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in CHOICES:
            raise ConfigError(source, key, f"one of {', '.join(CHOICES)}, got {value!r}")
        return value.strip().lower()

    if isinstance(raw, Mapping):
        unknown = sorted(set(raw) - set(resources))
        if unknown:
            raise ConfigError(source, f"options.{EXCLUSIVE_OPTION}.{unknown[0]}",
                              f"an instrument of this rig ({', '.join(resources) or 'none'})")
        choices = {role: check(f"options.{EXCLUSIVE_OPTION}.{role}", raw.get(role, "auto"))
                   for role in resources}
    else:
        choice = check(f"options.{EXCLUSIVE_OPTION}", raw)
        choices = dict.fromkeys(resources, choice)
    return {role: resolve(choice, resources[role]) for role, choice in choices.items()}
