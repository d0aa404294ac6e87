"""The emulated instruments' session lock (``SYSTem:LOCK``): a second client cannot drive an
instrument the rig holds, cannot read or clear the rig's error queue, and is reported.

Reproduces the break: a colleague's script sending ``SOUR:CP:STAT A`` to the EV emulator during
a run changed the vehicle's state under the rig (three FAIL verdicts blamed on the charger).
"""

from __future__ import annotations

import pytest

from tests.bench.conftest import Link


@pytest.fixture
def two(bench):
    """The rig's connection and a colleague's, both to the EV emulator."""
    address = bench.addresses()["ev"]
    rig, other = Link(address), Link(address)
    yield rig, other
    rig.close()
    other.close()


def peer_of(link: Link) -> str:
    host, port = link.sock.getsockname()[:2]
    return f"{host}:{port}"


def test_without_the_lock_a_second_client_changes_the_vehicle_state(two):
    """The break as it was (and still is for a rig that does not lock): nothing stops it."""
    rig, other = two
    rig.write("SOUR:CP:STAT C")
    other.write("SOUR:CP:STAT A")
    assert rig.query("SOUR:CP:STAT?") == "A"


def test_a_foreign_write_is_refused_while_the_rig_holds_the_instrument(two, bench):
    rig, other = two
    assert rig.query("SYST:LOCK:REQ?") == "1"
    assert rig.query("SYST:LOCK:REQ?") == "1"  # asking again: still its own
    assert other.query("SYST:LOCK:REQ?") == "0"
    assert rig.query("SYST:LOCK:OWN?") == f'"{peer_of(rig)}"'
    rig.write("SOUR:CP:STAT C")
    other.send_raw(b"SOUR:CP:STAT A\n")
    other.send_raw(b'*RST;*CLS\n')
    assert other.query("SOUR:CP:STAT?") == "C"  # asking is allowed, and nothing changed
    assert rig.query("SOUR:CP:STAT?") == "C"
    code, text = other.error()
    assert code == -203 and text.startswith("Command protected; locked by " + peer_of(rig))
    assert "refused: SOUR:CP:STAT A" in text
    assert other.errors() == [-203]  # the *RST;*CLS message: refused as a whole
    assert rig.errors() == []  # the rig's queue is not the colleague's
    count, peer, message = rig.query("SYST:LOCK:VIOL?").split(",")
    assert int(count) == bench.servers["ev"].access.refused >= 2
    assert (peer, message) == (f'"{peer_of(other)}"', '"*RST;*CLS"')


def test_a_foreign_client_cannot_read_the_rigs_error_queue(two):
    rig, other = two
    assert rig.query("SYST:LOCK:REQ?") == "1"
    rig.send_raw(b"NO:SUCH:COMMAND\n")
    assert other.error() == (0, "No error")  # its own queue, empty
    assert rig.errors() == [-113]  # still there for the rig


def test_the_lock_ends_with_the_connection_that_held_it(bench):
    address = bench.addresses()["ev"]
    rig, other = Link(address), Link(address)
    try:
        assert rig.query("SYST:LOCK:REQ?") == "1"
        rig.close()
        for _ in range(100):  # the server notices the closed socket at once, asynchronously
            if other.query("SYST:LOCK:REQ?") == "1":
                break
        assert other.query("SYST:LOCK:OWN?") == f'"{peer_of(other)}"'
        other.write("SYST:LOCK:REL")
        assert other.query("SYST:LOCK:OWN?") == '"NONE"'
    finally:
        other.close()


def test_a_reboot_releases_the_lock(bench, links):
    rig = Link(bench.addresses()["ev"])
    try:
        assert rig.query("SYST:LOCK:REQ?") == "1"
        links["ctrl"].write("BENCH:FAULT:REBOOT ev")
        assert links["ev"].query("SYST:LOCK:OWN?") == '"NONE"'
    finally:
        rig.close()


def test_every_instrument_and_the_control_port_have_the_lock(bench):
    for key, address in bench.addresses().items():
        if not address.startswith("TCPIP"):
            continue
        rig = Link(address, token=bench.token if key == "ctrl" else None)
        other = Link(address)
        try:
            assert rig.query("SYST:LOCK:REQ?") == "1", key
            before = int(rig.query("SYST:LOCK:VIOL?").split(",")[0])
            other.send_raw(b"*RST\n")
            assert other.query("*IDN?")  # its message was handled (asking is allowed)
            after = rig.query("SYST:LOCK:VIOL?").split(",")
            assert int(after[0]) == before + 1, key
            assert after[1:] == [f'"{peer_of(other)}"', '"*RST"'], key
        finally:
            rig.close()
            other.close()
