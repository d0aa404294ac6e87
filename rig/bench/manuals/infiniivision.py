"""Keysight InfiniiVision X-series oscilloscope (DSOX1000/2000/3000 family dialect).

Source: Keysight InfiniiVision 3000T X-Series Oscilloscopes Programmer's Guide (the 1000X and
2000X guides give the same rows for the subsystems claimed here): root commands (``:RUN``,
``:STOP``, ``:SINGle``, ``:TER?``, ``:OPERegister:CONDition?``), ``:CHANnel<n>``,
``:TIMebase``, ``:TRIGger`` (``:MODE``, ``:SWEep``, ``:EDGE``, ``:RUNT``, ``:LEVel:HIGH|LOW``),
``:MEASure``, ``:WAVeform``, ``:ACQuire``, ``:SYSTem:ERRor?``. The guide's edition and the
``*RST`` defaults marked (c) are to be confirmed on the instrument in the lab. Replies as the
guide shows them: ``+1.00000E-03``, short-form words (``CHAN1``, ``CENT``), ``+0,"No error"``.

On the bench channel 1 sees the control pilot (a 1:1 probe), channel 2 the socket's L1-N voltage
through a 100:1 differential probe (``:CHANnel2:PROBe 100`` makes the readings volts at the
tip), channels 3 and 4 nothing. The record is 10 divisions of ``:TIMebase:SCALe`` with 8-bit
vertical resolution over 8 divisions (what the ADC gives); ``:WAVeform:POINts`` picks how many
points of it are transferred (NORMal mode, 100 ... 62 500).
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

_CHANNEL_SOURCES = ("CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4")

COMMANDS: tuple[Cmd, ...] = (
    *common_commands(),
    # ---- root: acquisition control -------------------------------------------------------
    Cmd(":RUN", forms="event", note="acquire continuously"),
    Cmd(":STOP", forms="event"),
    Cmd(":SINGle", forms="event", note="arm one acquisition; it ends when its record is full"),
    Cmd(":TER", forms="query", reply="NR1",
        note="+1 if a trigger happened since the last :TER? (cleared by reading)"),
    Cmd(":OPERegister:CONDition", forms="query", reply="NR1",
        note="bit 3 (8): Run, set while armed or running"),
    # ---- channels ------------------------------------------------------------------------
    Cmd(":CHANnel<n>:SCALe", default="5", reply="NR3", example="5",
        note="V/div at the probe tip; the record clips beyond +/- 4 div (c: *RST default)"),
    Cmd(":CHANnel<n>:OFFSet", default="0", reply="NR3", example="0", note="V at the centre"),
    Cmd(":CHANnel<n>:PROBe", default="1", reply="NR3", example="1",
        note="attenuation the scope assumes, 0.1 ... 10000 (bench: ch1 1:1, ch2 100:1)"),
    Cmd(":CHANnel<n>:COUPling", default="DC", reply="CHAR", mode="stored", value="char",
        choices=("DC", "AC"), example="DC"),
    Cmd(":CHANnel<n>:DISPlay", default="1", reply="BOOL", mode="stored", value="bool",
        example="ON"),
    # ---- timebase ------------------------------------------------------------------------
    Cmd(":TIMebase[:MAIN]:SCALe", default="0.0001", reply="NR3", example="0.0001",
        note="s/div, 10 divisions; 1 ns ... 50 s"),
    Cmd(":TIMebase[:MAIN]:POSition", default="0", reply="NR3", example="0",
        note="time from the trigger to the reference point, s"),
    Cmd(":TIMebase:REFerence", default="CENT", reply="CHAR", example="CENT",
        note="LEFT, CENTer, RIGHt"),
    # ---- trigger -------------------------------------------------------------------------
    Cmd(":TRIGger:MODE", default="EDGE", reply="CHAR", example="EDGE",
        note="EDGE and RUNT emulated; the other trigger types -221"),
    Cmd(":TRIGger:SWEep", default="AUTO", reply="CHAR", mode="stored", value="char",
        choices=("AUTO", "NORMal"), example="NORM",
        note="a :SINGle acquisition on this bench always waits for its trigger"),
    Cmd(":TRIGger[:EDGE]:SOURce", default="CHAN1", reply="CHAR", example="CHAN1"),
    Cmd(":TRIGger[:EDGE]:LEVel", default="0", reply="NR3", example="0", note="V"),
    Cmd(":TRIGger[:EDGE]:SLOPe", default="POS", reply="CHAR", example="POS",
        note="POSitive, NEGative"),
    Cmd(":TRIGger:RUNT:SOURce", default="CHAN1", reply="CHAR", example="CHAN1"),
    Cmd(":TRIGger:RUNT:POLarity", default="POS", reply="CHAR", example="POS",
        note="POSitive: a pulse that rises above LOW and falls back without reaching HIGH; "
             "triggers where it falls back below LOW"),
    Cmd(":TRIGger:LEVel:HIGH", default="0", reply="NR3", example="0",
        note="<level>[,CHANnel<n>], V (runt)"),
    Cmd(":TRIGger:LEVel:LOW", default="0", reply="NR3", example="0",
        note="<level>[,CHANnel<n>], V (runt)"),
    # ---- automatic measurements (on the signal as acquired now) ---------------------------
    Cmd(":MEASure:SOURce", default="CHAN1", reply="CHAR", example="CHAN1"),
    Cmd(":MEASure:FREQuency", forms="query", reply="NR3", example="CHANnel1",
        note="[<source>]; 9.9E+37 where the signal has no edges"),
    Cmd(":MEASure:DUTYcycle", forms="query", reply="NR3", example="CHANnel1", note="%"),
    Cmd(":MEASure:VTOP", forms="query", reply="NR3", example="CHANnel1"),
    Cmd(":MEASure:VBASe", forms="query", reply="NR3", example="CHANnel1"),
    Cmd(":MEASure:RISetime", forms="query", reply="NR3", example="CHANnel1",
        note="10 % ... 90 %"),
    Cmd(":MEASure:FALLtime", forms="query", reply="NR3", example="CHANnel1"),
    Cmd(":MEASure:VRMS", forms="query", reply="NR3", example="DISPlay,AC,CHANnel2",
        note="[CYCLe|DISPlay[,AC|DC[,<source>]]]"),
    # ---- waveform transfer ---------------------------------------------------------------
    Cmd(":WAVeform:SOURce", default="CHAN1", reply="CHAR", example="CHAN1"),
    Cmd(":WAVeform:FORMat", default="BYTE", reply="CHAR", example="BYTE",
        note="BYTE and ASCii; WORD -221"),
    Cmd(":WAVeform:POINts", default="1000", reply="NR1", example="1000",
        note="100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 62500"),
    Cmd(":WAVeform:POINts:MODE", default="NORM", reply="CHAR", mode="held", value="char",
        choices=("NORMal", "MAXimum", "RAW"), example="NORM"),
    Cmd(":WAVeform:PREamble", forms="query", reply="LIST", setup=":STOP",
        note="format,type,points,count,xincrement,xorigin,xreference,yincrement,yorigin,"
             "yreference"),
    Cmd(":WAVeform:DATA", forms="query", reply="LIST", setup=":STOP",
        note="IEEE 488.2 definite-length block; -230 before the first acquisition"),
    Cmd(":WAVeform:XINCrement", forms="query", reply="NR3", setup=":STOP"),
    Cmd(":WAVeform:XORigin", forms="query", reply="NR3", setup=":STOP"),
    # ---- acquisition ---------------------------------------------------------------------
    Cmd(":ACQuire:SRATe", forms="query", reply="NR3",
        note="sample rate: 4 Mpts over the 10 divisions, at most 5 GSa/s"),
    Cmd(":ACQuire:POINts", forms="query", reply="NR1"),
    Cmd(":ACQuire:TYPE", default="NORM", reply="CHAR", mode="held", value="char",
        choices=("NORMal", "AVERage", "HRESolution", "PEAK"), example="NORM"),
    Cmd(":SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

MANUAL = Manual(
    model="DSOX3024T",
    title="Keysight InfiniiVision 3000T X-Series Oscilloscopes Programmer's Guide",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed (c); the 1000X/2000X guides give the same rows",
    subsystems=("common commands", "root (:RUN, :STOP, :SINGle, :TER?, :OPERegister)",
                ":CHANnel<n>", ":TIMebase", ":TRIGger (EDGE, RUNT)", ":MEASure", ":WAVeform",
                ":ACQuire", ":SYSTem:ERRor"),
    commands=COMMANDS,
    notes=("Channel 1: the control pilot (1:1); channel 2: socket L1-N through a 100:1 "
           "differential probe; channels 3, 4: not connected (0 V).",
           "Other trigger types, segmented memory, math, FFT, digital channels: -113 or "
           "-221.",),
)
