"""Keysight InfiniiVision X-series oscilloscopes (DSOX1000/2000/3000 dialect).

Command table (Keysight InfiniiVision 3000T X-Series Programmer's Guide; the 1000X and 2000X
guides give the same commands for what the rig uses; the emulated twin's rows with their
``*RST`` defaults are in ``rig/bench/manuals/infiniivision.py``):

=========================  ================================================  ==============
Purpose                    Command                                           Reply
=========================  ================================================  ==============
identity, errors           ``*IDN?``, ``:SYST:ERR?``                         ``+0,"No error"``
vertical                   ``:CHAN<n>:SCAL <V/div>``, ``:CHAN<n>:OFFS <V>``,
                           ``:CHAN<n>:PROB <ratio>``
horizontal                 ``:TIM:SCAL <s/div>``, ``:TIM:POS <s>``,
                           ``:TIM:REF LEFT|CENT|RIGH``
trigger                    ``:TRIG:MODE EDGE|RUNT``, ``:TRIG:EDGE:SOUR``,
                           ``:TRIG:EDGE:LEV``, ``:TRIG:EDGE:SLOP POS|NEG``,
                           ``:TRIG:RUNT:POL``, ``:TRIG:LEV:HIGH|LOW <V>,CHAN1``
acquisition                ``:RUN``, ``:STOP``, ``:SINGle``, ``:TER?``,       ``+1`` / ``+0``
                           ``:OPER:COND?`` (bit 3: running)                  ``+8``
measurements               ``:MEAS:FREQ? CHAN1``, ``:MEAS:DUTY?``,           ``9.9E+37``: none
                           ``:MEAS:VTOP?``, ``:MEAS:VBAS?``, ``:MEAS:RIS?``,
                           ``:MEAS:FALL?``, ``:MEAS:VRMS? DISP,AC,CHAN2``
waveform                   ``:WAV:SOUR CHAN<n>``, ``:WAV:FORM ASC``,
                           ``:WAV:POIN <n>``, ``:WAV:PRE?``, ``:WAV:DATA?``  ``#8...`` block
=========================  ================================================  ==============

Waveforms are read in ASCii format: the rig's transport is line-based text (the transcript
shows every exchange), and the ASCii block is plain text after its ``#<n><len>`` header.
"""

from __future__ import annotations

import math

from rig.errors import InstrumentError
from rig.instruments.base import ScpiInstrument, check_choice, check_range, quantity
from rig.instruments.protocols import Oscilloscope, Record

#: What ``measure`` items send (the source follows as a parameter).
MEASUREMENTS = {
    "frequency": ":MEAS:FREQ?", "duty": ":MEAS:DUTY?", "top": ":MEAS:VTOP?",
    "base": ":MEAS:VBAS?", "rise": ":MEAS:RIS?", "fall": ":MEAS:FALL?",
}
POINTS = (100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 62500)
#: Replies at or above this are the scope's "no value" (9.9E+37).
NO_VALUE = 9e37
CHANNELS = (1, 2, 3, 4)


