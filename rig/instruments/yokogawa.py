"""Yokogawa WT333E power analyser (WT300E family), three elements on L1, L2, L3.

Command table (WT310E/WT332E/WT333E communication interface manual, the subset the rig uses):

==========================  =========================================  =========================
Purpose                     Command                                    Reply / note
==========================  =========================================  =========================
set-up                      ``:COMM:REM ON``, ``:COMM:HEAD OFF``,      replies without headers
                            ``:NUM:FORM ASC``
wiring                      ``:INP:WIR P3W4``                          P1W2 P1W3 P3W3 P3W4 V3A3
ranges                      ``:INP:VOLT:AUTO ON``, ``:INP:CURR:AUTO``
numeric items               ``:NUM:NORM:NUM 2``,                       function, element 1..3 or
                            ``:NUM:NORM:ITEM1 U,1``, ...               SIGMA
read                        ``:NUM:NORM:VAL?``                         ``2.3000E+02,NAN,INF``
update rate                 ``:RATE 100MS`` ... ``5S``                 only after an integ. reset
peak hold                   ``:MEAS:MHOL ON``                          with IPPK / UPPK items
integration                 ``:INTEG:MODE NORM``, ``:INTEG:TIM h,m,s``,
                            ``:INTEG:STAR``, ``:INTEG:STOP``,          STOP only while running,
                            ``:INTEG:RES``, ``:INTEG:STAT?``           RESET only when not
errors                      ``:STAT:ERR?`` (not ``SYST:ERR?``)         ``0,"No error"``
==========================  =========================================  =========================

:meth:`WT333E.read` programs the item list only when it differs from the last one it
programmed (a read of the same items is one ``:NUM:NORM:VAL?``); any error and any reconnect forget
the list, and ``:NUM:NORM:VAL?`` is never asked again on a new session, so a rebooted or
reprogrammed analyser never returns the wrong quantities.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rig.errors import ConfigError, InstrumentError
from rig.instruments.base import ScpiInstrument, quantity
from rig.instruments.protocols import PowerAnalyser
from rig.transport import InstrumentLinkError

FUNCTIONS = (
    "U", "I", "P", "S", "Q", "LAMBDA", "PHI", "FU", "FI", "WH", "WHP", "WHM", "AH", "TIME",
    "IPPK", "UPPK",
)
ELEMENTS = ("1", "2", "3", "SIGMA")
WIRINGS = ("P1W2", "P1W3", "P3W3", "P3W4", "V3A3")
RATES = {0.1: "100MS", 0.25: "250MS", 0.5: "500MS", 1.0: "1S", 2.0: "2S", 5.0: "5S"}
CURRENT_RANGES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0)
VOLTAGE_RANGES = (15.0, 30.0, 60.0, 150.0, 300.0, 600.0)
#: Longest integration timer, s (10000 h, the manual's ``:INTEG:TIM`` range).
MAX_TIMER_S = 10000 * 3600
_HEADER = re.compile(r"^:?[A-Z][A-Z0-9]*(?::[A-Z][A-Z0-9]*)*\s+(?=\S)", re.I)

Item = tuple[str, str]


def normalise_item(function: str, element: str | int) -> Item:
    """``("u", 1)`` -> ``("U", "1")``; ValueError naming what is wrong."""
    fn = function.strip().upper() if isinstance(function, str) else function
    if fn not in FUNCTIONS:
        raise ValueError(f"function = {function!r}: one of {', '.join(FUNCTIONS)} is expected")
    el = str(element).strip().upper() if not isinstance(element, bool) else ""
    if el not in ELEMENTS:
        raise ValueError(f"element = {element!r}: 1, 2, 3 or 'SIGMA' is expected")
    return fn, el


class WT333E(ScpiInstrument, PowerAnalyser):
    """Yokogawa WT333E: U, I, P, ... per element and SIGMA; energy integration."""

    error_query = ":STAT:ERR?"
    safe_commands = ()  # it only measures: nothing to switch off
    no_retry = (":NUM:NORM:VAL?",)  # its meaning is the item list, which a reboot loses

    wiring = quantity(":INP:WIR?", ":INP:WIR %s", "Wiring system", str, values=WIRINGS)
    rate = quantity(":RATE?", ":RATE %s", "Data update interval", unit="s", values=RATES)
    voltage_auto_range = quantity(":INP:VOLT:AUTO?", ":INP:VOLT:AUTO %s", "Voltage auto range",
                                  bool)
    current_auto_range = quantity(":INP:CURR:AUTO?", ":INP:CURR:AUTO %s", "Current auto range",
                                  bool)
    voltage_range = quantity(":INP:VOLT:RANG?", ":INP:VOLT:RANG %g", "Fixed voltage range",
                             unit="V", values=VOLTAGE_RANGES)
    current_range = quantity(":INP:CURR:RANG?", ":INP:CURR:RANG %g", "Fixed current range",
                             unit="A", values=CURRENT_RANGES)
    peak_hold = quantity(":MEAS:MHOL?", ":MEAS:MHOL %s", "Hold the maximum of IPPK/UPPK", bool)
    scaling = quantity(":INP:SCAL?", ":INP:SCAL %s", "CT scaling: show the CTs' primary", bool)
    ct_ratio = quantity(":INP:SCAL:CT?", ":INP:SCAL:CT %g", "Current transformer ratio",
                        range=(0.0001, 99999.9999))

    #: ``ct_ratio``: the analyser reads through current transformers of this ratio (an
    #: installation's feed, more than the 40 A inputs take); ``configure`` turns scaling on.
    OPTIONS: ClassVar[dict[str, Any]] = {"ct_ratio": None}

    def setup_options(self, name: str) -> None:
        ratio = self.driver_options.get("ct_ratio")
        if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float)
                                  or not 0.0001 <= ratio <= 99999.9999):
            raise ConfigError(f"instrument {name} (WT333E)", "options.ct_ratio",
                              f"a CT ratio from 0.0001 to 99999.9999 (got {ratio!r})")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._items: tuple[Item, ...] | None = None

    def query(self, command: str) -> str:
        """Replies without their header, whatever ``:COMM:HEAD`` says."""
        return _HEADER.sub("", super().query(command), count=1)

    def send(self, command: str) -> None:
        try:
            super().send(command)
        except InstrumentError:
            self._items = None
            raise

    def verify_settings(self) -> None:
        self._items = None  # a new session: program the items again before the next read
        super().verify_settings()

    # ---- PowerAnalyser ----------------------------------------------------------------------
    def configure(self, wiring: str = "P3W4", ct_ratio: float | None = None) -> None:
        """Remote, no headers, ASCII numbers, wiring, auto ranges; with ``ct_ratio`` the
        currents come through current transformers of that ratio (an installation's feed:
        more than the 40 A range) and are shown on their primary side."""
        type(self).wiring.validate(wiring)
        self._items = None
        self.send(":COMM:REM ON")
        self.send(":COMM:HEAD OFF")
        self.send(":NUM:FORM ASC")
        self.wiring = wiring
        self.voltage_auto_range = True
        self.current_auto_range = True
        ratio = ct_ratio if ct_ratio is not None else self.driver_options.get("ct_ratio")
        if ratio is not None:
            self.ct_ratio = float(ratio)
            self.scaling = True

    def read(self, items: list[tuple[str, str | int]]) -> list[float]:
        """Numeric items as (function, element), e.g. ``[("U", 1), ("P", "SIGMA")]``.

        NaN where the analyser has no data, inf over range.
        """
        wanted = tuple(normalise_item(f, e) for f, e in items)
        if not 1 <= len(wanted) <= 255:
            raise ValueError(f"items: 1 ... 255 (function, element) pairs, got {len(wanted)}")
        try:
            if wanted != self._items:
                self._items = None
                parts = [f":NUM:NORM:NUM {len(wanted)}"]
                parts += [f":NUM:NORM:ITEM{n} {f},{e}" for n, (f, e) in enumerate(wanted, 1)]
                self.send(";".join(parts))
                self._items = wanted
            session = self.transport.reconnects
            try:
                values = self.query_floats(":NUM:NORM:VAL?", len(wanted))
            finally:
                if self.transport.reconnects != session:
                    # a new session under the query: the values may be of another item list
                    raise InstrumentLinkError(
                        self.name, self.resource, ":NUM:NORM:VAL?",
                        "the link was reopened under the query: a rebooted analyser reads its "
                        "default items (they are programmed again by the next read)",
                    )
            return values
        except InstrumentError:
            self._items = None
            raise

    def voltage(self, element: int | str = 1) -> float:
        """U, V rms."""
        return self.read([("U", element)])[0]

    def current(self, element: int | str = 1) -> float:
        """I, A rms."""
        return self.read([("I", element)])[0]

    def power(self, element: int | str = 1) -> float:
        """P, W."""
        return self.read([("P", element)])[0]

    # ---- integration ------------------------------------------------------------------------
    def integration_state(self) -> str:
        """``RESET``, ``START``, ``STOP``, ``TIMEUP`` or ``ERROR``."""
        return self.query(":INTEG:STAT?").upper()

    def start_integration(self, timer_s: int = 0) -> None:
        """Integration from zero: stop if running, NORM mode, the timer (``timer_s`` whole
        seconds, 0 = manual: until :meth:`stop_integration`), reset, start. A timed
        integration ends by the analyser's own time base (state ``TIMEUP``)."""
        if isinstance(timer_s, bool) or not isinstance(timer_s, int) or not (
                0 <= timer_s <= MAX_TIMER_S):
            raise ValueError(f"timer_s = {timer_s!r}: whole seconds, 0 ... {MAX_TIMER_S}")
        if self.integration_state() == "START":
            self.send(":INTEG:STOP")
        self.send(":INTEG:MODE NORM")
        self.send(f":INTEG:TIM {timer_s // 3600},{timer_s // 60 % 60},{timer_s % 60}")
        self.send(":INTEG:RES")
        self.send(":INTEG:STAR")

    def stop_integration(self) -> None:
        """Hold the integrated values (no-op unless integrating)."""
        if self.integration_state() == "START":
            self.send(":INTEG:STOP")

    def energy_wh(self, element: int | str = "SIGMA") -> float:
        """WH: integrated active energy, Wh."""
        return self.read([("WH", element)])[0]

    def integration_time_s(self) -> float:
        """TIME: integration time elapsed, s."""
        return self.read([("TIME", 1)])[0]
