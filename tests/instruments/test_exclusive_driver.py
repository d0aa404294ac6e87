"""The rig's side of exclusive access: taking the lock, keeping it across a reconnection, being
told who else holds it, and reading what the instrument refused from others."""

from __future__ import annotations

import socket

import pytest

from rig.errors import ConfigError
from rig.exclusive import exclusive_modes, resolve
from rig.transport import AccessDenied, VisaTransport


def raw_client(resource: str) -> tuple[socket.socket, object]:
    _, host, port, _ = resource.split("::")
    sock = socket.create_connection((host, int(port)), timeout=2)
    return sock, sock.makefile("rb")


def ask(sock: socket.socket, rfile, message: str) -> str:  # type: ignore[no-untyped-def]
    sock.sendall(message.encode() + b"\n")
    return rfile.readline().decode().strip()


def test_the_rig_holds_the_instrument_and_sees_what_others_tried(bench):
    rig = VisaTransport(bench["ev"], "ev", timeout_s=2.0)
    sock, rfile = raw_client(bench["ev"])
    try:
        rig.hold("scpi")
        before = rig.foreign_writes().count
        sock.sendall(b"SOUR:CP:STAT C\n")
        assert ask(sock, rfile, "SOUR:CP:STAT?") == "A"  # refused; asking is allowed
        seen = rig.foreign_writes()
        assert seen.count == before + 1
        assert seen.peer == "{}:{}".format(*sock.getsockname()[:2])
        assert seen.message == "SOUR:CP:STAT C"
        assert "> SYST:LOCK:VIOL?" in rig.transcript.lines()  # the check is on the record
    finally:
        sock.close()
        rig.close()


def test_another_client_holding_the_instrument_is_named(bench):
    sock, rfile = raw_client(bench["pa"])
    rig = VisaTransport(bench["pa"], "power_analyser", timeout_s=2.0)
    try:
        assert ask(sock, rfile, "SYST:LOCK:REQ?") == "1"
        with pytest.raises(AccessDenied) as caught:
            rig.hold("scpi")
        holder = "{}:{}".format(*sock.getsockname()[:2])
        assert str(caught.value) == (
            f"power_analyser at {bench['pa']}: 'SYST:LOCK:REQ?': locked by another client "
            f"({holder}): the rig needs the instrument to itself for the run"
        )
    finally:
        sock.close()
        rig.close()


def test_the_lock_is_taken_again_after_a_reconnection(bench, bench_do):
    rig = VisaTransport(bench["ac1"], "ac_source", timeout_s=2.0)
    try:
        rig.hold("scpi")
        bench_do("BENCH:FAULT:REBOOT ac1")  # drops every connection: the lock goes with them
        assert rig.ask("*IDN?").startswith("Keysight")  # reopened, and locked first
        assert rig.reconnects == 1
        sock, rfile = raw_client(bench["ac1"])
        try:
            assert ask(sock, rfile, "SYST:LOCK:REQ?") == "0"
        finally:
            sock.close()
    finally:
        rig.close()


def test_a_visa_lock_on_a_raw_socket_is_refused_with_the_reason(bench):
    rig = VisaTransport(bench["smu"], "rcd_dc", timeout_s=2.0)
    try:
        with pytest.raises(AccessDenied, match="exclusive VISA lock refused"):
            rig.hold("visa")
    finally:
        rig.close()


# ---- the rig file's option ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "mode"),
    [("TCPIP0::10.0.0.5::inst0::INSTR", "visa"), ("TCPIP0::10.0.0.5::5025::SOCKET", "none"),
     ("TCPIP0::10.0.0.5::hislip0::INSTR", "none"), ("GPIB0::12::INSTR", "none")],
)
def test_auto_locks_where_pyvisa_py_can(resource, mode):
    assert resolve("auto", resource) == mode


def test_exclusive_access_one_value_or_per_role():
    resources = {"ev": "TCPIP0::h::5025::SOCKET", "ac_source": "TCPIP0::h::inst0::INSTR"}
    assert exclusive_modes({}, resources) == {"ev": "none", "ac_source": "visa"}
    assert exclusive_modes({"exclusive_access": "SCPI"}, resources) == {
        "ev": "scpi", "ac_source": "scpi"}
    assert exclusive_modes({"exclusive_access": {"ev": "scpi"}}, resources) == {
        "ev": "scpi", "ac_source": "visa"}


@pytest.mark.parametrize(
    ("value", "message"),
    [("always", "my.yaml: options.exclusive_access: one of auto, scpi, visa, none, got 'always'"),
     ({"evv": "scpi"}, "my.yaml: options.exclusive_access.evv: an instrument of this rig (ev)"),
     ({"ev": 1}, "my.yaml: options.exclusive_access.ev: one of auto, scpi, visa, none, got 1")],
)
def test_a_wrong_exclusive_access_names_the_key(value, message):
    with pytest.raises(ConfigError) as caught:
        exclusive_modes({"exclusive_access": value}, {"ev": "TCPIP0::h::1::SOCKET"}, "my.yaml")
    assert str(caught.value) == message


def test_without_a_lock_a_foreign_write_shows_in_the_settings_read_back(bench, driver):
    """An instrument the rig cannot lock (``exclusive_access: none``): what another client
    changed is found by reading back what the rig set, once, naming the setting."""
    ev = driver("EVE-1")
    ev.vehicle_state = "B"
    ev.pp_resistance = 220
    assert ev.changed_settings() == []  # nobody else: nothing to say
    sock, rfile = raw_client(bench["ev"])
    try:
        sock.sendall(b"SOUR:CP:STAT A\n")
        assert ask(sock, rfile, "*OPC?") == "1"
    finally:
        sock.close()
    assert ev.changed_settings() == [
        "vehicle_state is A, the rig set B ('SOUR:CP:STAT B')"]
    assert ev.changed_settings() == []  # reported once
