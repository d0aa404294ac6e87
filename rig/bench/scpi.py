"""An instrument-side SCPI-99 parser: the part of an emulated instrument that reads commands.

It does what the firmware of a real instrument does with a program message, so a driver cannot
tell the emulator from the hardware: long and short mnemonics in any case, optional nodes
(``[SOURce:]VOLTage[:LEVel]``), numeric suffixes (``ITEM12``, ``CURRent3``), ``;``-chained
commands with the compound-header path rule, IEEE 488.2 common commands, numeric parameters with
units and SI multipliers (``100MS``, ``6e-3``, ``MAX``), and a bounded error queue with the
standard negative error codes.

Why hand-written: no maintained Python package implements the instrument side of SCPI; the
client side is pyvisa's job. Dialects differ in reply formats, not in parsing, so each emulated
instrument subclasses :class:`ScpiDevice` and registers handlers with :meth:`ScpiDevice.command`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import ClassVar

from rig.bench.manuals import Cmd, Manual

log = logging.getLogger(__name__)

# ---- errors --------------------------------------------------------------------------------

#: Standard SCPI error messages by code (SCPI-99 vol. 2, chapter 21).
STANDARD_ERRORS: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -120: "Numeric data error",
    -131: "Invalid suffix",
    -200: "Execution error",
    -213: "Init ignored",
    -221: "Settings conflict",
    -230: "Data corrupt or stale",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -300: "Device-specific error",
    -310: "System error",
    -350: "Queue overflow",
    -363: "Input buffer overrun",
    -400: "Query error",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
}


class ScpiError(Exception):
    """Raised by a handler (or the parser) to put an error into the queue."""

    def __init__(self, code: int, detail: str = ""):
        self.code = code
        self.detail = detail
        text = STANDARD_ERRORS.get(code, "Device-specific error")
        super().__init__(f"{text}; {detail}" if detail else text)


#: SCPI-99 (21.8.1): an error's description and device-dependent info hold at most 255
#: characters, in the printable ASCII range.
MAX_ERROR_TEXT = 255


def printable(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` as an error queue may hold it: printable ASCII only (other characters as
    ``\\xNN`` escapes, so garbage a client sent is never echoed back raw), at most ``limit``
    characters (the rest cut with ``...``)."""
    out = "".join(_printable_char(c) for c in text[: limit + 1])
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _printable_char(c: str) -> str:
    if c == '"':  # the reply quotes the text: a quote inside would end it early
        return "'"
    if " " <= c <= "~":
        return c
    return f"\\x{ord(c):02x}" if ord(c) < 256 else "?"


# ---- header patterns -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    long: str  # upper-case long form, e.g. "VOLTAGE"
    short: str  # upper-case short form, e.g. "VOLT"
    optional: bool
    suffix: bool  # accepts a numeric suffix (<n>)
    #: ``SOURce[1]``: the only suffix the node accepts (the instrument has one channel).
    fixed_suffix: int | None = None

    def match(self, token: str) -> tuple[bool, int | None]:
        """Does an input mnemonic match this node? Return (matched, numeric suffix)."""
        m = re.fullmatch(r"([A-Z_*]+?)(\d*)", token)
        if not m:
            return False, None
        word, digits = m.groups()
        if word not in (self.long, self.short):
            # a mnemonic ending in a digit may be part of the word (e.g. "WT333E" never occurs
            # in headers, but *IDN does not carry suffixes either); accept exact long forms.
            if token in (self.long, self.short):
                return True, None
            return False, None
        if digits and not self.suffix:
            return False, None
        if digits and self.fixed_suffix is not None and int(digits) != self.fixed_suffix:
            return False, None
        return True, int(digits) if digits else None


