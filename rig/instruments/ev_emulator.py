"""EVE-1, the rig's EV emulator: vehicle side of the socket with a time-stamped event trace.

No vendor publishes an EV-emulator command set; this is the project's own (README, "EV
emulator command set"), SCPI-99 style:

===================================  ======================================  =================
Purpose                              Command                                 Reply
===================================  ======================================  =================
vehicle state / CP resistance        ``SOUR:CP:STAT A|B|C|D``,
                                     ``SOUR:CP:RES <ohm>|INF``
CP fault                             ``SOUR:CP:FAUL NONE|DIODE_SHORT|...``
cable coding                         ``SOUR:PP:RES <ohm>|NONE``
pilot                                ``MEAS:CP:FREQ?``, ``:DCYC?``,          ``9.91000E+37``
                                     ``:VOLT:HIGH?``, ``:VOLT:LOW?``,        where nothing to
                                     ``:RTIM?``, ``:FTIM?``, ``:STAT?``      measure
load                                 ``SOUR:LOAD:CURR<n> <A>``,
                                     ``SOUR:LOAD:PFAC``, ``OUTP:LOAD ON``,
                                     ``MEAS:LOAD:CURR<n>?``
status LED (colour sensor), lock     ``MEAS:LED?``, ``MEAS:LOCK?``           ``GREEN,SOLID``
time base, trace                     ``SYST:TIME?``, ``TRAC:EVEN:DATA? [t]``,  ``t,kind,value,...``
                                     ``TRAC:EVEN:LAST? [kind]``,             or ``NONE``
                                     ``TRAC:EVEN:CLE``
watchdog                             ``OUTP:PROT:WDOG ON``, ``...:DEL <s>``,
                                     ``OUTP:PROT:CLE``
===================================  ======================================  =================

Every state command is traced by the emulator, changed or not, so ``set_state`` asks for the
last ``STATE`` event in the same message and returns the instrument's own timestamp of the
change: timing verdicts never depend on the host's clock around a VISA call.

Vehicle state, CP fault, cable and load are settings (quantities): whichever method sends them,
they are read back after a reconnect, so an emulator that rebooted (vehicle gone to A, load off)
under a running charge is an ERROR of the step, not a charger that "opened" its contactor.
"""

from __future__ import annotations

from rig.instruments.base import (
    OutputWatchdog,
    ScpiInstrument,
    check_choice,
    check_range,
    quantity,
)
from rig.instruments.protocols import EvEmulator, Event, PilotMeasurement

STATES = ("A", "B", "C", "D")
FAULTS = ("NONE", "DIODE_SHORT", "CP_PE_SHORT", "CP_OPEN", "PE_OPEN")
PILOT_COMMANDS = (
    "MEAS:CP:FREQ?", ":MEAS:CP:DCYC?", ":MEAS:CP:VOLT:HIGH?", ":MEAS:CP:VOLT:LOW?",
    ":MEAS:CP:RTIM?", ":MEAS:CP:FTIM?", ":MEAS:CP:STAT?",
)
#: The trace prints times with 6 decimals: ask from a microsecond earlier, filter exactly here.
_TIME_RESOLUTION_S = 1e-6


def _ohm_or_none(text: str) -> float | None:
    """``NONE`` (no cable) or a resistance in ohm."""
    from rig.transport import scpi_float

    word = text.strip().strip('"').upper()
    return None if word in ("NONE", "INF", "OPEN") else scpi_float(word)


_ohm_or_none.expected = "a resistance in ohm or NONE"  # type: ignore[attr-defined]


