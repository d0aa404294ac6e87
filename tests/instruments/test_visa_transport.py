"""The VISA transport: transcript, number parsing, connect/timeout/link errors with context."""

from __future__ import annotations

import math
import threading
import time

import pytest

from rig.errors import InstrumentError, InstrumentTimeout
from rig.instruments.registry import open_instrument
from rig.transport import InstrumentLinkError, Transcript, TranscriptEntry, scpi_float
from rig.transport.visa import VisaTransport

# ---- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("+2.30000E+02", 230.0), ("2.3000E+02", 230.0), (" 6e-3 ", 0.006), ("-1", -1.0),
     (".5", 0.5), ("0", 0.0), ("INF", math.inf), ("-INF", -math.inf)],
)
def test_scpi_float(text, value):
    assert scpi_float(text) == value


@pytest.mark.parametrize(
    "text", ["9.91E+37", "+9.91000E+37", "9.9E+37", "9.90000E+37", "-9.9E+37", "NAN", "nan"]
)
def test_scpi_nan_values_become_nan(text):
    assert math.isnan(scpi_float(text))


@pytest.mark.parametrize("text", ["", "abc", "1_0", "infinity", "1,2", "0x10", "1.0 V"])
def test_scpi_float_rejects_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        scpi_float(text)


# ---- transcript -----------------------------------------------------------------------------


def test_transcript_lines_mark_and_filter():
    tr = Transcript()
    tr.append("ac", ">", "VOLT 230")
    mark = tr.mark()
    tr.append("ac", ">", "VOLT?")
    tr.append("ac", "<", "+2.30000E+02")
    tr.append("ev", ">", "SYST:TIME?")
    assert mark == 1
    assert tr.lines() == ["> VOLT 230", "> VOLT?", "< +2.30000E+02", "> SYST:TIME?"]
    assert tr.lines(mark) == ["> VOLT?", "< +2.30000E+02", "> SYST:TIME?"]
    assert tr.lines(mark, instrument="ac") == ["> VOLT?", "< +2.30000E+02"]
    assert len(tr) == 4
    entry = tr.entries()[0]
    assert isinstance(entry, TranscriptEntry)
    assert (entry.instrument, entry.direction, entry.text) == ("ac", ">", "VOLT 230")
    assert abs(entry.time - time.time()) < 5
    with pytest.raises(ValueError):
        tr.append("ac", "?", "x")


def test_transcript_sink_sees_every_entry_and_cannot_break_io():
    seen: list[TranscriptEntry] = []
    tr = Transcript(sink=seen.append)
    tr.append("pa", ">", ":NUM:NORM:VAL?")
    assert [e.text for e in seen] == [":NUM:NORM:VAL?"]

    def broken(entry: TranscriptEntry) -> None:
        raise RuntimeError("database down")

    tr.sink = broken
    tr.append("pa", "<", "1.0E+00")  # logged, not raised
    assert tr.lines() == ["> :NUM:NORM:VAL?", "< 1.0E+00"]


