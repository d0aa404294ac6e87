"""A second websocket for the charger's identity does not take its OCPP session over.

The break this reproduces: another client connecting as the charger's charge point id took the
session over (the central system replaced the charger's socket with the newcomer's), so the
rig's commands went to an impostor and the charger's frames to nobody. Now a newcomer for a
charge point that is connected and answers a ping is refused (HTTP 409) and recorded; one that
no longer answers (a charger back from a power loss before its old TCP connection timed out) is
replaced, so a real charger is never locked out.
"""

from __future__ import annotations

import base64
import os
import socket
import time

import pytest
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from rig.dut.ocpp import ALIVE_CHECK_S
from tests.ocpp.conftest import CP_ID, ScriptedChargePoint


def test_a_second_connection_for_a_connected_charger_is_refused_and_recorded(central, client):
    impostor = ScriptedChargePoint(central.url(CP_ID))
    with pytest.raises(InvalidStatus) as caught:
        impostor.start()
    impostor.stop()
    assert caught.value.response.status_code == 409
    [intruder] = central.intruders
    assert intruder.cp_id == CP_ID
    assert intruder.peer.startswith("127.0.0.1:")
    assert intruder.reason.startswith("the charger is connected from 127.0.0.1:")
    assert intruder.peer not in intruder.reason
    # the charger keeps its session: its frames still reach the central system
    reply = client.call(call.Heartbeat())
    assert reply.current_time
    assert central.find("Heartbeat", cp_id=CP_ID) is not None


def test_after_the_charger_left_the_id_is_free_again(central, client):
    client.stop()
    assert central.wait_until(lambda: not central.is_connected(CP_ID), 2)
    again = ScriptedChargePoint(central.url(CP_ID)).start()
    try:
        assert central.wait_connected(CP_ID, 2)
        assert central.intruders == []
    finally:
        again.stop()


def _silent_websocket(port: int, cp_id: str) -> socket.socket:
    """A websocket handshake on a raw socket that then never reads again (no pong): a charger
    whose power went off with its TCP connection still open on the server's side."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /{cp_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


def test_a_charger_whose_old_connection_is_dead_takes_its_id_back(central):
    dead = _silent_websocket(central.port, CP_ID)
    try:
        assert central.wait_connected(CP_ID, 2)
        started = time.monotonic()
        back = ScriptedChargePoint(central.url(CP_ID)).start()  # no pong: the old one is gone
        try:
            assert time.monotonic() - started >= ALIVE_CHECK_S * 0.9
            assert central.intruders == []
            assert back.call(call.Heartbeat()).current_time
            dead.close()  # the old socket's late end does not unregister the new one
            time.sleep(0.1)
            assert central.is_connected(CP_ID)
            assert back.call(call.Heartbeat()).current_time
        finally:
            back.stop()
    finally:
        dead.close()
