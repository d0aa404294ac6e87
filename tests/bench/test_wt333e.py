"""The Yokogawa WT333E power analyser over TCP: items, headers, integration, energy."""

from __future__ import annotations

import math

import pytest

ERR = ":STAT:ERR?"


@pytest.fixture
def pa(links):
    pa = links["pa"]
    pa.write(":COMM:REM ON;:COMM:HEAD OFF;:NUM:FORM ASC")
    return pa


def charge(links, amps=(16.0, 0.0, 0.0), source="ac1", lag="0"):
    """230 V on, vehicle in C drawing ``amps`` (the stand-in charger closes at once)."""
    links[source].write("VOLT 230;OUTP ON" if source == "ac1" else
                        "INST:COUP ALL;:VOLT:AC 230;:OUTP ON")
    ev = links["ev"]
    ev.write(f"SOUR:LOAD:LAG {lag}")
    for n, a in enumerate(amps, start=1):
        ev.write(f"SOUR:LOAD:CURR{n} {a}")
    ev.write("OUTP:LOAD ON;:SOUR:CP:STAT C")


def advance(links, seconds):
    links["ctrl"].write(f"BENCH:TIME:ADV {seconds}")


def values(pa, query=":NUM:NORM:VAL?"):
    return [math.nan if v == "NAN" else math.inf if v == "INF" else float(v)
            for v in pa.query(query).split(",")]


def test_identity_exact_bytes(links):
    pa = links["pa"]
    pa.send_raw(b"*IDN?\n")
    assert pa.read_raw() == b"YOKOGAWA,WT333E,C2QD12345,F1.03\n"
    pa.send_raw(b":STAT:ERR?\n")  # headers are on at power-on, even for the error query
    assert pa.read_raw() == b':STAT:ERR 0,"No error"\n'


def test_error_query_is_stat_err_and_syst_err_is_undefined(links):
    pa = links["pa"]
    pa.send_raw(b"SYST:ERR?\n")  # no reply: the query itself is an error
    pa.send_raw(b":STATUS:ERROR?\n")
    assert pa.read_raw() == b":STAT:ERR -113,\"Undefined header; 'SYST:ERR?'\"\n"
    assert pa.query(":STAT:ERR?") == ':STAT:ERR 0,"No error"'


def test_headers_on_and_off(links):
    pa = links["pa"]
    assert pa.query(":COMM:HEAD?") == ":COMM:HEAD 1"  # headers are on after reset
    assert pa.query(":INTEG:STAT?") == ":INTEG:STAT RESET"
    assert pa.query(":NUM:NORM:ITEM2?") == ":NUM:NORM:ITEM2 U,2"
    pa.write(":COMM:HEAD OFF")
    assert pa.query(":COMM:HEAD?") == "0"
    assert pa.query(":INTEG:STAT?;:NUM:NORM:ITEM2?") == "RESET;U,2"
    pa.write(":COMMUNICATE:HEADER ON")
    assert pa.query(":NUM:NUM?") == ":NUM:NORM:NUM 15"  # the whole path, as the manual
    assert pa.errors(ERR) == []


def test_default_items_and_values_with_no_supply(pa):
    assert pa.query(":NUM:NORM:NUM?") == "15"
    items = [pa.query(f":NUM:NORM:ITEM{n}?") for n in range(1, 16)]
    assert items == ["U,1", "U,2", "U,3", "I,1", "I,2", "I,3", "P,1", "P,2", "P,3",
                     "S,1", "Q,1", "LAMBDA,1", "PHI,1", "FU,1", "FI,1"]
    reply = pa.query(":NUM:NORM:VAL?")
    assert reply == ",".join(["0.0000E+00"] * 11 + ["NAN"] * 4)


@pytest.mark.stub_firmware
def test_choose_items_and_read(links, pa):
    charge(links, (16.0, 0.0, 0.0))
    advance(links, 1)
    pa.write(":NUM:NORM:NUM 6;:NUM:NORM:ITEM1 U,1;ITEM2 I,1;ITEM3 P,1;ITEM4 LAMB,1;"
             "ITEM5 FU,1;ITEM6 U,2")
    assert pa.query(":NUM:NORM:ITEM4?") == "LAMBDA,1"
    assert pa.query(":NUM:NORM:VAL?") == (
        "2.3000E+02,1.6000E+01,3.6800E+03,1.0000E+00,5.0000E+01,0.0000E+00")
    assert pa.query(":NUM:NORM:VAL? 3") == "3.6800E+03"
    pa.write(":NUM:NORM:ITEM7 P,SIGMA;:NUM:NORM:NUM 7")
    assert values(pa)[6] == pytest.approx(3680.0)
    pa.write(":NUM:ITEM1 NONE")
    assert pa.query(":NUM:ITEM1?;:NUM:VAL? 1") == "NONE;NAN"
    assert pa.errors(ERR) == []


