"""What a hostile or broken client on an instrument's LAN port can (no longer) do.

Each test reproduces a break found by trying the rig as a careless colleague would: a 1 MB line
froze every instrument of the bench (one lock for the whole bench, the whole line parsed and
kept in the error queue); garbage bytes were echoed raw into the error queue, so the driver
could not decode the next error reply. Now: a line longer than the input buffer is -363 and
thrown away, each instrument has its own lock, and the error queue holds printable ASCII only.
"""

from __future__ import annotations

import socket
import threading
import time

from rig.bench.scpi import MAX_ERROR_TEXT
from rig.bench.tcp import MAX_MESSAGE
from tests.bench.conftest import Link, socket_address


def test_a_line_longer_than_the_input_buffer_is_an_overrun_and_is_not_executed(links, bench):
    ev = links["ev"]
    assert ev.query("SOUR:CP:STAT?") == "A"
    # a valid command padded past the buffer: a real instrument loses it, so does this one
    ev.send_raw(b"SOUR:CP:STAT C;" + b"*WAI;" * (1024 * 1024 // 5) + b"\n")
    assert ev.query("SOUR:CP:STAT?") == "A"  # nothing of the line ran
    code, text = ev.error()
    assert code == -363 and text.startswith("Input buffer overrun")
    assert ev.errors() == []  # one entry, not one per chunk
    assert bench.servers["ev"].overruns == 1
    ev.write("SOUR:CP:STAT B")  # the port is as good as before
    assert ev.query("SOUR:CP:STAT?") == "B"


def test_a_message_that_fits_the_buffer_is_executed(links):
    ev = links["ev"]
    message = "SOUR:CP:STAT B" + ";*WAI" * ((MAX_MESSAGE - 20) // 5)
    assert len(message) < MAX_MESSAGE
    ev.write(message)
    assert ev.query("SOUR:CP:STAT?") == "B"
    assert ev.errors() == []


def test_a_client_stuck_in_the_middle_of_a_long_line_stalls_nobody(links, bench):
    """Half a megabyte with no end on the EV emulator's port: the EV emulator (another client)
    and the AC source answer at once, long before the line ends."""
    hostile = socket.create_connection(socket_address(bench.addresses()["ev"]), timeout=2)
    try:
        hostile.sendall(b"X" * (512 * 1024))
        started = time.monotonic()
        assert links["ac1"].query("*IDN?").startswith("Keysight")
        assert links["ev"].query("SOUR:CP:STAT?") == "A"
        assert time.monotonic() - started < 0.5
        hostile.sendall(b"\n")
    finally:
        hostile.close()


def test_each_instrument_has_its_own_lock(links, bench):
    """The EV emulator busy with one message (its lock held) does not hold the AC source up."""
    servers = bench.servers
    assert len({id(s.lock) for s in servers.values()}) == len(servers)
    answered = threading.Event()

    def ask() -> None:
        links["ac1"].query("VOLT?")
        answered.set()

    with servers["ev"].lock:
        thread = threading.Thread(target=ask)
        thread.start()
        assert answered.wait(1.0), "the AC source waited for the EV emulator's lock"
    thread.join(1.0)


def test_garbage_is_never_echoed_raw_into_the_error_queue(links):
    ev = links["ev"]
    ev.send_raw(b"\xff\xfe\x00\x1b[2J\x80garbage\"quote\n")
    reply = ev.query("SYST:ERR?").encode("latin-1")
    assert reply.startswith(b"-102,")
    assert all(0x20 <= b < 0x7F for b in reply), reply  # printable ASCII only
    assert b"\\xff\\xfe\\x00\\x1b" in reply  # shown as escapes, so still diagnosable
    assert reply.count(b'"') == 2  # the quote inside is not the end of the text


def test_an_error_text_is_capped_like_scpi_99_says(links):
    ev = links["ev"]
    ev.send_raw(b"\x01" * 4000 + b"\n")
    code, text = ev.error()
    assert code == -102
    assert len(text) <= MAX_ERROR_TEXT and text.endswith("...")


def test_a_second_connection_sees_the_port_after_an_overrun(bench):
    """The overrunning client's own connection stays usable, and so does everybody else's."""
    address = bench.addresses()["pa"]
    first, second = Link(address), Link(address)
    try:
        first.send_raw(b"A" * (MAX_MESSAGE + 10) + b"\n")
        assert second.query("*IDN?").startswith("YOKOGAWA")
        assert first.query("*IDN?").startswith("YOKOGAWA")
        assert second.errors(":STAT:ERR?") == [-363]
    finally:
        first.close()
        second.close()
