"""Plots of measurements as PNG bytes, for allure attachments and the compliance report.

Pure functions: measurement dicts in, PNG bytes out (800 x 400 px, matplotlib's Agg canvas, no
pyplot state, no time stamps: the same input gives the same bytes). A measurement dict has the
shape of a verdicts.json measurement or a ``RecordStore.measurements()`` row: ``name``,
``value``, ``unit``, ``low``, ``high``, ``uncertainty`` (expanded, in ``unit``), ``verdict``,
``data`` and, from the store, ``requirement``. Values may be ``"inf"``/``"nan"`` strings (as the
verdicts file keeps them). Input without anything to draw gives a "no data" image, never an
exception.

``cp_waveform(measurements, title=...)``
    Any CP measurements of one or more tests. Reconstructs the pilot from the measured values:
    positive level (CP-01, state A: flat line), negative level (CP-02 ``level``), frequency
    (CP-03), duty (CP-04 ``data.duty_pct``), rise/fall times (CP-05 ``rise_time``/``fall_time``)
    and, where a value was not measured in that test, ``data.pilot`` (the EV emulator's full
    pilot reading: ``high_v, low_v, frequency_hz, duty_pct, rise_s, fall_s, state``). Two
    periods on the left with the level limits, the edges zoomed on the right.
``timing_timeline(measurement, title=...)``
    One timing measurement (value = delay from ``data.t0``, limit ``high``) with
    ``data = {"t0": t, "events": [[t, kind, value], ...], "start": "what happened at t0"}``
    (trace events on the EV emulator's time base). One lane per event kind, the start at 0,
    the limit as a marked deadline, the measured interval as an arrow coloured by verdict.
``trip_curve(measurements, limits=None, title=...)``
    RC measurements: steps (``data.waveform`` "dc"/"ac", ``data.current_ma``, value = trip time
    in s, inf = no trip), the no-trip check (``data.observe_s``) and ramps (``data.trip_ma``,
    limits ``low``/``high`` in mA). ``limits``: ``[{"waveform", "current_ma", "high_s"}]`` (the
    catalogue's trip-time limits); None derives them from the step measurements given. Log-log,
    the limits as a step curve per waveform.
``soft_start_ramp(measurements, title=...)``
    SS measurements: ``data.t_s`` + ``data.advertised_a`` (SS-01/02: advertised current from
    the PWM, time since the contactor closed), ``data.t_s`` + ``data.i_a`` (SS-03: analyser's
    phase current) and the SS-03 limit ``high`` in A/s, drawn as a slope from where the
    current starts to rise; ``data.target_a`` (SS-02) as a line.
``meter_errors(measurements, title=...)``
    Error measurements (MT, SU meter_error) in %: one point per measurement with its
    uncertainty bar, its own low..high band, coloured by verdict; the x label from ``data``
    (supply_v, quantity, current_a, voltage_v, power_factor, phase) or ``label``.
``trend(points, title, unit)``
    One requirement's value across runs: ``[{"started": epoch s, "value": float, "low",
    "high", "uncertainty", "verdict": str, "firmware": str}]``, oldest first; UTC dates, limit
    lines, firmware changes marked.
``feed_plot(t_s, phases, fuse_a, title)``, ``shares_plot(shares, title)``
    An installation (PR-05): its feed current per phase against the main fuse, and each
    station's share; from a plan measurement's ``data`` (``feed: [[t, L1, L2, L3], ...]``,
    ``fuse_a``, ``shares_a``) or from a simulated day (``bench/installation_day.py``).
``plots_for(group, measurements, limits=None)``
    The plots that fit a requirement group as ``[(file name, png)]``: CP -> cp_waveform,
    TM (and any measurement with ``data.events``) -> timing_timeline each, RC -> trip_curve,
    SS -> soft_start_ramp, MT/SU -> meter_errors, PR (installations) -> feed and shares.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

Measurement = Mapping[str, Any]

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.0, 100
VERDICT_COLOURS = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "INCONCLUSIVE": "#ef6c00",
    "ERROR": "#616161",
    "NOT_RUN": "#9e9e9e",
}
LIMIT_COLOUR = "#c62828"
BAND_COLOUR = "#c8e6c9"
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


# ---- helpers -----------------------------------------------------------------------------------
def _num(value: Any) -> float | None:
    """A finite or infinite float, or None (bools and text are not numbers here)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _finite(value: Any) -> float | None:
    out = _num(value)
    return out if out is not None and math.isfinite(out) else None


