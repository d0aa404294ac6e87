"""A tag presenter built from relays: one actuator per RFID tag, behind labgrid's
``DigitalOutputProtocol``.

**The arrangement.** Each tag sits on a small solenoid (or servo) arm beside the charger's
reader; an energised output swings its arm down so the tag lies on the reader, a released one
lifts it away. The outputs are any labgrid digital outputs: a network relay board over HTTP
(``HttpDigitalOutput`` + ``HttpDigitalOutputDriver``, what the emulated bench serves), a Modbus
TCP board (``ModbusTCPCoil`` + ``ModbusCoilDriver``), a USB HID relay. Which tag sits on which
output, its UID and the answer the charger is expected to give are ``RfidTag`` resources of the
rig file (``rig.labgrid.resources``).

**Order.** Two tags on the reader at once collide (a Mifare reader reads neither reliably), so
every other arm is lifted, and read back lifted, before the wanted one goes down. Every write is
read back: an arm that does not follow is a :class:`TagPresenterError` (the rig's ERROR, never a
FAIL of the charger).

**Cost.** The safe state runs after every test of a plan, most of which never touch a tag; an
HTTP relay costs a few ms per write and read-back. So :meth:`make_safe` lifts the arms only
when one may be down: after any :meth:`present`, or an error, until a :meth:`withdraw` has read
every arm back up.
"""

from __future__ import annotations

from collections.abc import Mapping

from rig.errors import RigError
from rig.instruments.protocols import Tag, TagPresenter
from rig.instruments.relay_vehicle import DigitalOutput


class TagPresenterError(RigError):
    """An arm of the tag presenter did not do what it was told."""


class RelayTagPresenter(TagPresenter):
    """One digital output per tag (asserted: the tag is on the reader)."""

    def __init__(self, tags: Mapping[str, Tag], outputs: Mapping[str, DigitalOutput],
                 name: str = "tag_presenter"):
        missing = [t for t in tags if t not in outputs]
        if missing:
            raise ValueError(f"{name}: no output for tag(s) {', '.join(missing)}")
        self.tags = dict(tags)
        self.outputs = dict(outputs)
        self.name = name
        #: Every arm read back up by the last withdraw, and none moved since.
        self.all_up = False

    def _set(self, tag: str, down: bool) -> None:
        output = self.outputs[tag]
        try:
            output.set(down)
            now = bool(output.get())
        except Exception as exc:  # labgrid raises requests/Modbus errors of every kind
            raise TagPresenterError(
                f"{self.name}: arm of tag {tag!r} ({'down' if down else 'up'}): {exc}") from exc
        if now != down:
            raise TagPresenterError(
                f"{self.name}: arm of tag {tag!r} told {'down' if down else 'up'}, reads "
                f"{'down' if now else 'up'} (jammed, or the output is not wired)")

    def present(self, name: str) -> None:
        if name not in self.tags:
            raise KeyError(f"{self.name}: no tag {name!r} (the rig has: "
                           f"{', '.join(self.tags) or 'none'})")
        self.all_up = False
        for other in self.tags:
            if other != name:
                self._set(other, False)
        self._set(name, True)

    def withdraw(self) -> None:
        self.all_up = False
        problems = []
        for tag in self.tags:  # every arm is tried, even when one fails
            try:
                self._set(tag, False)
            except TagPresenterError as exc:
                problems.append(str(exc))
        if problems:
            raise TagPresenterError("; ".join(problems))
        self.all_up = True

    def make_safe(self) -> None:
        """No tag on the reader; nothing to do when every arm is known up (see Cost)."""
        if not self.all_up:
            self.withdraw()

    def presented(self) -> str | None:
        down = [t for t, output in self.outputs.items() if output.get()]
        return down[0] if len(down) == 1 else None
