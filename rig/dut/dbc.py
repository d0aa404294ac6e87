"""The charger's CAN protocol as its DBC file describes it (cantools), and the README's table.

**Why.** The frames are the product's contract, and a DBC file is how a charger maker hands
one over: the rig reads the file, it does not re-type the bit layout. The ZapCharger's file is
the firmware's own (``firmware-under-test/zapcharger/can/zapcharger.dbc``; ``zapcharger.dbc``
beside this module is a link to it, so the wheel carries it), so rig and firmware cannot drift
apart. Another model's file is named by the rig file (``CanBus: dbc:``).

Frame ids are a message's id plus the node id in the low ``NodeIdBits`` bits (a database
attribute of the file; the messages are listed for node 0).

A missing or malformed file, or one without a message or signal the rig reads, is a
:class:`~rig.errors.ConfigError` naming the file and what is missing: a broken rig, never a
charger that failed.

``python -m rig.dut.dbc --check docs/emulated-bench.md firmware-under-test/README.md`` checks
that the pages' CAN tables are the one this module generates from the file (``--write``
rewrites them between the ``<!-- dbc:frames -->`` markers).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cantools
from cantools.database.can import Database, Message, Signal

from rig.errors import ConfigError

#: The ZapCharger Pro's CAN description (a link to the firmware's file in this repository).
DEFAULT_DBC = Path(__file__).with_name("zapcharger.dbc")
#: What the rig reads and sends, by DBC message name; a file must have every one.
RIG_MESSAGES: dict[str, tuple[str, ...]] = {
    "Status": ("StateLetter", "StateSuffix", "Contactor", "Lock", "Pwm", "RcdTripped", "Fault",
               "AdvertisedCurrent", "Duty", "ErrorCode", "LedFlashing", "LedColour"),
    "Meter": ("Energy", "CurrentL1", "VoltageL1"),
    "Identity": ("SerialPrefix1", "SerialPrefix2", "SerialPrefix3", "SerialNumber",
                 "FirmwareMajor"),
    "Version": ("Major", "Minor", "Patch"),
    "Limit": ("InstallationLimit",),
    "IdentityRequest": (),
}
BEGIN, END = "<!-- dbc:frames -->", "<!-- /dbc:frames -->"


@dataclass(frozen=True)
class CanProtocol:
    """One charger model's frames: the DBC database and how node ids sit in frame ids."""

    db: Database
    source: str
    node_bits: int

    @property
    def node_mask(self) -> int:
        return (1 << self.node_bits) - 1

    def message(self, name: str) -> Message:
        return self.db.get_message_by_name(name)

    def base(self, name: str) -> int:
        """Frame id of message ``name`` for node 0."""
        return int(self.message(name).frame_id)

    def lengths(self) -> dict[int, int]:
        """Data length of every message, by base id."""
        return {int(m.frame_id): int(m.length) for m in self.db.messages}

    def by_base(self, base: int) -> Message | None:
        for message in self.db.messages:
            if message.frame_id == base:
                return message
        return None

    def decode(self, name: str, data: bytes) -> dict[str, Any]:
        """Physical values of message ``name`` (scaled, rounded to the signal's resolution;
        value tables give their names, e.g. ``LedColour: "blue"``)."""
        message = self.message(name)
        values = message.decode(bytes(data), decode_choices=True)
        out: dict[str, Any] = {}
        for signal in message.signals:
            value = values[signal.name]
            if isinstance(value, float):
                value = round(value, _decimals(signal))
            elif not isinstance(value, int):
                value = str(value)  # a value table's name
            out[signal.name] = value
        return out

    def encode(self, name: str, values: dict[str, Any]) -> bytes:
        return bytes(self.message(name).encode(values))


