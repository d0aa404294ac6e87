"""What the station keeps across a power loss or a reboot (its flash memory).

Everything else is RAM and starts over at power-up: that difference is part of the behaviour
under test (the energy register and an open transaction survive a supply interruption; the
installation limit and the session do not).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Transaction:
    """An OCPP transaction of the connector (opened when the contactor first closes)."""

    id_tag: str
    meter_start: int
    start_time: float
    transaction_id: int | None = None


@dataclass
class ProfileLimit:
    """A stored charging profile reduced to what the station applies: one current limit."""

    profile_id: int
    purpose: str
    stack_level: int
    limit_a: float


@dataclass
class Flash:
    """Non-volatile state."""

    firmware_version: str
    heartbeat_s: int
    meter_values_s: int
    energy_acc_wh: float = 0.0
    msg_counter: int = 0
    inoperative: bool = False
    tx: Transaction | None = None
    profiles: list[ProfileLimit] = field(default_factory=list)  # TxDefault / ChargePointMax
    updates_installed: int = 0
    firmware_status_pending: str | None = None  # "Installed" after an update's reboot
    auth_required: bool | None = None  # OCPP AuthorizationRequired; None: the profile's

    def next_id(self) -> str:
        """A message id never used before by this station (a counter in flash)."""
        self.msg_counter += 1
        return str(self.msg_counter)
