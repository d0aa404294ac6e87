"""What every driver shares: a pymeasure instrument over a recorded VISA session.

A driver reads like the manual's command table: one :func:`quantity` line per setting, each
carrying its unit and valid range, validated *before* anything is sent (a wrong value is the
plan's bug, not the instrument's, so it raises ValueError and the transcript stays unchanged).
Every configuration write is followed by an error-queue query (~60 us on loopback): an
instrument that silently ignores a command would otherwise turn into a wrong measurement, which
on a certification rig is worse than a stopped run. The error names the command that failed.

Settings survive a lost link, or the step fails: every configuration the driver writes through
a :func:`quantity` (by the property, or as the same command in a raw ``send``, a ``;`` chain
or a safe-state list) is remembered with the command that set it. When the transport has to
reopen the session (a dropped link, a timeout, a rebooted instrument), the driver reads every
remembered setting back before anything else is sent; an instrument that lost one (it rebooted)
raises :class:`SettingsLost` naming the setting, what it is now, what it was set to and the
command, so a step never goes on with a different physical state than the one it set up.

Why our own property helper instead of pymeasure's ``Instrument.control``: ``control`` keeps a
reply it cannot cast as a string (a garbled reply would pass as a value), clips out-of-range
values with ``truncated_range`` instead of refusing them, and cannot name the property in its
error. :func:`quantity` keeps the ``control`` call shape and adds names, units, SCPI NaN, and
errors in context; drivers still inherit everything else from pymeasure, and the Keithley
drivers reuse pymeasure's own model classes.
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pymeasure.instruments import Instrument as PymeasureInstrument
from pymeasure.instruments import SCPIMixin

from rig.errors import ConfigError, InstrumentError, InstrumentTimeout
from rig.instruments import protocols
from rig.transport import (
    InstrumentLinkError,
    Transcript,
    VisaTransport,
    idempotent_query,
    scpi_float,
)

log = logging.getLogger(__name__)

_ERROR_REPLY = re.compile(r'^\s*(?::?[A-Za-z][\w:]*\s+)?([+-]?\d+)\s*(?:,\s*(.*))?$', re.S)
_MAX_ERRORS = 64  # more than any queue holds: a reply that never says 0 must not loop forever
#: A setting read back within this relative tolerance of what was set is still that setting
#: (instruments round to their resolution; a lost setting is back at a power-on default).
SETTING_REL_TOL = 1e-3
_CONVERSION = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGs]")


def _header(part: str) -> str:
    """``":SOUR:CURR:LEV 0.1"`` -> ``"SOUR:CURR:LEV"`` (upper case, no leading colon)."""
    words = part.strip().split(None, 1)
    return words[0].lstrip(":").upper() if words else ""


def _written_pattern(set_command: str | None) -> re.Pattern[str] | None:
    """A regex that recognises ``set_command``'s messages and captures the value's token;
    None for set commands it cannot undo (no or several values, ``;`` chains)."""
    if not set_command or ";" in set_command or len(_CONVERSION.findall(set_command)) != 1:
        return None
    head, tail = _CONVERSION.split(set_command.strip().lstrip(":"))
    words = r"\s+".join(re.escape(w) for w in head.split())
    space = r"\s+" if head[-1:].isspace() else ""
    rest = r"\s+".join(re.escape(w) for w in tail.split())
    return re.compile(rf"\s*:?{words}{space}(?P<token>.+?)\s*{rest}\s*", re.I)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_range(name: str, value: Any, unit: str, low: float, high: float) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``, else ValueError."""
    shown = f"{value!r} {unit}".rstrip()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} = {shown}: a number in {unit or 'units'} is expected")
    number = float(value)
    if math.isnan(number) or not low <= number <= high:
        raise ValueError(
            f"{name} = {shown} is outside the range {low:g} ... {high:g} {unit}".rstrip()
        )
    return number


def check_choice(name: str, value: Any, choices: Sequence[Any], unit: str = "") -> Any:
    """The canonical member of ``choices`` equal to ``value`` (strings ignore case)."""
    for choice in choices:
        if isinstance(choice, str) and isinstance(value, str):
            if choice.upper() == value.strip().upper():
                return choice
        elif _is_number(choice) and _is_number(value):
            if choice == value:
                return choice
        elif choice == value and type(choice) is type(value):
            return choice
    listed = ", ".join(f"{c:g}" if _is_number(c) else str(c) for c in choices)
    shown = f"{value!r} {unit}".rstrip()
    raise ValueError(f"{name} = {shown}: one of {listed} {unit} is expected".replace("  ", " "))


