"""A reply that is not printable ASCII: an instrument fault naming the instrument, not a crash.

Before, the transport decoded replies strictly: one byte above 0x7F (line noise, or garbage a
foreign client had sent echoed in an error message) raised UnicodeDecodeError, reported as a
lost link, and the same garbage in the error queue made every following step ERROR. Now the
reply is decoded with replacement and the step gets an InstrumentError that says what came.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from rig.errors import InstrumentError
from rig.transport import InstrumentLinkError
from rig.transport.visa import VisaTransport


@pytest.fixture
def noisy_instrument() -> Iterator[tuple[str, list[bytes]]]:
    """A real TCP instrument on 127.0.0.1 that answers each line with the next canned reply."""
    replies: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as rfile:
                for _line in rfile:
                    if stop.is_set() or not replies:
                        return
                    conn.sendall(replies.pop(0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    try:
        yield f"TCPIP0::127.0.0.1::{port}::SOCKET", replies
    finally:
        stop.set()
        server.close()


def test_garbled_reply_is_an_instrument_error_naming_it(noisy_instrument):
    resource, replies = noisy_instrument
    replies += [b'-102,"Syntax error; \xff\xfe\x1b[2J"\n', b"+1.00000E+00\n"]
    transport = VisaTransport(resource, "ev", timeout_s=1.0)
    try:
        with pytest.raises(InstrumentError) as caught:
            transport.ask("SYST:ERR?")
        exc = caught.value
        assert not isinstance(exc, InstrumentLinkError)  # the link is fine: the reply is not
        assert exc.instrument == "ev" and exc.command == "SYST:ERR?"
        assert "garbled reply" in str(exc) and "\\ufffd" in str(exc)
        assert transport.ask("VOLT?") == "+1.00000E+00"  # the next query is answered
        assert transport.transcript.lines()[1].startswith("< -102")  # kept as it came
    finally:
        transport.close()
