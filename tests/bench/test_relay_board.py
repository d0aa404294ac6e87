"""The relay board of a bench from common instruments, end to end through labgrid.

Real parts only: labgrid's own ``ModbusTCPCoil`` resources and ``ModbusCoilDriver`` (pyModbusTCP)
write coils of the bench's Modbus TCP server (pymodbus) over TCP; the coils switch the vehicle
side of the electrical model; the (stand-in) charger firmware reacts to what the pilot shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from labgrid import Environment
from labgrid.driver.exception import ExecutionError

from rig.bench.host import BenchHost
from rig.bench.relay_board import COIL_COUNT, FUNCTION_COIL, R2_OHM, R3_OHM, RD_OHM
from rig.instruments.relay_vehicle import Circuit, RelayError, RelayVehicle, functions
from tests.bench.conftest import STUB_ENTRY


def relay_env(path: Path, address: str, extra: dict[str, int] | None = None) -> Path:
    """A labgrid environment with one ModbusTCPCoil (and its ModbusCoilDriver) per relay."""
    coils = {f: FUNCTION_COIL[f] for f in functions()} | (extra or {})
    resources = [{"ModbusTCPCoil": {"name": f, "host": address, "coil": c}}
                 for f, c in coils.items()]
    drivers = [{"ModbusCoilDriver": {"name": f, "bindings": {"coil": f}}} for f in coils]
    path.write_text(yaml.safe_dump(
        {"targets": {"main": {"resources": resources, "drivers": drivers}}}))
    return path


@pytest.fixture(scope="module")
def host() -> Iterator[BenchHost]:
    bench_host = BenchHost(overrides={"firmware_entry": STUB_ENTRY}, relay_board=True).start()
    supply = bench_host.bench.sources["ac1"]
    supply.voltage_v, supply.output = [230.0, 0.0, 0.0], True  # the charger powered
    bench_host.bench.changed()
    try:
        yield bench_host
    finally:
        bench_host.stop()


@pytest.fixture(scope="module")
def target(host: BenchHost, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    env_file = relay_env(tmp_path_factory.mktemp("relays") / "relays.yaml",
                         host.relay_board.address, {"not_wired": COIL_COUNT + 4})
    target = Environment(str(env_file)).get_target("main")
    yield target
    target.deactivate_all_drivers()


@pytest.fixture
def vehicle(host: BenchHost, target) -> Iterator[RelayVehicle]:  # type: ignore[no-untyped-def]
    from labgrid.protocol import DigitalOutputProtocol

    outputs = {f: target.get_driver(DigitalOutputProtocol, name=f) for f in functions()}
    ev = RelayVehicle(outputs)
    yield ev
    assert ev.make_safe() == []
    _, problems = host.bench.safe_state()
    assert "ev in state" not in " ".join(problems)


def seen_states(host: BenchHost) -> list[str]:
    """Record what the charger sees after every change of the model."""
    seen: list[str] = []
    host.bench.listeners.append(lambda: seen.append(host.bench.ev_sees_state()[0]))
    return seen


def test_states_through_labgrid_move_the_model_and_the_charger_answers(host, vehicle):
    bench = host.bench
    vehicle.set_cable(220.0)
    assert bench.ev.pp_ohm == 220.0
    vehicle.set_state("B")
    assert (bench.ev.state, bench.ev.resistance_ohm) == ("B", 2740.0)
    assert bench.ev_sees_state() == "B2"  # the charger started its PWM at once
    vehicle.set_state("C")
    assert bench.ev.state == "C" and bench.hal.contactor
    assert bench.trace.events[-1].kind in ("CONTACTOR", "LED", "CP", "PWM", "LOCK")
    vehicle.set_state("A")
    assert bench.ev.state == "A" and not bench.hal.contactor


def test_between_connected_states_the_charger_never_sees_the_vehicle_leave(host, vehicle):
    vehicle.set_cable(220.0)
    vehicle.set_state("B")
    seen = seen_states(host)
    try:
        for state in ("C", "D", "C", "B", "D", "B"):
            vehicle.set_state(state)
    finally:
        host.bench.listeners.pop()
    assert seen and "A" not in seen, seen


def test_arbitrary_resistance_from_the_ladder(host, vehicle):
    bench = host.bench
    vehicle.set_resistance(1870.0)  # CP-06's lower edge of B, from A: one relay connects it
    assert (bench.ev.state, bench.ev.resistance_ohm) == ("R", 1870.0)
    assert bench.ev_sees_state()[0] == "B"
    vehicle.set_state("B")
    seen = seen_states(host)
    try:
        vehicle.set_resistance(682.6)  # C at R3's tolerance edge, from a nominal B
    finally:
        host.bench.listeners.pop()
    assert bench.ev.resistance_ohm == pytest.approx(683.0)  # 1 ohm steps
    assert "A" not in seen and bench.ev_sees_state()[0] == "C"


def test_faults_and_missing_cable(host, vehicle):
    bench = host.bench
    vehicle.set_fault("DIODE_SHORT")
    assert bench.ev.fault == "DIODE_SHORT"
    vehicle.set_fault("CP_PE_SHORT")
    assert bench.ev.fault == "CP_PE_SHORT" and bench.ev_sees_state() == "E"
    vehicle.set_fault("NONE")
    vehicle.set_cable(None)
    assert bench.ev.pp_ohm is None


def test_bad_values_are_refused_before_any_relay_moves(host, vehicle):
    writes = host.relay_board.writes
    with pytest.raises(ValueError, match=r"ohm = 9000.0 ohm is outside the range 50 \.\.\. 8191"):
        vehicle.set_resistance(9000.0)
    with pytest.raises(ValueError, match="state"):
        vehicle.set_state("E")
    assert host.relay_board.writes == writes


def test_a_coil_the_board_does_not_have_is_a_clear_error(target):
    from labgrid.protocol import DigitalOutputProtocol

    relay = target.get_driver(DigitalOutputProtocol, name="not_wired")
    relay.set(True)  # labgrid 26 with pyModbusTCP 0.3 does not notice the refused write ...
    with pytest.raises(ExecutionError, match=r"Could not read coil.*exception=2"):
        relay.get()  # ... but the read back does, and RelayVehicle reads back every write


def test_a_welded_relay_is_a_rig_error(host, vehicle):
    vehicle.set_state("C")
    host.relay_board.stuck.add(FUNCTION_COIL["cp_c"])
    try:
        with pytest.raises(RelayError, match="relay 'cp_c': switched off, the board reports on"):
            vehicle.set_state("B")
    finally:
        host.relay_board.stuck.clear()


def test_a_missing_output_is_named():
    with pytest.raises(ValueError, match="relay outputs missing for: cp_d"):
        RelayVehicle({f: object() for f in functions() if f != "cp_d"})  # type: ignore[misc]


def test_the_driver_and_the_board_agree_on_the_resistors():
    circuit = Circuit()
    assert (circuit.r3_ohm, circuit.r2_ohm, circuit.rd_ohm) == (R3_OHM, R2_OHM, RD_OHM)
    assert set(functions(circuit)) <= set(FUNCTION_COIL)
