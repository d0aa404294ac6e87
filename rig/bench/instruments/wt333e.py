"""Yokogawa WT333E power analyser (WT300E family): numeric items, integration, peak hold.

Wired between the socket and the EV emulator, three elements on L1..L3 (wiring P3W4). Replies
without headers once ``:COMM:HEAD OFF`` is sent (with headers otherwise: the command's whole
path, short or, with ``:COMM:VERB ON``, long), numbers as ``2.3012E+02``, ``NAN`` for no data
and ``INF`` over range. Its error query is ``:STATus:ERRor?``, not ``SYST:ERR?``. What it
accepts is its manual's command table, ``rig.bench.manuals.wt333e``.
"""

from __future__ import annotations

import math

from rig.bench.manuals.wt333e import MANUAL
from rig.bench.scpi import Call, ScpiError, response_header

from .base import EmulatedInstrument

FUNCTIONS = (
    "U", "I", "P", "S", "Q", "LAMBDA", "PHI", "FU", "FI", "WH", "WHP", "WHM", "AH", "TIME",
    "IPPK", "UPPK",
)
#: Function mnemonics as the manual spells them (short forms accepted too).
FUNCTION_PATTERNS = {
    "U": "U", "I": "I", "P": "P", "S": "S", "Q": "Q", "LAMBda": "LAMBDA", "PHI": "PHI",
    "FU": "FU", "FI": "FI", "WH": "WH", "WHP": "WHP", "WHM": "WHM", "AH": "AH", "TIME": "TIME",
    "IPPK": "IPPK", "UPPK": "UPPK", "NONE": "NONE",
}
CURRENT_RANGES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0)
VOLTAGE_RANGES = (15.0, 30.0, 60.0, 150.0, 300.0, 600.0)
RATES = {"100MS": 0.1, "250MS": 0.25, "500MS": 0.5, "1S": 1.0, "2S": 2.0, "5S": 5.0}
WIRINGS = ("P1W2", "P1W3", "P3W3", "P3W4", "V3A3")
#: Over-range: the analyser shows INF above 140 % of the range.
OVER_RANGE = 1.4


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF"
    return f"{value:.4E}"


