"""Instrument faults at driver level, against the emulated bench over real sockets.

For each fault the bench control port can inject (drop the link, answer late, answer garbage,
queue an error, reboot), what the driver does and the exact message a step gets. The rule: a
query that only asks is asked once more on a new session; a write is never sent twice; after
any reconnect the driver reads back what it set before sending anything else; whatever cannot be
recovered is an InstrumentError (an ERROR of the step, never a FAIL of the charger) that names
the instrument, its address and the command.
"""

from __future__ import annotations

import time

import pytest

from rig.errors import InstrumentError, InstrumentTimeout, RigError
from rig.instruments.ametek import Asterion
from rig.instruments.base import SettingsLost
from rig.instruments.ev_emulator import EVE1
from rig.instruments.keithley import Keithley6221
from rig.instruments.keysight import AC6801B
from rig.instruments.yokogawa import WT333E
from rig.transport import InstrumentLinkError, idempotent_query

# ---- what counts as a query that may be asked again -------------------------------------------


@pytest.mark.parametrize(
    ("message", "only_asks"),
    [
        ("SYST:TIME?", True),
        ("*IDN?", True),
        ("TRAC:EVEN:DATA? 12.500000", True),
        ("MEAS:CP:FREQ?;:MEAS:CP:DCYC?", True),
        ("INST:COUP NONE;:INST:NSEL 2;:MEAS:VOLT:AC?", False),  # selects a phase
        ("SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE", False),  # changes the vehicle state
        ("BENCH:TIME:ADV 1;*OPC?", False),  # advances time
        ("VOLT 230", False),
        ("", False),
    ],
)
def test_only_messages_that_only_ask_are_idempotent(message, only_asks):
    assert idempotent_query(message) is only_asks


# ---- the settings cache: what a write leaves behind --------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "part", "value"),
    [
        (AC6801B.voltage, "VOLT 230", 230.0),
        (AC6801B.voltage, ":volt 2.3e2", 230.0),
        (AC6801B.output, "OUTP ON", True),
        (AC6801B.output, "OUTP 0", False),
        (Asterion.coupling, "INST:COUP NONE", "NONE"),
        (Asterion.selected_phase, ":INST:NSEL 2", 2),
        (EVE1.vehicle_state, "SOUR:CP:STAT C", "C"),
        (EVE1.vehicle_state, "SOUR:CP:RES INF", "A"),
        (EVE1.vehicle_state, "SOUR:CP:RES 1300", None),  # some resistance: no longer known
        (EVE1.pp_resistance, "SOUR:PP:RES NONE", None),
        (EVE1.pp_resistance, "SOUR:PP:RES 220", 220.0),
        (Keithley6221.output, ":SOUR:WAVE:INIT", True),
        (Keithley6221.output, ":SOUR:WAVE:ABOR", False),
        (WT333E.rate, ":RATE 100MS", 0.1),
        (WT333E.voltage_range, ":INP:VOLT:RANG 300", 300.0),
    ],
)
def test_a_write_is_recognised_whoever_sends_it(quantity, part, value):
    assert quantity.written(part) == (True, value)


def test_other_commands_leave_a_setting_alone():
    assert AC6801B.voltage.written("VOLT:PROT 300") == (False, None)
    assert AC6801B.voltage.written("FREQ 50") == (False, None)
    assert EVE1.load.written("OUTP:LOAD:LAG 1") == (False, None)


def test_the_cache_follows_every_path_that_writes(driver, scpi_transcript):
    ac = driver("AC6801B")
    ac.configure(230, 50, 16)
    ac.output_on()
    assert ac.settings == {"voltage": 230, "frequency": 50, "current_limit": 16, "output": True}
    ac.make_safe()  # raw safe commands: OUTP OFF, OUTP:PROT:WDOG OFF
    assert ac.settings["output"] is False and ac.settings["watchdog"] is False
    ac.send("VOLT 200;:FREQ 60")  # a raw chain
    assert (ac.settings["voltage"], ac.settings["frequency"]) == (200, 60)
    ac.reset()  # *RST: back to the instrument's defaults, nothing left to verify
    assert ac.settings == {}


def test_a_refused_write_is_not_remembered(driver):
    ac = driver("ASTERION")
    ac.configure(230)
    with pytest.raises(InstrumentError, match="instrument error -222"):
        ac.send("INST:COUP ALL;:VOLT:AC 400")  # out of range: refused
    assert not any(name.startswith("voltage") for name in ac.settings)


