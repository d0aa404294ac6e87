"""A labgrid coordinator, as the rig uses it: places, their matches, acquire and release.

Thin on purpose: labgrid's own client session (``labgrid.remote.client.start_session``) talks to
the coordinator; this module only turns its calls into blocking methods with rig errors that
name the coordinator and the place. Who holds a place is labgrid's ``host/user``; the rig adds
*which run* (user, host, pid, start, command line) as the place's comment, so a place left
acquired by a killed run can be told from one in use (``rig.locks.PlaceLock``).
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from rig.errors import RigError

DEFAULT_ADDRESS = "127.0.0.1:20408"
#: The comment of a place the rig holds starts with this, then the holder as JSON.
HOLDER_PREFIX = "rig-holder "


def coordinator_address(env: Any = None) -> str:
    """As labgrid's RemotePlace finds it: the env file's ``coordinator_address`` option, else
    ``$LG_COORDINATOR``, else 127.0.0.1:20408."""
    address = os.environ.get("LG_COORDINATOR", DEFAULT_ADDRESS)
    if env is not None:
        with contextlib.suppress(Exception):
            address = env.config.get_option("coordinator_address", address)
    return str(address)


def remote_places(env: Any, target: str = "main") -> list[str]:
    """Names of the ``RemotePlace`` resources of a rig file's target (templates resolved)."""
    data = getattr(getattr(env, "config", None), "data", None) or {}
    body = ((data.get("targets") or {}).get(target)) or {}
    resources = body.get("resources") or []
    items = resources.items() if isinstance(resources, dict) else (
        (k, v) for item in resources if isinstance(item, dict) for k, v in item.items())
    return [str((args or {}).get("name")) for cls, args in items if cls == "RemotePlace"]


def shared_session(address: str) -> Any:
    """The process's one client session with the coordinator at ``address``: the session of
    labgrid's ``RemotePlaceManager``, started here if it has none yet.

    Why one: gRPC shares one connection among the channels of a process, and the coordinator
    keys client sessions by connection, so a second session of the same process is refused
    (an ``AssertionError`` in the coordinator, "Could not connect to coordinator" here). The
    place is acquired on the very session through which ``RemotePlace`` reads it afterwards.
    """
    from labgrid.resource.remote import RemotePlaceManager

    manager: Any = RemotePlaceManager.get()
    if manager.session is None:
        manager.url = address
        manager.env = None  # the rig file's, once RemotePlace reads it (not needed to acquire)
        manager._start()
    elif manager.url != address:
        raise RigError(f"this process already talks to the labgrid coordinator at "
                       f"{manager.url}, not {address}")
    return manager.session


class Coordinator:
    """Blocking calls on the process's client session with a coordinator."""

    def __init__(self, address: str | None = None):
        self.address = address or coordinator_address()
        try:
            self.session = shared_session(self.address)
        except RigError:
            raise
        except Exception as exc:  # grpc, connection refused, a wrong address
            raise RigError(f"labgrid coordinator at {self.address}: cannot connect ({exc}); "
                           "is labgrid-coordinator running there (LG_COORDINATOR)?") from None
        self.loop = self.session.loop

    # ---- plumbing --------------------------------------------------------------------------
    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def _rpc(self, method: str, request: Any, what: str) -> Any:
        import grpc

        async def call() -> Any:
            response = await getattr(self.session.stub, method)(request)
            await self.session.sync_with_coordinator()
            return response

        try:
            return self._run(call())
        except grpc.aio.AioRpcError as exc:
            raise CoordinatorError(f"labgrid coordinator at {self.address}: {what}: "
                                   f"{exc.details()}", exc.code().name) from None

    def sync(self) -> None:
        self._run(self.session.sync_with_coordinator())

    @property
    def identity(self) -> str:
        """``host/user``, what the coordinator records as the holder."""
        return f"{self.session.gethostname()}/{self.session.getuser()}"

    # ---- places ----------------------------------------------------------------------------
    def places(self) -> dict[str, Any]:
        self.sync()
        return dict(self.session.places)

    def place(self, name: str) -> Any:
        return self.places().get(name)

    def create_place(self, name: str, matches: list[str], tags: dict[str, str] | None = None,
                     ) -> None:
        """The place (if it is not there yet) with these resource matches
        (``exporter/group/class/name``, ``*`` allowed) and tags."""
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        existing = self.place(name)
        if existing is None:
            self._rpc("AddPlace", pb.AddPlaceRequest(name=name), f"create place {name}")
            existing = self.place(name)
        have = {m.__str__() for m in getattr(existing, "matches", [])}
        for pattern in matches:
            if pattern not in have:
                self._rpc("AddPlaceMatch", pb.AddPlaceMatchRequest(placename=name,
                                                                   pattern=pattern),
                          f"add match {pattern} to place {name}")
        if tags:
            self._rpc("SetPlaceTags", pb.SetPlaceTagsRequest(placename=name, tags=tags),
                      f"set tags of place {name}")

    def delete_place(self, name: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._rpc("DeletePlace", pb.DeletePlaceRequest(name=name), f"delete place {name}")

    def acquire(self, name: str, holder: dict[str, Any] | None = None) -> None:
        """Acquire ``name`` for this session's host/user (atomic on the coordinator: a place
        someone else acquired first raises :class:`CoordinatorError`, code FAILED_PRECONDITION)
        and note the holder in its comment."""
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._rpc("AcquirePlace", pb.AcquirePlaceRequest(placename=name), f"acquire {name}")
        if holder is not None:
            self.set_comment(name, HOLDER_PREFIX + json.dumps(holder, sort_keys=True))

    def set_comment(self, name: str, comment: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._rpc("SetPlaceComment", pb.SetPlaceCommentRequest(placename=name, comment=comment),
                  f"set the comment of {name}")

    def release(self, name: str, from_user: str | None = None) -> None:
        """Release ``name``; ``from_user`` (``host/user``) releases only if that one holds it,
        also when it is not this session's (a killed run's place)."""
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        request = pb.ReleasePlaceRequest(placename=name)
        if from_user is not None:
            request.fromuser = from_user
        self.set_comment(name, "")
        self._rpc("ReleasePlace", request, f"release {name}")

    def close(self) -> None:
        """Nothing to close: the session is the process's (it ends with the process)."""


class CoordinatorError(RigError):
    """The coordinator refused a call; ``code`` is gRPC's status name."""

    def __init__(self, message: str, code: str):
        self.code = code
        super().__init__(message)


def holder_of(place: Any) -> dict[str, Any]:
    """The rig holder noted in a place's comment (empty: none, or acquired by hand)."""
    comment = str(getattr(place, "comment", "") or "")
    if not comment.startswith(HOLDER_PREFIX):
        return {}
    try:
        data = json.loads(comment[len(HOLDER_PREFIX):])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
