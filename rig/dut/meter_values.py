"""The charger's meter as OCPP 1.6J reports it: a MeterValues payload read as a meter reading.

The rig reads a charger's meter the way its product file says (``meter: console | ocpp``). By
OCPP, a reading is the MeterValues message the charger sends when asked with TriggerMessage:
sampled values, each a measurand (``Current.Import``, ``Voltage``,
``Energy.Active.Import.Register``), an optional phase (``L1``, ``L1-N``), a unit (``A``, ``V``,
``Wh``/``kWh``) and the value as text. The text says how finely the charger shows the value: the
number of decimals is its resolution, which counts in the reading's uncertainty (a charger that
reports whole amperes has a coarser display than one that reports hundredths).

Defaults are the 1.6J schema's: measurand ``Energy.Active.Import.Register``, unit ``Wh``.
``SignedData`` values and measurands the plan does not read are ignored.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

#: OCPP measurand -> (key of the reading, unit -> factor to the reading's unit).
MEASURANDS: dict[str, tuple[str, dict[str, float]]] = {
    "Current.Import": ("i", {"A": 1.0}),
    "Voltage": ("v", {"V": 1.0, "kV": 1000.0}),
    "Energy.Active.Import.Register": ("e_wh", {"Wh": 1.0, "kWh": 1000.0}),
}
#: What each key of a reading is, for the reasons of a reading the charger does not give.
WHAT = {"i": "Current.Import per phase (L1, L2, L3)", "v": "Voltage per phase (L1-N ... L3-N)",
        "e_wh": "Energy.Active.Import.Register"}
PHASES = ("L1", "L2", "L3")


def _phase(text: str | None) -> int | None:
    """0..2 for ``L1``/``L1-N``/``L1-L2`` ..., None for no phase (a total)."""
    if not text:
        return None
    for n, name in enumerate(PHASES):
        if text == name or text.startswith(name + "-"):
            return n
    return None


def _value(text: str) -> tuple[float, float]:
    """(value, resolution) of a sampled value's text: ``"16.02"`` -> (16.02, 0.01)."""
    number = Decimal(text.strip())
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN, Infinity
        raise ValueError(f"not a number: {text!r}")
    return float(number), float(Decimal(1).scaleb(min(exponent, 0)))


def reading_from_meter_values(payload: dict[str, Any]) -> dict[str, Any]:
    """A MeterValues payload as a meter reading: ``i`` and ``v`` (per phase, lists of three,
    None where a phase is missing), ``e_wh`` (float or None) and ``resolution`` per key (in the
    reading's unit). Values the plan cannot read (wrong unit, not a number) are skipped and
    named in ``ignored``."""
    out: dict[str, Any] = {"i": [None, None, None], "v": [None, None, None], "e_wh": None,
                           "resolution": {}, "ignored": []}
    for meter_value in payload.get("meterValue") or []:
        for sv in meter_value.get("sampledValue") or []:
            measurand = sv.get("measurand", "Energy.Active.Import.Register")
            if measurand not in MEASURANDS or sv.get("format") == "SignedData":
                continue
            key, units = MEASURANDS[measurand]
            unit = sv.get("unit", "Wh" if key == "e_wh" else None)
            factor = units.get(unit) if unit is not None else (1.0 if key != "e_wh" else None)
            try:
                value, resolution = _value(str(sv.get("value", "")))
            except (InvalidOperation, ValueError):
                factor = None
            if factor is None:
                out["ignored"].append(f"{measurand} {sv.get('value')!r} {unit or ''}".strip())
                continue
            value, resolution = value * factor, resolution * factor
            phase = _phase(sv.get("phase"))
            if key == "e_wh":
                if phase is not None:
                    continue  # a per-phase register: the plan reads the total
                out["e_wh"] = value
            elif phase is None:
                continue  # a total current or voltage: the plan reads phases
            else:
                out[key][phase] = value
            out["resolution"][key] = max(out["resolution"].get(key, 0.0), resolution)
    return out


def missing(reading: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """What of ``keys`` the reading lacks, as OCPP names (empty: it has them all)."""
    gaps = []
    for key in keys:
        value = reading.get(key)
        if value is None or (isinstance(value, list) and any(v is None for v in value)):
            gaps.append(WHAT[key])
    return gaps