def _data(m: Measurement) -> Mapping[str, Any]:
    return m.get("data") or {}


def _colour(verdict: Any) -> str:
    return VERDICT_COLOURS.get(str(verdict or ""), "#1565c0")


def _seconds(value: float, unit: str) -> float:
    return value * TIME_UNITS.get(unit or "s", 1.0)


def _figure(cols: int = 1, widths: Sequence[float] | None = None) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, cols, gridspec_kw={"width_ratios": widths} if widths else None)
    return fig, list(np.atleast_1d(axes))


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _empty(title: str, why: str = "no data to plot") -> bytes:
    fig, (ax,) = _figure()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, color="#616161")
    return _png(fig)


def _rid(m: Measurement) -> str:
    return str(m.get("requirement") or "")


def _fmt(value: float, unit: str = "") -> str:
    return f"{value:.4g} {unit}".strip()


# ---- CP waveform -------------------------------------------------------------------------------
def _pilot(measurements: Iterable[Measurement]) -> dict[str, Any]:
    """What the measurements say about the pilot: measured values win over ``data.pilot``."""
    pilot: dict[str, Any] = {}
    limits: dict[str, tuple[float | None, float | None]] = {}
    for m in measurements:
        pilot.update({k: v for k, v in (_data(m).get("pilot") or {}).items() if v is not None})
    for m in measurements:
        rid, name, unit = _rid(m), str(m.get("name") or ""), str(m.get("unit") or "")
        value, data = _finite(m.get("value")), _data(m)
        bounds = (_finite(m.get("low")), _finite(m.get("high")))
        if value is None and name != "deviation":
            continue
        if name == "level" and (rid == "CP-01" or (not rid and value is not None and value > 0)):
            pilot["state_a_v"] = value
            limits["state_a_v"] = bounds
        elif name == "level":
            pilot["low_v"] = value
            limits["low_v"] = bounds
        elif name == "frequency" or unit == "Hz":
            pilot["frequency_hz"] = value
            limits["frequency_hz"] = bounds
        elif name in ("rise_time", "fall_time") and value is not None:
            key = "rise_s" if name == "rise_time" else "fall_s"
            pilot[key] = _seconds(value, unit)
            limits[key] = tuple(  # type: ignore[assignment]
                None if b is None else _seconds(b, unit) for b in bounds)
        elif name == "deviation" and _finite(data.get("duty_pct")) is not None:
            pilot["duty_pct"] = float(data["duty_pct"])
            if _finite(data.get("expected_pct")) is not None:
                pilot["expected_pct"] = float(data["expected_pct"])
    pilot["limits"] = limits
    return pilot


def has_pilot(measurements: Sequence[Measurement]) -> bool:
    """Whether :func:`cp_waveform` has a level to draw from these measurements."""
    pilot = _pilot(measurements)
    return any(_finite(pilot.get(k)) is not None for k in ("state_a_v", "high_v"))


