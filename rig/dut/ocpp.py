"""The rig's OCPP 1.6J central system: the backend the charger under test talks to.

A charger's OCPP behaviour can only be tested against a central system the rig controls: it
answers the charger (boot accepted, transactions numbered, tags refused on purpose), records
every frame in both directions with the charger's schema violations, and sends the charger
commands (remote start, charging profiles, reset). Built on the ``ocpp`` package (messages,
routing, the OCPP 1.6J JSON schemas) and a ``websockets`` server running in its own thread with
its own event loop, so plans and fixtures use it through a plain synchronous API.

Waiting: frames cross the websocket in wall time. On the emulated bench with the virtual clock
the charger only does something when rig time passes, so a plan waits with its ``clock``
(``clock.wait_until(lambda: csms.find("StartTransaction", since=mark))``); the ``wait_for``
helpers here wait in wall time, for frames that are already on their way.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import datetime as dt
import hmac
import itertools
import json
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import websockets
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.exceptions import NotSupportedError, OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType, unpack, validate_payload
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import Server, ServerConnection, serve

from rig.errors import ChargerLinkError

log = logging.getLogger("rig.ocpp")

SUBPROTOCOL = "ocpp1.6"
IN, OUT = "in", "out"
#: How long a connected charge point has to answer a ping when a second connection asks to be
#: it, s (wall time): a live one keeps its session, a dead one is replaced.
ALIVE_CHECK_S = 1.0
#: Charging profile ids the helpers use, one per purpose: setting a purpose again replaces it.
PROFILE_IDS = {"ChargePointMaxProfile": 1, "TxDefaultProfile": 2, "TxProfile": 3}


class OcppCallError(Exception):
    """The charger answered a CALL of the central system with a CALLERROR (or an answer that
    does not fit the action). Not a link problem: the charger said no."""

    def __init__(self, action: str, code: str, description: str, details: Any = None):
        self.action, self.code, self.description, self.details = action, code, description, details
        super().__init__(f"{action}: CALLERROR {code}: {description}")


@dataclass(frozen=True)
class OcppMessage:
    """One OCPP-J frame as it crossed the websocket."""

    index: int  #: position in the central system's log (``mark()`` / ``since``)
    time: float  #: wall time (``time.time()``) it was received or sent
    cp_id: str
    direction: str  #: ``"in"`` (from the charger) or ``"out"`` (to the charger)
    message_type: int  #: 2 CALL, 3 CALLRESULT, 4 CALLERROR (0: not an OCPP-J frame)
    unique_id: str
    action: str | None  #: for results: the action of the CALL they answer (None if unknown)
    payload: dict[str, Any]  #: CALLERROR: errorCode, errorDescription, errorDetails
    raw: str = field(repr=False)


@dataclass(frozen=True)
class OcppIntruder:
    """A websocket refused as a charge point: the charger was connected (and answered), or the
    password was missing or wrong (security profiles 1 and 2)."""

    time: float  #: wall time (``time.time()``)
    cp_id: str
    peer: str  #: ``host:port`` of the refused client
    reason: str  #: ``the charger is connected from 127.0.0.1:40312``, ``wrong password``, ...


@dataclass
class OcppTransaction:
    """A StartTransaction paired with its StopTransaction (``stop`` fields None while it runs)."""

    transaction_id: int
    id_tag: str
    meter_start: int
    start_time: str
    meter_stop: int | None = None
    stop_time: str | None = None
    reason: str | None = None


def _basic_credentials(header: str) -> tuple[str | None, str]:
    """(user, password) of an HTTP ``Authorization: Basic ...`` header; (None, "") if none."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None, ""
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, ""
    return (user, password) if sep else (None, "")


def _peer(connection: ServerConnection) -> str:
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if address else "unknown"


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds, as OCPP wants it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cause(exc: OCPPError) -> str:
    details = exc.details if isinstance(exc.details, dict) else {}
    return f"{exc.code}: {details.get('cause') or exc.description}"


