"""Exclusive use of a rig: one run at a time per instrument, console, CAN bus or labgrid place.

**Keys.** A run locks everything its rig file drives, one key each: every SCPI instrument by its
VISA resource (``visa:TCPIP0::192.168.10.21::INSTR``, in pyvisa's canonical spelling), the
charger's console by its device (``serial:/dev/ttyUSB0``, symbolic links resolved), its CAN bus
(``can:socketcan:can0``), and a labgrid place by name (``place:charger-lab-2``) when the rig
file uses a ``RemotePlace``. Two rig files that share one AC source therefore conflict, and two
in-process emulated benches never do (their ports are their own).

**Files.** One lock file per key in the lock directory: ``$RIG_LOCK_DIR``, else
``$XDG_CACHE_HOME/evse-rig/locks`` (``~/.cache/evse-rig/locks``). A lab PC shared by several
login users points ``RIG_LOCK_DIR`` at one directory all of them can write (the files are made
group-writable); PCs that share instruments over the LAN share a labgrid coordinator instead,
whose place locking works across machines. The file holds the holder as JSON: user, host, pid,
start time, command line, and the role the key plays in its rig.

**Taking it.** ``fcntl.flock`` (exclusive, non-blocking) on the open file: the kernel releases
it when the holder's process ends in any way (SIGKILL and crashes included), so a crash never
leaves the rig locked. The file itself may stay behind with the dead holder's details: that is a
*stale* lock (its holder's pid is gone); it blocks nobody, ``rig lock list`` marks it, and
``rig lock clear --stale`` removes such files. A lock *held* by a live process is never removed
without ``--force``: the process (or a child it forked, which inherits the lock) must end first.
A holder unlinks its file when it ends normally; every taker checks after ``flock`` that the
file it locked is still the one at the path, so an unlink racing with a new run cannot let two
runs in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import getpass
import hashlib
import json
import os
import re
import shlex
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.errors import RigError
from rig.redact import redact

ENV_DIR = "RIG_LOCK_DIR"
SUFFIX = ".lock"


class RigBusyError(RigError):
    """Another run holds part of this rig."""


def lock_dir() -> Path:
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "evse-rig" / "locks"


# ---- keys ---------------------------------------------------------------------------------------
def visa_key(resource: str) -> str:
    try:
        import pyvisa.rname

        canonical = str(pyvisa.rname.parse_resource_name(resource.strip()))
    except Exception:
        canonical = resource.strip()
    return f"visa:{canonical}"


def rig_keys(target: Any) -> dict[str, str]:
    """Key -> role for everything a labgrid target drives (see the module doc)."""
    keys: dict[str, str] = {}
    for res in getattr(target, "resources", []) or []:
        kind = type(res).__name__
        if kind == "RemotePlace":
            return {f"place:{res.name}": "place"}
        if kind == "ScpiInstrument":
            keys[visa_key(str(res.resource))] = str(res.name)
        elif kind == "CanBus":
            keys[f"can:{res.interface}:{res.channel}"] = str(res.name)
        elif isinstance(getattr(res, "port", None), str) and kind.endswith("SerialPort"):
            keys[f"serial:{os.path.realpath(res.port)}"] = str(res.name)
    return keys


def file_name(key: str) -> str:
    """A readable, unique file name for ``key``."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[:80]
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return f"{readable}-{digest}{SUFFIX}"


# ---- holders ------------------------------------------------------------------------------------
def _command() -> str:
    argv = list(getattr(sys, "orig_argv", None) or sys.argv)
    if argv:
        argv[0] = os.path.basename(argv[0])
    return redact(shlex.join(argv)) or "?"  # a password in --records never lands in a lock


def _holder(role: str, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "role": role,
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": _command(),
    }


def describe_holder(holder: dict[str, Any]) -> str:
    """``alice on labpc (pid 4242, since 2026-11-25T14:31:02): pytest testplans/iec61851``."""
    if not holder:
        return "an unknown process (the lock file is empty)"
    who = f"{holder.get('user', '?')} on {holder.get('host', '?')}"
    return (f"{who} (pid {holder.get('pid', '?')}, since {holder.get('started', '?')}): "
            f"{holder.get('command', '?')}")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


def pid_alive(pid: Any, host: str | None = None) -> bool | None:
    """Is ``pid`` running on this host? None when the holder is on another host."""
    if host and host != socket.gethostname():
        return None
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