def _trapezoid(period: float, duty: float, high: float, low: float, rise: float, fall: float,
               periods: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Corner points of a PWM with linear edges (rise from low to high at t = 0)."""
    t: list[float] = []
    v: list[float] = []
    on = duty / 100.0 * period
    for k in range(periods):
        base = k * period
        t += [base, base + rise, base + on, base + on + fall]
        v += [low, high, high, low]
    t.append(periods * period)
    v.append(low)
    return np.array(t), np.array(v)


def cp_waveform(measurements: Sequence[Measurement], title: str = "Control pilot") -> bytes:
    """The pilot reconstructed from measured levels, frequency, duty and edges."""
    pilot = _pilot(measurements)
    limits = pilot["limits"]
    freq, duty = _finite(pilot.get("frequency_hz")), _finite(pilot.get("duty_pct"))
    high = _finite(pilot.get("high_v"))
    low = _finite(pilot.get("low_v"))
    static = _finite(pilot.get("state_a_v"))
    if freq is None or duty is None or freq <= 0 or high is None or low is None:
        if static is None and high is None:
            return _empty(title)
        level = static if static is not None else float(high)  # type: ignore[arg-type]
        fig, (ax,) = _figure()
        ax.plot([0, 2], [level, level], color="#1565c0", lw=2)
        lo, hi = limits.get("state_a_v", (None, None))
        if lo is not None and hi is not None:
            ax.axhspan(lo, hi, color=BAND_COLOUR, alpha=0.6, label=f"limit {lo:g}..{hi:g} V")
            ax.legend(loc="lower right", fontsize=8)
        state = pilot.get("state") or "A"
        ax.set_title(f"{title}: state {state}, no PWM, {_fmt(level, 'V')}")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("CP voltage (V)")
        ax.set_ylim(-13.5, 13.5)
        ax.axhline(0, color="#9e9e9e", lw=0.5)
        ax.grid(alpha=0.3)
        return _png(fig)
    period = 1.0 / freq
    rise = _finite(pilot.get("rise_s")) or 0.0
    fall = _finite(pilot.get("fall_s")) or 0.0
    fig, (ax, zoom) = _figure(2, widths=[2.2, 1.0])
    t, v = _trapezoid(period, duty, high, low, rise, fall)
    ax.plot(t * 1e3, v, color="#1565c0", lw=1.8, label="reconstructed")
    for key, colour in (("low_v", BAND_COLOUR),):
        lo, hi = limits.get(key, (None, None))
        if lo is not None and hi is not None:
            ax.axhspan(lo, hi, color=colour, alpha=0.7, label=f"level limit {lo:g}..{hi:g} V")
    ax.axhline(0, color="#9e9e9e", lw=0.5)
    on_ms = duty / 100.0 * period * 1e3
    ax.annotate("", xy=(on_ms, high + 0.8), xytext=(0, high + 0.8),
                arrowprops={"arrowstyle": "<->", "color": "#424242"})
    expected = pilot.get("expected_pct")
    duty_text = f"duty {duty:.2f} %" + (f" (expected {expected:.2f} %)" if expected else "")
    ax.text(on_ms / 2, high + 1.1, duty_text, ha="center", va="bottom", fontsize=8)
    ax.set_title(f"{title}: {freq:.1f} Hz, {high:+.2f} / {low:+.2f} V", fontsize=10)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("CP voltage (V)")
    ax.set_ylim(-14, 14)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    # edges, both aligned at their start, in microseconds
    span = max(rise, fall, 2e-6)
    window = max(4.0 * span, 20e-6)
    for label, dt, start, end, colour in (("rise", rise, low, high, "#1565c0"),
                                          ("fall", fall, high, low, "#6a1b9a")):
        xs = np.array([-window / 4, 0.0, dt, window]) * 1e6
        ys = np.array([start, start, end, end])
        limit_hi = limits.get(f"{label}_s", (None, None))[1]
        text = f"{label} {dt * 1e6:.2f} µs" + (
            f" (≤ {limit_hi * 1e6:g})" if limit_hi is not None else "")
        zoom.plot(xs, ys, color=colour, lw=1.5, label=text)
        if limit_hi is not None:
            zoom.axvline(limit_hi * 1e6, color=colour, ls=":", lw=1)
    zoom.set_title("edges (10-90 %)", fontsize=10)
    zoom.set_xlabel("time from edge start (µs)")
    zoom.set_ylim(-14, 14)
    zoom.grid(alpha=0.3)
    zoom.legend(loc="center right", fontsize=7)
    return _png(fig)


# ---- timing timeline -----------------------------------------------------------------------------
LANE_ORDER = ("CP", "PWM", "CONTACTOR", "RCI", "LOCK", "LED")


def _level(kind: str, value: str) -> float | None:
    """Height (0..1) in a lane of an on/off signal or a PWM duty (None: neither)."""
    if value in ("0", "OFF"):
        return 0.0
    if value in ("1", "ON", "STEP"):
        return 1.0
    duty = _finite(value)
    if kind == "PWM" and duty is not None:
        return 0.15 + 0.85 * min(max(duty, 0.0), 100.0) / 100.0
    return None


def timing_timeline(measurement: Measurement, title: str = "") -> bytes:
    """Trace events around a measured interval, the limit as a deadline."""
    data = _data(measurement)
    name = str(measurement.get("name") or "interval")
    title = title or f"{_rid(measurement)} {name}".strip()
    t0 = _finite(data.get("t0"))
    if t0 is None:
        return _empty(title, "no trace events recorded with this measurement")
    unit = str(measurement.get("unit") or "s")
    value = _num(measurement.get("value"))
    value_s = None if value is None else _seconds(value, unit)
    high = _finite(measurement.get("high"))
    high_s = None if high is None else _seconds(high, unit)
    unc = _finite(measurement.get("uncertainty")) or 0.0
    events = [(float(e[0]) - t0, str(e[1]), str(e[2])) for e in data.get("events") or []
              if len(e) >= 3 and _finite(e[0]) is not None]
    extent = [0.0] + [t for t, _, _ in events]
    for x in (value_s, high_s):
        if x is not None and math.isfinite(x):
            extent.append(x)
    right = max(extent)
    left = min(extent)
    pad = 0.08 * max(right - left, 1e-3)
    scale, tunit = (1e3, "ms") if max(abs(left), abs(right)) < 2.0 else (1.0, "s")
    kinds = sorted({k for _, k, _ in events},
                   key=lambda k: (LANE_ORDER.index(k) if k in LANE_ORDER else 99, k))
    fig, (ax,) = _figure()
    x_end = (right + pad) * scale
    for lane, kind in enumerate(kinds):
        mine = [(t, v) for t, k, v in events if k == kind]
        ax.axhline(lane, color="#e0e0e0", lw=0.8, zorder=0)
        levels = [_level(kind, v) for _, v in mine]
        if all(lv is not None for lv in levels):
            xs = [t * scale for t, _ in mine] + [x_end]
            ys = [lane + 0.35 * float(lv) for lv in levels]  # type: ignore[arg-type]
            ax.step(xs, [*ys, ys[-1]], where="post", color="#1565c0", lw=1.5)
        labelled = mine if len(mine) <= 8 else [mine[0], mine[-1]]
        for t, _ in mine:
            ax.plot([t * scale], [lane], marker="|", color="#424242", ms=10)
        for t, v in labelled:
            ax.text(t * scale, lane + 0.42, v, fontsize=7, ha="left", va="bottom",
                    color="#424242")
    ax.set_yticks(range(len(kinds)), kinds)
    top = max(len(kinds) - 0.2, 0.8)
    ax.set_ylim(-0.6, top + 0.6)
    ax.axvline(0, color="#424242", lw=1.2)
    ax.text(0, top + 0.45, str(data.get("start") or "start"), fontsize=8, ha="left",
            va="top", color="#424242")
    if high_s is not None:
        ax.axvline(high_s * scale, color=LIMIT_COLOUR, ls="--", lw=1.5)
        ax.axvspan(high_s * scale, x_end, color=LIMIT_COLOUR, alpha=0.07)
        ax.text(high_s * scale, -0.55, f" limit {high_s * scale:.4g} {tunit}", fontsize=8,
                color=LIMIT_COLOUR, ha="left", va="bottom")
    colour = _colour(measurement.get("verdict"))
    arrow_y = top + 0.15
    if value_s is not None and math.isfinite(value_s):
        ax.annotate("", xy=(value_s * scale, arrow_y), xytext=(0, arrow_y),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
        ax.axvline(value_s * scale, color=colour, lw=1.2)
        u_text = f" ± {unc * scale:.2g}" if unc else ""
        text = f"{name} = {value_s * scale:.4g}{u_text} {tunit}  {measurement.get('verdict', '')}"
    else:
        ax.annotate("", xy=(x_end, arrow_y), xytext=(0, arrow_y),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 2, "ls": "--"})
        text = f"{name}: no event in the window  {measurement.get('verdict', '')}"
    ax.set_title(f"{title}\n{text}", fontsize=10, color=colour)
    ax.set_xlim((left - pad) * scale, x_end)
    ax.set_xlabel(f"time from start ({tunit}, EV emulator trace)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


# ---- trip curve ----------------------------------------------------------------------------------
WAVE_STYLE = {"dc": ("o", "#1565c0", "smooth DC"), "ac": ("s", "#6a1b9a", "AC 50 Hz")}


def _trip_limits(measurements: Sequence[Measurement]) -> list[dict[str, Any]]:
    out = []
    for m in measurements:
        d = _data(m)
        high, current = _finite(m.get("high")), _finite(d.get("current_ma"))
        if d.get("waveform") and current is not None and high is not None and "t_on" in d:
            out.append({"waveform": d["waveform"], "current_ma": current,
                        "high_s": _seconds(high, str(m.get("unit") or "s"))})
    return out


def trip_curve(measurements: Sequence[Measurement],
               limits: Sequence[Mapping[str, Any]] | None = None,
               title: str = "Trip time vs residual current") -> bytes:
    """Trip times of the steps on log-log axes against the limit step curves."""
    limits = list(limits) if limits is not None else _trip_limits(measurements)
    steps, no_trips, ramps = [], [], []
    for m in measurements:
        d = _data(m)
        wave = str(d.get("waveform") or "")
        if wave not in WAVE_STYLE:
            continue
        if _finite(d.get("trip_ma")) is not None or "t_s" in d:
            ramps.append(m)
        elif _finite(d.get("observe_s")) is not None and str(m.get("unit")) == "bool":
            no_trips.append(m)
        elif _finite(d.get("current_ma")) is not None and _num(m.get("value")) is not None:
            steps.append(m)
    if not (steps or no_trips or ramps):
        return _empty(title)
    fig, (ax,) = _figure()
    currents = [float(_data(m)["current_ma"]) for m in steps + no_trips]
    currents += [float(lim["current_ma"]) for lim in limits]
    for m in ramps:
        for key in ("trip_ma",):
            if _finite(_data(m).get(key)):
                currents.append(float(_data(m)[key]))
        currents += [x for x in (_finite(m.get("low")), _finite(m.get("high"))) if x]
    currents = [c for c in currents if c > 0] or [1.0]
    x_lo, x_hi = min(currents) / 2.0, max(currents) * 2.0
    times = [_seconds(v, str(m.get("unit") or "s")) for m in steps
             if (v := _finite(m.get("value"))) is not None and v > 0]
    times += [float(lim["high_s"]) for lim in limits]
    times += [float(_data(m)["observe_s"]) for m in no_trips]
    times = [t for t in times if t > 0] or [1.0]
    y_lo, y_hi = min(times) / 3.0, max(times) * 3.0
    for wave, (_, colour, label) in WAVE_STYLE.items():
        mine = sorted((float(lim["current_ma"]), float(lim["high_s"]))
                      for lim in limits if lim.get("waveform") == wave)
        if mine:
            xs = [c for c, _ in mine] + [x_hi]
            ys = [h for _, h in mine] + [mine[-1][1]]
            ax.step(xs, ys, where="post", color=colour, ls="--", lw=1.3,
                    label=f"limit {label}")
            ax.plot([xs[0], xs[0]], [ys[0], y_hi], color=colour, ls="--", lw=1.3)
    for m in steps:
        d = _data(m)
        marker, colour, _ = WAVE_STYLE[str(d["waveform"])]
        value = _num(m.get("value"))
        t = _seconds(value, str(m.get("unit") or "s")) if value is not None else math.inf
        x = float(d["current_ma"])
        vcol = _colour(m.get("verdict"))
        if math.isfinite(t) and t > 0:
            unc = _seconds(_finite(m.get("uncertainty")) or 0.0, str(m.get("unit") or "s"))
            ax.errorbar([x], [t], yerr=[[min(unc, t * 0.99)], [unc]], fmt=marker, ms=7,
                        mfc=vcol, mec=colour, ecolor=vcol, capsize=3)
            ax.annotate(f"{t * 1e3:.3g} ms", (x, t), textcoords="offset points",
                        xytext=(6, 4), fontsize=7)
        else:  # no trip within the test's wait: off the scale
            ax.plot([x], [y_hi / 1.5], marker="^", ms=9, color=vcol, mec=colour)
            ax.annotate("no trip", (x, y_hi / 1.5), textcoords="offset points",
                        xytext=(6, -3), fontsize=7, color=vcol)
    for m in no_trips:
        d = _data(m)
        _, colour, _ = WAVE_STYLE[str(d["waveform"])]
        x, obs = float(d["current_ma"]), float(d["observe_s"])
        vcol = _colour(m.get("verdict"))
        ax.plot([x, x], [y_lo, obs], color=colour, lw=4, alpha=0.25, solid_capstyle="butt")
        tripped = _finite(d.get("trip_time_s"))
        y = tripped if tripped else obs
        ax.plot([x], [y], marker="^" if tripped is None else "x", ms=9, color=vcol)
        text = f"no trip ≥ {obs:g} s" if tripped is None else f"tripped {tripped:.3g} s"
        ax.annotate(f"{text} (must not trip)", (x, y), textcoords="offset points",
                    xytext=(6, 2), fontsize=7, color=vcol)
    for m in ramps:
        d = _data(m)
        _, colour, label = WAVE_STYLE[str(d["waveform"])]
        lo, hi = _finite(m.get("low")), _finite(m.get("high"))
        if lo is not None and hi is not None:
            ax.axvspan(lo, hi, ymin=0.0, ymax=0.05, color=colour, alpha=0.25)
        trip = _finite(d.get("trip_ma"))
        if trip is not None:
            vcol = _colour(m.get("verdict"))
            ax.axvline(trip, ymax=0.12, color=vcol, lw=2)
            ax.annotate(f"ramp {trip:g} mA", (trip, y_lo), textcoords="offset points",
                        xytext=(3, 22), fontsize=7, color=vcol)
    for marker, colour, label in WAVE_STYLE.values():
        ax.plot([], [], marker=marker, ls="", color=colour, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("residual current (mA, r.m.s. for AC)")
    ax.set_ylabel("trip time (s)")
    ax.set_title(title, fontsize=10)
    ax.grid(which="both", alpha=0.25)
    ax.legend(loc="upper right", fontsize=7)
    return _png(fig)


# ---- soft start ----------------------------------------------------------------------------------
def _series(measurements: Sequence[Measurement], key: str) -> tuple[list[float], list[float]]:
    for m in measurements:
        d = _data(m)
        if key in d and "t_s" in d:
            pairs = [(_finite(t), _finite(v)) for t, v in zip(d["t_s"], d[key], strict=False)]
            kept = [(t, v) for t, v in pairs if t is not None and v is not None]
            return [t for t, _ in kept], [v for _, v in kept]
    return [], []


def soft_start_ramp(measurements: Sequence[Measurement], title: str = "Soft start") -> bytes:
    """Advertised (PWM) and measured (analyser) current after the close; the slope limit."""
    adv_t, adv_a = _series(measurements, "advertised_a")
    meas_t, meas_a = _series(measurements, "i_a")
    if not adv_t and not meas_t:
        return _empty(title)
    rate = next((m for m in measurements if str(m.get("unit")) == "A/s"), None)
    target = next((_finite(_data(m).get("target_a")) for m in measurements
                   if _finite(_data(m).get("target_a")) is not None), None)
    fig, (ax,) = _figure()
    if adv_t:
        end = max(adv_t[-1], meas_t[-1] if meas_t else adv_t[-1])
        ax.step([*adv_t, end], [*adv_a, adv_a[-1]], where="post", color="#1565c0", lw=1.8,
                label="advertised (PWM duty)")
    if meas_t:
        ax.plot(meas_t, meas_a, color="#ef6c00", lw=1.3, marker=".", ms=3,
                label="measured phase current (analyser)")
    if target is not None:
        ax.axhline(target, color="#616161", ls=":", lw=1, label=f"target {target:g} A")
    if rate is not None and meas_t:
        limit = _finite(rate.get("high"))
        start = next((i for i, a in enumerate(meas_a) if a > meas_a[0] + 0.5), None)
        if limit is not None and start is not None:
            i0 = max(start - 1, 0)
            top = max(meas_a)
            t_end = meas_t[i0] + (top - meas_a[i0]) / limit
            ax.plot([meas_t[i0], t_end], [meas_a[i0], top], color=LIMIT_COLOUR, ls="--",
                    lw=1.5, label=f"limit slope {limit:g} A/s")
        value = _finite(rate.get("value"))
        if value is not None:
            window = _finite(_data(rate).get("window_s")) or 1.0
            ax.text(0.99, 0.03, f"max rise {value:.3g} A/s over {window:g} s  "
                    f"{rate.get('verdict', '')}", transform=ax.transAxes, ha="right",
                    fontsize=9, color=_colour(rate.get("verdict")))
    ax.set_xlabel("time since the contactor closed (s)")
    ax.set_ylabel("current (A)")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


# ---- meter errors --------------------------------------------------------------------------------
def _point_label(m: Measurement, with_rid: bool) -> str:
    if m.get("label"):
        return str(m["label"])
    d = _data(m)
    parts = []
    for key, fmt in (("supply_v", "{:g} V supply"), ("quantity", "{}"), ("current_a", "{:g} A"),
                     ("voltage_v", "{:g} V"), ("power_factor", "PF {:g}"), ("phase", "L{}")):
        if d.get(key) is not None:
            parts.append(fmt.format(d[key]))
    if with_rid or not parts:
        parts.insert(0, _rid(m) or str(m.get("name") or ""))
    return " ".join(parts)


def meter_errors(measurements: Sequence[Measurement], title: str = "Meter error") -> bytes:
    """Error per test point with its uncertainty bar and its limit band, coloured by verdict."""
    points = [m for m in measurements if _finite(m.get("value")) is not None]
    if not points:
        return _empty(title)
    with_rid = len({_rid(m) for m in points}) > 1
    fig, (ax,) = _figure()
    unit = str(points[0].get("unit") or "%")
    for x, m in enumerate(points):
        lo, hi = _finite(m.get("low")), _finite(m.get("high"))
        if lo is not None and hi is not None:
            ax.fill_between([x - 0.4, x + 0.4], lo, hi, color=BAND_COLOUR, alpha=0.8, lw=0)
        for b in (lo, hi):
            if b is not None:
                ax.plot([x - 0.4, x + 0.4], [b, b], color=LIMIT_COLOUR, lw=1)
        value = float(m["value"])
        unc = _finite(m.get("uncertainty")) or 0.0
        colour = _colour(m.get("verdict"))
        ax.errorbar([x], [value], yerr=[unc], fmt="o", color=colour, ecolor=colour,
                    capsize=4, ms=6)
    for verdict in sorted({str(m.get("verdict")) for m in points}):
        ax.plot([], [], "o", color=_colour(verdict), label=verdict)
    ax.plot([], [], color=LIMIT_COLOUR, lw=1, label="limits")
    ax.errorbar([], [], yerr=[], fmt="none", ecolor="#424242", capsize=4,
                label="expanded U (k = 2)")
    labels = [_point_label(m, with_rid) for m in points]
    ax.set_xticks(range(len(points)), labels, rotation=45 if len(points) > 6 else 0,
                  ha="right" if len(points) > 6 else "center", fontsize=8)
    ax.axhline(0, color="#9e9e9e", lw=0.6)
    ax.set_xlim(-0.7, len(points) - 0.3)
    ax.set_ylabel(f"error ({unit})")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=7, ncols=2)
    return _png(fig)


# ---- trend ---------------------------------------------------------------------------------------
def trend(points: list[dict], title: str, unit: str) -> bytes:
    """One requirement's value across runs (oldest first), limits and firmware changes."""
    rows = [p for p in points
            if _finite(p.get("value")) is not None and _finite(p.get("started")) is not None]
    if not rows:
        return _empty(title, "no numeric values across runs")
    rows.sort(key=lambda p: float(p["started"]))
    when = [mdates.date2num(datetime.fromtimestamp(float(p["started"]), tz=UTC)) for p in rows]
    fig, (ax,) = _figure()
    for key in ("low", "high"):
        ys = [_finite(p.get(key)) for p in rows]
        if any(y is not None for y in ys):
            ax.step(when, [np.nan if y is None else y for y in ys], where="mid",
                    color=LIMIT_COLOUR, ls="--", lw=1.2,
                    label="limits" if key == "low" or all(
                        _finite(p.get("low")) is None for p in rows) else None)
    ax.plot(when, [float(p["value"]) for p in rows], color="#90a4ae", lw=1, zorder=1)
    for x, p in zip(when, rows, strict=True):
        colour = _colour(p.get("verdict"))
        unc = _finite(p.get("uncertainty")) or 0.0
        ax.errorbar([x], [float(p["value"])], yerr=[unc], fmt="o", color=colour, ms=5,
                    capsize=3, zorder=2)
    previous = None
    for x, p in zip(when, rows, strict=True):
        firmware = p.get("firmware")
        if firmware and firmware != previous:
            ax.axvline(x, color="#9e9e9e", ls=":", lw=1)
            ax.text(x, 0.02, f" fw {firmware}", transform=ax.get_xaxis_transform(),
                    fontsize=7, va="bottom", ha="right", rotation=90, color="#616161")
            previous = firmware
    for verdict in sorted({str(p.get("verdict")) for p in rows}):
        ax.plot([], [], "o", color=_colour(verdict), label=verdict)
    if len(when) == 1:
        ax.set_xlim(when[0] - 0.5, when[0] + 0.5)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=UTC, maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d\n%H:%M", tz=UTC))
    ax.tick_params(axis="x", labelsize=7)
    ax.set_ylabel(f"value ({unit})" if unit else "value")
    ax.set_xlabel("run start (UTC)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=7)
    return _png(fig)


# ---- which plot for which group ------------------------------------------------------------------
# ---- installations (PR-05) -----------------------------------------------------------------------
PHASE_COLOURS = ("#6d4c41", "#212121", "#757575")  # L1 brown, L2 black, L3 grey (IEC 60445)


def feed_plot(t_s: Sequence[float], phases: Sequence[Sequence[float]], fuse_a: float,
              title: str, xlabel: str = "time (s)") -> bytes:
    """The installation's feed current per phase against its main fuse."""
    if not t_s:
        return _empty(title)
    fig, (ax,) = _figure()
    for i, values in enumerate(phases):
        ax.step(t_s, values, where="post", color=PHASE_COLOURS[i], lw=1.3, label=f"L{i + 1}")
    ax.axhline(fuse_a, color=LIMIT_COLOUR, ls="--", lw=1.5, label=f"fuse {fuse_a:g} A")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("feed current (A)")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(0, max(fuse_a, *(max(v, default=0.0) for v in phases)) * 1.1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def shares_plot(shares: Sequence[float], title: str, ylabel: str = "current (A)",
                note: str = "") -> bytes:
    """Each station's share (a bar per station) and the mean share."""
    if not shares:
        return _empty(title)
    fig, (ax,) = _figure()
    x = list(range(1, len(shares) + 1))
    ax.bar(x, shares, color="#1565c0", width=0.8 if len(shares) > 10 else 0.6)
    mean = sum(shares) / len(shares)
    ax.axhline(mean, color="#616161", ls=":", lw=1, label=f"mean {mean:.3g}")
    ax.set_xlabel("station")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if note:
        ax.text(0.99, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def installation_plots(measurements: Sequence[Measurement]) -> list[tuple[str, bytes]]:
    """PR-05's plots: the feed against the fuse, and the stations' shares, per installation."""
    out = []
    for m in measurements:
        d = _data(m)
        where = _slug(str(d.get("installation", "")))
        if d.get("feed") and _finite(d.get("fuse_a")) is not None:
            rows = [r for r in d["feed"] if isinstance(r, list | tuple) and len(r) == 4]
            t = [float(r[0]) for r in rows]
            phases = [[float(r[i]) for r in rows] for i in (1, 2, 3)]
            out.append((f"feed-{where}.png", feed_plot(
                t, phases, float(d["fuse_a"]),
                f"{_rid(m)} feed current per phase, installation {d.get('installation')}",
                "time since the test began (s, the installation's clock)")))
        if d.get("station_ah"):
            out.append((f"charge-{where}.png", shares_plot(
                [float(x) for x in d["station_ah"]],
                f"{_rid(m)} charge per station over the day, installation "
                f"{d.get('installation')}", "charge (Ah, highest phase)")))
        if d.get("shares_a") and m.get("name") == "fairness":
            value = _finite(m.get("value"))
            note = "" if value is None else f"Jain's index {value:.3f} {m.get('verdict', '')}"
            out.append((f"shares-{where}.png", shares_plot(
                [float(x) for x in d["shares_a"]],
                f"{_rid(m)} per-station shares, installation {d.get('installation')}",
                note=note)))
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-").lower()


def plots_for(group: str, measurements: Sequence[Measurement],
              limits: Sequence[Mapping[str, Any]] | None = None) -> list[tuple[str, bytes]]:
    """The plots that fit ``group`` (a requirement id's prefix) as ``[(file name, png)]``;
    ``limits`` are the trip-time limits for RC (see :func:`trip_curve`)."""
    out: list[tuple[str, bytes]] = []
    timed = [m for m in measurements if _data(m).get("events") is not None]
    for m in timed:
        name = _slug(f"{_rid(m)}-{m.get('name', '')}")
        out.append((f"timeline-{name}.png", timing_timeline(m)))
    rest = [m for m in measurements if m not in timed]
    if group == "CP" and has_pilot(rest):
        out.append(("cp-waveform.png", cp_waveform(rest)))
    elif group == "RC" and any(_data(m).get("waveform") for m in rest):
        out.append(("trip-curve.png", trip_curve(rest, limits)))
    elif group == "SS" and rest:
        out.append(("soft-start-ramp.png", soft_start_ramp(rest)))
    elif group == "PR" and any(_data(m).get("feed") or _data(m).get("shares_a")
                               or _data(m).get("station_ah") for m in rest):
        out.extend(installation_plots(rest))
    elif group in ("MT", "SU"):
        errors = [m for m in rest if str(m.get("unit")) == "%" and
                  _finite(m.get("value")) is not None]
        if errors:
            out.append(("meter-errors.png", meter_errors(errors)))
    return out
