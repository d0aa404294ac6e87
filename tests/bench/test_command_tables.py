"""The emulated instruments against their manuals' command tables (``rig.bench.manuals``).

Coverage: the parser's command tree of each model is exactly its table (nothing handled that
the table lacks, nothing in the table unhandled). Conformance, generated from the table over
the instrument's LAN port: after ``*RST`` every query answers its listed default; every set
form is accepted (held rows: only their default, anything else -221); every query answers in
the manual's reply format; nothing leaves an error behind that the table does not predict.
"""

from __future__ import annotations

import re

import pytest

from rig.bench.instruments.ac_load import AcLoad
from rig.bench.instruments.ac_source import AC6801B, Asterion
from rig.bench.instruments.chroma import Chroma19032
from rig.bench.instruments.counter import Counter53220A
from rig.bench.instruments.ev_emulator import EvEmulator
from rig.bench.instruments.keithley import Keithley2450, Keithley6221
from rig.bench.instruments.scope import Scope
from rig.bench.instruments.wt333e import WT333E
from rig.bench.manuals import REPLY_FORMATS, Cmd, Manual
from rig.bench.scpi import ScpiDevice, _compile, pattern_key

pytestmark = pytest.mark.stub_firmware

#: bench key -> emulated instrument class, for every model that has a command table.
MODELS = {"smu": Keithley2450, "cs": Keithley6221, "pa": WT333E, "ac1": AC6801B,
          "ac3": Asterion, "ev": EvEmulator, "est": Chroma19032, "scope": Scope,
          "load": AcLoad, "cnt": Counter53220A}
#: What a model needs before its conformance run (e.g. the WT333E's replies without headers).
PREAMBLE: dict[str, tuple[str, ...]] = {"pa": (":COMM:HEAD OFF",)}


@pytest.mark.parametrize("key", sorted(MODELS))
def test_parser_tree_equals_the_table(key, bench):
    cls = MODELS[key]
    assert cls.table_coverage() == ([], [])
    device = bench.servers[key].device
    registered = sorted(str(pattern_key(c.pattern)) for c in device._commands)
    table = sorted(str(pattern_key(p)) for p in cls.manual.rows())
    assert registered == table


def test_coverage_finds_a_handler_outside_the_table_and_a_row_without_one():
    """The check can fail: a handler the table lacks, and a model row nobody handles."""

    class Extra(Keithley2450):
        @ScpiDevice.command(":SOURce[1]:CURRent:BOGus")
        def _bogus(self, call):  # type: ignore[no-untyped-def]
            return None

    assert Extra.table_coverage() == ([":SOURce[1]:CURRent:BOGus"], [])

    manual = Keithley2450.manual
    bigger = Manual(manual.model, manual.title, manual.document, manual.edition,
                    manual.subsystems, (*manual.commands, Cmd(":SOURce[1]:CURRent:NEW")))

    class Missing(Keithley2450):
        pass

    Missing.manual = bigger
    assert Missing.table_coverage() == ([], [":SOURce[1]:CURRent:NEW",
                                             ":SOURce[1]:CURRent:NEW?"])
    with pytest.raises(TypeError, match="NEW"):
        Missing.__new__(Missing)._register_table()


def _reply(device: ScpiDevice, text: str) -> str:
    """A reply without the header a WT-style instrument may put in front."""
    return text.split(" ", 1)[1] if " " in text and text.startswith(":") else text


def concrete(pattern: str, long: bool) -> str:
    """A header a driver would send for a table pattern: short forms without the optional
    nodes, or (``long``) every node in long form; ``<n>`` suffixes as 1."""
    nodes, _ = _compile(pattern)
    words = [(n.long if long else n.short) + ("1" if n.suffix and n.fixed_suffix is None
                                              else "")
             for n in nodes if long or not n.optional]
    text = ":".join(words)
    return text if text.startswith("*") else ":" + text


def same(reply: str, default: str) -> bool:
    """A reply is the table's default: the same number (models format numbers their own
    way: ``+5.00000E+01``, ``5.0000E+01``) or the same text."""
    try:
        return float(reply) == float(default)
    except ValueError:
        return reply == default


