"""Unit tests of the instrument-side SCPI parser (rig/bench/scpi.py), no bench needed.

A small :class:`ScpiDevice` subclass registers one command per parser feature; each test sends
a program message through :meth:`ScpiDevice.process` and checks the exact reply, the value the
handler received and the exact error codes left in the queue.
"""

from __future__ import annotations

import math

import pytest

from rig.bench.scpi import ScpiDevice, ScpiError, fmt_e, split_commands, split_params


class Device(ScpiDevice):
    """A test instrument: each handler stores what it parsed in ``self.got``."""

    idn = "evse-rig,TestDevice,SN1,1.0"
    error_queue_size = 8

    def __init__(self) -> None:
        self.got: dict[str, object] = {}
        self.resets = 0
        super().__init__()

    def reset(self) -> None:
        self.resets += 1
        self.got.clear()

    @ScpiDevice.command("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]")
    def _volt(self, call):
        call.count(1)
        self.got["volt"] = call.number(0, "V", 0.0, 300.0, default=1.0)

    @ScpiDevice.command("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]?")
    def _volt_q(self, call):
        return f"{self.got.get('volt', 0.0):g}"

    @ScpiDevice.command("[SOURce:]CURRent[:LEVel]")
    def _curr(self, call):
        call.count(1)
        self.got["curr"] = call.number(0, "A", 0.0, 10.0)

    @ScpiDevice.command("[SOURce:]CURRent[:LEVel]?")
    def _curr_q(self, call):
        return f"{self.got.get('curr', 0.0):g}"

    @ScpiDevice.command("[SOURce:]CURRent:PROTection:STATe")
    def _prot(self, call):
        call.count(1)
        self.got["prot"] = call.boolean(0)

    @ScpiDevice.command("CHANnel<n>:VOLTage")
    def _chan(self, call):
        channel = call.suffix(0, valid=range(1, 4))
        self.got[f"chan{channel}"] = call.number(0, "V")

    @ScpiDevice.command("CHANnel<n>:VOLTage?")
    def _chan_q(self, call):
        channel = call.suffix(0, valid=range(1, 4))
        return f"{self.got.get(f'chan{channel}', 0.0):g}"

    @ScpiDevice.command(":NUMeric[:NORMal]:ITEM<n>")
    def _item(self, call):
        n = call.suffix(valid=range(1, 256))
        call.count(1, 2)
        element = call.choice(1, ["SIGMa", "1", "2", "3"]) if len(call.params) > 1 else "1"
        self.got[f"item{n}"] = (call.choice(0, {"Urms": "U", "Irms": "I", "LAMBda": "LAMBDA"}),
                                element)

    @ScpiDevice.command(":OUTPut[1][:STATe]")
    def _outp(self, call):
        call.count(1)
        self.got["outp"] = call.boolean(0)

    @ScpiDevice.command("NUMber")
    def _number(self, call):
        call.count(1)
        self.got["number"] = call.number(0)

    @ScpiDevice.command("TIMe")
    def _time(self, call):
        self.got["time"] = call.number(0, "S")

    @ScpiDevice.command("FREQuency")
    def _freq(self, call):
        self.got["freq"] = call.number(0, "HZ", 0.0, math.inf)

    @ScpiDevice.command("RESistance")
    def _res(self, call):
        self.got["res"] = call.number(0, "OHM")

    @ScpiDevice.command("INTeger")
    def _int(self, call):
        self.got["int"] = call.integer(0, 0, 100)

    @ScpiDevice.command("TEXT")
    def _text(self, call):
        self.got["text"] = call.string(0)

    @ScpiDevice.command("TEXT?")
    def _text_q(self, call):
        text = str(self.got.get("text", ""))
        return '"' + text.replace('"', '""') + '"'

    @ScpiDevice.command("MODE")
    def _mode(self, call):
        self.got["mode"] = call.choice(0, {"NORMal": "NORMAL", "CONTinuous": "CONTINUOUS"})

    @ScpiDevice.command("PAIR")
    def _pair(self, call):
        call.count(2)
        self.got["pair"] = (call.number(0), call.number(1))

    @ScpiDevice.command("LOOSe")
    def _loose(self, call):
        """Reads one parameter and never checks the count."""
        self.got["loose"] = call.number(0)

    @ScpiDevice.command("BOOM")
    def _boom(self, call):
        raise RuntimeError("handler bug")

    @ScpiDevice.command("FAIL?")
    def _fail_q(self, call):
        raise ScpiError(-222, "always out of range")


