"""Emulated ZapCharger Pro firmware: HAL contract, profile, application.

The bench loads :class:`Firmware` (profile key ``firmware_entry``) and drives it only through
:class:`~zapcharger.hal.HalIo` and the :class:`~zapcharger.hal.Firmware` protocol.
"""

from zapcharger.firmware import Firmware
from zapcharger.hal import HalIo
from zapcharger.profile import Profile, load_profile

__all__ = ["Firmware", "HalIo", "Profile", "load_profile"]