@pytest.mark.stub_firmware
def test_power_factor_and_sigma(links, pa):
    charge(links, (10.0, 12.0, 14.0), source="ac3")
    links["ev"].write("SOUR:LOAD:PFAC 0.8")
    advance(links, 1)
    pa.write(":NUM:NORM:NUM 6;:NUM:NORM:ITEM1 P,SIGMA;ITEM2 S,SIGMA;ITEM3 LAMBDA,SIGMA;"
             "ITEM4 I,SIGMA;ITEM5 Q,1;ITEM6 PHI,1")
    p, s, lam, i, q, phi = values(pa)
    assert s == pytest.approx(230 * 36, rel=1e-4)
    assert p == pytest.approx(230 * 36 * 0.8, rel=1e-4)
    assert lam == pytest.approx(0.8, rel=1e-4)
    assert i == pytest.approx(12.0, rel=1e-4)
    assert q == pytest.approx(230 * 10 * 0.6, rel=1e-4)
    assert phi == pytest.approx(math.degrees(math.acos(0.8)), rel=1e-4)


@pytest.mark.stub_firmware
def test_over_range_reads_inf(links, pa):
    charge(links, (16.0, 0.0, 0.0))
    advance(links, 1)
    pa.write(":NUM:NORM:NUM 2;:NUM:NORM:ITEM1 I,1;ITEM2 U,1")
    pa.write(":INP:CURR:RANG 10")  # 16 A > 140 % of 10 A
    assert pa.query(":INP:CURR:RANG?;:INP:CURR:AUTO?") == "1.0000E+01;0"
    assert pa.query(":NUM:NORM:VAL?") == "INF,2.3000E+02"
    pa.write(":INP:CURR:AUTO ON")
    assert pa.query(":NUM:NORM:VAL?") == "1.6000E+01,2.3000E+02"
    pa.write(":INP:VOLT:RANG 150")
    assert pa.query(":NUM:NORM:VAL?") == "1.6000E+01,INF"
    pa.write(":INP:CURR:RANG 7")
    pa.write(":INP:VOLT:RANG 1000")
    assert pa.errors(ERR) == [-224, -224]


@pytest.mark.stub_firmware
def test_peak_hold(links, pa):
    charge(links, (16.0, 0.0, 0.0))
    advance(links, 1)
    pa.write(":NUM:NORM:NUM 1;:NUM:NORM:ITEM1 IPPK,1;:MEAS:MHOL ON")
    assert pa.query(":MEAS:MHOL?") == "1"
    assert float(pa.query(":NUM:NORM:VAL?")) == pytest.approx(16 * math.sqrt(2), rel=1e-4)
    links["ev"].write("SOUR:LOAD:CURR1 8")
    advance(links, 1)
    assert float(pa.query(":NUM:NORM:VAL?")) == pytest.approx(16 * math.sqrt(2), rel=1e-4)
    pa.write(":MEAS:MHOL OFF")
    assert float(pa.query(":NUM:NORM:VAL?")) == pytest.approx(8 * math.sqrt(2), rel=1e-4)


def test_wiring_and_filter(pa):
    pa.write(":INP:WIR P1W2")
    assert pa.query(":INP:WIR?") == "P1W2"
    pa.write(":INP:WIR P3W4;:STAT:FILT1 FALL")
    assert pa.query(":INP:WIR?;:STAT:FILT1?") == "P3W4;FALL"
    pa.write(":INP:WIR P2W5")
    assert pa.errors(ERR) == [-224]


