"""The EV emulator EVE-1: this project's own command set (no vendor publishes one).

Its manual is this table, rendered in ``docs/emulated-instruments.md`` and summarised in the
README ("EV emulator command set (EVE-1)"); the edition is the firmware version ``*IDN?``
reports. SCPI-99 style: short forms in capitals, ``<n>`` the phase 1..3.
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

COMMANDS: tuple[Cmd, ...] = (
    *common_commands(),
    # ---- the vehicle's CP circuit and the cable ----------------------------------------------
    Cmd("[SOURce:]CP:STATe", default="A", reply="CHAR", example="A",
        note="A, B, C, D: nominal resistors, diode in series; every command is traced"),
    Cmd("[SOURce:]CP:RESistance", default="INF", reply="NR3|CHAR", example="OPEN",
        note="<ohm> 50 ... 100 000, or OPEN / INF"),
    Cmd("[SOURce:]CP:FAULt", default="NONE", reply="CHAR", example="NONE",
        note="NONE, DIODE_SHORT, CP_PE_SHORT, CP_OPEN, PE_OPEN"),
    Cmd("[SOURce:]PP:RESistance", default="NONE", reply="NR3|CHAR", example="NONE",
        note="<ohm> or NONE (no cable)"),
    # ---- load ---------------------------------------------------------------------------
    Cmd("[SOURce:]LOAD:CURRent<n>", default="0", reply="NR3", example="0",
        note="A per phase, 0 ... 80; follows the advertised current"),
    Cmd("[SOURce:]LOAD:PFACtor", default="1", reply="NR3", example="1"),
    Cmd("[SOURce:]LOAD:LAG", default="0.5", reply="NR3", example="0.5",
        note="first-order lag, s"),
    Cmd("OUTPut:LOAD[:STATe]", default="0", reply="BOOL", example="OFF"),
    # ---- measurements -------------------------------------------------------------------
    Cmd("MEASure:CP:FREQuency", forms="query", reply="NR3",
        note="9.91E+37: nothing to measure"),
    Cmd("MEASure:CP:DCYCle", forms="query", reply="NR3"),
    Cmd("MEASure:CP:VOLTage:HIGH", forms="query", reply="NR3"),
    Cmd("MEASure:CP:VOLTage:LOW", forms="query", reply="NR3"),
    Cmd("MEASure:CP:RTIMe", forms="query", reply="NR3"),
    Cmd("MEASure:CP:FTIMe", forms="query", reply="NR3"),
    Cmd("MEASure:CP:STATe", forms="query", reply="CHAR", note="as the EV sees it: B2, C1, E"),
    Cmd("MEASure:LED", forms="query", reply="LIST", note="colour,pattern (BLUE,FLASH)"),
    Cmd("MEASure:LOCK", forms="query", reply="BOOL"),
    Cmd("MEASure:AC:VOLTage<n>", forms="query", reply="NR3", note="at the inlet"),
    Cmd("MEASure:LOAD:CURRent<n>", forms="query", reply="NR3"),
    # ---- trace and time base ------------------------------------------------------------
    Cmd("SYSTem:TIME", forms="query", reply="NR2", note="now, on the trace's time base"),
    Cmd("TRACe:EVENt:CLEar", forms="event"),
    Cmd("TRACe:EVENt:COUNt", forms="query", reply="NR1"),
    Cmd("TRACe:EVENt:DATA", forms="query", reply="LIST",
        note="[<since>]: t,KIND,VALUE,... or NONE"),
    Cmd("TRACe:EVENt:LAST", forms="query", reply="LIST", note="[<kind>]"),
    # ---- watchdog, errors ----------------------------------------------------------------
    Cmd("OUTPut:PROTection:WDOG[:STATe]", default="0", reply="BOOL", example="OFF"),
    Cmd("OUTPut:PROTection:WDOG:DELay", reply="NR3", example="5",
        note="s; kept across *RST"),
    Cmd("OUTPut:PROTection:CLEar", forms="event"),
    Cmd("OUTPut:PROTection:TRIPped", forms="query", reply="BOOL"),
    Cmd("SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

MANUAL = Manual(
    model="EVE-1",
    title="evse-rig EVE-1 EV emulator command set",
    document="docs/emulated-instruments.md (this table)",
    edition="1.0.0, the firmware version *IDN? reports",
    subsystems=("common commands", "SOURce (CP, PP, LOAD)", "OUTPut (LOAD, watchdog)",
                "MEASure", "TRACe:EVENt", "SYSTem (TIME, ERRor)"),
    commands=COMMANDS,
    notes=("Anything else: -113.",),
)