# ---- taking and releasing ----------------------------------------------------------------------
def _open_locked(path: Path) -> int | None:
    """Open ``path`` and lock it; None if another process holds it. Retries when the file was
    unlinked between our open and our lock (a holder ending, a ``clear``)."""
    for _ in range(20):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o664)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # we locked a file someone unlinked: take the new one
    raise RigError(f"cannot lock {path}: it keeps being replaced")


_KIND_ORDER = {"place": 0, "visa": 1, "serial": 2, "can": 3}


class RigLock:
    """All the keys of one run, taken together or not at all.

    ``RigLock(keys).acquire()`` raises :class:`RigBusyError` naming the holder of the first key
    that is taken; ``release()`` (idempotent) unlinks and unlocks every file.
    """

    def __init__(self, keys: dict[str, str], directory: Path | None = None):
        # one total order for every run (no two runs deadlock half-way), instruments first so
        # that a refusal names the most telling thing
        self.keys = dict(sorted(keys.items(), key=lambda kv: (_KIND_ORDER.get(
            kv[0].split(":", 1)[0], 9), kv[0])))
        self.directory = directory or lock_dir()
        self._held: dict[str, tuple[int, Path]] = {}

    def acquire(self) -> RigLock:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RigError(f"cannot create the lock directory {self.directory}: {exc} (set "
                           f"{ENV_DIR} to a writable directory)") from None
        try:
            for key, role in self.keys.items():
                path = self.directory / file_name(key)
                try:
                    fd = _open_locked(path)
                except OSError as exc:
                    raise RigError(f"cannot lock {key} ({path}): {exc}") from None
                if fd is None:
                    holder = _read(path)
                    raise RigBusyError(
                        f"rig in use: {role} ({key.split(':', 1)[1]}) is held by "
                        f"{describe_holder(holder)}. Wait for that run to end (a crashed run "
                        "frees it by itself; `rig lock list` shows every lock)"
                    )
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o664)
                data = json.dumps(_holder(role, key)).encode()
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
                self._held[key] = (fd, path)
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        for _key, (fd, path) in list(self._held.items()):
            with contextlib.suppress(OSError):
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    path.unlink()
            with contextlib.suppress(OSError):
                os.close(fd)
        self._held.clear()

    @property
    def held(self) -> bool:
        return bool(self._held)

    def __enter__(self) -> RigLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# ---- listing and clearing -----------------------------------------------------------------------
@dataclass
class LockInfo:
    path: Path
    key: str
    holder: dict[str, Any]
    held: bool  # some process holds the flock now
    holder_alive: bool | None  # the recorded pid runs (None: on another host)

    @property
    def stale(self) -> bool:
        """Nobody holds it, or the recorded holder's pid is gone."""
        return not self.held or self.holder_alive is False

    @property
    def state(self) -> str:
        if self.held and self.holder_alive is not False:
            return "held"
        if self.held:
            return "held by a child of a dead holder (stale)"
        return "stale (holder gone)"


def _probe(path: Path) -> bool:
    """Is ``path`` locked by someone (without keeping it)?"""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def list_locks(directory: Path | None = None) -> list[LockInfo]:
    directory = directory or lock_dir()
    out = []
    for path in sorted(directory.glob(f"*{SUFFIX}")) if directory.is_dir() else []:
        holder = _read(path)
        out.append(LockInfo(path, holder.get("key", path.stem), holder, _probe(path),
                            pid_alive(holder.get("pid"), holder.get("host"))))
    return out


def format_locks(locks: Iterable[LockInfo], directory: Path) -> str:
    rows = list(locks)
    lines = [f"locks: {directory}"]
    if not rows:
        lines.append("  (none: no run holds this PC's rigs)")
    for info in rows:
        lines.append(f"  {info.key}")
        lines.append(f"      {info.state}: {describe_holder(info.holder)}")
    return "\n".join(lines)


def clear_lock(key_or_file: str, directory: Path | None = None, force: bool = False) -> str:
    """Remove one lock file (by key or file name); refuses a held lock unless ``force``."""
    directory = directory or lock_dir()
    matches = [i for i in list_locks(directory)
               if key_or_file in (i.key, i.path.name, str(i.path))]
    if not matches:
        raise RigError(f"no lock '{key_or_file}' in {directory} (see `rig lock list`)")
    info = matches[0]
    if info.held and info.holder_alive is not False and not force:
        raise RigError(
            f"{info.key} is held by {describe_holder(info.holder)}; end that run first "
            f"(kill {info.holder.get('pid', '?')}), or --force if you are sure it no longer drives "
            "the rig"
        )
    _unlink_locked(info.path, wait=not info.held)
    return f"cleared {info.key} (was {info.state}: {describe_holder(info.holder)})"


