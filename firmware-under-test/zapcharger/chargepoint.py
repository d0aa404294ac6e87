"""The OCPP 1.6J application of the charge point: boot, status, transactions, remote commands.

:mod:`zapcharger.ocpp` moves frames; this module decides what to say and how to answer. It sees
the station only through :class:`StationPort`, so the IEC state machine does not know OCPP
exists (a station without a backend charges exactly the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from zapcharger.flash import Flash, ProfileLimit, Transaction
from zapcharger.meter import Readings
from zapcharger.ocpp import Incoming, OcppClient, Payload
from zapcharger.profile import Profile
from zapcharger.timebase import due, iso, parse_iso

#: Retry of a BootNotification that was not accepted and gave no interval, s.
BOOT_RETRY_S = 30.0
#: DataTransfer vendor id of the ZapCharger's own messages (installation controller).
VENDOR_ID = "ZapCharger"
PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")
TRIGGERABLE = (
    "BootNotification", "StatusNotification", "Heartbeat", "MeterValues",
    "FirmwareStatusNotification",
)


class StationPort(Protocol):
    """What the OCPP application needs from the station."""

    def connector_status(self) -> tuple[str, str, str | None]: ...

    def set_auth_required(self, required: bool) -> None: ...

    def auth_required(self) -> bool: ...

    def register_wh(self) -> float: ...

    def readings(self) -> Readings: ...

    def remote_start(self, id_tag: str) -> bool: ...

    def stop_session(self, reason: str) -> None: ...

    def reset(self, kind: str) -> None: ...

    def authorize_result(self, uid: str, accepted: bool) -> None: ...

    def firmware_version(self) -> str: ...

    def select_phase(self, supply_terminal: int) -> bool: ...


class Formation(Exception):
    """A payload that does not match the action's PDU -> CALLERROR FormationViolation."""


