"""One door for input: what a run or a ``rig`` command reads from the user is checked here,
once, before anything is started or powered.

Every input a user gives (the rig file, the charger profile and its ``--charger-set``
overrides, the output paths, the record store URL, the environment variables ``LG_ENV``,
``RIG_RECORDS_URL`` and ``RIG_LOCK_DIR``) goes through one of these functions. A mistake is one
:class:`~rig.errors.ConfigError` naming the item (file, key path, line; or option / variable)
and what was expected. The pytest plugin turns it into pytest's usage error (exit 4), the
``rig`` command into exit 2: no traceback, no per-test repetition, nothing started, nothing
written. Why one door rather than each loader checking on first use: a run that only finds a
bad key when the fixture needing it is set up has already powered the rig, and reports the
same mistake once per test (85 ERRORs for one misspelt ``--charger-set``).

What is *not* bad input stays an ERROR of the run, found when it happens: an instrument that
does not answer, a record store that is down, a rig in use.

YAML is read bounded (:func:`rig.yamlio.read_bounded`): an alias bomb, a huge file or a deep
nesting is refused from the event stream, in milliseconds, before labgrid or pydantic walks it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rig.errors import ConfigError

__all__ = [
    "check_command",
    "check_installation",
    "check_lock_dir",
    "check_output_dir",
    "check_output_file",
    "check_plan_run",
    "check_product",
    "check_profile",
    "check_records_url",
    "check_rig_file",
]

#: What stands in for the addresses an in-process bench exports (it is not started to check
#: the file): by the key the ``!template`` sits at. They are never opened.
_STAND_INS = {"resource": "TCPIP0::127.0.0.1::1::SOCKET", "port": "/dev/null",
              "interface": "virtual", "channel": "door-check"}


# ---- the rig file -------------------------------------------------------------------------------
def check_rig_file(path: str | Path, target: str = "main") -> None:
    """The whole rig file: bounded YAML, its structure, and its target built entry by entry
    (classes, keys, types, models, driver options, dates), nothing opened. A file whose
    ``options: {bench: in-process}`` reads the bench's addresses from ``!template`` variables
    is checked with stand-ins for them."""
    from rig.labgrid.loader import load_rig, rig_data

    path = Path(path)
    data = rig_data(path)  # bounded read + structure: ConfigError with file:line
    options = data.get("options") or {}
    in_process = (isinstance(options, dict) and options.get("bench") == "in-process"
                  and "LG_BENCH_CTRL" not in os.environ)
    if _is_place(data, target):
        # a labgrid place: its resources exist only once the run has acquired it through the
        # coordinator (rig.locks.PlaceLock); they are checked then, and by the exporter
        return
    with _stand_ins(data if in_process else None):
        _, built = load_rig(path, target)
    # only checked, never activated: nothing for labgrid to clean up at exit, and its atexit
    # registration would keep the target (and everything it holds) for the process's life,
    # once per plan run in a process that runs many (the EOL station, docs/eol.md)
    atexit.unregister(built._atexit_cleanup)
    site = options.get("installation") if isinstance(options, dict) else None
    if site is not None:
        from rig.installation import installation_file

        check_installation(installation_file(path, site))


# ---- an installation (PR-05, PR-06) ------------------------------------------------------------
def check_installation(path: str | Path) -> Any:
    """An installation file (rig.installation): bounded YAML, every key known and typed, the
    vehicles at stations that exist and never two at one socket at once."""
    from rig.installation import load_installation

    if not Path(path).is_file():
        raise ConfigError(str(path), "<file>", "an installation file that exists")
    return load_installation(path)


def _is_place(data: Any, target: str) -> bool:
    """Is the target's resources a labgrid ``RemotePlace`` (``rigs/place.yaml``)?"""
    body = ((data.get("targets") or {}).get(target) or {}) if isinstance(data, dict) else {}
    resources = body.get("resources") if isinstance(body, dict) else None
    items = resources if isinstance(resources, list) else [resources or {}]
    return any(isinstance(item, dict) and "RemotePlace" in item for item in items)


@contextlib.contextmanager
def _stand_ins(data: Any) -> Iterator[None]:
    """Set the unset variables the file's templates read (restored after)."""
    added: list[str] = []
    try:
        for name, key in _template_variables(data) if data is not None else []:
            if name not in os.environ:
                os.environ[name] = _STAND_INS.get(key, "door-check")
                added.append(name)
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _template_variables(data: Any, key: str = "") -> Iterable[tuple[str, str]]:
    import string

    if isinstance(data, string.Template):
        for m in data.pattern.finditer(data.template):
            name = m.group("named") or m.group("braced")
            if name:
                yield name, key
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _template_variables(v, str(k))
    elif isinstance(data, list):
        for v in data:
            yield from _template_variables(v, key)


