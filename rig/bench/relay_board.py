"""The emulated relay board: a Modbus TCP server whose coils switch the vehicle side of the model.

A lab without an EV emulator builds the vehicle from a relay board (README, "A bench from
common instruments"). This twin is such a board as the rig sees it: a real Modbus TCP server
(pymodbus) on 127.0.0.1, its coils written by labgrid's own ``ModbusCoilDriver`` (pyModbusTCP
as client, so two independent implementations of the protocol meet on the wire). Each coil
write is wired into the electrical model under the bench's lock and the charger reacts at that
instant, exactly as to an EVE-1 command.

Why pymodbus for the server: well kept, asyncio, its ``SimDevice`` datastore has a write hook
(``action``) and refuses addresses outside the board with Modbus exception 2 (illegal data
address), as a real board does. Its import costs about half a second, so the board is served
only when the rig file asks for it (``options: {bench_relay_board: true}``).

**Wiring** (:data:`COILS`, one row per coil; what a lab builds, ``docs/composite-bench.md``):
the vehicle's CP circuit is the diode in series with R3 (2.74 kohm) or, through a changeover
relay, a resistor ladder; R2 (1.3 kohm, state C) and 270 ohm (state D) go in parallel; a relay
bypasses the diode, another shorts CP to PE. The PP coding is a second ladder behind a
"cable in" relay. Every ladder is binary: coil k puts 2**k ohm in series (a closed contact
shorts its resistor otherwise), so 13 coils give 0 ... 8191 ohm in 1 ohm steps.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from rig.bench.model import EV_STATE_OHM

if TYPE_CHECKING:
    from rig.bench.bench import Bench

log = logging.getLogger(__name__)

#: Vehicle-side resistors of the board, ohm (IEC 61851-1 Annex A: R3 2.74 k in state B, R2
#: 1.3 k in parallel for C: 882 ohm; 270 ohm in parallel for D: 246 ohm).
R3_OHM = 2740.0
R2_OHM = 1300.0
RD_OHM = 270.0
#: Ladder bits per ladder and the first coil of each.
LADDER_BITS = 13
CP_LADDER_FIRST = 16
PP_LADDER_FIRST = 32
#: Coils of the board (a 48-coil board: 3 x 16; coils not listed are not wired).
COIL_COUNT = 48

#: coil -> (function, what it switches). The function names are the rig file's resource names.
COILS: dict[int, tuple[str, str]] = {
    0: ("cp_connect", "vehicle CP circuit (diode + R3 or ladder) onto CP: state B"),
    1: ("cp_c", "R2 1.3 kohm in parallel: 882 ohm, state C"),
    2: ("cp_d", "270 ohm in parallel: 246 ohm, state D"),
    3: ("cp_ladder", "changeover: R3 -> the CP ladder (arbitrary resistance, CP-06)"),
    4: ("diode_short", "bypasses the vehicle diode"),
    5: ("cp_pe_short", "shorts CP to PE (state E)"),
    6: ("pp_connect", "cable in the socket: the PP ladder between PP and PE"),
    **{CP_LADDER_FIRST + k: (f"cp_r{k}", f"CP ladder: {2 ** k} ohm in series")
       for k in range(LADDER_BITS)},
    **{PP_LADDER_FIRST + k: (f"pp_r{k}", f"PP ladder: {2 ** k} ohm in series")
       for k in range(LADDER_BITS)},
}
FUNCTION_COIL = {function: coil for coil, (function, _) in COILS.items()}


def parallel(*ohms: float) -> float:
    return 1.0 / sum(1.0 / r for r in ohms)


def ladder_ohm(coils: list[bool], first: int) -> float:
    return float(sum(2 ** k for k in range(LADDER_BITS) if coils[first + k]))


def apply_coils(bench: Bench, coils: list[bool]) -> None:
    """Set the model's vehicle side from the coils (caller holds the bench lock)."""
    on = {function: coils[coil] for coil, (function, _) in COILS.items()}
    ev = bench.ev
    if on["cp_connect"]:
        r3 = ladder_ohm(coils, CP_LADDER_FIRST) if on["cp_ladder"] else R3_OHM
        branches = [r3] + ([R2_OHM] if on["cp_c"] else []) + ([RD_OHM] if on["cp_d"] else [])
        ohm = parallel(*branches) if r3 > 0 else 0.0
        nominal = {(False, False): "B", (True, False): "C", (False, True): "D"}
        letter = None if on["cp_ladder"] else nominal.get((on["cp_c"], on["cp_d"]))
        if letter is not None:
            ev.state, ev.resistance_ohm = letter, EV_STATE_OHM[letter]
        else:
            ev.state, ev.resistance_ohm = "R", max(ohm, 1e-3)
    else:
        ev.state, ev.resistance_ohm = "A", None
    if on["cp_pe_short"]:
        ev.fault = "CP_PE_SHORT"
    elif on["diode_short"]:
        ev.fault = "DIODE_SHORT"
    else:
        ev.fault = "NONE"
    ev.pp_ohm = ladder_ohm(coils, PP_LADDER_FIRST) if on["pp_connect"] else None


class RelayBoardServer:
    """A Modbus TCP relay board on 127.0.0.1 (port 0: the kernel picks), wired to the bench."""

    def __init__(self, bench: Bench, host: str = "127.0.0.1", port: int = 0):
        self.bench = bench
        self.host = host
        self.coils = [False] * COIL_COUNT
        self.writes = 0
        #: Coils whose contacts are welded (a fault the framework's own tests inject): a write
        #: is acknowledged, the relay stays as it is, a read shows the truth.
        self.stuck: set[int] = set()
        self._want_port = port
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="relay-board", daemon=True)

    @property
    def address(self) -> str:
        """``host:port``, as labgrid's ``ModbusTCPCoil`` resource writes it."""
        return f"{self.host}:{self.port}"

    async def _action(self, function_code: int, start_address: int, address: int, count: int,
                      registers: list[int], values: list[int] | list[bool] | None) -> None:
        """pymodbus' hook on every access: a write (functions 5 and 15) moves the relays."""
        if values is None or function_code not in (5, 15):
            return None
        with self.bench.lock:
            for i in range(len(values)):
                if address + i in self.stuck:
                    values[i] = self.coils[address + i]  # type: ignore[call-overload]
                self.coils[address + i] = bool(values[i])
            self.writes += 1
            apply_coils(self.bench, self.coils)
            self.bench.changed()
        return None

    def _run(self) -> None:
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        blocks = ([SimData(0, count=COIL_COUNT, values=False, datatype=DataType.BITS)],
                  [SimData(0, count=16, values=False, datatype=DataType.BITS)],
                  [SimData(0, count=1, values=0, datatype=DataType.REGISTERS)],
                  [SimData(0, count=1, values=0, datatype=DataType.REGISTERS)])

        async def listen() -> None:  # the server needs a running loop to be built
            device = SimDevice(0, simdata=blocks, action=self._action)
            self._server = ModbusTcpServer(device, address=(self.host, self._want_port))
            await self._server.serve_forever(background=True)

        try:
            loop.run_until_complete(listen())
            self.port = self._server.transport.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._server.shutdown())
        loop.close()

    def start(self) -> RelayBoardServer:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None or not self.port:
            raise OSError(f"relay board: cannot listen on {self.host}: {self._error}")
        log.info("relay board (Modbus TCP) on %s", self.address)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)