def _frame_fields(frame: Any) -> tuple[int, str, str | None, dict[str, Any]]:
    """(type, unique id, action if a CALL, payload) of a decoded frame, tolerating junk."""
    if not isinstance(frame, list) or not frame:
        return 0, "", None, {}
    kind = frame[0] if isinstance(frame[0], int) and not isinstance(frame[0], bool) else 0
    uid = str(frame[1]) if len(frame) > 1 else ""
    if kind == MessageType.Call and len(frame) > 3:
        payload = frame[3] if isinstance(frame[3], dict) else {}
        return kind, uid, str(frame[2]), payload
    if kind == MessageType.CallResult and len(frame) > 2:
        return kind, uid, None, frame[2] if isinstance(frame[2], dict) else {}
    if kind == MessageType.CallError and len(frame) > 3:
        details = frame[4] if len(frame) > 4 else {}
        return kind, uid, None, {
            "errorCode": frame[2], "errorDescription": frame[3], "errorDetails": details
        }
    return kind, uid, None, {}


async def _checked_call(session: ChargePoint, payload: Any) -> Any:
    """Check our own request against the schema (a wrong request is the test's bug: ValueError),
    then send it; the answer is checked where every frame is (``route_message``)."""
    action = type(payload).__name__
    body = remove_nones(snake_to_camel_case(serialize_as_dict(payload)))
    try:
        await validate_payload(Call("-", action, json.loads(json.dumps(body))), "1.6")
    except OCPPError as exc:
        raise ValueError(f"{action} does not fit the OCPP 1.6 schema: {_cause(exc)}") from None
    return await session.call(payload, suppress=False, skip_schema_validation=True)


class _ChargePointSession(ChargePoint):
    """The central system's side of one charger's websocket: routes, records, answers."""

    def __init__(self, cp_id: str, connection: ServerConnection, csms: CentralSystem):
        super().__init__(cp_id, connection, response_timeout=3600, logger=log)
        self.csms = csms
        #: unique id -> action, of CALLs in each direction whose result has not come yet
        self.calls_out: dict[str, str] = {}
        self.calls_in: dict[str, str] = {}

    # ---- every frame passes here: record, check, route ----------------------------------
    async def route_message(self, raw_msg: Any) -> None:
        raw = raw_msg if isinstance(raw_msg, str) else bytes(raw_msg).decode("utf-8", "replace")
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        kind, uid, action, _ = _frame_fields(frame)
        if kind in (MessageType.CallResult, MessageType.CallError):
            action = self.calls_out.pop(uid, None)
        elif kind == MessageType.Call:
            self.calls_in[uid] = action or ""
        rec = self.csms._record(self.id, IN, raw, frame, action)
        try:
            msg = unpack(raw)
        except OCPPError as exc:
            self.csms._violation(rec, f"malformed frame: {_cause(exc)}")
            return
        if not isinstance(frame[1], str) or not 0 < len(frame[1]) <= 36:
            # OCPP-J: the unique id is a string of at most 36 characters; a frame without
            # one cannot be answered (the answer could not name it)
            self.csms._violation(
                rec, f"malformed frame: FormatViolation: unique id {frame[1]!r} is not a "
                "string of 1-36 characters")
            return
        if kind == MessageType.Call:
            await self._route_call(msg, rec)
            return
        if action is None:
            self.csms._violation(rec, f"a result for no CALL of the central system ({uid})")
            return
        if kind == MessageType.CallResult:
            await self._check_result(msg, rec)
        self._response_queue.put_nowait(msg)

    async def _route_call(self, msg: Call, rec: OcppMessage) -> None:
        """Schema-check the charger's request first: a violation is recorded and answered with
        a CALLERROR, and never reaches a handler."""
        try:
            if msg.action not in self.route_map:
                Action(msg.action)  # ValueError: not an OCPP 1.6 action at all
                raise OcppNotImplemented(details={"cause": f"no handler for {msg.action}"})
            await validate_payload(Call(msg.unique_id, msg.action, dict(msg.payload)), "1.6")
        except ValueError:
            error: OCPPError = NotSupportedError(
                details={"cause": f"{msg.action} is not an OCPP 1.6 action"})
            self.csms._violation(rec, _cause(error))
            await self._send(msg.create_call_error(error).to_json())
            return
        except OcppNotImplemented as exc:
            await self._send(msg.create_call_error(exc).to_json())
            return
        except OCPPError as exc:
            self.csms._violation(rec, f"{msg.action}: {_cause(exc)}")
            details = {"cause": str((exc.details or {}).get("cause", exc.description))}
            await self._send(CallError(msg.unique_id, exc.code, exc.description,
                                       details).to_json())
            return
        try:
            await self._handle_call(msg)
        except OCPPError as exc:  # our own answer did not fit the schema: a rig bug, say so
            log.error("%s: answer to %s rejected by the schema: %s", self.id, msg.action, exc)
            await self._send(msg.create_call_error(exc).to_json())

    async def _check_result(self, msg: CallResult, rec: OcppMessage) -> None:
        try:
            await validate_payload(CallResult(msg.unique_id, dict(msg.payload), rec.action),
                                   "1.6")
        except OCPPError as exc:
            self.csms._violation(rec, f"{rec.action} result: {_cause(exc)}")

    async def _send(self, message: str) -> None:
        try:
            frame = json.loads(message)
        except ValueError:
            frame = None
        kind, uid, action, _ = _frame_fields(frame)
        if kind == MessageType.Call:
            self.calls_out[uid] = action or ""
        elif kind in (MessageType.CallResult, MessageType.CallError):
            action = self.calls_in.pop(uid, None)
        self.csms._record(self.id, OUT, message, frame, action)
        await self._connection.send(message)

    # ---- handlers of what a charge point sends ------------------------------------------
    def _tag_info(self, id_tag: str) -> dict[str, str]:
        refused = id_tag in self.csms.refused_tags
        return {"status": "Invalid" if refused else "Accepted"}

    @on(Action.boot_notification)
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=utc_now(), interval=self.csms.heartbeat_interval,
            status=self.csms.boot_status,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=utc_now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=self._tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start_transaction(self, id_tag: str, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=self.csms._next_transaction_id(), id_tag_info=self._tag_info(id_tag)
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, **_: Any) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, **_: Any) -> call_result.DiagnosticsStatusNotification:
        return call_result.DiagnosticsStatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(self, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="Accepted")


