"""The emulated charger's network interface: its OCPP-J websocket to a central system.

The firmware produces and consumes OCPP-J text frames through its HAL; this module carries
them over a real websocket (subprotocol ``ocpp1.6``), so the rig's central system cannot tell
the emulated charger from a real one. It runs a ``websockets`` client in its own thread with its
own event loop, because the firmware hands frames out from inside a tick with the bench lock
held: :meth:`OcppLink.sink` only enqueues. Frames from the central system are fed to the
firmware under the bench lock from a helper thread, so a long ``BENCH:TIME:ADV`` holding the
lock never stalls the websocket.

The link reconnects after a drop (wall clock, ``backoff_s``) until told otherwise. When the
bench loads a new firmware (a profile change is a power cycle), the socket is dropped and opened
again, as a rebooting charger's would be, so the new firmware learns the link state.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import ssl
import threading
import time
import urllib.parse
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect
from zapcharger.ocpp import link_security

log = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"
#: How often the link looks for a reloaded firmware, s (wall clock).
RELOAD_POLL_S = 0.05


#: Longest a CALL counts as awaiting its answer (wall s); a lost answer must not stall the bench.
IN_FLIGHT_MAX_S = 2.0


class OcppLink:
    """A websocket client carrying the bench firmware's OCPP-J frames."""

    def __init__(self, bench: Any, backoff_s: float = 0.5, open_timeout_s: float = 5.0):
        self.bench = bench
        self.backoff_s = backoff_s
        self.open_timeout_s = open_timeout_s
        self.url: str | None = None
        self.enabled = False
        self.last_error = ""
        self.dropped = 0  # frames the firmware sent while no socket was open
        self.connects = 0
        self._told: Any = None  # the firmware object that was told "connected"
        self._epoch = 0  # +1 on every connect and disconnect: stale frames are dropped
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._outbox: asyncio.Queue[tuple[int, str]] | None = None
        self._stopping = False
        self._config = 0  # +1 on every change of URL or enabled: the loop acts on changes only
        self._config_lock = threading.Lock()
        self._bench_thread = concurrent.futures.ThreadPoolExecutor(1, "bench-ocpp-rx")
        #: CALLs of the charger on the wire, by unique id -> wall time sent; and frames not sent
        #: yet. Together: is a reply still on its way (see BenchHost._settle_network)?
        self._awaiting: dict[str, float] = {}
        self._unsent = 0
        self._flight_lock = threading.Lock()

    # ---- control (any thread; never blocks on the loop) ---------------------------------
    @property
    def in_flight(self) -> bool:
        """A frame of the charger is not sent yet, or one of its CALLs still waits for the
        central system's answer (answers older than ``IN_FLIGHT_MAX_S`` count as lost)."""
        with self._flight_lock:
            if self._unsent > 0:
                return True
            now = time.monotonic()
            return any(now - sent < IN_FLIGHT_MAX_S for sent in self._awaiting.values())

    def _track(self, text: str, outbound: bool) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not (isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str)):
            return
        with self._flight_lock:
            if outbound and frame[0] == 2:
                self._awaiting[frame[1]] = time.monotonic()
            elif not outbound and frame[0] in (3, 4):
                self._awaiting.pop(frame[1], None)

    @property
    def connected(self) -> bool:
        """The socket is open and the firmware has been told so."""
        return self._told is not None

    def connect(self, url: str) -> None:
        """Connect to ``url`` (dropping any previous connection) and stay connected."""
        self._configure(url, True)
        self._ensure_thread()

    def disconnect(self) -> None:
        """Drop the connection and stay offline (the URL is kept; ``connect`` resumes)."""
        self._configure(self.url, False)

    def _configure(self, url: str | None, enabled: bool) -> None:
        with self._config_lock:
            self.url, self.enabled = url, enabled
            self._config += 1
        self._poke()

    def start(self) -> OcppLink:
        """Route the firmware's frames here (frames are dropped while no socket is open)."""
        self.bench.ocpp_sink = self.sink
        return self

    def stop(self) -> None:
        """Close the socket, tell the firmware, end the thread (idempotent)."""
        self._stopping = True
        self._configure(self.url, False)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._bench_thread.shutdown(wait=False)

    def sink(self, text: str) -> None:
        """``bench.ocpp_sink``: called inside a firmware tick with the bench lock held."""
        loop, outbox = self._loop, self._outbox
        if loop is None or outbox is None:
            self.dropped += 1
            return
        with self._flight_lock:  # counted before the loop can take it off the queue
            self._unsent += 1
        self._track(text, outbound=True)
        try:
            loop.call_soon_threadsafe(outbox.put_nowait, (self._epoch, text))
        except RuntimeError:  # the loop has closed
            self.dropped += 1
            with self._flight_lock:
                self._unsent -= 1
            self._forget(text)

    def _forget(self, text: str) -> None:
        """A CALL that never left: no answer will come."""
        try:
            frame = json.loads(text)
            with self._flight_lock:
                self._awaiting.pop(frame[1], None)
        except (ValueError, LookupError, TypeError):
            return

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    def _ensure_thread(self) -> None:
        if self._thread is not None or self._stopping:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="bench-ocpp",
                                        daemon=True)
        self._thread.start()
        ready.wait(5)

    # ---- the event loop ------------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._supervise(loop, ready))
        finally:
            self._loop = None
            loop.close()

    async def _supervise(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        self._wake, self._outbox = asyncio.Event(), asyncio.Queue()
        self._loop = loop
        ready.set()
        while not self._stopping:
            with self._config_lock:
                config, url, enabled = self._config, self.url, self.enabled
            if not (enabled and url):
                await self._reconfigured(config)
                continue
            try:
                ws = await connect(url, subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                                   proxy=None, open_timeout=self.open_timeout_s,
                                   **self._security(url))
            except Exception as exc:  # refused, bad URL, handshake: keep trying, say why
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.debug("OCPP link to %s: %s", url, self.last_error)
                await self._pause(config)
                continue
            peer_dropped = await self._session(ws, config)
            if peer_dropped:
                await self._pause(config)

    def _security(self, url: str) -> dict[str, Any]:
        """The charger's OCPP security profile (its profile's ``ocpp`` keys, read at every
        connection: a profile change is a power cycle): basic-auth header, TLS trusting only
        its CA. ValueError for a URL the profile must not use (profile 2 never uses ws://)."""
        cp_id = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/")[-1])
        security = link_security(self.bench.profile.ocpp, cp_id)
        security.check_url(url)
        kwargs: dict[str, Any] = {}
        if security.headers:
            kwargs["additional_headers"] = security.headers
        if security.ca_file:
            kwargs["ssl"] = ssl.create_default_context(cafile=security.ca_file)
        return kwargs

    async def _reconfigured(self, config: int) -> None:
        """Return once URL or enabled changed after ``config`` (spurious wakes are ignored)."""
        assert self._wake is not None
        while True:
            self._wake.clear()
            if self._config != config:
                return
            await self._wake.wait()

    async def _pause(self, config: int) -> None:
        """Wait ``backoff_s`` before the next attempt, or less if told something new."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reconfigured(config), self.backoff_s)

    async def _session(self, ws: ClientConnection, config: int) -> bool:
        """Carry frames until the socket drops (True) or the link is told otherwise (False)."""
        self.connects += 1
        self._epoch += 1
        epoch = self._epoch
        await self._in_bench(self._tell, True)
        tasks = {
            asyncio.create_task(self._receive(ws)),
            asyncio.create_task(self._send(ws, epoch)),
            asyncio.create_task(self._watch_reload()),
        }
        waker = asyncio.create_task(self._reconfigured(config))
        done, _ = await asyncio.wait(tasks | {waker}, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks | {waker}:
            task.cancel()
        self._epoch += 1
        with contextlib.suppress(Exception):
            await ws.close()
        with self._flight_lock:
            self._awaiting.clear()  # no answer comes over a closed socket
        await self._in_bench(self._tell, False)
        return waker not in done and not any(
            t.done() and not t.cancelled() and t.result() == "reload" for t in done)

    async def _receive(self, ws: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in ws:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                await self._in_bench(self._deliver, text)

    async def _send(self, ws: ClientConnection, epoch: int) -> None:
        assert self._outbox is not None
        while True:
            frame_epoch, text = await self._outbox.get()
            with self._flight_lock:
                self._unsent -= 1
            if frame_epoch != epoch:
                self.dropped += 1  # written for a socket that no longer exists
                self._forget(text)
                continue
            try:
                await ws.send(text)
            except websockets.ConnectionClosed:
                self.dropped += 1
                self._forget(text)
                return

    async def _watch_reload(self) -> str:
        while self._told is None or self.bench.firmware is self._told:
            await asyncio.sleep(RELOAD_POLL_S)
        log.info("OCPP link: the charger's firmware was reloaded; reconnecting")
        return "reload"

    async def _in_bench(self, fn: Any, arg: Any) -> None:
        """Run ``fn(arg)`` on the helper thread; a firmware that raises does not end the link."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._bench_thread, fn, arg)
        except Exception:
            log.exception("OCPP link: the firmware raised on %s(%r)", fn.__name__, arg)

    # ---- inside the bench (helper thread, bench lock) -------------------------------------
    def _tell(self, up: bool) -> None:
        bench = self.bench
        with bench.lock:
            firmware = bench.firmware
            if up:
                self._told = firmware
                firmware.ocpp_connected(True)
            else:
                if self._told is firmware:  # a new firmware starts offline anyway
                    firmware.ocpp_connected(False)
                self._told = None
            bench.changed()

    def _deliver(self, text: str) -> None:
        bench = self.bench
        with bench.lock:
            if bench.firmware is not self._told:
                return  # meant for the firmware before the reload: lost with its RAM
            bench.firmware.ocpp_receive(text)
            bench.changed()
        self._track(text, outbound=False)  # answered only once the firmware has it