# ---- drop: the LAN link goes down ----------------------------------------------------------------


def drop_once_after(host, key: str, message: str) -> None:
    """Make the instrument's link drop right after it processed ``message`` (once): its reply
    is lost, the client finds a closed connection."""
    server = host.servers[key]

    def hook(line: str) -> None:
        if line.strip().upper() == message.upper() and hook in server.on_message:
            server.on_message.remove(hook)
            server.drop_connections()

    server.on_message.append(hook)


def test_a_link_that_dropped_between_commands_is_reopened_and_verified_first(
    driver, bench_do, scpi_transcript
):
    ev = driver("EVE-1")
    ev.set_cable(220)
    ev.load_on()
    bench_do("BENCH:FAULT:LINK ev,DROP")  # the LAN goes down ...
    bench_do("BENCH:FAULT:LINK ev,NONE")  # ... and comes back
    mark = scpi_transcript.mark()
    ev.load_off()  # a write: sent once, on the new session, after the read-back
    assert scpi_transcript.lines(mark) == [
        "> SOUR:PP:RES?", "< 2.20000E+02", "> OUTP:LOAD?", "< 1",
        "> OUTP:LOAD OFF", "> SYST:ERR?", '< 0,"No error"',
    ]
    assert ev.transport.reconnects == 1


def test_a_query_is_asked_once_more_when_the_link_drops_under_it(driver, host, scpi_transcript):
    ev = driver("EVE-1")
    ev.set_cable(220)
    drop_once_after(host, "ev", "SYST:TIME?")
    mark = scpi_transcript.mark()
    assert ev.time() >= 0
    assert scpi_transcript.lines(mark)[:3] == ["> SYST:TIME?", "> SOUR:PP:RES?", "< 2.20000E+02"]
    assert scpi_transcript.lines(mark)[3] == "> SYST:TIME?"  # asked again on the new session
    assert ev.transport.reconnects == 1


def test_a_write_is_never_sent_twice(driver, host, bench, scpi_transcript):
    ev = driver("EVE-1")
    drop_once_after(host, "ev", "SYST:ERR?")  # the error check of the next write
    mark = scpi_transcript.mark()
    with pytest.raises(InstrumentLinkError) as info:
        ev.load_on()
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'OUTP:LOAD ON': connection closed by the instrument "
        "(checking the error queue after it)"
    )
    assert scpi_transcript.lines(mark).count("> OUTP:LOAD ON") == 1
    assert "load" not in ev.settings  # in doubt: not claimed, not verified
    assert ev.time() >= 0  # the next step starts on a working session


def test_a_link_that_stays_down_is_an_error_naming_instrument_address_and_command(
    driver, bench, bench_do
):
    ev = driver("EVE-1")
    ev.time()
    bench_do("BENCH:FAULT:LINK ev,DROP")
    with pytest.raises(InstrumentLinkError) as info:
        ev.time()
    assert isinstance(info.value, RigError)
    assert (info.value.instrument, info.value.address, info.value.command) == (
        "ev", bench["ev"], "SYST:TIME?")
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'SYST:TIME?': connection closed by the instrument; "
        "retried once after reconnecting: connection closed by the instrument"
    )


def test_reading_back_over_a_link_that_stays_down_names_the_command_and_the_read_back(
    driver, bench, bench_do
):
    ev = driver("EVE-1")
    ev.set_cable(220)
    bench_do("BENCH:FAULT:LINK ev,DROP")
    with pytest.raises(InstrumentLinkError) as info:
        ev.set_state("C")
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'SOUR:CP:STAT C;:TRAC:EVEN:LAST? STATE': reconnected, but "
        "reading the settings back failed: 'SOUR:PP:RES?': connection closed by the instrument"
    )
    bench_do("BENCH:FAULT:LINK ev,NONE")
    assert ev.set_state("B") >= 0  # link back: verified, then sent


# ---- late: replies beyond the timeout ------------------------------------------------------------


def test_a_late_reply_is_a_timeout_and_never_answers_the_next_query(
    driver, bench, bench_do, scpi_transcript
):
    ev = driver("EVE-1", timeout_s=0.3)
    ev.set_cable(220)
    bench_do("BENCH:FAULT:LINK ev,DELAY,0.6")
    start = time.monotonic()
    with pytest.raises(InstrumentTimeout) as info:
        ev.time()
    assert time.monotonic() - start < 0.55  # not asked again: a hung instrument costs one wait
    assert str(info.value) == f"ev at {bench['ev']}: 'SYST:TIME?': no reply within 0.3 s"
    bench_do("BENCH:FAULT:LINK ev,NONE")
    time.sleep(0.5)  # the late reply has been sent by now (into the abandoned session)
    mark = scpi_transcript.mark()
    assert ev.identify().model == "EVE-1 EV emulator"
    assert scpi_transcript.lines(mark) == [
        "> SOUR:PP:RES?", "< 2.20000E+02",  # a new session: read back first
        "> *IDN?", "< evse-rig,EVE-1 EV emulator,EVE1-0042,1.0.0",
    ]