class WT333E(EmulatedInstrument):
    key = "pa"
    error_query = ":STATus:ERRor?"
    manual = MANUAL

    def __init__(self, bench, serial: str = "C2QD12345"):  # type: ignore[no-untyped-def]
        self.remote, self.headers, self.verbose = False, True, False
        super().__init__(bench, serial)
        self.idn = f"YOKOGAWA,WT333E,{serial},F1.03"

    def power_on(self) -> None:
        """Communication settings return to their power-on values only here, not on *RST."""
        self.remote, self.headers, self.verbose = False, True, False
        super().power_on()

    def reset(self) -> None:
        self.count = 15
        self.items = self.default_items()
        self.rate_s = 0.25
        self.wiring = "P3W4"
        self.current_range = 40.0
        self.current_auto = True
        self.voltage_range = 300.0
        self.voltage_auto = True
        self.hold = False
        self.peak_i = [0.0, 0.0, 0.0]
        self.integ_mode = "NORMAL"
        self.scaling, self.ct_ratio = False, 1.0
        self.filter1 = "NEV"
        self.eesr_read_at = self.bench.now
        self.bench.integrator.reset()
        self.bench.integrator.preset_s = 0.0

    @staticmethod
    def default_items() -> dict[int, tuple[str, str]]:
        """The items after *RST (preset pattern 1 of the manual, as this bench reads it)."""
        return {
            n: (f, str(e))
            for n, (f, e) in enumerate(
                [(f, e) for f in ("U", "I", "P") for e in (1, 2, 3)]
                + [("S", 1), ("Q", 1), ("LAMBDA", 1), ("PHI", 1), ("FU", 1), ("FI", 1)],
                start=1,
            )
        }

    def reply(self, call: Call, text: str) -> str:
        """With ``:COMM:HEAD ON`` the WT puts the command's header before the data: its whole
        path whatever form the query used, long with ``:COMM:VERB ON``, short without."""
        if self.headers:
            return f"{response_header(call.pattern, call.suffixes, self.verbose)} {text}"
        return text

    # ---- common commands the WT answers itself ---------------------------------------------
    @EmulatedInstrument.command("*OPT?")
    def _opt_q(self, call: Call) -> str:
        call.count(0)
        return "NONE"

    @EmulatedInstrument.command(":STATus:ERRor?")
    def _stat_err_q(self, call: Call) -> str:
        call.count(0)
        text = self.pop_error()
        if self.stored.get(":STATus:QMESsage") == "0":  # the code alone
            text = text.partition(",")[0]
        return self.reply(call, text)

    @EmulatedInstrument.command(":STATus:CONDition?")
    def _stat_cond_q(self, call: Call) -> str:
        call.count(0)
        return self.reply(call, "0")  # bit 0 (UPD) is never held: data is always fresh

    @EmulatedInstrument.command(":STATus:SPOLl?")
    def _stat_spoll_q(self, call: Call) -> str:
        call.count(0)
        return self.reply(call, self._stb(call))

    # ---- communication ----------------------------------------------------------------
    @EmulatedInstrument.command(":COMMunicate:REMote")
    def _remote(self, call: Call) -> None:
        self.remote = call.boolean(0)

    @EmulatedInstrument.command(":COMMunicate:REMote?")
    def _remote_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.remote)))

    @EmulatedInstrument.command(":COMMunicate:HEADer")
    def _head(self, call: Call) -> None:
        self.headers = call.boolean(0)

    @EmulatedInstrument.command(":COMMunicate:HEADer?")
    def _head_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.headers)))

    @EmulatedInstrument.command(":COMMunicate:VERBose")
    def _verb(self, call: Call) -> None:
        call.count(1)
        self.verbose = call.boolean(0)

    @EmulatedInstrument.command(":COMMunicate:VERBose?")
    def _verb_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.verbose)))

    @EmulatedInstrument.command(":COMMunicate:STATus?")
    def _comm_stat_q(self, call: Call) -> str:
        call.count(0)
        return self.reply(call, "0")

    @EmulatedInstrument.command(":COMMunicate:WAIT")
    def _wait(self, call: Call) -> None:
        # The instrument blocks until the event; the bench's time only moves when the rig
        # waits, so the condition is evaluated now (the data is always fresh here).
        call.integer(0, 0, 65535)

    # ---- numeric items ----------------------------------------------------------------
    @EmulatedInstrument.command(":NUMeric:FORMat")
    def _format(self, call: Call) -> None:
        if call.choice(0, {"ASCii": "ASCII", "FLOat": "FLOAT"}) != "ASCII":
            raise ScpiError(-221, "only ASCII numeric format on this unit")

    @EmulatedInstrument.command(":NUMeric:FORMat?")
    def _format_q(self, call: Call) -> str:
        return self.reply(call, "ASCII")

    @EmulatedInstrument.command(":NUMeric[:NORMal]:NUMber")
    def _number(self, call: Call) -> None:
        self.count = call.integer(0, 1, 255)

    @EmulatedInstrument.command(":NUMeric[:NORMal]:NUMber?")
    def _number_q(self, call: Call) -> str:
        return self.reply(call, str(self.count))

    @EmulatedInstrument.command(":NUMeric[:NORMal]:ITEM<n>")
    def _item(self, call: Call) -> None:
        n = call.suffix(valid=range(1, 256))
        call.count(1, 2)
        function = call.choice(0, FUNCTION_PATTERNS)
        element = "1"
        if len(call.params) > 1:
            element = call.choice(1, {"1": "1", "2": "2", "3": "3", "SIGMa": "SIGMA"})
        self.items[n] = (function, element)

    @EmulatedInstrument.command(":NUMeric[:NORMal]:ITEM<n>?")
    def _item_q(self, call: Call) -> str:
        n = call.suffix(valid=range(1, 256))
        function, element = self.items.get(n, ("NONE", "1"))
        return self.reply(call, f"{function},{element}" if function != "NONE" else "NONE")

    @EmulatedInstrument.command(":NUMeric[:NORMal]:CLEar")
    def _num_clear(self, call: Call) -> None:
        call.count(1, 2)
        if call.raw(0).strip().upper() == "ALL":
            call.count(1)
            self.items.clear()
            return
        start = call.integer(0, 1, 255)
        end = call.integer(1, start, 255) if len(call.params) > 1 else 255
        for n in range(start, end + 1):
            self.items.pop(n, None)

    @EmulatedInstrument.command(":NUMeric[:NORMal]:PRESet")
    def _num_preset(self, call: Call) -> None:
        call.count(1)
        call.integer(0, 1, 4)
        self.items = self.default_items()

    @EmulatedInstrument.command(":NUMeric[:NORMal]:VALue?")
    def _value_q(self, call: Call) -> str:
        if call.params:
            n = call.integer(0, 1, 255)
            return self.reply(call, _fmt(self.value(*self.items.get(n, ("NONE", "1")))))
        values = [self.value(*self.items.get(n, ("NONE", "1"))) for n in range(1, self.count + 1)]
        return self.reply(call, ",".join(_fmt(v) for v in values))

    # ---- rate, update status -----------------------------------------------------------
    @EmulatedInstrument.command(":RATE")
    def _rate(self, call: Call) -> None:
        text = call.raw(0).strip().upper().replace(" ", "")
        if text in RATES:
            rate = RATES[text]
        else:
            rate = call.number(0, "S")
            if rate not in RATES.values():
                raise ScpiError(-224, f":RATE {call.raw(0)}")
        if self.bench.integrator.state != "RESET":
            raise ScpiError(-221, "update rate can change only after an integration reset")
        self.rate_s = rate

    @EmulatedInstrument.command(":RATE?")
    def _rate_q(self, call: Call) -> str:
        return self.reply(call, _fmt(self.rate_s))

    @EmulatedInstrument.command(":STATus:FILTer<n>")
    def _filter(self, call: Call) -> None:
        call.suffix(valid=range(1, 17))
        self.filter1 = call.choice(0, {"RISE": "RISE", "FALL": "FALL", "BOTH": "BOTH",
                                       "NEVer": "NEV"})

    @EmulatedInstrument.command(":STATus:FILTer<n>?")
    def _filter_q(self, call: Call) -> str:
        return self.reply(call, self.filter1)

    @EmulatedInstrument.command(":STATus:EESR?")
    def _eesr_q(self, call: Call) -> str:
        """Bit 0 (UPD): a data update happened since the register was last read."""
        now = self.bench.now
        updated = math.floor(now / self.rate_s + 1e-9) > math.floor(
            self.eesr_read_at / self.rate_s + 1e-9
        )
        self.eesr_read_at = now
        return self.reply(call, str(1 if updated and self.filter1 != "NEV" else 0))

    # ---- CT scaling --------------------------------------------------------------------
    @EmulatedInstrument.command(":INPut:SCALing[:STATe][:ALL]")
    def _scaling(self, call: Call) -> None:
        call.count(1)
        self.scaling = call.boolean(0)

    @EmulatedInstrument.command(":INPut:SCALing[:STATe][:ALL]?")
    def _scaling_q(self, call: Call) -> str:
        call.count(0)
        return self.reply(call, str(int(self.scaling)))

    @EmulatedInstrument.command(":INPut:SCALing:CT[:ALL]")
    def _ct(self, call: Call) -> None:
        call.count(1)
        self.ct_ratio = call.number(0, "", 0.0001, 99999.9999, default=1.0)

    @EmulatedInstrument.command(":INPut:SCALing:CT[:ALL]?")
    def _ct_q(self, call: Call) -> str:
        call.count(0)
        return self.reply(call, _fmt(self.ct_ratio))

    # ---- integration -------------------------------------------------------------------
    @EmulatedInstrument.command(":INTEGrate:MODE")
    def _integ_mode(self, call: Call) -> None:
        self.integ_mode = call.choice(0, {"NORMal": "NORMAL", "CONTinuous": "CONTINUOUS"})

    @EmulatedInstrument.command(":INTEGrate:MODE?")
    def _integ_mode_q(self, call: Call) -> str:
        return self.reply(call, self.integ_mode[:4])

    @EmulatedInstrument.command(":INTEGrate:TIMer")
    def _integ_timer(self, call: Call) -> None:
        call.count(3)
        h, m, s = call.integer(0, 0, 10000), call.integer(1, 0, 59), call.integer(2, 0, 59)
        if self.bench.integrator.state == "START":
            raise ScpiError(-221, "integration running")
        self.bench.integrator.preset_s = h * 3600 + m * 60 + s

    @EmulatedInstrument.command(":INTEGrate:TIMer?")
    def _integ_timer_q(self, call: Call) -> str:
        total = int(self.bench.integrator.preset_s)
        return self.reply(call, f"{total // 3600},{total // 60 % 60},{total % 60}")

    @EmulatedInstrument.command(":INTEGrate:STARt")
    def _integ_start(self, call: Call) -> None:
        integ = self.bench.integrator
        if integ.state in ("START", "TIMEUP", "ERROR"):
            raise ScpiError(-221, f"cannot start integration in state {integ.state}")
        integ.state = "START"

    @EmulatedInstrument.command(":INTEGrate:STOP")
    def _integ_stop(self, call: Call) -> None:
        integ = self.bench.integrator
        if integ.state != "START":
            raise ScpiError(-221, "integration is not running")
        integ.state = "STOP"

    @EmulatedInstrument.command(":INTEGrate:RESet")
    def _integ_reset(self, call: Call) -> None:
        integ = self.bench.integrator
        if integ.state == "START":
            raise ScpiError(-221, "stop the integration before a reset")
        preset = integ.preset_s
        integ.reset()
        integ.preset_s = preset

    @EmulatedInstrument.command(":INTEGrate:STATe?")
    def _integ_state_q(self, call: Call) -> str:
        return self.reply(call, self.bench.integrator.state)

    # ---- input, hold --------------------------------------------------------------------
    @EmulatedInstrument.command(":INPut:WIRing")
    def _wiring(self, call: Call) -> None:
        self.wiring = call.choice(0, list(WIRINGS))

    @EmulatedInstrument.command(":INPut:WIRing?")
    def _wiring_q(self, call: Call) -> str:
        return self.reply(call, self.wiring)

    @EmulatedInstrument.command(":INPut:CURRent:RANGe[:ALL]")
    def _irange(self, call: Call) -> None:
        value = call.number(0, "A")
        if value not in CURRENT_RANGES:
            raise ScpiError(-224, f"current range {value:g} A (ranges {CURRENT_RANGES})")
        self.current_range, self.current_auto = value, False

    @EmulatedInstrument.command(":INPut:CURRent:RANGe[:ALL]?")
    def _irange_q(self, call: Call) -> str:
        return self.reply(call, _fmt(self.current_range))

    @EmulatedInstrument.command(":INPut:CURRent:AUTO[:ALL]")
    def _iauto(self, call: Call) -> None:
        self.current_auto = call.boolean(0)

    @EmulatedInstrument.command(":INPut:CURRent:AUTO[:ALL]?")
    def _iauto_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.current_auto)))

    @EmulatedInstrument.command(":INPut:VOLTage:RANGe[:ALL]")
    def _vrange(self, call: Call) -> None:
        value = call.number(0, "V")
        if value not in VOLTAGE_RANGES:
            raise ScpiError(-224, f"voltage range {value:g} V (ranges {VOLTAGE_RANGES})")
        self.voltage_range, self.voltage_auto = value, False

    @EmulatedInstrument.command(":INPut:VOLTage:RANGe[:ALL]?")
    def _vrange_q(self, call: Call) -> str:
        return self.reply(call, _fmt(self.voltage_range))

    @EmulatedInstrument.command(":INPut:VOLTage:AUTO[:ALL]")
    def _vauto(self, call: Call) -> None:
        self.voltage_auto = call.boolean(0)

    @EmulatedInstrument.command(":INPut:VOLTage:AUTO[:ALL]?")
    def _vauto_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.voltage_auto)))

    @EmulatedInstrument.command(":MEASure:MHOLd")
    def _mhold(self, call: Call) -> None:
        self.hold = call.boolean(0)
        self.peak_i = [0.0, 0.0, 0.0]

    @EmulatedInstrument.command(":MEASure:MHOLd?")
    def _mhold_q(self, call: Call) -> str:
        return self.reply(call, str(int(self.hold)))

    # ---- the numbers ----------------------------------------------------------------------
    def _range_of(self, value: float, ranges: tuple[float, ...], auto: bool, fixed: float) -> float:
        if not auto:
            return fixed
        return next((r for r in ranges if value <= r), ranges[-1])

    def element(self, function: str, index: int) -> float:
        bench = self.bench
        u = bench.outlet_v()[index]
        i = bench.ev.load_a[index]
        pf = bench.ev.load_pf
        freq = next((s.frequency_hz for s in bench.sources.values() if s.output), 0.0)
        i_range = self._range_of(i, CURRENT_RANGES, self.current_auto, self.current_range)
        u_range = self._range_of(u, VOLTAGE_RANGES, self.voltage_auto, self.voltage_range)
        if i > i_range * OVER_RANGE and function in ("I", "P", "S", "Q", "IPPK"):
            return math.inf
        if u > u_range * OVER_RANGE and function in ("U", "P", "S", "Q", "UPPK"):
            return math.inf
        if self.scaling:  # the inputs see the CTs' secondary; the display the primary
            i *= self.ct_ratio
        s = u * i
        integ = bench.integrator
        if function == "U":
            return u
        if function == "I":
            return i
        if function == "P":
            return s * pf
        if function == "S":
            return s
        if function == "Q":
            return s * math.sin(math.acos(max(-1.0, min(1.0, pf))))
        if function == "LAMBDA":
            return pf if s > 0 else math.nan
        if function == "PHI":
            return math.degrees(math.acos(max(-1.0, min(1.0, pf)))) if s > 0 else math.nan
        if function == "FU":
            return freq if u > 0 else math.nan
        if function == "FI":
            return freq if i > 0.01 else math.nan
        if function == "UPPK":
            return u * math.sqrt(2.0)
        if function == "IPPK":
            peak = i * math.sqrt(2.0)
            if self.hold:
                self.peak_i[index] = max(self.peak_i[index], peak)
                return self.peak_i[index]
            return peak
        if function == "WH":
            return integ.wh_pos[index] + integ.wh_neg[index]
        if function == "WHP":
            return integ.wh_pos[index]
        if function == "WHM":
            return integ.wh_neg[index]
        if function == "AH":
            return integ.ah[index]
        if function == "TIME":
            return integ.elapsed_s
        return math.nan

    def value(self, function: str, element: str) -> float:
        if function == "NONE":
            return math.nan
        if element != "SIGMA":
            return self.element(function, int(element) - 1)
        parts = [self.element(function, i) for i in range(3)]
        if function in ("U", "I", "FU", "FI", "TIME", "UPPK", "IPPK"):
            return sum(parts) / 3 if function in ("U", "I") else max(parts)
        if function in ("LAMBDA", "PHI"):
            p = sum(self.element("P", i) for i in range(3))
            s = sum(self.element("S", i) for i in range(3))
            if s <= 0:
                return math.nan
            lam = p / s
            return lam if function == "LAMBDA" else math.degrees(math.acos(min(1.0, lam)))
        return sum(parts)