def test_eesr_reports_a_data_update(links, pa):
    pa.write(":RATE 100MS;:STAT:FILT1 FALL")
    pa.query(":STAT:EESR?")  # read and clear
    assert pa.query(":STAT:EESR?") == "0"
    advance(links, 0.1)
    assert pa.query(":STAT:EESR?") == "1"
    assert pa.query(":STAT:EESR?") == "0"
    pa.write(":COMM:WAIT 1")
    assert pa.errors(ERR) == []


@pytest.mark.parametrize(("text", "reply"), [("100MS", "1.0000E-01"), ("250ms", "2.5000E-01"),
                                             ("500MS", "5.0000E-01"), ("1S", "1.0000E+00"),
                                             ("2 S", "2.0000E+00"), ("5", "5.0000E+00")])
def test_rate(pa, text, reply):
    pa.write(f":RATE {text}")
    assert pa.query(":RATE?") == reply
    assert pa.errors(ERR) == []


@pytest.mark.parametrize("text", ["300MS", "10S", "FAST"])
def test_bad_rate(pa, text):
    pa.write(f":RATE {text}")
    assert pa.errors(ERR) == [-224 if text != "FAST" else -104]


@pytest.mark.parametrize(
    ("command", "code"),
    [(":NUM:ITEM0 U", -114), (":NUM:ITEM256 U", -114), (":NUM:ITEM1 FOO", -224),
     (":NUM:ITEM1 U,4", -224), (":NUM:ITEM1 U,1,2", -108), (":NUM:NUM 256", -222),
     (":NUM:NUM 0", -222), (":NUM:FORM FLO", -221), (":NUM:FORM HEX", -224),
     (":INTEG:MODE FAST", -224), (":INTEG:TIM 0,60,0", -222), (":INTEG:TIM 0,5", -109),
     (":FOO", -113), (":NUM:NORM:VALUE:ALL?", -113), (":COMM:HEAD MAYBE", -224)],
)
def test_errors(pa, command, code):
    pa.write(command)
    assert pa.errors(ERR) == [code]


def test_integration_state_machine(links, pa):
    assert pa.query(":INTEG:STAT?") == "RESET"
    pa.write(":INTEG:STOP")  # STOP only while integrating
    assert pa.query(ERR) == '-221,"Settings conflict; integration is not running"'
    pa.write(":INTEG:MODE NORM;:INTEG:STAR")
    assert pa.query(":INTEG:STAT?;:INTEG:MODE?") == "START;NORM"
    pa.write(":INTEG:RES")  # RESET not while integrating
    assert pa.query(ERR) == '-221,"Settings conflict; stop the integration before a reset"'
    pa.write(":INTEG:STAR")  # already running
    assert pa.errors(ERR) == [-221]
    pa.write(":RATE 1S")  # RATE only after a reset
    assert pa.query(ERR) == ('-221,"Settings conflict; update rate can change only after an '
                             'integration reset"')
    pa.write(":INTEG:TIM 0,1,0")  # no timer change while running
    assert pa.errors(ERR) == [-221]
    pa.write(":INTEG:STOP")
    assert pa.query(":INTEG:STAT?") == "STOP"
    pa.write(":INTEG:STOP")
    assert pa.errors(ERR) == [-221]
    pa.write(":RATE 1S")  # still not reset
    assert pa.errors(ERR) == [-221]
    pa.write(":INTEG:STAR")  # a stopped integration continues
    assert pa.query(":INTEG:STAT?") == "START"
    pa.write(":INTEG:STOP;:INTEG:RES")
    assert pa.query(":INTEG:STAT?") == "RESET"
    pa.write(":RATE 1S")
    assert pa.query(":RATE?") == "1.0000E+00"
    assert pa.errors(ERR) == []


@pytest.mark.stub_firmware
def test_integration_timer_times_up(links, pa):
    charge(links, (16.0, 0.0, 0.0))
    advance(links, 1)
    pa.write(":NUM:NORM:NUM 2;:NUM:NORM:ITEM1 WH,1;ITEM2 TIME,1")
    pa.write(":INTEG:MODE NORM;:INTEG:TIM 0,5,0")
    assert pa.query(":INTEG:TIM?") == "0,5,0"
    pa.write(":INTEG:STAR")
    advance(links, 299.5)
    assert pa.query(":INTEG:STAT?") == "START"
    advance(links, 1.0)  # the timer ends inside this step
    assert pa.query(":INTEG:STAT?") == "TIMEUP"
    wh, seconds = values(pa)
    assert seconds == 300.0
    assert wh == pytest.approx(230 * 16 * 300 / 3600, rel=1e-4)  # 5 significant digits
    advance(links, 100)  # nothing counts after TIMEUP
    assert values(pa) == [wh, seconds]
    pa.write(":INTEG:STAR")
    assert pa.errors(ERR) == [-221]
    pa.write(":INTEG:RES")
    assert pa.query(":INTEG:STAT?;:INTEG:TIM?") == "RESET;0,5,0"
    assert values(pa) == [0.0, 0.0]


