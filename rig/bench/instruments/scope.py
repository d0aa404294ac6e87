"""An InfiniiVision X-series oscilloscope on the bench: the pilot on ch1, the socket on ch2.

What a real scope does, and the rig depends on, is emulated from the electrical model:

* **Acquisition memory.** The bench calls :meth:`Scope.sample` at every instant its outputs
  are recorded (``Bench.samplers``); the scope keeps the signals as segments (plateaus, PWM,
  mains voltage) from which any record, with pre-trigger history, is drawn afterwards. So a
  record in virtual time is as exact as the model itself.
* **Triggers.** EDGE (a level crossed with a slope) and RUNT (a pulse that crosses one level
  and not the other) on the pilot, found analytically in the segments since ``:SINGle``. An
  edge trigger on a PWM pilot fires at the PWM's own edges, as on a real scope; the state
  change of a PWM pilot is caught by a runt trigger (falling plateau) or an edge above the old
  plateau (rising plateau), at the first pulse that shows it.
* **Record.** 10 divisions of ``:TIMebase:SCALe`` around the trigger (``:TIMebase:POSition``
  from the trigger to the ``:REFerence`` point), ``:WAVeform:POINts`` points of it, 8-bit
  vertical resolution over 8 divisions (values clip outside them), scaled by the probe
  attenuation the scope is told (a wrong ``:CHANnel2:PROBe`` gives readings 100 times off, as
  it would).
* ``:SINGle`` ends when the record is full (bench time past its end): ``:OPERegister:CONDition?``
  bit 3 clears. Measurements (``:MEASure:...``) read the live signal.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, replace

from rig.bench.manuals.infiniivision import MANUAL
from rig.bench.scpi import Call, ScpiError, fmt_e

from .base import EmulatedInstrument

#: Attenuation of the probe really on each channel (ch2: a 100:1 differential probe).
PHYSICAL_PROBE = {1: 1.0, 2: 100.0, 3: 1.0, 4: 1.0}
#: Acquisition memory, points, and the highest sample rate, Sa/s (DSOX3000T: 4 Mpts, 5 GSa/s).
MEMORY_POINTS = 4_000_000
MAX_SAMPLE_RATE = 5e9
#: Points a transfer may have in NORMal mode.
POINT_CHOICES = (100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 62500)
#: Segments of signal history kept (older ones are gone, like a scope's memory).
HISTORY = 20_000
SCPI_NAN = 9.9e37
SOURCES = {"CHANnel1": "CHAN1", "CHANnel2": "CHAN2", "CHANnel3": "CHAN3", "CHANnel4": "CHAN4"}


@dataclass(frozen=True)
class Segment:
    """The signals from ``t`` until the next segment: pilot plateaus and PWM, mains L1-N."""

    t: float
    high: float
    low: float
    pwm: bool
    freq: float
    duty: float  # fraction of the period at ``high``
    mains_v: float  # r.m.s. at the socket
    mains_hz: float
    #: When the PWM's periods started: a plateau change does not restart the generator.
    anchor: float = 0.0

    def pilot(self, t: float) -> float:
        if not self.pwm:
            return self.high
        phase = ((t - self.anchor) * self.freq) % 1.0
        return self.high if phase < self.duty else self.low

    def socket(self, t: float) -> float:
        return self.mains_v * math.sqrt(2.0) * math.sin(2.0 * math.pi * self.mains_hz * t)


def _fmt(value: float) -> str:
    return fmt_e(SCPI_NAN if math.isnan(value) else value, 5, plus=True)


class Scope(EmulatedInstrument):
    key = "scope"
    manual = MANUAL
    error_code_format = "{:+d}"
    error_query = ":SYSTem:ERRor[:NEXT]?"

    def __init__(self, bench, serial: str = "MY61230042"):  # type: ignore[no-untyped-def]
        self.history: deque[Segment] = deque(maxlen=HISTORY)
        super().__init__(bench, serial)
        self.idn = f"KEYSIGHT TECHNOLOGIES,DSOX3024T,{serial},07.50.2021102830"
        bench.samplers.append(self.sample)
        self.sample()

    def reset(self) -> None:
        self.scale = {n: 5.0 for n in range(1, 5)}
        self.offset = {n: 0.0 for n in range(1, 5)}
        self.probe = {n: 1.0 for n in range(1, 5)}
        self.tb_scale, self.tb_position, self.reference = 1e-4, 0.0, "CENT"
        self.trig_mode, self.slope, self.level = "EDGE", "POS", 0.0
        self.runt_polarity, self.level_high, self.level_low = "POS", 0.0, 0.0
        self.meas_source, self.wav_source, self.wav_format, self.points = 1, 1, "BYTE", 1000
        self.mode = "RUN"  # RUN, ARMED (single, waiting or filling), STOP
        self.armed_at = 0.0
        self.trigger_t: float | None = None
        self.ter = False
        self.record: tuple[float, float] | None = None  # (trigger time, window start)
        self.record_scale = self.tb_scale

    # ---- signals ---------------------------------------------------------------------------
    def _live(self) -> Segment:
        bench = self.bench
        high, low = bench.cp()
        hal = bench.hal
        pwm = hal.cp_mode == "pwm" and high > 1.5
        freq = next((s.frequency_hz for s in bench.sources.values() if s.output), 50.0)
        return Segment(bench.now, high, low, pwm, hal.cp_freq_hz, hal.cp_duty_pct / 100.0,
                       bench.outlet_v()[0], freq)

    def sample(self) -> None:
        """The bench's outputs now: a new segment if anything the probes see changed."""
        live = self._live()
        last = self.history[-1] if self.history else None
        if last is None or (live.high, live.low, live.pwm, live.freq, live.duty, live.mains_v,
                            live.mains_hz) != (last.high, last.low, last.pwm, last.freq,
                                               last.duty, last.mains_v, last.mains_hz):
            same_pwm = last is not None and last.pwm and live.pwm and last.freq == live.freq
            anchor = last.anchor if same_pwm and last is not None else live.t
            self.history.append(replace(live, anchor=anchor))

    def _segment_at(self, t: float) -> Segment:
        i = bisect.bisect_right(self.history, t, key=lambda s: s.t) - 1
        return self.history[max(i, 0)]

    def _tip(self, channel: int, t: float) -> float:
        """Volts at the probe tip of ``channel`` at bench time ``t``."""
        seg = self._segment_at(t)
        if channel == 1:
            return seg.pilot(t)
        if channel == 2:
            return seg.socket(t)
        return 0.0

    def _gain(self, channel: int) -> float:
        return self.probe[channel] / PHYSICAL_PROBE[channel]

    # ---- acquisition -----------------------------------------------------------------------
    def _window(self, scale: float) -> tuple[float, float]:
        """(start, end) of the record relative to the trigger."""
        width = 10.0 * scale
        left = {"LEFT": 0.0, "CENT": -width / 2, "RIGH": -width}[self.reference]
        start = self.tb_position + left
        return start, start + width

    def _update(self) -> None:
        """Look for the trigger since ``:SINGle`` and end the acquisition once its record is
        full (lazily, at each command: the bench only moves between commands)."""
        if self.mode != "ARMED":
            return
        now = self.bench.now
        if self.trigger_t is None:
            self.trigger_t = self._find_trigger(self.armed_at, now)
            if self.trigger_t is not None:
                self.ter = True
        if self.trigger_t is not None:
            start, end = self._window(self.tb_scale)
            if now >= self.trigger_t + end - 1e-12:
                self.record = (self.trigger_t, self.trigger_t + start)
                self.record_scale = self.tb_scale
                self.mode = "STOP"

    def _segments_since(self, t0: float) -> list[tuple[Segment | None, Segment, float]]:
        """(previous, segment, end) of every segment overlapping [t0, now]."""
        hist = list(self.history)
        i = max(bisect.bisect_right(hist, t0, key=lambda s: s.t) - 1, 0)
        out = []
        for k in range(i, len(hist)):
            end = hist[k + 1].t if k + 1 < len(hist) else self.bench.now
            out.append((hist[k - 1] if k > 0 else None, hist[k], end))
        return out

    def _find_trigger(self, t0: float, now: float) -> float | None:
        gain = self._gain(1)
        best: float | None = None
        for prev, seg, end in self._segments_since(t0):
            found = (self._edge_in(prev, seg, end, t0, gain) if self.trig_mode == "EDGE"
                     else self._runt_in(prev, seg, end, t0, gain))
            if found is not None and found <= now:
                best = found if best is None else min(best, found)
                break
        return best

    def _edge_in(self, prev: Segment | None, seg: Segment, end: float, t0: float,
                 gain: float) -> float | None:
        high, low, level = seg.high * gain, seg.low * gain, self.level
        rising = self.slope == "POS"
        if prev is not None and seg.t >= t0:
            before, after = prev.pilot(seg.t - 1e-12) * gain, seg.pilot(seg.t) * gain
            if (rising and before < level <= after) or (not rising and before > level >= after):
                return seg.t
        if not seg.pwm or not low < level < high:
            return None
        period = 1.0 / seg.freq
        offset = 0.0 if rising else seg.duty * period
        start = max(t0, seg.t)
        k = math.ceil((start - seg.anchor - offset) / period - 1e-9)
        t = seg.anchor + offset + k * period
        if t <= seg.t and rising and seg.anchor < seg.t:
            t += period  # an edge at the segment's very start was the boundary's, above
        return t if t < end else None

    def _runt_in(self, prev: Segment | None, seg: Segment, end: float, t0: float,
                 gain: float) -> float | None:
        if not seg.pwm:
            return None
        high, low = seg.high * gain, seg.low * gain
        lo, hi = self.level_low, self.level_high
        period = 1.0 / seg.freq
        if self.runt_polarity == "POS":
            if not (low < lo < high < hi):
                return None
            offset = seg.duty * period  # the pulse ends (falls below LOW) here
            # a pulse that began before the change (at the old, higher plateau) is no runt
            began_high = prev is not None and prev.pwm and prev.pilot(seg.t - 1e-12) * gain >= hi
        else:
            if not (lo < low < hi < high):
                return None
            offset = period  # a low phase ends (rises above HIGH) at the period's end
            began_high = False
        start = max(t0, seg.t)
        k = math.ceil((start - seg.anchor - offset) / period - 1e-9)
        t = seg.anchor + offset + k * period
        if began_high and t - seg.duty * period < seg.t:
            t += period
        return t if t < end else None

    # ---- root commands ---------------------------------------------------------------------
    @EmulatedInstrument.command(":RUN")
    def _run(self, call: Call) -> None:
        self.mode = "RUN"

    @EmulatedInstrument.command(":STOP")
    def _stop(self, call: Call) -> None:
        self._update()
        if self.mode != "STOP":
            self.record = (self.bench.now, self.bench.now + self._window(self.tb_scale)[0])
            self.record_scale = self.tb_scale
        self.mode = "STOP"

    @EmulatedInstrument.command(":SINGle")
    def _single(self, call: Call) -> None:
        self.mode, self.armed_at, self.trigger_t, self.record = "ARMED", self.bench.now, None, None

    @EmulatedInstrument.command(":TER?")
    def _ter(self, call: Call) -> str:
        self._update()
        fired, self.ter = self.ter, False
        return "+1" if fired else "+0"

    @EmulatedInstrument.command(":OPERegister:CONDition?")
    def _oper(self, call: Call) -> str:
        self._update()
        return f"+{8 if self.mode in ('RUN', 'ARMED') else 0}"

    # ---- channels and timebase -------------------------------------------------------------
    def _channel(self, call: Call) -> int:
        return call.suffix(0, valid=range(1, 5))

    @EmulatedInstrument.command(":CHANnel<n>:SCALe")
    def _ch_scale(self, call: Call) -> None:
        self.scale[self._channel(call)] = call.number(0, "V", 1e-3 * 1e-2, 5000.0)

    @EmulatedInstrument.command(":CHANnel<n>:SCALe?")
    def _ch_scale_q(self, call: Call) -> str:
        return _fmt(self.scale[self._channel(call)])

    @EmulatedInstrument.command(":CHANnel<n>:OFFSet")
    def _ch_offset(self, call: Call) -> None:
        self.offset[self._channel(call)] = call.number(0, "V", -50000.0, 50000.0)

    @EmulatedInstrument.command(":CHANnel<n>:OFFSet?")
    def _ch_offset_q(self, call: Call) -> str:
        return _fmt(self.offset[self._channel(call)])

    @EmulatedInstrument.command(":CHANnel<n>:PROBe")
    def _ch_probe(self, call: Call) -> None:
        self.probe[self._channel(call)] = call.number(0, "", 0.1, 10000.0)

    @EmulatedInstrument.command(":CHANnel<n>:PROBe?")
    def _ch_probe_q(self, call: Call) -> str:
        return _fmt(self.probe[self._channel(call)])

    @EmulatedInstrument.command(":TIMebase[:MAIN]:SCALe")
    def _tb_scale(self, call: Call) -> None:
        self.tb_scale = call.number(0, "S", 1e-9, 50.0)

    @EmulatedInstrument.command(":TIMebase[:MAIN]:SCALe?")
    def _tb_scale_q(self, call: Call) -> str:
        return _fmt(self.tb_scale)

    @EmulatedInstrument.command(":TIMebase[:MAIN]:POSition")
    def _tb_pos(self, call: Call) -> None:
        self.tb_position = call.number(0, "S", -500.0, 500.0)

    @EmulatedInstrument.command(":TIMebase[:MAIN]:POSition?")
    def _tb_pos_q(self, call: Call) -> str:
        return _fmt(self.tb_position)

    @EmulatedInstrument.command(":TIMebase:REFerence")
    def _tb_ref(self, call: Call) -> None:
        self.reference = call.choice(0, {"LEFT": "LEFT", "CENTer": "CENT", "RIGHt": "RIGH"})

    @EmulatedInstrument.command(":TIMebase:REFerence?")
    def _tb_ref_q(self, call: Call) -> str:
        return self.reference

    # ---- trigger ---------------------------------------------------------------------------
    @EmulatedInstrument.command(":TRIGger:MODE")
    def _trig_mode(self, call: Call) -> None:
        mode = call.choice(0, {"EDGE": "EDGE", "RUNT": "RUNT", "GLITch": "GLIT",
                               "PATTern": "PATT", "TV": "TV", "SHOLd": "SHOL",
                               "TRANsition": "TRAN", "SBUS1": "SBUS1"})
        if mode not in ("EDGE", "RUNT"):
            raise ScpiError(-221, f":TRIGger:MODE {mode}: not emulated on this bench")
        self.trig_mode = mode

    @EmulatedInstrument.command(":TRIGger:MODE?")
    def _trig_mode_q(self, call: Call) -> str:
        return self.trig_mode

    def _source(self, call: Call, index: int = 0) -> int:
        return int(call.choice(index, SOURCES)[-1])

    def _pilot_source(self, call: Call) -> None:
        if self._source(call) != 1:
            raise ScpiError(-221, f"{call.header}: this bench triggers on channel 1 only")

    @EmulatedInstrument.command(":TRIGger[:EDGE]:SOURce")
    def _edge_src(self, call: Call) -> None:
        self._pilot_source(call)

    @EmulatedInstrument.command(":TRIGger[:EDGE]:SOURce?", ":TRIGger:RUNT:SOURce?")
    def _edge_src_q(self, call: Call) -> str:
        return "CHAN1"

    @EmulatedInstrument.command(":TRIGger:RUNT:SOURce")
    def _runt_src(self, call: Call) -> None:
        self._pilot_source(call)

    @EmulatedInstrument.command(":TRIGger[:EDGE]:LEVel")
    def _edge_level(self, call: Call) -> None:
        self.level = call.number(0, "V", -1000.0, 1000.0)

    @EmulatedInstrument.command(":TRIGger[:EDGE]:LEVel?")
    def _edge_level_q(self, call: Call) -> str:
        return _fmt(self.level)

    @EmulatedInstrument.command(":TRIGger[:EDGE]:SLOPe")
    def _slope(self, call: Call) -> None:
        self.slope = call.choice(0, {"POSitive": "POS", "NEGative": "NEG"})

    @EmulatedInstrument.command(":TRIGger[:EDGE]:SLOPe?")
    def _slope_q(self, call: Call) -> str:
        return self.slope

    @EmulatedInstrument.command(":TRIGger:RUNT:POLarity")
    def _runt_pol(self, call: Call) -> None:
        self.runt_polarity = call.choice(0, {"POSitive": "POS", "NEGative": "NEG"})

    @EmulatedInstrument.command(":TRIGger:RUNT:POLarity?")
    def _runt_pol_q(self, call: Call) -> str:
        return self.runt_polarity

    def _runt_level(self, call: Call) -> float:
        call.count(1, 2)
        if len(call.params) == 2:
            self._source_check(call, 1)
        return call.number(0, "V", -1000.0, 1000.0)

    def _source_check(self, call: Call, index: int) -> None:
        if self._source(call, index) != 1:
            raise ScpiError(-221, f"{call.header}: this bench triggers on channel 1 only")

    @EmulatedInstrument.command(":TRIGger:LEVel:HIGH")
    def _level_high(self, call: Call) -> None:
        self.level_high = self._runt_level(call)

    @EmulatedInstrument.command(":TRIGger:LEVel:HIGH?")
    def _level_high_q(self, call: Call) -> str:
        call.count(0, 1)
        return _fmt(self.level_high)

    @EmulatedInstrument.command(":TRIGger:LEVel:LOW")
    def _level_low(self, call: Call) -> None:
        self.level_low = self._runt_level(call)

    @EmulatedInstrument.command(":TRIGger:LEVel:LOW?")
    def _level_low_q(self, call: Call) -> str:
        call.count(0, 1)
        return _fmt(self.level_low)

    # ---- measurements (the live signal) ----------------------------------------------------
    @EmulatedInstrument.command(":MEASure:SOURce")
    def _meas_src(self, call: Call) -> None:
        self.meas_source = self._source(call)

    @EmulatedInstrument.command(":MEASure:SOURce?")
    def _meas_src_q(self, call: Call) -> str:
        return f"CHAN{self.meas_source}"

    def _meas(self, call: Call, index: int = 0) -> tuple[int, Segment, float]:
        call.count(0, index + 1)
        channel = self._source(call, index) if len(call.params) > index else self.meas_source
        return channel, self._live(), self._gain(channel)

    @EmulatedInstrument.command(":MEASure:FREQuency?")
    def _m_freq(self, call: Call) -> str:
        channel, live, _ = self._meas(call)
        if channel == 1:
            return _fmt(round(live.freq, 3) if live.pwm else math.nan)
        return _fmt(live.mains_hz if channel == 2 and live.mains_v > 0 else math.nan)

    @EmulatedInstrument.command(":MEASure:DUTYcycle?")
    def _m_duty(self, call: Call) -> str:
        channel, live, _ = self._meas(call)
        if channel == 1 and live.pwm:
            return _fmt(round(live.duty * 100.0, 3))
        return _fmt(math.nan)

    @EmulatedInstrument.command(":MEASure:VTOP?")
    def _m_top(self, call: Call) -> str:
        channel, live, gain = self._meas(call)
        if channel == 1:
            return _fmt(round(live.high * gain, 3))
        return _fmt(live.mains_v * math.sqrt(2.0) * gain if channel == 2 else 0.0)

    @EmulatedInstrument.command(":MEASure:VBASe?")
    def _m_base(self, call: Call) -> str:
        channel, live, gain = self._meas(call)
        if channel == 1:
            return _fmt(round((live.low if live.pwm else live.high) * gain, 3))
        return _fmt(-live.mains_v * math.sqrt(2.0) * gain if channel == 2 else 0.0)

    def _edge_time(self, call: Call, us: float) -> str:
        channel, live, _ = self._meas(call)
        return _fmt(round(us, 2) * 1e-6 if channel == 1 and live.pwm else math.nan)

    @EmulatedInstrument.command(":MEASure:RISetime?")
    def _m_rise(self, call: Call) -> str:
        return self._edge_time(call, self.bench.hal.cp_rise_us)

    @EmulatedInstrument.command(":MEASure:FALLtime?")
    def _m_fall(self, call: Call) -> str:
        return self._edge_time(call, self.bench.hal.cp_fall_us)

    @EmulatedInstrument.command(":MEASure:VRMS?")
    def _m_vrms(self, call: Call) -> str:
        call.count(0, 3)
        if call.params:
            call.choice(0, {"CYCLe": "CYCL", "DISPlay": "DISP"})
        kind = call.choice(1, {"AC": "AC", "DC": "DC"}) if len(call.params) > 1 else "DC"
        channel = self._source(call, 2) if len(call.params) > 2 else self.meas_source
        live, gain = self._live(), self._gain(channel)
        if channel == 2:
            return _fmt(live.mains_v * gain)
        if channel != 1:
            return _fmt(0.0)
        duty = live.duty if live.pwm else 1.0
        square = duty * live.high ** 2 + (1 - duty) * live.low ** 2
        mean = duty * live.high + (1 - duty) * live.low
        value = math.sqrt(max(square - mean ** 2, 0.0)) if kind == "AC" else math.sqrt(square)
        return _fmt(value * gain)

    # ---- waveform transfer -----------------------------------------------------------------
    @EmulatedInstrument.command(":WAVeform:SOURce")
    def _wav_src(self, call: Call) -> None:
        self.wav_source = self._source(call)

    @EmulatedInstrument.command(":WAVeform:SOURce?")
    def _wav_src_q(self, call: Call) -> str:
        return f"CHAN{self.wav_source}"

    @EmulatedInstrument.command(":WAVeform:FORMat")
    def _wav_fmt(self, call: Call) -> None:
        fmt = call.choice(0, {"BYTE": "BYTE", "WORD": "WORD", "ASCii": "ASC"})
        if fmt == "WORD":
            raise ScpiError(-221, ":WAVeform:FORMat WORD: not emulated (BYTE, ASCii)")
        self.wav_format = fmt

    @EmulatedInstrument.command(":WAVeform:FORMat?")
    def _wav_fmt_q(self, call: Call) -> str:
        return self.wav_format

    @EmulatedInstrument.command(":WAVeform:POINts")
    def _wav_points(self, call: Call) -> None:
        wanted = call.integer(0, 1, 8_000_000)
        self.points = max((p for p in POINT_CHOICES if p <= wanted), default=POINT_CHOICES[0])

    @EmulatedInstrument.command(":WAVeform:POINts?")
    def _wav_points_q(self, call: Call) -> str:
        return str(self.points)

    def _record(self) -> tuple[float, float, float]:
        """(trigger time, window start, x increment) of the record a transfer reads."""
        self._update()
        if self.mode == "RUN":
            start, end = self._window(self.tb_scale)
            now = self.bench.now
            return now - end, now - end + start, 10.0 * self.tb_scale / self.points
        if self.record is None:
            raise ScpiError(-230, "no acquisition yet (the :SINGle has not completed)")
        trigger, start = self.record
        return trigger, start, 10.0 * self.record_scale / self.points

    def _y(self) -> tuple[float, float, int]:
        """(y increment, y origin, y reference) of the source channel: 8 bits over 8 div."""
        n = self.wav_source
        return 8.0 * self.scale[n] / 256.0, self.offset[n], 128

    @EmulatedInstrument.command(":WAVeform:PREamble?")
    def _preamble(self, call: Call) -> str:
        trigger, start, dx = self._record()
        yinc, yorg, yref = self._y()
        fmt = {"BYTE": 0, "ASC": 4}[self.wav_format]
        return (f"+{fmt},+0,+{self.points},+1,{_fmt(dx)},{_fmt(start - trigger)},+0,"
                f"{_fmt(yinc)},{_fmt(yorg)},+{yref}")

    @EmulatedInstrument.command(":WAVeform:XINCrement?")
    def _xinc(self, call: Call) -> str:
        return _fmt(self._record()[2])

    @EmulatedInstrument.command(":WAVeform:XORigin?")
    def _xorg(self, call: Call) -> str:
        trigger, start, _ = self._record()
        return _fmt(start - trigger)

    @EmulatedInstrument.command(":WAVeform:DATA?")
    def _data(self, call: Call) -> str:
        _, start, dx = self._record()
        n = self.wav_source
        gain = self._gain(n)
        yinc, yorg, yref = self._y()
        codes = []
        for i in range(self.points):
            reading = self._tip(n, start + i * dx) * gain
            codes.append(min(255, max(0, round((reading - yorg) / yinc + yref))))
        if self.wav_format == "BYTE":
            body = "".join(chr(c) for c in codes)  # sent as latin-1: one byte per point
        else:
            body = ",".join(fmt_e((c - yref) * yinc + yorg, 6) for c in codes)
        size = str(len(body))
        return f"#{len(size)}{size}{body}"

    # ---- acquisition -----------------------------------------------------------------------
    def _srate(self) -> float:
        return min(MAX_SAMPLE_RATE, MEMORY_POINTS / (10.0 * self.tb_scale))

    @EmulatedInstrument.command(":ACQuire:SRATe?")
    def _srate_q(self, call: Call) -> str:
        return _fmt(self._srate())

    @EmulatedInstrument.command(":ACQuire:POINts?")
    def _acq_points(self, call: Call) -> str:
        return str(int(self._srate() * 10.0 * self.tb_scale))
