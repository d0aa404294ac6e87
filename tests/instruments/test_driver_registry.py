"""Registry, driver options, the quantity helper and the generic base behaviour."""

from __future__ import annotations

import threading

import pytest

from rig.errors import ConfigError, InstrumentError
from rig.instruments import protocols
from rig.instruments.ametek import Asterion
from rig.instruments.base import Quantity, ScpiInstrument, quantity
from rig.instruments.bench_control import BenchControl
from rig.instruments.chroma import Chroma19032
from rig.instruments.chroma_load import Chroma63800
from rig.instruments.ev_bank import EVB100
from rig.instruments.ev_emulator import EVE1
from rig.instruments.infiniivision import InfiniiVision
from rig.instruments.keithley import Keithley2450, Keithley6221
from rig.instruments.keysight import AC6801B
from rig.instruments.keysight_counter import Keysight53220A
from rig.instruments.registry import MODELS, driver_class, open_instrument
from rig.instruments.yokogawa import WT333E


def test_models():
    assert {
        "AC6801B": AC6801B, "ASTERION": Asterion, "WT333E": WT333E,
        "KEITHLEY2450": Keithley2450, "KEITHLEY6221": Keithley6221, "EVE-1": EVE1,
        "CHROMA19032": Chroma19032, "53220A": Keysight53220A, "INFINIIVISION": InfiniiVision,
        "CHROMA63800": Chroma63800, "BENCH-CONTROL": BenchControl, "EVB-100": EVB100,
    } == MODELS
    assert driver_class("asterion") is Asterion
    assert issubclass(AC6801B, protocols.AcSource) and issubclass(Asterion, protocols.AcSource)
    assert issubclass(WT333E, protocols.PowerAnalyser)
    assert issubclass(Keithley2450, protocols.ResidualCurrentSource)
    assert issubclass(Keithley6221, protocols.ResidualCurrentSource)
    assert issubclass(EVE1, protocols.EvEmulator)
    assert issubclass(Chroma19032, protocols.ElectricalSafetyTester)
    assert issubclass(Keysight53220A, protocols.PulseCounter)
    assert issubclass(InfiniiVision, protocols.Oscilloscope)
    assert issubclass(Chroma63800, protocols.AcLoad)
    assert issubclass(EVB100, protocols.VehicleBank)


def test_unknown_model_lists_known_models():
    with pytest.raises(ConfigError) as info:
        open_instrument("AC6804B", "TCPIP0::127.0.0.1::1::SOCKET", "ac_source")
    message = str(info.value)
    assert "AC6804B" in message
    for model in ("AC6801B", "ASTERION", "WT333E", "KEITHLEY2450", "KEITHLEY6221", "EVE-1"):
        assert model in message


def test_open_instrument_passes_everything(bench, transcript):
    cs = open_instrument("KEITHLEY6221", bench["cs"], "rcd_ac", transcript, 0.75, turns=5)
    try:
        assert isinstance(cs, Keithley6221)
        assert (cs.name, cs.resource, cs.turns) == ("rcd_ac", bench["cs"], 5)
        assert cs.transcript is transcript and cs.transport.timeout_s == 0.75
        cs.identify()
        assert {e.instrument for e in transcript} == {"rcd_ac"}
    finally:
        cs.close()


def test_unknown_option_and_bad_timeout_fail_before_connecting(bench, transcript):
    with pytest.raises(ConfigError, match="turns") as info:
        open_instrument("AC6801B", bench["ac1"], "ac_source", transcript, turns=5)
    assert info.value.key == "turns"
    with pytest.raises(ConfigError, match="timeout_s"):
        open_instrument("AC6801B", bench["ac1"], "ac_source", transcript, timeout_s=0)
    assert len(transcript) == 0


def test_context_manager_makes_safe_and_closes(bench, transcript):
    with open_instrument("AC6801B", bench["ac1"], "ac1", transcript) as ac:
        ac.configure(230)
        ac.output_on()
    assert transcript.lines()[-6:] == [
        "> OUTP OFF", "> SYST:ERR?", '< +0,"No error"',
        "> OUTP:PROT:WDOG OFF", "> SYST:ERR?", '< +0,"No error"',
    ]
    with pytest.raises(InstrumentError, match="session is closed"):
        ac.is_on()


