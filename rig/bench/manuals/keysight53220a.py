"""Keysight 53220A universal frequency counter/timer: the totalize subset a meter test uses.

From the Keysight 53210A/53220A/53230A Universal Frequency Counter/Timer User's Guide, chapter
"SCPI programming reference" (CONFigure, [SENSe:]TOTalize, INPut, TRIGger, SAMPle, INITiate,
FETCh, READ, ABORt, STATus, SYSTem:ERRor); document number and edition to be confirmed on the
manual in the lab (c), as are the limits marked (c) below. Readings are NR3 with 15 digits
(``+1.23400000000000E+03``); a reading the counter could not make is 9.91E+37.

Only channel 1 is wired (to the charger's test output); the counter's time base is its own, so
a timed gate's length comes from the counter, not from the host. The bench's time stands still
while a query runs, so a ``FETCh?`` before the gate closed cannot wait the gate out as the
instrument would: it is -230 and gets no reply (a driver asks ``STATus:OPERation:CONDition?``
first, bit 4 "measuring").
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

COMMANDS: tuple[Cmd, ...] = (
    *common_commands(),
    # ---- CONFigure ------------------------------------------------------------------------
    Cmd("CONFigure:TOTalize:TIMed", forms="set", example="1",
        note="[<gate s>][,(@1)]: totalize for a timed gate (sets the gate time, 1 reading, "
             "trigger IMMediate); gate 1e-5 ... 1000 s (c)"),
    Cmd("CONFigure:TOTalize:CONTinuous", forms="set", mode="held", value="char",
        choices=("(@1)",), default=None,
        note="continuous totalize: not emulated (-221); the timed gate is the method"),
    Cmd("CONFigure", forms="query", reply="STRING", note='"TOT:TIM +1.00000000000000E+000,(@1)"'),
    # ---- SENSe:TOTalize -------------------------------------------------------------------
    Cmd("[SENSe:]TOTalize:GATE:TIME", default="+1.00000000000000E-01", reply="NR3",
        example="0.5", note="s, 1e-5 ... 1000 (c)"),
    Cmd("[SENSe:]TOTalize:GATE:SOURce", mode="held", value="char",
        choices=("TIME", "EXTernal", "ADVanced"), default="TIME", reply="CHAR", example="TIME",
        note="the gate input is not wired on this bench"),
    # ---- INPut1 ---------------------------------------------------------------------------
    Cmd("INPut[1]:LEVel[1][:ABSolute]", default="+0.00000000000000E+00", reply="NR3",
        example="2.5", note="V, -5 ... 5 (range 5 V); setting it ends auto level"),
    Cmd("INPut[1]:LEVel[1]:AUTO", default="1", reply="BOOL", example="ON",
        note="auto level: 50 % of the signal's peaks"),
    Cmd("INPut[1]:COUPling", mode="stored", value="char", choices=("AC", "DC"), default="AC",
        reply="CHAR", example="DC", note="DC for a pulse train"),
    Cmd("INPut[1]:IMPedance", mode="stored", value="num", low=50, high=1e6, unit="OHM",
        default="+1.00000000000000E+06", reply="NR3", example="1e6", note="50 or 1E6 ohm"),
    Cmd("INPut[1]:SLOPe[1]", mode="stored", value="char", choices=("POSitive", "NEGative"),
        default="POS", reply="CHAR", example="POS", note="the edge that counts"),
    Cmd("INPut[1]:RANGe", mode="held", value="num", low=5, high=5, unit="V",
        default="+5.00000000000000E+00", reply="NR3", example="5",
        note="5 V range only (50 V: not emulated)"),
    # ---- TRIGger, SAMPle ------------------------------------------------------------------
    Cmd("TRIGger:SOURce", mode="held", value="char", choices=("IMMediate", "EXTernal", "BUS"),
        default="IMM", reply="CHAR", example="IMM", note="the gate opens at INITiate"),
    Cmd("TRIGger:COUNt", mode="held", value="int", low=1, high=1000000, default="1",
        reply="NR1", example="1", note="one gate per INITiate"),
    Cmd("SAMPle:COUNt", mode="held", value="int", low=1, high=1000000, default="1",
        reply="NR1", example="1", note="one reading per gate"),
    # ---- measurement ----------------------------------------------------------------------
    Cmd("INITiate[:IMMediate]", forms="event",
        note="opens the gate; -213 while a measurement runs"),
    Cmd("ABORt", forms="event", note="closes the gate, discards the reading"),
    Cmd("FETCh", forms="query", reply="NR3",
        note="the last gate's count; +9.91E+37 (not a number) with no reading (none made, "
             "or aborted); -230 and no reply while the gate is open"),
    Cmd("STATus:OPERation:CONDition", forms="query", reply="NR1",
        note="bit 4 (16): measuring"),
    Cmd("SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

MANUAL = Manual(
    model="53220A",
    title="Keysight 53210A/53220A/53230A Universal Frequency Counter/Timer User's Guide",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed on the manual in the lab (c)",
    subsystems=("common commands", "CONFigure:TOTalize", "SENSe:TOTalize (gate)",
                "INPut1", "TRIGger", "SAMPle", "INITiate", "ABORt", "FETCh",
                "STATus:OPERation:CONDition", "SYSTem:ERRor"),
    commands=COMMANDS,
    notes=(
        "Not in the claimed subsystems (MEASure, READ?, frequency/period/time interval, "
        "channel 2, CALCulate, DATA, MMEMory, SYSTem other than ERRor): -113. READ? would "
        "have to wait out a timed gate inside one query, and the bench's time stands still "
        "there: INITiate, then FETCh? once the gate closed.",
        "Wired to the charger's test output (an S0 output pulled up to 5 V, or a photo head "
        "on the LED): pulses are counted only with the trigger level between 0 and 5 V "
        "(auto level: 2.5 V).",
    ),
)