class KeysightLike(Device):
    error_code_format = "{:+d}"


class YokogawaLike(Device):
    error_query = ":STATus:ERRor?"


@pytest.fixture
def dev() -> Device:
    return Device()


def errors(dev: ScpiDevice) -> list[int]:
    """Drain the error queue through the error query itself; return the codes."""
    query = ":STAT:ERR?" if isinstance(dev, YokogawaLike) else "SYST:ERR?"
    codes = []
    for _ in range(dev.error_queue_size + 1):
        code = int(dev.process(query).split(",", 1)[0])
        if code == 0:
            return codes
        codes.append(code)
    raise AssertionError("error queue does not drain")


# ---- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "VOLT 12", "volt 12", "Volt 12", "VOLTAGE 12", "voltage 12", "VoLtAgE 12",
        "SOUR:VOLT 12", "source:voltage:level 12", "SOURCE:VOLT:LEV:IMM:AMPL 12",
        ":SOUR:VOLT:AMPL 12", "VOLT:IMMEDIATE 12", "SOUR:VOLTAGE:IMM 12", "volt:lev:ampl 12",
    ],
)
def test_long_short_any_case_and_optional_nodes(dev, message):
    assert dev.process(message) is None
    assert dev.got["volt"] == 12.0
    assert errors(dev) == []


@pytest.mark.parametrize(
    "message",
    ["VOL 1", "VOLTA 1", "VOLTAG 1", "SOURC:VOLT 1", "SOUR:LEVEL 1", "VOLT:LEV:LEV 1",
     "VOLT:AMPL:IMM 1", "BOGUS 1", "SOUR 1"],
)
def test_partial_wrong_order_and_unknown_headers_are_113(dev, message):
    assert dev.process(message) is None
    assert "volt" not in dev.got
    assert errors(dev) == [-113]


def test_numeric_suffix(dev):
    dev.process("CHAN2:VOLT 5;:CHANNEL3:VOLTAGE 6;:chan1:volt 7")
    assert (dev.got["chan1"], dev.got["chan2"], dev.got["chan3"]) == (7.0, 5.0, 6.0)
    assert dev.process("CHAN2:VOLT?;:CHAN3:VOLT?") == "5;6"
    dev.process("CHAN:VOLT 8")  # no suffix means 1
    assert dev.got["chan1"] == 8.0
    dev.process(":NUM:NORM:ITEM12 LAMB,SIGM;:NUMERIC:ITEM255 URMS,2;:NUM:ITEM1 I")
    assert dev.got["item12"] == ("LAMBDA", "SIGMA")
    assert dev.got["item255"] == ("U", "2")
    assert dev.got["item1"] == ("I", "1")
    assert errors(dev) == []


@pytest.mark.parametrize("message", ["CHAN4:VOLT 1", "CHAN0:VOLT 1", ":NUM:ITEM256 U",
                                     ":NUM:ITEM0 U", "CHAN9:VOLT?"])
def test_suffix_out_of_range_is_114(dev, message):
    assert dev.process(message) is None
    assert errors(dev) == [-114]
    assert not any(k.startswith(("chan", "item")) for k in dev.got)


def test_suffix_on_a_node_without_suffix_is_113(dev):
    dev.process("VOLT2 5")
    dev.process("CHAN2:VOLT3 5")
    assert errors(dev) == [-113, -113]


