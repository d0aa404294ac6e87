"""The SCPI transcript: every message sent to and received from every instrument, in order.

A run keeps one :class:`Transcript` shared by all its drivers, so a report can show exactly what
went over the wire around a failed step (``mark()`` before the step, ``lines(mark)`` after).
It is append-only and thread-safe: instruments may be driven from several threads, and the
records database subscribes through :attr:`Transcript.sink` to store entries as they happen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SENT = ">"
RECEIVED = "<"


@dataclass(frozen=True)
class TranscriptEntry:
    """One message: wall time (``time.time()``), instrument role name, direction, text."""

    time: float
    instrument: str
    direction: str  # ">" sent to the instrument, "<" received from it
    text: str

    def line(self) -> str:
        """``"> VOLT 230"`` / ``"< +2.30000E+02"``: the form tests and reports compare."""
        return f"{self.direction} {self.text}"


class Transcript:
    """Append-only, thread-safe list of :class:`TranscriptEntry`.

    ``sink`` (optional) is called with each new entry, in order, under the transcript's lock;
    an exception in the sink is logged and never breaks the instrument I/O that produced it.
    """

    def __init__(self, sink: Callable[[TranscriptEntry], None] | None = None):
        self._entries: list[TranscriptEntry] = []
        self._lock = threading.Lock()
        self.sink = sink

    def append(self, instrument: str, direction: str, text: str) -> TranscriptEntry:
        """Record one message (``direction`` is ``">"`` or ``"<"``)."""
        if direction not in (SENT, RECEIVED):
            raise ValueError(f"direction must be '>' or '<', not {direction!r}")
        entry = TranscriptEntry(time.time(), instrument, direction, text)
        with self._lock:
            self._entries.append(entry)
            sink = self.sink
            if sink is not None:
                try:
                    sink(entry)
                except Exception:  # a broken subscriber must not fail the measurement
                    log.exception("transcript sink failed on %r", entry)
        return entry

    def mark(self) -> int:
        """The current length: pass it to :meth:`lines` or :meth:`entries` later."""
        with self._lock:
            return len(self._entries)

    def entries(
        self, since_index: int = 0, instrument: str | None = None
    ) -> list[TranscriptEntry]:
        """Entries from ``since_index`` on, optionally of one instrument only."""
        with self._lock:
            chosen = self._entries[since_index:]
        if instrument is not None:
            chosen = [e for e in chosen if e.instrument == instrument]
        return chosen

    def lines(self, since_index: int = 0, instrument: str | None = None) -> list[str]:
        """``["> VOLT 230", "< +2.30000E+02", ...]`` from ``since_index`` on."""
        return [e.line() for e in self.entries(since_index, instrument)]

    def write(self, path: str | Path) -> Path:
        """Dump as text, one entry a line: ISO time, instrument, direction, message."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for e in self.entries():
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(e.time))
                micros = int((e.time % 1) * 1e6)
                out.write(f"{stamp}.{micros:06d} {e.instrument} {e.direction} {e.text}\n")
        return path

    def __len__(self) -> int:
        return self.mark()

    def __iter__(self) -> Iterator[TranscriptEntry]:
        return iter(self.entries())