def _get(payload: Payload, key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = payload.get(key)
    if value is None:
        if required:
            raise Formation(f"missing '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise Formation(f"'{key}' has the wrong type")
    return value


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


class ChargePoint:
    """OCPP behaviour of the connector (connector id 1)."""

    def __init__(self, profile: Profile, client: OcppClient, flash: Flash, port: StationPort):
        self.profile = profile
        self.client = client
        self.flash = flash
        self.port = port
        self.now = 0.0
        self.reset_ram()

    def reset_ram(self) -> None:
        """Power-up / reboot: forget everything not in flash."""
        self.status_sent: tuple[str, str, str | None] | None = None
        self.hb_next: float | None = None
        self.mv_next: float | None = None
        self.boot_retry_at: float | None = None
        self.tx_profiles: list[ProfileLimit] = []
        self.pending_inoperative = False
        self.update: tuple[float, str] | None = None
        self.fw_status = "Idle"

    # ---- helpers --------------------------------------------------------------------------
    def meter_value(self) -> int:
        """Energy register as OCPP reports it (Wh x ``ocpp.energy_scale``, integer)."""
        return round(self.port.register_wh() * self.profile.ocpp.energy_scale)

    def online(self) -> bool:
        """Can a question to the central system be answered now (link up, boot accepted)?"""
        return self.client.link and self.client.accepted

    def limit_a(self) -> float | None:
        """The current limit set by charging profiles (``None`` = no limit)."""

        def top(items: list[ProfileLimit]) -> float | None:
            return max(items, key=lambda p: p.stack_level).limit_a if items else None

        tx = top(self.tx_profiles) if self.flash.tx is not None else None
        if tx is None:
            tx = top([p for p in self.flash.profiles if p.purpose == "TxDefaultProfile"])
        cap = top([p for p in self.flash.profiles if p.purpose == "ChargePointMaxProfile"])
        values = [v for v in (tx, cap) if v is not None]
        return min(values) if values else None

    # ---- boot -----------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """The station is ready: say hello (BootNotification first, always)."""
        self.now = now
        self.client.enabled = True
        self._queue_boot()

    def _queue_boot(self) -> None:
        if self.client.queued("BootNotification"):
            return
        ident = self.profile.identity
        payload = {
            "chargePointVendor": ident.vendor[:20],
            "chargePointModel": ident.model[:20],
            "chargePointSerialNumber": ident.serial[:25],
            "chargeBoxSerialNumber": ident.serial[:25],
            "firmwareVersion": self.port.firmware_version()[:50],
        }
        self.client.call(
            "BootNotification", lambda: payload, front=True,
            on_result=self._boot_result, on_error=lambda e: self._boot_retry(BOOT_RETRY_S),
        )

    def _boot_result(self, result: Payload) -> None:
        interval = result.get("interval")
        interval = interval if isinstance(interval, int) and not isinstance(interval, bool) else 0
        if result.get("status") != "Accepted":
            self._boot_retry(interval if interval > 0 else BOOT_RETRY_S)
            return
        self.client.accepted = True
        self.boot_retry_at = None
        if interval > 0:
            self.flash.heartbeat_s = interval
        self.hb_next = self.now + self.flash.heartbeat_s
        self.status_sent = None  # send the connector status now
        if self.flash.firmware_status_pending:
            self.firmware_status(self.flash.firmware_status_pending)
            self.flash.firmware_status_pending = None

    def _boot_retry(self, after_s: float) -> None:
        self.boot_retry_at = self.now + after_s

    # ---- periodic -------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Timers, status changes and the send queue (called on every firmware step)."""
        self.now = now
        self.client.expire(now)
        if due(self.boot_retry_at, now):
            self.boot_retry_at = None
            self._queue_boot()
        if due(self.hb_next, now):
            self.hb_next = now + self.flash.heartbeat_s
            if self.client.link and self.client.idle():
                self.heartbeat()
        if due(self.mv_next, now) and self.flash.tx is not None:
            self.mv_next = (self.mv_next or now) + self.flash.meter_values_s
            self.meter_values("Sample.Periodic")
        if self.client.accepted:
            status = self.port.connector_status()
            if status != self.status_sent:
                self.status_sent = status
                self._status_notification(status)
        self.client.pump(now)

    def deadlines(self) -> list[float]:
        """OCPP timers: boot retry, heartbeat, meter values, CALL timeout, update retrieval."""
        out = [t for t in (self.boot_retry_at, self.hb_next) if t is not None]
        if self.mv_next is not None and self.flash.tx is not None:
            out.append(self.mv_next)
        if self.update is not None:
            out.append(self.update[0])
        return out + self.client.deadlines()

    # ---- outgoing messages ----------------------------------------------------------------
    def _status_notification(self, status: tuple[str, str, str | None]) -> None:
        name, error, info = status
        payload: Payload = {
            "connectorId": 1, "errorCode": error, "status": name, "timestamp": iso(self.now),
        }
        if info:
            payload["info"] = info[:50]
        self.client.call("StatusNotification", lambda: payload)

    def heartbeat(self) -> None:
        """Queue a Heartbeat."""
        if not self.client.queued("Heartbeat"):
            self.client.call("Heartbeat", lambda: {})

    def meter_values(self, context: str) -> None:
        """Queue a MeterValues sample taken now (transaction id filled in when sent)."""
        r = self.port.readings()
        tx = self.flash.tx
        ctx = {"context": context, "location": "Outlet"}
        sampled = [
            {"value": str(self.meter_value()), **ctx,
             "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        ]
        for n in range(3):
            sampled.append({"value": _fmt(r.i[n], 2), **ctx, "measurand": "Current.Import",
                            "phase": f"L{n + 1}", "unit": "A"})
        for n in range(3):
            sampled.append({"value": _fmt(r.v[n], 1), **ctx, "measurand": "Voltage",
                            "phase": f"L{n + 1}-N", "unit": "V"})
        sampled.append({"value": _fmt(sum(r.p), 1), **ctx, "measurand": "Power.Active.Import",
                        "unit": "W"})
        value = [{"timestamp": iso(self.now), "sampledValue": sampled}]

        def build() -> Payload:
            payload: Payload = {"connectorId": 1, "meterValue": value}
            if tx is not None and tx.transaction_id is not None:
                payload["transactionId"] = tx.transaction_id
            return payload

        self.client.call("MeterValues", build)

    def firmware_status(self, status: str) -> None:
        """Queue a FirmwareStatusNotification (kept in flash: it must survive the reboot)."""
        self.fw_status = status
        self.client.call("FirmwareStatusNotification", lambda: {"status": status},
                         persistent=True)

    def authorize(self, uid: str) -> None:
        """Ask the central system about a tag that is not on the local list."""

        def result(payload: Payload) -> None:
            info = payload.get("idTagInfo")
            ok = isinstance(info, dict) and info.get("status") == "Accepted"
            self.port.authorize_result(uid, ok)

        self.client.call("Authorize", lambda: {"idTag": uid[:20]}, on_result=result,
                         on_error=lambda e: self.port.authorize_result(uid, False))

    # ---- transactions ---------------------------------------------------------------------
    def start_transaction(self, id_tag: str, now: float) -> None:
        """The contactor closed for the first time in this session."""
        self.now = now
        tx = Transaction(id_tag=id_tag[:20], meter_start=self.meter_value(), start_time=now)
        self.flash.tx = tx
        payload = {"connectorId": 1, "idTag": tx.id_tag, "meterStart": tx.meter_start,
                   "timestamp": iso(now)}

        def result(res: Payload) -> None:
            tid = res.get("transactionId")
            if isinstance(tid, int) and not isinstance(tid, bool):
                tx.transaction_id = tid
            info = res.get("idTagInfo")
            status = info.get("status") if isinstance(info, dict) else None
            if status != "Accepted" and self.profile.auth.required and self.flash.tx is tx:
                self.port.stop_session("DeAuthorized")

        self.client.call("StartTransaction", lambda: payload, persistent=True, on_result=result)
        self.mv_next = now + self.flash.meter_values_s

    def stop_transaction(self, reason: str, now: float, id_tag: str | None = None) -> None:
        """End the open transaction (if any) with ``reason``."""
        self.now = now
        tx = self.flash.tx
        if tx is None:
            return
        self.flash.tx = None
        self.mv_next = None
        self.tx_profiles.clear()
        meter_stop, stamp = self.meter_value(), iso(now)

        def build() -> Payload | None:
            if tx.transaction_id is None:
                return None  # the central system never knew this transaction
            payload: Payload = {"transactionId": tx.transaction_id, "meterStop": meter_stop,
                                "timestamp": stamp, "reason": reason}
            if id_tag:
                payload["idTag"] = id_tag[:20]
            return payload

        self.client.call("StopTransaction", build, persistent=True)
        if self.pending_inoperative:
            self.pending_inoperative = False
            self.flash.inoperative = True

    # ---- firmware update ------------------------------------------------------------------
    def update_due(self, now: float) -> bool:
        """Has the retrieve date of a requested update come?"""
        return self.update is not None and due(self.update[0], now)

    # ---- incoming CALLs -------------------------------------------------------------------
    def handle(self, call: Incoming, now: float) -> None:
        """Answer a CALL of the central system (and act on it after answering)."""
        self.now = now
        handler: Callable[[Payload], tuple[Payload, Callable[[], None] | None]] | None
        handler = getattr(self, f"_on_{call.action}", None)
        if handler is None:
            self.client.reply_error(call.uid, "NotImplemented", f"{call.action} not supported")
            return
        try:
            payload, after = handler(call.payload)
        except Formation as exc:
            self.client.reply_error(call.uid, "FormationViolation", str(exc))
            return
        self.client.reply(call.uid, payload)
        if after is not None:
            after()

    def _on_RemoteStartTransaction(self, p: Payload) -> tuple[Payload, Any]:
        id_tag = _get(p, "idTag", str)
        connector = _get(p, "connectorId", int, required=False)
        profile = _get(p, "chargingProfile", dict, required=False)
        limit = self._parse_profile(profile) if profile is not None else None
        if connector not in (None, 1) or self.flash.tx is not None:
            return {"status": "Rejected"}, None
        if not self.port.remote_start(id_tag):
            return {"status": "Rejected"}, None
        if limit is not None and limit.purpose == "TxProfile":
            self.tx_profiles = [limit]
        return {"status": "Accepted"}, None

    def _on_RemoteStopTransaction(self, p: Payload) -> tuple[Payload, Any]:
        tid = _get(p, "transactionId", int)
        tx = self.flash.tx
        if tx is None or tx.transaction_id != tid:
            return {"status": "Rejected"}, None
        return {"status": "Accepted"}, lambda: self.port.stop_session("Remote")

    def _on_ChangeAvailability(self, p: Payload) -> tuple[Payload, Any]:
        connector = _get(p, "connectorId", int)
        kind = _get(p, "type", str)
        if kind not in ("Inoperative", "Operative"):
            raise Formation(f"bad type '{kind}'")
        if connector not in (0, 1):
            return {"status": "Rejected"}, None
        if kind == "Operative":
            self.pending_inoperative = False
            self.flash.inoperative = False
            return {"status": "Accepted"}, None
        if self.flash.tx is not None:
            self.pending_inoperative = True
            return {"status": "Scheduled"}, None
        self.flash.inoperative = True
        return {"status": "Accepted"}, None

    def _parse_profile(self, cp: Payload) -> ProfileLimit | None:
        pid = _get(cp, "chargingProfileId", int)
        stack = _get(cp, "stackLevel", int)
        purpose = _get(cp, "chargingProfilePurpose", str)
        _get(cp, "chargingProfileKind", str)
        schedule = _get(cp, "chargingSchedule", dict)
        unit = _get(schedule, "chargingRateUnit", str)
        periods = _get(schedule, "chargingSchedulePeriod", list)
        if purpose not in PURPOSES:
            raise Formation(f"bad chargingProfilePurpose '{purpose}'")
        if not periods or not all(isinstance(x, dict) for x in periods):
            raise Formation("chargingSchedulePeriod must hold periods")
        first = min(periods, key=lambda x: _get(x, "startPeriod", int))
        limit = float(_get(first, "limit", (int, float)))
        if unit != "A" or limit < 0:
            return None
        return ProfileLimit(pid, purpose, stack, limit)

    def _on_SetChargingProfile(self, p: Payload) -> tuple[Payload, Any]:
        connector = _get(p, "connectorId", int)
        cp = _get(p, "csChargingProfiles", dict)
        limit = self._parse_profile(cp)
        tid = _get(cp, "transactionId", int, required=False)
        if limit is None or connector not in (0, 1):
            return {"status": "Rejected"}, None
        if limit.purpose == "TxProfile":
            tx = self.flash.tx
            if tx is None or (tid is not None and tid != tx.transaction_id):
                return {"status": "Rejected"}, None
            store = self.tx_profiles
        else:
            store = self.flash.profiles
        store[:] = [
            x for x in store
            if x.profile_id != limit.profile_id
            and not (x.purpose == limit.purpose and x.stack_level == limit.stack_level)
        ]
        store.append(limit)
        return {"status": "Accepted"}, None

    def _on_ClearChargingProfile(self, p: Payload) -> tuple[Payload, Any]:
        pid = _get(p, "id", int, required=False)
        purpose = _get(p, "chargingProfilePurpose", str, required=False)
        stack = _get(p, "stackLevel", int, required=False)
        removed = 0
        for store in (self.flash.profiles, self.tx_profiles):
            keep = []
            for x in store:
                match = (
                    (pid is None or x.profile_id == pid)
                    and (purpose is None or x.purpose == purpose)
                    and (stack is None or x.stack_level == stack)
                )
                if match:
                    removed += 1
                else:
                    keep.append(x)
            store[:] = keep
        return {"status": "Accepted" if removed else "Unknown"}, None

    def _on_Reset(self, p: Payload) -> tuple[Payload, Any]:
        kind = _get(p, "type", str)
        if kind not in ("Soft", "Hard"):
            raise Formation(f"bad type '{kind}'")
        return {"status": "Accepted"}, lambda: self.port.reset(kind)

    def _on_TriggerMessage(self, p: Payload) -> tuple[Payload, Any]:
        what = _get(p, "requestedMessage", str)
        if what == "DiagnosticsStatusNotification":
            return {"status": "NotImplemented"}, None
        if what not in TRIGGERABLE:
            raise Formation(f"bad requestedMessage '{what}'")
        actions = {
            "BootNotification": self._queue_boot,
            "StatusNotification": self._force_status,
            "Heartbeat": self.heartbeat,
            "MeterValues": lambda: self.meter_values("Trigger"),
            "FirmwareStatusNotification": lambda: self.client.call(
                "FirmwareStatusNotification", lambda: {"status": self.fw_status}),
        }
        return {"status": "Accepted"}, actions[what]

    def _force_status(self) -> None:
        self.status_sent = self.port.connector_status()
        self._status_notification(self.status_sent)

    def _on_DataTransfer(self, p: Payload) -> tuple[Payload, Any]:
        """Vendor messages: ``ZapCharger``/``PhaseToUse`` (data ``"1"``-``"3"``) from the
        installation controller puts the outlet's L1 on that supply terminal (phase
        distribution; OCPP 1.6 has no message for it, 2.0.1 has ``phaseToUse``)."""
        vendor = _get(p, "vendorId", str)
        message = _get(p, "messageId", str, required=False)
        data = _get(p, "data", str, required=False)
        if vendor != VENDOR_ID:
            return {"status": "UnknownVendorId"}, None
        if message != "PhaseToUse":
            return {"status": "UnknownMessageId"}, None
        terminal = int(data) if data in ("1", "2", "3") else 0
        return {"status": "Accepted" if self.port.select_phase(terminal) else "Rejected"}, None

    def _on_UpdateFirmware(self, p: Payload) -> tuple[Payload, Any]:
        location = _get(p, "location", str)
        when = parse_iso(_get(p, "retrieveDate", str))
        if when is None:
            raise Formation("retrieveDate is not a date")
        self.update = (max(when, self.now), location)
        return {}, None

    def _config(self) -> dict[str, tuple[str, bool]]:
        return {
            "HeartbeatInterval": (str(self.flash.heartbeat_s), False),
            "MeterValueSampleInterval": (str(self.flash.meter_values_s), False),
            "NumberOfConnectors": ("1", True),
            "AuthorizeRemoteTxRequests": ("false", True),
            # vendor key: RFID mode (true: a session needs an accepted tag; false: free charging)
            "AuthorizationRequired": (str(self.port.auth_required()).lower(), False),
        }

    def _on_GetConfiguration(self, p: Payload) -> tuple[Payload, Any]:
        keys = _get(p, "key", list, required=False)
        config = self._config()
        wanted = list(config) if not keys else [k for k in keys if isinstance(k, str)]
        known = [
            {"key": k, "readonly": config[k][1], "value": config[k][0]}
            for k in wanted if k in config
        ]
        payload: Payload = {"configurationKey": known}
        unknown = [k for k in wanted if k not in config]
        if unknown:
            payload["unknownKey"] = unknown
        return payload, None

    def _on_ChangeConfiguration(self, p: Payload) -> tuple[Payload, Any]:
        key = _get(p, "key", str)
        value = _get(p, "value", str)
        config = self._config()
        if key not in config:
            return {"status": "NotSupported"}, None
        if config[key][1]:
            return {"status": "Rejected"}, None
        if key == "AuthorizationRequired":
            if value.lower() not in ("true", "false"):
                return {"status": "Rejected"}, None
            self.port.set_auth_required(value.lower() == "true")
            return {"status": "Accepted"}, None
        try:
            seconds = int(value)
        except ValueError:
            return {"status": "Rejected"}, None
        if seconds <= 0:
            return {"status": "Rejected"}, None
        if key == "HeartbeatInterval":
            self.flash.heartbeat_s = seconds
            if self.hb_next is not None:
                self.hb_next = self.now + seconds
        else:
            self.flash.meter_values_s = seconds
        return {"status": "Accepted"}, None