class InfiniiVision(ScpiInstrument, Oscilloscope):
    """Keysight DSOX3000T-class oscilloscope: ch1 the pilot, ch2 the socket (bench wiring)."""

    error_query = ":SYST:ERR?"
    safe_commands = (":RUN",)  # it only measures; leave it acquiring, as a person would

    ch1_scale = quantity(":CHAN1:SCAL?", ":CHAN1:SCAL %g", "Channel 1 scale", unit="V/div",
                         range=(1e-3, 5000.0))
    ch1_offset = quantity(":CHAN1:OFFS?", ":CHAN1:OFFS %g", "Channel 1 offset", unit="V",
                          range=(-5e4, 5e4))
    ch1_probe = quantity(":CHAN1:PROB?", ":CHAN1:PROB %g", "Channel 1 probe attenuation",
                         range=(0.1, 10000.0))
    ch2_scale = quantity(":CHAN2:SCAL?", ":CHAN2:SCAL %g", "Channel 2 scale", unit="V/div",
                         range=(1e-3, 5000.0))
    ch2_offset = quantity(":CHAN2:OFFS?", ":CHAN2:OFFS %g", "Channel 2 offset", unit="V",
                          range=(-5e4, 5e4))
    ch2_probe = quantity(":CHAN2:PROB?", ":CHAN2:PROB %g", "Channel 2 probe attenuation",
                         range=(0.1, 10000.0))
    timebase_scale = quantity(":TIM:SCAL?", ":TIM:SCAL %g", "Horizontal scale", unit="s/div",
                              range=(1e-9, 50.0))
    timebase_position = quantity(":TIM:POS?", ":TIM:POS %g", "Trigger to reference point",
                                 unit="s", range=(-500.0, 500.0))
    timebase_reference = quantity(":TIM:REF?", ":TIM:REF %s", "Reference point", str,
                                  values={"left": "LEFT", "center": "CENT", "right": "RIGH"})
    trigger_mode = quantity(":TRIG:MODE?", ":TRIG:MODE %s", "Trigger type", str,
                            values={"edge": "EDGE", "runt": "RUNT"})
    edge_level = quantity(":TRIG:EDGE:LEV?", ":TRIG:EDGE:LEV %g", "Edge trigger level",
                          unit="V", range=(-1000.0, 1000.0))
    edge_slope = quantity(":TRIG:EDGE:SLOP?", ":TRIG:EDGE:SLOP %s", "Edge trigger slope", str,
                          values={"rising": "POS", "falling": "NEG"})
    runt_polarity = quantity(":TRIG:RUNT:POL?", ":TRIG:RUNT:POL %s", "Runt pulse polarity",
                             str, values={"positive": "POS", "negative": "NEG"})
    runt_high = quantity(":TRIG:LEV:HIGH? CHAN1", ":TRIG:LEV:HIGH %g,CHAN1", "Runt upper level",
                         unit="V", range=(-1000.0, 1000.0))
    runt_low = quantity(":TRIG:LEV:LOW? CHAN1", ":TRIG:LEV:LOW %g,CHAN1", "Runt lower level",
                        unit="V", range=(-1000.0, 1000.0))

    # ---- set-up ----------------------------------------------------------------------------
    def configure_channel(self, channel: int, scale_v: float, offset_v: float = 0.0,
                          probe: float = 1.0) -> None:
        channel = check_choice("channel", channel, (1, 2))
        names = ("scale", "offset", "probe")
        for name, value in zip(names, (scale_v, offset_v, probe), strict=True):
            getattr(type(self), f"ch{channel}_{name}").validate(value)
        setattr(self, f"ch{channel}_probe", probe)  # the probe first: it rescales the others
        setattr(self, f"ch{channel}_scale", scale_v)
        setattr(self, f"ch{channel}_offset", offset_v)

    def configure_timebase(self, scale_s: float, pretrigger_s: float = 0.0) -> None:
        type(self).timebase_scale.validate(scale_s)
        check_range("pretrigger_s", pretrigger_s, "s", 0.0, 10.0 * scale_s)
        self.timebase_reference = "left"
        self.timebase_scale = scale_s
        self.timebase_position = -pretrigger_s

    # ---- acquisitions ----------------------------------------------------------------------
    def arm_edge(self, level_v: float, rising: bool) -> None:
        self.trigger_mode = "edge"
        self.send(":TRIG:EDGE:SOUR CHAN1")
        self.edge_level = level_v
        self.edge_slope = "rising" if rising else "falling"
        self._single()

    def arm_runt(self, low_v: float, high_v: float, positive: bool = True) -> None:
        if not low_v < high_v:
            raise ValueError(f"runt levels: low {low_v} V must be below high {high_v} V")
        self.trigger_mode = "runt"
        self.send(":TRIG:RUNT:SOUR CHAN1")
        self.runt_polarity = "positive" if positive else "negative"
        self.runt_low = low_v
        self.runt_high = high_v
        self._single()

    def _single(self) -> None:
        self.query(":TER?")  # clear a trigger of an earlier acquisition
        self.send(":SINGle")

    def triggered(self) -> bool:
        return self.query_bool(":TER?")

    def complete(self) -> bool:
        reply = self.query(":OPER:COND?")
        try:
            return not int(reply.strip().lstrip("+")) & 8
        except ValueError:
            raise self.bad_reply(":OPER:COND?", reply, "a register value") from None

    def run(self) -> None:
        self.send(":RUN")

    def record(self, channel: int, points: int = 10000) -> Record:
        """The last acquisition of one channel, in volts at the probe tip."""
        channel = check_choice("channel", channel, CHANNELS)
        points = check_choice("points", points, POINTS)
        if not self.complete():  # a failed :WAV:DATA? gets no reply at all (IEEE 488.2)
            raise InstrumentError(self.name, self.resource, ":OPER:COND?",
                                  "the acquisition has not completed (not triggered yet, or "
                                  "its record is not full): nothing to read")
        self.send(f":WAV:SOUR CHAN{channel};:WAV:FORM ASC;:WAV:POIN {points}")
        pre = self.query_floats(":WAV:PRE?", 10)
        command = ":WAV:DATA?"
        reply = self.query(command)
        if not reply.startswith("#") or not reply[1:2].isdigit():
            raise self.bad_reply(command, reply[:40], "an IEEE 488.2 block #<n><length>...")
        digits = int(reply[1])
        size = int(reply[2:2 + digits] or 0)
        body = reply[2 + digits:2 + digits + size]
        if len(body) != size:
            raise self.bad_reply(command, reply[:40], f"a block of {size} bytes")
        values = tuple(self.parse_floats(body, command)) if body else ()
        if len(values) != int(pre[2]):
            raise self.bad_reply(command, reply[:40], f"{int(pre[2])} points (preamble)")
        return Record(x0=pre[5], dx=pre[4], values=values, y_step=pre[7])

    # ---- measurements ----------------------------------------------------------------------
    def measure(self, item: str, channel: int = 1) -> float:
        return self.measure_many([(item, channel)])[0]

    def measure_many(self, items: list[tuple[str, int]]) -> list[float]:
        """Several automatic measurements in one message (one instant, one round trip)."""
        parts = []
        for item, channel in items:
            channel = check_choice("channel", channel, CHANNELS)
            if item == "rms":
                parts.append(f":MEAS:VRMS? DISP,AC,CHAN{channel}")
            else:
                command = MEASUREMENTS[check_choice("item", item, list(MEASUREMENTS))]
                parts.append(f"{command} CHAN{channel}")
        command = ";".join(parts)
        reply = self.query(command)
        values = [self.parse_float(p, command) for p in reply.split(";")]
        if len(values) != len(parts):
            raise self.bad_reply(command, reply, f"{len(parts)} replies")
        return [math.nan if abs(v) >= NO_VALUE else v for v in values]

    def sample_interval(self) -> float:
        """Interval between the points of the acquisition memory, s (``:ACQ:SRAT?``)."""
        return 1.0 / self.query_float(":ACQ:SRAT?")
