"""Chroma 63800 series programmable AC/DC electronic load (63802 / 63803 / 63804).

Source: Chroma "Programmable AC&DC Electronic Load 63800 Series User's Manual", chapter
"Remote operation" (SCPI command summary: LOAD, MODE, CURRent, POWer factor, MEASure). The
command spellings and ranges marked (c) were written from the command summary and are to be
confirmed on the manual's own pages in the lab. Replies: ``2.300E+02``, ``ON``/``OFF`` as
``1``/``0``, errors ``0,"No error"``.

On the bench the load sits on the socket's L1-N (the vehicle's charger), drawing in constant
current mode what the composed EV sets (the wanted current, at most what the PWM advertises).
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

COMMANDS: tuple[Cmd, ...] = (
    *common_commands(),
    Cmd("LOAD[:STATe]", default="0", reply="BOOL", example="OFF", note="the load input"),
    Cmd("MODE", default="CC", reply="CHAR", example="CC",
        note="CC emulated; CR, CP, CV, RLC: -221"),
    Cmd("CURRent[:STATic]", default="0", reply="NR3", example="0",
        note="A rms in CC mode, 0 ... 36 (63804 (c))"),
    Cmd("PFACtor", default="1", reply="NR3", example="1", note="0 ... 1 (c)"),
    Cmd("CFACtor", default="1.414E+00", reply="NR3", mode="held", value="num", low=1.414,
        high=5.0, example="1.414", note="crest factor: a sine only on this bench"),
    Cmd("MEASure:CURRent", forms="query", reply="NR3", note="A rms"),
    Cmd("MEASure:VOLTage", forms="query", reply="NR3", note="V rms"),
    Cmd("MEASure:POWer", forms="query", reply="NR3", note="W"),
    Cmd("MEASure:FREQuency", forms="query", reply="NR3"),
    Cmd("SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

MANUAL = Manual(
    model="CHROMA63800",
    title="Chroma Programmable AC&DC Electronic Load 63800 Series User's Manual",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed (c)",
    subsystems=("common commands", "LOAD", "MODE", "CURRent", "PFACtor/CFACtor", "MEASure",
                "SYSTem:ERRor"),
    commands=COMMANDS,
    notes=("One load on L1 (a three-phase vehicle needs three).",
           "Other modes (CR, CP, CV, rectified/RLC loads) and the load's own timing and "
           "surge functions: -221 or -113."),
)
