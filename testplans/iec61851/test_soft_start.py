"""Soft start (product: "limits the inrush current at the start of charging")."""

from __future__ import annotations

from itertools import pairwise

import pytest

from rig.measure import NOT_REACHED
from rig.standards.iec61851 import current_for_duty
from testplans.iec61851.plan import CATALOGUE, budget

SAMPLE_S = 0.1


def ramp_series(events, t_close: float) -> list[tuple[float, float]]:
    """(time since close, advertised A) of the PWM duty, starting with the one in effect at
    the contactor close."""
    before = [e for e in events if e.t <= t_close and e.value != "OFF"]
    after = [e for e in events if e.t > t_close and e.value != "OFF"]
    series = [(0.0, current_for_duty(float(before[-1].value)))] if before else []
    series += [(e.t - t_close, current_for_duty(float(e.value))) for e in after]
    return series


def max_rate(times: list[float], currents: list[float], window: float) -> float:
    """Largest rise of the current over any window of ``window`` s, in A/s."""
    best = 0.0
    j = 0
    for i, t in enumerate(times):
        while j < len(times) and times[j] < t + window - 1e-9:
            j += 1
        if j >= len(times):
            break
        best = max(best, (currents[j] - currents[i]) / (times[j] - times[i]))
    return best


@pytest.mark.requirement("SS-01", "SS-02", "SS-03")
def test_soft_start_ramp(charger, ev, power_analyser, trace, clock, rig, record):
    """One charge start at full current: the advertised current (trace) and the phase current
    the analyser measures, sampled every 0.1 s until the ramp is over."""
    window = float(CATALOGUE.params("SS-03")["window_s"])
    power_analyser.configure()
    start = charger.start_charging()
    t0 = start.t_close
    times, currents = [], []
    deadline = budget("SS-02", "reach_time")
    while True:
        now = ev.time()
        times.append(now - t0)
        currents.append(power_analyser.current(1))
        pwm = trace.events(t0, "PWM")
        quiet = now - (pwm[-1].t if pwm else t0)
        if (quiet >= 2.0 and now - t0 >= 2.0 * window) or now - t0 > deadline:
            break
        clock.sleep(SAMPLE_S)
    ramp = ramp_series(trace.events(start.t_b, "PWM"), t0)
    if not ramp:
        pytest.fail("precondition: no PWM duty in effect when the contactor closed")
    advertised = [a for _, a in ramp]
    target = float(CATALOGUE.params("SS-02")["target_a"])
    data = {"t_s": [round(t, 3) for t, _ in ramp], "advertised_a": advertised}
    record("SS-01", advertised[0], "A", data=data)
    monotonic = all(b >= a - 1e-9 for a, b in pairwise(advertised))
    record("SS-02", monotonic, name="monotonic", data=data)
    reach = next((t for t, a in ramp if a >= target - 0.1), NOT_REACHED)
    record("SS-02", reach, "s", name="reach_time", uncertainty=rig.interval_uncertainty("ev"),
           data={"target_a": target, "final_a": advertised[-1]})
    rate = max_rate(times, currents, window)
    # a rise is the difference of two readings over one window
    u_reading = rig.uncertainty("power_analyser", "current", max(currents))
    record("SS-03", rate, "A/s", uncertainty=2**0.5 * u_reading / window,
           data={"t_s": [round(t, 3) for t in times], "i_a": [round(i, 3) for i in currents],
                 "window_s": window, "sample_s": SAMPLE_S})