def _compile(pattern: str) -> tuple[tuple[_Node, ...], bool]:
    """Compile ``"[SOURce:]VOLTage[:LEVel]?"`` into nodes; return (nodes, is_query)."""
    query = pattern.endswith("?")
    body = pattern.rstrip("?").lstrip(":")
    nodes: list[_Node] = []
    for raw in re.findall(r"\[:?[^\[\]]+(?:\[\d+\])?\]|\[\d+\]|[^:\[\]]+", body):
        if re.fullmatch(r"\[\d+\]", raw) and nodes:
            # ``SOURce[1]``: an optional numeric suffix of the node before, not a node
            nodes[-1] = replace(nodes[-1], suffix=True, fixed_suffix=int(raw[1:-1]))
            continue
        optional = raw.startswith("[")
        fixed = re.search(r"\[(\d+)\]\]$", raw)  # ``[:SENSe[1]]``: optional, suffix 1 only
        if fixed:
            raw = raw[: fixed.start()] + "]"
        word = raw.strip("[]:")
        suffix = word.endswith("<n>")
        word = word.removesuffix("<n>")
        short = "".join(ch for ch in word if ch.isupper() or ch.isdigit() or ch in "*_")
        node = _Node(word.upper(), short or word.upper(), optional, suffix)
        if fixed:
            node = replace(node, suffix=True, fixed_suffix=int(fixed.group(1)))
        nodes.append(node)
    return tuple(nodes), query


def pattern_key(pattern: str) -> tuple[object, ...]:
    """What makes two header patterns the same command (for the command-table coverage)."""
    nodes, query = _compile(pattern)
    return (tuple((n.long, n.optional, n.suffix, n.fixed_suffix) for n in nodes), query)


def response_header(pattern: str, suffixes: list[int | None], long: bool) -> str:
    """The header an instrument puts before a reply (``:COMM:HEAD ON``): the command's whole
    path, optional nodes inside it included, trailing ones not, in long or short form."""
    nodes, _ = _compile(pattern)
    last = max((i for i, n in enumerate(nodes) if not n.optional), default=len(nodes) - 1)
    words = []
    for i, node in enumerate(nodes):
        if node.optional and i > last:
            continue
        word = node.long if long else node.short
        if node.suffix and node.fixed_suffix is None:
            suffix = suffixes[i] if i < len(suffixes) else None
            word += str(suffix if suffix is not None else 1)
        words.append(word)
    return ":" + ":".join(words)


def short_form(pattern: str) -> str:
    """``"FRONt"`` -> ``"FRON"``: the mnemonic an instrument replies with."""
    return _compile(pattern)[0][0].short


def _match_nodes(nodes: tuple[_Node, ...], tokens: list[str]) -> list[int | None] | None:
    """Match input tokens against nodes, skipping optional nodes; return suffixes or None."""
    if not nodes:
        return [] if not tokens else None
    node, rest = nodes[0], nodes[1:]
    if tokens:
        ok, suffix = node.match(tokens[0])
        if ok:
            tail = _match_nodes(rest, tokens[1:])
            if tail is not None:
                return [suffix, *tail]
    if node.optional:
        tail = _match_nodes(rest, tokens)
        if tail is not None:
            return [None, *tail]
    return None


# ---- parameters ----------------------------------------------------------------------------

_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)$")
_PREFIX = {"": 1.0, "U": 1e-6, "M": 1e-3, "K": 1e3, "G": 1e9, "N": 1e-9, "P": 1e-12}