def test_bracketed_one_is_an_optional_suffix_not_a_node(dev):
    dev.process(":OUTP ON")
    assert dev.got["outp"] is True
    dev.process(":OUTP1 OFF")
    assert dev.got["outp"] is False
    dev.process(":OUTPUT1:STATE ON")
    assert dev.got["outp"] is True
    assert errors(dev) == []
    dev.process(":OUTP2 OFF")  # the instrument has one output
    dev.process(":OUTP:1 OFF")  # and "1" is not a node of its own (nor a mnemonic)
    assert dev.got["outp"] is True
    assert errors(dev) == [-113, -102]


# ---- chains and the compound-header path rule ----------------------------------------------


def test_path_rule_resolves_under_the_previous_header(dev):
    dev.process("SOUR:VOLT 5;CURR 2")
    assert dev.got == {"volt": 5.0, "curr": 2.0}
    dev.process("SOUR:CURR 3;CURR:PROT:STAT ON")  # path SOUR -> SOUR:CURR:PROT:STAT
    assert dev.got["prot"] is True
    dev.process("SOUR:CURR:PROT:STAT OFF;STAT ON")  # path SOUR:CURR:PROT -> STAT
    assert dev.got["prot"] is True
    dev.process("SOUR:VOLT:LEV 9;LEV 10")  # path SOUR:VOLT -> SOUR:VOLT:LEV
    assert dev.got["volt"] == 10.0
    assert errors(dev) == []


def test_leading_colon_resets_the_path(dev):
    dev.process(":NUM:NORM:ITEM2 U;ITEM3 I")
    assert dev.got["item3"] == ("I", "1")
    # ":ITEM4" is absolute: there is no root ITEM node
    dev.process(":NUM:NORM:ITEM2 U;:ITEM4 I")
    assert "item4" not in dev.got
    assert errors(dev) == [-113]
    dev.process(":NUM:ITEM5 U;:NUM:ITEM6 I")
    assert dev.got["item6"] == ("I", "1")
    assert errors(dev) == []


def test_common_commands_inside_a_chain_keep_the_path(dev):
    reply = dev.process("SOUR:VOLT 5;*IDN?;CURR 2;*OPC?;:VOLT?")
    assert reply == "evse-rig,TestDevice,SN1,1.0;1;5"
    assert dev.got["curr"] == 2.0
    dev.process("SOUR:VOLT 7;*CLS;CURR 4")
    assert dev.got == {"volt": 7.0, "curr": 4.0}
    assert errors(dev) == []


def test_queries_are_joined_with_semicolons(dev):
    assert dev.process("VOLT 5;CURR 2") is None
    assert dev.process("VOLT?;CURR?") == "5;2"
    assert dev.process("volt?;:curr?;*idn?") == "5;2;evse-rig,TestDevice,SN1,1.0"


def test_a_failed_query_gives_no_reply_element(dev):
    dev.process("VOLT 5;CURR 2")
    assert dev.process("VOLT?;BOGUS?;CURR?") == "5;2"
    assert dev.process("VOLT?;FAIL?;CURR?") == "5;2"
    assert dev.process("FAIL?") is None
    assert errors(dev) == [-113, -222, -222]


def test_an_error_in_a_chain_does_not_stop_the_rest(dev):
    dev.process("VOLT 400;CURR 3;VOLT 6")
    assert dev.got == {"curr": 3.0, "volt": 6.0}
    assert errors(dev) == [-222]


def test_split_helpers_respect_quotes():
    assert split_commands('TEXT "a;b";VOLT 1; ;') == ['TEXT "a;b"', "VOLT 1"]
    assert split_params(" 1 , 'x,y' ,\"q\"\"r\"") == ["1", "'x,y'", '"q""r"']
    assert split_params("") == []


# ---- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-3", 1e-3), ("+2.5E+02", 250.0), (".5", 0.5), ("5.", 5.0), ("-.5e1", -5.0),
        ("  42  ", 42.0), ("1E3", 1000.0), ("0", 0.0), ("-7", -7.0),
        ("INF", math.inf), ("-INF", -math.inf), ("9.9E37", math.inf),
    ],
)
def test_number_formats(dev, text, value):
    dev.process(f"NUM {text}")
    assert errors(dev) == []
    assert dev.got["number"] == value


