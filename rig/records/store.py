"""Writing the record store: a run, its rig and charger, measurements as they happen, logs.

A measurement is committed at once (``add_measurement`` returns after the commit), together
with every log line buffered before it, so a run killed between two measurements keeps the
first with all that led to it. Log lines (SCPI transcript, console, CAN, OCPP) are buffered in
memory between commits because there are many of them; :meth:`RecordStore.flush` writes them
(the plugin flushes at every measurement and at the end of every test).

Thread-safe: the transcript's sink and an OCPP central system call in from their own threads.
"""

from __future__ import annotations

import datetime as dt
import getpass
import math
import numbers
import socket
import threading
import time
import uuid as uuidlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from rig.measure import Measurement
from rig.records import schema as t
from rig.records.engine import RecordsError, create, default_url, safe_url
from rig.records.read import RecordReader
from rig.redact import redact, redact_mapping

#: Run columns ``start_run``/``update_run``/``finish_run`` accept as keywords.
RUN_FIELDS = frozenset(c.name for c in t.runs.columns) - {"id"}
OCPP_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON (PostgreSQL refuses NaN; numpy scalars and dates become text)."""
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return jsonable(obj.item())
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    return str(obj)


def value_columns(value: Any) -> dict[str, Any]:
    """A measured value in the columns that keep its type (bool and text apart from numbers)."""
    if value is None:
        return {"value_kind": "none", "value": None, "text_value": None}
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return {"value_kind": "bool", "value": None, "text_value": "true" if value else "false"}
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isfinite(number):
            return {"value_kind": "number", "value": number, "text_value": None}
        return {"value_kind": "number", "value": None, "text_value": str(number)}
    return {"value_kind": "text", "value": None, "text_value": str(value)}


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _field(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if not isinstance(obj, Mapping) and hasattr(obj, name):
            return getattr(obj, name)
    return default


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container without passwd entry
        return "unknown"


#: Tries at creating the tables of a fresh store that other runs are creating at the same time.
CREATE_ATTEMPTS = 8


class RecordStore(RecordReader):
    """The records of runs in one database (SQLite file or PostgreSQL), by SQLAlchemy URL."""

    #: Buffered log lines that trigger a flush even without a measurement (bounds memory).
    FLUSH_EVERY = 5000

    def __init__(self, url: str | None = None, *, synchronous: str = "NORMAL"):
        self.url = url or default_url()
        self.display_url = safe_url(self.url)
        self.engine = create(self.url, synchronous)
        self._lock = threading.RLock()
        self._pending: dict[sa.Table, list[dict[str, Any]]] = {tb: [] for tb in t.LOG_TABLES}
        self._pending_count = 0
        try:
            self._init_schema()
        except RecordsError:
            self.engine.dispose()
            raise
        except Exception as exc:  # server down, authentication, read-only file, ...
            self.engine.dispose()
            raise RecordsError(f"records store {self.display_url}: cannot open ({_why(exc)})"
                               ) from None

    # ---- schema ------------------------------------------------------------------------------
    def _init_schema(self) -> None:
        # Runs that open a fresh store at once race to create its tables ("already exists"
        # for the losers, table by table): each retry creates only what is still missing.
        for attempt in range(CREATE_ATTEMPTS):
            try:
                t.metadata.create_all(self.engine)
                break
            except SQLAlchemyError:
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
        try:
            found = self._schema_version()
        except IntegrityError:  # another run stamped the fresh store between our read and write
            found = self._schema_version()
        if int(found) > t.SCHEMA_VERSION:
            raise RecordsError(
                f"records store {self.display_url}: written by a newer rig (schema {found}, "
                f"this one reads {t.SCHEMA_VERSION}); update the rig package"
            )
        if int(found) < t.SCHEMA_VERSION:  # only tables were added since: create_all did it
            with self.engine.begin() as conn:
                conn.execute(t.meta.update().where(t.meta.c.key == "schema"),
                             {"value": str(t.SCHEMA_VERSION)})

    def _schema_version(self) -> str:
        """The store's schema version, stamping a fresh store with ours."""
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(t.meta.c.value).where(t.meta.c.key == "schema")
            ).scalar()
            if found is None:
                conn.execute(t.meta.insert(), {"key": "schema", "value": str(t.SCHEMA_VERSION)})
                return str(t.SCHEMA_VERSION)
            return str(found)

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        """One transaction; any database error becomes a RecordsError naming URL and step."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except RecordsError:
            raise
        except SQLAlchemyError as exc:
            raise RecordsError(
                f"records store {self.display_url}: cannot {what} ({_why(exc)})"
            ) from None

    @contextmanager
    def _commit(self, what: str) -> Iterator[Connection]:
        """A transaction that also writes every buffered log line; if it fails, the lines
        stay buffered for the next commit."""
        with self._lock:
            pending, count = self._pending, self._pending_count
            self._pending = {tb: [] for tb in t.LOG_TABLES}
            self._pending_count = 0
            try:
                with self._transaction(what) as conn:
                    for table, rows in pending.items():
                        if rows:
                            conn.execute(table.insert(), rows)
                    yield conn
            except BaseException:
                for table, rows in pending.items():
                    self._pending[table][:0] = rows
                self._pending_count += count
                raise

    # ---- end-of-line station ------------------------------------------------------------------
    def add_eol_attempt(self, **fields: Any) -> int:
        """One attempt of a unit at a station (columns of ``eol_attempts``); its id."""
        with self._transaction("record the unit's attempt") as conn:
            result = conn.execute(t.eol_attempts.insert().values(**fields))
            return int(result.inserted_primary_key[0])

    # ---- runs --------------------------------------------------------------------------------
    def start_run(
        self, *, requirements: Iterable[Mapping[str, Any]] = (), **fields: Any
    ) -> int:
        """Insert a run (status ``running``) and return its id.

        ``fields`` are columns of ``runs`` (plan, catalogue, rig_env, target, place, operator,
        host, command_line, charger_serial, charger_firmware, overrides, profile_file,
        calibration_note, notes, ...); ``started``, ``uuid``, ``host`` and ``operator`` default
        to now, a new UUID, this host and the login name. ``requirements`` (dicts with
        ``id``/``requirement``, title, clause, source, confirm, decision_rule) are the
        catalogue, stored now so an unfinished run still has titles and clauses.
        """
        row = {"started": time.time(), "uuid": str(uuidlib.uuid4()), "host": socket.gethostname(),
               "operator": _login(), "status": "running"}
        row.update(self._run_fields(fields))
        reqs = [self._requirement_row(0, i, r) for i, r in enumerate(requirements)]
        with self._lock, self._transaction("start a run") as conn:
            run_id = int(conn.execute(t.runs.insert(), row).inserted_primary_key[0])
            if reqs:
                for r in reqs:
                    r["run_id"] = run_id
                conn.execute(t.requirements.insert(), reqs)
        return run_id

    def update_run(self, run: int, **fields: Any) -> None:
        """Change columns of a run (the charger's identity once it answers, the rig's target)."""
        values = self._run_fields(fields)
        if values:
            with self._lock, self._transaction("update the run") as conn:
                conn.execute(t.runs.update().where(t.runs.c.id == run), values)

    def finish_run(
        self,
        run: int,
        status: str = "complete",
        summary: Mapping[str, Any] | None = None,
        requirements: Mapping[str, Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> None:
        """Flush the logs, set status and end time, and the final verdict per requirement.

        ``requirements`` maps id -> {verdict, complete, tests, reasons, title, clause, ...} (the
        ``requirements`` of the verdicts file); ids not stored at the start are added.
        """
        if status not in t.RUN_STATUSES:
            raise ValueError(f"status must be one of {', '.join(t.RUN_STATUSES)}, not {status!r}")
        values = {"status": status, "finished": time.time(), **self._run_fields(fields)}
        if summary is not None:
            values["summary"] = jsonable(dict(summary))
        with self._commit("finish the run") as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run), values)
            if requirements:
                self._final_requirements(conn, run, requirements)

    def _final_requirements(
        self, conn: Connection, run: int, requirements: Mapping[str, Mapping[str, Any]]
    ) -> None:
        known = set(conn.execute(
            sa.select(t.requirements.c.requirement).where(t.requirements.c.run_id == run)
        ).scalars())
        position = len(known)
        for rid, info in requirements.items():
            row = self._requirement_row(run, position, {**info, "id": rid})
            if rid in known:
                final = {k: row[k] for k in ("verdict", "complete", "tests", "reasons")}
                conn.execute(
                    t.requirements.update().where(
                        (t.requirements.c.run_id == run) & (t.requirements.c.requirement == rid)
                    ),
                    final,
                )
            else:
                conn.execute(t.requirements.insert(), row)
                position += 1

    @staticmethod
    def _run_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - RUN_FIELDS
        if unknown:
            raise TypeError(f"unknown run field(s): {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(RUN_FIELDS))})")
        out = dict(fields)
        for key in ("command_line", "rig_env", "profile_file", "calibration_note"):
            if isinstance(out.get(key), str):  # a password typed into a URL is never stored
                out[key] = redact(out[key])
        if isinstance(out.get("overrides"), dict):
            out["overrides"] = redact_mapping(out["overrides"])
        if isinstance(out.get("notes"), list):
            out["notes"] = [redact(n) if isinstance(n, str) else n for n in out["notes"]]
        for key in ("overrides", "notes", "summary"):
            if key in out and out[key] is not None:
                out[key] = jsonable(out[key])
        if "status" in out and out["status"] not in t.RUN_STATUSES:
            raise ValueError(f"status must be one of {', '.join(t.RUN_STATUSES)}")
        return out

    @staticmethod
    def _requirement_row(run: int, position: int, info: Mapping[str, Any]) -> dict[str, Any]:
        verdict = info.get("verdict")
        return {
            "run_id": run,
            "requirement": str(info.get("id") or info["requirement"]),
            "position": position,
            "title": info.get("title"),
            "clause": info.get("clause"),
            "source": info.get("source"),
            "confirm": info.get("confirm"),
            "decision_rule": info.get("decision_rule"),
            "verdict": str(verdict) if verdict is not None else None,
            "complete": info.get("complete"),
            "tests": jsonable(info.get("tests")),
            "reasons": jsonable(info.get("reasons")),
        }

    # ---- the rig -----------------------------------------------------------------------------
    def add_instruments(self, run: int, instruments: Mapping[str, Mapping[str, Any]]) -> None:
        """The rig's instruments by role (``describe()`` of the rig session): model, resource,
        IDN vendor/model/serial/firmware, calibration due date, accuracy. Replaces a role
        already stored for this run."""
        rows = [
            {
                "run_id": run,
                "role": role,
                "model": info.get("model"),
                "resource": info.get("resource"),
                "vendor": info.get("vendor"),
                "idn_model": info.get("idn_model"),
                "serial": info.get("serial"),
                "firmware": info.get("firmware"),
                "calibration_due": _date(info.get("calibration_due")),
                "accuracy": jsonable(info.get("accuracy")),
                "idn_error": info.get("idn_error"),
            }
            for role, info in instruments.items()
        ]
        if not rows:
            return
        with self._lock, self._transaction("store the instruments") as conn:
            conn.execute(t.instruments.delete().where(
                (t.instruments.c.run_id == run) & t.instruments.c.role.in_(list(instruments))
            ))
            conn.execute(t.instruments.insert(), rows)

    # ---- measurements and outcomes (committed at once) ---------------------------------------
    def add_measurement(self, run: int, m: Measurement) -> int:
        """Commit one measurement (and every buffered log line before it); return its id."""
        row = {
            "run_id": run,
            "requirement": m.requirement,
            "name": m.name,
            **value_columns(m.value),
            "unit": m.unit,
            "low": m.limit.low,
            "high": m.limit.high,
            "expected": jsonable(m.limit.equals),
            "uncertainty": m.uncertainty,
            "decision_rule": m.rule,
            "verdict": str(m.verdict),
            "bench_time": m.bench_time,
            "wall_time": m.wall_time,
            "test": m.test or None,
            "note": m.note or None,
            "data": jsonable(m.data) if m.data else None,
        }
        with self._commit(f"store a measurement of {m.requirement}") as conn:
            return int(conn.execute(t.measurements.insert(), row).inserted_primary_key[0])

    def add_outcome(
        self,
        run: int,
        requirement: str,
        verdict: str,
        reason: str = "",
        test: str = "",
        wall_time: float | None = None,
    ) -> None:
        """Commit a verdict that comes from the test's outcome (ERROR, NOT_RUN) with why."""
        row = {"run_id": run, "requirement": requirement, "verdict": str(verdict),
               "reason": reason or None, "test": test or None,
               "wall_time": time.time() if wall_time is None else wall_time}
        with self._commit(f"store an outcome of {requirement}") as conn:
            conn.execute(t.outcomes.insert(), row)

    def add_artefact(
        self,
        run: int,
        name: str,
        content: bytes | str,
        mime_type: str = "application/octet-stream",
        *,
        requirement: str | None = None,
        test: str | None = None,
    ) -> int:
        """Commit a file of the run (a plot, a trace); text is stored as UTF-8."""
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        row = {"run_id": run, "requirement": requirement, "test": test, "name": name,
               "mime_type": mime_type, "size": len(data), "content": data,
               "created": time.time()}
        with self._commit(f"store the artefact {name!r}") as conn:
            return int(conn.execute(t.artefacts.insert(), row).inserted_primary_key[0])

    # ---- logs (buffered until the next commit or flush) --------------------------------------
    def add_transcript_lines(self, run: int, entries: Iterable[Any]) -> None:
        """SCPI exchanges: ``TranscriptEntry`` objects or (time, instrument, direction, text)."""
        rows = []
        for e in entries:
            wall, inst, direction, text = (
                (e.time, e.instrument, e.direction, e.text) if hasattr(e, "instrument") else e
            )
            rows.append({"run_id": run, "wall_time": wall, "instrument": inst,
                         "direction": direction, "text": text})
        self._buffer(t.transcripts, rows)

    def add_console_lines(
        self, run: int, lines: Iterable[tuple[float, str, str]], console: str = "console"
    ) -> None:
        """Console lines as ``ConsoleLog.lines`` has them: (wall time, direction, line)."""
        self._buffer(t.console_log, [
            {"run_id": run, "wall_time": wall, "console": console, "direction": d, "line": line}
            for wall, d, line in lines
        ])

    def add_can_frames(
        self, run: int, frames: Iterable[tuple[float, int, bytes]], bus: str = "can"
    ) -> None:
        """CAN frames as ``ChargerCan.log`` has them: (wall time, arbitration id, data)."""
        self._buffer(t.can_log, [
            {"run_id": run, "wall_time": wall, "bus": bus, "arbitration_id": int(ident),
             "data": bytes(data)}
            for wall, ident, data in frames
        ])

    def add_ocpp_messages(self, run: int, messages: Iterable[Any]) -> None:
        """OCPP-J messages: mappings or objects with wall_time (or time), direction,
        charge_point, message_type (CALL/CALLRESULT/CALLERROR or 2/3/4), action, unique_id,
        payload; a bare OCPP-J array ``[2, id, action, payload]`` is understood too."""
        self._buffer(t.ocpp_log, [ocpp_row(run, m) for m in messages])

    def _buffer(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self._lock:
            self._pending[table].extend(rows)
            self._pending_count += len(rows)
            if self._pending_count >= self.FLUSH_EVERY:
                self.flush()

    def flush(self) -> None:
        """Commit every buffered log line."""
        with self._lock:
            if self._pending_count:
                with self._commit("store log lines"):
                    pass

    def close(self) -> None:
        """Flush and release the connections (the store can be opened again later)."""
        try:
            self.flush()
        finally:
            self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ocpp_row(run: int, m: Any) -> dict[str, Any]:
    """One OCPP message as a row of ``ocpp_log``."""
    if isinstance(m, list | tuple):  # a bare OCPP-J frame
        m = _ocpp_frame(m)
    kind = _field(m, "message_type", "message_type_id", "type")
    kind = OCPP_TYPES.get(kind, kind) if isinstance(kind, int) else kind
    action = _field(m, "action")
    wall = _field(m, "wall_time", "time", "timestamp")
    if isinstance(wall, dt.datetime):
        wall = wall.timestamp()
    cp = _field(m, "charge_point", "charge_point_id", "cp_id")
    return {
        "run_id": run,
        "wall_time": float(wall) if wall is not None else time.time(),
        "direction": _field(m, "direction"),
        "charge_point": str(cp) if cp is not None else None,
        "message_type": str(kind) if kind is not None else None,
        "action": str(action) if action is not None else None,
        "unique_id": str(_field(m, "unique_id", "message_id", "id", default="")) or None,
        "payload": jsonable(_field(m, "payload")),
    }


def _ocpp_frame(frame: list | tuple) -> dict[str, Any]:
    kind = frame[0] if frame else None
    if kind == 2 and len(frame) >= 4:
        return {"message_type": 2, "unique_id": frame[1], "action": frame[2],
                "payload": frame[3]}
    if kind == 3 and len(frame) >= 3:
        return {"message_type": 3, "unique_id": frame[1], "payload": frame[2]}
    if kind == 4 and len(frame) >= 3:
        return {"message_type": 4, "unique_id": frame[1], "payload": list(frame[2:])}
    return {"payload": list(frame)}


def _why(exc: BaseException) -> str:
    """The driver's own message (first line), without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["RecordStore", "RecordsError", "jsonable", "ocpp_row", "value_columns"]