def test_a_late_error_check_names_the_setting(driver, bench, bench_do):
    ev = driver("EVE-1", timeout_s=0.3)
    bench_do("BENCH:FAULT:LINK ev,DELAY,0.6")
    with pytest.raises(InstrumentTimeout) as info:
        ev.set_cable(220)
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'SOUR:PP:RES 220': no reply within 0.3 s "
        "(checking the error queue after it)"
    )
    assert "pp_resistance" not in ev.settings


# ---- garbage: unparseable replies ----------------------------------------------------------------


def test_a_garbled_reply_names_instrument_address_command_and_reply(
    driver, bench, bench_do, scpi_transcript
):
    ev = driver("EVE-1")
    bench_do("BENCH:FAULT:LINK ev,GARBLE")
    mark = scpi_transcript.mark()
    with pytest.raises(InstrumentError) as info:
        ev.time()
    reply = scpi_transcript.lines(mark)[-1][2:]
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'SYST:TIME?': unexpected reply {reply!r} (a number expected)"
    )
    assert scpi_transcript.lines(mark)[:-1] == ["> SYST:TIME?"]  # not asked again
    bench_do("BENCH:FAULT:LINK ev,NONE")
    assert ev.time() >= 0  # still in step: one reply per query


def test_a_garbled_error_check_names_the_setting_and_the_reply(
    driver, bench, bench_do, scpi_transcript
):
    ac = driver("AC6801B")
    bench_do("BENCH:FAULT:LINK ac1,GARBLE")
    mark = scpi_transcript.mark()
    with pytest.raises(InstrumentError) as info:
        ac.voltage = 230
    reply = scpi_transcript.lines(mark)[-1][2:]
    assert str(info.value) == (
        f"ac1 at {bench['ac1']}: 'VOLT 230': unexpected reply {reply!r} "
        '(code,"message" expected) (checking the error queue after it)'
    )
    assert "voltage" not in ac.settings


# ---- an error in the instrument's queue ----------------------------------------------------------


def test_a_queued_error_fails_the_next_setting_naming_it(driver, bench, bench_do):
    ev = driver("EVE-1")
    bench_do("BENCH:FAULT:ERROR ev,-310")
    assert ev.time() >= 0  # a plain query does not read the queue
    with pytest.raises(InstrumentError) as info:
        ev.load_on()
    assert str(info.value) == (
        f"ev at {bench['ev']}: 'OUTP:LOAD ON': instrument error "
        '-310,"System error; injected by the bench"'
    )
    assert info.value.errors == [(-310, "System error; injected by the bench")]
    assert "load" not in ev.settings
    ev.load_on()  # the queue is empty again


# ---- reboot: the instrument comes back with its power-on settings --------------------------------


def test_a_rebooted_ac_source_is_an_error_naming_every_lost_setting(
    driver, host, bench, bench_do, scpi_transcript
):
    ac = driver("AC6801B")
    ac.configure(230, 50, 16)
    ac.output_on()
    bench_do("BENCH:FAULT:REBOOT ac1")
    mark = scpi_transcript.mark()
    with pytest.raises(SettingsLost) as info:
        ac.is_on()
    assert str(info.value) == (
        f"ac1 at {bench['ac1']}: settings lost after reconnect: "
        "voltage is 0 V, expected 230 V (last command 'VOLT 230'); "
        "current_limit is 40 A, expected 16 A (last command 'CURR 16'); "
        "output is OFF, expected ON (last command 'OUTP ON')"
    )
    assert isinstance(info.value, InstrumentError)  # an ERROR of the step, never a FAIL
    assert scpi_transcript.lines(mark)[::2] == ["> VOLT?", "> FREQ?", "> CURR?", "> OUTP?"]
    assert ac.is_on() is False  # reported once; the step that set them has failed
    assert host.bench.sources["ac1"].output is False