def test_transcript_is_thread_safe_and_ordered_per_thread():
    tr = Transcript()

    def worker(name: str) -> None:
        for i in range(500):
            tr.append(name, ">", str(i))

    threads = [threading.Thread(target=worker, args=(f"i{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tr) == 2000
    for n in range(4):
        assert tr.lines(instrument=f"i{n}") == [f"> {i}" for i in range(500)]


def test_transcript_write(tmp_path):
    tr = Transcript()
    tr.append("ev", ">", "SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE")
    tr.append("ev", "<", "1.500000,STATE,C")
    path = tr.write(tmp_path / "sub" / "transcript.txt")
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(" ev > SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE")
    assert lines[1].endswith(" ev < 1.500000,STATE,C")
    assert lines[0][:4].isdigit() and "T" in lines[0].split()[0]


def test_a_bounded_transcript_keeps_the_last_entries_and_absolute_marks():
    tr = Transcript(keep=100)
    for i in range(1000):
        tr.append("ev", ">", str(i))
    mark = tr.mark()
    assert mark == len(tr) == 1000  # marks count every entry since the start
    kept = tr.lines()
    assert 100 <= len(kept) <= 125 and kept[-1] == "> 999"  # dropped in batches
    assert kept == [f"> {i}" for i in range(1000 - len(kept), 1000)]
    tr.append("ev", ">", "SYST:ERR?")
    tr.append("ev", "<", '0,"No error"')
    assert tr.lines(mark) == ["> SYST:ERR?", '< 0,"No error"']
    assert tr.lines(990) == [f"> {i}" for i in range(990, 1000)] + tr.lines(mark)
    with pytest.raises(ValueError, match="keep = 0"):
        Transcript(keep=0)


def test_a_streamed_transcript_has_every_entry_on_disk_after_a_flush(tmp_path):
    tr = Transcript(keep=10)
    tr.append("ac", ">", "VOLT 230")  # before streaming: written first
    path = tr.stream_to(tmp_path / "reports" / "scpi-transcript.log")
    for i in range(100):
        tr.append("ev", ">", f"MEAS:CP:VOLT? {i}")
    tr.flush()  # no close: what a run killed after this step leaves behind
    lines = path.read_text().splitlines()
    assert len(lines) == 101 and len(tr.lines()) < 101
    assert lines[0].endswith(" ac > VOLT 230")
    assert [ln.split(" ", 1)[1] for ln in lines[1:]] == [
        f"ev > MEAS:CP:VOLT? {i}" for i in range(100)
    ]
    tr.close()
    tr.append("ev", ">", "after")  # memory only
    assert len(path.read_text().splitlines()) == 101 and tr.lines()[-1] == "> after"


# ---- the session over a real socket ---------------------------------------------------------


def test_every_exchange_is_recorded_with_the_instrument_name(bench, transcript):
    t = VisaTransport(bench["ev"], "ev", transcript, timeout_s=1.0)
    try:
        t.write("*IDN?")
        assert t.read() == "evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0"
        assert transcript.lines() == ["> *IDN?", "< evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0"]
        assert {e.instrument for e in transcript} == {"ev"}
        assert t.connection.read_termination == "\n"
        assert t.connection.write_termination == "\n"
        assert t.connection.timeout == 1000
    finally:
        t.close()
    with pytest.raises(InstrumentError, match="session is closed"):
        t.write("*IDN?")


def test_unreachable_address_fails_fast_with_a_clear_message():
    start = time.monotonic()
    with pytest.raises(InstrumentError) as info:
        open_instrument("EVE-1", "TCPIP0::127.0.0.1::1::SOCKET", "ev")
    assert time.monotonic() - start < 1.0
    assert isinstance(info.value, InstrumentLinkError)
    assert str(info.value).startswith("ev at TCPIP0::127.0.0.1::1::SOCKET: cannot connect: ")
    assert "refused" in str(info.value).lower()
    assert info.value.address == "TCPIP0::127.0.0.1::1::SOCKET"


def test_timeout_names_instrument_address_and_command(
    bench, driver, transcript, bench_do, advance
):
    ev = driver("EVE-1", timeout_s=0.5)
    assert ev.time() >= 0
    bench_do("BENCH:FAULT:LINK ev,DELAY,3")
    try:
        start = time.monotonic()
        with pytest.raises(InstrumentTimeout) as info:
            ev.time()
        assert time.monotonic() - start < 1.5
    finally:
        bench_do("BENCH:FAULT:LINK ev,NONE")
    exc = info.value
    assert (exc.instrument, exc.address, exc.command) == ("ev", bench["ev"], "SYST:TIME?")
    assert str(exc) == f"ev at {bench['ev']}: 'SYST:TIME?': no reply within 0.5 s"
    # the late reply of the timed-out query must not answer the next one
    mark = transcript.mark()
    advance(0.25)
    now = ev.time()
    idn = ev.identify()
    assert idn.model == "EVE-1 EV emulator"
    lines = transcript.lines(mark)
    assert lines[0] == "> SYST:TIME?" and float(lines[1][2:]) == now
    assert lines[2:] == ["> *IDN?", "< evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0"]


def test_timeout_of_the_error_check_names_the_setting(bench, driver, bench_do):
    ev = driver("EVE-1", timeout_s=0.5)
    bench_do("BENCH:FAULT:LINK ev,DELAY,3")
    try:
        with pytest.raises(InstrumentTimeout) as info:
            ev.load_off()
    finally:
        bench_do("BENCH:FAULT:LINK ev,NONE")
    assert info.value.command == "OUTP:LOAD OFF"
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'OUTP:LOAD OFF': no reply within 0.5 s "
        "(checking the error queue after it)"
    )


def test_an_interrupted_query_leaves_no_reply_behind(driver, transcript):
    ev = driver("EVE-1")
    ev.time()

    def interrupted(**kwargs):
        raise KeyboardInterrupt  # Ctrl-C or a test timeout while waiting for the reply

    ev.transport.connection.read_raw = interrupted
    with pytest.raises(KeyboardInterrupt):
        ev.query("MEAS:CP:STAT?")
    # the reply to MEAS:CP:STAT? arrives on the old session; *IDN? gets its own
    assert ev.identify().model == "EVE-1 EV emulator"
    assert transcript.lines()[-3:] == [
        "> MEAS:CP:STAT?", "> *IDN?", "< evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0"
    ]


def test_dropped_link_is_an_instrument_error_and_the_session_recovers(driver, bench_do):
    ev = driver("EVE-1", timeout_s=0.5)
    ev.time()
    bench_do("BENCH:FAULT:LINK ev,DROP")
    try:
        with pytest.raises(InstrumentLinkError) as info:
            ev.time()
        assert info.value.command == "SYST:TIME?"
    finally:
        bench_do("BENCH:FAULT:LINK ev,NONE")
    assert ev.time() >= 0


def test_garbled_reply_is_an_instrument_error_naming_the_command(driver, bench_do):
    ev = driver("EVE-1", timeout_s=0.5)
    bench_do("BENCH:FAULT:LINK ev,GARBLE")
    try:
        with pytest.raises(InstrumentError, match=r"'SYST:TIME\?': unexpected reply"):
            ev.time()
    finally:
        bench_do("BENCH:FAULT:LINK ev,NONE")
    assert ev.time() >= 0


def test_nan_from_the_instrument_is_nan(driver, transcript):
    ev = driver("EVE-1")
    ev.make_safe()
    mark = transcript.mark()
    value = ev.query_float("MEAS:CP:RTIM?")  # no PWM in state A: nothing to measure
    assert math.isnan(value)
    assert transcript.lines(mark) == ["> MEAS:CP:RTIM?", "< 9.91000E+37"]


def test_serial_is_labgrids_pyserial_fork():
    import importlib.metadata
    from pathlib import Path

    import serial
    import serial.rfc2217

    assert Path(serial.__file__).exists()
    assert serial.rfc2217.Serial is not None
    fork = importlib.metadata.version("pyserial-labgrid")
    assert serial.__version__ == fork  # plain pyserial says "3.5"
    files = importlib.metadata.files("pyserial-labgrid") or []
    assert any(str(f) == "serial/__init__.py" for f in files)
