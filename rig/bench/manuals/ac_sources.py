"""Programmable AC sources: Keysight AC6801B (1-phase) and AMETEK Asterion (3-phase).

Keysight: AC6800B Series Basic AC Power Sources Operating and Service Guide, chapter 4
"SCPI programming" (command summary: SOURce, OUTPut, MEASure/FETCh, SYSTem; the output
watchdog ``OUTP:PROT:WDOG`` as the guide's protection commands give it (c)). AMETEK: Asterion
Series AC/DC Power Source SCPI Programming Manual, chapters "INSTrument" (phase coupling and
selection), "SOURce", "OUTPut", "MEASure". The document numbers and editions of both are to be
confirmed on the manuals in the lab (c): this table was written from the command summaries.
Both sources share the rows below; the Asterion adds phase selection, phase angle and
``OUTP:DROP``. Replies: Keysight ``+2.30000E+02`` and ``+0,"No error"``, AMETEK ``2.3000E+02``
and ``0,"No error"``.
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

_SHARED: tuple[Cmd, ...] = (
    Cmd("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude][:AC]", default="0", reply="NR3",
        example="0", note="V rms, 0 to the model's maximum (310 V AC6801B, 300 V Asterion)"),
    Cmd("[SOURce:]FREQuency[:CW]", default="50", reply="NR3", example="50",
        note="40 ... 500 Hz"),
    Cmd("[SOURce:]FREQuency:IMMediate", default="50", reply="NR3", example="50"),
    Cmd("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", default="40", reply="NR3",
        example="40", note="current limit, A rms"),
    Cmd("[SOURce:]CURRent:PROTection:STATe", default="0", reply="BOOL", example="ON"),
    Cmd("OUTPut[:STATe]", default="0", reply="BOOL", example="OFF",
        note="one source on the supply bus at a time (a second OUTP ON is -221)"),
    Cmd("OUTPut:PROTection:WDOG[:STATe]", default="0", reply="BOOL", example="OFF"),
    Cmd("OUTPut:PROTection:WDOG:DELay", default="5", reply="NR3", example="5"),
    Cmd("OUTPut:PROTection:CLEar", forms="event"),
    Cmd("OUTPut:PROTection:TRIPped", forms="query", reply="BOOL"),
    Cmd("MEASure[:SCALar]:VOLTage[:AC]", forms="query", reply="NR3"),
    Cmd("FETCh[:SCALar]:VOLTage[:AC]", forms="query", reply="NR3"),
    Cmd("MEASure[:SCALar]:CURRent[:AC]", forms="query", reply="NR3"),
    Cmd("FETCh[:SCALar]:CURRent[:AC]", forms="query", reply="NR3"),
    Cmd("MEASure[:SCALar]:POWer[:AC][:REAL]", forms="query", reply="NR3"),
    Cmd("FETCh[:SCALar]:POWer[:AC][:REAL]", forms="query", reply="NR3"),
    Cmd("MEASure[:SCALar]:POWer[:AC]:PFACtor", forms="query", reply="NR3|NAN",
        note="NAN with no current"),
    Cmd("FETCh[:SCALar]:POWer[:AC]:PFACtor", forms="query", reply="NR3|NAN"),
    Cmd("MEASure[:SCALar]:FREQuency", forms="query", reply="NR3"),
    Cmd("FETCh[:SCALar]:FREQuency", forms="query", reply="NR3"),
    Cmd("SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

AC6801B_MANUAL = Manual(
    model="AC6801B",
    title="Keysight AC6800B Series Basic AC Power Sources Operating and Service Guide",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed (c)",
    subsystems=("common commands", "SOURce (VOLTage, FREQuency, CURRent)", "OUTPut",
                "MEASure/FETCh", "SYSTem:ERRor"),
    commands=(*common_commands(), *_SHARED),
    notes=("The AC6800B family is single-phase: no INSTrument subsystem (-113).",
           "Not in the claimed subsystems (LIST, TRIGger, DISPlay, STATus registers, "
           "memory): -113."),
)

ASTERION_MANUAL = Manual(
    model="ASTERION",
    title="AMETEK Asterion Series AC/DC Power Source SCPI Programming Manual",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed (c)",
    subsystems=("common commands", "INSTrument", "SOURce (VOLTage, FREQuency, CURRent, "
                "PHASe)", "OUTPut (incl. DROP)", "MEASure/FETCh", "SYSTem:ERRor"),
    commands=(
        *common_commands(),
        *_SHARED,
        Cmd("INSTrument:COUPle", default="ALL", reply="CHAR", example="ALL",
            note="ALL: settings go to every phase; NONE: to the one INST:NSEL picks"),
        Cmd("INSTrument:NSELect", default="1", reply="NR1", example="1"),
        Cmd("[SOURce:]PHASe[:ADJust]", default="0", reply="NR3", example="0",
            note="of the selected phase, degrees"),
        Cmd("OUTPut:DROP", forms="set", example="0.01", setup="OUTP ON",
            note="a dropout of <s> seconds (output on only, -221 otherwise)"),
    ),
    notes=("Not in the claimed subsystems (LIST transients, TRIGger, harmonics, "
           "DC mode): -113.",),
)