class EVE1(OutputWatchdog, ScpiInstrument, EvEmulator):
    """The EVE-1 EV emulator."""

    safe_commands = ("SOUR:CP:STAT A", "SOUR:CP:FAUL NONE", "OUTP:LOAD OFF")

    # ---- settings (read back after a reconnect; set through the methods below) --------------
    vehicle_state = quantity(
        "SOUR:CP:STAT?", "SOUR:CP:STAT %s", "Vehicle state (set_state)", str, values=STATES,
        set_by={"SOUR:CP:RES INF": "A"}, changed_by=("SOUR:CP:RES",),
    )
    cp_fault = quantity("SOUR:CP:FAUL?", "SOUR:CP:FAUL %s", "CP fault (set_fault)", str,
                        values=FAULTS)
    pp_resistance = quantity(
        "SOUR:PP:RES?", "SOUR:PP:RES %s", "Cable's PP resistor (set_cable; None: no cable)",
        _ohm_or_none, unit="ohm",
    )
    load = quantity("OUTP:LOAD?", "OUTP:LOAD %s", "Vehicle load switched on (load_on)", bool)

    # ---- changes with a timestamp -----------------------------------------------------------
    def _timed(self, command: str, kind: str, expected: str) -> float:
        """Send ``command`` and read the time of the ``kind`` event it caused, in one message."""
        message = f"{command};:TRAC:EVEN:LAST? {kind}"
        reply = self.query(message)
        self.raise_errors(message)
        event = self._parse_events(reply, message)
        if len(event) != 1 or event[0].kind != kind or event[0].value != expected:
            raise self.bad_reply(message, reply, f"a {kind},{expected} event")
        return event[0].t

    def set_state(self, state: str) -> float:
        """Vehicle state A/B/C/D; returns the emulator's timestamp of the change, s."""
        state = check_choice("state", state, STATES)
        return self._timed(f"SOUR:CP:STAT {state}", "STATE", state)

    def set_resistance(self, ohm: float | None) -> float:
        """An arbitrary CP resistance, 50 ... 100 000 ohm (None = open, state A)."""
        if ohm is None:
            return self._timed("SOUR:CP:RES INF", "STATE", "A")
        value = check_range("ohm", ohm, "ohm", 50.0, 100_000.0)
        return self._timed(f"SOUR:CP:RES {value:g}", "STATE", f"R{value:g}")

    def set_fault(self, fault: str) -> float:
        fault = check_choice("fault", fault, FAULTS)
        return self._timed(f"SOUR:CP:FAUL {fault}", "FAULT", fault)

    # ---- cable and load ---------------------------------------------------------------------
    def set_cable(self, pp_ohm: float | None) -> None:
        """PP resistor of the cable (None = no cable in the socket)."""
        if pp_ohm is None:
            self.send("SOUR:PP:RES NONE")
            return
        value = check_range("pp_ohm", pp_ohm, "ohm", 0.0, 100_000.0)
        self.send(f"SOUR:PP:RES {value:g}")

    def set_load(
        self, current_a: float | list[float], phases: int = 3, power_factor: float = 1.0
    ) -> None:
        """Wanted current per phase (one value on ``phases`` phases, or a list) and PF."""
        if isinstance(current_a, (list, tuple)):
            if not 1 <= len(current_a) <= 3:
                raise ValueError(f"current_a = {current_a!r}: 1 ... 3 per-phase values expected")
            per_phase = [check_range("current_a", c, "A", 0.0, 80.0) for c in current_a]
        else:
            check_choice("phases", phases, (1, 2, 3))
            per_phase = [check_range("current_a", current_a, "A", 0.0, 80.0)] * phases
        per_phase += [0.0] * (3 - len(per_phase))
        pf = check_range("power_factor", power_factor, "", 0.1, 1.0)
        parts = [f"SOUR:LOAD:CURR{n} {a:g}" for n, a in enumerate(per_phase, 1)]
        self.send(";:".join([*parts, f"SOUR:LOAD:PFAC {pf:g}"]))

    def set_load_lag(self, seconds: float) -> None:
        """Time constant with which the load follows the advertised current, s."""
        self.send(f"SOUR:LOAD:LAG {check_range('seconds', seconds, 's', 0.0, 60.0):g}")

    def load_on(self) -> None:
        self.send("OUTP:LOAD ON")

    def load_off(self) -> None:
        self.send("OUTP:LOAD OFF")

    def load_current(self, phase: int = 1) -> float:
        """Current the load draws on one phase now, A."""
        check_choice("phase", phase, (1, 2, 3))
        return self.query_float(f"MEAS:LOAD:CURR{phase}?")

    # ---- what the vehicle sees --------------------------------------------------------------
    def measure_pilot(self) -> PilotMeasurement:
        """All pilot measurements in one message (one instant); NaN where nothing to measure."""
        command = ";".join(PILOT_COMMANDS)
        reply = self.query(command)
        parts = reply.split(";")
        if len(parts) != len(PILOT_COMMANDS):
            raise self.bad_reply(command, reply, f"{len(PILOT_COMMANDS)} replies")
        freq, duty, high, low, rise, fall = (self.parse_float(p, command) for p in parts[:6])
        return PilotMeasurement(freq, duty, high, low, rise, fall, parts[6].strip())

    def inlet_voltage(self, phase: int = 1) -> float:
        """AC voltage at the vehicle inlet (contactor closed = mains present), V rms."""
        check_choice("phase", phase, (1, 2, 3))
        return self.query_float(f"MEAS:AC:VOLT{phase}?")

    def led(self) -> tuple[str, str]:
        """Colour and pattern of the charger's status LED, lower case."""
        reply = self.query("MEAS:LED?")
        colour, sep, pattern = reply.partition(",")
        if not sep:
            raise self.bad_reply("MEAS:LED?", reply, "colour,pattern")
        return colour.strip().lower(), pattern.strip().lower()

    def locked(self) -> bool:
        """Is the socket's cable lock engaged?"""
        return self.query_bool("MEAS:LOCK?")

    # ---- time base and trace ----------------------------------------------------------------
    def time(self) -> float:
        """Now on the emulator's time base, s."""
        return self.query_float("SYST:TIME?")

    def events(self, since: float | None = None) -> list[Event]:
        """The trace since ``since`` (inclusive), oldest first."""
        if since is None:
            command = "TRAC:EVEN:DATA?"
            return self._parse_events(self.query(command), command)
        check_range("since", since, "s", -1e12, 1e12)
        # the emulator compares against full-precision times but prints 6 decimals: ask from a
        # microsecond earlier and keep what is not older than ``since`` as printed
        command = f"TRAC:EVEN:DATA? {since - _TIME_RESOLUTION_S:.6f}"
        events = self._parse_events(self.query(command), command)
        floor = round(since, 6)
        return [e for e in events if e.t >= floor]

    def clear_events(self) -> None:
        self.send("TRAC:EVEN:CLE")

    def _parse_events(self, reply: str, command: str) -> list[Event]:
        """``t,kind,value,t,kind,value,...`` or ``NONE``."""
        text = reply.strip()
        if text.upper() == "NONE":
            return []
        fields = [f.strip() for f in text.split(",")]
        if len(fields) % 3:
            raise self.bad_reply(command, reply, "t,kind,value triplets")
        events = []
        for i in range(0, len(fields), 3):
            t = self.parse_float(fields[i], command)
            events.append(Event(t, fields[i + 1].upper(), fields[i + 2]))
        return events

