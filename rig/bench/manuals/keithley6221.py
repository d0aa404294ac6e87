"""Keithley 6221 AC and DC current source, the subsystems the bench claims.

From the Model 6220 DC Current Source / Model 6221 AC and DC Current Source Reference Manual,
622x-901-01 Rev. C (October 2008): section 14 "SCPI tables" and section 13 "Common commands".
The bench's 6221 drives a test wire through the charger's RCD sensor (``turns`` passes): DC
with ``:SOUR:CURR``, AC with the sine wave function. Delta, pulse-delta and differential
conductance (a 2182A on the Trigger Link), arbitrary waveforms and the trigger model are not in
the claimed subsystems.
"""

from __future__ import annotations

from . import Cmd, Manual

COMMANDS: tuple[Cmd, ...] = (
    # ---- common commands ------------------------------------------------------------------
    Cmd("*CLS", forms="event"),
    Cmd("*ESE", default="0", reply="NR1", example="0"),
    Cmd("*ESR", forms="query", reply="NR1"),
    Cmd("*IDN", forms="query", reply="IDN"),
    Cmd("*OPC", forms="event+query", reply="NR1"),
    Cmd("*RST", forms="event"),
    Cmd("*SRE", default="0", reply="NR1", example="0"),
    Cmd("*STB", forms="query", reply="NR1"),
    Cmd("*TRG", forms="event", note="a bus trigger; no trigger model waits for one here"),
    Cmd("*TST", forms="query", reply="NR1"),
    Cmd("*WAI", forms="event"),
    # ---- SOURce: DC current ---------------------------------------------------------------
    Cmd(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]", default="0.000000E+00",
        reply="NR3", example="1e-3", note="limited to 105 % of the range when auto range "
        "is off (-222)"),
    Cmd(":SOURce:CURRent:RANGe", default="1.000000E-01", reply="NR3", example="0.1",
        note="default (c)"),
    Cmd(":SOURce:CURRent:RANGe:AUTO", default="0", reply="BOOL", example="0",
        note="default (c)"),
    Cmd(":SOURce:CURRent:COMPliance", default="1.000000E+01", reply="NR3", example="10"),
    Cmd(":SOURce:CURRent:FILTer[:STATe]", mode="stored", value="bool", default="0",
        reply="BOOL", example="0"),
    Cmd(":SOURce:DELay", mode="stored", value="num", unit="S", low=1e-3, high=999999.999,
        default="1.000000E-03", reply="NR3", example="0.001"),
    Cmd(":SOURce:CLEar[:IMMediate]", forms="event", note="output off (the waveform stops)"),
    # ---- SOURce: waveform -----------------------------------------------------------------
    Cmd(":SOURce:WAVE:FUNCtion", default="SIN", reply="CHAR", example="SIN",
        note="SIN, SQUare, RAMP; only SIN reaches the sensor model (ARM with another: -221)"),
    Cmd(":SOURce:WAVE:FREQuency", default="1.000000E+03", reply="NR3", example="50"),
    Cmd(":SOURce:WAVE:AMPLitude", default="2.000000E-03", reply="NR3", example="0.0424",
        note="peak; default (c)"),
    Cmd(":SOURce:WAVE:OFFSet", default="0.000000E+00", reply="NR3", example="0"),
    Cmd(":SOURce:WAVE:DCYCle", mode="stored", value="num", low=0.0, high=100.0,
        default="5.000000E+01", reply="NR3", example="50", note="duty cycle of SQUare"),
    Cmd(":SOURce:WAVE:DURation:TIME", default="9.9E+37", reply="NR3", example="INF",
        note="INF only: a finite duration is -221 on this bench"),
    Cmd(":SOURce:WAVE:DURation:CYCLes", default="9.9E+37", reply="NR3", example="INF",
        note="INF only: a finite count is -221 on this bench"),
    Cmd(":SOURce:WAVE:RANGing", mode="stored", value="char", choices=("BEST", "FIXed"),
        default="BEST", reply="CHAR", example="BEST"),
    Cmd(":SOURce:WAVE:PMARker[:LEVel]", mode="stored", value="num", low=0.0, high=360.0,
        default="0.000000E+00", reply="NR3", example="0"),
    Cmd(":SOURce:WAVE:PMARker:STATe", mode="stored", value="bool", default="0",
        reply="BOOL", example="0"),
    Cmd(":SOURce:WAVE:PMARker:OLINe", mode="stored", value="int", low=1, high=6,
        default="3", reply="NR1", example="3"),
    Cmd(":SOURce:WAVE:ARM", forms="event+query", reply="BOOL"),
    Cmd(":SOURce:WAVE:INITiate", forms="event", setup=":SOUR:WAVE:ARM"),
    Cmd(":SOURce:WAVE:ABORt", forms="event"),
    # ---- OUTPut ---------------------------------------------------------------------------
    Cmd(":OUTPut[:STATe]", default="0", reply="BOOL", example="0"),
    Cmd(":OUTPut:LTEarth", mode="stored", value="bool", default="0", reply="BOOL",
        example="0"),
    Cmd(":OUTPut:ISHield", mode="stored", value="char", choices=("OLOW", "GUARd"),
        default="OLOW", reply="CHAR", example="OLOW"),
    Cmd(":OUTPut:RESPonse", mode="stored", value="char", choices=("FAST", "SLOW"),
        default="FAST", reply="CHAR", example="FAST"),
    # ---- DISPlay (front panel on/off only) ------------------------------------------------
    Cmd(":DISPlay:ENABle", mode="stored", value="bool", default="1", reply="BOOL",
        example="1"),
    # ---- STATus ---------------------------------------------------------------------------
    Cmd(":STATus:PRESet", forms="event"),
    Cmd(":STATus:QUEue[:NEXT]", forms="query", reply="ERROR"),
    Cmd(":STATus:QUEue:CLEar", forms="event"),
    Cmd(":STATus:OPERation[:EVENt]", forms="query", reply="NR1"),
    Cmd(":STATus:OPERation:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:OPERation:ENABle", default="0", reply="NR1", example="0"),
    Cmd(":STATus:QUEStionable[:EVENt]", forms="query", reply="NR1"),
    Cmd(":STATus:QUEStionable:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:QUEStionable:ENABle", default="0", reply="NR1", example="0"),
    Cmd(":STATus:MEASurement[:EVENt]", forms="query", reply="NR1"),
    Cmd(":STATus:MEASurement:CONDition", forms="query", reply="NR1"),
    Cmd(":STATus:MEASurement:ENABle", default="0", reply="NR1", example="0"),
    # ---- SYSTem ---------------------------------------------------------------------------
    Cmd(":SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
    Cmd(":SYSTem:ERRor:COUNt", forms="query", reply="NR1"),
    Cmd(":SYSTem:ERRor:CODE[:NEXT]", forms="query", reply="NR1"),
    Cmd(":SYSTem:CLEar", forms="event", note="clears the error queue"),
    Cmd(":SYSTem:VERSion", forms="query", reply="NR2"),
    Cmd(":SYSTem:BEEPer:STATe", mode="stored", value="bool", default="1", reply="BOOL",
        example="1"),
)

MANUAL = Manual(
    model="KEITHLEY6221",
    title="Model 6220 DC Current Source / Model 6221 AC and DC Current Source Reference Manual",
    document="622x-901-01",
    edition="Rev. C, October 2008",
    subsystems=("common commands", "SOURce (DC current, waveform SIN/SQU/RAMP)", "OUTPut",
                "DISPlay:ENABle", "STATus", "SYSTem (errors)"),
    commands=COMMANDS,
    notes=(
        "Not in the claimed subsystems (delta / pulse-delta / differential conductance, "
        "arbitrary waveforms, sweeps, TRIGger and ARM layers, TRACe, UNIT, the rest of "
        "DISPlay): -113, as for any header the instrument does not know.",
    ),
)