# ---- the charger profile ------------------------------------------------------------------------
def check_profile(profile: str | Path | None, overrides: Iterable[str]) -> dict[str, Any]:
    """The profile file (bounded YAML, every key known and typed) and the dotted ``KEY=VALUE``
    overrides; returns the overrides as a dict."""
    items = list(overrides)
    if profile is None and not items:
        return {}  # a real charger has no profile: the emulated firmware need not be installed
    try:
        from zapcharger.profile import ProfileError, load_profile, parse_override
    except ImportError:
        raise ConfigError("--charger-set" if items else "--charger-profile", "zapcharger",
                          "the emulated charger's package installed (firmware-under-test/; "
                          "docs/own-plans.md)") from None

    from rig.yamlio import read_bounded

    try:
        parsed = dict(parse_override(item) for item in items)
        if profile is not None:
            read_bounded(profile)  # before the firmware's loader builds it
        if profile is not None or parsed:
            load_profile(profile, parsed)
    except ProfileError as exc:
        raise ConfigError(exc.source, exc.key, exc.expected, exc.line) from None
    return parsed


def _check_profile_has_a_charger(rig_file: Path, profile: str | None,
                                 overrides: list[str]) -> None:
    """A profile is the emulated charger's: a rig without the emulated bench (a real charger)
    cannot take one, and only an in-process bench can load a profile file."""
    from rig.labgrid.loader import rig_data

    if not (profile or overrides):
        return
    data = rig_data(rig_file)
    if _is_place(data, "main"):
        return  # the place's bench is reached once the place is acquired
    options = data.get("options") or {}
    in_process = (isinstance(options, dict) and options.get("bench") == "in-process"
                  and "LG_BENCH_CTRL" not in os.environ)
    body = ((data.get("targets") or {}).get("main") or {})
    resources = body.get("resources") if isinstance(body, dict) else None
    control = any(isinstance(item, dict) and isinstance(item.get("ScpiInstrument"), dict)
                  and item["ScpiInstrument"].get("model") == "BENCH-CONTROL"
                  for item in (resources if isinstance(resources, list) else []))
    if profile and not in_process:
        raise ConfigError("--charger-profile", str(profile),
                          f"a rig whose emulated bench runs in-process ({rig_file} has none; "
                          "for a bench started elsewhere use --charger-set)")
    if overrides and not (in_process or control):
        raise ConfigError("--charger-set", overrides[0],
                          f"a rig with the emulated bench's control port ({rig_file} has none: "
                          "a real charger has no profile)")


# ---- outputs ------------------------------------------------------------------------------------
def check_output_dir(path: str | Path, what: str) -> Path:
    """A directory the run can write into (created if missing, as the run would): a path under
    a file, a read-only or foreign directory is refused now, not after the run claimed it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(what, str(path), "a directory (it is a file)") from None
    except NotADirectoryError:
        raise ConfigError(what, str(path), "a directory (a part of the path is a file)") from None
    except OSError as exc:
        raise ConfigError(what, str(path), f"a directory that can be created ({exc.strerror})"
                          ) from None
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-probe-")
    except OSError as exc:
        raise ConfigError(what, str(path), f"a writable directory ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def check_output_file(path: str | Path, what: str) -> Path:
    """A file the run can write (its folder as :func:`check_output_dir`; not a directory;
    replaceable if it exists)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(what, str(path), "a file name (it is a directory)")
    check_output_dir(path.parent, what)
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(what, str(path), "a file that may be replaced (it is read-only)")
    return path


# ---- the record store and the lock directory ----------------------------------------------------
def check_records_url(url: str | None, what: str, write: bool = True) -> None:
    """A SQLAlchemy URL of a backend the store supports, whose SQLite file can be written
    (``write``) (the server being down or the password wrong is found when the run opens it:
    an ERROR of the run, not bad input)."""
    if url is None:
        return
    import sqlalchemy as sa

    from rig.records.engine import safe_url

    shown = safe_url(url)
    try:
        parsed = sa.make_url(url)
    except Exception:
        raise ConfigError(what, shown, "a database URL like sqlite:///reports/records.sqlite or "
                          "postgresql+psycopg://user:password@host/db") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(what, shown, f"a sqlite:// or postgresql+psycopg:// URL, got the "
                          f"backend {backend!r}")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        if write:
            check_output_dir(Path(parsed.database).parent, what)
        if Path(parsed.database).is_dir():
            raise ConfigError(what, shown, "a database file (it is a directory)")