@dataclass
class Call:
    """One parsed command of a program message, handed to a handler."""

    header: str
    params: list[str]
    suffixes: list[int | None]
    query: bool
    device: ScpiDevice = field(repr=False)
    #: The matched command's header pattern (a command-table row's, where there is a table).
    pattern: str = field(default="", repr=False)
    #: How many leading parameters the handler read, and whether it checked the count.
    used: int = field(default=0, repr=False)
    counted: bool = field(default=False, repr=False)

    def suffix(self, index: int = -1, default: int = 1, valid: range | None = None) -> int:
        """Numeric suffix of a header node (``ITEM12`` -> 12); -114 if outside ``valid``."""
        present = self.suffixes
        value = present[index] if present and present[index] is not None else default
        if valid is not None and value not in valid:
            raise ScpiError(-114, f"{self.header}: suffix {value}")
        return value

    def count(self, minimum: int, maximum: int | None = None) -> None:
        """Check the number of parameters (-109 missing, -108 too many)."""
        maximum = minimum if maximum is None else maximum
        self.counted = True
        if len(self.params) < minimum:
            raise ScpiError(-109, self.header)
        if len(self.params) > maximum:
            raise ScpiError(-108, self.header)

    def raw(self, index: int = 0) -> str:
        self.used = max(self.used, index + 1)
        if index >= len(self.params):
            raise ScpiError(-109, self.header)
        return self.params[index]

    def check_unused(self) -> None:
        """-108 for parameters the handler neither read nor allowed with :meth:`count`."""
        if not self.counted and len(self.params) > self.used:
            raise ScpiError(-108, f"{self.header}: {len(self.params) - self.used} too many")

    def number(
        self,
        index: int = 0,
        unit: str = "",
        low: float | None = None,
        high: float | None = None,
        default: float | None = None,
    ) -> float:
        """A numeric parameter in base units; MIN/MAX/DEF map to ``low``/``high``/``default``."""
        text = self.raw(index).strip()
        key = text.upper()
        if key in ("MIN", "MINIMUM") and low is not None:
            return low
        if key in ("MAX", "MAXIMUM") and high is not None:
            return high
        if key in ("DEF", "DEFAULT") and default is not None:
            return default
        if key in ("INF", "+INF", "9.9E37", "9.9E+37"):
            value = math.inf
        elif key in ("-INF", "-9.9E37", "-9.9E+37"):
            value = -math.inf
        else:
            m = _NUMBER.match(text)
            if not m:
                raise ScpiError(-104, f"{self.header}: '{text}' is not a number")
            value = float(m.group(1)) * _multiplier(m.group(2).upper(), unit.upper(), self.header)
        if (low is not None and value < low) or (high is not None and value > high):
            raise ScpiError(-222, f"{self.header}: {text} outside {low:g} ... {high:g}"
                            if low is not None and high is not None
                            else f"{self.header}: {text}")
        return value

    def integer(self, index: int = 0, low: int | None = None, high: int | None = None) -> int:
        value = self.number(index, low=low, high=high)
        if not math.isfinite(value):
            raise ScpiError(-222, f"{self.header}: {self.raw(index)}")
        if value != int(value):
            raise ScpiError(-104, f"{self.header}: integer expected")
        return int(value)

    def boolean(self, index: int = 0) -> bool:
        text = self.raw(index).strip().upper()
        if text in ("ON", "1"):
            return True
        if text in ("OFF", "0"):
            return False
        raise ScpiError(-224, f"{self.header}: ON, OFF, 1 or 0 expected, got '{text}'")

    def choice(self, index: int, options: dict[str, str] | list[str]) -> str:
        """A character parameter matched in long or short form; returns the canonical name.

        ``options`` maps mnemonic patterns (``"NORMal"``) to results, or lists patterns whose
        upper-case long form is the result.
        """
        text = self.raw(index).strip().upper()
        items = options.items() if isinstance(options, dict) else ((o, o.upper()) for o in options)
        for pattern, result in items:
            node = _compile(pattern)[0][0]
            if text in (node.long, node.short):
                return result
        raise ScpiError(-224, f"{self.header}: '{text}'")

    def string(self, index: int = 0) -> str:
        text = self.raw(index).strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1].replace(text[0] * 2, text[0])
        return text


def _multiplier(suffix: str, unit: str, header: str) -> float:
    if not suffix:
        return 1.0
    if unit and suffix.endswith(unit):
        prefix = suffix[: -len(unit)]
        if unit in ("HZ", "OHM") and prefix == "M":  # SCPI: MHZ, MOHM are mega
            return 1e6
        if prefix == "MA" and unit in ("HZ", "OHM"):
            return 1e6
        if prefix in _PREFIX:
            return _PREFIX[prefix]
    if suffix == "%" and unit == "%":
        return 1.0
    raise ScpiError(-131, f"{header}: '{suffix}'")