@pytest.mark.parametrize(
    ("message", "key", "value"),
    [
        ("TIME 100MS", "time", 0.1), ("TIME 100 ms", "time", 0.1), ("TIME 2S", "time", 2.0),
        ("TIME 250US", "time", 250e-6), ("TIME 1KS", "time", 1000.0),
        ("CURR 5MA", "curr", 5e-3), ("CURR 5 mA", "curr", 5e-3), ("CURR 2A", "curr", 2.0),
        ("FREQ 1MHZ", "freq", 1e6), ("FREQ 1MAHZ", "freq", 1e6), ("FREQ 2.5KHZ", "freq", 2500.0),
        ("FREQ 50HZ", "freq", 50.0), ("FREQ 1GHZ", "freq", 1e9),
        ("RES 1MOHM", "res", 1e6), ("RES 2.2KOHM", "res", 2200.0), ("RES 470", "res", 470.0),
        ("VOLT 230V", "volt", 230.0), ("VOLT 500MV", "volt", 0.5),
    ],
)
def test_units_and_si_multipliers(dev, message, key, value):
    dev.process(message)
    assert errors(dev) == []
    assert dev.got[key] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("message", ["VOLT 5A", "CURR 5V", "NUM 5V", "TIME 5HZ", "VOLT 5XV"])
def test_wrong_unit_is_131(dev, message):
    dev.process(message)
    assert errors(dev) == [-131]


@pytest.mark.parametrize(
    ("message", "value"),
    [("VOLT MIN", 0.0), ("VOLT max", 300.0), ("VOLT MAXIMUM", 300.0), ("VOLT DEF", 1.0),
     ("VOLT minimum", 0.0), ("VOLT default", 1.0)],
)
def test_min_max_def(dev, message, value):
    dev.process(message)
    assert errors(dev) == []
    assert dev.got["volt"] == value


@pytest.mark.parametrize("message", ["VOLT 300.001", "VOLT -1", "VOLT INF", "CURR 10.5",
                                     "CURR 10001MA", "INT 101", "INT -1", "INT INF",
                                     "*ESE 256"])
def test_out_of_range_is_222(dev, message):
    dev.process(message)
    assert errors(dev) == [-222]
    assert "volt" not in dev.got and "curr" not in dev.got and "int" not in dev.got


def test_out_of_range_message_names_the_header_and_range(dev):
    dev.process("VOLT 400")
    assert dev.process("SYST:ERR?") == '-222,"Data out of range; VOLT: 400 outside 0 ... 300"'


@pytest.mark.parametrize("message", ["VOLT abc", "VOLT ON", "NUM 1.2.3", "NUM NAN", "NUM --1",
                                     'NUM "5"', "INT 3.5", "CURR DEF"])
def test_not_a_number_is_104(dev, message):
    dev.process(message)
    assert errors(dev) == [-104]


def test_integer_accepts_integral_floats(dev):
    dev.process("INT 1e1")
    assert dev.got["int"] == 10
    assert isinstance(dev.got["int"], int)


# ---- booleans, strings, character data -----------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("ON", True), ("on", True), ("1", True),
                                             ("OFF", False), ("off", False), ("0", False)])
def test_booleans(dev, text, value):
    dev.process(f"CURR:PROT:STAT {text}")
    assert errors(dev) == []
    assert dev.got["prot"] is value


@pytest.mark.parametrize("text", ["2", "YES", "TRUE", "O"])
def test_bad_boolean_is_224(dev, text):
    dev.process(f"CURR:PROT:STAT {text}")
    assert errors(dev) == [-224]


@pytest.mark.parametrize(
    ("text", "value"),
    [('"hello"', "hello"), ("'hello'", "hello"), ('"say ""hi"""', 'say "hi"'),
     ("'it''s'", "it's"), ('"a;b,c"', "a;b,c"), ('""', ""), ("bare", "bare")],
)
def test_quoted_strings(dev, text, value):
    dev.process(f"TEXT {text}")
    assert errors(dev) == []
    assert dev.got["text"] == value


