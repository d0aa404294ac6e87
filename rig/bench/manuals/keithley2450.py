"""Keithley 2450 SourceMeter, SCPI command set (``*LANG SCPI``), the subsystems the bench claims.

From the Model 2450 Interactive SourceMeter Instrument Reference Manual, 2450-901-01 Rev. B
(September 2013): section 6 "SCPI command reference" and appendix B "Common commands". The
bench's 2450 drives a test wire through the charger's RCD sensor (``rig.bench.model``,
``TEST_WIRE_OHM``): it sources current; the measure functions read that current, the voltage
across the wire and its resistance. Functions the manual lists with a ``<function>`` node are
written out per function (CURRent, VOLTage, RESistance).
"""

from __future__ import annotations

from . import Cmd, Manual

_NPLC = dict(mode="stored", value="num", low=0.01, high=10.0, default="1.000000E+00",
             reply="NR3", example="0.1")
_ON = dict(mode="stored", value="bool", default="1", reply="BOOL", example="1")
_OFF = dict(mode="stored", value="bool", default="0", reply="BOOL", example="0")


def _sense(function: str, range_default: str, low: float, high: float) -> list[Cmd]:
    """The ``[:SENSe[1]]:<function>`` rows of one measure function."""
    base = f"[:SENSe[1]]:{function}"
    dc = "[:DC]" if function != "RESistance" else ""
    return [
        Cmd(f"{base}{dc}:RANGe[:UPPer]", default=range_default, reply="NR3",
            note="setting a range turns auto range off; default (c)", example=f"{high:g}"),
        Cmd(f"{base}{dc}:RANGe:AUTO", default="1", reply="BOOL", example="1"),
        Cmd(f"{base}{dc}:NPLCycles", **_NPLC,
            note="a noise-free model: the reading does not depend on it"),
        Cmd(f"{base}{dc}:AZERo[:STATe]", **_ON),
        Cmd(f"{base}{dc}:AVERage[:STATe]", **_OFF),
        Cmd(f"{base}{dc}:AVERage:COUNt", mode="stored", value="int", low=1, high=100,
            default="10", reply="NR1", example="10"),
        Cmd(f"{base}{dc}:AVERage:TCONtrol", mode="stored", value="char",
            choices=("REPeat", "MOVing"), default="REP", reply="CHAR", example="MOV"),
        Cmd(f"{base}:RSENse", **_OFF, note="2-wire (OFF) or 4-wire (ON) sensing"),
    ]