def check_lock_dir() -> None:
    """``$RIG_LOCK_DIR`` (or the default) is a directory the run can keep its lock files in."""
    from rig.locks import ENV_DIR, lock_dir

    check_output_dir(lock_dir(), f"${ENV_DIR}" if os.environ.get(ENV_DIR) else "lock directory")


# ---- the product file ---------------------------------------------------------------------------
def check_product(path: str | Path) -> None:
    """The product file (``--product``): every key known and typed. Its claims are checked
    against the plan's catalogue once the plan is collected (same message form)."""
    from rig.product import load_product

    if not Path(path).is_file():
        raise ConfigError("--product", str(path), "an existing product file (YAML)")
    load_product(path)


# ---- a plan run ---------------------------------------------------------------------------------
def check_plan_run(*, rig_file: Path, profile: str | None, overrides: Iterable[str],
                   reports_dir: str, verdicts: str | None, records: str | None,
                   records_source: str, product: str | None = None) -> None:
    """Everything a plan run reads from the user, in the order a user fixes them."""
    check_rig_file(rig_file)
    overrides = list(overrides)
    _check_profile_has_a_charger(rig_file, profile, overrides)
    check_profile(profile, overrides)
    if product:
        check_product(product)
    check_output_dir(reports_dir, "--reports-dir")
    if verdicts:
        check_output_file(verdicts, "--verdicts")
    check_records_url(records, records_source)
    if os.environ.get("RIG_LOCK_DIR"):  # the default (~/.cache) is made when a lock is taken
        check_lock_dir()


# ---- the rig command ----------------------------------------------------------------------------
def _at_least(value: int | None, low: int, option: str) -> None:
    if value is not None and value < low:
        raise ConfigError(option, str(value), f"a whole number >= {low}")


def check_command(args: Any) -> None:
    """The inputs of one ``rig`` sub-command (its argparse namespace), before it runs."""
    command = getattr(args, "command", None)
    records = getattr(args, "records", None) or os.environ.get("RIG_RECORDS_URL")
    source = "--records" if getattr(args, "records", None) else "$RIG_RECORDS_URL"
    if os.environ.get("RIG_LOCK_DIR") and command in ("lock", "doctor"):
        check_lock_dir()
    if command == "bench":
        try:
            check_profile(args.profile, args.set)
        except ConfigError as exc:
            if exc.source != "--charger-set":
                raise
            raise ConfigError("--set", exc.key, exc.expected) from None
        for option in ("addresses", "env_file"):
            if getattr(args, option, None):
                check_output_file(getattr(args, option), f"--{option.replace('_', '-')}")
        if args.ocpp_url:
            _check_ws_url(args.ocpp_url)
    elif command == "eol":
        check_rig_file(args.lg_env)
        check_records_url(records, source)
        if args.reports_dir is not None:
            check_output_dir(args.reports_dir, "--reports-dir")
        _at_least(args.retests, 0, "--retests")
        _at_least(args.max_units, 0, "--max-units")
    elif command == "doctor":
        from rig.labgrid.builtin import default_rig_file

        check_rig_file(args.lg_env or os.environ.get("LG_ENV") or default_rig_file(Path.cwd()))
    elif command == "lab":
        if args.dir:
            check_output_dir(args.dir, "--dir")
        for name in args.places:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
                raise ConfigError("--places", name, "a place name: letters, digits, '_', '.' "
                                  "or '-', at most 64")
    elif command == "line":
        check_records_url(records, source, write=False)
        if args.hours is not None and not args.hours > 0:
            raise ConfigError("--hours", str(args.hours), "a number of hours > 0")
        if getattr(args, "plots", None) is not None:
            check_output_dir(args.plots, "--plots")
    elif command in ("runs", "report", "trend", "compare"):
        check_records_url(records, source, write=False)
        _at_least(getattr(args, "limit", None), 1, "--limit")
        _at_least(getattr(args, "trend_runs", None), 0, "--trend-runs")
        for option in ("out", "json"):
            if isinstance(getattr(args, option, None), str):
                check_output_file(getattr(args, option), f"--{option}")


def _check_ws_url(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError("--ocpp-url", url, f"a ws:// or wss:// URL ({exc})") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname or port == 0:
        raise ConfigError("--ocpp-url", url, "a ws:// or wss:// URL with a host, like "
                          "ws://127.0.0.1:9000/ZCS000001")