def test_queries_from_threads_never_mix_replies(bench, transcript):
    ac = open_instrument("AC6801B", bench["ac1"], "ac1", transcript)
    try:
        ac.configure(100, 60)
        results: list[tuple[float, float]] = []

        def worker() -> None:
            for _ in range(100):
                results.append((ac.voltage, ac.frequency))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [(100.0, 60.0)] * 400
    finally:
        ac.make_safe()
        ac.close()


def test_make_safe_tries_every_command_and_raises_the_refusal(bench, transcript):
    class Refusing(EVE1):
        safe_commands = ("SOUR:CP:STAT A", "SOUR:CP:STAT X", "OUTP:LOAD OFF")

    ev = Refusing(bench["ev"], "ev", transcript)
    try:
        with pytest.raises(InstrumentError) as info:
            ev.make_safe()
        assert info.value.command == "SOUR:CP:STAT X"
        assert "> OUTP:LOAD OFF" in transcript.lines()  # still sent after the refusal
    finally:
        ev.close()


def test_make_safe_stops_at_a_dead_link(bench, transcript, bench_do):
    ev = EVE1(bench["ev"], "ev", transcript, timeout_s=0.3)
    try:
        ev.identify()
        bench_do("BENCH:FAULT:LINK ev,DELAY,2")
        mark = transcript.mark()
        with pytest.raises(InstrumentError):
            ev.make_safe()
        assert transcript.lines(mark) == ["> SYST:ERR?"]  # one timeout, not one per command
    finally:
        bench_do("BENCH:FAULT:LINK ev,NONE")
        ev.close()


def test_bench_control_driver(bench, transcript):
    ctl = open_instrument("BENCH-CONTROL", bench["ctrl"], "bench", transcript, 10)
    try:
        assert ctl.clock_mode() == "VIRTUAL"
        t0 = ctl.time()
        ctl.advance(1.25)
        assert ctl.time() == pytest.approx(t0 + 1.25)
        safe, why = ctl.safe()
        assert safe is True and why == ""
        ctl.link_fault("ev", "GARBLE")
        ctl.link_fault("ev", "none")
        with pytest.raises(InstrumentError) as info:
            ctl.link_fault("nosuch", "DROP")
        assert info.value.command == "BENCH:FAULT:LINK nosuch,DROP,0"
        with pytest.raises(ValueError, match="mode"):
            ctl.link_fault("ev", "SLOW")
        ctl.make_safe()
    finally:
        ctl.close()


class Demo(ScpiInstrument):
    """A stand-alone driver for the helper's own checks (never opened)."""

    level = quantity("LEV?", "LEV %g", "Level", unit="mA", range=(-5, 5))
    mode = quantity("MODE?", "MODE %s", "Mode", str, values={"fast": "FAST", "slow": "SLOW"})
    enabled = quantity("EN?", "EN %s", "Enabled", bool)


def test_quantity_validation_and_doc():
    level = Demo.level
    assert isinstance(level, Quantity) and level.name == "level"
    assert level.validate(2) == 2.0 and level.validate(-5) == -5.0
    for bad in (5.01, float("inf"), float("nan"), True, None, "1"):
        with pytest.raises(ValueError, match="level"):
            level.validate(bad)
    assert Demo.mode.validate("FAST") == "FAST" and Demo.mode.validate("Slow") == "SLOW"
    with pytest.raises(ValueError, match=r"mode = 'medium': one of fast, slow"):
        Demo.mode.validate("medium")
    assert Demo.enabled.validate(True) == "ON" and Demo.enabled.validate(0) == "OFF"
    with pytest.raises(ValueError, match="enabled"):
        Demo.enabled.validate(2)
    assert "Unit: mA" in (level.__doc__ or "") and "-5 ... 5 mA" in (level.__doc__ or "")
    assert "LEV %g" in (level.__doc__ or "")


def test_identities_of_the_composite_bench_instruments():
    """What the emulated twins (and the real instruments) answer to *IDN? fits their models;
    ``rig doctor`` refuses the scope otherwise (a DSOX3024T's T once did not fit)."""
    from rig.instruments.registry import idn_matches

    assert idn_matches("INFINIIVISION", "KEYSIGHT TECHNOLOGIES", "DSOX3024T")
    assert idn_matches("INFINIIVISION", "AGILENT TECHNOLOGIES", "MSO-X 3034A".replace(" ", ""))
    assert not idn_matches("INFINIIVISION", "KEYSIGHT TECHNOLOGIES", "AC6801B")
    assert idn_matches("CHROMA63800", "Chroma", "63804")
    assert not idn_matches("CHROMA63800", "Chroma", "19032")
