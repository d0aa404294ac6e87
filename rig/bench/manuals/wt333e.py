"""Yokogawa WT333E digital power meter (WT300E family), the groups the bench claims.

From the WT310E/WT310EH/WT332E/WT333E Digital Power Meter Communication Interface User's
Manual, IM WT310E-17EN: chapter 6 "Commands" (command list and the groups below) and chapter 7
"Status reports". Replies carry a header while ``:COMMunicate:HEADer`` is ON, spelled in long
form with ``:COMMunicate:VERBose ON`` and in short form with it OFF (the power-on settings:
header ON, verbose OFF); ``*RST`` leaves the communication settings alone. Common-command
replies never carry a header. The WT's error query is ``:STATus:ERRor?``: ``SYSTem`` is not a
group of this model.
"""

from __future__ import annotations

from . import Cmd, Manual

COMMANDS: tuple[Cmd, ...] = (
    # ---- common commands (IEEE 488.2) ------------------------------------------------------
    Cmd("*CLS", forms="event"),
    Cmd("*ESE", default="0", reply="NR1", example="0"),
    Cmd("*ESR", forms="query", reply="NR1"),
    Cmd("*IDN", forms="query", reply="IDN"),
    Cmd("*OPC", forms="event+query", reply="NR1"),
    Cmd("*OPT", forms="query", reply="CHAR", note="no options installed: NONE"),
    Cmd("*RST", forms="event"),
    Cmd("*SRE", default="0", reply="NR1", example="0"),
    Cmd("*STB", forms="query", reply="NR1"),
    Cmd("*TRG", forms="event", mode="held",
        note="a single measurement in hold mode: hold is not emulated (-221)"),
    Cmd("*TST", forms="query", reply="NR1"),
    Cmd("*WAI", forms="event"),
    # ---- COMMunicate group -----------------------------------------------------------------
    Cmd(":COMMunicate:HEADer", reply="BOOL", example="ON",
        note="power-on ON; not changed by *RST"),
    Cmd(":COMMunicate:VERBose", reply="BOOL", example="OFF",
        note="power-on OFF (short headers); not changed by *RST"),
    Cmd(":COMMunicate:REMote", reply="BOOL", example="ON"),
    Cmd(":COMMunicate:LOCKout", mode="stored", value="bool", default="0", reply="BOOL",
        example="0"),
    Cmd(":COMMunicate:WAIT", forms="set", example="1",
        note="waits for an extended event (bit 0 UPD): the bench's data is always fresh"),
    Cmd(":COMMunicate:STATus", forms="query", reply="NR1",
        note="line status: 0 (no communication error)"),
    # ---- INPut group ----------------------------------------------------------------------
    Cmd(":INPut:WIRing", default="P3W4", reply="CHAR", example="P3W4",
        note="P1W2, P1W3, P3W3, P3W4, V3A3"),
    Cmd(":INPut:VOLTage:RANGe[:ALL]", default="3.0000E+02", reply="NR3", example="300"),
    Cmd(":INPut:VOLTage:AUTO[:ALL]", default="1", reply="BOOL", example="ON"),
    Cmd(":INPut:CURRent:RANGe[:ALL]", default="4.0000E+01", reply="NR3", example="40"),
    Cmd(":INPut:CURRent:AUTO[:ALL]", default="1", reply="BOOL", example="ON"),
    Cmd(":INPut:MODE[:ALL]", mode="held", value="char", choices=("RMS", "VMEan", "DC"),
        default="RMS", reply="CHAR", example="RMS",
        note="true rms only (the model's sine waves)"),
    Cmd(":INPut:CFACtor", mode="held", value="int", low=3, high=6, default="3",
        reply="NR1", example="3"),
    Cmd(":INPut:FILTer:LINE[:ALL]", mode="held", value="bool", default="0", reply="BOOL",
        example="OFF", note="line filter: not emulated"),
    Cmd(":INPut:FILTer:FREQuency[:ALL]", mode="held", value="bool", default="0",
        reply="BOOL", example="OFF", note="frequency filter: not emulated"),
    Cmd(":INPut:SCALing[:STATe][:ALL]", default="0", reply="BOOL", example="OFF",
        note="CT scaling on: currents and powers shown x the CT ratio (an installation's feed "
        "through current transformers)"),
    Cmd(":INPut:SCALing:CT[:ALL]", default="1.0000E+00", reply="NR3", example="20",
        note="CT ratio, 0.0001 to 99999.9999 (VT and SFACtor are not claimed)"),
    # ---- INTEGrate group ------------------------------------------------------------------
    Cmd(":INTEGrate:MODE", default="NORM", reply="CHAR", example="NORM"),
    Cmd(":INTEGrate:TIMer", default="0,0,0", reply="LIST", example="0,0,0"),
    Cmd(":INTEGrate:STARt", forms="event"),
    Cmd(":INTEGrate:STOP", forms="event"),
    Cmd(":INTEGrate:RESet", forms="event"),
    Cmd(":INTEGrate:STATe", forms="query", reply="CHAR",
        note="RESET, START, STOP, TIMEUP, ERROR"),
    # ---- MEASure group --------------------------------------------------------------------
    Cmd(":MEASure:MHOLd", default="0", reply="BOOL", example="OFF",
        note="max hold of the peak (IPPK, UPPK) items"),
    Cmd(":MEASure:AVERaging[:STATe]", mode="held", value="bool", default="0", reply="BOOL",
        example="OFF", note="averaging: not emulated"),
    # ---- HOLD -----------------------------------------------------------------------------
    Cmd(":HOLD", mode="held", value="bool", default="0", reply="BOOL", example="OFF",
        note="display hold: not emulated"),
    # ---- NUMeric group --------------------------------------------------------------------
    Cmd(":NUMeric:FORMat", default="ASCII", reply="CHAR", example="ASC",
        note="ASCii only: FLOat is -221"),
    Cmd(":NUMeric[:NORMal]:NUMber", default="15", reply="NR1", example="15"),
    Cmd(":NUMeric[:NORMal]:ITEM<n>", default="U,1", reply="LIST", example="U,1",
        note="<function>,<element>; <n> 1..255"),
    Cmd(":NUMeric[:NORMal]:VALue", forms="query", reply="LIST",
        note="[<n>]: one item or the first NUMber items, NAN no data, INF over range"),
    Cmd(":NUMeric[:NORMal]:CLEar", forms="set", example="ALL",
        note="ALL or <start>[,<end>]: items to NONE"),
    Cmd(":NUMeric[:NORMal]:PRESet", forms="set", example="1",
        note="1..4: the default item pattern (pattern 1 on this bench)"),
    # ---- RATE -----------------------------------------------------------------------------
    Cmd(":RATE", default="2.5000E-01", reply="NR3", example="250MS",
        note="100MS, 250MS, 500MS, 1S, 2S, 5S; only after an integration reset"),
    # ---- STATus group ---------------------------------------------------------------------
    Cmd(":STATus:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:EESE", mode="stored", value="int", low=0, high=65535, default="0",
        reply="NR1", example="0"),
    Cmd(":STATus:EESR", forms="query", reply="NR1"),
    Cmd(":STATus:ERRor", forms="query", reply="ERROR"),
    Cmd(":STATus:FILTer<n>", default="NEV", reply="CHAR", example="FALL",
        note="<n> 1..16, RISE, FALL, BOTH, NEVer"),
    Cmd(":STATus:QMESsage", mode="stored", value="bool", default="1", reply="BOOL",
        example="1", note="the error text after the code"),
    Cmd(":STATus:SPOLl", forms="query", reply="NR1", note="serial poll: the status byte"),
)

MANUAL = Manual(
    model="WT333E",
    title="WT310E/WT310EH/WT332E/WT333E Digital Power Meter Communication Interface "
          "User's Manual",
    document="IM WT310E-17EN",
    edition="edition to be confirmed on the manual in the lab (c)",
    subsystems=("common commands", "COMMunicate", "INPut", "INTEGrate", "MEASure", "HOLD",
                "NUMeric (normal items)", "RATE", "STATus"),
    commands=COMMANDS,
    notes=(
        "Not in the claimed groups (DISPlay, HARMonics, STORe, FILE, SYSTem, AOUTput, "
        "NUMeric:LIST): -113, as for any header the instrument does not know.",
    ),
)
