"""OCPP-J 1.6 framing: CALL / CALLRESULT / CALLERROR, one outstanding CALL, a queue, timeouts.

Like a real charge point: only one CALL is in flight; until the BootNotification is accepted
only BootNotification may be sent; nothing is sent while the websocket is down (the host reports
it through ``ocpp_connected``), and a CALL in flight when the link drops is sent again, with the
same id, when it comes back. Messages marked persistent (transaction and firmware-status
messages) live in flash: they survive a reboot and a power loss, the rest of the queue does not.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zapcharger.timebase import EPS

CALL, CALLRESULT, CALLERROR = 2, 3, 4
#: Queue length beyond which the oldest non-persistent message is dropped.
MAX_QUEUE = 200
#: A persistent message is sent again after a timeout this many times before it is dropped.
MAX_ATTEMPTS = 3

Payload = dict[str, Any]


@dataclass
class Call:
    """One outgoing request; the payload is built when it is first sent (late fields resolve)."""

    action: str
    build: Callable[[], Payload | None]
    persistent: bool = False
    on_result: Callable[[Payload], None] | None = None
    on_error: Callable[[str], None] | None = None
    uid: str | None = None
    payload: Payload | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Incoming:
    """A CALL from the central system."""

    uid: str
    action: str
    payload: Payload


@dataclass
class OcppStats:
    """Counters for ``status()``."""

    sent: int = 0
    received: int = 0
    malformed: int = 0
    unmatched: int = 0
    timeouts: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)


class OcppClient:
    """The charge point's side of the OCPP-J message exchange."""

    def __init__(self, send: Callable[[str], None], new_id: Callable[[], str], timeout_s: float):
        self._send = send
        self._new_id = new_id
        self.timeout_s = timeout_s
        self.queue: deque[Call] = deque()
        self.outstanding: Call | None = None
        self.sent_at = 0.0
        self.link = False  # websocket up (host says so)
        self.enabled = False  # firmware running (not booting, not powered off)
        self.accepted = False  # BootNotification accepted
        self.stats = OcppStats()

    # ---- outgoing -------------------------------------------------------------------------
    def call(
        self,
        action: str,
        build: Callable[[], Payload | None],
        *,
        persistent: bool = False,
        front: bool = False,
        on_result: Callable[[Payload], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Queue a CALL (sent in order, one at a time, once the link and the boot allow)."""
        item = Call(action, build, persistent, on_result, on_error)
        if front:
            self.queue.appendleft(item)
        else:
            self.queue.append(item)
        while len(self.queue) > MAX_QUEUE:
            victim = next((c for c in self.queue if not c.persistent), None)
            if victim is None:
                break
            self.queue.remove(victim)
            self.stats.dropped += 1

    def queued(self, action: str) -> bool:
        """Is a CALL of this action waiting or in flight?"""
        if self.outstanding is not None and self.outstanding.action == action:
            return True
        return any(c.action == action for c in self.queue)

    def idle(self) -> bool:
        """Nothing waiting and nothing in flight."""
        return self.outstanding is None and not self.queue

    def pump(self, now: float) -> None:
        """Send the next CALL if the link is up and no CALL is in flight."""
        while self.enabled and self.link and self.outstanding is None:
            item = next(
                (c for c in self.queue if self.accepted or c.action == "BootNotification"), None
            )
            if item is None:
                return
            self.queue.remove(item)
            if item.payload is None:
                item.payload = item.build()
                if item.payload is None:  # nothing to say any more (e.g. unknown transaction)
                    self.stats.dropped += 1
                    continue
            if item.uid is None:
                item.uid = self._new_id()
            item.attempts += 1
            self.outstanding, self.sent_at = item, now
            self._write([CALL, item.uid, item.action, item.payload])

    def reply(self, uid: str, payload: Payload) -> None:
        """CALLRESULT to a CALL of the central system."""
        if self.link:
            self._write([CALLRESULT, uid, payload])

    def reply_error(self, uid: str, code: str, description: str) -> None:
        """CALLERROR to a CALL of the central system."""
        if self.link:
            self._write([CALLERROR, uid, code, description, {}])

    def _write(self, message: list[Any]) -> None:
        self.stats.sent += 1
        self._send(json.dumps(message, separators=(",", ":")))

    # ---- incoming -------------------------------------------------------------------------
    def receive(self, text: str, now: float) -> Incoming | None:
        """Parse a frame: results resolve the CALL in flight; a CALL is returned to the app."""
        try:
            msg = json.loads(text)
        except (TypeError, ValueError):
            msg = None
        if not isinstance(msg, list) or len(msg) < 3 or not isinstance(msg[1], str):
            self.stats.malformed += 1
            return None
        kind, uid = msg[0], msg[1]
        self.stats.received += 1
        if kind == CALL and len(msg) == 4 and isinstance(msg[2], str) and isinstance(msg[3], dict):
            return Incoming(uid, msg[2], msg[3])
        if kind == CALLRESULT and len(msg) == 3 and isinstance(msg[2], dict):
            self._resolve(uid, result=msg[2])
            return None
        if kind == CALLERROR and len(msg) >= 4 and isinstance(msg[2], str):
            self._resolve(uid, error=msg[2])
            return None
        self.stats.malformed += 1
        return None

    def _resolve(self, uid: str, result: Payload | None = None, error: str | None = None) -> None:
        item = self.outstanding
        if item is None or item.uid != uid:
            self.stats.unmatched += 1
            return
        self.outstanding = None
        if error is not None:
            self.stats.errors.append(f"{item.action}: {error}")
            del self.stats.errors[:-20]
            if item.on_error:
                item.on_error(error)
        elif item.on_result:
            item.on_result(result or {})

    # ---- link, time, reboot ---------------------------------------------------------------
    def set_link(self, up: bool) -> None:
        """Websocket up/down; a CALL in flight when it drops is sent again later (same id)."""
        self.link = up
        if not up and self.outstanding is not None:
            self.queue.appendleft(self.outstanding)
            self.outstanding = None

    def expire(self, now: float) -> None:
        """Give up on a CALL without answer after the timeout (persistent ones are retried)."""
        item = self.outstanding
        if item is None or self.sent_at + self.timeout_s > now + EPS:
            return
        self.outstanding = None
        self.stats.timeouts += 1
        if item.persistent and item.attempts < MAX_ATTEMPTS:
            self.queue.appendleft(item)
        elif item.on_error:
            item.on_error("Timeout")

    def deadlines(self) -> list[float]:
        """When the CALL in flight times out."""
        return [self.sent_at + self.timeout_s] if self.outstanding is not None else []

    def reboot(self) -> None:
        """RAM lost: keep only the persistent messages (flash); boot must be accepted again."""
        if self.outstanding is not None:
            self.queue.appendleft(self.outstanding)
            self.outstanding = None
        self.queue = deque(c for c in self.queue if c.persistent)
        self.enabled = False
        self.accepted = False


# ---- the websocket's security (what the host's network stack is told to use) ---------------
@dataclass(frozen=True)
class LinkSecurity:
    """How the charger opens its websocket, per OCPP 1.6 security profile (the OCPP 1.6
    Security Whitepaper): 0 nothing; 1 HTTP basic auth (user: the charge point id, password:
    the AuthorizationKey); 2 the same over TLS, trusting only the configured CA. A charger with
    profile 2 never falls back to a plain ``ws://`` URL."""

    profile: int
    headers: dict[str, str]
    ca_file: str  #: profile 2: the PEM of the central system's CA ("" otherwise)

    def check_url(self, url: str) -> None:
        """ValueError when ``url``'s scheme does not fit the profile."""
        if self.profile == 2 and not url.startswith("wss://"):
            raise ValueError(f"security profile 2 connects to a wss:// URL only, not {url!r}")


def link_security(ocpp_profile: Any, cp_id: str) -> LinkSecurity:
    """The websocket settings of the profile's ``ocpp`` section for charge point ``cp_id``;
    ValueError for a profile that lacks what its level needs (a password, a CA)."""
    import base64

    level = int(ocpp_profile.security_profile)
    if level >= 1 and not ocpp_profile.authorization_key:
        raise ValueError(f"security profile {level} needs ocpp.authorization_key (its password)")
    if level == 2 and not ocpp_profile.ca_certificate:
        raise ValueError("security profile 2 needs ocpp.ca_certificate (the PEM file of the "
                         "central system's CA)")
    headers: dict[str, str] = {}
    if level >= 1:
        token = base64.b64encode(f"{cp_id}:{ocpp_profile.authorization_key}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return LinkSecurity(level, headers, ocpp_profile.ca_certificate if level == 2 else "")