def conformance(link, device: ScpiDevice, preamble: tuple[str, ...] = ()) -> list[str]:
    """Run one model's table over its link; return what does not conform."""
    manual = device.manual
    assert manual is not None
    error_query = device.error_query.replace("[:NEXT]", "")
    problems: list[str] = []

    def errors() -> list[int]:
        codes = []
        for _ in range(40):
            code = int(link.query(error_query).split(",")[0].split(" ")[-1])
            if code == 0:
                return codes
            codes.append(code)
        return codes

    link.write("*RST;*CLS")
    for command in preamble:
        link.write(command)
    for i, row in enumerate(manual.commands):  # defaults after *RST
        if row.has_query and row.default is not None:
            got = _reply(device, link.query(concrete(row.header, i % 2 == 0) + "?"))
            if not same(got, row.default):
                problems.append(f"{row.header}? after *RST: {got!r}, table {row.default!r}")
    assert errors() == []
    for i, row in enumerate(manual.commands):
        if row.header in ("*RST",):
            continue
        header = concrete(row.header, i % 2 == 1)
        if row.setup:
            link.write(row.setup)
        if row.has_set:
            param = "" if not row.takes_params else f" {row.example or row.default}"
            link.write(f"{header}{param}")
            expected = [-221] if row.mode == "held" and (
                not row.takes_params or row.default is None) else []
            got = errors()
            if got != expected:
                problems.append(f"{row.header}{param}: errors {got}, expected {expected}")
            for command in preamble:
                link.write(command)
        if row.has_query:
            params = f" {row.example}" if row.forms == "query" and row.example else ""
            text = _reply(device, link.query(f"{header}?{params}"))
            if not re.fullmatch(REPLY_FORMATS[row.reply], text):
                problems.append(f"{row.header}?: {text!r} is not {row.reply}")
            if got := errors():
                problems.append(f"{row.header}?: errors {got}")
    return problems


@pytest.mark.parametrize("key", sorted(MODELS))
def test_conformance_with_the_table(key, bench, links):
    device = bench.servers[key].device
    assert conformance(links[key], device, PREAMBLE.get(key, ())) == []


def test_a_rejected_query_leaves_no_reply_and_the_next_one_answers(links):
    """IEEE 488.2: a query that fails produces no response (the real instruments do the
    same; a driver times out on it); the error is queued and the link stays in step."""
    smu = links["smu"]
    smu.send_raw(b":SOUR:CURR:BOGUS?\n*OPC?\n")
    assert smu.read_raw() == b"1\n"  # no empty or stale line before it
    assert smu.errors() == [-113]


@pytest.mark.parametrize("message", [
    # the 2450 commands of issue 9 that pymeasure sends, each once
    ":ABOR", ":STAT:PRES", ":SENS:CURR:NPLC 1", ":SENS:CURR:RANG:AUTO 1",
    ":SENS:VOLT:NPLC 0.1", ":SENS:VOLT:RANG:AUTO 1", "*LANG?", ":SENS:FUNC?", ":MEAS:VOLT?",
    ":TRAC:POIN?", ":SYST:LFR?", ":ROUT:TERM?", ":INIT", ":SYST:ERR:COUN?", ":STAT:CLE",
    ':MEAS? "defbuffer1"',
])
def test_issue9_commands_2450(links, message):
    smu = links["smu"]
    if message.endswith("?") or "?" in message:
        assert smu.query(message)
    else:
        smu.write(message)
    assert smu.errors() == []


@pytest.mark.parametrize("message", [
    ":SOUR:CURR:RANG 0.02", ":SOUR:CURR:RANG:AUTO 1", ":SOUR:CURR:RANG:AUTO?", ":SOUR:DEL 0.01",
    ":SOUR:WAVE:RANG BEST", ":SOUR:WAVE:OFFS?", ":OUTP:LTE?", ":DISP:ENAB?", "*TRG",
    ":SOUR:CLE", ":STAT:QUE:CLE", ":SOUR:WAVE:DUR:TIME?",
])
def test_issue9_commands_6221(links, message):
    cs = links["cs"]
    if "?" in message:
        assert cs.query(message)
    else:
        cs.write(message)
    assert cs.errors() == []


def test_docs_page_shows_the_tables():
    """docs/emulated-instruments.md ends with the rendered tables: docs and data never drift."""
    from pathlib import Path

    from rig.bench.manuals.__main__ import MANUALS, render

    page = (Path(__file__).resolve().parents[2] / "docs" / "emulated-instruments.md")
    assert page.read_text().endswith(render()), "run: python -m rig.bench.manuals"
    assert {k: m.model for k, m in MANUALS.items()} == {
        k: cls.manual.model for k, cls in MODELS.items()}


