"""What every emulated instrument shares: a SCPI device bound to the bench model."""

from __future__ import annotations

from contextlib import AbstractContextManager
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

    def executing(self) -> AbstractContextManager[object]:
        """Every command runs under the bench model's lock (the instruments share one physical
        model); parsing a message does not, so it only holds this instrument's own lock."""
        return self.bench.lock

    def changed(self) -> None:
        """Tell the model that an input changed now (the charger reacts at this instant)."""
        self.bench.changed()
