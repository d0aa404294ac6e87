"""The composed EV (relays + scope + AC load) as the EvEmulator protocol, on the bench.

Real parts: labgrid's ModbusCoilDriver to the bench's Modbus board, the InfiniiVision and
Chroma 63800 drivers over pyvisa to the emulated scope and load, the rig's BenchClock over the
control port, the emulated charger firmware. Proves the load draws what a vehicle would (its
wanted current, at most the advertised one, only while asking for charge) and that its
measurement is what ``load_current`` reports; and that the trace's contactor and PWM come from
the acquisitions (close to the profile's timings), with what the rig cannot do refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from labgrid import Environment
from labgrid.protocol import DigitalOutputProtocol

from rig.bench.host import BenchHost
from rig.clock import BenchClock
from rig.errors import RigError
from rig.instruments.bench_control import BenchControl
from rig.instruments.chroma_load import Chroma63800
from rig.instruments.composed_ev import ComposedEv
from rig.instruments.infiniivision import InfiniiVision
from rig.instruments.relay_vehicle import RelayVehicle, functions
from rig.standards.iec61851 import current_for_duty
from tests.bench.test_relay_board import relay_env


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> Iterator[tuple]:  # type: ignore[no-untyped-def, type-arg]
    host = BenchHost(relay_board=True).start()
    env = relay_env(tmp_path_factory.mktemp("composed") / "relays.yaml", host.relay_board.address)
    target = Environment(str(env)).get_target("main")
    relays = RelayVehicle({f: target.get_driver(DigitalOutputProtocol, name=f)
                           for f in functions()})
    scope = InfiniiVision(host.servers["scope"].resource, "scope")
    load = Chroma63800(host.servers["load"].resource, "ev_load")
    control = BenchControl(host.servers["ctrl"].resource, "bench", token=host.token)
    clock = BenchClock(control)
    ev = ComposedEv("ev", relays, scope, load, clock=clock)
    supply = host.bench.sources["ac1"]
    with host.bench.lock:
        supply.voltage_v, supply.output = [230.0, 0.0, 0.0], True
        host.bench.changed()
    clock.wait_until(lambda: ev.measure_pilot().state == "A1", 300.0, poll=1.0)
    try:
        yield host, ev, clock
    finally:
        ev.make_safe()
        for inst in (scope, load, control):
            inst.close()
        target.deactivate_all_drivers()
        host.stop()


def test_the_load_draws_what_the_vehicle_would(parts):
    host, ev, clock = parts
    ev.set_load(20.0, phases=3)
    ev.load_on()
    ev.set_cable(220.0)
    t_b = ev.set_state("B")
    clock.sleep(2.0)
    ev.events()
    assert ev.load_current() == 0.0 and not host.bench.ev.load_on  # B: not asking
    t_c = ev.set_state("C")
    clock.wait_until(lambda: ev.events(t_c) and host.bench.hal.contactor, 10.0)
    for _ in range(90):  # the soft start; the load follows the PWM at each look
        clock.sleep(1.0)
        ev.events()
    advertised = current_for_duty(ev.measure_pilot().duty_pct)
    expected = min(20.0, advertised)
    assert ev.load_current() == pytest.approx(expected, abs=0.05)
    assert host.bench.ev.load_a[0] == pytest.approx(ev.load_current(), abs=1e-3)
    assert ev.load_current(2) == 0.0  # one load, on L1
    closed = next(e for e in ev.events(t_c) if e.kind == "CONTACTOR" and e.value == "1")
    assert closed.t - t_c == pytest.approx(0.5, abs=0.002)  # the profile's 0.5 s
    assert any(e.kind == "PWM" and e.value != "OFF" and e.t > t_b for e in ev.events(t_b))
    t_b2 = ev.set_state("B")
    clock.sleep(1.0)
    opened = next(e for e in ev.events(t_b2) if e.kind == "CONTACTOR" and e.value == "0")
    assert opened.t - t_b2 == pytest.approx(0.05, abs=0.0055)  # the profile's 0.05 s
    assert ev.load_current() == 0.0
    ev.make_safe()


def test_what_the_rig_cannot_do_is_refused(parts):
    _, ev, _ = parts
    with pytest.raises(RigError, match="no LED colour sensor"):
        ev.led()
    with pytest.raises(RigError, match="PE_OPEN needs a relay"):
        ev.set_fault("PE_OPEN")
    assert not math.isnan(ev.inlet_voltage())


@pytest.mark.parametrize(("change", "key", "expected"), [
    ("drop cp_d", "targets.main.drivers", "a digital output driver named 'cp_d'"),
    ("circuit", "ComposedEvEmulator.circuit", "unknown circuit options ['r9_ohm']"),
    ("scope role", "ComposedEvEmulator", "an instrument role 'scope2' in the same target"),
])
def test_a_broken_composite_rig_file_is_a_clear_error(parts, tmp_path, change, key, expected):
    """The rig session refuses, before any relay moves, naming what is missing or wrong."""
    import yaml

    from rig.errors import ConfigError
    from rig.pytest_plugin.rig import RigSession

    host = parts[0]
    data = yaml.safe_load(relay_env(tmp_path / "relays.yaml", host.relay_board.address)
                          .read_text())
    main = data["targets"]["main"]
    ev: dict = {"name": "ev", "scope": "scope"}
    if change == "drop cp_d":
        main["drivers"] = [d for d in main["drivers"] if d["ModbusCoilDriver"]["name"] != "cp_d"]
    elif change == "circuit":
        ev["circuit"] = {"r9_ohm": 1.0}
    else:
        ev["scope"] = "scope2"
    main["resources"] += [
        {"ScpiInstrument": {"name": "scope", "model": "INFINIIVISION",
                            "resource": host.servers["scope"].resource}},
        {"ComposedEvEmulator": ev}]
    main["drivers"].append({"ScpiInstrumentDriver": {"name": "scope",
                                                     "bindings": {"res": "scope"}}})
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump({"imports": ["rig.labgrid"], **data}))
    writes = host.relay_board.writes
    session = RigSession(Environment(str(path)), None)
    try:
        with pytest.raises(ConfigError) as info:
            session.open()
    finally:
        session.close()
    assert key in info.value.key and expected in info.value.expected
    assert host.relay_board.writes == writes