COMMANDS: tuple[Cmd, ...] = (
    # ---- appendix B: common commands -------------------------------------------------------
    Cmd("*CLS", forms="event"),
    Cmd("*ESE", default="0", reply="NR1", example="0"),
    Cmd("*ESR", forms="query", reply="NR1"),
    Cmd("*IDN", forms="query", reply="IDN"),
    Cmd("*LANG", default="SCPI", reply="CHAR", example="SCPI",
        note="SCPI only: TSP and SCPI2400 need a power cycle into another language (-221)"),
    Cmd("*OPC", forms="event+query", reply="NR1"),
    Cmd("*RST", forms="event"),
    Cmd("*SRE", default="0", reply="NR1", example="0"),
    Cmd("*STB", forms="query", reply="NR1"),
    Cmd("*TRG", forms="event", note="a bus trigger; no trigger model waits for one here"),
    Cmd("*TST", forms="query", reply="NR1"),
    Cmd("*WAI", forms="event"),
    # ---- SOURce ---------------------------------------------------------------------------
    Cmd(":SOURce[1]:FUNCtion[:MODE]", default="VOLT", reply="CHAR", example="CURR"),
    Cmd(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]", default="0.000000E+00",
        reply="NR3", example="1e-3"),
    Cmd(":SOURce[1]:CURRent:RANGe", default="1.000000E-04", reply="NR3", example="0.01",
        note="default (c)"),
    Cmd(":SOURce[1]:CURRent:RANGe:AUTO", default="1", reply="BOOL", example="1"),
    Cmd(":SOURce[1]:CURRent:VLIMit[:LEVel]", default="2.100000E+01", reply="NR3",
        example="10"),
    Cmd(":SOURce[1]:CURRent:VLIMit[:LEVel]:TRIPped", forms="query", reply="BOOL"),
    Cmd(":SOURce[1]:CURRent:DELay", mode="stored", value="num", unit="S", low=0.0,
        high=10000.0, default="0.000000E+00", reply="NR3", example="0"),
    Cmd(":SOURce[1]:CURRent:DELay:AUTO", **_ON),
    Cmd(":SOURce[1]:CURRent:READ:BACK", **_ON),
    Cmd(":SOURce[1]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", mode="stored", value="num",
        unit="V", low=-210.0, high=210.0, default="0.000000E+00", reply="NR3", example="0",
        note="kept; the output refuses to source voltage into the test wire (a short)"),
    Cmd(":SOURce[1]:VOLTage:RANGe", mode="stored", value="num", unit="V", low=0.0,
        high=210.0, default="2.000000E-01", reply="NR3", example="20", note="default (c)"),
    Cmd(":SOURce[1]:VOLTage:RANGe:AUTO", **_ON),
    Cmd(":SOURce[1]:VOLTage:ILIMit[:LEVel]", mode="stored", value="num", unit="A",
        low=1e-9, high=1.05, default="1.050000E-04", reply="NR3", example="0.01"),
    Cmd(":SOURce[1]:VOLTage:ILIMit[:LEVel]:TRIPped", forms="query", reply="BOOL"),
    Cmd(":SOURce[1]:VOLTage:DELay", mode="stored", value="num", unit="S", low=0.0,
        high=10000.0, default="0.000000E+00", reply="NR3", example="0"),
    Cmd(":SOURce[1]:VOLTage:DELay:AUTO", **_ON),
    Cmd(":SOURce[1]:VOLTage:READ:BACK", **_ON),
    Cmd(":SOURce[1]:SWEep:CURRent:LINear", forms="set", mode="held", value="num",
        example="0", note="sweeps run the trigger model: not emulated (-221)"),
    Cmd(":SOURce[1]:SWEep:VOLTage:LINear", forms="set", mode="held", value="num",
        example="0", note="sweeps run the trigger model: not emulated (-221)"),
    # ---- SENSe ----------------------------------------------------------------------------
    Cmd("[:SENSe[1]]:FUNCtion[:ON]", default='"CURR:DC"', reply="STRING", example='"CURR"'),
    Cmd("[:SENSe[1]]:COUNt", mode="stored", value="int", low=1, high=300000, default="1",
        reply="NR1", example="1"),
    *_sense("CURRent", "1.000000E-04", 1e-8, 1.0),
    *_sense("VOLTage", "2.000000E-02", 0.02, 200.0),
    *_sense("RESistance", "2.000000E+05", 20.0, 2e8),
    # ---- OUTPut ---------------------------------------------------------------------------
    Cmd(":OUTPut[1][:STATe]", default="0", reply="BOOL", example="0"),
    Cmd(":OUTPut[1]:CURRent:SMODe", mode="stored", value="char",
        choices=("NORMal", "HIMPedance", "ZERO", "GUARd"), default="NORM", reply="CHAR",
        example="NORM"),
    Cmd(":OUTPut[1]:VOLTage:SMODe", mode="stored", value="char",
        choices=("NORMal", "HIMPedance", "ZERO", "GUARd"), default="NORM", reply="CHAR",
        example="NORM"),
    # ---- MEASure, READ, FETCh, TRACe (defbuffer1 and defbuffer2) ---------------------------
    Cmd(":MEASure", forms="query", reply="NR3",
        note='["<buffer>"[,<elements>]]: a reading of the sense function into the buffer'),
    Cmd(":MEASure:CURRent[:DC]", forms="query", reply="NR3",
        note="selects the function, then reads (as :MEASure?)"),
    Cmd(":MEASure:VOLTage[:DC]", forms="query", reply="NR3",
        note="selects the function, then reads (as :MEASure?)"),
    Cmd(":MEASure:RESistance", forms="query", reply="NR3",
        note="selects the function, then reads (as :MEASure?)"),
    Cmd(":READ", forms="query", reply="NR3", note='["<buffer>"[,<elements>]]'),
    Cmd(":FETCh", forms="query", reply="NR3", note="the last reading of the buffer"),
    Cmd(":TRACe:ACTual", forms="query", reply="NR1", note='["<buffer>"]: readings in it'),
    Cmd(":TRACe:DATA", forms="query", reply="LIST", example="1,1",
        note='<start>,<end>[,"<buffer>"[,<elements>]]'),
    Cmd(":TRACe:STATistics:AVERage", forms="query", reply="NR3"),
    Cmd(":TRACe:STATistics:MAXimum", forms="query", reply="NR3"),
    Cmd(":TRACe:STATistics:MINimum", forms="query", reply="NR3"),
    Cmd(":TRACe:STATistics:STDDev", forms="query", reply="NR3"),
    Cmd(":TRACe:POINts", default="100000", reply="NR1", example="100000",
        note='<n>[,"<buffer>"]: the buffer capacity; setting it clears the buffer'),
    Cmd(":TRACe:CLEar", forms="event", note='["<buffer>"]'),
    Cmd(":TRACe:MAKE", forms="set", mode="held", value="string", example='"mybuffer"',
        note="user buffers: not emulated (-221); defbuffer1 and defbuffer2 exist"),
    # ---- trigger model ------------------------------------------------------------------
    Cmd(":INITiate[:IMMediate]", forms="event",
        note="the default trigger model: one reading into defbuffer1"),
    Cmd(":ABORt", forms="event"),
    # ---- ROUTe, FORMat, DISPlay ---------------------------------------------------------
    Cmd(":ROUTe:TERMinals", mode="stored", value="char", choices=("FRONt", "REAR"),
        default="FRON", reply="CHAR", example="FRON"),
    Cmd(":FORMat[:DATA]", mode="held", value="char", choices=("ASCii", "REAL", "SREal"),
        default="ASC", reply="CHAR", example="ASC",
        note="binary transfers are not emulated"),
    # ---- STATus ---------------------------------------------------------------------------
    Cmd(":STATus:PRESet", forms="event"),
    Cmd(":STATus:CLEar", forms="event"),
    Cmd(":STATus:OPERation[:EVENt]", forms="query", reply="NR1"),
    Cmd(":STATus:OPERation:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:OPERation:ENABle", default="0", reply="NR1", example="0"),
    Cmd(":STATus:QUEStionable[:EVENt]", forms="query", reply="NR1"),
    Cmd(":STATus:QUEStionable:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:QUEStionable:ENABle", default="0", reply="NR1", example="0"),
    # ---- SYSTem ---------------------------------------------------------------------------
    Cmd(":SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
    Cmd(":SYSTem:ERRor:COUNt", forms="query", reply="NR1"),
    Cmd(":SYSTem:ERRor:CODE[:NEXT]", forms="query", reply="NR1"),
    Cmd(":SYSTem:CLEar", forms="event", note="clears the event log (the error queue)"),
    Cmd(":SYSTem:LFRequency", forms="query", reply="NR1",
        note="the bench's mains: 50"),
    Cmd(":SYSTem:BEEPer[:IMMediate]", forms="set", example="1000,0.1",
        note="<frequency>,<duration>: no sound"),
    Cmd(":SYSTem:VERSion", forms="query", reply="NR2"),
)

MANUAL = Manual(
    model="KEITHLEY2450",
    title="Model 2450 Interactive SourceMeter Instrument Reference Manual",
    document="2450-901-01",
    edition="Rev. B, September 2013",
    subsystems=("common commands", "SOURce", "SENSe", "OUTPut", "MEASure/READ/FETCh",
                "TRACe (defbuffer1, defbuffer2)", "INITiate/ABORt", "ROUTe", "FORMat",
                "STATus", "SYSTem"),
    commands=COMMANDS,
    notes=(
        "TSP (*LANG TSP) and the SCPI 2400 emulation are other command sets: *LANG? answers "
        "SCPI and *LANG with another set is -221.",
        "Not in the claimed subsystems (DISPlay, DIGital, SCRipt, TRIGger model blocks, "
        "user buffers): -113, as for any header the instrument does not know.",
    ),
)
