"""Command tables of the emulated instruments, as their manuals give them: one module per model.

Why data: the SCPI parser registers exactly these headers, the emulated instrument implements
the rows it emulates, the docs page (``docs/emulated-instruments.md``) and the conformance and
coverage tests read the same rows. A command the manual lists in a claimed subsystem is
emulated (it changes or reads the bench model), *kept* (a setting with no effect on what the
bench models, validated and returned like the instrument does) or *held*: the bench keeps the
setting at its ``*RST`` default, its query answers that default, and setting any other value
is refused with -221 "Settings conflict" (how these instruments answer a setting they cannot
take in the present mode). Nothing is silently accepted, and no query of the table goes
unanswered.

A header outside the table is -113 "Undefined header", and a query that fails gets no response
(IEEE 488.2: a failed query produces no response message; the real instruments do the same and
a driver then times out, which is why every query a third-party driver sends for a claimed
subsystem is in a table).

Why a custom table instead of a SCPI-sim YAML (pyvisa-sim): the emulated instruments answer
from an electrical model, not from canned replies, and the table also carries what pyvisa-sim
has no place for: reply formats, ``*RST`` defaults, and how the bench implements each row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Reply formats (IEEE 488.2 section 8.7 and the manuals' own), as regular expressions.
REPLY_FORMATS: dict[str, str] = {
    "NR1": r"[+-]?\d+",  # integer
    "NR3": r"[+-]?\d\.\d+E[+-]\d{2,3}",  # 1.000000E-03
    "NR3|NAN": r"([+-]?\d\.\d+E[+-]\d{2,3}|NAN|INF|-INF)",  # the WT's "no data"/over range
    "NR3|CHAR": r"([+-]?\d\.\d+E[+-]\d{2,3}|[A-Z][A-Z0-9_]*)",  # a number or INF, NONE
    "NR2": r"[+-]?\d+\.\d+",  # fixed point
    "BOOL": r"[01]",
    "CHAR": r"[A-Z][A-Z0-9_]*",  # character data, e.g. CURR, P3W4
    "STRING": r"\"[^\"]*\"",  # quoted string data
    "ERROR": r"[+-]?\d+,\"[^\"]*\"",  # <code>,"<text>"
    "IDN": r"[^,]+,[^,]+,[^,]+,[^,]+",
    "LIST": r"[^;]+",  # comma-separated values (checked by the instrument's own tests)
}


@dataclass(frozen=True)
class Cmd:
    """One row of a manual's command table.

    ``header`` is the manual's notation (``[:SENSe[1]]:CURRent[:DC]:NPLCycles``); ``forms``
    says which forms exist: ``"set"`` (takes parameters), ``"query"``, ``"both"``, or
    ``"event"`` (a set form without parameters, e.g. ``:ABORt``; ``"event+query"`` has a query
    too). ``default`` is the query's reply after ``*RST`` (``None``: not a setting); ``reply``
    names a :data:`REPLY_FORMATS` entry.

    ``mode`` says how the bench implements the row: ``"model"`` (a handler of the emulated
    instrument: it reads or changes the bench model), ``"stored"`` (validated as ``value``
    says, kept, returned by the query and reset by ``*RST``: a setting with no effect on what
    the bench models, e.g. NPLC on a noise-free reading) or ``"held"`` (the bench keeps the
    default; any other value is -221, see the module docstring). ``value`` is the parameter
    type of stored and held rows: ``num`` (``low``..``high`` in ``unit``, MIN/MAX/DEF), ``int``,
    ``bool``, ``char`` (one of ``choices``, replied in short form) or ``string``. ``example``
    is the set-form parameter the conformance test sends (the default when empty).
    """

    header: str
    forms: str = "both"
    default: str | None = None
    reply: str = ""
    mode: str = "model"
    value: str = ""
    low: float | None = None
    high: float | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    example: str = ""
    note: str = ""
    #: A precondition the manual states, sent before the row in the conformance run
    #: (e.g. ``:SOUR:WAVE:ARM`` before ``:SOUR:WAVE:INIT``).
    setup: str = ""

    @property
    def has_set(self) -> bool:
        return self.forms in ("set", "both", "event", "event+query")

    @property
    def has_query(self) -> bool:
        return self.forms in ("query", "both", "event+query")

    @property
    def takes_params(self) -> bool:
        return self.forms in ("set", "both")

    def patterns(self) -> list[str]:
        out = []
        if self.has_set:
            out.append(self.header)
        if self.has_query:
            out.append(self.header + "?")
        return out


@dataclass(frozen=True)
class Manual:
    """The command table of one model, cited by manual, document number and edition."""

    model: str
    title: str
    document: str
    edition: str
    subsystems: tuple[str, ...]
    commands: tuple[Cmd, ...]
    #: How the instrument answers what this table does not cover.
    notes: tuple[str, ...] = field(default=())

    def citation(self) -> str:
        return f'{self.title}, {self.document}, {self.edition}'

    def rows(self) -> dict[str, Cmd]:
        """Every pattern (set form and ``?`` form) -> its row."""
        return {p: c for c in self.commands for p in c.patterns()}


def common_commands(*extra: Cmd) -> tuple[Cmd, ...]:
    """The IEEE 488.2 common commands every table here lists (plus a model's ``extra``)."""
    return (
        Cmd("*CLS", forms="event"),
        Cmd("*ESE", default="0", reply="NR1", example="0"),
        Cmd("*ESR", forms="query", reply="NR1"),
        Cmd("*IDN", forms="query", reply="IDN"),
        Cmd("*OPC", forms="event+query", reply="NR1"),
        Cmd("*RST", forms="event"),
        Cmd("*SRE", default="0", reply="NR1", example="0"),
        Cmd("*STB", forms="query", reply="NR1"),
        Cmd("*TST", forms="query", reply="NR1"),
        Cmd("*WAI", forms="event"),
        *extra,
    )


def reply_matches(reply: str, fmt: str) -> bool:
    """Does a reply (without header) have the manual's format?"""
    return re.fullmatch(REPLY_FORMATS[fmt], reply) is not None