class Quantity(property):
    """A setting or reading of the instrument; made by :func:`quantity`."""

    def __init__(
        self,
        get_command: str | None,
        set_command: str | None,
        doc: str,
        unit: str = "",
        range: tuple[float, float] | None = None,
        values: Sequence[Any] | Mapping[Any, str] | None = None,
        cast: Callable[[str], Any] = float,
        check: bool = True,
        verify: bool = True,
        set_by: Mapping[str, Any] | None = None,
        changed_by: Sequence[str] = (),
    ):
        self.get_command, self.set_command = get_command, set_command
        self.unit, self.range, self.cast, self.check = unit, range, cast, check
        if cast is bool and values is None:
            values = {True: "ON", False: "OFF"}
        self.values = values
        self.name = "quantity"
        #: Read back after a reconnect (False: only tracked, e.g. a phase selection).
        self.verify = verify and get_command is not None
        self._pattern = _written_pattern(set_command) if get_command else None
        self.set_by = {k.strip().lstrip(":").upper(): v for k, v in (set_by or {}).items()}
        self.changed_by = tuple(h.strip().lstrip(":").upper() for h in changed_by)
        super().__init__(
            self._get if get_command else None, self._set if set_command else None
        )
        self.__doc__ = self._doc(doc)  # a property subclass would show its class docstring

    def _doc(self, doc: str) -> str:
        parts = [doc]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.range is not None:
            parts.append(f"Range: {self.range[0]:g} ... {self.range[1]:g} {self.unit}.")
        if self.values is not None:
            parts.append(f"Values: {', '.join(str(v) for v in self.values)}.")
        parts.append(f"SCPI: ``{self.get_command or '-'}`` / ``{self.set_command or '-'}``.")
        return " ".join(parts)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def validate(self, value: Any) -> Any:
        """The value as it goes into the set command, or ValueError naming this property."""
        if self.cast is bool:
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError(f"{self.name} = {value!r}: True or False is expected")
            return self.values[bool(value)]  # type: ignore[index]
        if isinstance(self.values, Mapping):
            key = check_choice(self.name, value, list(self.values), self.unit)
            return self.values[key]
        if self.values is not None:
            return check_choice(self.name, value, self.values, self.unit)
        if self.range is not None:
            return check_range(self.name, value, self.unit, *self.range)
        return value

    def _set(self, obj: ScpiInstrument, value: Any) -> None:
        command = self.set_command % self.validate(value)  # type: ignore[operator]
        if self.check:
            obj.send(command)
        else:
            obj.write(command)

    def _get(self, obj: ScpiInstrument) -> Any:
        return self.read(obj)

    def read(self, obj: ScpiInstrument, command: str | None = None) -> Any:
        """Ask the instrument (``command``: a query other than the get command that reads the
        same value, e.g. with a phase selected first) and parse its reply."""
        command = command or self.get_command or ""
        return self.parse(obj, obj.query(command), command)

    def parse(self, obj: ScpiInstrument, reply: str, command: str) -> Any:
        """A reply of the get command as the value a set takes (bools, mapped words, ...)."""
        if self.cast is bool:
            return obj.parse_bool(reply, command)
        if self.cast is float:
            value: Any = obj.parse_float(reply, command)
        elif self.cast is str:
            value = reply
        else:
            try:
                value = self.cast(reply)
            except (TypeError, ValueError):
                expected = getattr(self.cast, "expected", self.cast.__name__)
                raise obj.bad_reply(command, reply, expected) from None
        if isinstance(self.values, Mapping):
            for key, token in self.values.items():
                if isinstance(value, str) and str(token).upper() == value.upper():
                    return key
        return value

    # ---- the settings cache: recognising what was written, comparing what reads back -------
    def written(self, part: str) -> tuple[bool, Any]:
        """Does one message part (no ``;``) set this quantity? ``(True, value)`` if it does
        (value None: it changed it to something this quantity cannot tell), else
        ``(False, None)``."""
        key = part.strip().lstrip(":").upper()
        if key in self.set_by:
            return True, self.set_by[key]
        if self._pattern is not None:
            match = self._pattern.fullmatch(part)
            if match:
                try:
                    return True, self.from_token(match.group("token"))
                except (TypeError, ValueError):
                    return True, None
        if self.changed_by and _header(part) in self.changed_by:
            return True, None
        return False, None

    def from_token(self, token: str) -> Any:
        """The value a set command's token stands for (the inverse of :meth:`validate`)."""
        token = token.strip().strip('"')
        if isinstance(self.values, Mapping):
            for key, word in self.values.items():
                if str(word).upper() == token.upper():
                    return key
            if self.cast is bool and token in ("0", "1"):
                return token == "1"
            number = scpi_float(token)  # a number for a number-keyed map (:RATE 0.1)
            return next(k for k in self.values if _is_number(k) and k == number)
        if self.values is not None:
            numeric = any(_is_number(c) for c in self.values)
            return check_choice(self.name, scpi_float(token) if numeric else token, self.values)
        if self.cast in (float, int) or self.range is not None:
            return scpi_float(token)
        return self.cast(token)

    def same(self, actual: Any, expected: Any) -> bool:
        """Is the value read back the one that was set (numbers within SETTING_REL_TOL)?"""
        if _is_number(actual) and _is_number(expected):
            a, e = float(actual), float(expected)
            if math.isnan(a) or math.isnan(e):
                return math.isnan(a) and math.isnan(e)
            return math.isclose(a, e, rel_tol=SETTING_REL_TOL, abs_tol=1e-12)
        if isinstance(actual, str) and isinstance(expected, str):
            return actual.strip().upper() == expected.strip().upper()
        return bool(actual == expected and type(actual) is type(expected))

    def show(self, value: Any) -> str:
        """A value as a message shows it: ``230 V``, ``ON``, ``P3W4``."""
        if isinstance(self.values, Mapping) and not _is_number(value):
            for key, word in self.values.items():
                if key == value and type(key) is type(value):
                    return str(word)
        if _is_number(value):
            return f"{float(value):g} {self.unit}".rstrip()
        return "NONE" if value is None else str(value)


