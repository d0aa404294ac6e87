"""labgrid resources for a charger test place: SCPI instruments, the charger's CAN bus, OCPP.

labgrid's own ``PyVISADevice``/``PyVISADriver`` cannot express raw ``::SOCKET`` resources (they
need explicit termination characters) and know nothing of calibration, so a rig file names its
instruments with :class:`ScpiInstrument`. The charger's console is labgrid's own
``RawSerialPort`` with ``SerialDriver``; its CAN bus is :class:`CanBus`; the central system the
rig runs for the charger's OCPP client is :class:`OcppCentralSystem`.

Every field is validated when labgrid builds the target, with a message naming the resource and
the field (a malformed rig file is a rig ERROR before any test runs).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attr
import pyvisa.rname
from labgrid.factory import target_factory
from labgrid.resource.common import Resource

from rig.errors import ConfigError


def _where(inst: Resource) -> str:
    target = inst.target.name if inst.target else "?"
    return f"rig file, target '{target}', {type(inst).__name__} '{inst.name}'"


def _check_visa(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if not isinstance(value, str):
        raise ConfigError(_where(inst), attribute.name, f"a VISA resource string, got {value!r}")
    try:
        pyvisa.rname.parse_resource_name(value)
    except Exception as exc:  # pyvisa raises several types for bad names
        raise ConfigError(
            _where(inst),
            attribute.name,
            f"a VISA resource string like TCPIP0::192.168.1.20::5025::SOCKET or "
            f"TCPIP0::192.168.1.20::INSTR, got {value!r} ({exc})",
        ) from None


def _check_date(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        return
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            _where(inst), attribute.name, f"a date YYYY-MM-DD, got {value!r}"
        ) from None


def _check_type(kind: type | tuple[type, ...], what: str):  # type: ignore[no-untyped-def]
    def check(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,)
        )):
            raise ConfigError(_where(inst), attribute.name, f"{what}, got {value!r}")

    return check


@target_factory.reg_resource
@attr.s(eq=False)
class ScpiInstrument(Resource):
    """A SCPI instrument on the rig.

    Args:
        resource: VISA resource string (``TCPIP0::host::5025::SOCKET``, ``...::INSTR``).
        model: driver model name (see ``rig.instruments.registry``).
        timeout: VISA timeout, s.
        calibration_due: date the calibration expires (``YYYY-MM-DD``).
        accuracy: the instrument's accuracy specification, by quantity (used for uncertainty).
        options: driver options (e.g. ``turns`` of the 6221's test wire).
        serial: the serial number the rig expects (``rig doctor`` compares it with ``*IDN?``).
    """

    resource = attr.ib(validator=_check_visa)
    model = attr.ib(validator=_check_type(str, "a driver model name"))
    timeout = attr.ib(default=2.0, validator=_check_type((int, float), "seconds"))
    calibration_due = attr.ib(default=None, validator=_check_date)
    accuracy = attr.ib(factory=dict, validator=_check_type(dict, "a mapping"))
    options = attr.ib(factory=dict, validator=_check_type(dict, "a mapping"))
    serial = attr.ib(default=None)


@target_factory.reg_resource
@attr.s(eq=False)
class CanBus(Resource):
    """The charger's CAN interface, as python-can opens it.

    On hardware: ``interface: socketcan, channel: can0``. The emulated bench uses python-can's
    ``virtual`` interface in-process, or ``udp_multicast`` across processes.
    """

    interface = attr.ib(validator=_check_type(str, "a python-can interface name"))
    channel = attr.ib(validator=_check_type(str, "a channel name"))
    bitrate = attr.ib(default=500_000, validator=_check_type(int, "bit/s"))
    node_id = attr.ib(default=1, validator=_check_type(int, "the charger's CAN node id"))


def _check_port(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(_where(inst), attribute.name,
                          f"a TCP port 0..65535 (0: pick a free one), got {value!r}")


def _check_cp_id(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or "/" in value or len(value) > 48:
        raise ConfigError(_where(inst), attribute.name,
                          f"a charge point id (1-48 characters, no '/'), got {value!r}")


@target_factory.reg_resource
@attr.s(eq=False)
class OcppCentralSystem(Resource):
    """The OCPP 1.6J central system the rig runs for the charger (``rig.dut.ocpp``).

    The rig listens on ``host:port``; the charger connects to ``ws://<rig>:<port>/<id>``. On the
    emulated bench ``port: 0`` picks a free port and the bench is told the URL; a real charger
    is configured once with a fixed URL, so a lab uses a fixed port. ``charge_point_id`` is the
    last path segment the charger uses (default: the serial its console reports).
    """

    host = attr.ib(default="127.0.0.1", validator=_check_type(str, "an address to listen on"))
    port = attr.ib(default=0, validator=_check_port)
    charge_point_id = attr.ib(default=None, validator=_check_cp_id)