def test_a_rebooted_three_phase_source_is_read_back_phase_by_phase(driver, bench, bench_do):
    ac = driver("ASTERION")
    ac.configure(230)
    ac.set_voltage(200, phase=2)
    ac.measure_voltage(phase=3)  # the selection moves; what was set does not
    bench_do("BENCH:FAULT:REBOOT ac3")
    with pytest.raises(SettingsLost) as info:
        ac.measure_voltage(phase=1)
    assert str(info.value) == (
        f"ac3 at {bench['ac3']}: settings lost after reconnect: "
        "voltage (phase 1) is 0 V, expected 230 V (last command 'VOLT:AC 230'); "
        "voltage (phase 2) is 0 V, expected 200 V (last command 'VOLT:AC 200'); "
        "voltage (phase 3) is 0 V, expected 230 V (last command 'VOLT:AC 230')"
    )


def test_a_rebooted_ev_emulator_under_a_charge_is_an_error_not_an_unplug(
    driver, bench, bench_do, scpi_transcript
):
    ev = driver("EVE-1")
    ev.set_cable(220)
    ev.set_load(16)
    ev.load_on()
    ev.set_state("C")
    bench_do("BENCH:FAULT:REBOOT ev")
    mark = scpi_transcript.mark()
    with pytest.raises(SettingsLost) as info:
        ev.set_state("B")
    assert str(info.value) == (
        f"ev at {bench['ev']}: settings lost after reconnect: "
        "pp_resistance is NONE, expected 220 ohm (last command 'SOUR:PP:RES 220'); "
        "load is OFF, expected ON (last command 'OUTP:LOAD ON'); "
        "vehicle_state is A, expected C (last command 'SOUR:CP:STAT C')"
    )
    assert not any(line.startswith("> SOUR:CP:STAT B") for line in scpi_transcript.lines(mark))


def test_a_rebooted_residual_current_source_is_an_error(driver, bench, bench_do):
    smu = driver("KEITHLEY2450")
    smu.configure()
    smu.apply(0.003)
    bench_do("BENCH:FAULT:REBOOT smu")
    with pytest.raises(SettingsLost) as info:
        smu.is_on()
    message = str(info.value)
    assert message.startswith(f"smu at {bench['smu']}: settings lost after reconnect: ")
    assert "source_current is 0 A, expected 0.003 A (last command ':SOUR:CURR:LEV 0.003')" in (
        message)
    assert "output is OFF, expected ON (last command 'OUTPUT ON')" in message


def test_a_rebooted_analyser_never_reads_its_default_items_for_ours(
    driver, bench, bench_do, scpi_transcript
):
    pa = driver("WT333E")
    pa.configure()
    items = [("U", 1), ("FU", 1)]
    pa.read(items)
    bench_do("BENCH:FAULT:REBOOT pa")  # item list, headers, ... back to defaults
    with pytest.raises(InstrumentLinkError) as info:
        pa.read(items)  # nothing it was set to was lost (defaults), but the item list was
    assert str(info.value).startswith(
        f"pa at {bench['pa']}: ':NUM:NORM:VAL?': the link was reopened under the query")
    mark = scpi_transcript.mark()
    values = pa.read(items)
    assert scpi_transcript.lines(mark)[0] == (
        "> :NUM:NORM:NUM 2;:NUM:NORM:ITEM1 U,1;:NUM:NORM:ITEM2 FU,1")
    assert values[0] == 0.0 and values[1] != values[1]  # U = 0 V, FU = NaN: no AC
    pa.configure()


def test_a_reboot_that_lost_nothing_goes_unnoticed(driver, bench_do, scpi_transcript):
    ac = driver("AC6801B")
    ac.configure(0, 50, 40)  # the power-on defaults
    bench_do("BENCH:FAULT:REBOOT ac1")
    mark = scpi_transcript.mark()
    assert ac.is_on() is False
    assert scpi_transcript.lines(mark)[-2:] == ["> OUTP?", "< 0"]


def test_make_safe_after_a_reboot_switches_everything_off_then_reports(
    driver, bench, bench_do, scpi_transcript
):
    ac = driver("AC6801B")
    ac.configure(230)
    ac.output_on()
    bench_do("BENCH:FAULT:REBOOT ac1")
    mark = scpi_transcript.mark()
    with pytest.raises(SettingsLost, match="output is OFF, expected ON"):
        ac.make_safe()
    sent = [line for line in scpi_transcript.lines(mark) if line.startswith(">")]
    assert "> OUTP OFF" in sent and "> OUTP:PROT:WDOG OFF" in sent