def test_2450_status_system(links):
    """*STB?/*ESR? bits, :SYST:ERR:COUN?, :STAT:CLE (event registers), :SYST:CLE (the queue),
    :STAT:PRES (enable registers)."""
    smu = links["smu"]
    smu.write(":STAT:OPER:ENAB 8;*ESE 32;*SRE 32")
    smu.write(":NO:SUCH:COMMAND")
    assert smu.query(":SYST:ERR:COUN?") == "1"
    assert int(smu.query("*STB?")) & 0x64 == 0x64  # error available, ESB, MSS
    smu.write(":STAT:CLE")
    assert smu.query("*ESR?") == "0"  # the event registers are clear ...
    assert smu.query(":SYST:ERR:COUN?") == "1"  # ... the error is still queued
    smu.write(":SYST:CLE")
    assert smu.query(":SYST:ERR:COUN?;*STB?") == "0;0"
    assert smu.query(":STAT:OPER:ENAB?") == "8"
    smu.write(":STAT:PRES")
    assert smu.query(":STAT:OPER:ENAB?;:STAT:QUES:ENAB?;*ESE?") == "0;0;32"  # not *ESE
    smu.write(":NO:SUCH:COMMAND")
    assert smu.query(":SYST:ERR:CODE?;:SYST:ERR:COUN?") == "-113;0"


@pytest.mark.parametrize(("key", "command", "query", "code", "kept"), [
    ("smu", "*LANG TSP", "*LANG?", -221, "SCPI"),  # another command set: not emulated
    ("smu", ":FORM:DATA REAL", ":FORM?", -221, "ASC"),  # held: binary transfers
    ("smu", ":SOUR:SWE:CURR:LIN 0,1e-3,5", None, -221, None),  # held: the trigger model
    ("smu", ":TRAC:MAKE \"mybuf\"", None, -221, None),  # held: user buffers
    ("smu", ":SENS:CURR:NPLC 20", ":SENS:CURR:NPLC?", -222, "1.000000E+00"),  # kept: checked
    ("smu", ":ROUT:TERM MIDDLE", ":ROUT:TERM?", -224, "FRON"),
    ("smu", ":MEAS? \"mybuf\"", None, -224, None),  # a buffer that does not exist
    ("cs", ":SOUR:WAVE:DUR:CYCL 10", ":SOUR:WAVE:DUR:CYCL?", -221, "9.9E+37"),
    ("cs", ":SOUR:WAVE:RANG MAYBE", ":SOUR:WAVE:RANG?", -224, "BEST"),
    ("pa", ":INP:FILT:LINE ON", ":INP:FILT:LINE?", -221, "0"),  # held: no line filter
    ("pa", "*TRG", None, -221, None),
])
def test_not_emulated_is_refused_never_accepted(links, key, command, query, code, kept):
    link = links[key]
    err = ":STAT:ERR?" if key == "pa" else "SYST:ERR?"
    link.write(":COMM:HEAD OFF" if key == "pa" else "*CLS")
    link.write(command)
    assert link.errors(err) == [code]
    if query:
        assert link.query(query) == kept
    assert link.errors(err) == []


def test_conformance_finds_a_wrong_default_and_a_reply_in_another_format(bench, links):
    """The generated run can fail: a table that says VOLT is not CURR, and NR3 is not NR1."""
    from dataclasses import replace
    from types import SimpleNamespace

    device = bench.servers["smu"].device
    rows = [replace(r, default="CURR") if r.header == ":SOURce[1]:FUNCtion[:MODE]" else
            replace(r, reply="NR3") if r.header == ":SYSTem:LFRequency" else r
            for r in device.manual.commands]
    fake = SimpleNamespace(manual=replace(device.manual, commands=tuple(rows)),
                           error_query=device.error_query)
    problems = conformance(links["smu"], fake)
    assert len(problems) == 2, problems
    assert problems[0] == ":SOURce[1]:FUNCtion[:MODE]? after *RST: 'VOLT', table 'CURR'"
    assert problems[1] == ":SYSTem:LFRequency?: '50' is not NR3"
