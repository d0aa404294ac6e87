"""Status LED "Z": one place that turns the station's situation into colour and pattern.

Priority, highest first: no supply (off), booting (yellow flash), firmware update (purple),
the tag feedback (green / red flash for 2 / 3 s), a reported error (red), unavailable (yellow
flash: waiting for the cloud), charging (blue flash), no vehicle (green), waiting for a tag, the
cloud or current (yellow flash), connected / finished (blue). See the README's LED table.
"""

from __future__ import annotations

from dataclasses import dataclass

OFF = ("off", "solid")


@dataclass(frozen=True)
class LedInputs:
    """What the LED depends on."""

    mode: str  # OFF BOOT UPDATE READY
    feedback: str | None  # "accepted" / "refused"
    error: bool  # a reported error is active
    unavailable: bool
    charging: bool  # contactor closed
    vehicle: bool  # CP shows a vehicle (B, C, D, E, invalid)
    waiting: bool  # for a tag, the cloud, or current


def led_for(s: LedInputs) -> tuple[str, str]:
    """(colour, pattern) for the situation ``s``."""
    if s.mode == "OFF":
        return OFF
    if s.mode == "BOOT":
        return ("yellow", "flash")
    if s.mode == "UPDATE":
        return ("purple", "solid")
    if s.feedback == "accepted":
        return ("green", "flash")
    if s.feedback == "refused":
        return ("red", "flash")
    if s.error:
        return ("red", "solid")
    if s.unavailable:
        return ("yellow", "flash")
    if s.charging:
        return ("blue", "flash")
    if not s.vehicle:
        return ("green", "solid")
    if s.waiting:
        return ("yellow", "flash")
    return ("blue", "solid")