class CentralSystem:
    """The rig's OCPP 1.6J central system (websocket server on ``host:port``).

    ``port=0`` picks a free port (``.port`` is the real one after ``start()``). Charge points
    connect to ``url(cp_id)``; the last path segment is the charge point id.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval: int = 300,
        refused_tags: Iterable[str] = (),
        timeout_s: float = 10.0,
        passwords: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.host = host
        self.port = port
        #: Security profile 1: each charge point's basic-auth password (its AuthorizationKey);
        #: None: no authentication (profile 0). A charge point not listed cannot connect.
        self.passwords = dict(passwords) if passwords is not None else None
        #: Security profile 2: TLS with this context (its certificate chain); URLs are wss://.
        self.ssl_context = ssl_context
        #: What BootNotification answers: the heartbeat interval and the registration status.
        self.heartbeat_interval = heartbeat_interval
        self.boot_status = "Accepted"
        #: idTags Authorize/StartTransaction answer with ``Invalid``.
        self.refused_tags: set[str] = set(refused_tags)
        #: False: off the network for the charge points (``set_reachable``): every websocket
        #: is closed and new ones are refused with 503, as when the backend is down.
        self.reachable = True
        self.timeout_s = timeout_s
        #: Schema violations and malformed frames of the charger: (message, what is wrong).
        self.violations: list[tuple[OcppMessage, str]] = []
        #: Second connections refused for a charge point that was connected and alive.
        self.intruders: list[OcppIntruder] = []
        self._log: list[OcppMessage] = []
        self._changed = threading.Condition()
        self._sessions: dict[str, _ChargePointSession] = {}
        self._tx_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._closing: asyncio.Event | None = None

    # ---- life cycle ----------------------------------------------------------------------
    def start(self) -> CentralSystem:
        """Listen (returns once the port is open); a second start does nothing."""
        if self._thread is not None:
            return self
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="csms",
                                        daemon=True)
        self._thread.start()
        try:
            ready.result(timeout=10)
        except Exception:
            self._thread.join(timeout=2)
            self._thread = None
            raise
        log.info("OCPP central system listening on ws://%s:%d/", self.host, self.port)
        return self

    def stop(self) -> None:
        """Close every charge point's websocket and the server; join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and self._closing is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already gone
                loop.call_soon_threadsafe(self._closing.set)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> CentralSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready))
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                log.exception("OCPP central system stopped")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        self._closing = asyncio.Event()
        self._server = await serve(
            self._connection, self.host, self.port, subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            process_request=self._check_path, logger=log, ssl=self.ssl_context,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set_result(None)
        await self._closing.wait()
        self._server.close()
        await self._server.wait_closed()

    @staticmethod
    def _cp_id(path: str) -> str:
        segment = urllib.parse.urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
        return urllib.parse.unquote(segment)

    async def _check_path(self, connection: ServerConnection, request: Any) -> Any:
        if not self.reachable:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "central system down\n")
        cp_id = self._cp_id(request.path)
        if not cp_id:
            return connection.respond(HTTPStatus.NOT_FOUND, "no charge point id in the path\n")
        refused = self._check_password(connection, request, cp_id)
        if refused is not None:
            return refused
        return await self._refuse_second(connection, cp_id)

    def _check_password(self, connection: ServerConnection, request: Any, cp_id: str) -> Any:
        """Security profiles 1 and 2: HTTP basic auth, user the charge point id, password its
        AuthorizationKey. A refusal is 401 and recorded in :attr:`intruders`."""
        if self.passwords is None:
            return None
        header = request.headers.get("Authorization", "")
        user, password = _basic_credentials(header)
        expected = self.passwords.get(cp_id)
        if user is None:
            reason = "no password"
        elif user != cp_id or expected is None or not hmac.compare_digest(
            password.encode(), expected.encode()
        ):
            reason = "wrong user or password"
        else:
            return None
        self._intruder(OcppIntruder(time.time(), cp_id, _peer(connection), reason))
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "basic authentication failed\n")
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

    def _intruder(self, intruder: OcppIntruder) -> None:
        with self._changed:
            self.intruders.append(intruder)
            self._changed.notify_all()
        log.error("%s: connection from %s refused: %s", intruder.cp_id, intruder.peer,
                  intruder.reason)

    async def _refuse_second(self, connection: ServerConnection, cp_id: str) -> Any:
        """A second websocket for a charge point that is connected does not take its session
        over: 409 Conflict, recorded in :attr:`intruders`. Unless the connected one is dead (a
        charger that lost power and came back before its old TCP connection timed out): it
        gets a ping, and without a pong within :data:`ALIVE_CHECK_S` the newcomer replaces it."""
        with self._changed:
            existing = self._sessions.get(cp_id)
        if existing is None:
            return None
        try:
            pong = await existing._connection.ping()
            await asyncio.wait_for(pong, ALIVE_CHECK_S)
        except (TimeoutError, websockets.ConnectionClosed, RuntimeError):
            log.warning("%s: a new connection from %s replaces one that no longer answers",
                        cp_id, _peer(connection))
            return None
        self._intruder(OcppIntruder(
            time.time(), cp_id, _peer(connection),
            f"the charger is connected from {_peer(existing._connection)}"))
        return connection.respond(
            HTTPStatus.CONFLICT, f"charge point {cp_id} is already connected\n")

    async def _connection(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        cp_id = self._cp_id(connection.request.path)
        session = _ChargePointSession(cp_id, connection, self)
        with self._changed:
            self._sessions[cp_id] = session  # a reconnecting charger replaces its old socket
            self._changed.notify_all()
        log.info("%s connected", cp_id)
        try:
            await session.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            with self._changed:
                if self._sessions.get(cp_id) is session:
                    del self._sessions[cp_id]
                self._changed.notify_all()
            log.info("%s disconnected", cp_id)

    # ---- addresses and connections ----------------------------------------------------------
    def url(self, charge_point_id: str) -> str:
        """Where a charge point connects: ``ws://host:port/<id>`` (``wss://`` with TLS)."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{self.host}:{self.port}/{urllib.parse.quote(charge_point_id)}"

    def set_reachable(self, reachable: bool) -> None:
        """Off (False): close every charge point's websocket and refuse new ones (503) until
        on again; what a charger sees of a backend that went down. Waits until closed."""
        self.reachable = reachable
        if reachable or self._loop is None:
            return
        with self._changed:
            sessions = list(self._sessions.values())
        for session in sessions:
            future = asyncio.run_coroutine_threadsafe(session._connection.close(), self._loop)
            with contextlib.suppress(Exception):
                future.result(timeout=self.timeout_s)
        self.wait_until(lambda: not self._sessions, self.timeout_s)

    def charge_points(self) -> list[str]:
        """Ids of the charge points connected now."""
        with self._changed:
            return sorted(self._sessions)

    def is_connected(self, cp_id: str) -> bool:
        with self._changed:
            return cp_id in self._sessions

    def wait_connected(self, cp_id: str, timeout: float = 5.0) -> bool:
        """Wait (wall time) until ``cp_id`` is connected."""
        return self.wait_until(lambda: self.is_connected(cp_id), timeout)

    # ---- the message log -----------------------------------------------------------------
    def _record(
        self, cp_id: str, direction: str, raw: str, frame: Any, action: str | None
    ) -> OcppMessage:
        kind, uid, call_action, payload = _frame_fields(frame)
        with self._changed:
            msg = OcppMessage(len(self._log), time.time(), cp_id, direction, kind, uid,
                              call_action if kind == MessageType.Call else action, payload, raw)
            self._log.append(msg)
            self._changed.notify_all()
        log.debug("%s %s %s", cp_id, "<-" if direction == IN else "->", raw)
        return msg

    def _violation(self, msg: OcppMessage, error: str) -> None:
        log.warning("%s: OCPP violation: %s (%s)", msg.cp_id, error, msg.raw[:200])
        with self._changed:
            self.violations.append((msg, error))
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait (wall time) until ``predicate()`` is truthy (re-checked on every message)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                remaining = deadline - time.monotonic()
                if value or remaining <= 0:
                    return value
                self._changed.wait(min(remaining, 0.1))

    def mark(self) -> int:
        """A position in the log: pass it as ``since`` to see only what came after."""
        with self._changed:
            return len(self._log)

    def messages(
        self,
        action: str | None = None,
        direction: str | None = None,
        since: int = 0,
        cp_id: str | None = None,
    ) -> list[OcppMessage]:
        """Recorded messages, oldest first, filtered by action, direction, charge point."""
        with self._changed:
            selected = self._log[since:]
        return [
            m for m in selected
            if (action is None or m.action == action)
            and (direction is None or m.direction == direction)
            and (cp_id is None or m.cp_id == cp_id)
        ]

    def find(
        self,
        action: str,
        since: int = 0,
        where: Callable[[OcppMessage], bool] | None = None,
        direction: str | None = IN,
        message_type: int | None = MessageType.Call,
        cp_id: str | None = None,
    ) -> OcppMessage | None:
        """The first message of ``action`` since ``since`` for which ``where`` holds; by
        default the charger's CALL (``direction="in"``, ``message_type=2``)."""
        for msg in self.messages(action, direction, since, cp_id):
            if message_type is not None and msg.message_type != message_type:
                continue
            if where is None or where(msg):
                return msg
        return None

    def wait_for(
        self,
        action: str,
        since: int = 0,
        where: Callable[[OcppMessage], bool] | None = None,
        timeout: float = 5.0,
        **filters: Any,
    ) -> OcppMessage | None:
        """``find`` until it finds something or ``timeout`` s of WALL time pass (for frames
        already on their way; a plan waits for the charger with its rig clock instead)."""
        return self.wait_until(lambda: self.find(action, since, where, **filters), timeout)

    # ---- what the log says -----------------------------------------------------------------
    def last_status(
        self, cp_id: str, connector_id: int | None = None
    ) -> tuple[str, str] | None:
        """(status, errorCode) of the charger's latest valid StatusNotification."""
        with self._changed:
            invalid = {m.index for m, _ in self.violations}
        for msg in reversed(self.messages("StatusNotification", IN, cp_id=cp_id)):
            p = msg.payload
            if msg.message_type != MessageType.Call or msg.index in invalid:
                continue
            if connector_id is None or p.get("connectorId") == connector_id:
                return str(p.get("status")), str(p.get("errorCode"))
        return None

    def transactions(self, cp_id: str) -> list[OcppTransaction]:
        """Every StartTransaction the central system numbered, with its StopTransaction."""
        log_ = self.messages(cp_id=cp_id)
        starts = {m.unique_id: m for m in log_
                  if m.direction == IN and m.message_type == MessageType.Call
                  and m.action == "StartTransaction"}
        out: dict[int, OcppTransaction] = {}
        for m in log_:
            if (m.direction == OUT and m.message_type == MessageType.CallResult
                    and m.action == "StartTransaction" and m.unique_id in starts):
                req = starts[m.unique_id].payload
                tid = int(m.payload.get("transactionId", 0))
                out[tid] = OcppTransaction(tid, str(req.get("idTag")), req.get("meterStart", 0),
                                           str(req.get("timestamp")))
            elif (m.direction == IN and m.message_type == MessageType.Call
                  and m.action == "StopTransaction"):
                tx = out.get(m.payload.get("transactionId"))  # type: ignore[arg-type]
                if tx is not None and tx.meter_stop is None:
                    tx.meter_stop = m.payload.get("meterStop")
                    tx.stop_time = m.payload.get("timestamp")
                    tx.reason = m.payload.get("reason")
        return list(out.values())

    def _next_transaction_id(self) -> int:
        return next(self._tx_ids)

    # ---- commands to a charger (synchronous, for tests) ----------------------------------
    def call(self, cp_id: str, payload: Any, timeout: float | None = None) -> Any:
        """Send ``payload`` (an ``ocpp.v16.call`` message) to ``cp_id``; return its
        ``call_result``. CALLERROR -> :class:`OcppCallError`; no connection or no answer
        within ``timeout`` s (wall time) -> ``ChargerLinkError``."""
        timeout = self.timeout_s if timeout is None else timeout
        action = type(payload).__name__
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            raise ChargerLinkError("the OCPP central system is not running (or called from "
                                   "its own thread)")
        with self._changed:
            session = self._sessions.get(cp_id)
        if session is None:
            raise ChargerLinkError(
                f"OCPP: charge point '{cp_id}' is not connected "
                f"(connected: {', '.join(self.charge_points()) or 'none'})")
        future = asyncio.run_coroutine_threadsafe(_checked_call(session, payload), loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise ChargerLinkError(
                f"OCPP: {cp_id} did not answer {action} within {timeout:g} s") from None
        except websockets.ConnectionClosed as exc:
            raise ChargerLinkError(f"OCPP: {cp_id} disconnected during {action}: {exc}") from None
        except OCPPError as exc:
            raise OcppCallError(action, exc.code, exc.description, exc.details) from None
        except TypeError as exc:  # a result with fields the action does not have
            raise OcppCallError(action, "FormatViolation", f"answer does not fit: {exc}") from None

    def remote_start(self, cp_id: str, id_tag: str, connector_id: int | None = 1) -> str:
        """RemoteStartTransaction; returns the status (``Accepted``/``Rejected``)."""
        return self.call(cp_id, call.RemoteStartTransaction(
            id_tag=id_tag, connector_id=connector_id)).status

    def remote_stop(self, cp_id: str, transaction_id: int) -> str:
        return self.call(cp_id, call.RemoteStopTransaction(transaction_id=transaction_id)).status

    def set_charging_profile(
        self,
        cp_id: str,
        limit_a: float,
        purpose: str = "TxDefaultProfile",
        transaction_id: int | None = None,
        stack_level: int = 0,
    ) -> str:
        """A one-period current limit (A) of ``purpose``; the same purpose again replaces it.

        ChargePointMaxProfile goes to connector 0 as an Absolute schedule starting now; the
        others to connector 1 as Relative schedules (no clock shared with the charger needed).
        """
        absolute = purpose == "ChargePointMaxProfile"
        schedule: dict[str, Any] = {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": round(float(limit_a), 1)}],
        }
        if absolute:
            schedule["startSchedule"] = utc_now()
        profile: dict[str, Any] = {
            "chargingProfileId": PROFILE_IDS.get(purpose, 9),
            "stackLevel": stack_level,
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Absolute" if absolute else "Relative",
            "chargingSchedule": schedule,
        }
        if transaction_id is not None:
            profile["transactionId"] = transaction_id
        return self.call(cp_id, call.SetChargingProfile(
            connector_id=0 if absolute else 1, cs_charging_profiles=profile)).status

    def clear_charging_profile(
        self, cp_id: str, purpose: str | None = None, profile_id: int | None = None
    ) -> str:
        """ClearChargingProfile (all of them unless ``purpose``/``profile_id`` narrow it)."""
        return self.call(cp_id, call.ClearChargingProfile(
            id=profile_id, charging_profile_purpose=purpose)).status

    def change_availability(self, cp_id: str, operative: bool, connector_id: int = 0) -> str:
        kind = "Operative" if operative else "Inoperative"
        return self.call(cp_id, call.ChangeAvailability(
            connector_id=connector_id, type=kind)).status

    def reset(self, cp_id: str, hard: bool = False) -> str:
        return self.call(cp_id, call.Reset(type="Hard" if hard else "Soft")).status

    def trigger(self, cp_id: str, message: str, connector_id: int | None = None) -> str:
        """TriggerMessage (``message``: e.g. ``"StatusNotification"``)."""
        return self.call(cp_id, call.TriggerMessage(
            requested_message=message, connector_id=connector_id)).status