def test_string_round_trip_with_doubled_quotes(dev):
    dev.process('TEXT "a ""quoted"" word";TEXT?')
    assert dev.process("TEXT?") == '"a ""quoted"" word"'


def test_unterminated_string_is_102(dev):
    dev.process('TEXT "abc')
    assert errors(dev) == [-102]
    assert "text" not in dev.got


@pytest.mark.parametrize(("text", "value"), [("NORM", "NORMAL"), ("normal", "NORMAL"),
                                             ("CONT", "CONTINUOUS"), ("Continuous", "CONTINUOUS")])
def test_character_data_long_and_short(dev, text, value):
    dev.process(f"MODE {text}")
    assert errors(dev) == []
    assert dev.got["mode"] == value


@pytest.mark.parametrize("text", ["NOR", "CONTIN", "FAST"])
def test_bad_character_data_is_224(dev, text):
    dev.process(f"MODE {text}")
    assert errors(dev) == [-224]


# ---- parameter counts and syntax -----------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("VOLT", -109), ("PAIR 1", -109), ("TEXT", -109), ("MODE", -109),
        ("VOLT 1,2", -108), ("PAIR 1,2,3", -108), ("*IDN? 1", -108), ("*RST 1", -108),
        ("SYST:ERR? 1", -108),
        ("VOLT ,", -103), ("VOLT 1,", -103), ("PAIR ,2", -103), ("PAIR 1,,2", -103),
        (":VOLT:", -102), ("VOLT#5", -102), ("VOLT::LEV 1", -102), ("VOLT,5", -102),
        ("*", -102), ("VOLT?? ", -102), ('TEXT "a', -102),
    ],
)
def test_parameter_and_syntax_errors(dev, message, code):
    assert dev.process(message) is None
    assert errors(dev) == [code]


def test_extra_parameters_of_a_handler_that_does_not_count_are_108(dev):
    dev.process("LOOS 5")
    assert dev.got["loose"] == 5.0
    assert errors(dev) == []
    dev.process("LOOS 6,7")
    assert errors(dev) == [-108]


def test_a_query_with_extra_parameters_gives_no_reply_and_keeps_the_error(dev):
    dev.process("VOLT 1000")  # -222 in the queue
    assert dev.process("SYST:ERR? 5") is None
    assert errors(dev) == [-222, -108]


def test_handler_bug_becomes_an_error_not_an_exception(dev):
    assert dev.process("BOOM;VOLT 3;VOLT?") == "3"
    assert errors(dev) == [-310]


# ---- error queue, status registers, common commands ----------------------------------------


def test_error_query_formats():
    assert Device().process("SYST:ERR?") == '0,"No error"'
    assert KeysightLike().process("SYST:ERR?") == '+0,"No error"'
    assert KeysightLike().process("SYSTEM:ERROR:NEXT?") == '+0,"No error"'
    keysight = KeysightLike()
    keysight.process("BOGUS")
    assert keysight.process("SYST:ERR?") == "-113,\"Undefined header; 'BOGUS'\""
    device = Device()
    device.process("BOGUS")
    assert device.process("syst:err?") == "-113,\"Undefined header; 'BOGUS'\""


def test_yokogawa_error_query_replaces_syst_err():
    dev = YokogawaLike()
    assert dev.process(":STAT:ERR?") == '0,"No error"'
    assert dev.process("SYST:ERR?") is None
    assert dev.process(":STATUS:ERROR?") == "-113,\"Undefined header; 'SYST:ERR?'\""
    assert dev.process(":STAT:ERR?") == '0,"No error"'


def test_errors_come_out_oldest_first(dev):
    dev.process("VOLT 400")
    dev.process("BOGUS")
    dev.process("VOLT")
    assert errors(dev) == [-222, -113, -109]
    assert dev.process("SYST:ERR?") == '0,"No error"'


