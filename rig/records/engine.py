"""Opening a store: one SQLAlchemy engine for SQLite (the embedded default) or PostgreSQL.

SQLite runs in WAL mode with ``synchronous=NORMAL``:

* every commit is written to the WAL file before ``commit()`` returns, so a process killed at
  any point (SIGKILL, a crash, the OOM killer) keeps every committed measurement: the kernel
  holds the written pages and the next opener replays the WAL;
* the WAL is fsynced only at checkpoints, so a *power loss* or kernel crash may lose the last
  commits since the previous checkpoint (the database stays consistent, never corrupt).
  ``synchronous=FULL`` (``RecordStore(url, synchronous="FULL")``) fsyncs every commit and
  survives power loss too, at the price of one disk flush per measurement.

A busy timeout lets two runs (or a report and a run) share one file without "database is
locked" errors. PostgreSQL needs nothing of this: each commit is durable on the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from rig.errors import RigError
from rig.redact import redact

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class RecordsError(RigError):
    """The record store cannot be opened or written (the rig failed, not the charger)."""


def repo_root() -> Path:
    """The checkout that holds the ``rig`` package (the working directory if installed)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def default_url(root: Path | None = None) -> str:
    """``sqlite:///<root>/reports/records.sqlite``; ``root`` is the project a pytest run is in
    (the plugin passes its rootdir), else :func:`repo_root`."""
    return f"sqlite:///{(root or repo_root()) / 'reports' / 'records.sqlite'}"


def safe_url(url: str | URL) -> str:
    """The URL as it may be printed: any password hidden."""
    try:
        return redact(sa.make_url(url).render_as_string(hide_password=True))
    except Exception:  # not a URL SQLAlchemy reads: still never as typed
        return redact(str(url))


def create(url: str, synchronous: str = "NORMAL") -> Engine:
    """An engine for ``url``; raises :class:`RecordsError` naming the URL if it is unusable."""
    sync = synchronous.upper()
    if sync not in SYNCHRONOUS:
        raise RecordsError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {sync!r}")
    try:
        parsed = sa.make_url(url)
    except Exception as exc:
        raise RecordsError(f"records store {url!r}: not a database URL ({exc})") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        try:
            _sqlite_folder(parsed)
        except OSError as exc:
            raise RecordsError(f"records store {url}: cannot open ({exc})") from None
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        kwargs["pool_pre_ping"] = True  # a restarted server costs one reconnect, not the run
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except Exception as exc:  # unknown dialect, driver not installed, bad options
        raise RecordsError(f"records store {safe_url(parsed)}: cannot open ({exc})") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine, sync)
    return engine


def _sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()
