"""labgrid resources for a charger test place: SCPI instruments, the charger's CAN bus, OCPP.

labgrid's own ``PyVISADevice``/``PyVISADriver`` cannot express raw ``::SOCKET`` resources (they
need explicit termination characters) and know nothing of calibration, so a rig file names its
instruments with :class:`ScpiInstrument`. The charger's console is labgrid's own
``RawSerialPort`` with ``SerialDriver``; its CAN bus is :class:`CanBus`; the central system the
rig runs for the charger's OCPP client is :class:`OcppCentralSystem`.

Every field is validated when labgrid builds the target, with a message naming the resource and
the field (a malformed rig file is a rig ERROR before any test runs). Errors are
:class:`ResourceError` (a :class:`~rig.errors.ConfigError`): :func:`rig.labgrid.loader.load_rig`
adds the file, the key path and the line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attr
import pyvisa.rname
from labgrid.factory import target_factory
from labgrid.resource.common import Resource

from rig.errors import ConfigError


class ResourceError(ConfigError):
    """A field of a resource is wrong: which resource (class, name, target) and which field."""

    def __init__(self, inst: Resource, field: str, expected: str):
        target = inst.target.name if inst.target else "?"
        self.cls, self.name, self.target, self.field = type(inst).__name__, inst.name, target, field
        super().__init__(
            f"rig file, target '{target}', {self.cls} '{inst.name}'", field, expected)


def _check_visa(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if not isinstance(value, str):
        raise ResourceError(inst, attribute.name, f"a VISA resource string, got {value!r}")
    try:
        pyvisa.rname.parse_resource_name(value)
    except Exception as exc:  # pyvisa raises several types for bad names
        raise ResourceError(
            inst,
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
        dt.date.fromisoformat(value if isinstance(value, str) else "?")
    except ValueError:
        raise ResourceError(
            inst, attribute.name, f"a date YYYY-MM-DD, got {value!r}"
        ) from None


def _check_type(kind: type | tuple[type, ...], what: str):  # type: ignore[no-untyped-def]
    def check(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,)
        )):
            raise ResourceError(inst, attribute.name, f"{what}, got {value!r}")

    return check


def _check_range(low: float, high: float, what: str, integer: bool = False):  # type: ignore[no-untyped-def]
    def check(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            raise ResourceError(inst, attribute.name, f"{what}, got {value!r}")

    return check


def _check_model(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    from rig.instruments.registry import MODELS

    if not isinstance(value, str) or value.strip().upper() not in MODELS:
        raise ResourceError(
            inst, attribute.name, f"a driver model, one of {', '.join(MODELS)} (got {value!r})")


def _check_accuracy(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    """``{quantity: {term: number, ...}}`` with the terms rig.uncertainty knows."""
    from rig.uncertainty import TERMS

    if not isinstance(value, dict):
        raise ResourceError(inst, attribute.name,
                            f"a mapping of quantities to accuracy terms, got {value!r}")
    for quantity, spec in value.items():
        key = f"{attribute.name}.{quantity}"
        if not isinstance(quantity, str):
            raise ResourceError(inst, key, "a quantity name (voltage, current, time, ...)")
        if not isinstance(spec, dict):
            raise ResourceError(inst, key, f"a mapping of accuracy terms ({', '.join(TERMS)}), "
                                           f"got {spec!r}")
        for term, number in spec.items():
            if term not in TERMS:
                raise ResourceError(inst, f"{key}.{term}",
                                    f"an accuracy term, one of {', '.join(TERMS)}")
            numbers = number if term == "ranges" else [number]
            if term == "ranges" and (not isinstance(number, list) or not number):
                raise ResourceError(inst, f"{key}.{term}",
                                    f"a list of measuring ranges, got {number!r}")
            for item in numbers:
                if isinstance(item, bool) or not isinstance(item, (int, float)) or not (
                    item >= 0 and item == item and item != float("inf")
                ):
                    raise ResourceError(inst, f"{key}.{term}",
                                        f"a finite number >= 0, got {item!r}")


def _check_options(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ResourceError(inst, attribute.name,
                            f"a mapping of driver options (name: value), got {value!r}")


def _check_serial(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ResourceError(inst, attribute.name,
                            f"a serial number in quotes (\"04512345\": unquoted, YAML reads a "
                            f"number and drops leading zeros), got {value!r}")


def _from_json(value: Any) -> Any:
    """A mapping that crossed a labgrid coordinator: resource parameters travel as scalars only
    (its ``MapValue``), so ``rig.labgrid.exporter`` sends mappings as JSON text."""
    if isinstance(value, str) and value.startswith("{"):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return value  # the validator names it
    return value


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
    model = attr.ib(validator=_check_model)
    timeout = attr.ib(default=2.0, validator=_check_range(0.001, 600, "seconds, 0.001 ... 600"))
    calibration_due = attr.ib(default=None, validator=_check_date)
    accuracy = attr.ib(factory=dict, converter=_from_json, validator=_check_accuracy)
    options = attr.ib(factory=dict, converter=_from_json, validator=_check_options)
    serial = attr.ib(default=None, validator=_check_serial)


def _check_channel(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    from rig.dut.canlink import split_channel

    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ResourceError(inst, attribute.name, f"a channel name (can0, or a number), got "
                                                  f"{value!r}")
    try:
        split_channel(str(getattr(inst, "interface", "")), value)
    except ValueError as exc:
        raise ResourceError(inst, attribute.name, str(exc)) from None


@target_factory.reg_resource
@attr.s(eq=False)
class CanBus(Resource):
    """The charger's CAN interface, as python-can opens it.

    On hardware: ``interface: socketcan, channel: can0``. The emulated bench uses python-can's
    ``virtual`` interface in-process, or ``udp_multicast`` across processes on a private
    ``<group>:<port>`` channel that no other bench hears (``rig.dut.canlink``).
    ``dbc`` is the charger model's DBC file (relative to the rig file); without it the
    ZapCharger Pro's (``rig.dut.dbc``). Its frames are decoded from that file by cantools.
    """

    interface = attr.ib(validator=_check_type(str, "a python-can interface name"))
    channel = attr.ib(validator=_check_channel)
    bitrate = attr.ib(default=500_000, validator=_check_range(
        1_000, 8_000_000, "bit/s, 1000 ... 8000000", integer=True))
    node_id = attr.ib(default=1, validator=_check_range(
        0, 15, "the charger's CAN node id, 0 ... 15", integer=True))
    dbc = attr.ib(default=None, validator=attr.validators.optional(
        _check_type(str, "a DBC file describing the charger's CAN frames")))


def _check_port(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ResourceError(inst, attribute.name,
                            f"a TCP port 0..65535 (0: pick a free one), got {value!r}")


def _check_cp_id(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or "/" in value or len(value) > 48:
        raise ResourceError(inst, attribute.name,
                            f"a charge point id (1-48 characters, no '/'), got {value!r}")


@target_factory.reg_resource
@attr.s(eq=False)
class OcppCentralSystem(Resource):
    """The OCPP 1.6J central system the rig runs for the charger (``rig.dut.ocpp``).

    The rig listens on ``host:port``; the charger connects to ``ws://<rig>:<port>/<id>``. On the
    emulated bench ``port: 0`` picks a free port and the bench is told the URL; a real charger
    is configured once with a fixed URL, so a lab uses a fixed port. ``charge_point_id`` is the
    last path segment the charger uses (default: the serial its console reports).
    ``password_env`` (profile 1) and ``certificate``/``private_key`` (profile 2, ``wss://``)
    are the OCPP 1.6 security profiles (README, OCPP).
    """

    host = attr.ib(default="127.0.0.1", validator=_check_type(str, "an address to listen on"))
    port = attr.ib(default=0, validator=_check_port)
    charge_point_id = attr.ib(default=None, validator=_check_cp_id)
    #: OCPP security profile 1: the environment variable holding the charger's basic-auth
    #: password (its AuthorizationKey), so the secret is never in the rig file.
    password_env = attr.ib(default=None, validator=attr.validators.optional(
        _check_type(str, "the name of an environment variable holding the password")))
    #: Security profile 2: PEM files of the central system's certificate chain and its key
    #: (the key may be in the certificate's file): TLS, and the charger connects to wss://.
    certificate = attr.ib(default=None, validator=attr.validators.optional(
        _check_type(str, "a PEM file of the central system's certificate chain")))
    private_key = attr.ib(default=None, validator=attr.validators.optional(
        _check_type(str, "a PEM file of the certificate's private key")))


@target_factory.reg_resource
@attr.s(eq=False)
class ComposedEvEmulator(Resource):
    """The ``ev`` of a bench built from common instruments (``rig.instruments.composed_ev``):
    the relays are labgrid digital outputs of this target named by their function
    (``cp_connect``, ``cp_c``, ... ``pp_r12``: ``rig.instruments.relay_vehicle``), the
    oscilloscope and the AC load are ``ScpiInstrument`` roles of the same rig file.

    Args:
        scope: the oscilloscope's role (default ``scope``).
        load: the AC load's role (default none: the vehicle draws nothing).
        circuit: the board's resistors if they differ from the standard's
            (``r3_ohm``, ``r2_ohm``, ``rd_ohm``, ``ladder_bits``, ``ladder_step_ohm``).
        accuracy: as for instruments; ``time`` is the worst case of one acquisition
            (``docs/composite-bench.md``), ``voltage``, ``frequency``, ``duty``, ``edge_time``
            the scope's.
        probe_skew_s: skew between the pilot's probe and the differential probe, s.
    """

    scope = attr.ib(default="scope", validator=_check_type(str, "the oscilloscope's role"))
    load = attr.ib(default=None, validator=attr.validators.optional(
        _check_type(str, "the AC load's role")))
    circuit = attr.ib(factory=dict, converter=_from_json, validator=_check_options)
    accuracy = attr.ib(factory=dict, converter=_from_json, validator=_check_accuracy)
    probe_skew_s = attr.ib(default=0.0, validator=_check_range(0.0, 1e-3, "seconds, 0 ... 1e-3"))
    calibration_due = attr.ib(default=None, validator=_check_date)

    @property
    def model(self) -> str:
        return "COMPOSED"

    @property
    def resource(self) -> str:
        return f"relays + {self.scope}" + (f" + {self.load}" if self.load else "")


def _check_uid(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    if (not isinstance(value, str) or not 4 <= len(value) <= 20
            or any(c not in "0123456789ABCDEFabcdef" for c in value)):
        raise ResourceError(inst, attribute.name, f"the tag's UID in hex, 4 ... 20 digits "
                                                  f"(an OCPP idTag has at most 20), got {value!r}")


def _check_answer(inst: Resource, attribute: attr.Attribute, value: Any) -> None:
    from rig.instruments.protocols import ANSWERS

    if value not in ANSWERS:
        raise ResourceError(inst, attribute.name, f"one of {', '.join(ANSWERS)} (accepted: on "
                            "the charger's local list; refused: the central system refuses "
                            f"it; central: the central system accepts it), got {value!r}")


@target_factory.reg_resource
@attr.s(eq=False)
class RfidTag(Resource):
    """One physical RFID tag of the tag presenter (``rig.instruments.tag_presenter``).

    ``uid`` is what the charger's reader reads (and sends as the OCPP idTag); ``answer`` what
    the charger is expected to do with it (``accepted``, ``refused``, ``central``); ``output``
    the name of the labgrid digital-output driver whose relay puts this tag on the reader. The
    rig's central system answers Authorize for ``refused`` tags with ``Invalid``.
    """

    uid = attr.ib(validator=_check_uid)
    answer = attr.ib(validator=_check_answer)
    output = attr.ib(validator=_check_type(str, "the name of the digital-output driver that "
                                                "puts this tag on the reader"))
