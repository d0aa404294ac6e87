"""The failing requirement in plain words and what the operator does about it.

The operator is not an engineer: the page shows one sentence of what is wrong and one of what
to do, per requirement id of the EOL plan. The engineer's detail (values, limits) stays in the
record and the report.
"""

from __future__ import annotations

from typing import Any

#: requirement id -> (what is wrong, what to do)
ADVICE: dict[str, tuple[str, str]] = {
    "ES-01": ("The protective earth connection has too much resistance.",
              "Check the PE terminal screw and the earth wire to the socket; send to repair "
              "if it fails again."),
    "ES-02": ("The insulation between live parts and earth is too low.",
              "Look for moisture, swarf or a pinched wire; send to repair."),
    "ES-03": ("Too much current flowed to earth in the high-voltage test.",
              "Send to repair (insulation or filter capacitor fault). Do not retest at once."),
    "ID-01": ("The charger runs the wrong firmware.",
              "Flash the released firmware, then test again."),
    "PR-08": ("The serial number is wrong or not the same everywhere.",
              "Program the serial number again, then test again."),
    "PR-01": ("The status light shows the wrong colour.",
              "Check the LED board and its cable; send to repair."),
    "CP-01": ("The control pilot voltage is wrong with no car.",
              "Check the control board's pilot circuit; send to repair."),
    "CP-02": ("The control pilot negative voltage is wrong.",
              "Check the control board's pilot circuit; send to repair."),
    "CP-03": ("The control pilot frequency is wrong.",
              "Send to repair (control board oscillator)."),
    "CP-04": ("The charger tells the car a wrong current.",
              "Check the control board calibration; send to repair."),
    "TM-01": ("The main contactor closes too slowly.",
              "Check the contactor and its wiring; send to repair."),
    "TM-02": ("The main contactor opens too slowly.",
              "Send to repair (contactor sticking). Do not ship."),
    "RC-01": ("The charger does not switch off on a small DC earth leak (6 mA).",
              "Check the residual-current sensor and its cable; send to repair."),
    "RC-05": ("The charger does not switch off fast enough on a 30 mA earth leak.",
              "Check the residual-current sensor; send to repair."),
    "RC-06": ("The residual-current self-test did not run or failed.",
              "Check the residual-current sensor's test winding; send to repair."),
    "MT-01": ("The energy meter measures the current wrong.",
              "Calibrate the meter again, then test again."),
    "MT-02": ("The energy meter measures the voltage wrong.",
              "Calibrate the meter again, then test again."),
}


def advice_for(rid: str, book: Any = None) -> dict[str, str]:
    """``{"requirement", "title", "what", "todo"}`` for a failing requirement."""
    what, todo = ADVICE.get(rid, ("A check of the end-of-line test failed.",
                                  "Call the line engineer."))
    title = ""
    if book is not None and rid in getattr(book.catalogue, "requirements", {}):
        title = book.catalogue.requirements[rid].title
    return {"requirement": rid, "title": title, "what": what, "todo": todo}
