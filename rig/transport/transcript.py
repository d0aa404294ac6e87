"""The SCPI transcript: every message sent to and received from every instrument, in order.

A run keeps one :class:`Transcript` shared by all its drivers, so a report can show exactly what
went over the wire around a failed step (``mark()`` before the step, ``lines(mark)`` after).
It is append-only and thread-safe: instruments may be driven from several threads, and the
records database subscribes through :attr:`Transcript.sink` to store entries as they happen.

A run's transcript is streamed to its log file as it happens (:meth:`Transcript.stream_to`), so a
killed run keeps it, and memory holds only the last ``keep`` entries: a production line running
thousands of cycles in one session does not grow. Marks stay absolute (entry numbers since the
start), so ``lines(mark)`` of a recent step is the same whether or not old entries were dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rig.redact import redact

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

    def __init__(
        self, sink: Callable[[TranscriptEntry], None] | None = None, keep: int | None = None
    ):
        if keep is not None and keep < 1:
            raise ValueError(f"keep = {keep!r}: a positive number of entries or None expected")
        self._entries: list[TranscriptEntry] = []
        self._dropped = 0  # entries let go from memory (absolute index of _entries[0])
        self._lock = threading.Lock()
        self._stream: TextIO | None = None
        self.keep = keep
        self.sink = sink

    def stream_to(self, path: str | Path) -> Path:
        """Append every entry from now on to ``path`` (what is kept already goes first)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("w", encoding="utf-8")
        with self._lock:
            if self._stream is not None:
                self._stream.close()
            for entry in self._entries:
                stream.write(_format(entry))
            self._stream = stream
        return path

    def flush(self) -> None:
        """Hand what was streamed to the OS (between steps: cheap, and a killed process keeps
        it; no fsync, which would cost milliseconds a step and only helps on power loss)."""
        with self._lock:
            if self._stream is not None:
                self._stream.flush()

    def close(self) -> None:
        """Stop streaming (the file stays complete up to here)."""
        with self._lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None

    def append(self, instrument: str, direction: str, text: str) -> TranscriptEntry:
        """Record one message (``direction`` is ``">"`` or ``"<"``)."""
        if direction not in (SENT, RECEIVED):
            raise ValueError(f"direction must be '>' or '<', not {direction!r}")
        if "_key" in text:  # a profile's password on its way to the bench (BENCH:CHAR:SET)
            text = redact(text)
        entry = TranscriptEntry(time.time(), instrument, direction, text)
        with self._lock:
            self._entries.append(entry)
            if self.keep is not None and len(self._entries) >= self.keep + self.keep // 4 + 1:
                drop = len(self._entries) - self.keep  # in batches: amortised O(1) per entry
                del self._entries[:drop]
                self._dropped += drop
            if self._stream is not None:
                try:
                    self._stream.write(_format(entry))
                except (OSError, ValueError):  # disk full, file gone: memory and sink go on
                    log.exception("cannot stream the transcript; streaming stopped")
                    self._stream = None
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
            return self._dropped + len(self._entries)

    def entries(
        self, since_index: int = 0, instrument: str | None = None
    ) -> list[TranscriptEntry]:
        """Entries from ``since_index`` on (those still kept), optionally of one instrument."""
        with self._lock:
            chosen = self._entries[max(since_index - self._dropped, 0):]
        if instrument is not None:
            chosen = [e for e in chosen if e.instrument == instrument]
        return chosen

    def lines(self, since_index: int = 0, instrument: str | None = None) -> list[str]:
        """``["> VOLT 230", "< +2.30000E+02", ...]`` from ``since_index`` on."""
        return [e.line() for e in self.entries(since_index, instrument)]

    def write(self, path: str | Path) -> Path:
        """Dump the kept entries as text, one a line: ISO time, instrument, direction, message."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for e in self.entries():
                out.write(_format(e))
        return path

    def __len__(self) -> int:
        return self.mark()

    def __iter__(self) -> Iterator[TranscriptEntry]:
        return iter(self.entries())


def _format(e: TranscriptEntry) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(e.time))
    micros = int((e.time % 1) * 1e6)
    return f"{stamp}.{micros:06d} {e.instrument} {e.direction} {e.text}\n"
