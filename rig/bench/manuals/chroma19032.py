"""Chroma 19032 electrical safety analyser: the ``SOURce:SAFEty`` subsystem a routine test uses.

From the Chroma Electrical Safety Analyzer 19032 / 19032-P User's Manual, chapter "Remote
interface" (SCPI command summary, ``SOURce:SAFEty`` subsystem); document number and edition
to be confirmed on the manual in the lab (c), as are the limits marked (c) in
``rig/bench/instruments/chroma.py``. A step's parameters belong to the step's mode (AC, IR,
GB): the query of a parameter of another mode is -221, as on the instrument. Nothing of it is
a setting with an ``*RST`` default: the step memory is empty after ``*RST``.
"""

from __future__ import annotations

from . import Cmd, Manual, common_commands

_STEP = "[SOURce:]SAFEty:STEP<n>"
_PARAMETERS = {
    "AC": {"[:LEVel]": ("1500", "V rms, 50 ... 5000"), ":LIMit[:HIGH]": ("0.005", "A"),
           ":LIMit:LOW": ("0", "A"), ":TIME[:TEST]": ("1", "s"), ":TIME:RAMP": ("0.1", "s")},
    "IR": {"[:LEVel]": ("500", "V DC, 50 ... 1000"), ":LIMit[:LOW]": ("1e6", "ohm"),
           ":LIMit:HIGH": ("0", "ohm, 0 = none"), ":TIME[:TEST]": ("1", "s"),
           ":TIME:RAMP": ("0", "s")},
    "GB": {"[:LEVel]": ("25", "A, 3 ... 30"), ":LIMit[:HIGH]": ("0.1", "ohm"),
           ":LIMit:LOW": ("0", "ohm"), ":TIME[:TEST]": ("1", "s"), ":TIME:RAMP": ("0", "s")},
}

COMMANDS: tuple[Cmd, ...] = (
    *common_commands(),
    Cmd(f"{_STEP}:MODE", forms="query", reply="CHAR", note="AC, IR or GB",
        setup=f"{_STEP.replace('<n>', '1').replace('[SOURce:]', '')}:AC 1500"),
    *(Cmd(f"{_STEP}:{mode}{header}", reply="NR3", example=example,
          note=f"{unit}; setting it makes step <n> a {mode} step (a new step at the end)")
      for mode, rows in _PARAMETERS.items() for header, (example, unit) in rows.items()),
    Cmd("[SOURce:]SAFEty:SNUMber", forms="query", reply="NR1", note="steps in the memory"),
    Cmd("[SOURce:]SAFEty:STARt[:ONCE]", forms="event",
        note="-221 with no step or the interlock open (supply on, EV connected)"),
    Cmd("[SOURce:]SAFEty:STATus", forms="query", reply="CHAR", note="RUNNING or STOPPED"),
    Cmd("[SOURce:]SAFEty:RESult:COMPleted", forms="query", reply="BOOL"),
    Cmd("[SOURce:]SAFEty:RESult:ALL[:JUDGment]", forms="query", reply="LIST",
        note="result codes per step: 116 PASS, 115 TESTING, 33/65/97 HIGH FAIL ..."),
    Cmd("[SOURce:]SAFEty:RESult:ALL:MMETerage", forms="query", reply="LIST"),
    Cmd("[SOURce:]SAFEty:RESult:ALL:OMETerage", forms="query", reply="LIST"),
    Cmd("[SOURce:]SAFEty:RESult:ALL:MODE", forms="query", reply="LIST"),
    Cmd("[SOURce:]SAFEty:RESult:ALL:TIME[:ELAPsed][:TEST]", forms="query", reply="LIST"),
    Cmd("[SOURce:]SAFEty:STOP", forms="event"),
    Cmd(f"{_STEP}:DELete", forms="event", note="-222 for a step that is not there"),
    Cmd("SYSTem:ERRor[:NEXT]", forms="query", reply="ERROR"),
)

MANUAL = Manual(
    model="CHROMA19032",
    title="Chroma Electrical Safety Analyzer 19032 / 19032-P User's Manual",
    document="document number to be confirmed (c)",
    edition="edition to be confirmed (c)",
    subsystems=("common commands", "SOURce:SAFEty (steps AC, IR, GB; run; results)",
                "SYSTem:ERRor"),
    commands=COMMANDS,
    notes=("Not in the claimed subsystems (DC hipot, OSC, the other SAFEty result queries, "
           "memory, CALibration): -113.",),
)
