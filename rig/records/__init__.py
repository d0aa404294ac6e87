"""The record store: every run, its rig and charger, every measurement and log, as it happens.

Embedded SQLite under ``reports/`` by default (WAL, one commit per measurement); the same code
writes to PostgreSQL given a database URL, so a lab or a factory shares one store. SQLAlchemy
Core does the dialects. See ``store`` (writing), ``read`` (reports) and ``recorder`` (following
a run: verdict book, transcript, console, CAN, OCPP).
"""

from rig.records.engine import RecordsError, default_url, safe_url
from rig.records.read import RunNotFound
from rig.records.recorder import RunRecorder
from rig.records.store import RecordStore

__all__ = ["RecordStore", "RecordsError", "RunNotFound", "RunRecorder", "default_url",
           "safe_url"]
