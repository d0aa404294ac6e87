"""A labgrid strategy for a charger place: bring the charger to the firmware a run certifies.

``ChargerFirmwareStrategy.transition("firmware")`` does what ``rig.firmware_update`` says
(powered and booted, then OCPP UpdateFirmware from the rig's HTTP server, the statuses, the
reboot and the new version checked); ``"ready"`` only powers and boots the charger. The
strategy binds no drivers of its own: the plugin hands it the opened rig, the central system and
the build (``configure``), because the central system is the rig's, not a driver of the place.
A failed transition leaves the strategy *broken* with the reason (the error itself, never
labgrid's generic ``StrategyError``), so nothing goes on with the wrong firmware.
"""

from __future__ import annotations

import enum
from typing import Any

import attr
from labgrid.factory import target_factory
from labgrid.strategy import Strategy

from rig.errors import RigError


class Status(enum.Enum):
    unknown = 0
    ready = 1
    firmware = 2


@target_factory.reg_driver
@attr.s(eq=False)
class ChargerFirmwareStrategy(Strategy):
    """unknown -> ready (powered, booted, EV disconnected) -> firmware (on the build)."""

    bindings = {}  # nothing of the place: the plugin hands it the rig (configure)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.status = Status.unknown
        self.rig: Any = None
        self.csms: Any = None
        self.charger: Any = None
        self.build: Any = None
        self.image = b""
        #: What the last transition to ``firmware`` did (``rig.firmware_update.UpdateResult``).
        self.result: Any = None

    def configure(self, rig: Any, csms: Any, charger: Any, build: Any, image: bytes) -> None:
        self.rig, self.csms, self.charger, self.build, self.image = (
            rig, csms, charger, build, image)

    def transition(self, status: str | Status) -> None:
        from rig.firmware_update import bring_to_build

        want = Status[status] if isinstance(status, str) else status
        if self.broken is not None:
            raise self.broken
        if self.rig is None:
            raise RigError("ChargerFirmwareStrategy: configure() it with the rig first")
        try:
            if want is Status.ready:
                self.charger.ensure_ready()
            elif want is Status.firmware:
                self.result = bring_to_build(self.rig, self.csms, self.charger, self.build,
                                             self.image)
            else:
                raise RigError(f"ChargerFirmwareStrategy: no transition to {want.name}")
        except Exception as exc:
            self.broken = exc
            raise
        self.status = want