def clear_stale(directory: Path | None = None) -> list[str]:
    """Remove every lock file whose holder is gone; held locks of live runs stay."""
    out = []
    for info in list_locks(directory):
        if info.stale:
            _unlink_locked(info.path, wait=not info.held)
            out.append(f"cleared {info.key} ({info.state}: {describe_holder(info.holder)})")
    return out


def _unlink_locked(path: Path, wait: bool) -> None:
    """Unlink while holding the lock, so a run taking it at the same moment retries on a fresh
    file instead of locking the one that disappears."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if wait:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return  # taken just now by a live run: leave it
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    finally:
        os.close(fd)


# ---- labgrid places: the coordinator's lock -----------------------------------------------------
#: How often a run waiting for a busy place asks again, s.
PLACE_POLL_S = 0.5


class PlaceLock:
    """A labgrid place, held through its coordinator for the whole run (a rig file with a
    ``RemotePlace``): acquired before the place's resources are read, released at the end.

    The coordinator's lock works across machines, but it is labgrid's ``host/user`` that holds
    it, never a process, and it never expires: a run killed outright leaves its place acquired
    for ever. So the holder (user, host, pid, start, command line) goes into the place's
    comment, and a run that finds the place held by a process of *this* host that is gone
    releases it and takes it (logged: ``recovered place ...``). A place held from another host,
    or acquired by hand (``labgrid-client acquire``), is never taken away: that needs a person
    (``labgrid-client -p NAME release --kick``).

    ``wait_s`` > 0: a busy place is asked for again every 0.5 s until it is free or the time
    is up; 0 refuses at once. Either way :class:`RigBusyError` names the holder.
    """

    def __init__(self, places: Iterable[str], address: str | None = None, wait_s: float = 0.0):
        self.places = list(places)
        self.address = address
        self.wait_s = max(float(wait_s), 0.0)
        self.coordinator: Any = None
        self._held: list[str] = []
        #: What the acquisition had to do (recovered places), for the run's notes.
        self.notes: list[str] = []

    def acquire(self) -> PlaceLock:
        import time

        from rig.labgrid.places import Coordinator, CoordinatorError, holder_of

        self.coordinator = coord = Coordinator(self.address)
        self.address = coord.address
        try:
            for name in self.places:
                start = time.monotonic()
                deadline = start + self.wait_s
                busy_with = ""
                while True:
                    place = coord.place(name)
                    if place is None:
                        known = ", ".join(sorted(coord.places())) or "none"
                        raise RigError(f"labgrid coordinator at {coord.address}: no place "
                                       f"'{name}' (places: {known})")
                    if not place.acquired:
                        try:
                            coord.acquire(name, _holder("place", f"place:{name}"))
                        except CoordinatorError as exc:
                            if exc.code != "FAILED_PRECONDITION":
                                raise
                            continue  # another run was faster: look again
                        self._held.append(name)
                        if busy_with:
                            self.notes.append(f"waited {time.monotonic() - start:.1f} s for "
                                              f"place {name}, held by {busy_with}")
                        break
                    holder = holder_of(place)
                    if holder and pid_alive(holder.get("pid"), holder.get("host")) is False:
                        coord.release(name, from_user=place.acquired)
                        note = (f"recovered place {name} from a run that is gone: "
                                f"{describe_holder(holder)}")
                        self.notes.append(note)
                        continue
                    who = describe_holder(holder) if holder else (
                        f"{place.acquired} (acquired by hand, not by a rig run)")
                    if holder or not busy_with:  # a holder being released has no comment
                        busy_with = who
                    if time.monotonic() >= deadline:
                        waited = (f"waited {self.wait_s:g} s; " if self.wait_s
                                  else "not waiting (--place-wait 0); ")
                        raise RigBusyError(
                            f"place {name} is in use: acquired through the coordinator at "
                            f"{coord.address} by {who}; {waited}wait longer with --place-wait "
                            f"SECONDS, or end that run (a killed run's place on this host is "
                            f"recovered by the next run; from another host: labgrid-client "
                            f"-x {coord.address} -p {name} release --kick)")
                    time.sleep(PLACE_POLL_S)
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        coord, self.coordinator = self.coordinator, None
        if coord is None:
            return
        for name in self._held:
            with contextlib.suppress(Exception):  # the run is ending: best effort, never hide
                coord.release(name)                # the run's own result
        self._held.clear()
        coord.close()

    @property
    def held(self) -> list[str]:
        return list(self._held)