def test_queue_overflow_replaces_the_newest_entry_with_350(dev):
    for _ in range(dev.error_queue_size + 5):
        dev.process("BOGUS")
    assert len(dev.errors) == dev.error_queue_size
    assert errors(dev) == [-113] * (dev.error_queue_size - 1) + [-350]


def test_overflow_after_a_cleared_esr_still_sets_event_bits(dev):
    for _ in range(dev.error_queue_size):
        dev.process("VOLT 400")  # execution errors fill the queue
    assert dev.process("*ESR?") == str(0x10)
    dev.process("BOGUS")  # command error; does not fit: -350 replaces the newest
    assert int(dev.process("*ESR?")) == 0x20 | 0x08
    assert errors(dev)[-1] == -350


@pytest.mark.parametrize(
    ("message", "bit"),
    [("BOGUS", 0x20), ("VOLT abc", 0x20), ("VOLT 400", 0x10), ("MODE FAST", 0x10),
     ("BOOM", 0x08)],
)
def test_esr_bits_after_errors(dev, message, bit):
    assert dev.process("*ESR?") == "0"
    dev.process(message)
    assert dev.process("*ESR?") == str(bit)
    assert dev.process("*ESR?") == "0"  # reading clears it


def test_esr_accumulates_and_opc_sets_bit_0(dev):
    dev.process("BOGUS;VOLT 400;*OPC")
    assert dev.process("*ESR?") == str(0x20 | 0x10 | 0x01)


def test_cls_clears_queue_and_esr(dev):
    dev.process("BOGUS;VOLT 400")
    assert len(dev.errors) == 2
    dev.process("*CLS")
    assert dev.process("*ESR?") == "0"
    assert dev.process("SYST:ERR?") == '0,"No error"'


def test_stb_summarises_queue_and_enabled_esr(dev):
    assert dev.process("*STB?") == "0"
    dev.process("BOGUS")
    assert dev.process("*STB?") == "4"  # error/event queue not empty
    dev.process("*ESE 32")
    assert dev.process("*ESE?") == "32"
    assert dev.process("*STB?") == str(4 | 32)
    dev.process("*SRE 32")
    assert dev.process("*SRE?") == "32"
    assert dev.process("*STB?") == str(4 | 32 | 64)  # MSS
    dev.process("*CLS")
    assert dev.process("*STB?") == "0"


def test_idn_rst_opc_tst(dev):
    assert dev.process("*IDN?") == "evse-rig,TestDevice,SN1,1.0"
    assert dev.process("*idn?") == "evse-rig,TestDevice,SN1,1.0"
    resets = dev.resets
    dev.process("VOLT 5;*RST")
    assert dev.resets == resets + 1
    assert "volt" not in dev.got
    assert dev.process("*OPC?") == "1"
    assert dev.process("*TST?") == "0"
    assert dev.process("*WAI;*OPC?") == "1"
    assert errors(dev) == []


def test_rst_does_not_clear_the_error_queue(dev):
    dev.process("BOGUS;*RST")
    assert errors(dev) == [-113]


def test_unknown_common_command_is_113(dev):
    dev.process("*FOO")
    dev.process("*IDN")  # the query form exists, the command form does not
    assert errors(dev) == [-113, -113]


def test_empty_and_blank_messages_do_nothing(dev):
    assert dev.process("") is None
    assert dev.process("   ") is None
    assert dev.process(";") is None
    assert errors(dev) == []


def test_fmt_e():
    assert fmt_e(230.0, 5, plus=True) == "+2.30000E+02"
    assert fmt_e(-1.5e-3, 4) == "-1.5000E-03"
    assert fmt_e(math.nan) == "NAN"
    assert fmt_e(math.inf) == "9.9E+37"
    assert fmt_e(-math.inf) == "-9.9E+37"
    assert fmt_e(-0.0, 5, plus=True) == "+0.00000E+00"
    assert fmt_e(-0.0, 4) == "0.0000E+00"


def test_no_error_is_never_queued(dev):
    dev.push_error(0, "nothing")
    assert dev.process("SYST:ERR?") == '0,"No error"'
    assert dev.process("*ESR?") == "0"