@pytest.mark.stub_firmware
def test_energy_against_the_model(links, pa):
    """16 A at 230 V on L1 for 3600 s of virtual time is 3680 Wh (+/- 0.1 %)."""
    charge(links, (16.0, 0.0, 0.0), lag="0.5")
    advance(links, 10)  # the load has settled
    pa.write(":NUM:NORM:NUM 8;:NUM:NORM:ITEM1 WH,1;ITEM2 WHP,1;ITEM3 WHM,1;ITEM4 AH,1;"
             "ITEM5 TIME,1;ITEM6 WH,2;ITEM7 WH,SIGMA;ITEM8 P,1")
    pa.write(":INTEG:MODE NORM;:INTEG:TIM 0,0,0;:INTEG:STAR")
    advance(links, 3600)
    pa.write(":INTEG:STOP")
    wh, whp, whm, ah, seconds, wh2, wh_sigma, p = values(pa)
    assert wh == pytest.approx(3680.0, rel=1e-3)
    assert whp == wh and whm == 0.0
    assert ah == pytest.approx(16.0, rel=1e-3)
    assert seconds == pytest.approx(3600.0)
    assert wh2 == 0.0
    assert wh_sigma == wh
    assert p == pytest.approx(3680.0, rel=1e-4)
    advance(links, 60)  # stopped: no more energy
    assert values(pa)[0] == wh


@pytest.mark.stub_firmware
def test_energy_follows_the_load_lag(links, pa):
    """Integration from the moment the load switches on includes the first-order lag."""
    pa.write(":NUM:NORM:NUM 1;:NUM:NORM:ITEM1 WH,1;:INTEG:STAR")
    charge(links, (16.0, 0.0, 0.0), lag="2")
    advance(links, 20)
    expected = 230 * 16 * (20 - 2 * (1 - math.exp(-10))) / 3600
    assert values(pa)[0] == pytest.approx(expected, rel=1e-4)


def test_response_headers_follow_head_and_verbose_not_the_query(links):
    """Issue 9: the header is the command's whole path in one form, whatever the query used:
    short with :COMM:VERB OFF (power-on), long with ON; *RST keeps both settings."""
    pa = links["pa"]
    assert pa.query(":COMM:VERB?") == ":COMM:VERB 0"
    assert pa.query(":INPUT:WIRING?") == ":INP:WIR P3W4"  # long query, short header
    assert pa.query(":NUMERIC:NORMAL:ITEM12?") == ":NUM:NORM:ITEM12 LAMBDA,1"
    pa.write(":COMMUNICATE:VERBOSE ON")
    assert pa.query(":COMM:HEAD?") == ":COMMUNICATE:HEADER 1"  # short query, long header
    assert pa.query(":INP:WIR?;:NUM:ITEM3?") == ":INPUT:WIRING P3W4;:NUMERIC:NORMAL:ITEM3 U,3"
    assert pa.query(":STAT:ERR?") == ':STATUS:ERROR 0,"No error"'
    assert pa.query("*IDN?").startswith("YOKOGAWA,")  # common commands: never a header
    pa.write("*RST")
    assert pa.query(":COMM:VERB?;:COMM:HEAD?") == ":COMMUNICATE:VERBOSE 1;:COMMUNICATE:HEADER 1"
    pa.write(":COMM:HEAD OFF")
    assert pa.query(":COMM:VERB?;:INP:WIR?") == "1;P3W4"
    links["ctrl"].write("BENCH:FAULT:REBOOT pa")  # a power cycle: back to HEAD ON, VERB OFF
    pa.close()
    pa = type(pa)(pa.resource)
    try:
        assert pa.query(":COMM:HEAD?;:COMM:VERB?") == ":COMM:HEAD 1;:COMM:VERB 0"
    finally:
        pa.close()
