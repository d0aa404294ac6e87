"""labgrid integration: importing this registers the rig's resources and drivers.

Rig files name it under ``imports: [rig.labgrid]``.
"""

from rig.labgrid.drivers import CanDriver, ChargerConsoleDriver, ScpiInstrumentDriver
from rig.labgrid.resources import CanBus, OcppCentralSystem, RfidTag, ScpiInstrument

__all__ = [
    "CanBus", "CanDriver", "ChargerConsoleDriver", "OcppCentralSystem", "RfidTag", "ScpiInstrument",
    "ScpiInstrumentDriver",
]
