"""One supply interruption, watched by every requirement that judges what follows it.

A supply interruption costs a real rig the charger's whole boot (150 s for the ZapCharger Pro,
2-3 min on the datasheet). Three tests judge what happens after one: the status LED shows no
supply, then booting, then ready (PR-01); the LED is ready again within the ready-time limit
(SU-03 ``ready_time``); the central system sees a new BootNotification within it (SU-03
``boot_notification``). Each used to interrupt the supply on its own and wait out a boot of its
own. The stimulus is the same (supply off for ``interruption_s``, both requirements name 5 s),
and every observer watches its own instrument (the EV emulator's LED trace, the central
system's log), so one interruption with every observer armed before it gives each test the same
evidence it gave itself before; each test still makes its own measurement from that evidence
and its own verdict. Nothing is weakened: the watch lasts until every observer has seen what it
waits for, or for the longest budget any of them had.

The first test of a session that asks for the interruption causes it (``Interruption.watch``);
the others of the same session get the same evidence, cached per interruption length (two
requirements that named different lengths would get one interruption each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from rig.instruments.protocols import Event
from testplans.iec61851.plan import CATALOGUE, budget

#: Evidence of the session's interruptions, by interruption length (s).
EVIDENCE_KEY = pytest.StashKey[dict[float, "Interruption"]]()
#: How often the LED trace is looked at while the charger boots (the verdict's times come from
#: the trace events' own timestamps, never from this poll).
LED_POLL_S = 0.5
#: How often the central system's log is looked at (local, cheap): the resolution of the
#: BootNotification's time, which crosses the websocket in wall time.
BOOT_POLL_S = 0.05


def ready_leds() -> set[str]:
    """The LED patterns that mean ready, for every requirement that waits for one."""
    return {str(CATALOGUE.params("SU-03")["ready_led"]),
            str(CATALOGUE.params("PR-01")["table"]["ready"])}


@dataclass
class Interruption:
    """What the rig saw around one supply interruption (EV emulator times, s)."""

    seconds: float  # supply off this long
    t_off: float  # output off
    t_before: float  # just before the output went on again
    t_on: float  # just after
    leds: list[Event] = field(default_factory=list)  # LED events from t_off to the watch's end
    boot: Any = None  # the central system's BootNotification after t_off (None: not seen)
    boot_seen_after_s: float | None = None  # from t_on to the poll that saw it
    csms_watched: bool = False  # a central system was listening
    watched_until: float = 0.0  # the watch's end (EV emulator time)

    def led(self, value: str) -> Event | None:
        """The first LED event showing ``value`` once the supply was back."""
        return next((e for e in self.leds if e.t >= self.t_before and e.value == value), None)


def interrupt_supply(ac_source: Any, ev: Any, clock: Any, seconds: float
                     ) -> tuple[float, float, float]:
    """Supply off for ``seconds`` and on again (output off/on: any AC source can). Returns the
    EV emulator's times: output off, just before and just after switching it on again."""
    t_off = ev.time()
    ac_source.output_off()
    clock.sleep(seconds)  # the stimulus itself
    t_before = ev.time()
    ac_source.output_on()
    return t_off, t_before, ev.time()


def watch(seconds: float, ac_source: Any, ev: Any, trace: Any, clock: Any,
          csms: Any = None) -> Interruption:
    """Interrupt the supply for ``seconds`` with every observer armed, and watch until the
    central system has seen a BootNotification (if one listens) and the LED has shown every
    ready pattern, or until the ready-time budget (three times SU-03's limit) is over."""
    mark = csms.mark() if csms is not None else 0
    t_off, t_before, t_on = interrupt_supply(ac_source, ev, clock, seconds)
    out = Interruption(seconds, t_off, t_before, t_on, csms_watched=csms is not None)
    watch_s = budget("SU-03", "ready_time")
    if csms is not None:
        out.boot = clock.wait_until(lambda: csms.find("BootNotification", since=mark),
                                    watch_s, poll=BOOT_POLL_S)
        if out.boot is not None:
            out.boot_seen_after_s = ev.time() - t_on
    wanted = ready_leds()

    def all_ready() -> bool:
        shown = {e.value for e in trace.events(t_before, "LED")}
        return wanted <= shown

    left = max(0.0, t_on + watch_s - ev.time())
    clock.wait_until(all_ready, left, poll=LED_POLL_S)
    out.leds = trace.events(t_off, "LED")
    out.watched_until = ev.time()
    return out


def shared(request: pytest.FixtureRequest, seconds: float, ac_source: Any, ev: Any,
           trace: Any, clock: Any) -> Interruption:
    """The session's interruption of ``seconds`` (caused now if no test has caused it yet)."""
    cache = request.config.stash.setdefault(EVIDENCE_KEY, {})
    if seconds not in cache:
        from rig.pytest_plugin.ocpp import ocpp_resource
        from rig.pytest_plugin.verdicts import book_of

        rig = request.getfixturevalue("rig")
        csms = request.getfixturevalue("csms") if ocpp_resource(rig) is not None else None
        before = rig.clock.waited_s
        cache[seconds] = watch(seconds, ac_source, ev, trace, clock, csms)
        book = book_of(request.config)
        if book is not None:  # what it cost, and which test paid it (bench/bench_time.py)
            shared = book.rig.setdefault("time", {}).setdefault("shared", {})
            shared[f"supply interruption {seconds:g} s"] = {
                "bench_s": round(rig.clock.waited_s - before, 3), "test": request.node.nodeid}
    return cache[seconds]
