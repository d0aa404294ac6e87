"""Errors of the rig, as opposed to failures of the charger.

Anything raised as a :class:`RigError` makes the affected requirements ERROR, never FAIL: a
timeout, an instrument that reports an error, a lost link, a malformed rig file or profile.
Each carries enough to fix the problem without a debugger: which file and key, or which
instrument, address and command, and what was expected.
"""

from __future__ import annotations


class RigError(Exception):
    """The rig, not the charger, failed: the verdict is ERROR."""


class ConfigError(RigError):
    """A rig file, profile, catalogue or command-line value is wrong."""

    def __init__(self, source: str, key: str, expected: str, line: int | None = None):
        self.source, self.key, self.expected, self.line = source, key, expected, line
        where = f"{source}:{line}" if line else source
        super().__init__(one_line(f"{where}: {key}: {expected}"))


def one_line(text: str) -> str:
    """``text`` on one printable line: a key or value from a file (a ``\r``, an escape
    sequence) is shown escaped, never allowed to break or rewrite the line it is reported on."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class InstrumentError(RigError):
    """An instrument refused a command, reported an error, or stopped answering."""

    def __init__(self, instrument: str, address: str, command: str, detail: str):
        self.instrument, self.address, self.command, self.detail = (
            instrument, address, command, detail
        )
        super().__init__(f"{instrument} at {address}: '{command}': {detail}")


class InstrumentTimeout(InstrumentError):
    """No answer within the VISA timeout."""


class ChargerLinkError(RigError):
    """The charger's console, CAN or OCPP link does not work (the link, not the behaviour)."""


class NotSupported(RigError):
    """The rig lacks a capability a step needs (the step is NOT_RUN, with this reason)."""
