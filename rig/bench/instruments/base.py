"""What every emulated instrument shares: a SCPI device bound to the bench model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rig.bench.scpi import ScpiDevice

if TYPE_CHECKING:
    from rig.bench.bench import Bench


class EmulatedInstrument(ScpiDevice):
    """A :class:`ScpiDevice` whose commands read and change the bench model."""

    #: Short name on the bench (also the key of its address in ``Bench`` listings).
    key = "instrument"

    def __init__(self, bench: Bench, serial: str = "0"):
        self.bench = bench
        self.serial = serial
        super().__init__()
        self.reset()

    def changed(self) -> None:
        """Tell the model that an input changed now (the charger reacts at this instant)."""
        self.bench.changed()