def split_params(text: str) -> list[str]:
    """Split a parameter list at commas outside quotes."""
    out: list[str] = []
    buf: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == ",":
            out.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    if quote:
        raise ScpiError(-102, "unterminated string")
    tail = "".join(buf).strip()
    if tail or out:
        out.append(tail)
    if any(p == "" for p in out):
        raise ScpiError(-103, "empty parameter")
    return out


def split_commands(message: str) -> list[str]:
    """Split a program message at ``;`` outside quotes."""
    out, buf, quote = [], [], ""
    for ch in message:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == ";":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return [c.strip() for c in out if c.strip()]


# ---- the device ----------------------------------------------------------------------------

Handler = Callable[[Call], "str | None"]


@dataclass
class _Command:
    nodes: tuple[_Node, ...]
    query: bool
    handler: Handler
    pattern: str


class ScpiDevice:
    """Command tree, error queue and IEEE 488.2 common commands of one emulated instrument.

    Subclasses set :attr:`idn` and register handlers with the :meth:`command` decorator (class
    level) or :meth:`add` (instance level). :meth:`process` takes one program message (a line
    without its terminator) and returns the response message, or ``None`` for no reply.
    """

    idn = "evse-rig,EmulatedInstrument,0,0"
    error_queue_size = 30
    #: How ``SYST:ERR?`` formats a code: Keysight writes ``+0``, most others ``0``.
    error_code_format = "{:d}"
    #: Header of the error query; the Yokogawa WT300E family uses ``:STATus:ERRor?``.
    error_query = "SYSTem:ERRor[:NEXT]?"
    #: The model's command table (:mod:`rig.bench.manuals`). With one, the parser registers
    #: exactly its rows: handlers for its ``model`` rows, generic ones for ``stored`` and
    #: ``held`` rows; a handler of a subclass that is not in the table is a TypeError.
    manual: ClassVar[Manual | None] = None
    #: Set on a class whose handlers are a menu (IEEE 488.2 common commands, a status system):
    #: a model with a table takes those of them its table lists and leaves the others out.
    optional_handlers: ClassVar[bool] = False
    #: Table patterns a model serves with handlers it builds per instance (generated from a
    #: parameter table of its own): :meth:`instance_handlers` returns them.
    instance_patterns: ClassVar[tuple[str, ...]] = ()
    _class_commands: list[tuple[str, Handler]] = []
    _optional_patterns: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        inherited: list[tuple[str, Handler]] = []
        for base in reversed(cls.__mro__[1:]):
            inherited.extend(getattr(base, "_own_commands", []))
        own = [
            (pattern, fn)
            for fn in cls.__dict__.values()
            for pattern in getattr(fn, "_scpi_patterns", ())
        ]
        cls._own_commands = own
        cls._class_commands = inherited + own
        optional = set()
        for base in cls.__mro__:
            if base is ScpiDevice or base.__dict__.get("optional_handlers"):
                optional.update(p for p, _ in base.__dict__.get("_own_commands", []))
        cls._optional_patterns = frozenset(optional)

    @staticmethod
    def command(*patterns: str) -> Callable[[Handler], Handler]:
        """Register a method as the handler of one or more header patterns."""

        def deco(fn: Handler) -> Handler:
            fn._scpi_patterns = (*getattr(fn, "_scpi_patterns", ()), *patterns)  # type: ignore[attr-defined]
            return fn

        return deco

    def __init__(self) -> None:
        self.errors: deque[tuple[int, str]] = deque()
        self.esr = 0
        self.ese = 0
        self.sre = 0
        self._commands: list[_Command] = []
        self.opc_pending = False
        #: Values of the table's ``stored`` rows (reply form), reset by ``*RST``.
        self.stored: dict[str, str] = {}
        if self.manual is not None:
            self._register_table()
            return
        for pattern, fn in self._class_commands:
            self.add(pattern, fn.__get__(self))
        self.add(self.error_query, self._error_q)

    # -- the command table --
    @classmethod
    def table_coverage(cls) -> tuple[list[str], list[str]]:
        """(handled but not in the table, ``model`` rows without a handler) of a model."""
        assert cls.manual is not None
        rows = {pattern_key(p): (p, row) for p, row in cls.manual.rows().items()}
        handlers = [(cls.error_query, ScpiDevice._error_q), *cls._class_commands,
                    *((p, None) for p in cls.instance_patterns)]
        extra, handled = [], set()
        for pattern, _ in handlers:
            key = pattern_key(pattern)
            found = rows.get(key)
            if found is None or found[1].mode != "model":
                if pattern not in cls._optional_patterns and pattern != cls.error_query:
                    extra.append(pattern)
                continue
            handled.add(key)
        missing = [p for key, (p, row) in rows.items()
                   if row.mode == "model" and key not in handled]
        return extra, missing

    def _register_table(self) -> None:
        extra, missing = self.table_coverage()
        if extra or missing:
            raise TypeError(f"{type(self).__name__}: handlers not in its command table {extra}, "
                            f"table rows without a handler {missing}")
        handlers = {pattern_key(p): fn.__get__(self) for p, fn in
                    [(self.error_query, ScpiDevice._error_q), *self._class_commands]}
        handlers.update((pattern_key(p), fn) for p, fn in self.instance_handlers())
        assert self.manual is not None
        for pattern, row in self.manual.rows().items():
            query = pattern.endswith("?")
            if row.mode == "model":
                self.add(pattern, handlers[pattern_key(pattern)])
            elif query:
                self.add(pattern, self._generic_query(row))
            else:
                self.add(pattern, self._generic_set(row))
        self.reset_stored()

    def instance_handlers(self) -> list[tuple[str, Handler]]:
        """(pattern, handler) of :attr:`instance_patterns` (override with them)."""
        return []

    def reset_stored(self) -> None:
        """``*RST`` for the ``stored`` rows: back to the table's defaults."""
        if self.manual is not None:
            self.stored = {c.header: c.default or "" for c in self.manual.commands
                           if c.mode == "stored"}

    def format_number(self, value: float) -> str:
        """How this model replies with a number (NR3 unless a model says otherwise)."""
        return fmt_e(value, 6)

    def parse_value(self, call: Call, row: Cmd) -> str:
        """A ``stored``/``held`` row's parameter, validated, in the reply's form."""
        call.count(1)
        if row.value == "num":
            default = float(row.default) if row.default not in (None, "") else None
            return self.format_number(call.number(0, row.unit, row.low, row.high, default))
        if row.value == "int":
            return str(call.integer(0, None if row.low is None else int(row.low),
                                    None if row.high is None else int(row.high)))
        if row.value == "bool":
            return str(int(call.boolean(0)))
        if row.value == "char":
            return call.choice(0, {c: short_form(c) for c in row.choices})
        if row.value == "string":
            return f'"{call.string(0)}"'
        raise ScpiError(-108, call.header)

    def _generic_query(self, row: Cmd) -> Handler:
        def query(call: Call) -> str:
            call.count(0)
            if row.mode == "stored":
                return self.stored[row.header]
            return row.default or ""
        return query

    def _generic_set(self, row: Cmd) -> Handler:
        def setter(call: Call) -> None:
            if not row.takes_params or (row.mode == "held" and row.default is None):
                raise ScpiError(-221, f"{call.header}: not emulated on this bench")
            value = self.parse_value(call, row)
            if row.mode == "stored":
                self.stored[row.header] = value
            elif value != row.default:
                raise ScpiError(-221, f"{call.header}: this bench holds {row.default} "
                                      "(not emulated)")
        return setter

    def executing(self) -> AbstractContextManager[object]:
        """Held while one command runs (parsing is outside it): an emulated instrument takes
        the bench model's lock here, so a long or hostile message on one instrument's port
        never stalls the others (override)."""
        return contextlib.nullcontext()

    def add(self, pattern: str, handler: Handler) -> None:
        nodes, query = _compile(pattern)
        self._commands.append(_Command(nodes, query, handler, pattern))
        self.__dict__.pop("_found", None)

    # -- error queue --
    def push_error(self, code: int, detail: str = "") -> None:
        if code == 0:  # "No error" is what an empty queue reads, never an entry
            return
        text = STANDARD_ERRORS.get(code, "Device-specific error")
        if detail:
            text = printable(f"{text}; {detail}")
        if len(self.errors) >= self.error_queue_size:
            # SCPI-99: the newest entry is replaced by -350 (a device-dependent error); the
            # event that did not fit still sets its bit in the event status register
            self.errors.pop()
            self.errors.append((-350, STANDARD_ERRORS[-350]))
            self.esr |= 0x08
        else:
            self.errors.append((code, text))
        # event status register: command (bit 5), execution (4), device (3), query (2)
        if -199 <= code <= -100:
            self.esr |= 0x20
        elif -299 <= code <= -200:
            self.esr |= 0x10
        elif -499 <= code <= -400:
            self.esr |= 0x04
        elif code != 0:
            self.esr |= 0x08

    def _error_q(self, call: Call) -> str:
        call.count(0)
        return self.pop_error()

    def pop_error(self) -> str:
        code, text = self.errors.popleft() if self.errors else (0, STANDARD_ERRORS[0])
        return f'{self.error_code_format.format(code)},"{text}"'

    # -- the parser --
    def process(self, message: str) -> str | None:
        """Execute one program message; return the joined query responses, if any."""
        responses: list[str] = []
        path: list[str] = []
        try:
            commands = split_commands(message)
        except ScpiError as exc:
            self.push_error(exc.code, exc.detail)
            return None
        for text in commands:
            try:
                header, params = self._split_header(text)
                with self.executing():
                    result, path = self._execute(header, params, path)
            except ScpiError as exc:
                self.push_error(exc.code, exc.detail)
                # IEEE 488.2: a failed query produces no response element
                continue
            except Exception as exc:  # a bug in a handler: report it, keep the link up
                log.exception("%s: command %r failed", type(self).__name__, text)
                self.push_error(-310, f"{type(exc).__name__}: {exc}")
                continue
            if result is not None:
                responses.append(result)
        return ";".join(responses) if responses else None

    @staticmethod
    def _split_header(text: str) -> tuple[str, list[str]]:
        m = re.match(r"^(\S+)(?:\s+(.*))?$", text, re.S)
        if not m:
            raise ScpiError(-102, text)
        header, rest = m.group(1), m.group(2)
        if not re.fullmatch(r":?\*?[A-Za-z][A-Za-z0-9_]*(?::[A-Za-z][A-Za-z0-9_]*)*\??", header):
            raise ScpiError(-102, f"'{header}'")
        return header, split_params(rest) if rest else []

    def _execute(
        self, header: str, params: list[str], path: list[str]
    ) -> tuple[str | None, list[str]]:
        query = header.endswith("?")
        bare = header.rstrip("?")
        if bare.startswith("*"):
            return self._dispatch(bare.upper(), [bare.upper()], params, query), path
        absolute = bare.startswith(":")
        tokens = [t.upper() for t in bare.lstrip(":").split(":")]
        candidates = [tokens] if absolute or not path else [path + tokens, tokens]
        for attempt in candidates:
            found = self._find(attempt, query)
            if found is not None:
                cmd, suffixes = found
                call = Call(header.upper(), params, suffixes, query, self, cmd.pattern)
                result = cmd.handler(call)
                call.check_unused()
                if query and result is None:
                    raise ScpiError(-410, header)
                return (result if query else None), attempt[:-1]
        raise ScpiError(-113, f"'{header}'")

    def _find(self, tokens: list[str], query: bool) -> tuple[_Command, list[int | None]] | None:
        # A plan sends the same few headers thousands of times: remember each header's match
        # (a command table has up to ~200 patterns to try), bounded, forgotten on add().
        key = (*tokens, query)
        cache = self.__dict__.setdefault("_found", {})
        if key in cache:
            return cache[key]
        found = None
        for cmd in self._commands:
            if cmd.query == query:
                suffixes = _match_nodes(cmd.nodes, tokens)
                if suffixes is not None:
                    found = cmd, suffixes
                    break
        if len(cache) >= 4096:
            cache.clear()
        cache[key] = found
        return found

    def _dispatch(self, name: str, tokens: list[str], params: list[str], query: bool) -> str | None:
        found = self._find(tokens, query)
        if found is None:
            raise ScpiError(-113, f"'{name}{'?' if query else ''}'")
        cmd, suffixes = found
        call = Call(name + ("?" if query else ""), params, suffixes, query, self, cmd.pattern)
        result = cmd.handler(call)
        call.check_unused()
        return result if query else None

    # -- IEEE 488.2 common commands --
    @command("*IDN?")
    def _idn(self, call: Call) -> str:
        call.count(0)
        return self.idn

    @command("*RST")
    def _rst(self, call: Call) -> None:
        call.count(0)
        self.reset_stored()
        self.reset()

    @command("*CLS")
    def _cls(self, call: Call) -> None:
        call.count(0)
        self.errors.clear()
        self.esr = 0

    @command("*OPC?")
    def _opc_q(self, call: Call) -> str:
        return "1"

    @command("*OPC")
    def _opc(self, call: Call) -> None:
        self.esr |= 0x01

    @command("*WAI")
    def _wai(self, call: Call) -> None:
        return None

    @command("*ESR?")
    def _esr_q(self, call: Call) -> str:
        value, self.esr = self.esr, 0
        return str(value)

    @command("*ESE")
    def _ese(self, call: Call) -> None:
        self.ese = call.integer(0, 0, 255)

    @command("*ESE?")
    def _ese_q(self, call: Call) -> str:
        return str(self.ese)

    @command("*SRE")
    def _sre(self, call: Call) -> None:
        self.sre = call.integer(0, 0, 255)

    @command("*SRE?")
    def _sre_q(self, call: Call) -> str:
        return str(self.sre)

    @command("*STB?")
    def _stb(self, call: Call) -> str:
        stb = (0x04 if self.errors else 0) | (0x20 if self.esr & self.ese else 0)
        if stb & self.sre & ~0x40:
            stb |= 0x40  # MSS: a summary bit enabled by *SRE is set
        return str(stb)

    @command("*TST?")
    def _tst(self, call: Call) -> str:
        return "0"

    def reset(self) -> None:
        """``*RST``: return the instrument's settings to their defaults (override)."""

    def power_on(self) -> None:
        """A power cycle (``BENCH:FAULT:REBOOT``): what ``*RST`` resets, the error queue and
        the status registers, and what a model keeps across ``*RST`` (override for that)."""
        self.errors.clear()
        self.esr = self.ese = self.sre = 0
        self.reset_stored()
        self.reset()


ScpiDevice._own_commands = [
    (pattern, fn)
    for fn in vars(ScpiDevice).values()
    for pattern in getattr(fn, "_scpi_patterns", ())
]
ScpiDevice._class_commands = list(ScpiDevice._own_commands)


def fmt_e(value: float, digits: int = 5, plus: bool = False) -> str:
    """Format like most instruments do: ``+2.30000E+02`` (``plus``) or ``2.30000E+02``."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "9.9E+37" if value > 0 else "-9.9E+37"
    if value == 0:
        value = 0.0  # "-0" from the parser is zero, not "+-0.00000E+00"
    text = f"{value:.{digits}E}"
    return f"+{text}" if plus and value >= 0 else text