@dataclass
class Setting:
    """One value a driver wrote, with how to read it back after a reconnect."""

    name: str  #: what messages call it: ``voltage``, ``voltage (phase 2)``
    value: Any  #: as the driver set it
    command: str  #: the message part that set it
    readback: str  #: the query that reads it back
    quantity: Quantity

    @property
    def verify(self) -> bool:
        return self.quantity.verify


class SettingsLost(InstrumentError):
    """After a reconnect the instrument no longer holds what the driver set (it rebooted)."""

    def __init__(self, instrument: str, address: str, lost: list[tuple[Setting, Any]]):
        self.lost = lost
        details = "; ".join(
            f"{s.name} is {s.quantity.show(actual)}, expected {s.quantity.show(s.value)} "
            f"(last command '{s.command}')"
            for s, actual in lost
        )
        first = lost[0][0].command if lost else ""
        super().__init__(instrument, address, first, f"settings lost after reconnect: {details}")
        self.args = (f"{instrument} at {address}: settings lost after reconnect: {details}",)


@functools.cache
def _quantities_of(cls: type) -> tuple[Quantity, ...]:
    seen: dict[str, property] = {}
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name not in seen and isinstance(value, property):
                seen[name] = value
    return tuple(q for q in seen.values() if isinstance(q, Quantity))


def quantity(
    get_command: str | None,
    set_command: str | None,
    doc: str,
    cast: Callable[[str], Any] = float,
    *,
    unit: str = "",
    range: tuple[float, float] | None = None,
    values: Sequence[Any] | Mapping[Any, str] | None = None,
    check: bool = True,
    verify: bool = True,
    set_by: Mapping[str, Any] | None = None,
    changed_by: Sequence[str] = (),
) -> Quantity:
    """One line of the manual's command table as a property, like pymeasure's ``control``.

    ``voltage = quantity("VOLT?", "VOLT %g", "Output voltage", unit="V", range=(0, 310))``

    ``range`` bounds a number; ``values`` lists allowed values, or maps them to the words the
    instrument uses (``bool`` quantities default to ``{True: "ON", False: "OFF"}``). ``check``
    reads the error queue after each set and raises InstrumentError naming the command.

    A quantity with both commands is a *setting*: whatever writes its set command (the property,
    a raw ``send``, a ``;`` chain) is remembered, and read back with the get command after a
    reconnect (``verify=False``: only tracked, never read back). ``set_by`` maps other exact
    commands to the value they leave (``{":SOUR:WAVE:ABOR": False}``); a command whose header
    is in ``changed_by`` leaves it unknown (it is no longer verified).
    """
    return Quantity(
        get_command, set_command, doc, unit, range, values, cast, check, verify, set_by,
        changed_by,
    )


