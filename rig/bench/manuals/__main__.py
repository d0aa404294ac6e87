"""``python -m rig.bench.manuals``: the command tables as Markdown, for
``docs/emulated-instruments.md`` (a test keeps that page equal to this output)."""

from __future__ import annotations

import sys

from . import Manual
from .ac_sources import AC6801B_MANUAL, ASTERION_MANUAL
from .chroma19032 import MANUAL as CHROMA19032_MANUAL
from .chroma63800 import MANUAL as CHROMA63800_MANUAL
from .eve1 import MANUAL as EVE1_MANUAL
from .infiniivision import MANUAL as INFINIIVISION_MANUAL
from .keithley2450 import MANUAL as K2450_MANUAL
from .keithley6221 import MANUAL as K6221_MANUAL
from .keysight53220a import MANUAL as K53220A_MANUAL
from .wt333e import MANUAL as WT333E_MANUAL

#: Bench key -> manual, in the order the docs page lists them.
MANUALS: dict[str, Manual] = {
    "smu": K2450_MANUAL, "cs": K6221_MANUAL, "pa": WT333E_MANUAL, "ac1": AC6801B_MANUAL,
    "ac3": ASTERION_MANUAL, "ev": EVE1_MANUAL, "est": CHROMA19032_MANUAL,
    "cnt": K53220A_MANUAL,
    "scope": INFINIIVISION_MANUAL, "load": CHROMA63800_MANUAL,
}
HOW = {"model": "emulated", "stored": "kept", "held": "held"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """Every table as Markdown, one section per model."""
    out: list[str] = []
    for key, manual in MANUALS.items():
        rows = manual.commands
        counts = {how: sum(r.mode == mode for r in rows) for mode, how in HOW.items()}
        out += [
            f"### {manual.model} (`{key}`)",
            "",
            f"Source: *{manual.title}*, {manual.document}, {manual.edition}.",
            f"Subsystems claimed: {', '.join(manual.subsystems)}. "
            f"{len(rows)} commands: {counts['emulated']} emulated, {counts['kept']} kept, "
            f"{counts['held']} held.",
            "",
            *[f"- {note}" for note in manual.notes],
            "",
            "| command | forms | after `*RST` | reply | how | note |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows:
            out.append(
                f"| `{_cell(row.header)}` | {row.forms} | "
                f"{'`' + _cell(row.default) + '`' if row.default is not None else ''} | "
                f"{row.reply} | {HOW[row.mode]} | {_cell(row.note)} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