def _decimals(signal: Signal) -> int:
    scale = float(signal.scale)
    text = f"{scale:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def load_protocol(path: str | Path, source: str | None = None) -> CanProtocol:
    """Read and check a charger's DBC file (``source``: where the path came from, for errors)."""
    where = source or str(path)
    try:
        db = cantools.database.load_file(str(path), database_format="dbc", strict=True)
    except FileNotFoundError:
        raise ConfigError(where, "dbc", f"a DBC file describing the charger's CAN frames "
                                        f"({path}: no such file)") from None
    except OSError as exc:
        raise ConfigError(where, "dbc", f"a readable DBC file ({path}: {exc.strerror or exc})"
                          ) from None
    except Exception as exc:  # cantools: ParseError, UnsupportedDatabaseFormatError, ...
        detail = " ".join(str(exc).split())[:300]
        raise ConfigError(where, "dbc", f"a valid DBC file ({path}: {detail})") from None
    if not isinstance(db, Database):
        raise ConfigError(where, "dbc", f"a CAN database ({path})")
    for name, signals in RIG_MESSAGES.items():
        try:
            message = db.get_message_by_name(name)
        except KeyError:
            raise ConfigError(where, f"dbc: message {name}",
                              f"present in {path} (the rig reads or sends it)") from None
        have = {s.name for s in message.signals}
        missing = [s for s in signals if s not in have]
        if missing:
            raise ConfigError(where, f"dbc: message {name}",
                              f"signal(s) {', '.join(missing)} in {path}")
    attribute = (db.dbc.attributes if db.dbc is not None else {}).get("NodeIdBits")
    bits = int(attribute.value) if attribute is not None else 0
    if not 0 <= bits <= 8:
        raise ConfigError(where, "dbc: NodeIdBits", f"0 ... 8 in {path}, got {bits}")
    return CanProtocol(db, str(path), bits)


@functools.cache
def default_protocol() -> CanProtocol:
    """The ZapCharger Pro's protocol (read once)."""
    return load_protocol(DEFAULT_DBC)


# ---- the README's table --------------------------------------------------------------------
def _signal_text(signal: Signal) -> str:
    first, size = int(signal.start), int(signal.length)
    bits = f"bit {first}" if size == 1 else f"bits {first}-{first + size - 1}"
    parts = [f"`{signal.name}` {bits}"]
    scale = float(signal.scale)
    if scale != 1:
        parts.append(f"x{_fmt(scale)} {signal.unit or ''}".rstrip())
    elif signal.unit:
        parts.append(str(signal.unit))
    if signal.choices:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in signal.choices.items()) + ")")
    if signal.comment:
        parts.append(f"- {signal.comment}")
    return " ".join(parts)


def _fmt(x: float) -> str:
    return f"{x:g}"


def frames_table(protocol: CanProtocol) -> str:
    """The Markdown table of every frame (id, length, sender, when, signals) from the file."""
    n = "n" if protocol.node_bits else ""
    lines = [
        "| id | frame | bytes | sender | when | signals (little-endian bit positions) |",
        "|---|---|---|---|---|---|",
    ]
    for m in sorted(protocol.db.messages, key=lambda m: m.frame_id):
        ident = f"`0x{m.frame_id:03X}+{n}`" if n else f"`0x{m.frame_id:03X}`"
        signals = "; ".join(_signal_text(s) for s in m.signals) or "none"
        when = (m.comment or "").replace("|", "\\|")
        lines.append(f"| {ident} | {m.name} | {m.length} | {', '.join(m.senders)} | {when} | "
                     f"{signals.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


def replace_block(text: str, table: str) -> str | None:
    """``text`` with its ``dbc:frames`` block replaced by ``table`` (None: no block)."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda _m: f"{BEGIN}\n{table}\n{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rig.dut.dbc",
        description="Check (or write) the CAN frame tables of Markdown files from a DBC file.")
    parser.add_argument("files", nargs="*", type=Path, help="Markdown files with a "
                        f"{BEGIN} ... {END} block")
    parser.add_argument("--dbc", type=Path, default=DEFAULT_DBC)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when a block differs "
                      "(the default)")
    mode.add_argument("--write", action="store_true", help="rewrite the blocks")
    args = parser.parse_args(argv)
    try:
        table = frames_table(load_protocol(args.dbc))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.files:
        print(table)
        return 0
    stale = 0
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{path}: cannot be read ({exc})", file=sys.stderr)
            return 2
        new = replace_block(text, table)
        if new is None:
            print(f"{path}: no {BEGIN} ... {END} block", file=sys.stderr)
            return 2
        if new != text:
            if args.write:
                path.write_text(new, encoding="utf-8")
                print(f"{path}: table written")
            else:
                stale += 1
                print(f"{path}: CAN table differs from {args.dbc} (run with --write)",
                      file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
