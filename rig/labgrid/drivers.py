"""labgrid drivers: open the model driver of a SCPI instrument, the charger console and CAN.

The drivers do the opening and closing (labgrid's activate/deactivate), and hand out plain
objects that plans use through their protocols: ``ScpiInstrumentDriver.instrument`` is an
``AcSource``/``PowerAnalyser``/... of ``rig.instruments``; ``ChargerConsoleDriver.console`` a
``ChargerConsole``; ``CanDriver.can`` a ``ChargerCan``.
"""

from __future__ import annotations

from typing import Any

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory

from rig.dut.can import ChargerCan, open_bus
from rig.dut.console import ChargerConsole
from rig.dut.dbc import load_protocol


@target_factory.reg_driver
@attr.s(eq=False)
class ScpiInstrumentDriver(Driver):
    """Opens the model driver named by the bound :class:`ScpiInstrument` resource."""

    bindings = {"res": "ScpiInstrument"}

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.instrument: Any = None
        self.transcript: Any = None

    def on_activate(self) -> None:
        from rig.instruments.registry import open_instrument

        res = self.res
        self.instrument = open_instrument(
            res.model,
            res.resource,
            name=res.name or self.name or res.model,
            transcript=self.transcript,
            timeout_s=float(res.timeout),
            **res.options,
        )

    def on_deactivate(self) -> None:
        if self.instrument is not None:
            try:
                self.instrument.close()
            finally:
                self.instrument = None


@target_factory.reg_driver
@attr.s(eq=False)
class ChargerConsoleDriver(Driver):
    """The charger's service console on top of any labgrid ConsoleProtocol (SerialDriver)."""

    bindings = {"port": "ConsoleProtocol"}
    timeout = attr.ib(default=3.0, validator=attr.validators.instance_of((int, float)))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.console: ChargerConsole | None = None

    def on_activate(self) -> None:
        port = self.port

        def read(timeout: float) -> bytes:
            try:
                return port.read(size=1, timeout=timeout, max_size=4096)
            except Exception:  # labgrid raises pexpect.TIMEOUT when nothing arrived
                return b""

        self.console = ChargerConsole(port.write, read, timeout_s=float(self.timeout),
                                      name=self.name or "console")

    def on_deactivate(self) -> None:
        self.console = None


@target_factory.reg_driver
@attr.s(eq=False)
class CanDriver(Driver):
    """Opens the charger's CAN bus with python-can."""

    bindings = {"bus": "CanBus"}

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.can: ChargerCan | None = None

    def on_activate(self) -> None:
        bus = self.bus
        kwargs: dict[str, Any] = {}
        if bus.interface not in ("virtual", "udp_multicast"):
            kwargs["bitrate"] = bus.bitrate
        # the rig file's DBC (made absolute and checked when the rig file was loaded), else
        # the ZapCharger's
        protocol = load_protocol(bus.dbc, f"CanBus {bus.name or 'can'}") if bus.dbc else None
        self.can = ChargerCan(open_bus(bus.interface, bus.channel, **kwargs), bus.node_id,
                              protocol=protocol)

    def on_deactivate(self) -> None:
        if self.can is not None:
            self.can.close()
            self.can = None