class ScpiInstrument(SCPIMixin, PymeasureInstrument, protocols.Instrument):
    """A pymeasure SCPI instrument on a :class:`~rig.transport.VisaTransport`.

    ``Driver(resource, name, transcript=None, timeout_s=2.0, **options)``: ``resource`` is the
    VISA address from the rig description, ``name`` the role on the rig; ``options`` are the
    driver's settings from the rig description (:attr:`OPTIONS` lists them with defaults).
    """

    #: The model's error-queue query (Yokogawa: ``:STAT:ERR?``).
    error_query: ClassVar[str] = "SYST:ERR?"
    #: What :meth:`make_safe` sends, in order, each checked.
    safe_commands: ClassVar[tuple[str, ...]] = ()
    #: Driver options accepted from the rig description, with their defaults.
    OPTIONS: ClassVar[dict[str, Any]] = {}
    #: Queries never asked twice after a lost link although they only ask (the error query is
    #: always one): their reply depends on state the driver does not read back.
    no_retry: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        resource: str,
        name: str,
        transcript: Transcript | None = None,
        timeout_s: float = 2.0,
        **options: Any,
    ):
        self._settings: dict[str, Setting] = {}
        self.driver_options = self._check_options(name, options)
        self.setup_options(name)
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, numbers.Real) or not (
            0 < timeout_s <= 600
        ):
            raise ConfigError(f"instrument {name}", "timeout_s", "seconds in (0, 600]")
        self.identity: protocols.Identity | None = None
        transport = VisaTransport(resource, name, transcript, float(timeout_s))
        transport.on_reconnect = self.verify_settings
        transport.no_retry.update({self.error_query, *self.no_retry})
        super().__init__(transport, name)

    @classmethod
    def _check_options(cls, name: str, options: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - set(cls.OPTIONS))
        if unknown:
            known = ", ".join(cls.OPTIONS) or "none"
            raise ConfigError(
                f"instrument {name} ({cls.__name__})", unknown[0], f"a known option ({known})"
            )
        return {**cls.OPTIONS, **options}

    def setup_options(self, name: str) -> None:
        """Check and store driver options (override); runs before the session opens, so a
        malformed rig description fails without touching the instrument."""

    # ---- the session ------------------------------------------------------------------------
    @property
    def transport(self) -> VisaTransport:
        return self.adapter  # type: ignore[return-value]

    @property
    def resource(self) -> str:
        return self.transport.resource

    @property
    def transcript(self) -> Transcript:
        return self.transport.transcript

    @property
    def last_command(self) -> str:
        return self.transport.last_command

    def close(self) -> None:
        """Close the VISA session (the instrument keeps its state)."""
        self.transport.close()

    def __exit__(self, *exc: object) -> None:
        try:
            self.make_safe()
        finally:
            self.close()

    # ---- I/O --------------------------------------------------------------------------------
    def write(self, command: str, **kwargs: Any) -> None:
        """Write a message; settings it makes are remembered (forgotten if it failed)."""
        try:
            super().write(command, **kwargs)
        except BaseException:
            self._written(command, ok=False)
            raise
        self._written(command, ok=True)

    def ask(self, command: str, query_delay: float | None = None) -> str:
        """Write a query and read its reply, atomically with respect to other threads."""
        # the transport, not self.read(): PowerAnalyser.read(items) takes that name
        if idempotent_query(command):
            return self.transport.ask(command, query_delay)
        try:  # it also sets something (``SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE``)
            reply = self.transport.ask(command, query_delay)
        except BaseException:
            self._written(command, ok=False)
            raise
        self._written(command, ok=True)
        return reply

    # ---- the settings cache -------------------------------------------------------------------
    @classmethod
    def quantities(cls) -> tuple[Quantity, ...]:
        """Every :class:`Quantity` of the driver (a subclass's definition wins)."""
        return _quantities_of(cls)

    @property
    def settings(self) -> dict[str, Any]:
        """What the driver set and will read back after a reconnect: name -> value."""
        return {s.name: s.value for s in self._settings.values() if s.verify}

    def settings_for(self, q: Quantity, value: Any, command: str) -> list[Setting]:
        """How a write of ``q`` is remembered (override for settings that depend on a
        selection, like a phase): one :class:`Setting` read back with the get command."""
        return [Setting(q.name, value, command.strip(), q.get_command or "", q)]

    def _written(self, message: str, ok: bool) -> None:
        """Remember (``ok``) or forget the settings each part of ``message`` makes."""
        for part in message.split(";"):
            if not part.strip() or _header(part).endswith("?"):
                continue
            if _header(part) == "*RST":
                self._settings.clear()
                continue
            for q in self.quantities():
                hit, value = q.written(part)
                if not hit:
                    continue
                made = self.settings_for(q, value, part)
                keep = ok and value is not None
                names = {s.name for s in made}
                for key in [k for k, s in self._settings.items() if s.quantity is q]:
                    if not names or (key in names and not keep):  # in doubt: forget
                        del self._settings[key]
                if keep:
                    self._settings.update((s.name, s) for s in made)  # replaced in place

    def verify_settings(self) -> None:
        """Read every remembered setting back (the transport calls this after reopening the
        session); :class:`SettingsLost` if one changed. A lost setting is forgotten once
        reported: the instrument's state is known again, the step that set it has failed."""
        for key in [k for k, s in self._settings.items() if not s.verify]:
            del self._settings[key]  # only tracked: unknown after a reconnect
        lost: list[tuple[Setting, Any]] = []
        for key, setting in list(self._settings.items()):
            if not setting.verify:
                continue
            actual = setting.quantity.read(self, setting.readback)
            if not setting.quantity.same(actual, setting.value):
                lost.append((setting, actual))
                self._settings.pop(key, None)
        if lost:
            exc = SettingsLost(self.name, self.resource, lost)
            log.error("%s", exc)
            raise exc

    def changed_settings(self) -> list[str]:
        """Read every remembered setting back now; one line for each the instrument no longer
        holds (someone else changed it: on an instrument the rig cannot lock, this is how a
        foreign write shows). A changed setting is reported once and forgotten."""
        changed = []
        for key, setting in list(self._settings.items()):
            if not setting.verify:
                continue
            actual = setting.quantity.read(self, setting.readback)
            if not setting.quantity.same(actual, setting.value):
                q = setting.quantity
                changed.append(f"{setting.name} is {q.show(actual)}, the rig set "
                               f"{q.show(setting.value)} ('{setting.command}')")
                self._settings.pop(key, None)
        return changed

    def query(self, command: str) -> str:
        """The reply to ``command``, stripped."""
        return self.ask(command).strip()

    def send(self, command: str) -> None:
        """Write a configuration command, then raise if the instrument refused it."""
        self.write(command)
        self.raise_errors(command)

    def check(self) -> None:
        """Raise if the last command written was refused (after pymeasure property sets)."""
        self.raise_errors(self.last_command)

    def bad_reply(self, command: str, reply: str, expected: str) -> InstrumentError:
        return InstrumentError(
            self.name, self.resource, command, f"unexpected reply {reply!r} ({expected} expected)"
        )

    def parse_float(self, reply: str, command: str) -> float:
        try:
            return scpi_float(reply)
        except ValueError:
            raise self.bad_reply(command, reply, "a number") from None

    def parse_floats(self, reply: str, command: str, count: int | None = None) -> list[float]:
        values = [self.parse_float(part, command) for part in reply.split(",")]
        if count is not None and len(values) != count:
            raise self.bad_reply(command, reply, f"{count} values")
        return values

    def parse_bool(self, reply: str, command: str) -> bool:
        key = reply.strip().upper()
        if key in ("1", "ON", "+1"):
            return True
        if key in ("0", "OFF", "+0"):
            return False
        raise self.bad_reply(command, reply, "0 or 1")

    def query_float(self, command: str) -> float:
        return self.parse_float(self.query(command), command)

    def query_floats(self, command: str, count: int | None = None) -> list[float]:
        return self.parse_floats(self.query(command), command, count)

    def query_bool(self, command: str) -> bool:
        return self.parse_bool(self.query(command), command)

    # ---- identity, errors, safe state (protocols.Instrument) --------------------------------
    def identify(self) -> protocols.Identity:
        """``*IDN?``, kept in :attr:`identity` for the run's records."""
        self.identity = protocols.Identity.parse(self.query("*IDN?"))
        return self.identity

    def read_errors(self) -> list[tuple[int, str]]:
        """Empty the error queue; return its entries as (code, message), oldest first."""
        errors: list[tuple[int, str]] = []
        for _ in range(_MAX_ERRORS):
            reply = self.query(self.error_query)
            match = _ERROR_REPLY.match(reply)
            if not match:
                raise self.bad_reply(self.error_query, reply, 'code,"message"')
            code = int(match.group(1))  # "+0", "0" and "-221" alike: never compare text
            if code == 0:
                break
            errors.append((code, (match.group(2) or "").strip().strip('"')))
        return errors

    def raise_errors(self, command: str = "") -> None:
        """Read the error queue; raise InstrumentError naming ``command`` if it was not empty.

        If the queue cannot be read (no answer, a lost link, a garbled reply), the error names
        ``command`` too, and what it set is in doubt (no longer remembered)."""
        try:
            errors = self.read_errors()
        except SettingsLost:
            raise
        except InstrumentError as exc:
            if not command or exc.command == command:
                raise
            self._written(command, ok=False)
            detail = f"{exc.detail} (checking the error queue after it)"
            raise type(exc)(exc.instrument, exc.address, command, detail) from exc
        if errors:
            if command:
                self._written(command, ok=False)  # refused: its settings are in doubt
            detail = "; ".join(f'{code},"{text}"' for code, text in errors)
            exc = InstrumentError(
                self.name, self.resource, command or self.error_query, f"instrument error {detail}"
            )
            exc.errors = errors  # type: ignore[attr-defined]
            raise exc

    def check_errors(self) -> list[tuple[int, str]]:
        """pymeasure's hook: the queue's entries, logged (does not raise)."""
        errors = self.read_errors()
        for code, text in errors:
            log.error("%s: %d, %s", self.name, code, text)
        return errors

    def check_set_errors(self) -> list[Any]:
        """pymeasure's hook after ``check_set_errors=True`` properties: raise, naming the set."""
        self.check()
        return []

    def check_get_errors(self) -> list[Any]:
        self.check()
        return []

    def reset(self) -> None:
        """``*RST``: the instrument's defaults (checked)."""
        self.send("*RST")

    def clear(self) -> None:
        """``*CLS``: clear the status registers and the error queue."""
        self.write("*CLS")

    def make_safe(self) -> None:
        """Send :attr:`safe_commands`, every one even if another is refused.

        Errors already queued belong to earlier steps: they are logged and dropped first, so
        teardown does not blame the safe state for them. A dead link stops at once (one
        timeout, not one per command); a refused command raises after all were tried.
        """
        refused: InstrumentError | None = None
        try:
            stale = self.read_errors()
        except SettingsLost as exc:  # it rebooted: make it safe all the same, then say so
            refused, stale = exc, self.read_errors()
        for code, text in stale:
            log.warning("%s: stale error before make_safe: %d,%s", self.name, code, text)
        for command in self.safe_commands:
            try:
                self.send(command)
            except (InstrumentTimeout, InstrumentLinkError):
                raise
            except InstrumentError as exc:
                refused = refused or exc
        if refused is not None:
            raise refused

    def shutdown(self) -> None:
        """pymeasure's name for the safe state."""
        self.make_safe()
        # not super(): a pymeasure model class (Keithley) would ramp and send its own commands
        PymeasureInstrument.shutdown(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} at {self.resource}>"


class OutputWatchdog:
    """``OUTP:PROT:WDOG``: the output latches off when the host is silent for the delay.

    Shared by the AC sources and the EV emulator (same commands). Arming clears a previous
    trip first (``OUTP:PROT:CLE``), or the output could not be switched on again.
    """

    watchdog_delay = quantity(
        "OUTP:PROT:WDOG:DEL?", "OUTP:PROT:WDOG:DEL %g", "Host-silence delay before the watchdog "
        "trips", unit="s", range=(0.1, 3600.0),
    )
    watchdog = quantity("OUTP:PROT:WDOG?", "OUTP:PROT:WDOG %s", "Watchdog armed", bool)

    def arm_watchdog(self: Any, delay_s: float) -> None:
        type(self).watchdog_delay.validate(delay_s)
        self.send("OUTP:PROT:CLE")
        self.watchdog_delay = delay_s
        self.watchdog = True

    def disarm_watchdog(self: Any) -> None:
        self.watchdog = False

    def watchdog_tripped(self: Any) -> bool:
        """Did the watchdog latch the output off (cleared by the next :meth:`arm_watchdog`)?"""
        return bool(self.query_bool("OUTP:PROT:TRIP?"))
