"""``rig.safety`` in-process: the watchdog delay from the rig file, the keep-alive against the
emulated instruments (and its fallback), the guard's arm / re-arm / release, and safe-state
sections that hold signals."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from rig.bench.host import BenchHost
from rig.errors import ConfigError
from rig.instruments.registry import open_instrument
from rig.safety import KeepAlive, WatchdogGuard, signals_deferred, watchdog_delays


def test_watchdog_delays_from_the_rig_file():
    roles = ["ac_source", "ev"]
    assert watchdog_delays({}, roles) == {"ac_source": 5.0, "ev": 5.0}
    assert watchdog_delays({"watchdog_s": 2}, roles) == {"ac_source": 2.0, "ev": 2.0}
    assert watchdog_delays({"watchdog_s": {"ev": 3}}, roles) == {"ac_source": 5.0, "ev": 3.0}
    with pytest.raises(ConfigError, match=r"options\.watchdog_s.*seconds in \[0\.5, 3600\]"):
        watchdog_delays({"watchdog_s": 0}, roles)
    with pytest.raises(ConfigError, match=r"options\.watchdog_s\.rcd_dc.*an instrument with a "
                       r"watchdog \(ac_source, ev\)"):
        watchdog_delays({"watchdog_s": {"rcd_dc": 3}}, roles)


@pytest.fixture
def host():
    bench = BenchHost(clock="virtual").start()
    yield bench
    bench.stop()


def test_the_guard_feeds_rearms_and_releases(host):
    a = host.addresses()
    ac = open_instrument("ASTERION", a["ac3"], "ac_source")
    ev = open_instrument("EVE-1", a["ev"], "ev")
    guard = WatchdogGuard({"ac_source": ac, "ev": ev}, {"ac_source": 0.5, "ev": 0.5})
    try:
        guard.start()
        assert guard.keepalive is not None and guard.keepalive.period_s == pytest.approx(0.1)
        assert not any(p.shared for p in guard.keepalive.peers.values())  # second sessions
        ac.configure(230.0)
        ac.output_on()
        ev.set_state("B")
        time.sleep(1.5)  # three delays of silence on the main sessions: the keep-alive holds
        assert ac.is_on() and guard.tripped() == []
        ac.make_safe()  # the AC source's safe commands disarm its watchdog with the output
        assert not ac.watchdog
        assert guard.ensure_armed() == [] and ac.watchdog
        ac.output_on()
        guard.abandon("ac_source")  # could not be made safe: its own watchdog takes over
        time.sleep(1.0)
        assert guard.tripped() == ["ac_source"] and not ac.is_on()
        notes = guard.ensure_armed()  # re-armed, fed again, latch cleared and said so
        assert notes == ["ac_source: its watchdog was latched (it tripped earlier in this "
                         "session); cleared"]
        assert guard.tripped() == []
        ev.make_safe()
        ac.make_safe()
        assert guard.release() == []
        assert not ac.watchdog and not ev.watchdog
    finally:
        if guard.keepalive is not None:
            guard.keepalive.stop()
        ac.close()
        ev.close()


def test_a_release_leaves_what_is_unsafe_to_its_watchdog(host):
    a = host.addresses()
    ev = open_instrument("EVE-1", a["ev"], "ev")
    guard = WatchdogGuard({"ev": ev}, {"ev": 0.5})
    try:
        guard.start()
        ev.set_state("C")
        guard.release(unsafe={"ev"})  # armed, not fed any more
        assert guard.keepalive is None
        time.sleep(1.0)
        assert ev.watchdog_tripped() and host.bench.ev.state == "A"
    finally:
        if guard.keepalive is not None:
            guard.keepalive.stop()
        ev.close()


class _OneConnection:
    """An instrument whose LAN port takes no second connection."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.resource = f"TCPIP0::127.0.0.1::{port}::SOCKET"
        self.asked: list[str] = []

    def ask(self, command: str) -> str:
        self.asked.append(command)
        return "0"


def test_the_keepalive_falls_back_to_the_main_session():
    inst = _OneConnection()
    keepalive = KeepAlive({"ac_source": (inst, 0.5)}).start()
    try:
        time.sleep(0.35)
    finally:
        keepalive.stop()
    assert keepalive.peers["ac_source"].shared
    assert len(inst.asked) >= 3 and set(inst.asked) == {"OUTP:PROT:TRIP?"}


def test_signals_wait_for_the_safe_state():
    done = []
    with pytest.raises(KeyboardInterrupt), signals_deferred() as pending:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        done.append("safe")  # not interrupted
        assert pending == [signal.SIGINT]
    assert done == ["safe"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_third_ctrl_c_gives_in():
    steps = []
    forced = pytest.raises(KeyboardInterrupt, match="forced during the safe state")
    with forced, signals_deferred():
        for _ in range(3):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.02)
            steps.append(1)
    assert steps == [1, 1]
