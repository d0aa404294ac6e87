"""Following one run into the store: the verdict book's listener, the transcript's sink, and
the charger's console, CAN and OCPP logs.

Pytest-free on purpose (the plugin, a factory script and the benchmark use it alike). What is
written when:

* a measurement or an outcome: at once, in one commit with every log line gathered before it
  (the console, CAN and OCPP logs are pulled first, the transcript arrives by its sink);
* :meth:`RunRecorder.flush`: the logs so far (the plugin calls it after every test);
* :meth:`RunRecorder.finish`: the last logs, status, end time, summary, final verdicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rig.measure import Measurement, Verdict
from rig.records.store import RecordStore


class RunRecorder:
    """One run of a :class:`RecordStore`; a ``VerdictBook`` listener."""

    def __init__(self, store: RecordStore, run_id: int):
        self.store = store
        self.run_id = run_id
        self._sources: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # ---- VerdictBook listener ----------------------------------------------------------------
    def measurement(self, m: Measurement) -> None:
        self.pull()
        self.store.add_measurement(self.run_id, m)

    def outcome(self, requirement: str, verdict: Verdict, reason: str, test: str = "") -> None:
        self.pull()
        self.store.add_outcome(self.run_id, requirement, str(verdict), reason, test)

    # ---- logs --------------------------------------------------------------------------------
    def transcript_sink(self, entry: Any) -> None:
        """For ``Transcript.sink``: buffers one SCPI exchange."""
        self.store.add_transcript_lines(self.run_id, [entry])

    def follow_console(self, console: Any) -> None:
        """Store what crosses a ``ChargerConsole`` (its ``log.lines``) from now on."""
        name = getattr(console, "name", "console")
        self._follow(lambda: console.log.lines,
                     lambda new: self.store.add_console_lines(self.run_id, new, console=name))

    def follow_can(self, can: Any) -> None:
        """Store the frames a ``ChargerCan`` received (its ``log``)."""
        name = getattr(can, "name", "can")
        self._follow(lambda: can.log,
                     lambda new: self.store.add_can_frames(self.run_id, new, bus=name))

    def follow_ocpp(self, csms: Any) -> None:
        """Store every message of an OCPP central system (``rig.dut.ocpp.CentralSystem``, or
        the ``csms`` fixture's handle of one): its ``messages(since=n)``, oldest first."""
        server = getattr(csms, "server", csms)  # the whole log, every charge point
        seen = 0

        def pull() -> None:
            nonlocal seen
            new = list(server.messages(since=seen))
            seen += len(new)
            if new:
                self.store.add_ocpp_messages(self.run_id, new)

        with self._lock:
            self._sources.append(pull)

    def _follow(self, read: Callable[[], Sequence[Any]],
                store: Callable[[list[Any]], None]) -> None:
        seen = 0

        def pull() -> None:
            nonlocal seen
            items = read()
            if len(items) < seen:  # the log was cleared: start over
                seen = 0
            new = list(items[seen:])
            seen += len(new)
            if new:
                store(new)

        with self._lock:
            self._sources.append(pull)

    def pull(self) -> None:
        """Gather new console, CAN and OCPP lines into the store's buffer."""
        with self._lock:
            for source in self._sources:
                source()

    def flush(self) -> None:
        """Commit every log line so far."""
        self.pull()
        self.store.flush()

    # ---- the rest of the run -----------------------------------------------------------------
    def artefact(self, name: str, content: bytes | str, mime_type: str = "text/plain", *,
                 requirement: str | None = None, test: str | None = None) -> int:
        self.pull()
        return self.store.add_artefact(self.run_id, name, content, mime_type,
                                       requirement=requirement, test=test)

    def update(self, **fields: Any) -> None:
        self.store.update_run(self.run_id, **fields)

    def finish(self, status: str, summary: Mapping[str, Any] | None = None,
               requirements: Mapping[str, Mapping[str, Any]] | None = None,
               **fields: Any) -> None:
        self.pull()
        self.store.finish_run(self.run_id, status, summary, requirements, **fields)
